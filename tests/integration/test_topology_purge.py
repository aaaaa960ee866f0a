"""Grow and shrink: re-running the site playbook (accounts and wiring) after an inventory edit removes the connections
the collection made that the plan no longer lists, and leaves hand-made ones alone, naming them."""

from __future__ import annotations

import os
import re

import pytest

import site_runner
from mariadb_lab import connection_running, wait_for

# The role's choice of what to remove is the same on every server version; the module's removal (RESET SLAVE 'name'
# ALL, purge_user) runs on every version in test_mariadb_multisource.py. One version keeps make test within its time.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("REPLKIT_MARIADB_IMAGE")),
    reason="the role's purge logic is version-independent; the module's purge is tested on every version in "
           "test_mariadb_multisource.py")

REPL_PASSWORD = "gr'ow\"sh\\rink;"
HAND_PASSWORD = "hand-made"
# The playbook runs the plan and its checks, the accounts and the wiring (with its wait) only: the lab servers are
# not systemd services, and the server role's settings are set by hand below. Seeding is off: nothing to copy.
PHASES = ("--tags", "accounts,wire", "-e", "mariadb_site_seed=false")


@pytest.fixture
def lab(mariadb_lab):
    """p1 and p2 (primaries, domains 1 and 2), r (their replica) and etl (outside the topology: a source r replicates
    from by hand, with its own account)."""
    p1, p2, replica, etl = mariadb_lab.start(4)
    for domain, server in ((1, p1), (2, p2), (3, etl)):
        server.query("SET GLOBAL gtid_domain_id = %s" % domain)
    for server in (p1, p2, replica):
        # The roles log in as the OS user (root) over the socket, as on a Debian host.
        server.query("CREATE USER IF NOT EXISTS root@localhost IDENTIFIED VIA unix_socket")
        server.query("GRANT ALL ON *.* TO root@localhost WITH GRANT OPTION")
    etl.run_unlogged("CREATE USER 'etl'@'127.0.0.1' IDENTIFIED BY '%s'" % HAND_PASSWORD,
                     "GRANT REPLICATION SLAVE ON *.* TO 'etl'@'127.0.0.1'")
    return {"p1": p1, "p2": p2, "r": replica, "etl": etl}


def site(tmp_path, lab, sources, *options):
    servers = {name: lab[name] for name in ("p1", "p2", "r")}
    # The servers' own ids: the preflight refuses a new server_id on a host that replicates.
    host_vars = {name: {"mariadb_server_id": server.server_id} for name, server in servers.items()}
    run = site_runner.run_site(tmp_path, servers, sources, *PHASES, *options, password=REPL_PASSWORD,
                               host_vars=host_vars)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    return run.stdout


def names(server):
    return sorted(row["Connection_name"] for row in server.query("SHOW ALL SLAVES STATUS"))


def recap_changed(output):
    """host -> changed count of the PLAY RECAP."""
    return {host: int(count) for host, count in re.findall(r"^(\w+)\s+: ok=\d+\s+changed=(\d+)", output, re.M)}


def slave_pos(server):
    text = server.scalar("SELECT @@gtid_slave_pos") or ""
    return {int(gtid.split("-")[0]): gtid for gtid in text.split(",") if gtid}


def test_replacing_a_source_rewires_only_the_collections_connections(lab, tmp_path):
    p1, p2, replica, etl = lab["p1"], lab["p2"], lab["r"], lab["etl"]
    site(tmp_path, lab, {"r": ["p1"]})
    assert names(replica) == ["p1"] and connection_running(replica, "p1")

    # By hand: a connection to a source outside the inventory, with another account.
    replica.query("CHANGE MASTER 'etl' TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='etl', "
                  "MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", (etl.port, HAND_PASSWORD))
    replica.query("START SLAVE 'etl'")
    p1.query("CREATE DATABASE shop")
    p1.query("CREATE TABLE shop.t (id INT PRIMARY KEY)")
    p1.query("INSERT INTO shop.t VALUES (1)")
    etl.query("CREATE DATABASE etl")
    wait_for(lambda: connection_running(replica, "etl") and replica.query("SHOW DATABASES LIKE 'etl'")
             and replica.query("SHOW TABLES FROM shop") and replica.query("SELECT id FROM shop.t"))
    hand = "connection 'etl' (from 127.0.0.1:%s as user 'etl') is not in the plan and was not made by replkit.mariadb " \
           "(its user is not mariadb_replication_user 'replkit_repl'): left alone" % etl.port

    # The inventory now says r replicates from p2. topology_purge: false (the old default, a YAML boolean, read as
    # none) adds p2 and keeps the stale p1 link beside it: what the managed default fixes. Both leftovers are named.
    old_way = site(tmp_path, lab, {"r": ["p2"]}, "-e", '{"topology_purge": false}')
    assert names(replica) == ["etl", "p1", "p2"]
    assert ("connection 'p1' (from 127.0.0.1:%s as user 'replkit_repl') is not in the plan and was left alone "
            "(topology_purge: none); it uses mariadb_replication_user, so topology_purge: managed would remove it"
            % p1.port) in old_way
    assert "connection 'etl' (from 127.0.0.1:%s as user 'etl') is not in the plan and was left alone (topology_purge: " \
           "none)" % etl.port in old_way
    before = slave_pos(replica)

    # The default (managed): the collection's p1 link goes, the hand-made one stays and is named.
    managed = site(tmp_path, lab, {"r": ["p2"]})
    assert names(replica) == ["etl", "p2"]
    assert hand in managed and "connection 'p1'" not in managed
    assert connection_running(replica, "p2") and connection_running(replica, "etl")
    # Nothing lost: p1's rows stay and its domain keeps its position; etl's and p2's links still replicate.
    assert [row["id"] for row in replica.query("SELECT id FROM shop.t")] == [1]
    assert slave_pos(replica)[1] == before[1]
    etl.query("CREATE TABLE etl.t (id INT PRIMARY KEY)")
    p2.query("CREATE DATABASE crm")
    wait_for(lambda: replica.query("SHOW TABLES FROM etl") and replica.query("SHOW DATABASES LIKE 'crm'"))

    # The same inventory again: nothing to do on any host, the hand-made connection still named.
    again = site(tmp_path, lab, {"r": ["p2"]})
    assert recap_changed(again) == {"localhost": 0, "p1": 0, "p2": 0, "r": 0}, again[-2000:]
    assert hand in again and names(replica) == ["etl", "p2"]

    # Shrink: r loses its last source and becomes a primary; its link to p2 goes, the hand-made one stays.
    shrunk = site(tmp_path, lab, {})
    assert names(replica) == ["etl"] and hand in shrunk
    assert connection_running(replica, "etl")
