"""module_utils/datadir.py: a data directory swapped for a copy in temporary directories (no server, no mount)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.datadir import (
    InstallError, install_copy, is_within, live_server_pid, previous_datadir_path, read_text)


def test_previous_datadir_path():
    taken = {"/var/lib/mysql.replkit-20260102T030405Z"}
    now = 1767323045  # 2026-01-02T03:04:05Z
    assert previous_datadir_path("/var/lib/mysql/", now, lambda p: False) == "/var/lib/mysql.replkit-20260102T030405Z"
    assert previous_datadir_path("/var/lib/mysql", now, taken.__contains__) == "/var/lib/mysql.replkit-20260102T030405Z-2"


def test_is_within_resolves_links(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "data")
    assert is_within(str(tmp_path / "data" / "sub"), str(tmp_path / "data"))
    assert is_within(str(tmp_path / "link" / "sub"), str(tmp_path / "data"))
    assert is_within(str(tmp_path / "data"), str(tmp_path / "data/"))
    assert not is_within(str(tmp_path / "data-other"), str(tmp_path / "data"))


@pytest.fixture
def dirs(tmp_path):
    datadir, staging = tmp_path / "mysql", tmp_path / "staging"
    datadir.mkdir(mode=0o750)
    (datadir / "old.frm").write_text("old")
    staging.mkdir()
    (staging / "ibdata1").write_text("copy")
    (staging / "master.info").write_text("the source's own")
    return datadir, staging, tmp_path / "mysql.replkit-1"


def test_install_copy_keeps_the_old_data_and_leaves_out_the_sources_state(dirs):
    datadir, staging, previous = dirs
    moved_by = install_copy(str(datadir), str(staging), str(previous), ["master.info"], os.getuid(), os.getgid())
    assert moved_by == "rename"
    assert sorted(os.listdir(datadir)) == ["ibdata1"] and (datadir / "ibdata1").read_text() == "copy"
    assert (previous / "old.frm").read_text() == "old"
    assert not staging.exists()
    assert datadir.stat().st_mode & 0o7777 == 0o750  # the data directory's mode, not the staging directory's


def test_a_copy_that_cannot_move_in_puts_the_old_data_back(dirs):
    datadir, staging, previous = dirs
    with pytest.raises(InstallError, match="could not move staging_dir %s into datadir %s .*put back in place" % (
            staging, datadir)):
        install_copy(str(datadir), str(staging), str(previous), ["relay-log.info"], os.getuid(), os.getgid())
    assert sorted(os.listdir(datadir)) == ["old.frm"] and not previous.exists()
    assert sorted(os.listdir(staging)) == ["ibdata1", "master.info"]


def test_live_server_pid_names_a_running_server_only(tmp_path):
    assert live_server_pid(str(tmp_path)) is None
    (tmp_path / "stale.pid").write_text("999999999\n")
    (tmp_path / "garbage.pid").write_text("not a pid\n")
    (tmp_path / "other.pid").write_text("%d\n" % os.getpid())  # alive, but not a server
    assert live_server_pid(str(tmp_path)) is None
    server = tmp_path / "bin" / "mariadbd"
    server.parent.mkdir()
    shutil.copy(shutil.which("sleep"), server)
    process = subprocess.Popen([str(server), "30"])
    try:
        comm = "/proc/%d/comm" % process.pid
        deadline = time.monotonic() + 10
        while read_text(comm).strip() != "mariadbd" and time.monotonic() < deadline:
            time.sleep(0.01)  # the child may not have exec'd yet
        (tmp_path / "db.pid").write_text("%d\n" % process.pid)
        assert live_server_pid(str(tmp_path)) == (process.pid, str(tmp_path / "db.pid"))
    finally:
        process.kill()
        process.wait()
