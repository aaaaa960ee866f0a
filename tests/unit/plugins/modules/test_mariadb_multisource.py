"""mariadb_multisource main() against a StrictCursor: the exact statements, and none in check mode."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils import change_master as cm
from ansible_collections.replkit.mariadb.plugins.module_utils import replication_source
from ansible_collections.replkit.mariadb.plugins.modules import mariadb_multisource as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, master_info_text, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
PASSWORD = "p'a\"s\\s;wd"
LOGIN = dict(login_user="admin", login_password="x", login_host="127.0.0.1")
VERSION = Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.11.6-MariaDB"}])
IDENTITY = Expect(r"SELECT @@server_id AS server_id, @@port AS port, @@hostname AS hostname",
                  rows=[{"server_id": 9, "port": 3306, "hostname": "replica1"}])


def show(*rows):
    return Expect(r"SHOW ALL REPLICAS STATUS", rows=list(rows))


def row(name, host, running=True, **overrides):
    base = {
        "Connection_name": name, "Master_Host": host, "Master_User": "repl", "Master_Port": 3306, "Connect_Retry": 60,
        "Slave_IO_Running": "Yes" if running else "No", "Slave_SQL_Running": "Yes" if running else "No",
        "Using_Gtid": "Slave_Pos", "SQL_Delay": 0, "Slave_heartbeat_period": 30.0, "Last_SQL_Errno": 0,
    }
    base.update(overrides)
    return base


def entry(name, host, **extra):
    return dict(name=name, primary_host=host, primary_user="repl", primary_password=PASSWORD,
                primary_use_gtid="slave_pos", **extra)


@pytest.fixture(autouse=True)
def sources_are_other_servers(monkeypatch):
    monkeypatch.setattr(replication_source, "probe_source", lambda *args: (1, None))


@pytest.fixture
def datadir(tmp_path):
    """The replica's data directory, where db1 (h1) and db2 (h2) store PASSWORD; its SELECT @@datadir answer."""
    for name, host in (("db1", "h1"), ("db2", "h2")):
        (tmp_path / ("master-%s.info" % name)).write_text(master_info_text(host, "repl", PASSWORD), encoding="utf-8")
    return tmp_path, Expect(r"SELECT @@datadir AS datadir", rows=[{"datadir": str(tmp_path)}])


def run(args, script, check_mode=False):
    return run_module_main(module, dict(LOGIN, _ansible_check_mode=check_mode, **args), script, CONNECT)


CHANGE = r"CHANGE MASTER %s TO MASTER_HOST=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos"
TWO = dict(connections=[entry("db1", "h1"), entry("db2", "h2")])


def test_two_new_connections_are_created_and_started_together():
    result, _cursor = run(TWO, [
        VERSION, show(), IDENTITY, IDENTITY,
        Expect(CHANGE, params=("db1", "h1", "repl", PASSWORD)),
        Expect(CHANGE, params=("db2", "h2", "repl", PASSWORD)),
        Expect(r"START ALL REPLICAS"),
        show(row("db1", "h1"), row("db2", "h2")),
    ])
    assert result["changed"] is True
    assert result["queries"][-1] == "START ALL REPLICAS"
    assert "MASTER_PASSWORD='********'" in result["queries"][0] and PASSWORD not in str(result)
    assert [(item["name"], item["action"], item["changed"]) for item in result["connections"]] == [
        ("db1", "created", True), ("db2", "created", True)]
    assert result["connections"][0]["options"]["primary_password"] == "********"
    assert result["diff"]["after"]["db2"]["running"] is True


def test_check_mode_sends_no_write():
    result, cursor = run(TWO, [VERSION, show(), IDENTITY, IDENTITY], check_mode=True)
    assert result["changed"] is True and len(result["queries"]) == 3
    assert all(statement.startswith(("SELECT", "SHOW")) for statement, _params in cursor.executed)


def test_everything_in_place_is_unchanged(datadir):
    result, _cursor = run(TWO, [VERSION, show(row("db1", "h1"), row("db2", "h2")), datadir[1]])
    assert result["changed"] is False and result["queries"] == []
    assert [item["action"] for item in result["connections"]] == ["unchanged", "unchanged"]


def test_unlisted_connection_means_per_connection_starts_and_is_kept_without_purge(datadir):
    result, _cursor = run(dict(connections=[entry("db1", "h1"), entry("db2", "h2")]), [
        VERSION, show(row("db1", "h1", running=False), row("db2", "h2", running=False), row("db3", "h3")), datadir[1],
        Expect(r"START REPLICA %s", params=("db1",)), Expect(r"START REPLICA %s", params=("db2",)),
        show(row("db1", "h1"), row("db2", "h2"), row("db3", "h3")),
    ])
    assert result["queries"] == ["START REPLICA 'db1'", "START REPLICA 'db2'"]


