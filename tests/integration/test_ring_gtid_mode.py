"""The planner's GTID mode for ring links, on a real ring of three: every member keeps replicating when it
reconnects while its upstream still lags in the member's own domain (current_pos stops there with 1236)."""

from __future__ import annotations

import time

import pytest

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology
from mariadb_lab import connection_status, wire_planned_connections

RING = {"m1": {"mariadb_writable": True, "mariadb_sources": ["m3"]},
        "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"]},
        "m3": {"mariadb_writable": True, "mariadb_sources": ["m2"]}}


def ring(mariadb_lab, run_module, use_gtid=None):
    inventory = {host: dict(entry) for host, entry in RING.items()}
    if use_gtid:
        for entry in inventory.values():
            entry["mariadb_sources"] = [{"host": entry["mariadb_sources"][0], "use_gtid": use_gtid}]
    plan = plan_topology(inventory)
    servers = dict(zip(sorted(plan), mariadb_lab.start(3, extra_options=["--gtid-ignore-duplicates"])))
    for host, server in servers.items():
        node = plan[host]
        server.query("SET GLOBAL gtid_domain_id = %s" % node["gtid_domain_id"])
        server.query("SET GLOBAL auto_increment_increment = %s" % node["auto_increment_increment"])
        server.query("SET GLOBAL auto_increment_offset = %s" % node["auto_increment_offset"])
    servers["m1"].query("CREATE DATABASE app")
    servers["m1"].query("CREATE TABLE app.t (id INT PRIMARY KEY AUTO_INCREMENT, origin VARCHAR(8))")
    wire_planned_connections(servers, plan, run_module, wait=use_gtid is None)
    return plan, servers


def settle(servers, timeout=5.0):
    """Wait until every member holds the same number of rows; a broken ring never does, so no failure here."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len({server.scalar("SELECT COUNT(*) FROM app.t") for server in servers.values()}) == 1:
            return True
        time.sleep(0.1)
    return False


def reconnect_while_upstream_lags(plan, servers):
    """Each member in turn stops (lags); everybody writes; the others reconnect; then the laggard resumes.

    Returns the IO errors of links found stopped after each round (they are restarted by the next round).
    """
    names = {host: plan[host]["connections"][0]["name"] for host in servers}
    errors = []
    for laggard in sorted(servers) * 2:
        servers[laggard].query("STOP SLAVE %s", (names[laggard],))
        for host, server in servers.items():
            for _row in range(5):
                server.query("INSERT INTO app.t (origin) VALUES (%s)", (host,))
        for host, server in servers.items():
            if host != laggard:
                server.query("STOP SLAVE %s", (names[host],))
                server.query("START SLAVE %s", (names[host],))
        # Let the others' IO threads connect (and ask for their position) while the laggard still lags.
        time.sleep(1.0)
        servers[laggard].query("START SLAVE %s", (names[laggard],))
        settle(servers)
        for host, server in servers.items():
            row = connection_status(server, names[host])
            if (row["Slave_IO_Running"], row["Slave_SQL_Running"]) != ("Yes", "Yes"):
                errors.append("%s: %s %s" % (host, row["Last_IO_Error"], row["Last_SQL_Error"]))
    return errors


def test_planned_ring_links_survive_reconnecting_while_the_upstream_lags(mariadb_lab, run_module):
    plan, servers = ring(mariadb_lab, run_module)
    assert {plan[host]["connections"][0]["primary_use_gtid"] for host in plan} == {"slave_pos"}
    assert reconnect_while_upstream_lags(plan, servers) == []
    counts = {host: server.scalar("SELECT COUNT(*) FROM app.t") for host, server in servers.items()}
    assert set(counts.values()) == {90}, counts


@pytest.mark.parametrize("use_gtid", ["current_pos"])
def test_current_pos_ring_links_stop_in_the_same_situation(mariadb_lab, run_module, use_gtid):
    """Why the planner does not choose current_pos: a link stops with 1236 (already when m1 connects to m3 before
    m3 has m1's CREATE TABLE, or in the lag sequence)."""
    plan, servers = ring(mariadb_lab, run_module, use_gtid)
    errors = reconnect_while_upstream_lags(plan, servers)
    assert any("1236" in error and "not in the master's binlog" in error for error in errors), errors
