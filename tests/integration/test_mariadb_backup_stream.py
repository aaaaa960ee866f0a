"""mariadb_backup_stream and mariadb_backup_restore on real servers: a physical copy from one lab server
streamed over loopback TCP, prepared, installed as another server's data directory, and replicating on."""

from __future__ import annotations

import json
import os
import pwd
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, _free_port, connection_running, wait_for

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_protocol import (
    ACCEPT, CHALLENGE_SIZE, HELLO_SIZE, MAGIC, NONCE_BYTES, PROOF_BYTES, REJECT, SenderHandshake, encode_end)
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_transfer import recv_exact

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("REPLKIT_MARIADB_IMAGE")),
    reason="mariadb-backup must match the server's version and run beside it: the host's 10.11 tool cannot copy "
           "the servers of REPLKIT_MARIADB_IMAGE")

TOKEN = "seed-token-\u00e9'\"\\;"


class Background:
    """Runs a module in a thread (the receiver waits while the test runs the sender)."""

    def __init__(self, run_module, name, args):
        self.result = None
        self._thread = threading.Thread(target=self._run, args=(run_module, name, args), daemon=True)
        self._thread.start()

    def _run(self, run_module, name, args):
        self.result = run_module(name, args)

    def join(self, timeout=300):
        self._thread.join(timeout)
        assert self.result is not None, "the background module did not finish"
        return self.result


def receive_args(port, staging_dir, **overrides):
    args = dict(mode="receive", listen_address="127.0.0.1", listen_port=port, allowed_address="127.0.0.1",
                token=TOKEN, staging_dir=str(staging_dir), timeout=60)
    args.update(overrides)
    return args


def start_receiver(run_module, args):
    receiver = Background(run_module, "mariadb_backup_stream", args)
    # Wait until it listens, so a test that sends once (without the sender's retries) does not race.
    wait_for(lambda: _listening(args["listen_address"], args["listen_port"]) or receiver.result is not None)
    return receiver


def _listening(address, port):
    path = Path("/proc/net/tcp")
    needle = ":%04X" % port
    for line in path.read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(needle) and fields[3] == "0A":  # 0A: LISTEN
            return True
    return False


class ArgvWatcher:
    """Collects the command lines of running mariadb-backup processes, to prove no password is on any."""

    def __init__(self):
        self.seen = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    cmdline = Path("/proc", entry, "cmdline").read_bytes()
                except OSError:
                    continue
                if b"mariadb-backup" in cmdline and b"--backup" in cmdline:
                    self.seen.append(cmdline.split(b"\0"))
            time.sleep(0.005)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.seen


