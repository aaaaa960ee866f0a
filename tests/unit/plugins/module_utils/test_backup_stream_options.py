"""module_utils/backup_stream_options.py: mariadb_backup_stream's options, checked before anything runs."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_stream_options import staging_dir_problem, validate_stream_params


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
