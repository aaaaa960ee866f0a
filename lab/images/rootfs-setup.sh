#!/usr/bin/env bash
# Make a debootstrap rootfs behave as a container host with systemd as PID 1.
set -euo pipefail
rootfs=${1:?usage: rootfs-setup.sh ROOTFS}

# Units that need hardware or kernel features a container does not have.
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
            systemd-remount-fs.service systemd-firstboot.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
# systemd-resolved is not installed; the container's resolv.conf comes from Docker.
echo "lab-node" > "$rootfs/etc/hostname"
: > "$rootfs/etc/machine-id"

# apt's archive cache and lists are not needed at run time (about 130 MB).
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