def test_purge_removes_unlisted_named_connections_but_never_the_default_one(datadir):
    result, _cursor = run(dict(connections=[entry("db1", "h1")], purge=True), [
        VERSION, show(row("", "h0"), row("db1", "h1"), row("DB3", "h3"), row("db4", "h4", running=False)), datadir[1],
        Expect(r"STOP REPLICA %s", params=("DB3",)), Expect(r"RESET REPLICA %s ALL", params=("DB3",)),
        Expect(r"RESET REPLICA %s ALL", params=("db4",)),
        show(row("", "h0"), row("db1", "h1")),
    ])
    assert result["queries"] == ["STOP REPLICA 'DB3'", "RESET REPLICA 'DB3' ALL", "RESET REPLICA 'db4' ALL"]
    assert [(item["name"], item["action"]) for item in result["connections"]] == [
        ("DB3", "removed"), ("db4", "removed"), ("db1", "unchanged")]
    assert set(result["diff"]["before"]) == {"DB3", "db4", "db1"} and set(result["diff"]["after"]) == {"db1"}


def test_present_restarts_only_changed_running_connections(datadir):
    connections = [entry("db1", "h1", primary_delay=5), entry("db2", "h2", primary_delay=5)]
    result, _cursor = run(dict(connections=connections, state="present"), [
        VERSION, show(row("db1", "h1"), row("db2", "h2", running=False)), datadir[1],
        Expect(r"STOP REPLICA %s", params=("db1",)),
        Expect(r"CHANGE MASTER %s TO MASTER_HEARTBEAT_PERIOD=%s, MASTER_DELAY=%s", params=("db1", cm.Decimal("30.0"), 5)),
        Expect(r"CHANGE MASTER %s TO MASTER_HEARTBEAT_PERIOD=%s, MASTER_DELAY=%s", params=("db2", cm.Decimal("30.0"), 5)),
        Expect(r"START REPLICA %s", params=("db1",)),
        show(row("db1", "h1"), row("db2", "h2", running=False)),
    ])
    assert result["diff"]["after"]["db2"]["running"] is False


@pytest.mark.parametrize("connections, fragment", [
    ([entry("db1", "h1"), entry("DB1", "h2")], "are the same connection"),
    ([entry("db1", "h1"), entry("db2", "H1")], "both replicate from h1:3306"),
    ([entry("x" * 64, "h1")], "shorter than 64"),
    ([entry("db1", "h1", primary_port=0)], "connections[0] (name 'db1'): primary_port must be between 1 and 65535"),
])
def test_invalid_sets_fail_before_connecting(connections, fragment):
    result, cursor = run(dict(connections=connections), [])
    assert result["failed"] and fragment in result["msg"], result["msg"]
    assert cursor.executed == []


def test_all_problems_found_on_the_server_are_reported_before_any_write(monkeypatch):
    monkeypatch.setattr(replication_source, "probe_source", lambda *args: (9, None))
    result, cursor = run(dict(connections=[entry("db1", "h1"), dict(name="db2"), entry("db3", "h3")],
                              skip_events=dict(connection="ghost")),
                         [VERSION, show(row("db9", "h3")), IDENTITY, IDENTITY])
    assert result["failed"]
    for fragment in ("connections[0] (name 'db1'): connection 'db1': primary_host h1, primary_port 3306 reaches a server "
                     "with server_id 9", "connections[1] (name 'db2') does not exist",
                     "connection 'db9' already replicates from h3:3306", "skip_events.connection 'ghost'"):
        assert fragment in result["msg"], result["msg"]
    assert len(cursor.executed) == 4


def test_skip_events_is_explicit_and_always_changed(datadir):
    result, _cursor = run(dict(TWO, skip_events=dict(connection="DB2", count=2)), [
        VERSION, show(row("db1", "h1"), row("db2", "h2", Slave_SQL_Running="No", Last_SQL_Errno=1062)), datadir[1],
        Expect(r"STOP REPLICA %s", params=("DB2",)),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("DB2",)),
        Expect(r"SET GLOBAL sql_slave_skip_counter = %s", params=(2,)),
        Expect(r"START REPLICA %s", params=("DB2",)),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("",)),
        show(row("db1", "h1"), row("db2", "h2")),
    ])
    assert result["changed"] is True and result["skipped_events"] == {"connection": "DB2", "count": 2}
    assert [item["changed"] for item in result["connections"]] == [False, True]


