"""module_utils/backup_files.py: the files mariadb-backup writes (three supported versions), and the source's
replication state that must not travel with the copy."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_files import (
    BackupFileError, first_present, parse_backup_log_position, parse_binlog_info, parse_checkpoints,
    prepared_backup_problem, relay_logs_named_in, replication_state_files)


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
    with pytest.raises(BackupFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
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
