"""Reading the password a replica stores for a connection (its master info file), without a server."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.master_info import (
    master_info_file_name, matches_status, parse_master_info, stored_password)

PASSWORD = "p'w\"d\\;%_ x"
# What MariaDB 10.11 writes (33 lines announced, the GTID mode and domain filters at the end).
FILE_TEXT = "33\n\n4\n10.0.0.1\nrepl\n%s\n3306\n60\n0\n\n\n\n\n\n0\n30.000\n\n0\n\n0\n" % PASSWORD + "\n" * 13 + (
    "using_gtid=2\ndo_domain_ids=0\nignore_domain_ids=0\nEND_MARKER\n")


def row(**overrides):
    return dict({"Connection_name": "db-1.example", "Master_Host": "10.0.0.1", "Master_User": "repl",
                 "Master_Port": 3306}, **overrides)


@pytest.mark.parametrize("name, expected", [
    ("", "master.info"),
    ("db1", "master-db1.info"),
    ("Ab c", "master-ab@0020c.info"),
    ("x/y", "master-x@002fy.info"),
    ("a-b.c", "master-a@002db@002ec.info"),
    ("A_1", "master-a_1.info"),
    ("é", None),
])
def test_file_name_is_encoded_like_the_server_does(name, expected):
    # The expected names are the ones MariaDB 10.11 created for these connection names.
    assert master_info_file_name(name) == expected


def test_parse_reads_host_user_password_and_port():
    assert parse_master_info(FILE_TEXT) == {"host": "10.0.0.1", "user": "repl", "password": PASSWORD, "port": 3306}


def test_parse_keeps_an_empty_password():
    assert parse_master_info(FILE_TEXT.replace(PASSWORD, ""))["password"] == ""


@pytest.mark.parametrize("text", ["", "relay-bin.000001\n4\n", "33\n\n4\nh\nu\np\nnot-a-port\n", "3\n\n4\nh\nu\np\n3306\n"])
def test_parse_refuses_what_is_not_a_master_info_file(text):
    with pytest.raises(ValueError, match="not a master info file"):
        parse_master_info(text)


def test_the_file_must_describe_the_status_row():
    stored = parse_master_info(FILE_TEXT)
    assert matches_status(stored, row())
    assert matches_status(stored, row(Master_Port="3306"))
    assert not matches_status(stored, row(Master_Host="10.0.0.2"))
    assert not matches_status(stored, row(Master_User="other"))
    assert not matches_status(stored, row(Master_Port=3307))
    assert not matches_status(stored, row(Master_Port=None))


def test_stored_password_reads_the_connection_file(tmp_path):
    (tmp_path / "master-db@002d1@002eexample.info").write_text(FILE_TEXT, encoding="utf-8")
    assert stored_password(str(tmp_path), row()) == (PASSWORD, None)


def test_a_carriage_return_in_the_password_is_kept(tmp_path):
    (tmp_path / "master.info").write_bytes(FILE_TEXT.replace(PASSWORD, "a\rb").encode())
    assert stored_password(str(tmp_path), row(Connection_name="")) == ("a\rb", None)


def test_stored_password_says_why_it_cannot_tell(tmp_path):
    password, why = stored_password(str(tmp_path), row())
    assert password is None and "cannot read %s/master-db@002d1@002eexample.info" % tmp_path in why
    (tmp_path / "master.info").write_text(FILE_TEXT, encoding="utf-8")
    password, why = stored_password(str(tmp_path), row(Connection_name="", Master_Host="10.9.9.9"))
    assert password is None and "--master-info-file" in why
    password, why = stored_password(str(tmp_path), row(Connection_name="é"))
    assert password is None and "non-ASCII" in why
    (tmp_path / "master.info").write_bytes(b"\xff\xfe")
    password, why = stored_password(str(tmp_path), row(Connection_name=""))
    assert password is None and "cannot read" in why
