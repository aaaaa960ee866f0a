"""A source's binary-log filters on real servers: what it does not log never reaches a replica.

The planner assumes (docs/topology.md, "Binary-log filters") that a database a source keeps out of its binary log
(binlog_ignore_db, seed 000's masters) never reaches any replica, judged by the database of each table under
row-based logging; that mariadb_replication_info reports the lists; and seeding and checksums leave such databases
out. Here with two mariadbd instances, the source started with --binlog-ignore-db=scratch.
"""

from __future__ import annotations

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, connection_running, wait_for

from ansible_collections.replkit.mariadb.plugins.filter.seed_plan import seed_facts
from ansible_collections.replkit.mariadb.plugins.plugin_utils.seeding import plan_seeding
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology


def wire(replica, source, name="src"):
    replica.query(
        f"CHANGE MASTER '{name}' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
        "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", (source.host, source.port, ADMIN_USER, ADMIN_PASSWORD))
    replica.query("START SLAVE %s", (name,))
    assert wait_for(lambda: connection_running(replica, name))


def same_empty_tables(databases, columns):
    """CREATE statements for a table t (columns) in each database."""
    statements = []
    for database in databases:
        statements += [f"CREATE DATABASE {database}", f"CREATE TABLE {database}.t ({columns})"]
    return statements


def caught_up(replica, source):
    position = source.scalar("SELECT @@gtid_binlog_pos")
    return wait_for(lambda: replica.scalar("SELECT @@gtid_slave_pos") == position)


def test_an_ignored_database_never_reaches_the_replica(mariadb_lab, run_module):
    (source,) = mariadb_lab.start(1, extra_options=["--binlog-ignore-db=scratch"])
    (replica,) = mariadb_lab.start(1)
    # The same empty tables on both sides, made on each server without its binary log.
    for server in (source, replica):
        server.run_unlogged(*same_empty_tables(("app", "scratch"), "id INT PRIMARY KEY, note VARCHAR(40)"))
    wire(replica, source)

    connection = source.connect()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO app.t VALUES (1, 'app, own default database')")
        cursor.execute("USE scratch")
        cursor.execute("INSERT INTO scratch.t VALUES (1, 'scratch, own default database')")
        # Row-based logging judges each row by its table's database, not the session's default one.
        cursor.execute("INSERT INTO app.t VALUES (2, 'app, written under USE scratch')")
        cursor.execute("USE app")
        cursor.execute("INSERT INTO scratch.t VALUES (2, 'scratch, written under USE app')")
        cursor.execute("UPDATE scratch.t SET note = 'changed' WHERE id = 1")
    connection.close()
    assert source.scalar("SELECT COUNT(*) FROM scratch.t") == 2
    caught_up(replica, source)
    assert connection_running(replica, "src")
    assert [row["id"] for row in replica.query("SELECT id FROM app.t ORDER BY id")] == [1, 2]
    assert replica.scalar("SELECT COUNT(*) FROM scratch.t") == 0, "a change to scratch reached the replica"

    # mariadb_replication_info reports the live lists (SHOW MASTER STATUS: no system variable holds them).
    info = run_module("mariadb_replication_info", source.login_args())
    assert not info["failed"], info.get("msg")
    assert info["binlog_ignore_db"] == ["scratch"] and info["binlog_do_db"] == []
    plain = run_module("mariadb_replication_info", replica.login_args())
    assert plain["binlog_ignore_db"] == [] and plain["binlog_do_db"] == []

    # The seed planner, from what the servers report, copies app only and names scratch; the inventory knows nothing
    # of the source's filter (as with seed 000's my.cnf), so the difference is noted.
    plan = plan_topology({"db1": {}, "backup": {"mariadb_sources": [{"host": "db1", "connection_name": "src"}]}})
    fresh = dict(plain, databases=[], connections=[])
    facts = seed_facts({"db1": {"info": info}, "backup": {"info": fresh}}, ["db1", "backup"], "info")
    seeding = plan_seeding(plan, facts)
    assert [(step["databases"], step["unlogged"]) for step in seeding["steps"]] == [(["app"], ["scratch"])]
    assert seeding["notes"][0].startswith("db1: the running server's binary-log filters (binlog_ignore_db: scratch)")

    # The checksum's chunks action on the source leaves scratch out: the replica is not expected to equal it.
    cut = run_module("mariadb_table_checksum", dict(source.login_args(), action="chunks"))
    assert not cut["failed"], cut.get("msg")
    assert cut["tables"] == ["app.t"] and cut["unlogged_tables"] == ["scratch.t"]


def test_binlog_do_db_is_reported_and_logs_only_its_databases(mariadb_lab, run_module):
    (source,) = mariadb_lab.start(1, extra_options=["--binlog-do-db=app"])
    (replica,) = mariadb_lab.start(1)
    for server in (source, replica):
        server.run_unlogged(*same_empty_tables(("app", "other"), "id INT PRIMARY KEY"))
    wire(replica, source)
    source.query("INSERT INTO other.t VALUES (1)")
    source.query("INSERT INTO app.t VALUES (1)")
    caught_up(replica, source)
    assert replica.scalar("SELECT COUNT(*) FROM app.t") == 1 and replica.scalar("SELECT COUNT(*) FROM other.t") == 0
    info = run_module("mariadb_replication_info", source.login_args())
    assert info["binlog_do_db"] == ["app"] and info["binlog_ignore_db"] == []
