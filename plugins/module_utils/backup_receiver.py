# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The receiving side of mariadb_backup_stream: one authenticated connection extracted by mbstream, then prepared.

It listens on this host's addresses of listen_address, accepts the first connection from allowed_address
(others are closed and listed), proves it knows the token and checks the sender's proof before it extracts
anything, and tells a complete stream (END frame) from a sender that died half-way.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_files import (
    BINLOG_INFO_FILES, BackupFileError, first_present, parse_binlog_info)
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_protocol import (
    ACCEPT, FRAME_HEADER, KIND_ABORT, KIND_DATA, KIND_END, MAGIC, NONCE_BYTES, PROOF_BYTES, REJECT,
    AuthenticationError, BackupStreamError, ReceiverHandshake, decode_frame_header)
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_transfer import (
    CAN_SPLICE, HANDSHAKE_TIMEOUT, READ_SIZE, StreamFailure, backup_binary, recv_exact, send_quietly, splice_exact,
    widen_pipe)
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import rate_mib_s, tail


# --- who may connect -----------------------------------------------------------------------------------------


def normalize_address(address):
    """An IP address as a canonical string; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes a.b.c.d."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def address_allowed(peer_address, allowed_addresses):
    """Whether a peer (an IP string) is one of the allowed addresses (normalized IP strings)."""
    try:
        return normalize_address(peer_address) in allowed_addresses
    except ValueError:
        return False


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
        send_quietly(conn, REJECT)
        raise StreamFailure("rejected the connection from %s: %s." % (peer, exc))
    except BackupStreamError as exc:
        raise StreamFailure("rejected the connection from %s: %s." % (peer, exc))
    except ConnectionError as exc:
        raise StreamFailure("the connection from %s broke during the handshake (%s)" % (peer, exc))


# --- the stream into mbstream, and the copy --------------------------------------------------------------------


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
            except BackupFileError as exc:
                module.warn("%s: %s" % (info_file, exc))
    else:
        module.warn("the copy has no %s: the source's binary log seems off, so no position was recorded"
                    % " or ".join(BINLOG_INFO_FILES))


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
