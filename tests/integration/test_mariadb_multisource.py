"""mariadb_multisource against real servers: a two-source replica built only with the module, purge (all, or only the
connections of purge_user), skip_events."""

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
    # Check mode shows the one group the counter skips: the source's insert of 100, read from the relay log.
    shown = predicted["skipped_events"]
    assert (shown["last_sql_errno"], shown["count"], shown["done"], shown["complete"]) == (1062, 1, False, True)
    assert len(shown["event_groups"]) == 1 and shown["event_groups"][0]["gtid"].startswith("1-")
    assert [(event["event_type"], event["info"]) for event in shown["event_groups"][0]["events"]][1] == (
        "Annotate_rows", "INSERT INTO from_db1.t VALUES (100)")

    skipped = run_module("mariadb_multisource", skip_args)
    assert not skipped["failed"], skipped
    assert skipped["changed"] is True and skipped["skipped_events"]["done"] is True
    assert {key: skipped["skipped_events"][key] for key in ("connection", "count", "event_groups")} == {
        "connection": "db1", "count": 1, "event_groups": shown["event_groups"]}
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


def domain_positions(server):
    """@@gtid_slave_pos as domain -> GTID."""
    text = server.scalar("SELECT @@gtid_slave_pos") or ""
    return {int(gtid.split("-")[0]): gtid for gtid in text.split(",") if gtid}


def create_unlogged_account(server, user):
    """A replication account that stays on ``server``: the same name on two sources must not replicate to the
    replica and clash there."""
    connection = server.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION sql_log_bin = 0")
            cursor.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, REPL_PASSWORD))
            cursor.execute("GRANT REPLICATION SLAVE ON *.* TO %s@'127.0.0.1'", (user,))
    finally:
        connection.close()


def test_purge_user_removes_only_the_tools_connections_and_reports_hand_made_ones(mariadb_lab, run_module):
    """A: made with the tool's account, no longer listed (removed). H: made by hand as etl (kept, reported). B: planned."""
    old_source, hand_source, new_source, replica = mariadb_lab.start(4)
    for domain, source, user in ((1, old_source, "replkit_repl"), (2, hand_source, "etl"), (3, new_source, "replkit_repl")):
        source.query("SET GLOBAL gtid_domain_id = %s" % domain)
        create_unlogged_account(source, user)
        source.query("CREATE DATABASE d%s" % domain)
        source.query("CREATE TABLE d%s.t (id INT PRIMARY KEY)" % domain)
        source.query("INSERT INTO d%s.t VALUES (1)" % domain)

    def planned(name, source):
        return dict(entry(name, source), primary_user="replkit_repl")

    tool = run_module("mariadb_multisource", dict(replica.login_args(), connections=[planned("a", old_source)]))
    assert not tool["failed"], tool
    replica.query("CHANGE MASTER 'hand' TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='etl', "
                  "MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", (hand_source.port, REPL_PASSWORD))
    replica.query("START SLAVE 'hand'")
    wait_for(lambda: connection_running(replica, "a") and connection_running(replica, "hand")
             and replica.query("SHOW TABLES FROM d1") and replica.query("SHOW TABLES FROM d2")
             and replica.query("SELECT id FROM d1.t") and replica.query("SELECT id FROM d2.t"))
    before = domain_positions(replica)
    assert sorted(before) == [1, 2], before

    args = dict(replica.login_args(), connections=[planned("b", new_source)], purge=True, purge_user="replkit_repl")
    predicted = run_module("mariadb_multisource", args, check_mode=True, diff=True)
    assert not predicted["failed"], predicted
    assert predicted["queries"][:2] == ["STOP REPLICA 'a'", "RESET REPLICA 'a' ALL"]
    assert predicted["queries"][2].startswith("CHANGE MASTER 'b' TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, "
                                              "MASTER_USER='replkit_repl', MASTER_PASSWORD='********'" % new_source.port)
    # 'hand' stays on the server, so no START ALL (it would start 'hand' too): one start for 'b'.
    assert predicted["queries"][3:] == ["START REPLICA 'b'"]
    assert connection_names(replica) == ["a", "hand"], "check mode must not change connections"
    hand_row = {"name": "hand", "primary_host": "127.0.0.1", "primary_port": hand_source.port, "primary_user": "etl"}
    assert predicted["unmanaged_connections"] == [hand_row]

    applied = run_module("mariadb_multisource", args, diff=True)
    assert not applied["failed"], applied
    assert applied["changed"] is True and applied["queries"] == predicted["queries"]
    assert [(item["name"], item["action"]) for item in applied["connections"]] == [("a", "removed"), ("b", "created")]
    assert applied["unmanaged_connections"] == [hand_row]
    assert "a" in applied["diff"]["before"] and set(applied["diff"]["after"]) == {"b"}
    assert "hand" not in applied["diff"]["before"], "a connection left alone is not part of the diff"
    assert REPL_PASSWORD not in str(applied)
    assert connection_names(replica) == ["b", "hand"]

    # B runs and replicates; H still runs and replicates; A's source no longer reaches the replica.
    new_source.query("INSERT INTO d3.t VALUES (2)")
    hand_source.query("INSERT INTO d2.t VALUES (2)")
    old_source.query("INSERT INTO d1.t VALUES (2)")
    wait_for(lambda: connection_running(replica, "b") and len(replica.query("SELECT id FROM d3.t")) == 2)
    wait_for(lambda: len(replica.query("SELECT id FROM d2.t")) == 2)
    assert connection_running(replica, "hand")
    # Nothing was lost: A's rows stay, and A's domain keeps its position (RESET SLAVE 'a' ALL never touches it).
    assert [row["id"] for row in replica.query("SELECT id FROM d1.t")] == [1]
    after = domain_positions(replica)
    assert after[1] == before[1], (before, after)
    assert sorted(after) == [1, 2, 3] and after[2] != before[2]

    again = run_module("mariadb_multisource", args, diff=True)
    assert not again["failed"], again
    assert again["changed"] is False and again["queries"] == []
    assert again["unmanaged_connections"] == [hand_row]
    assert again["diff"]["before"] == again["diff"]["after"]
