#!/usr/bin/env bash
# Build the local apt repository the 'install' Molecule scenario installs MariaDB from.
#   apt-repo.sh SUITE      SUITE: bullseye|bookworm|trixie
# Lab containers never reach the internet: the host downloads the .deb closure of the
# packages below that the bare image (replkit-node:SUITE-bare) lacks, and indexes it as a
# flat repository in .cache/apt-repo/SUITE/, which the scenario mounts read-only. It stands
# in for the mirror a real site's hosts install from. A stamp with a hash of the inputs
# (this script, suite, mirror, packages, the bare image's inputs) skips an up-to-date repo.
set -euo pipefail

suite=${1:?usage: apt-repo.sh SUITE}
here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
mirror=${REPLKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
image="replkit-node:${suite}-bare"
dest="$repo_root/.cache/apt-repo/$suite"
# What the server role installs (server_packages on Debian) plus the client the tests use.
packages=(mariadb-server mariadb-client python3-pymysql)

case "$suite" in bullseye|bookworm|trixie) ;; *) echo "apt-repo.sh: unknown suite '$suite' (bullseye|bookworm|trixie)" >&2; exit 2 ;; esac

image_inputs=$(docker image inspect -f '{{ index .Config.Labels "replkit.inputs" }}' "$image" 2>/dev/null) || {
  echo "apt-repo.sh: $image is missing; build it first: lab/images/build.sh $suite bare" >&2; exit 1; }
inputs_hash=$( { echo "$suite $mirror ${packages[*]} $image_inputs"; cat "$0"; } | sha256sum | cut -c1-16)
if [ "$(cat "$dest/.inputs" 2>/dev/null || true)" = "$inputs_hash" ]; then
  echo "apt-repo.sh: $dest is up to date (inputs $inputs_hash)"
  exit 0
fi

start=$(date +%s)
work=$(mktemp -d /var/tmp/replkit-apt.XXXXXX)
container=""
cleanup() {
  if [ -n "$container" ]; then docker rm -f "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The bare image's dpkg status: apt resolves against it, so the repo holds exactly what that
# image lacks (no chroot or debootstrap needed; apt runs on the host with its own state).
container=$(docker create "$image")
docker cp "$container:/var/lib/dpkg/status" "$work/status"
docker rm "$container" >/dev/null
container=""

mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc" "$work/log" "$work/repo"
# The image is debootstrapped from this mirror and suite only, so the repo uses the same.
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$work/etc/sources.list"
# APT_CONFIG is read first; it points every other apt path (config parts, sources, state,
# cache) into $work, so the host's own apt configuration and state are neither read nor touched.
cat >"$work/apt.conf" <<EOF
Dir::Etc::main "$work/etc/apt.conf";
Dir::Etc::Parts "$work/etc";
Dir::Etc::SourceList "$work/etc/sources.list";
Dir::Etc::SourceParts "$work/etc";
Dir::Etc::Preferences "$work/etc/preferences";
Dir::Etc::PreferencesParts "$work/etc";
Dir::State "$work";
Dir::State::Lists "$work/lists";
Dir::State::status "$work/status";
Dir::Cache "$work";
Dir::Cache::Archives "$work/archives";
Dir::Log "$work/log";
Debug::NoLocking "true";
APT::Architectures { "$(dpkg --print-architecture)"; };
APT::Install-Recommends "false";
EOF
export APT_CONFIG="$work/apt.conf"
echo "apt-repo.sh: downloading the closure of ${packages[*]} for $image from $mirror"
apt-get -q update >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; exit 1; }
apt-get -q -y --download-only install "${packages[@]}" >>"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; exit 1; }

cp "$work"/archives/*.deb "$work/repo/"
# A flat repository ('deb [trusted=yes] file:DIR ./'): Packages plus a Release that lists it.
(cd "$work/repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>"$work/scan.log") || {
  cat "$work/scan.log" >&2; exit 1; }
{
  echo "Origin: replkit-lab"
  echo "Label: replkit-lab $suite"
  echo "Date: $(LC_ALL=C date -Ru)"
  echo "SHA256:"
  printf ' %s %s Packages\n' "$(sha256sum <"$work/repo/Packages" | cut -d' ' -f1)" "$(stat -c %s "$work/repo/Packages")"
} >"$work/repo/Release"
echo "$inputs_hash" >"$work/repo/.inputs"
# Containers read it as the _apt user.
chmod -R a+rX "$work/repo"

# Swap in the new repository whole, so a reader never sees half of one.
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.new" "$dest.old"
cp -a "$work/repo" "$dest.new"
if [ -d "$dest" ]; then mv "$dest" "$dest.old"; fi
mv "$dest.new" "$dest"
rm -rf "$dest.old"
echo "apt-repo.sh: $dest has $(grep -c "^Package:" "$dest/Packages") packages ($(du -sh "$dest" | cut -f1)) in $(( $(date +%s) - start )) s (inputs $inputs_hash)"