def test_skip_events_count_must_be_positive():
    result, cursor = run(dict(TWO, skip_events=dict(connection="db2", count=0)), [])
    assert result["failed"] and "skip_events.count must be between 1" in result["msg"]
    assert cursor.executed == []


def test_a_rotated_password_is_sent_and_restarts_only_that_connection(datadir):
    path, query = datadir
    (path / "master-db2.info").write_text(master_info_text("h2", "repl", "old password"), encoding="utf-8")
    result, _cursor = run(TWO, [
        VERSION, show(row("db1", "h1"), row("db2", "h2")), query,
        Expect(r"STOP REPLICA %s", params=("db2",)),
        Expect(r"CHANGE MASTER %s TO MASTER_PASSWORD=%s, MASTER_HEARTBEAT_PERIOD=%s",
               params=("db2", PASSWORD, cm.Decimal("30.0"))),
        Expect(r"START REPLICA %s", params=("db2",)),
        show(row("db1", "h1"), row("db2", "h2")),
    ])
    assert [(item["name"], item["action"]) for item in result["connections"]] == [("db1", "unchanged"), ("db2", "updated")]
    assert PASSWORD not in str(result) and "old password" not in str(result)
    assert result["connections"][1]["options"]["primary_password"] == "********"


def test_on_create_leaves_a_rotated_password_alone(datadir):
    path, _query = datadir
    (path / "master-db2.info").write_text(master_info_text("h2", "repl", "old password"), encoding="utf-8")
    result, _cursor = run(dict(TWO, update_password="on_create"), [VERSION, show(row("db1", "h1"), row("db2", "h2"))])
    assert result["changed"] is False


def test_an_unreadable_stored_password_is_sent_with_a_warning(datadir):
    path, query = datadir
    (path / "master-db1.info").unlink()
    with mock.patch.object(module.ReplkitModule, "warn") as warn:
        result, _cursor = run(TWO, [
            VERSION, show(row("db1", "h1"), row("db2", "h2")), query,
            Expect(r"STOP REPLICA %s", params=("db1",)),
            Expect(r"CHANGE MASTER %s TO MASTER_PASSWORD=%s, MASTER_HEARTBEAT_PERIOD=%s",
                   params=("db1", PASSWORD, cm.Decimal("30.0"))),
            Expect(r"START REPLICA %s", params=("db1",)),
            show(row("db1", "h1"), row("db2", "h2")),
        ])
    assert result["changed"] is True
    assert "connection 'db1': the stored password cannot be compared (cannot read %s/master-db1.info" % path in (
        warn.call_args.args[0])


# ---------------------------------------------------------------- purge_user: the collection's own connections only

def test_purge_user_removes_only_that_users_unlisted_connections_and_reports_the_others(datadir):
    """old (repl) is the tool's and goes; etl's, REPL's (user names compare case included) and the default stay."""
    before = [row("", "h0", Master_User="repl"), row("db1", "h1"), row("old", "h3"),
              row("etl", "h4", Master_User="etl", Master_Port=3307), row("shout", "h5", running=False, Master_User="REPL")]
    result, cursor = run(dict(connections=[entry("db1", "h1")], purge=True, purge_user="repl"), [
        VERSION, show(*before), datadir[1],
        Expect(r"STOP REPLICA %s", params=("old",)), Expect(r"RESET REPLICA %s ALL", params=("old",)),
        show(*[item for item in before if item["Connection_name"] != "old"]),
    ])
    assert result["changed"] is True
    assert result["queries"] == ["STOP REPLICA 'old'", "RESET REPLICA 'old' ALL"]
    assert [(item["name"], item["action"]) for item in result["connections"]] == [("old", "removed"), ("db1", "unchanged")]
    assert result["unmanaged_connections"] == [
        {"name": "", "primary_host": "h0", "primary_port": 3306, "primary_user": "repl"},
        {"name": "etl", "primary_host": "h4", "primary_port": 3307, "primary_user": "etl"},
        {"name": "shout", "primary_host": "h5", "primary_port": 3306, "primary_user": "REPL"}]
    writes = [params for statement, params in cursor.executed if not statement.startswith(("SELECT", "SHOW"))]
    assert writes == [("old",), ("old",)], "only 'old' is stopped and removed"


