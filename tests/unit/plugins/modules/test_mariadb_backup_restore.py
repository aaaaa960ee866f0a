"""mariadb_backup_restore main() on temporary directories (no server, no service): the swap and its undo."""

from __future__ import annotations

import grp
import os
import pwd

import pytest

from ansible_collections.replkit.mariadb.plugins.modules import mariadb_backup_restore as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"


@pytest.fixture
def args(tmp_path):
    datadir, staging = tmp_path / "mysql", tmp_path / "staging"
    datadir.mkdir()
    (datadir / "old.frm").write_text("old")
    staging.mkdir()
    (staging / "xtrabackup_checkpoints").write_text("backup_type = full-prepared\n")
    (staging / "backup-my.cnf").write_text("[mysqld]\n")
    (staging / "xtrabackup_binlog_info").write_text("src-bin.000003\t1234\t0-1-42\n")
    (staging / "ibdata1").write_text("copy")
    return dict(datadir=str(datadir), staging_dir=str(staging), login_unix_socket=str(tmp_path / "no.sock"),
                owner=pwd.getpwuid(os.getuid()).pw_name, group=grp.getgrgid(os.getgid()).gr_name)


def test_the_copy_replaces_the_data_directory(args):
    with open(os.path.join(args["staging_dir"], "master.info"), "w") as handle:
        handle.write("the source's own connection\n")
    result, _cursor = run_module_main(module, args, [], CONNECT)
    assert not result["failed"], result.get("msg")
    assert result["removed_files"] == ["master.info"] and result["moved_by"] == "rename"
    assert (result["binlog_file"], result["binlog_pos"], result["gtid_pos"]) == ("src-bin.000003", 1234, "0-1-42")
    assert sorted(os.listdir(args["datadir"])) == sorted(["xtrabackup_checkpoints", "backup-my.cnf",
                                                          "xtrabackup_binlog_info", "ibdata1"])
    assert os.listdir(result["previous_datadir"]) == ["old.frm"]


def test_a_copy_that_cannot_move_in_fails_with_the_old_data_back(args):
    # A replication state file the swap must delete, but cannot: a directory named like one.
    os.mkdir(os.path.join(args["staging_dir"], "master.info"))
    result, _cursor = run_module_main(module, args, [], CONNECT)
    assert result["failed"] and result["previous_datadir"] is None
    assert result["msg"].startswith("could not move staging_dir %s into datadir %s (" % (
        args["staging_dir"], args["datadir"]))
    assert result["msg"].endswith("the old data directory was put back in place")
    assert os.listdir(args["datadir"]) == ["old.frm"]
