# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The I/O of mariadb_backup_stream: sockets, the mbstream and mariadb-backup processes, the progress file.

The pure parts (framing, parsing, checks) are in backup_stream.py; this file
moves the bytes. Processes run with Popen because the stream flows between a
pipe and a socket while it runs, which module.run_command cannot do.
"""

from __future__ import annotations

import errno
import fcntl
import ipaddress
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_stream import (
    ACCEPT, BINLOG_INFO_FILES, CHALLENGE_SIZE, FRAME_HEADER, KIND_ABORT, KIND_DATA, KIND_END, MAGIC, MAX_CHUNK,
    NONCE_BYTES, PROOF_BYTES, REJECT, AuthenticationError, BackupStreamError, ReceiverHandshake, SenderHandshake,
    address_allowed, client_defaults, decode_frame_header, encode_abort, encode_data_header, encode_end,
    first_present, normalize_address, parse_backup_log_position, parse_binlog_info)
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import write_private_file
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import (
    progress_record, rate_mib_s, tail, write_progress_file)

READ_SIZE = 1024 * 1024
PIPE_SIZE = 1024 * 1024
PROGRESS_INTERVAL = 1.0
HANDSHAKE_TIMEOUT = 60
# What mariadb-backup logs once it read its options and connects to the server (10.5 to 11.8).
CONNECTING_MARK = b"Connecting to "
OPTIONS_READ_TIMEOUT = 60.0
# A receiver started in the same task as the sender listens a moment later: retry soon.
CONNECT_RETRY_DELAY = 0.2


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


def resolve_allowed(address):
    try:
        infos = socket.getaddrinfo(address, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise StreamFailure("allowed_address %r does not resolve (%s); give the source's IP address" % (address, exc))
    return {normalize_address(info[4][0]) for info in infos}


def listen(params):
    """Listening sockets on every address of this host that listen_address is or resolves to.

    A name is resolved; its addresses that are not this host's are left out, and a name with none of this
    host's addresses fails, naming what it resolved to.
    """
    address, port = params["listen_address"], params["listen_port"]
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StreamFailure("listen_address %r does not resolve on this host (%s); give this host's replication "
                            "address, the one the source connects to" % (address, exc))
    listeners, foreign, seen = [], [], set()
    try:
        for family, socktype, proto, _name, sockaddr in infos:
            if (family, sockaddr[0]) in seen:
                continue
            seen.add((family, sockaddr[0]))
            listener = socket.socket(family, socktype, proto)
            try:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(sockaddr)
                listener.listen(8)
            except OSError as exc:
                listener.close()
                if exc.errno == errno.EADDRNOTAVAIL:
                    foreign.append(sockaddr[0])
                    continue
                raise StreamFailure(
                    "cannot listen on %s port %s: %s. Check listen_address and listen_port; is an earlier receive "
                    "still running, or another program using the port?" % (sockaddr[0], port, exc))
            listeners.append(listener)
    except StreamFailure:
        for listener in listeners:
            listener.close()
        raise
    if not listeners:
        raise StreamFailure(
            "listen_address %r%s is not an address of this host, so the receiver cannot listen on it; give this "
            "host's replication address (the address the source connects to: mariadb_replication_host, else "
            "ansible_host, in the seed role)" % (
                address, "" if foreign == [address] else " (it resolves to %s)" % ", ".join(foreign)))
    return listeners


def bound_addresses(listeners):
    return [listener.getsockname()[0] for listener in listeners]


def loopback_only_name(address, bound):
    """Whether listen_address is a host name that resolved to loopback addresses only (Debian's 127.0.1.1)."""
    try:
        ipaddress.ip_address(address.split("%", 1)[0])
        return False  # an address given as such is meant
    except ValueError:
        pass
    return address != "localhost" and all(ipaddress.ip_address(ip.split("%", 1)[0]).is_loopback for ip in bound)


def accept_allowed(listeners, allowed, timeout, ignored):
    """The first connection from an allowed address on any of ``listeners``; others are closed and listed in
    ``ignored``."""
    deadline = time.monotonic() + timeout
    for listener in listeners:
        listener.setblocking(False)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StreamFailure(
                "no connection from allowed_address within timeout=%s s%s. Run mode=send on the source while this "
                "waits, check target_host/target_port there, the firewall, and that allowed_address is the source's "
                "address as this host sees it." % (
                    timeout, " (ignored connections from %s)" % ", ".join(ignored) if ignored else ""))
        ready, _writable, _failed = select.select(listeners, [], [], min(remaining, 1.0))
        for listener in ready:
            try:
                conn, peer = listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue
            conn.setblocking(True)
            if address_allowed(peer[0], allowed):
                return conn, normalize_address(peer[0])
            ignored.append(peer[0])
            conn.close()


def authenticate_sender(conn, token, peer):
    """The receiver's side of the handshake: prove the token to the sender, then check the sender's proof.

    Fails (after answering REJECT) unless the sender proved it knows the token; nothing is extracted before.
    """
    handshake = ReceiverHandshake(token)
    who = "the sender %s" % peer
    conn.settimeout(HANDSHAKE_TIMEOUT)
    try:
        magic = recv_exact(conn, len(MAGIC))
        if not magic:
            raise StreamFailure("%s connected and closed the connection without a word (a port scan, or a sender "
                                "that gave up: see the send task's result)" % who)
        hello = magic + (recv_exact(conn, NONCE_BYTES) if magic == MAGIC else b"")
        conn.sendall(handshake.challenge(hello, who))
        answer = recv_exact(conn, 1)
        if answer == ACCEPT:
            answer += recv_exact(conn, PROOF_BYTES)
        handshake.check(answer, who)
        conn.sendall(ACCEPT)
    except socket.timeout:
        raise StreamFailure("%s connected but did not complete the handshake within %s s" % (who, HANDSHAKE_TIMEOUT))
    except AuthenticationError as exc:
        _send_quietly(conn, REJECT)
        raise StreamFailure("rejected the connection from %s: %s." % (peer, exc))
    except BackupStreamError as exc:
        raise StreamFailure("rejected the connection from %s: %s." % (peer, exc))
    except ConnectionError as exc:
        raise StreamFailure("the connection from %s broke during the handshake (%s)" % (peer, exc))


def _send_quietly(conn, data):
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


def copy_payload(conn, count, sink):
    """Move ``count`` bytes from the connection to ``sink`` (a file descriptor) without buffering them all."""
    if CAN_SPLICE:
        if splice_exact(conn.fileno(), sink, count, True, False, conn.gettimeout()) != count:
            raise StreamFailure("the sender closed the connection in the middle of a frame; see the send task's result")
        return
    remaining = count
    buffer = bytearray(min(count, READ_SIZE))
    view = memoryview(buffer)
    while remaining:
        got = conn.recv_into(view, min(remaining, len(buffer)))
        if not got:
            raise StreamFailure("the sender closed the connection in the middle of a frame; see the send task's result")
        written = 0
        while written < got:
            written += os.write(sink, view[written:got])
        remaining -= got


def receive_stream(conn, mbstream, progress, timeout):
    """Frames from the connection into mbstream's stdin until the END frame; returns the byte count."""
    conn.settimeout(timeout)
    sink = mbstream.stdin.fileno()
    widen_pipe(sink)
    while True:
        header = recv_exact(conn, FRAME_HEADER.size)
        if not header:
            raise StreamFailure("the sender closed the connection before the end of the backup (%d bytes received); "
                                "see the send task's result" % progress.bytes)
        kind, value = decode_frame_header(header)
        if kind == KIND_DATA:
            copy_payload(conn, value, sink)
            progress.add(value)
        elif kind == KIND_END:
            if value != progress.bytes:
                raise StreamFailure("the sender sent %d bytes but %d arrived; the copy is incomplete" % (
                    value, progress.bytes))
            return value
        elif kind == KIND_ABORT:
            message = recv_exact(conn, value).decode("utf-8", "replace")
            raise StreamFailure("the sender stopped the stream: %s" % message)


def read_log(handle):
    handle.flush()
    handle.seek(0)
    return handle.read().decode("utf-8", "replace")


def run_receive(module, progress, result):
    params = module.params
    staging_dir = params["staging_dir"]
    allowed = resolve_allowed(params["allowed_address"])
    if os.path.isdir(staging_dir):
        os.chmod(staging_dir, 0o700)
    else:
        os.mkdir(staging_dir, 0o700)
    progress.begin("listening")
    listeners = listen(params)
    result["listen_addresses"] = bound_addresses(listeners)
    if loopback_only_name(params["listen_address"], result["listen_addresses"]):
        module.warn("listen_address %s resolves to %s on this host, a loopback address: only a sender on this "
                    "host can connect. Give this host's network address (mariadb_replication_host)." % (
                        params["listen_address"], ", ".join(result["listen_addresses"])))
    ignored = result["ignored_connections"]
    try:
        conn, peer = accept_allowed(listeners, allowed, params["timeout"], ignored)
    finally:
        for listener in listeners:
            listener.close()  # one connection only
    result["peer_address"] = peer
    mbstream = None
    try:
        authenticate_sender(conn, params["token"], peer)
        progress.start_clock()
        progress.set("streaming")
        with tempfile.TemporaryFile() as mbstream_log:
            mbstream = subprocess.Popen([module.get_bin_path("mbstream", required=True), "-x", "-C", staging_dir],
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=mbstream_log)
            try:
                receive_stream(conn, mbstream, progress, params["timeout"])
            except socket.timeout:
                raise StreamFailure("no data from %s for timeout=%s s (%d bytes received)" % (
                    peer, params["timeout"], progress.bytes))
            except BrokenPipeError:
                mbstream.wait()
                raise StreamFailure("mbstream stopped after %d bytes (exit code %s): %s" % (
                    progress.bytes, mbstream.returncode, tail(read_log(mbstream_log))))
            progress.set("extracting")
            mbstream.stdin.close()
            if mbstream.wait() != 0:
                conn.sendall(REJECT)
                raise StreamFailure("mbstream -x failed (exit code %s): %s" % (
                    mbstream.returncode, tail(read_log(mbstream_log))))
        seconds = progress.seconds
        conn.sendall(ACCEPT)
    finally:
        conn.close()
        if mbstream and mbstream.poll() is None:
            mbstream.kill()
            mbstream.wait()
    result.update(bytes=progress.bytes, seconds=round(seconds, 2), rate_mb_s=rate_mib_s(progress.bytes, seconds))
    if params["prepare"]:
        progress.set("preparing")
        started = time.monotonic()
        with tempfile.TemporaryFile() as prepare_log:
            # --no-defaults: the host's my.cnf must not point --prepare at the live data directory.
            rc = subprocess.call([backup_binary(module), "--no-defaults", "--prepare", "--target-dir=%s" % staging_dir],
                                 stdin=subprocess.DEVNULL, stdout=prepare_log, stderr=subprocess.STDOUT)
            if rc != 0:
                raise StreamFailure("mariadb-backup --prepare failed (exit code %s): %s" % (
                    rc, tail(read_log(prepare_log))))
        result["prepare_seconds"] = round(time.monotonic() - started, 2)
    info_file = first_present(os.listdir(staging_dir), BINLOG_INFO_FILES)
    if info_file:
        with open(os.path.join(staging_dir, info_file)) as handle:
            try:
                result.update(parse_binlog_info(handle.read()))
            except BackupStreamError as exc:
                module.warn("%s: %s" % (info_file, exc))
    else:
        module.warn("the copy has no %s: the source's binary log seems off, so no position was recorded"
                    % " or ".join(BINLOG_INFO_FILES))


def connect_with_retry(host, port, connect_timeout):
    deadline = time.monotonic() + connect_timeout
    while True:
        try:
            return socket.create_connection((host, port), timeout=max(1.0, min(10.0, deadline - time.monotonic())))
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise StreamFailure(
                    "cannot connect to target_host %s port %s within connect_timeout=%s s (%s). Start mode=receive "
                    "there first (async), and check target_port, its listen_address and the firewall." % (
                        host, port, connect_timeout, exc))
        time.sleep(CONNECT_RETRY_DELAY)


def await_answer(receiver, what):
    conn, host = receiver
    try:
        answer = recv_exact(conn, 1)
    except socket.timeout:
        raise StreamFailure("the receiver %s did not answer %s within timeout; see its receive task's result"
                            % (host, what))
    except ConnectionError:
        answer = b""  # reset: the receiver closed without reading what was sent
    if answer == ACCEPT:
        return
    if answer == REJECT:
        raise StreamFailure("the receiver %s rejected %s; see its receive task's result (is token the same on both "
                            "sides?)" % (host, what))
    raise StreamFailure("the receiver %s closed the connection instead of answering %s: is this host's address its "
                        "allowed_address? See its receive task's result." % (host, what))


def widen_pipe(fd):
    """Grow a pipe to 1 MiB (Linux; 64 KiB by default): fewer, larger reads and writes on the hot path."""
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default size only costs speed


def pipe_readable_bytes(fd):
    """Bytes waiting in a pipe (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def splice_backup(source, receiver, progress):
    """One receiver: each frame's payload goes from mariadb-backup's pipe to the socket in the kernel."""
    conn, host = receiver
    sink = conn.fileno()
    while True:
        wait_ready(source, select.POLLIN, None)  # readable, or the writer closed it
        length = min(pipe_readable_bytes(source), MAX_CHUNK)
        if not length:
            return progress.bytes
        try:
            conn.sendall(encode_data_header(length))
            moved = splice_exact(source, sink, length, False, True, conn.gettimeout())
        except (OSError, socket.timeout) as exc:
            raise StreamFailure("the connection to the receiver %s broke after %d bytes (%s); see its receive "
                                "task's result" % (host, progress.bytes, exc))
        if moved != length:  # only this process reads the pipe: what FIONREAD counted is there
            raise StreamFailure("mariadb-backup's output ended inside a frame after %d bytes" % progress.bytes)
        progress.add(length)


def stream_backup(process, receivers, progress):
    """mariadb-backup's stdout into data frames, each to every receiver; returns the bytes sent."""
    source = process.stdout.fileno()
    widen_pipe(source)
    if CAN_SPLICE and len(receivers) == 1:
        return splice_backup(source, receivers[0], progress)
    while True:
        chunk = os.read(source, min(READ_SIZE, MAX_CHUNK))
        if not chunk:
            return progress.bytes
        header = encode_data_header(len(chunk))
        for conn, host in receivers:
            try:
                conn.sendall(header)
                conn.sendall(chunk)
            except OSError as exc:
                raise StreamFailure("the connection to the receiver %s broke after %d bytes (%s); see its receive "
                                    "task's result" % (host, progress.bytes, exc))
        progress.add(len(chunk))


def authenticate_receiver(conn, token, host, port):
    """The sender's side of the handshake: the receiver proves the token first, then this side does.

    Raises StreamFailure (after answering REJECT) unless the receiver proved it knows the token: nothing
    derived from the token and nothing of the backup is written to a receiver that did not.
    """
    handshake = SenderHandshake(token)
    who = "the receiver %s (port %s)" % (host, port)
    try:
        try:
            conn.sendall(handshake.hello())
            challenge = recv_exact(conn, len(MAGIC))
            if challenge == MAGIC:
                challenge += recv_exact(conn, CHALLENGE_SIZE - len(MAGIC))
        except ConnectionError:
            challenge = b""  # reset: the receiver closed without reading the hello
        if not challenge:
            raise StreamFailure(
                "%s closed the connection before proving it knows the token: is this host's address its "
                "allowed_address? (A receiver of an older replkit.mariadb, protocol RKXB1, closes too: run the same "
                "version on both hosts.) Nothing of the backup was sent; see its receive task's result." % who)
        answer = handshake.answer(challenge, who)
    except socket.timeout:
        raise StreamFailure("%s accepted the connection but did not prove it knows the token within %g s: is it "
                            "the replkit receiver? Nothing of the backup was sent." % (who, conn.gettimeout()))
    except AuthenticationError as exc:
        _send_quietly(conn, REJECT)
        raise StreamFailure("%s. Nothing of the backup was sent to it." % exc)
    except BackupStreamError as exc:
        raise StreamFailure("%s. Nothing of the backup was sent to it." % exc)
    try:
        conn.sendall(answer)
    except ConnectionError:
        pass  # await_answer says what happened


def open_receivers(params, receivers):
    """Connect to every target_host and authenticate it both ways; ``receivers`` grows as they accept.

    A receiver that fails the handshake is closed and never joins ``receivers``, so it gets no abort message either.
    """
    for host in params["target_host"]:
        conn = connect_with_retry(host, params["target_port"], params["connect_timeout"])
        try:
            conn.settimeout(min(params["timeout"], HANDSHAKE_TIMEOUT))
            authenticate_receiver(conn, params["token"], host, params["target_port"])
            await_answer((conn, host), "this sender's proof of the token")
        except BaseException:
            conn.close()
            raise
        conn.settimeout(params["timeout"])
        receivers.append((conn, host))


def abort_receivers(receivers, message):
    for conn, _host in receivers:
        try:
            conn.sendall(encode_abort(message))
        except OSError:
            pass


def run_send(module, progress, private_dir, result):
    params = module.params
    progress.begin("connecting")
    receivers = []
    process = None
    try:
        try:
            open_receivers(params, receivers)
        except StreamFailure as exc:
            abort_receivers(receivers, "another receiver of this stream failed: %s" % exc)
            raise
        result["peer_address"] = receivers[0][0].getpeername()[0]
        result["peer_addresses"] = [conn.getpeername()[0] for conn, _host in receivers]
        defaults_file = os.path.join(private_dir, "client.cnf")
        config_file = params.get("config_file")  # type=path: already expanded
        write_private_file(defaults_file, client_defaults(
            params, include_file=config_file if config_file and os.path.isfile(config_file) else None))
        target_dir = os.path.join(private_dir, "target")
        os.mkdir(target_dir, 0o700)
        command = result["command"] = [
            backup_binary(module), "--defaults-file=%s" % defaults_file, "--backup", "--stream=xbstream",
            # The commit block at the end waits for the redo log copier's next look; its default 1 s
            # interval alone would block writes on the source for about a second.
            "--log-copy-interval=100", "--parallel=%d" % params["parallel"], "--target-dir=%s" % target_dir]
        log_path = os.path.join(private_dir, "mariadb-backup.log")
        progress.start_clock()
        progress.set("streaming")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                       cwd=private_dir)
            # mariadb-backup reads its option files more than once while it starts (so no pipe), then
            # connects: from then on the file with the login is not needed on disk.
            wait_until_connecting(process, log_path)
            os.unlink(defaults_file)
            try:
                total = stream_backup(process, receivers, progress)
            except StreamFailure as exc:
                process.kill()
                process.wait()
                abort_receivers(receivers, "another receiver of this stream failed: %s" % exc)
                raise
            process.stdout.close()
            rc = process.wait()
        with open(log_path, "rb") as log:
            log_text = log.read().decode("utf-8", "replace")
        if rc != 0:
            message = "mariadb-backup --backup failed (exit code %s): %s" % (rc, tail(log_text))
            abort_receivers(receivers, message)
            raise StreamFailure(message)
        seconds = progress.seconds
        for conn, _host in receivers:
            conn.sendall(encode_end(total))
        progress.set("extracting")
        for receiver in receivers:
            await_answer(receiver, "the complete stream (mbstream -x)")
    finally:
        for conn, _host in receivers:
            conn.close()
        if process and process.poll() is None:
            process.kill()
            process.wait()
    result.update(bytes=total, seconds=round(seconds, 2), rate_mb_s=rate_mib_s(total, seconds))
    position = parse_backup_log_position(log_text)
    if position:
        result.update(position)


def wait_until_connecting(process, log_path, timeout=OPTIONS_READ_TIMEOUT):
    """Return once mariadb-backup logged that it connects (its options read), exited, or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        with open(log_path, "rb") as log:
            if CONNECTING_MARK in log.read(1 << 16):
                return
        time.sleep(0.02)


def backup_binary(module):
    return module.get_bin_path("mariadb-backup") or module.get_bin_path("mariabackup")


def cleanup_staging(path, existed):
    """Remove what a failed receive extracted (the directory was absent or empty before), so a retry can run."""
    if not os.path.isdir(path):
        return
    if existed:
        for name in os.listdir(path):
            entry = os.path.join(path, name)
            if os.path.isdir(entry) and not os.path.islink(entry):
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.unlink(entry)
    else:
        shutil.rmtree(path, ignore_errors=True)