def test_purge_user_check_mode_predicts_the_same_and_writes_nothing(datadir):
    rows = [row("db1", "h1"), row("old", "h3"), row("etl", "h4", Master_User="etl")]
    result, cursor = run(dict(connections=[entry("db1", "h1")], purge=True, purge_user="repl"),
                         [VERSION, show(*rows), datadir[1]], check_mode=True)
    assert result["changed"] is True and result["queries"] == ["STOP REPLICA 'old'", "RESET REPLICA 'old' ALL"]
    assert [item["name"] for item in result["unmanaged_connections"]] == ["etl"]
    assert all(statement.startswith(("SELECT", "SHOW")) for statement, _params in cursor.executed)


def test_purge_user_diff_shows_the_removed_connection_and_never_the_hand_made_one(datadir):
    rows = [row("db1", "h1"), row("old", "h3", running=False), row("etl", "h4", Master_User="etl")]
    result, _cursor = run(dict(connections=[entry("db1", "h1")], purge=True, purge_user="repl", _ansible_diff=True), [
        VERSION, show(*rows), datadir[1], Expect(r"RESET REPLICA %s ALL", params=("old",)), show(rows[0], rows[2]),
    ])
    assert result["queries"] == ["RESET REPLICA 'old' ALL"]
    assert result["diff"]["before"]["old"] == {"primary_host": "h3", "primary_port": 3306, "primary_user": "repl",
                                               "primary_use_gtid": "slave_pos", "primary_connect_retry": 60,
                                               "primary_heartbeat_period": 30.0, "primary_delay": 0, "running": False}
    assert set(result["diff"]["before"]) == {"db1", "old"} and set(result["diff"]["after"]) == {"db1"}


def test_only_hand_made_connections_left_is_unchanged_and_reported(datadir):
    rows = [row("db1", "h1"), row("etl", "h4", Master_User="etl")]
    result, _cursor = run(dict(connections=[entry("db1", "h1")], purge=True, purge_user="repl"),
                          [VERSION, show(*rows), datadir[1]])
    assert result["changed"] is False and result["queries"] == []
    assert result["unmanaged_connections"] == [{"name": "etl", "primary_host": "h4", "primary_port": 3306,
                                                "primary_user": "etl"}]


def test_without_purge_every_unlisted_connection_is_reported_and_purge_user_changes_nothing(datadir):
    rows = [row("db1", "h1"), row("old", "h3"), row("etl", "h4", Master_User="etl")]
    result, _cursor = run(dict(connections=[entry("db1", "h1")], purge_user="repl"), [VERSION, show(*rows), datadir[1]])
    assert result["changed"] is False
    assert [item["name"] for item in result["unmanaged_connections"]] == ["old", "etl"]


def test_purge_without_purge_user_still_removes_every_unlisted_named_connection(datadir):
    rows = [row("db1", "h1"), row("etl", "h4", running=False, Master_User="etl")]
    result, _cursor = run(dict(connections=[entry("db1", "h1")], purge=True), [
        VERSION, show(*rows), datadir[1], Expect(r"RESET REPLICA %s ALL", params=("etl",)), show(rows[0])])
    assert result["queries"] == ["RESET REPLICA 'etl' ALL"] and result["unmanaged_connections"] == []


def test_a_kept_hand_made_connection_to_a_planned_source_is_refused_saying_why(datadir):
    rows = [row("etl", "h2", Master_User="etl")]
    result, cursor = run(dict(connections=[entry("db2", "h2")], purge=True, purge_user="repl"),
                         [VERSION, show(*rows), IDENTITY])
    assert result["failed"]
    assert ("connections[0] (name 'db2'): connection 'etl' already replicates from h2:3306 and is not listed (purge "
            "leaves it: its primary_user 'etl' is not purge_user 'repl'; remove it yourself if it is not needed)") in (
                result["msg"])
    assert len(cursor.executed) == 3


def test_an_empty_purge_user_is_refused_before_connecting():
    result, cursor = run(dict(connections=[entry("db1", "h1")], purge=True, purge_user=""), [])
    assert result["failed"] and "purge_user is empty" in result["msg"]
    assert cursor.executed == []


def test_a_connection_name_with_quotes_is_removed_as_a_bound_value(datadir):
    rows = [row("db1", "h1"), row("it's", "h3", running=False)]
    result, _cursor = run(dict(connections=[entry("db1", "h1")], purge=True, purge_user="repl"), [
        VERSION, show(*rows), datadir[1], Expect(r"RESET REPLICA %s ALL", params=("it's",)), show(rows[0])])
    assert result["queries"] == ["RESET REPLICA 'it\\'s' ALL"]
