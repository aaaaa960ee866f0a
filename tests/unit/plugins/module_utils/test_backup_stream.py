"""Pure helpers of the mariadb-backup seeding method: files, framing, checks."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_stream import (
    ACCEPT, CHALLENGE_SIZE, FRAME_HEADER, HELLO_SIZE, KIND_ABORT, KIND_DATA, KIND_END, MAGIC, MAX_CHUNK,
    MAX_TOKEN_BYTES, NONCE_BYTES, PROOF_BYTES, RECEIVER_LABEL, REJECT, SENDER_LABEL, AuthenticationError,
    BackupStreamError, ReceiverHandshake, SenderHandshake, address_allowed, check_magic, client_defaults,
    decode_frame_header, encode_abort, encode_data, encode_end, first_present, normalize_address,
    parse_backup_log_position, parse_binlog_info, parse_checkpoints, prepared_backup_problem,
    previous_datadir_path, proof, relay_logs_named_in, replication_state_files, staging_dir_problem,
    validate_stream_params)


# --- binary log info files of the three supported versions ---------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # 10.5 (bullseye) xtrabackup_binlog_info
    ("mysql-bin.000003\t385\t0-1-12\n", ("mysql-bin.000003", 385, "0-1-12")),
    # 10.11 (bookworm), as seen on the host: tab separated, several domains
    ("db1-bin.000001\t845\t0-1-3,1-2-7\n", ("db1-bin.000001", 845, "0-1-3,1-2-7")),
    # 11.8 (trixie) mariadb_backup_binlog_info
    ("mariadb-bin.000042\t1337\t0-1-1042\n", ("mariadb-bin.000042", 1337, "0-1-1042")),
    # documented with spaces instead of tabs
    ("mariadb-bin.000096 568 0-1-2", ("mariadb-bin.000096", 568, "0-1-2")),
    # no GTID written yet (or a version that omits it): file and position only
    ("mariadb-bin.000001\t328\n", ("mariadb-bin.000001", 328, "")),
    ("mariadb-bin.000001\t328\t\n", ("mariadb-bin.000001", 328, "")),
    # a GTID list split by ", " still reads as one position
    ("b.000002\t4\t0-1-3, 1-2-7\n", ("b.000002", 4, "0-1-3,1-2-7")),
    ("\n  b.000002\t4\t0-1-3\n\n", ("b.000002", 4, "0-1-3")),
])
def test_parse_binlog_info(text, expected):
    info = parse_binlog_info(text)
    assert (info["binlog_file"], info["binlog_pos"], info["gtid_pos"]) == expected


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n", "empty"),
    ("mariadb-bin.000001", "expected 'FILE<TAB>POSITION<TAB>GTID'"),
    ("mariadb-bin.000001\tabc\t0-1-2", "expected 'FILE<TAB>POSITION<TAB>GTID'"),
    ("mariadb-bin.000001\t4\t0-1", "malformed GTID '0-1'"),
])
def test_parse_binlog_info_rejects(text, message):
    with pytest.raises(BackupStreamError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_binlog_info(text)


def test_parse_backup_log_position():
    log = ("[00] 2026-11-21 18:52:03 Streaming xtrabackup_binlog_info\n"
           "[00] 2026-11-21 18:52:03 MySQL binlog position: filename 'db1-bin.000001', position '845', "
           "GTID of the last change '0-1-3'\n")
    assert parse_backup_log_position(log) == {"binlog_file": "db1-bin.000001", "binlog_pos": 845, "gtid_pos": "0-1-3"}
    assert parse_backup_log_position("binlog position: filename 'b.000001', position '4'") == {
        "binlog_file": "b.000001", "binlog_pos": 4, "gtid_pos": ""}
    assert parse_backup_log_position("completed OK!") is None


def test_checkpoints_and_prepared_state():
    before = "backup_type = full-backuped\nfrom_lsn = 0\nto_lsn = 44760\n"
    assert parse_checkpoints(before) == {"backup_type": "full-backuped", "from_lsn": "0", "to_lsn": "44760"}
    names = ["backup-my.cnf", "xtrabackup_checkpoints", "ibdata1"]
    assert "is not prepared" in prepared_backup_problem(names, before)
    assert "backup_type = full-backuped" in prepared_backup_problem(names, before)
    # 10.5 to 11.x write log-applied after --prepare; xtrabackup wrote full-prepared
    assert prepared_backup_problem(names, "backup_type = log-applied\n") is None
    assert prepared_backup_problem(["backup-my.cnf", "mariadb_backup_checkpoints"],
                                   "backup_type = full-prepared\n") is None
    assert "incremental" in prepared_backup_problem(names, "backup_type = incremental\n")
    assert "not a mariadb-backup copy" in prepared_backup_problem(["ibdata1", "mysql"], "")
    assert "not a mariadb-backup copy" in prepared_backup_problem(["xtrabackup_checkpoints"], "backup_type = log-applied")


def test_first_present_prefers_the_newer_name():
    names = ["xtrabackup_binlog_info", "mariadb_backup_binlog_info"]
    assert first_present(names, ("mariadb_backup_binlog_info", "xtrabackup_binlog_info")) == "mariadb_backup_binlog_info"
    assert first_present(["x"], ("a", "b")) is None


# --- token handshake and framing -----------------------------------------------------------------------------

TOKEN = "s3cr\u00e9t"


def handshake(sender_token, receiver_token):
    """Both sides of the handshake in memory: (hello, challenge, proof) or the first error with the side."""
    sender, receiver = SenderHandshake(sender_token), ReceiverHandshake(receiver_token)
    hello = sender.hello()
    challenge = receiver.challenge(hello)
    return sender, receiver, hello, challenge


def test_handshake_with_the_right_token_authenticates_both_sides_and_never_carries_the_token():
    sender, receiver, hello, challenge = handshake(TOKEN, TOKEN)
    assert hello.startswith(MAGIC) and len(hello) == HELLO_SIZE
    assert challenge.startswith(MAGIC) and len(challenge) == CHALLENGE_SIZE
    answer = sender.answer(challenge)
    assert answer[:1] == ACCEPT and len(answer) == 1 + PROOF_BYTES
    receiver.check(answer)  # no exception: the sender proved itself
    for sent in (hello, challenge, answer):
        assert TOKEN.encode("utf-8") not in sent
    # Each side's proof is HMAC-SHA256 over its own label, the magic and both nonces.
    key = TOKEN.encode("utf-8")
    assert challenge[-PROOF_BYTES:] == proof(key, RECEIVER_LABEL, sender.nonce, receiver.nonce)
    assert answer[1:] == proof(key, SENDER_LABEL, sender.nonce, receiver.nonce)
    assert RECEIVER_LABEL != SENDER_LABEL


def test_fresh_nonces_make_every_handshake_different():
    first = handshake(TOKEN, TOKEN)
    second = handshake(TOKEN, TOKEN)
    assert first[2] != second[2] and first[3] != second[3]
    assert len(first[0].nonce) == len(first[1].nonce) == NONCE_BYTES
    # A proof recorded from one handshake does not pass another.
    answer = first[0].answer(first[3])
    second[0].answer(second[3])
    with pytest.raises(AuthenticationError, match="did not prove it knows the token"):
        second[1].check(answer)


def test_wrong_token_at_the_sender_refuses_the_receiver_before_any_proof_of_its_own():
    """The receiver (an impostor, or a wrong token) cannot prove the token: the sender raises at once."""
    sender, _receiver, _hello, challenge = handshake(TOKEN, "not the token")
    with pytest.raises(AuthenticationError, match="the receiver did not prove it knows the token"):
        sender.answer(challenge)


def test_an_impostor_receiver_that_echoes_or_invents_a_proof_is_refused():
    sender = SenderHandshake(TOKEN)
    hello = sender.hello()
    # Replaying the sender's own nonce and something random as the proof.
    with pytest.raises(AuthenticationError, match="echoed this sender's nonce"):
        sender.answer(MAGIC + hello[len(MAGIC):] + bytes(PROOF_BYTES))
    with pytest.raises(AuthenticationError, match="did not prove it knows the token"):
        sender.answer(MAGIC + bytes(range(NONCE_BYTES)) + bytes(PROOF_BYTES), "the receiver 192.0.2.9 (port 4444)")
    # A receiver proof computed with the sender's label (a reflected sender proof) does not pass either.
    nonce = bytes(range(NONCE_BYTES))
    reflected = proof(TOKEN.encode("utf-8"), SENDER_LABEL, sender.nonce, nonce)
    with pytest.raises(AuthenticationError):
        sender.answer(MAGIC + nonce + reflected)


def test_wrong_token_at_the_receiver_is_refused():
    """A sender that does not know the token (it answers with a made-up proof) is refused by the receiver."""
    sender, receiver, _hello, challenge = handshake("not the token", TOKEN)
    with pytest.raises(AuthenticationError):
        sender.answer(challenge)  # a real sender refuses first ...
    forged = ACCEPT + bytes(PROOF_BYTES)  # ... an impostor sender answers anyway
    with pytest.raises(AuthenticationError, match="the sender did not prove it knows the token"):
        receiver.check(forged)
    with pytest.raises(AuthenticationError, match="refused this receiver's proof of the token"):
        receiver.check(REJECT)
    with pytest.raises(AuthenticationError, match="closed the connection or sent garbage"):
        receiver.check(ACCEPT + b"short")
    with pytest.raises(AuthenticationError, match="closed the connection or sent garbage"):
        receiver.check(b"")


def test_the_receiver_checks_a_proof_only_after_its_challenge():
    with pytest.raises(BackupStreamError, match="only after its challenge"):
        ReceiverHandshake(TOKEN).check(ACCEPT + bytes(PROOF_BYTES))


@pytest.mark.parametrize("first_bytes, message", [
    (b"", "closed the connection before the handshake"),
    (b"RKX", "closed the connection before the handshake"),
    (b"RKXB1\n", "speaks RKXB1, the backup stream protocol of an older replkit.mariadb"),
    (b"GET / ", "does not speak the replkit backup stream protocol RKXB2"),
])
def test_magic_names_an_old_peer_or_a_stranger(first_bytes, message):
    with pytest.raises(BackupStreamError, match=message):
        check_magic(first_bytes, "the peer")
    check_magic(MAGIC, "the peer")


def test_truncated_hello_or_challenge_is_refused():
    receiver = ReceiverHandshake(TOKEN)
    with pytest.raises(BackupStreamError, match="in the middle of its hello"):
        receiver.challenge(MAGIC + b"\x00" * 5)
    sender = SenderHandshake(TOKEN)
    with pytest.raises(BackupStreamError, match="in the middle of its challenge"):
        sender.answer(MAGIC + b"\x00" * 40)


def test_handshake_refuses_bad_tokens():
    for side in (SenderHandshake, ReceiverHandshake):
        with pytest.raises(BackupStreamError, match="token is empty"):
            side("")
        with pytest.raises(BackupStreamError, match="at most 1024"):
            side("x" * (MAX_TOKEN_BYTES + 1))


def test_frames_round_trip():
    frame = encode_data(b"xbstream bytes")
    assert decode_frame_header(frame[:FRAME_HEADER.size]) == (KIND_DATA, 14)
    assert frame[FRAME_HEADER.size:] == b"xbstream bytes"
    assert decode_frame_header(encode_end(123456789012)) == (KIND_END, 123456789012)
    abort = encode_abort("mariadb-backup failed")
    assert decode_frame_header(abort[:FRAME_HEADER.size]) == (KIND_ABORT, 21)
    assert abort[FRAME_HEADER.size:] == b"mariadb-backup failed"
    assert ACCEPT != REJECT and len(ACCEPT) == len(REJECT) == 1


def test_frame_limits():
    with pytest.raises(BackupStreamError, match="at least one byte"):
        encode_data(b"")
    with pytest.raises(BackupStreamError, match="at most"):
        encode_data(b"x" * (MAX_CHUNK + 1))
    with pytest.raises(BackupStreamError, match="ended inside a frame header"):
        decode_frame_header(b"D\x00")
    with pytest.raises(BackupStreamError, match="announces"):
        decode_frame_header(FRAME_HEADER.pack(KIND_DATA, MAX_CHUNK + 1))
    with pytest.raises(BackupStreamError, match="announces"):
        decode_frame_header(FRAME_HEADER.pack(KIND_DATA, 0))
    with pytest.raises(BackupStreamError, match="unknown frame kind"):
        decode_frame_header(FRAME_HEADER.pack(b"Z", 1))
    assert len(encode_abort("x" * 10000)) == FRAME_HEADER.size + 4096


# --- who may connect -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("peer, allowed, expected", [
    ("127.0.0.1", {"127.0.0.1"}, True),
    ("::ffff:127.0.0.1", {"127.0.0.1"}, True),
    ("127.0.0.2", {"127.0.0.1"}, False),
    ("192.0.2.10", {"192.0.2.10", "2001:db8::1"}, True),
    ("2001:db8:0::1", {"2001:db8::1"}, True),
    ("fe80::1%eth0", {"fe80::1"}, True),
    ("not-an-address", {"127.0.0.1"}, False),
])
def test_address_allowed(peer, allowed, expected):
    assert address_allowed(peer, allowed) is expected


def test_normalize_address():
    assert normalize_address("::ffff:192.0.2.1") == "192.0.2.1"
    assert normalize_address("2001:DB8::0001") == "2001:db8::1"


# --- replication state of the source -------------------------------------------------------------------------

def test_replication_state_files():
    files = {
        "master.info": "", "multi-master.info": "source_a\n", "master-source_a.info": "",
        "relay-log.info": "5\n./custom-relay.000007\n4\nsrc-bin.000003\n1234\n",
        "relay-log-source_a.info": "./db2-relay-bin-source_a.000002\n4\n",
        "custom-relay.index": "./custom-relay.000007\n./custom-relay.000008\n",
        "custom-relay.000007": "", "custom-relay.000008": "",
        "db2-relay-bin.index": "", "db2-relay-bin.000001": "",
        "db2-relay-bin-source_a.000002": "",
        # the source's own binary log named in relay-log.info must stay, and so must data
        "src-bin.000003": "", "src-bin.index": "", "ibdata1": "", "mysql": "", "xtrabackup_binlog_info": "",
    }
    assert replication_state_files(list(files), files.__getitem__) == sorted([
        "master.info", "multi-master.info", "master-source_a.info", "relay-log.info", "relay-log-source_a.info",
        "custom-relay.index", "custom-relay.000007", "custom-relay.000008", "db2-relay-bin.index",
        "db2-relay-bin.000001", "db2-relay-bin-source_a.000002"])
    assert replication_state_files(["ibdata1", "mysql"], files.__getitem__) == []


def test_relay_logs_named_in():
    assert relay_logs_named_in("/var/lib/mysql/r.000001\n./r.000002\n") == {"r.000001", "r.000002", "r.index"}
    assert relay_logs_named_in("5\n./r.000009\n4\nsrc-bin.000003\n", first_only=True) == {"r.000009", "r.index"}


# --- input checks --------------------------------------------------------------------------------------------

def receive_params(**overrides):
    params = dict(mode="receive", token="t", timeout=600, progress_file=None, allowed_address="192.0.2.1",
                  staging_dir="/var/lib/mysql.staging", listen_port=4444)
    params.update(overrides)
    return params


def send_params(**overrides):
    params = dict(mode="send", token="t", timeout=600, progress_file=None, target_host=["192.0.2.2"],
                  target_port=4444, connect_timeout=30)
    params.update(overrides)
    return params


def test_validate_accepts_good_params():
    assert validate_stream_params(receive_params()) == []
    assert validate_stream_params(send_params(progress_file="/run/p.json")) == []
    assert validate_stream_params(send_params(target_host=["192.0.2.2", "192.0.2.3"])) == []


@pytest.mark.parametrize("params, message", [
    (receive_params(token=""), "token is empty"),
    (receive_params(token="x" * 1025), "token is longer than 1024 bytes"),
    (receive_params(listen_port=0), "listen_port is 0; give a TCP port from 1 to 65535"),
    (receive_params(listen_port=70000), "listen_port is 70000"),
    (receive_params(allowed_address=None), "allowed_address is required with mode=receive"),
    (receive_params(staging_dir=None), "staging_dir is required with mode=receive"),
    (receive_params(staging_dir="staging"), "staging_dir 'staging' is relative; give an absolute path"),
    (receive_params(timeout=0), "timeout is 0; give a positive number of seconds"),
    (receive_params(progress_file="p.json"), "progress_file 'p.json' is relative"),
    (send_params(target_host=[]), "target_host is required with mode=send"),
    (send_params(target_host=["192.0.2.2", ""]), "no entry may be empty"),
    (send_params(target_host=["192.0.2.2", "192.0.2.3", "192.0.2.2"]), "lists 192.0.2.2 more than once"),
    (send_params(target_port=-1), "target_port is -1"),
    (send_params(connect_timeout=0), "connect_timeout is 0"),
    (send_params(parallel=0), "parallel is 0; give the number of copy threads, 1 to 64"),
    (send_params(mode="copy"), "mode is 'copy'; use receive or send"),
])
def test_validate_messages(params, message):
    errors = validate_stream_params(params)
    assert any(message in error for error in errors), errors


def test_validate_reports_every_problem_at_once():
    errors = validate_stream_params(receive_params(token="", listen_port=0, staging_dir="rel"))
    assert len(errors) == 3


def test_staging_dir_problem(tmp_path):
    assert staging_dir_problem(str(tmp_path / "new")) is None
    assert staging_dir_problem(str(tmp_path)) is None  # exists, empty
    (tmp_path / "ibdata1").write_text("x")
    assert "is not empty" in staging_dir_problem(str(tmp_path))
    assert "is not a directory" in staging_dir_problem(str(tmp_path / "ibdata1"))
    assert "parent directory" in staging_dir_problem(str(tmp_path / "missing" / "staging"))


# --- client defaults file ------------------------------------------------------------------------------------

def test_client_defaults_tcp_and_socket():
    tcp = client_defaults(dict(login_host="127.0.0.1", login_port=3307, login_user="u", login_password="p\"w",
                               login_unix_socket=None, ca_cert="/etc/ca.pem"))
    assert tcp.splitlines() == ["[client]", 'host="127.0.0.1"', 'port="3307"', 'user="u"', 'password="p\\"w"',
                                'ssl-ca="/etc/ca.pem"']
    sock = client_defaults(dict(login_host="localhost", login_port=3306, login_user=None, login_password=None,
                                login_unix_socket="/run/mysqld/mysqld.sock"), include_file="/root/.my.cnf")
    assert sock.splitlines() == ["!include /root/.my.cnf", "[client]", 'socket="/run/mysqld/mysqld.sock"']


def test_previous_datadir_path():
    taken = {"/var/lib/mysql.replkit-20260102T030405Z"}
    now = 1767323045  # 2026-01-02T03:04:05Z
    assert previous_datadir_path("/var/lib/mysql/", now, lambda p: False) == "/var/lib/mysql.replkit-20260102T030405Z"
    assert previous_datadir_path("/var/lib/mysql", now, taken.__contains__) == "/var/lib/mysql.replkit-20260102T030405Z-2"
