"""The site playbook on real servers refuses a seed conflict in its first play, with every server unchanged."""

from __future__ import annotations

import pytest

import site_runner

REPL_PASSWORD = "si'te\"pa\\ss;"


def snapshot(server):
    """Everything a run could change: variables, accounts, connections, databases, tables."""
    return {
        "variables": {row["Variable_name"]: row["Value"] for row in server.query("SHOW GLOBAL VARIABLES")},
        "accounts": sorted((row["User"], row["Host"]) for row in server.query("SELECT User, Host FROM mysql.user")),
        "connections": [row["Connection_name"] for row in server.query("SHOW ALL SLAVES STATUS")],
        "tables": sorted((row["s"], row["t"]) for row in server.query(
            "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')")),
    }


def run_site(tmp_path, servers, sources, *options):
    return site_runner.run_site(tmp_path, servers, sources, *options, password=REPL_PASSWORD)


@pytest.fixture
def aggregator(mariadb_lab):
    db1, db2, backup = mariadb_lab.start(3)
    for server in (db1, db2, backup):
        # The roles log in as the OS user (root) over the socket, as on a Debian host.
        server.query("CREATE USER IF NOT EXISTS root@localhost IDENTIFIED VIA unix_socket")
        server.query("GRANT ALL ON *.* TO root@localhost WITH GRANT OPTION")
    return {"db1": db1, "db2": db2, "backup": backup}


@pytest.mark.parametrize("case", ["clash", "myisam"])
def test_a_refused_seed_plan_stops_the_run_before_any_server_changes(aggregator, tmp_path, case):
    db1, db2 = aggregator["db1"], aggregator["db2"]
    db1.query("CREATE DATABASE shop")
    db1.query("CREATE TABLE shop.orders (id INT PRIMARY KEY) ENGINE=InnoDB")
    if case == "clash":
        db2.query("CREATE DATABASE shop")
        expected = "backup: would get database(s) shop both from"
    else:
        db2.query("CREATE DATABASE crm")
        db1.query("CREATE TABLE shop.legacy (id INT PRIMARY KEY) ENGINE=MyISAM")
        expected = "backup: consistent_dump from db1 cannot copy the non-transactional table(s) shop.legacy (MyISAM)"
    before = {name: snapshot(server) for name, server in aggregator.items()}

    run = run_site(tmp_path, aggregator, {"backup": ["db1", "db2"]})

    assert run.returncode != 0
    assert expected in run.stdout, run.stdout[-3000:]
    assert "Plan the seeding of the whole topology once, before any server is changed" in run.stdout
    assert "Configure, wire and verify replication" not in run.stdout, "the second play must not start"
    assert {name: snapshot(server) for name, server in aggregator.items()} == before
    assert not list((tmp_path / "conf.d").iterdir()) and not list(tmp_path.glob("state-*.json"))


def test_limit_with_seeding_is_refused_up_front_naming_limit(aggregator, tmp_path):
    aggregator["db1"].query("CREATE DATABASE shop")
    before = {name: snapshot(server) for name, server in aggregator.items()}

    run = run_site(tmp_path, aggregator, {"backup": ["db1", "db2"]}, "--limit", "backup")

    assert run.returncode != 0
    assert "db1 has no preflight_server result with databases" in run.stdout, run.stdout[-3000:]
    assert "left out with --limit" in run.stdout and "mariadb_site_seed=false" in run.stdout
    assert "Configure, wire and verify replication" not in run.stdout
    assert {name: snapshot(server) for name, server in aggregator.items()} == before


def test_an_inventory_without_the_topology_group_fails_with_the_fix(tmp_path):
    (tmp_path / "inventory.yml").write_text("all:\n  hosts:\n    db1:\n      ansible_host: 10.0.0.11\n")
    run = site_runner.run_playbook(tmp_path, "-i", str(tmp_path / "inventory.yml"), str(site_runner.REPO / "site.yml"))
    assert run.returncode != 0, "a play that matches no host must not pass silently"
    assert "No host of the inventory is in the group 'mariadb'" in run.stdout + run.stderr
    assert "-e mariadb_topology_group=NAME" in run.stdout + run.stderr
