"""module_utils/replication_source.py: the source a connection points at (another connection's, the replica itself)."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils import replication_source as rs

PASSWORD = "p'a\"s\\s;wd"


def params(**given):
    """The source options as the modules hand them over; the ones not given are None."""
    base = dict(primary_host=None, primary_port=None, primary_user=None, primary_password=None, primary_ssl=None,
                connect_timeout=None)
    base.update(given)
    return base


def status_row(**overrides):
    """The columns of a SHOW ALL SLAVES STATUS row that name the source."""
    row = {"Connection_name": "db1", "Master_Host": "10.0.0.1", "Master_Port": 3306}
    row.update(overrides)
    return row


def test_source_endpoint_falls_back_to_the_row():
    assert rs.source_endpoint(status_row(), params(primary_port=3307)) == ("10.0.0.1", 3307)
    assert rs.source_endpoint(None, params(primary_host="h")) == ("h", 3306)


def test_conflicting_connection_ignores_itself_and_case():
    rows = [status_row(), status_row(Connection_name="db2", Master_Host="10.0.0.2")]
    assert rs.conflicting_connection(rows, "DB1", "10.0.0.1", 3306) is None
    assert rs.conflicting_connection(rows, "db3", "10.0.0.2", 3306) == "db2"
    assert rs.conflicting_connection(rows, "db3", "10.0.0.2", 3307) is None


def test_looks_like_self():
    replica = {"server_id": 2, "port": 3306, "hostname": "replica1"}
    assert rs.looks_like_self("127.0.0.1", 3306, replica)
    assert rs.looks_like_self("REPLICA1", 3306, replica)
    assert not rs.looks_like_self("127.0.0.1", 3307, replica)
    assert not rs.looks_like_self("db1", 3306, replica)


class IdentityCursor:
    def __init__(self, identity):
        self.identity = identity

    def execute(self, sql, params=None):
        assert sql.startswith("SELECT @@server_id")

    def fetchone(self):
        return self.identity


@pytest.mark.parametrize("probed, expected, warned", [
    ((2, None), "the replica's own server_id", False),
    ((1, None), None, False),
    ((None, "Access denied"), None, True),
])
def test_self_replication_error_logs_in_to_the_source(monkeypatch, probed, expected, warned):
    calls, warnings = [], []
    monkeypatch.setattr(rs, "probe_source", lambda *args: calls.append(args) or probed)
    cursor = IdentityCursor({"server_id": 2, "port": 3306, "hostname": "replica1"})
    given = params(primary_host="db1", primary_user="repl", primary_password=PASSWORD)
    error = rs.self_replication_error(cursor, None, given, "db1", warn=warnings.append)
    assert (expected in error) if expected else error is None
    assert calls[0][:2] == ("db1", 3306)
    assert bool(warnings) is warned and (not warned or "Access denied" in warnings[0])


def test_self_replication_error_without_credentials_only_checks_the_address(monkeypatch):
    monkeypatch.setattr(rs, "probe_source", lambda *args: pytest.fail("must not log in without a password"))
    cursor = IdentityCursor({"server_id": 2, "port": 3306, "hostname": "replica1"})
    assert rs.self_replication_error(cursor, None, params(primary_host="db1"), "db1") is None
    assert "is this server itself" in rs.self_replication_error(cursor, None, params(primary_host="localhost"), "db1")
