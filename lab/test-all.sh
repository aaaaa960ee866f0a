#!/usr/bin/env bash
# make test's layers in order, with the node images built meanwhile: building them (debootstrap, several minutes on
# a cold machine) waits on the network and the disk, while the unit tests, sanity, lint and the build are CPU work.
# The integration and Molecule layers need the images and start once both are done. A failure stops the run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
log="$repo/.cache/images.log"
mkdir -p "$repo/.cache"
make -C "$repo" --no-print-directory images >"$log" 2>&1 &
images=$!
static_status=0
make -C "$repo" --no-print-directory unit sanity lint build || static_status=$?
images_status=0
wait "$images" || images_status=$?
echo "test-all: the node images (built meanwhile; its output follows)"
cat "$log"
[ "$static_status" -eq 0 ] || { echo "test-all: unit, sanity, lint or build failed" >&2; exit "$static_status"; }
[ "$images_status" -eq 0 ] || { echo "test-all: building the node images failed" >&2; exit "$images_status"; }
make -C "$repo" --no-print-directory integration molecule-all
