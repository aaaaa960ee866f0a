"""mariadb_multisource main() against a StrictCursor: the exact statements, and none in check mode."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils import change_master as cm
from ansible_collections.replkit.mariadb.plugins.module_utils import replication_source, skip_events
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


RELAY = "replica1-relay-bin-db2.000002"
SHOW_RELAYLOG = r"SHOW RELAYLOG %s EVENTS IN %s FROM %s LIMIT %s"
SETTINGS = r"SELECT @@GLOBAL.server_id AS server_id, .* @@GLOBAL.sql_slave_skip_counter AS skip_counter"


def broken(name="db2", host="h2", **overrides):
    """A connection stopped on a duplicate key, at the start of its failing group in the relay log."""
    return row(name, host, running=False, Slave_IO_Running="Yes", Last_SQL_Errno=1062,
               Last_SQL_Error="Duplicate entry '100' for key 'PRIMARY'", Relay_Log_File=RELAY, Relay_Log_Pos=1131,
               **overrides)


def settings_read(name, threads=0, slave_pos="1-1-3,2-2-3", counter=0):
    return [Expect(r"SET @@SESSION.default_master_connection = %s", params=(name,)),
            Expect(SETTINGS, rows=[dict(server_id=9, gtid_slave_pos=slave_pos, parallel_threads=threads,
                                        parallel_mode="optimistic", skip_counter=counter)]),
            Expect(r"SET @@SESSION.default_master_connection = %s", params=("",))]


def relay_events(seq, pos, table="shop.orders"):
    """The five events of one row-based transaction of domain 2, as SHOW RELAYLOG EVENTS rows."""
    events = [("Gtid", "BEGIN GTID 2-2-%d" % seq), ("Annotate_rows", "INSERT INTO %s VALUES (%d)" % (table, seq)),
              ("Table_map", "table_id: 18 (%s)" % table), ("Write_rows_v1", "table_id: 18 flags: STMT_END_F"),
              ("Xid", "COMMIT /* xid=%d */" % seq)]
    return [{"Log_name": RELAY, "Pos": pos + 40 * index, "Event_type": kind, "Server_id": 2, "End_log_pos": 0,
             "Info": info} for index, (kind, info) in enumerate(events)]


def relay_read(*groups, name="db2"):
    return Expect(SHOW_RELAYLOG, params=(name, RELAY, 1131, 1000), rows=[event for group in groups for event in group])


def wait_done(name, sql="Yes"):
    """One look of the wait: the skip counter is back to 0."""
    return settings_read(name) + [show(row("db1", "h1"), row(name, "h2", running=sql == "Yes"))]


def test_skip_events_is_explicit_and_always_changed(datadir):
    result, _cursor = run(dict(TWO, skip_events=dict(connection="DB2", count=2)), [
        VERSION, show(row("db1", "h1"), broken()), datadir[1],
        *settings_read("DB2"), relay_read(relay_events(4, 1131), relay_events(5, 1331), name="DB2"),
        Expect(r"STOP REPLICA %s", params=("DB2",)),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("DB2",)),
        Expect(r"SET GLOBAL sql_slave_skip_counter = %s", params=(2,)),
        Expect(r"START REPLICA %s", params=("DB2",)),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("",)),
        *wait_done("DB2"),
        show(row("db1", "h1"), row("db2", "h2")),
    ])
    skipped = result["skipped_events"]
    assert result["changed"] is True
    assert (skipped["connection"], skipped["count"], skipped["groups"], skipped["done"]) == ("DB2", 2, None, True)
    assert (skipped["last_sql_errno"], skipped["relay_log_file"], skipped["relay_log_pos"]) == (1062, RELAY, 1131)
    assert [group["gtid"] for group in skipped["event_groups"]] == ["2-2-4"], "a counter of 2 finishes one group"
    assert [event["event_type"] for event in skipped["event_groups"][0]["events"]] == [
        "Gtid", "Annotate_rows", "Table_map", "Write_rows_v1", "Xid"]
    assert skipped["status"]["sql_running"] == "Yes" and skipped["parallel_mode"] is None
    assert [item["changed"] for item in result["connections"]] == [False, True]


PARALLEL_SKIP = ["STOP REPLICA 'db2'", "SET @@SESSION.default_master_connection = 'db2'",
                 "SET GLOBAL slave_parallel_mode = 'none'", "SET GLOBAL sql_slave_skip_counter = 6",
                 "START REPLICA 'db2'", "SET @@SESSION.default_master_connection = ''"]
PARALLEL_RESTORE = ["SET @@SESSION.default_master_connection = 'db2'", "STOP REPLICA 'db2' SQL_THREAD",
                    "SET GLOBAL slave_parallel_mode = 'optimistic'", "START REPLICA 'db2' SQL_THREAD",
                    "SET @@SESSION.default_master_connection = ''"]
ONLY_DB2 = dict(connections=[], state="present", skip_events=dict(connection="db2", groups=2))


def test_check_mode_shows_the_groups_a_skip_would_skip_and_changes_nothing():
    result, cursor = run(ONLY_DB2, [
        VERSION, show(row("db1", "h1"), broken()), *settings_read("db2", threads=4),
        relay_read(relay_events(4, 1131), relay_events(5, 1331), relay_events(6, 1531))], check_mode=True)
    assert result["changed"] is True and result["queries"] == PARALLEL_SKIP + PARALLEL_RESTORE
    skipped = result["skipped_events"]
    assert [group["gtid"] for group in skipped["event_groups"]] == ["2-2-4", "2-2-5"]
    assert skipped["count"] == 6 and skipped["groups"] == 2 and skipped["complete"] is True
    assert skipped["parallel_mode"] == "optimistic" and skipped["done"] is False
    assert skipped["status"]["last_sql_errno"] == 1062 and result["connections"] == []
    assert not [sql for sql, _params in cursor.executed if sql.startswith(("STOP", "START", "SET GLOBAL"))]
    assert not [sql for sql, params in cursor.executed if "db1" in str(params)], "connection db1 is not touched"


def test_a_parallel_aggregator_skips_in_serial_and_gets_its_mode_back():
    expected = [Expect(r"STOP REPLICA %s", params=("db2",)),
                Expect(r"SET @@SESSION.default_master_connection = %s", params=("db2",)),
                Expect(r"SET GLOBAL slave_parallel_mode = %s", params=("none",)),
                Expect(r"SET GLOBAL sql_slave_skip_counter = %s", params=(6,)),
                Expect(r"START REPLICA %s", params=("db2",)),
                Expect(r"SET @@SESSION.default_master_connection = %s", params=("",))]
    restore = [Expect(r"SET @@SESSION.default_master_connection = %s", params=("db2",)),
               Expect(r"STOP REPLICA %s SQL_THREAD", params=("db2",)),
               Expect(r"SET GLOBAL slave_parallel_mode = %s", params=("optimistic",)),
               Expect(r"START REPLICA %s SQL_THREAD", params=("db2",)),
               Expect(r"SET @@SESSION.default_master_connection = %s", params=("",))]
    result, _cursor = run(ONLY_DB2, [
        VERSION, show(row("db1", "h1"), broken()), *settings_read("db2", threads=4),
        relay_read(relay_events(4, 1131), relay_events(5, 1331), relay_events(6, 1531)),
        *expected, *wait_done("db2"), *restore, show(row("db1", "h1"), row("db2", "h2"))])
    assert result["queries"] == PARALLEL_SKIP + PARALLEL_RESTORE
    assert result["skipped_events"]["done"] is True


def test_a_new_error_right_after_the_skip_sets_the_mode_back_without_starting_the_sql_thread():
    result, _cursor = run(dict(ONLY_DB2, skip_events=dict(connection="db2")), [
        VERSION, show(row("db1", "h1"), broken()), *settings_read("db2", threads=4), relay_read(relay_events(4, 1131)),
        *[Expect(".*") for _statement in range(6)], *wait_done("db2", sql="No"),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("db2",)),
        Expect(r"SET GLOBAL slave_parallel_mode = %s", params=("optimistic",)),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("",)),
        show(row("db1", "h1"), broken())])
    assert not result["failed"] and result["skipped_events"]["done"] is True
    assert result["skipped_events"]["count"] == 1 and result["queries"][-2] == "SET GLOBAL slave_parallel_mode = 'optimistic'"


def test_a_skip_that_is_not_done_fails_and_leaves_serial_apply_in_place():
    result, _cursor = run(dict(ONLY_DB2, skip_events=dict(connection="db2", count=1)), [
        VERSION, show(row("db1", "h1"), broken()), *settings_read("db2", threads=4), relay_read(relay_events(4, 1131)),
        *[Expect(".*") for _statement in range(6)],
        *settings_read("db2", counter=1), show(row("db1", "h1"), broken())])
    assert result["failed"]
    assert ("The skip on connection 'db2' of admin@127.0.0.1:3306 was not done: its SQL thread stopped (1062 "
            "Duplicate entry '100' for key 'PRIMARY')") in result["msg"]
    assert "Its slave_parallel_mode stays none while the skip is pending" in result["msg"]
    assert "SET GLOBAL slave_parallel_mode = 'optimistic'" in result["msg"], "how to set it back"
    assert result["queries"] == PARALLEL_SKIP[:3] + ["SET GLOBAL sql_slave_skip_counter = 1"] + PARALLEL_SKIP[4:]


def test_a_skip_still_pending_after_the_timeout_fails_saying_so(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(skip_events.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(skip_events.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    poll = settings_read("db2", counter=1) + [show(row("db1", "h1"), row("db2", "h2"))]
    result, _cursor = run(dict(ONLY_DB2, skip_events=dict(connection="db2", timeout=1)), [
        VERSION, show(row("db1", "h1"), broken()), *settings_read("db2"), relay_read(relay_events(4, 1131)),
        *[Expect(".*") for _statement in range(5)], *(poll * 6)])
    assert result["failed"] and "was not done: 1 event(s) are still to skip after 1 s" in result["msg"]
    assert "slave_parallel_mode" not in result["msg"]


def test_groups_the_relay_log_does_not_hold_fail_before_any_change():
    result, cursor = run(dict(ONLY_DB2, skip_events=dict(connection="db2", groups=3)), [
        VERSION, show(row("db1", "h1"), broken()), *settings_read("db2"), relay_read(relay_events(4, 1131))])
    assert result["failed"]
    assert ("skip_events.groups=3 cannot be counted on connection 'db2' of admin@127.0.0.1:3306: its relay log holds 1 "
            "complete event group(s) after the connection's position") in result["msg"]
    assert not [sql for sql, _params in cursor.executed if sql.startswith(("STOP", "START", "SET GLOBAL"))]


def test_no_wait_is_refused_where_the_parallel_mode_must_be_set_back():
    result, cursor = run(dict(ONLY_DB2, skip_events=dict(connection="db2", timeout=0)), [
        VERSION, show(row("db1", "h1"), broken()), *settings_read("db2", threads=4), relay_read(relay_events(4, 1131))])
    assert result["failed"] and "skip_events.timeout=0 cannot be used on connection 'db2'" in result["msg"]
    assert not [sql for sql, _params in cursor.executed if sql.startswith(("STOP", "START", "SET GLOBAL"))]


def test_an_unreadable_relay_log_is_a_warning_for_one_group():
    with mock.patch.object(module.ReplkitModule, "warn") as warn:
        result, _cursor = run(dict(ONLY_DB2, skip_events=dict(connection="db2", timeout=0)), [
            VERSION, show(row("db1", "h1"), broken()), *settings_read("db2"),
            Expect(SHOW_RELAYLOG, error=RuntimeError("Could not find target log")),
            *[Expect(".*") for _statement in range(5)], show(row("db1", "h1"), row("db2", "h2"))])
    assert not result["failed"] and result["skipped_events"]["event_groups"] == []
    assert "The events to skip on connection 'db2' of admin@127.0.0.1:3306 are not shown: SHOW RELAYLOG 'db2'" in (
        warn.call_args.args[0])


@pytest.mark.parametrize("skip, fragment", [
    (dict(connection="db2", count=0), "skip_events.count must be between 1"),
    (dict(connection="db2", groups=0), "skip_events.groups must be between 1"),
    (dict(connection="db2", timeout=-1), "skip_events.timeout must be 0 or more seconds"),
    (dict(connection="db2", count=1, groups=1), "mutually exclusive"),
])
def test_skip_events_options_are_checked_before_connecting(skip, fragment):
    result, cursor = run(dict(TWO, skip_events=skip), [])
    assert result["failed"] and fragment in result["msg"], result["msg"]
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
