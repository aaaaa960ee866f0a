"""mariadb_multisource against real servers: a two-source replica built only with the module, purge, skip_events."""

from __future__ import annotations

import pytest

from mariadb_lab import connection_running, connection_status, wait_for

REPL_PASSWORD = "mu'lti\"so\\urce;pw"


def connection_names(server):
    return sorted(row["Connection_name"] for row in server.query("SHOW ALL SLAVES STATUS"))


def entry(name, source, **extra):
    return dict(name=name, primary_host=source.host, primary_port=source.port, primary_user="repl_" + source.name,
                primary_password=REPL_PASSWORD, primary_use_gtid="slave_pos", primary_connect_retry=5, **extra)


@pytest.fixture
def topology(mariadb_lab):
    """Two sources, each writing its own GTID domain and holding its own replication account, and a replica."""
    first, second, replica = mariadb_lab.start(3)
    for domain, source in ((1, first), (2, second)):
        source.query("SET GLOBAL gtid_domain_id = %s" % domain)
        # A distinct account per source: both CREATE USERs replicate to the replica, where one name would clash.
        source.query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", ("repl_" + source.name, REPL_PASSWORD))
        source.query("GRANT REPLICATION SLAVE ON *.* TO %s@'127.0.0.1'", ("repl_" + source.name,))
        source.query("CREATE DATABASE from_%s" % source.name)
        source.query("CREATE TABLE from_%s.t (id INT PRIMARY KEY)" % source.name)
    return first, second, replica


def build(replica, first, second, run_module, **extra):
    args = dict(replica.login_args(), connections=[entry("db1", first), entry("db2", second)], **extra)
    return args, run_module("mariadb_multisource", args, diff=True)


def test_two_sources_check_mode_apply_and_idempotence(topology, run_module):
    first, second, replica = topology
    args = dict(replica.login_args(), connections=[entry("db1", first), entry("db2", second)])

    predicted = run_module("mariadb_multisource", args, check_mode=True, diff=True)
    assert not predicted["failed"], predicted
    assert predicted["changed"] is True
    assert connection_names(replica) == [], "check mode must not create connections"
    assert [item["action"] for item in predicted["connections"]] == ["created", "created"]
    assert REPL_PASSWORD not in str(predicted)

    applied = run_module("mariadb_multisource", args, diff=True)
    assert not applied["failed"], applied
    assert applied["queries"] == predicted["queries"]
    assert applied["queries"][-1] == "START ALL REPLICAS"
    assert all("MASTER_PASSWORD='********'" in query for query in applied["queries"][:2])
    assert set(applied["diff"]["after"]) == {"db1", "db2"} and applied["diff"]["after"]["db1"]["running"] is True

    wait_for(lambda: connection_running(replica, "db1") and connection_running(replica, "db2"))
    first.query("INSERT INTO from_db1.t VALUES (1), (2)")
    second.query("INSERT INTO from_db2.t VALUES (10)")
    wait_for(lambda: replica.query("SHOW DATABASES LIKE 'from_db2'") and len(replica.query("SELECT id FROM from_db1.t")) == 2
             and len(replica.query("SELECT id FROM from_db2.t")) == 1)
    slave_pos = replica.scalar("SELECT @@gtid_slave_pos")
    domains = sorted(int(gtid.split("-")[0]) for gtid in slave_pos.split(","))
    assert domains == [1, 2], slave_pos
    assert first.scalar("SELECT @@gtid_binlog_pos").startswith("1-1-")
    assert second.scalar("SELECT @@gtid_binlog_pos").startswith("2-2-")

    again = run_module("mariadb_multisource", args, diff=True)
    assert not again["failed"], again
    assert again["changed"] is False and again["queries"] == []
    assert [item["action"] for item in again["connections"]] == ["unchanged", "unchanged"]
    assert again["diff"]["before"] == again["diff"]["after"]

    # One option of one connection: only that connection is stopped, changed and started.
    delayed = dict(args, connections=[entry("db1", first), entry("db2", second, primary_delay=1)])
    changed = run_module("mariadb_multisource", delayed)
    assert changed["queries"] == ["STOP REPLICA 'db2'",
                                  "CHANGE MASTER 'db2' TO MASTER_HEARTBEAT_PERIOD=30.0, MASTER_DELAY=1",
                                  "START REPLICA 'db2'"]
    assert [item["changed"] for item in changed["connections"]] == [False, True]
    wait_for(lambda: connection_running(replica, "db2"))
    assert run_module("mariadb_multisource", delayed)["changed"] is False