def populate(source, megabytes=24):
    """Some tables, a few MiB of rows and writes in two GTID domains."""
    source.query("CREATE DATABASE seedtest")
    source.query("CREATE TABLE seedtest.blob_rows (id INT PRIMARY KEY, payload MEDIUMTEXT) ENGINE=InnoDB")
    source.query("CREATE TABLE seedtest.aria_rows (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=Aria")
    chunk = 1024 * 1024
    for start in range(0, megabytes, 4):
        source.query("INSERT INTO seedtest.blob_rows VALUES " + ", ".join(
            "(%d, REPEAT(SHA2('%d', 256), %d))" % (row, row, chunk // 64) for row in range(start, start + 4)))
    conn = source.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION gtid_domain_id = 7")
            cur.execute("INSERT INTO seedtest.aria_rows VALUES (1, 'domain seven'), (2, 'again')")
    finally:
        conn.close()
    source.query("UPDATE seedtest.blob_rows SET payload = CONCAT(payload, 'x') WHERE id = 3")


def table_checksums(server):
    rows = server.query("CHECKSUM TABLE seedtest.blob_rows, seedtest.aria_rows")
    return {row["Table"]: row["Checksum"] for row in rows}


def test_stream_prepare_restore_and_replicate(mariadb_lab, run_module, tmp_path):
    source, replica = mariadb_lab.start(2)
    populate(source)
    expected_gtid = source.scalar("SELECT @@gtid_binlog_pos")
    assert "7-1-" in expected_gtid and "0-1-" in expected_gtid
    master_status = source.query("SHOW MASTER STATUS")[0]
    expected_checksums = table_checksums(source)

    port = _free_port()
    staging_dir = replica.basedir / "staging"  # beside the data directory: the restore renames it
    receiver_progress = tmp_path / "seed-work" / "receive-progress.json"  # its directory made by the module
    sender_progress = tmp_path / "send-progress.json"
    receiver = start_receiver(run_module, receive_args(port, staging_dir, progress_file=str(receiver_progress)))
    watcher = ArgvWatcher()
    sent = run_module("mariadb_backup_stream", dict(
        mode="send", target_host="127.0.0.1", target_port=port, token=TOKEN, progress_file=str(sender_progress),
        **source.login_args()))
    command_lines = watcher.stop()
    received = receiver.join()

    assert not sent["failed"], sent["msg"]
    assert not received["failed"], received["msg"]
    assert sent["changed"] and received["changed"]
    print("\nstream: %d bytes in %.2f s = %.1f MiB/s; prepare %.2f s" % (
        received["bytes"], received["seconds"], received["rate_mb_s"], received["prepare_seconds"]))
    assert sent["bytes"] == received["bytes"] > 24 * 1024 * 1024
    assert received["rate_mb_s"] > 0 and received["prepare_seconds"] > 0
    assert received["peer_address"] == "127.0.0.1" and received["ignored_connections"] == []
    assert received["listen_addresses"] == ["127.0.0.1"]

    # The position of the copy is the source's at the end of the backup (nothing was written since).
    assert received["gtid_pos"] == sent["gtid_pos"] == expected_gtid
    assert received["binlog_file"] == master_status["File"]
    assert received["binlog_pos"] == master_status["Position"]

    # Prepared, private, complete.
    assert stat.S_IMODE(staging_dir.stat().st_mode) == 0o700
    assert "backup_type = log-applied" in (staging_dir / "xtrabackup_checkpoints").read_text()
    assert (staging_dir / "seedtest" / "blob_rows.ibd").exists()

    # Progress files: 0600, final phase done, counts match.
    assert stat.S_IMODE(receiver_progress.parent.stat().st_mode) == 0o700
    for path, result in ((receiver_progress, received), (sender_progress, sent)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        progress = json.loads(path.read_text())
        assert progress["phase"] == "done" and progress["bytes"] == result["bytes"]
        assert progress["rate_mb_s"] > 0 and progress["updated_at"].endswith("Z")

    # The password was on no command line; the defaults file came first and is gone.
    assert command_lines, "mariadb-backup was never seen running"
    for argv in command_lines:
        assert ADMIN_PASSWORD.encode() not in b" ".join(argv)
        assert argv[1].startswith(b"--defaults-file=")
    assert sent["command"][1].startswith("--defaults-file=")
    assert not os.path.exists(os.path.dirname(sent["command"][1].split("=", 1)[1]))

    # Replication state of some other source must not travel with the copy.
    (staging_dir / "master.info").write_text("stale\n")
    (staging_dir / "relay-log.info").write_text("5\n./db9-relay-bin.000004\n4\nsrc-bin.000001\n4\n")
    (staging_dir / "db9-relay-bin.index").write_text("./db9-relay-bin.000004\n")
    (staging_dir / "db9-relay-bin.000004").write_text("relay log\n")

    # Restore: refused while the server runs, then done with it stopped.
    state_file = tmp_path / "seed-state" / "state.json"
    restore_args = dict(staging_dir=str(staging_dir), datadir=str(replica.datadir),
                        login_unix_socket=str(replica.socket), state_file=str(state_file), state_connection="Seed")
    refused = run_module("mariadb_backup_restore", restore_args)
    assert refused["failed"] and "still accepts connections on login_unix_socket" in refused["msg"]

    replica.stop()
    (replica.datadir / "replica-marker.txt").write_text("the replica's own data\n")
    original_mode = stat.S_IMODE(replica.datadir.stat().st_mode)
    original_entries = sorted(os.listdir(replica.datadir))

    checked = run_module("mariadb_backup_restore", restore_args, check_mode=True, diff=True)
    assert not checked["failed"], checked["msg"]
    assert checked["changed"] and not os.path.exists(checked["previous_datadir"])
    assert (replica.datadir / "replica-marker.txt").exists() and staging_dir.exists()
    assert checked["removed_files"] == ["db9-relay-bin.000004", "db9-relay-bin.index", "master.info",
                                        "relay-log.info"]
    assert (staging_dir / "master.info").exists()
    assert not state_file.exists(), "check mode records nothing"

    restored = run_module("mariadb_backup_restore", restore_args)
    assert not restored["failed"], restored["msg"]
    assert restored["changed"] and restored["moved_by"] == "rename"
    assert restored["gtid_pos"] == expected_gtid
    # The durable record: complete, under the connection's name in lower case (an entry left at 'started' is
    # an unfinished copy that the seed role redoes).
    recorded = json.loads(state_file.read_text())["seed"]
    assert recorded["phase"] == "complete" and recorded["method"] == "mariadb_backup"
    assert recorded["gtid_pos"] == expected_gtid
    assert restored["removed_files"] == checked["removed_files"]
    previous = Path(restored["previous_datadir"])
    assert previous.name.startswith("data.replkit-") and previous.parent == replica.basedir
    assert sorted(os.listdir(previous)) == original_entries  # nothing of the old data directory was lost
    assert (previous / "replica-marker.txt").read_text() == "the replica's own data\n"
    assert not staging_dir.exists()
    assert not (replica.datadir / "replica-marker.txt").exists()
    for name in restored["removed_files"]:
        assert not (replica.datadir / name).exists()
    mysql_uid = pwd.getpwnam("mysql").pw_uid
    assert replica.datadir.stat().st_uid == mysql_uid
    assert (replica.datadir / "seedtest" / "blob_rows.ibd").stat().st_uid == mysql_uid
    assert stat.S_IMODE(replica.datadir.stat().st_mode) == original_mode

    # The replica starts on the copy, holds the data and continues from the copy's GTID position.
    replica.start()
    assert table_checksums(replica) == expected_checksums
    assert replica.scalar("SELECT COUNT(*) FROM seedtest.blob_rows") == 24
    replica.query("SET GLOBAL gtid_slave_pos = %s", (restored["gtid_pos"],))
    replica.query("CHANGE MASTER 'seed' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
                  "MASTER_USE_GTID=slave_pos", (source.host, source.port, ADMIN_USER, ADMIN_PASSWORD))
    replica.query("START SLAVE 'seed'")
    source.query("INSERT INTO seedtest.aria_rows VALUES (3, 'after the copy')")
    wait_for(lambda: replica.query("SELECT v FROM seedtest.aria_rows WHERE id = 3"))
    assert connection_running(replica, "seed")  # no duplicate-key stop: the position was exact
    assert replica.scalar("SELECT COUNT(*) FROM seedtest.aria_rows") == 3


def test_one_backup_streamed_to_two_receivers(mariadb_lab, run_module, tmp_path):
    """target_host with two hosts: one mariadb-backup run, the same complete copy prepared on both."""
    source, = mariadb_lab.start(1)
    populate(source, megabytes=8)
    expected_gtid = source.scalar("SELECT @@gtid_binlog_pos")
    port = _free_port()
    staging = {address: tmp_path / ("staging-" + address) for address in ("127.0.0.1", "127.0.0.2")}
    receivers = {address: start_receiver(run_module, receive_args(port, staging[address], listen_address=address))
                 for address in staging}
    sent = run_module("mariadb_backup_stream", dict(
        mode="send", target_hosts=list(staging), target_port=port, token=TOKEN, **source.login_args()))
    received = {address: receiver.join() for address, receiver in receivers.items()}

    assert not sent["failed"], sent["msg"]
    assert sent["peer_addresses"] == ["127.0.0.1", "127.0.0.2"]
    for address, result in received.items():
        assert not result["failed"], "%s: %s" % (address, result["msg"])
        assert result["bytes"] == sent["bytes"] > 8 * 1024 * 1024
        assert result["gtid_pos"] == sent["gtid_pos"] == expected_gtid
        assert "backup_type = log-applied" in (staging[address] / "xtrabackup_checkpoints").read_text()
        assert (staging[address] / "seedtest" / "blob_rows.ibd").stat().st_size > 8 * 1024 * 1024


def test_a_missing_receiver_stops_the_others(mariadb_lab, run_module, tmp_path):
    """The second target does not listen: no backup is taken and the first receiver fails instead of waiting."""
    source, = mariadb_lab.start(1)
    port = _free_port()
    staging_dir = tmp_path / "staging"
    receiver = start_receiver(run_module, receive_args(port, staging_dir))
    sent = run_module("mariadb_backup_stream", dict(
        mode="send", target_host=["127.0.0.1", "127.0.0.2"], target_port=port, token=TOKEN, connect_timeout=2,
        **source.login_args()))
    received = receiver.join()
    assert sent["failed"] and "cannot connect to target_host 127.0.0.2 port %d" % port in sent["msg"]
    assert "bytes" not in sent and "command" not in sent  # mariadb-backup never ran
    assert received["failed"]
    assert "the sender stopped the stream: another receiver of this stream failed" in received["msg"]
    assert not staging_dir.exists()


def test_wrong_token_fails_both_sides_and_no_backup_is_taken(mariadb_lab, run_module, tmp_path):
    source, = mariadb_lab.start(1)
    port = _free_port()
    staging_dir = tmp_path / "staging"
    receiver = start_receiver(run_module, receive_args(port, staging_dir))
    sent = run_module("mariadb_backup_stream", dict(mode="send", target_host="127.0.0.1", target_port=port,
                                                    token="not-" + TOKEN, **source.login_args()))
    received = receiver.join()
    assert sent["failed"]
    assert "the receiver 127.0.0.1 (port %d) did not prove it knows the token" % port in sent["msg"]
    assert "Nothing of the backup was sent" in sent["msg"]
    assert received["failed"]
    assert ("rejected the connection from 127.0.0.1: the sender 127.0.0.1 refused this receiver's proof of the token"
            in received["msg"])
    assert not staging_dir.exists()  # what the failed receive created is gone, so it can run again
    assert "bytes" not in sent and "command" not in sent  # mariadb-backup never ran
    for result in (sent, received):
        assert TOKEN not in json.dumps(result)


class Impostor:
    """A listener on the receiver's port that is not the replkit receiver: it records every byte it gets.

    ``speak``: answer the hello with a challenge of its own (it cannot prove the token); else stay silent.
    """

    def __init__(self, address, port, speak):
        self.received = bytearray()
        self.speak = speak
        self.listener = socket.create_server((address, port))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _peer = self.listener.accept()
        with conn:
            conn.settimeout(30)
            if self.speak:
                self.received.extend(recv_exact(conn, HELLO_SIZE))
                conn.sendall(MAGIC + os.urandom(NONCE_BYTES) + os.urandom(PROOF_BYTES))
            while True:
                try:
                    piece = conn.recv(65536)
                except OSError:
                    break
                if not piece:
                    break
                self.received.extend(piece)
        self.listener.close()

    def join(self):
        self.thread.join(60)
        assert not self.thread.is_alive()
        return bytes(self.received)


@pytest.mark.parametrize("speak, message", [
    (True, "the receiver 127.0.0.1 (port {port}) did not prove it knows the token: the tokens of mode=send and "
           "mode=receive differ, or something other than the replkit receiver listens there. Nothing of the backup "
           "was sent to it."),
    (False, "the receiver 127.0.0.1 (port {port}) accepted the connection but did not prove it knows the token "
            "within 3 s"),
])
def test_an_impostor_on_the_receivers_port_gets_nothing_of_the_backup(mariadb_lab, run_module, speak, message):
    """Whoever listens first on the replica's port used to get the token and the whole datadir; now it gets the
    sender's hello (a nonce) and a refusal, mariadb-backup never runs, and the send fails saying why."""
    source, = mariadb_lab.start(1)
    populate(source, megabytes=4)
    port = _free_port()
    impostor = Impostor("127.0.0.1", port, speak)
    sent = run_module("mariadb_backup_stream", dict(mode="send", target_host="127.0.0.1", target_port=port,
                                                    token=TOKEN, timeout=3, connect_timeout=5, **source.login_args()))
    got = impostor.join()
    assert sent["failed"] and message.format(port=port) in sent["msg"], sent["msg"]
    assert "bytes" not in sent and "command" not in sent  # mariadb-backup never ran
    assert got[:HELLO_SIZE].startswith(MAGIC) and len(got) <= HELLO_SIZE + 1
    assert got[HELLO_SIZE:] in (REJECT, b"")
    assert TOKEN.encode("utf-8") not in got and ADMIN_PASSWORD.encode("utf-8") not in got


def test_the_receiver_listens_on_its_address_only(run_module, tmp_path):
    """Bound to 127.0.0.1, the receiver is not reachable on 127.0.0.2 (routable on Linux loopback); an address
    of another host is refused before anything waits."""
    port = _free_port()
    staging_dir = tmp_path / "staging"
    receiver = start_receiver(run_module, receive_args(port, staging_dir, prepare=False, timeout=30))
    elsewhere = run_module("mariadb_backup_stream", dict(mode="send", target_host="127.0.0.2", target_port=port,
                                                         token=TOKEN, connect_timeout=2))
    assert elsewhere["failed"] and "cannot connect to target_host 127.0.0.2 port %d" % port in elsewhere["msg"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5).close()
    assert receiver.result is None  # nothing reached it: still waiting

    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        handshake = SenderHandshake(TOKEN)
        client.sendall(handshake.hello())
        client.sendall(handshake.answer(recv_exact(client, CHALLENGE_SIZE)))
        assert client.recv(1) == ACCEPT
        client.sendall(encode_end(0))
        assert client.recv(1) == ACCEPT
    received = receiver.join()
    assert not received["failed"], received["msg"]
    assert received["listen_addresses"] == ["127.0.0.1"] and received["ignored_connections"] == []

    foreign = run_module("mariadb_backup_stream", receive_args(port, tmp_path / "other", listen_address="198.51.100.7"))
    assert foreign["failed"]
    assert "listen_address '198.51.100.7' is not an address of this host" in foreign["msg"]
    assert not (tmp_path / "other").exists()


def test_connections_from_other_addresses_are_ignored(run_module, tmp_path):
    """The allowed address is 127.0.0.2; the sender from 127.0.0.1 is closed, a client from 127.0.0.2 gets in."""
    port = _free_port()
    staging_dir = tmp_path / "staging"
    progress_file = tmp_path / "progress.json"
    receiver = start_receiver(run_module, receive_args(port, staging_dir, allowed_address="127.0.0.2",
                                                       prepare=False, timeout=20, progress_file=str(progress_file)))
    # While it waits, the progress file says so and is refreshed at least every 2 s.
    first = wait_for(lambda: progress_file.exists() and json.loads(progress_file.read_text()))
    assert first["phase"] == "listening" and first["bytes"] == 0
    wait_for(lambda: json.loads(progress_file.read_text())["updated_at"] != first["updated_at"], timeout=2.5)
    stranger = run_module("mariadb_backup_stream", dict(mode="send", target_host="127.0.0.1", target_port=port,
                                                        token=TOKEN, connect_timeout=5))
    assert stranger["failed"] and "closed the connection before proving it knows the token" in stranger["msg"]
    assert receiver.result is None  # still waiting for the allowed address

    with socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0), timeout=10) as client:
        handshake = SenderHandshake(TOKEN)
        client.sendall(handshake.hello())
        client.sendall(handshake.answer(recv_exact(client, CHALLENGE_SIZE)))
        assert client.recv(1) == ACCEPT
        client.sendall(encode_end(0))  # an empty but complete stream
        assert client.recv(1) == ACCEPT
    received = receiver.join()
    assert not received["failed"], received["msg"]
    assert received["ignored_connections"] == ["127.0.0.1"]
    assert received["peer_address"] == "127.0.0.2"
    assert received["bytes"] == 0 and received["prepare_seconds"] == 0


def test_receiver_times_out_without_connection(run_module, tmp_path):
    staging_dir = tmp_path / "staging"
    staging_dir.mkdir()  # an existing empty directory is accepted and stays
    result = run_module("mariadb_backup_stream", receive_args(_free_port(), staging_dir, timeout=2))
    assert result["failed"]
    assert "no connection from allowed_address within timeout=2 s" in result["msg"]
    assert staging_dir.is_dir() and os.listdir(staging_dir) == []


def test_failed_backup_stops_both_sides(mariadb_lab, run_module, tmp_path):
    source, = mariadb_lab.start(1)
    port = _free_port()
    staging_dir = tmp_path / "staging"
    receiver = start_receiver(run_module, receive_args(port, staging_dir))
    sent = run_module("mariadb_backup_stream", dict(
        mode="send", target_host="127.0.0.1", target_port=port, token=TOKEN,
        **dict(source.login_args(), login_password="wrong password")))
    received = receiver.join()
    assert sent["failed"] and "mariadb-backup --backup failed" in sent["msg"]
    assert "Access denied" in sent["msg"]
    assert received["failed"] and "the sender stopped the stream: mariadb-backup --backup failed" in received["msg"]
    assert not staging_dir.exists()


def test_check_mode_does_nothing(run_module, tmp_path):
    port = _free_port()
    staging_dir = tmp_path / "staging"
    received = run_module("mariadb_backup_stream", receive_args(port, staging_dir), check_mode=True)
    assert not received["failed"] and received["changed"]
    assert "would listen on 127.0.0.1:%d" % port in received["msg"]
    assert not staging_dir.exists()
    sent = run_module("mariadb_backup_stream", dict(mode="send", target_host="127.0.0.1", target_port=port,
                                                    token=TOKEN), check_mode=True)
    assert not sent["failed"] and sent["changed"] and "would run mariadb-backup" in sent["msg"]


def test_invalid_input_is_reported_at_once(run_module, tmp_path):
    staging_dir = tmp_path / "full"
    staging_dir.mkdir()
    (staging_dir / "ibdata1").write_text("x")
    progress_file = staging_dir / "ibdata1" / "progress.json"
    result = run_module("mariadb_backup_stream", receive_args(0, staging_dir, timeout=0, progress_file=str(progress_file)))
    assert result["failed"]
    for message in ("listen_port is 0", "timeout is 0", "staging_dir %s is not empty" % staging_dir,
                    "progress_file %s lies under %s, which is not a directory" % (progress_file, progress_file.parent)):
        assert message in result["msg"]


def test_restore_refuses_unprepared_or_missing(run_module, tmp_path):
    datadir = tmp_path / "data"
    datadir.mkdir()
    unprepared = tmp_path / "unprepared"
    unprepared.mkdir()
    (unprepared / "backup-my.cnf").write_text("[mysqld]\n")
    (unprepared / "xtrabackup_checkpoints").write_text("backup_type = full-backuped\n")
    args = dict(staging_dir=str(unprepared), datadir=str(datadir), login_unix_socket=str(tmp_path / "none.sock"))

    result = run_module("mariadb_backup_restore", args)
    assert result["failed"] and "is not prepared (xtrabackup_checkpoints says backup_type = full-backuped" in result["msg"]

    result = run_module("mariadb_backup_restore", dict(args, datadir=str(tmp_path / "absent")))
    assert result["failed"] and "datadir %s does not exist" % (tmp_path / "absent") in result["msg"]

    (datadir / "mysqld.pid").write_text("%d\n" % os.getpid())  # a live pid, but not a server: stale
    not_a_copy = tmp_path / "not-a-copy"
    not_a_copy.mkdir()
    result = run_module("mariadb_backup_restore", dict(args, staging_dir=str(not_a_copy)))
    assert result["failed"] and "not a mariadb-backup copy" in result["msg"]
    assert "server still runs" not in result["msg"]
    assert sorted(os.listdir(tmp_path)) == ["data", "not-a-copy", "unprepared"]  # nothing moved


def test_restore_checks_the_position_it_is_asked_to_set_before_moving_anything(run_module, tmp_path):
    datadir = tmp_path / "data"
    datadir.mkdir()
    prepared = tmp_path / "prepared"  # prepared, but its source wrote no binary log: no position
    prepared.mkdir()
    (prepared / "backup-my.cnf").write_text("[mysqld]\n")
    (prepared / "xtrabackup_checkpoints").write_text("backup_type = full-prepared\n")
    args = dict(staging_dir=str(prepared), datadir=str(datadir), login_unix_socket=str(tmp_path / "none.sock"),
                set_gtid_slave_pos=True)

    result = run_module("mariadb_backup_restore", args)
    assert result["failed"] and "set_gtid_slave_pos needs service" in result["msg"]

    # A unit that does not exist is never reached: the missing position stops the module first.
    result = run_module("mariadb_backup_restore", dict(args, service="replkit-no-such-unit"))
    assert result["failed"] and "the copy has no GTID position" in result["msg"]
    assert "Nothing was moved" in result["msg"]
    assert sorted(os.listdir(tmp_path)) == ["data", "prepared"]
