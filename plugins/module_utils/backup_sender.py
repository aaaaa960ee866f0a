# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sending side of mariadb_backup_stream: mariadb-backup --backup streamed to every receiver.

It connects to each target_host, lets the receiver prove it knows the token before proving it in turn, then
frames mariadb-backup's stdout to all receivers and waits for each to confirm the extracted copy.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_files import parse_backup_log_position
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_protocol import (
    ACCEPT, CHALLENGE_SIZE, MAGIC, MAX_CHUNK, REJECT, AuthenticationError, BackupStreamError, SenderHandshake,
    encode_abort, encode_data_header, encode_end)
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_transfer import (
    CAN_SPLICE, HANDSHAKE_TIMEOUT, READ_SIZE, StreamFailure, backup_binary, pipe_readable_bytes, recv_exact,
    send_quietly, splice_exact, wait_ready, widen_pipe)
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    client_option_file, login_client_options, write_private_file)
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import rate_mib_s, tail

# What mariadb-backup logs once it read its options and connects to the server (10.5 to 11.8).
CONNECTING_MARK = b"Connecting to "
OPTIONS_READ_TIMEOUT = 60.0
# A receiver started in the same task as the sender listens a moment later: retry soon.
CONNECT_RETRY_DELAY = 0.2


def client_defaults(params, include_file=None):
    """The client defaults file mariadb-backup logs in with: the common login options (see client_option_file)."""
    return client_option_file(login_client_options(params), include_file)


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
        send_quietly(conn, REJECT)
        raise StreamFailure("%s. Nothing of the backup was sent to it." % exc)
    except BackupStreamError as exc:
        raise StreamFailure("%s. Nothing of the backup was sent to it." % exc)
    try:
        conn.sendall(answer)
    except ConnectionError:
        pass  # await_answer says what happened


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


def wait_until_connecting(process, log_path, timeout=OPTIONS_READ_TIMEOUT):
    """Return once mariadb-backup logged that it connects (its options read), exited, or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        with open(log_path, "rb") as log:
            if CONNECTING_MARK in log.read(1 << 16):
                return
        time.sleep(0.02)


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