def test_purge_removes_only_unlisted_connections(topology, run_module):
    first, second, replica = topology
    args, built = build(replica, first, second, run_module)
    assert built["changed"] is True
    wait_for(lambda: connection_running(replica, "db1") and connection_running(replica, "db2"))

    only_db1 = dict(args, connections=[entry("db1", first)])
    kept = run_module("mariadb_multisource", only_db1)
    assert kept["changed"] is False and connection_names(replica) == ["db1", "db2"]

    predicted = run_module("mariadb_multisource", dict(only_db1, purge=True), check_mode=True)
    assert predicted["queries"] == ["STOP REPLICA 'db2'", "RESET REPLICA 'db2' ALL"]
    assert connection_names(replica) == ["db1", "db2"]
    purged = run_module("mariadb_multisource", dict(only_db1, purge=True), diff=True)
    assert purged["queries"] == predicted["queries"]
    assert "db2" in purged["diff"]["before"] and "db2" not in purged["diff"]["after"]
    assert [(item["name"], item["action"]) for item in purged["connections"]] == [("db2", "removed"), ("db1", "unchanged")]
    assert connection_names(replica) == ["db1"]
    assert run_module("mariadb_multisource", dict(only_db1, purge=True))["changed"] is False


def test_invalid_sets_are_rejected_with_nothing_changed(topology, run_module):
    first, second, replica = topology
    cases = [
        ([entry("db1", first), entry("DB1", second)], "regardless of case"),
        ([entry("db1", first), entry("db2", first)], "one connection per source"),
        ([entry("db1", first), entry("db2", second, primary_delay=-5)], "connections[1] (name 'db2'): primary_delay"),
        ([entry("db1", first), entry("x" * 64, second)], "shorter than 64"),
        ([entry("db1", first), entry("self", replica)], "is this server itself"),
        ([entry("db1", first), dict(name="db2")], "has no primary_host to create it"),
    ]
    for connections, message in cases:
        result = run_module("mariadb_multisource", dict(replica.login_args(), connections=connections))
        assert result["failed"], connections
        assert message in result["msg"], (message, result["msg"])
        assert connection_names(replica) == []


