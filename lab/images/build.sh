#!/usr/bin/env bash
# Build a lab node image from a debootstrap rootfs (no container registry is reachable).
#   build.sh SUITE VARIANT      SUITE: bullseye|bookworm|trixie   VARIANT: mariadb|bare
# The image is tagged replkit-node:SUITE-VARIANT and labelled with a hash of its
# build inputs; an image whose label matches is kept, so re-runs cost nothing.
set -euo pipefail

suite=${1:?usage: build.sh SUITE VARIANT}
variant=${2:?usage: build.sh SUITE VARIANT}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${REPLKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
image="replkit-node:${suite}-${variant}"

case "$suite" in bullseye|bookworm|trixie) ;; *) echo "build.sh: unknown suite '$suite' (bullseye|bookworm|trixie)" >&2; exit 2 ;; esac
case "$variant" in mariadb|bare) ;; *) echo "build.sh: unknown variant '$variant' (mariadb|bare)" >&2; exit 2 ;; esac

# Systemd as PID 1 plus what Ansible needs; the mariadb variant adds the server.
packages=$(grep -v '^#' "$here/packages-base.txt" | xargs | tr ' ' ',')
if [ "$variant" = mariadb ]; then
  packages="$packages,$(grep -v '^#' "$here/packages-mariadb.txt" | xargs | tr ' ' ',')"
fi

inputs_hash=$( { echo "$suite $variant $mirror $packages"; cat "$0" "$here/rootfs-setup.sh"; } | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "replkit.inputs" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$inputs_hash" ]; then
  echo "build.sh: $image is up to date (inputs $inputs_hash)"
  exit 0
fi

work=$(mktemp -d /var/tmp/replkit-rootfs.XXXXXX)
cleanup() {
  # debootstrap mounts /proc and /sys in the rootfs; never rm -rf through a live mount.
  for mount in "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev/pts"; do
    if mountpoint -q "$mount"; then umount -l "$mount"; fi
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"
start=$(date +%s)
echo "build.sh: debootstrap $suite ($variant) into $rootfs"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
bash "$here/rootfs-setup.sh" "$rootfs"

# mktemp leaves the directory at 0700; the image root must be 0755 or the
# imported image shows an empty /var/lib/mysql to the mysql user.
chmod 0755 "$rootfs"
tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/sbin/init"]' \
  --change 'ENV container=docker' \
  --change "LABEL replkit.inputs=$inputs_hash replkit.suite=$suite replkit.variant=$variant" \
  - "$image" >/dev/null
echo "build.sh: built $image in $(( $(date +%s) - start )) s (inputs $inputs_hash)"
