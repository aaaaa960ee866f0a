"""What the two copy paths share: client option files (passwords never on argv), progress files, output tails."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    client_option_file, login_client_options, option_file_value, write_private_file)
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import (
    format_progress, progress_record, rate_mib_s, tail, write_progress_file)


def test_option_values_survive_quotes_backslashes_comments_and_control_characters():
    assert option_file_value('adm\'in"pa\\ss;#word') == '"adm\'in\\"pa\\\\ss;#word"'
    assert option_file_value("a#b\tc\nd") == '"a#b\\tc\\nd"'
    with pytest.raises(ValueError):
        option_file_value("nul\x00byte")


def test_client_option_file_leaves_out_none_and_includes_first():
    text = client_option_file({"host": "10.0.0.1", "port": 3306, "user": "u", "password": None}, "/root/.my.cnf")
    assert text == '!include /root/.my.cnf\n[client]\nhost="10.0.0.1"\nport="3306"\nuser="u"\n'


def test_login_client_options_socket_or_tcp_with_tls():
    socket = login_client_options(dict(login_unix_socket="/run/mysqld/mysqld.sock", login_host="localhost",
                                       login_port=3306, login_user=None, login_password=None))
    assert {key: value for key, value in socket.items() if value is not None} == {"socket": "/run/mysqld/mysqld.sock"}
    tcp = login_client_options(dict(login_unix_socket=None, login_host="db1", login_port=3307, login_user="u",
                                    login_password="p", ca_cert="/ca.pem"))
    assert tcp == {"host": "db1", "port": 3307, "user": "u", "password": "p", "ssl-ca": "/ca.pem",
                   "ssl-cert": None, "ssl-key": None}


def test_private_file_is_0600_and_never_overwritten(tmp_path):
    path = write_private_file(str(tmp_path / "client.cnf"), "[client]\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_private_file(path, "again")


def test_progress_record_file_and_parse(tmp_path):
    record = progress_record("streaming", 50 * 1024 * 1024, 4.0, now=0)
    assert record == {"phase": "streaming", "bytes": 52428800, "seconds": 4.0, "rate_mb_s": 12.5,
                      "updated_at": "1970-01-01T00:00:00Z"}
    assert format_progress(record).endswith("}\n") and json.loads(format_progress(record)) == record
    assert progress_record("listening", 0, 0.0)["rate_mb_s"] == 0.0
    assert rate_mib_s(3 * 1024 * 1024, 2) == 1.5
    path = str(tmp_path / "progress.json")
    write_progress_file(path, record)
    assert json.loads(open(path).read()) == record
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    write_progress_file(None, record)  # no path: nothing to write, no error


def test_tail():
    assert tail("a\nb\nc\n", lines=2) == "b\nc"
    assert tail(None) == ""