def test_skip_events_skips_exactly_the_failing_event(topology, run_module):
    first, second, replica = topology
    args, built = build(replica, first, second, run_module)
    assert not built["failed"], built
    wait_for(lambda: replica.query("SHOW DATABASES LIKE 'from_db1'") and replica.query("SHOW TABLES FROM from_db1"))

    # A row the replica has and the source will write too: the source's insert breaks connection db1.
    replica.query("INSERT INTO from_db1.t VALUES (100)")
    first.query("INSERT INTO from_db1.t VALUES (100)")
    wait_for(lambda: connection_status(replica, "db1")["Last_SQL_Errno"] == 1062)
    assert connection_status(replica, "db1")["Slave_SQL_Running"] == "No"
    first.query("INSERT INTO from_db1.t VALUES (101)")

    # Without skip_events the module never skips: state=started just starts it again, and it fails again.
    restarted = run_module("mariadb_multisource", args)
    assert restarted["queries"] == ["START REPLICA 'db1'"]
    wait_for(lambda: connection_status(replica, "db1")["Slave_SQL_Running"] == "No")
    assert connection_status(replica, "db1")["Last_SQL_Errno"] == 1062
    assert replica.query("SELECT id FROM from_db1.t WHERE id = 101") == []

    skip_args = dict(args, skip_events=dict(connection="db1", count=1))
    predicted = run_module("mariadb_multisource", skip_args, check_mode=True)
    assert predicted["changed"] is True
    assert predicted["queries"] == ["STOP REPLICA 'db1'", "SET @@SESSION.default_master_connection = 'db1'",
                                    "SET GLOBAL sql_slave_skip_counter = 1", "START REPLICA 'db1'",
                                    "SET @@SESSION.default_master_connection = ''"]
    assert connection_status(replica, "db1")["Slave_SQL_Running"] == "No"

    skipped = run_module("mariadb_multisource", skip_args)
    assert not skipped["failed"], skipped
    assert skipped["changed"] is True and skipped["skipped_events"] == {"connection": "db1", "count": 1}
    wait_for(lambda: replica.query("SELECT id FROM from_db1.t WHERE id = 101"))
    wait_for(lambda: connection_running(replica, "db1"))
    assert connection_status(replica, "db1")["Last_SQL_Errno"] == 0
    assert connection_running(replica, "db2")
    assert [row["id"] for row in replica.query("SELECT id FROM from_db1.t ORDER BY id")] == [100, 101]
    # Without skip_events, the next run has nothing to do.
    assert run_module("mariadb_multisource", args)["changed"] is False


def test_password_rotation_reaches_the_replica_and_survives_a_reconnect(topology, run_module):
    first, second, replica = topology
    args, built = build(replica, first, second, run_module)
    assert not built["failed"], built
    wait_for(lambda: connection_running(replica, "db1") and connection_running(replica, "db2"))

    rotated = REPL_PASSWORD + "-rotated'\"\\;"
    first.query("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", ("repl_" + first.name, rotated))
    new_args = dict(args, connections=[dict(entry("db1", first), primary_password=rotated), entry("db2", second)])

    predicted = run_module("mariadb_multisource", new_args, check_mode=True, diff=True)
    assert predicted["changed"] is True and [item["action"] for item in predicted["connections"]] == [
        "updated", "unchanged"], predicted
    applied = run_module("mariadb_multisource", new_args, diff=True)
    assert not applied["failed"], applied
    assert applied["queries"] == ["STOP REPLICA 'db1'",
                                  "CHANGE MASTER 'db1' TO MASTER_PASSWORD='********', MASTER_HEARTBEAT_PERIOD=30.0",
                                  "START REPLICA 'db1'"]
    assert rotated not in str(applied) and REPL_PASSWORD not in str(applied)

    # A reconnect logs in again with the stored password: it must be the new one.
    replica.query("STOP ALL SLAVES")
    replica.query("START ALL SLAVES")
    first.query("INSERT INTO from_db1.t VALUES (7)")
    wait_for(lambda: replica.query("SELECT id FROM from_db1.t WHERE id = 7"))
    assert connection_status(replica, "db1")["Last_IO_Errno"] == 0

    again = run_module("mariadb_multisource", new_args)
    assert again["changed"] is False and again["queries"] == [], again


def test_on_create_leaves_a_replica_with_the_old_password(topology, run_module):
    """The failure on_change prevents: the source's account rotated, the replica's stored password not."""
    first, second, replica = topology
    args, built = build(replica, first, second, run_module)
    assert not built["failed"], built
    wait_for(lambda: connection_running(replica, "db1"))
    rotated = REPL_PASSWORD + "-2"
    first.query("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", ("repl_" + first.name, rotated))
    stale = dict(args, update_password="on_create",
                 connections=[dict(entry("db1", first), primary_password=rotated), entry("db2", second)])
    assert run_module("mariadb_multisource", stale)["changed"] is False
    replica.query("STOP SLAVE 'db1'")
    replica.query("START SLAVE 'db1'")
    wait_for(lambda: connection_status(replica, "db1")["Last_IO_Errno"] == 1045)
