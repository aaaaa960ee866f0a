"""The in-kernel moves of backup_transfer between a socket and a pipe (local socketpairs and pipes, no network)."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_transfer import (
    CAN_SPLICE, pipe_readable_bytes, splice_exact)

pytestmark = pytest.mark.skipif(not CAN_SPLICE, reason="os.splice needs Linux and Python 3.10+")

PAYLOAD = os.urandom(3 * 1024 * 1024 + 17)  # more than a pipe holds: both sides must wait for each other


def drain(fd, into):
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        into.extend(chunk)


def test_socket_to_pipe_moves_every_byte_through_a_timeout_socket():
    sender, receiver = socket.socketpair()
    receiver.settimeout(5)  # non-blocking at the OS level, as the module's sockets are
    read_end, write_end = os.pipe()
    received = bytearray()
    reader = threading.Thread(target=drain, args=(read_end, received))
    reader.start()
    writer = threading.Thread(target=sender.sendall, args=(PAYLOAD,))
    writer.start()
    moved = splice_exact(receiver.fileno(), write_end, len(PAYLOAD), True, False, receiver.gettimeout())
    writer.join()
    os.close(write_end)
    reader.join()
    assert moved == len(PAYLOAD) and bytes(received) == PAYLOAD


def test_socket_to_pipe_returns_short_when_the_peer_closes():
    sender, receiver = socket.socketpair()
    receiver.settimeout(5)
    read_end, write_end = os.pipe()
    sender.sendall(b"half a frame")
    sender.close()
    assert splice_exact(receiver.fileno(), write_end, 100, True, False, 5) == len(b"half a frame")
    assert os.read(read_end, 100) == b"half a frame"


def test_socket_to_pipe_times_out_on_silence():
    _sender, receiver = socket.socketpair()
    receiver.settimeout(0.2)
    _read_end, write_end = os.pipe()
    with pytest.raises(socket.timeout):
        splice_exact(receiver.fileno(), write_end, 10, True, False, 0.2)


def test_pipe_to_socket_moves_what_the_pipe_holds():
    sender, receiver = socket.socketpair()
    sender.settimeout(5)
    read_end, write_end = os.pipe()
    os.write(write_end, b"x" * 4000)
    assert pipe_readable_bytes(read_end) == 4000
    received = bytearray()
    reader = threading.Thread(target=lambda: received.extend(receiver.recv(8192)))
    reader.start()
    assert splice_exact(read_end, sender.fileno(), 4000, False, True, 5) == 4000
    reader.join()
    assert bytes(received) == b"x" * 4000 and pipe_readable_bytes(read_end) == 0
