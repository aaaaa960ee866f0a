# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's data directory swapped for a prepared copy, the old data kept beside it.

For mariadb_backup_restore: whether a server still runs on the directory, where the old data goes, and the
move itself, which puts the old data back when the copy cannot be moved in. Nothing here is deleted.
"""

from __future__ import annotations

import glob
import os
import shutil
import time

SERVER_NAMES = ("mariadbd", "mysqld")


class InstallError(Exception):
    """The copy could not be moved into the data directory; the old data is back in place."""


def read_text(path):
    """A file's text, or "" when it cannot be read (a missing or unreadable file means: nothing to learn there)."""
    try:
        with open(path, errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def live_server_pid(datadir):
    """(pid, pid file) of a running server named in ``<datadir>/*.pid``, or None (stale files are ignored)."""
    for pid_file in sorted(glob.glob(os.path.join(datadir, "*.pid"))):
        text = read_text(pid_file).strip()
        if not text.isdigit():
            continue
        pid = int(text)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass  # alive, owned by another user
        name = read_text("/proc/%d/comm" % pid).strip()
        if not name or name in SERVER_NAMES:
            return pid, pid_file
    return None


def is_within(path, parent):
    """Whether ``path`` is ``parent`` or lies inside it, symbolic links resolved."""
    path, parent = os.path.realpath(path), os.path.realpath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def previous_datadir_path(datadir, now, exists):
    """``<datadir>.replkit-<UTC timestamp>``; a counter is appended when that name is taken (``exists``)."""
    base = "%s.replkit-%s" % (datadir.rstrip("/"), time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)))
    candidate = base
    counter = 1
    while exists(candidate):
        counter += 1
        candidate = "%s-%d" % (base, counter)
    return candidate


def same_filesystem(first, second):
    return os.stat(first).st_dev == os.stat(second).st_dev


def move_entries(source, destination):
    for name in sorted(os.listdir(source)):
        shutil.move(os.path.join(source, name), os.path.join(destination, name))


def chown_tree(path, uid, gid):
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def install_copy(datadir, staging_dir, previous, removed, uid, gid):
    """Move the old data directory to ``previous`` and the copy into place; returns how the copy moved.

    ``removed`` (names of the copy's top level) are deleted from the copy first. Raises InstallError, with the
    old data put back, when the copy cannot be moved in.
    """
    original = os.stat(datadir)
    mount_point = os.path.ismount(datadir)
    if mount_point:
        # A mount point cannot be renamed: move its entries aside instead.
        os.mkdir(previous, 0o700)
        os.chmod(previous, original.st_mode & 0o7777)
        move_entries(datadir, previous)
    else:
        # shutil.move renames, or copies and removes where rename cannot (a directory of a container
        # image's lower overlay layer gives EXDEV).
        shutil.move(datadir, previous)
    try:
        for name in removed:
            os.unlink(os.path.join(staging_dir, name))
        if mount_point:
            moved_by = "rename" if same_filesystem(staging_dir, datadir) else "copy"
            move_entries(staging_dir, datadir)
            os.rmdir(staging_dir)
        else:
            moved_by = "rename" if same_filesystem(staging_dir, os.path.dirname(datadir)) else "copy"
            shutil.move(staging_dir, datadir)
    except OSError as exc:
        restore_previous(datadir, previous, mount_point)
        raise InstallError("could not move staging_dir %s into datadir %s (%s); the old data directory was put "
                           "back in place" % (staging_dir, datadir, exc))
    chown_tree(datadir, uid, gid)
    os.chmod(datadir, original.st_mode & 0o7777)
    return moved_by


def restore_previous(datadir, previous, mount_point):
    """Undo a half-done install: the copy's partial entries are left beside, the old data goes back."""
    if mount_point:
        leftover = previous + ".incomplete-copy"
        os.mkdir(leftover, 0o700)
        move_entries(datadir, leftover)
        move_entries(previous, datadir)
        os.rmdir(previous)
    else:
        if os.path.lexists(datadir):
            os.rename(datadir, previous + ".incomplete-copy")
        os.rename(previous, datadir)
