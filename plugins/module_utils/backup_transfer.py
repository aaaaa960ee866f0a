# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What both sides of mariadb_backup_stream share: the progress file, exact reads, moving bytes between a
socket and a pipe (in the kernel where Linux allows), and the mariadb-backup binary.

The sender is in backup_sender.py, the receiver in backup_receiver.py and the wire protocol in
backup_protocol.py. Processes run with Popen because the stream flows between a pipe and a socket while it
runs, which module.run_command cannot do.
"""

from __future__ import annotations

import fcntl
import os
import select
import socket
import struct
import termios
import threading
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import progress_record, write_progress_file

READ_SIZE = 1024 * 1024
PIPE_SIZE = 1024 * 1024
PROGRESS_INTERVAL = 1.0
HANDSHAKE_TIMEOUT = 60


class StreamFailure(Exception):
    """Ends the module with a message; the caller cleans up first."""


class Progress:
    """The progress file, rewritten by a background thread while the main thread blocks on I/O."""

    def __init__(self, path):
        self.path = path
        self.phase = "connecting"
        self.bytes = 0
        self.started = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def begin(self, phase):
        self.set(phase)
        if self.path:
            self.write()  # in the main thread first, so an unwritable path fails clearly
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def set(self, phase):
        with self._lock:
            self.phase = phase

    def start_clock(self):
        self.started = time.monotonic()

    def add(self, count):
        self.bytes += count

    @property
    def seconds(self):
        return time.monotonic() - self.started if self.started is not None else 0.0

    def write(self):
        if not self.path:
            return
        with self._lock:
            write_progress_file(self.path, progress_record(self.phase, self.bytes, self.seconds))

    def _run(self):
        while not self._stop.wait(PROGRESS_INTERVAL):
            try:
                self.write()
            except OSError:
                pass  # progress is informative; the transfer goes on

    def finish(self, phase):
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.set(phase)
        try:
            self.write()
        except OSError:
            pass


def recv_exact(conn, count):
    """Up to ``count`` bytes; fewer only when the peer closed the connection."""
    data = bytearray()
    while len(data) < count:
        piece = conn.recv(count - len(data))
        if not piece:
            break
        data.extend(piece)
    return bytes(data)


def send_quietly(conn, data):
    try:
        conn.sendall(data)
    except OSError:
        pass  # the peer is gone; the failure is reported anyway


# Linux with Python 3.10+: the payload moves between socket and pipe inside the kernel (no copy through
# this process), which leaves the CPU to mariadb-backup and mbstream.
CAN_SPLICE = hasattr(os, "splice")


def wait_ready(fd, events, timeout):
    """Block until ``fd`` is ready for ``events``; socket.timeout after ``timeout`` seconds (None: no limit)."""
    poller = select.poll()
    poller.register(fd, events)
    if not poller.poll(None if timeout is None else int(timeout * 1000)):
        raise socket.timeout("timed out")


def splice_exact(source, sink, count, wait_source, wait_sink, timeout):
    """Move ``count`` bytes from ``source`` to ``sink`` in the kernel; returns fewer only at end of input.

    Either side may be non-blocking (a socket with a timeout is): then wait until it is ready, at most
    ``timeout`` seconds each time.
    """
    remaining = count
    while remaining:
        try:
            moved = os.splice(source, sink, remaining)
        except BlockingIOError:
            if wait_source:
                wait_ready(source, select.POLLIN, timeout)
            if wait_sink:
                wait_ready(sink, select.POLLOUT, timeout)
            continue
        if not moved:
            break
        remaining -= moved
    return count - remaining


def widen_pipe(fd):
    """Grow a pipe to 1 MiB (Linux; 64 KiB by default): fewer, larger reads and writes on the hot path."""
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default size only costs speed


def pipe_readable_bytes(fd):
    """Bytes waiting in a pipe (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def backup_binary(module):
    return module.get_bin_path("mariadb-backup") or module.get_bin_path("mariabackup")
