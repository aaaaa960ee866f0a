"""Seed 001's ring settings on a real ring of three, applied the way the server role applies them (the planner's
plan -> server_option_settings -> mariadb_global_variables):

- slave_type_conversions: an ALTER TABLE ... MODIFY that widens a column on one member, while another member keeps
  inserting, stops replication without it (error 1677) and not with it;
- small server ids: UUID_SHORT() on two members differs in its top byte, the member's server_id.
"""

from __future__ import annotations

import threading
import time

from ansible_collections.replkit.mariadb.plugins.plugin_utils.server_options import server_option_settings
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology
from mariadb_lab import connection_status, wait_for, wire_planned_connections

RING = {"m1": {"mariadb_writable": True, "mariadb_sources": ["m3"]},
        "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"]},
        "m3": {"mariadb_writable": True, "mariadb_sources": ["m2"]}}
# Rows in the table before the ALTER: its copy takes a moment on every member, while the writer goes on.
PRELOADED_ROWS = 5000
CONVERSION_FAILED = 1677


def apply_plan(servers, plan, run_module):
    """Every member's runtime settings as the server role compares and applies them (static ones stay pending)."""
    for host, server in servers.items():
        runtime = server_option_settings(host, plan[host])["runtime"]
        result = run_module("mariadb_global_variables", dict(server.login_args(), variables=runtime,
                                                             allow_static=True))
        assert not result["failed"], result["msg"]
        again = run_module("mariadb_global_variables", dict(server.login_args(), variables=runtime,
                                                            allow_static=True))
        assert not again["failed"] and not again["changed"], again


def ring(mariadb_lab, run_module, inventory):
    plan = plan_topology(inventory)
    servers = dict(zip(sorted(plan), mariadb_lab.start(3)))
    apply_plan(servers, plan, run_module)
    servers["m1"].query("CREATE DATABASE app")
    servers["m1"].query("CREATE TABLE app.t (id INT PRIMARY KEY AUTO_INCREMENT, c INT NOT NULL, origin VARCHAR(8))")
    servers["m1"].query("INSERT INTO app.t (c, origin) SELECT seq, 'seed' FROM app.seq_1_to_%d" % PRELOADED_ROWS)
    wire_planned_connections(servers, plan, run_module)
    wait_for(lambda: all(rows_of(server) == PRELOADED_ROWS for server in servers.values()))
    return plan, servers


def rows_of(server):
    """The rows of app.t on ``server``; None while the table has not arrived."""
    if not server.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'app' "
                         "AND TABLE_NAME = 't'"):
        return None
    return server.scalar("SELECT COUNT(*) FROM app.t")


class Writer(threading.Thread):
    """Inserts rows on one member, one per statement, until stopped; counts the committed ones."""

    def __init__(self, server, origin):
        super().__init__(daemon=True)
        self.server, self.origin, self.rows, self.error = server, origin, 0, None
        self.halt = threading.Event()

    def run(self):
        connection = self.server.connect()
        try:
            with connection.cursor() as cursor:
                while not self.halt.is_set():
                    cursor.execute("INSERT INTO app.t (c, origin) VALUES (%s, %s)", (self.rows, self.origin))
                    self.rows += 1
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            connection.close()

    def stop(self):
        self.halt.set()
        self.join(timeout=30)
        assert self.error is None, self.error
        return self.rows


def widen_while_writing(servers):
    """m1 keeps inserting while m2 widens the column; returns how many rows m1 wrote."""
    writer = Writer(servers["m1"], "m1")
    writer.start()
    time.sleep(0.5)
    servers["m2"].query("ALTER TABLE app.t MODIFY c BIGINT NOT NULL")
    time.sleep(1.5)
    rows = writer.stop()
    assert rows > 0
    return rows


def link_errors(servers, plan):
    errors = {}
    for host, server in servers.items():
        row = connection_status(server, plan[host]["connections"][0]["name"])
        if (row["Slave_IO_Running"], row["Slave_SQL_Running"]) != ("Yes", "Yes") or row["Last_SQL_Errno"]:
            errors[host] = (row["Last_SQL_Errno"], row["Last_SQL_Error"])
    return errors


def test_planned_conversions_keep_the_ring_running_through_a_widening_alter(mariadb_lab, run_module):
    plan, servers = ring(mariadb_lab, run_module, RING)
    assert {plan[host]["slave_type_conversions"] for host in plan} == {"ALL_LOSSY,ALL_NON_LOSSY"}
    assert {server.scalar("SELECT @@global.slave_type_conversions") for server in servers.values()} == {
        "ALL_LOSSY,ALL_NON_LOSSY"}

    rows = widen_while_writing(servers)

    expected = PRELOADED_ROWS + rows
    try:
        wait_for(lambda: all(rows_of(server) == expected for server in servers.values()), timeout=60)
    finally:
        assert link_errors(servers, plan) == {}
    for server in servers.values():
        assert server.scalar("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'app' "
                             "AND TABLE_NAME = 't' AND COLUMN_NAME = 'c'") == "bigint"
        assert server.scalar("SELECT COUNT(*) FROM app.t WHERE origin = 'm1'") == rows


def test_without_conversions_the_same_alter_stops_the_ring(mariadb_lab, run_module):
    """Why the planner sets it: the user's "" (none, MariaDB's default) wins, and a member stops with 1677."""
    inventory = {host: dict(entry, mariadb_slave_type_conversions="") for host, entry in RING.items()}
    plan, servers = ring(mariadb_lab, run_module, inventory)
    assert {plan[host]["slave_type_conversions"] for host in plan} == {""}
    assert {server.scalar("SELECT @@global.slave_type_conversions") for server in servers.values()} == {""}

    widen_while_writing(servers)

    errors = wait_for(lambda: link_errors(servers, plan), timeout=30)
    assert CONVERSION_FAILED in {errno for errno, _message in errors.values()}, errors


def test_small_server_ids_give_each_member_its_own_uuid_short_prefix(mariadb_lab, run_module):
    """UUID_SHORT() is (server_id & 255) << 56 + (start time << 24) + a counter, its base taken at start: the planned
    ids reach the running servers at once (SET GLOBAL), UUID_SHORT() only after a restart (the option file)."""
    inventory = {host: dict(entry, mariadb_server_id_range="small") for host, entry in RING.items()}
    plan = plan_topology(inventory)
    servers = dict(zip(sorted(plan), mariadb_lab.start(3)))
    started_as = {host: server.server_id for host, server in servers.items()}
    apply_plan(servers, plan, run_module)
    for host, server in servers.items():
        assert 1 <= plan[host]["server_id"] <= 255 and plan[host]["server_id"] != started_as[host]
        assert server.scalar("SELECT @@global.server_id") == plan[host]["server_id"]
        assert server.scalar("SELECT UUID_SHORT()") >> 56 == started_as[host]
    prefixes = {}
    for host, server in servers.items():
        server.stop()
        server.server_id = plan[host]["server_id"]
        server.start()
        prefixes[host] = server.scalar("SELECT UUID_SHORT()") >> 56
    assert prefixes == {host: plan[host]["server_id"] for host in servers}
    assert len(set(prefixes.values())) == 3
