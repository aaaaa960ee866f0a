"""The planner on complete inventories: the documented topologies plan, the bad ones fail with their message.

Inventories are read by Ansible's own inventory manager (groups, group vars and all),
so they are exactly what ``ansible-playbook -i FILE`` would see.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import TopologyError, plan_topology

INVENTORIES = Path(__file__).parent / "inventories"
VALID = sorted((INVENTORIES / "valid").glob("*.yml"))
INVALID = sorted((INVENTORIES / "invalid").glob("*.yml"))
EXPECT = re.compile(r"^# expect: (.+)$", re.MULTILINE)


def load_inventory(path):
    """host -> variables, as a play would see them."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path)])
    variables = VariableManager(loader=loader, inventory=inventory)
    return {host.name: variables.get_vars(host=host, include_hostvars=False) for host in inventory.get_hosts()}


def plan_of(name):
    return plan_topology(load_inventory(INVENTORIES / "valid" / name))


def test_there_are_enough_inventories():
    assert {path.name for path in VALID} >= {"multisource.yml", "ring.yml", "ring_through_replicas.yml", "two_sites.yml",
                                             "master_master.yml", "primary_replicas.yml"}
    assert len(INVALID) >= 20


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_valid_inventory_plans_with_unique_ids(path):
    plan = plan_topology(load_inventory(path))
    assert plan
    server_ids = [node["server_id"] for node in plan.values()]
    assert len(set(server_ids)) == len(server_ids)
    writer_domains = [node["gtid_domain_id"] for node in plan.values() if node["writable"]]
    assert len(set(writer_domains)) == len(writer_domains)
    for host, node in plan.items():
        assert node["read_only"] is not node["writable"]
        if node["is_source"]:
            assert node["log_bin"], host
        if node["is_source"] and node["is_replica"]:
            assert node["log_slave_updates"], host


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_invalid_inventory_fails_with_its_messages(path):
    expected = EXPECT.findall(path.read_text())
    assert expected, "%s has no '# expect:' line" % path.name
    with pytest.raises(TopologyError) as caught:
        plan_topology(load_inventory(path))
    problems = caught.value.problems
    for fragment in expected:
        assert any(fragment in line for line in problems), "%r not in %r" % (fragment, problems)
    # Each expected problem once, and no noise besides.
    assert len(problems) == len(expected), problems


def test_multisource_aggregator():
    plan = plan_of("multisource.yml")
    backup = plan["backup"]
    assert backup["role"] == "aggregator"
    assert backup["read_only"] is True
    assert [(c["name"], c["source"], c["primary_host"], c["primary_use_gtid"]) for c in backup["connections"]] == [
        ("shop", "db1", "10.0.0.11", "slave_pos"), ("crm", "db2", "10.0.0.12", "slave_pos")]
    assert backup["connections"][0]["filters"]["replicate_do_db"] == ["shop"]
    assert backup["connections"][1]["filters"]["replicate_do_db"] == ["crm"]
    assert (backup["slave_parallel_threads"], backup["slave_parallel_mode"]) == (4, "optimistic")
    assert backup["gtid_ignore_duplicates"] is False  # two independent primaries: no event arrives twice
    assert backup["log_bin"] is False
    assert backup["gtid_domain_id"] == plan["db1"]["gtid_domain_id"]  # the first source's domain
    for primary in ("db1", "db2"):
        assert plan[primary]["role"] == "primary"
        assert plan[primary]["log_bin"] is True
        assert plan[primary]["log_slave_updates"] is False
        assert plan[primary]["replicas"] == [{"host": "backup", "address": "10.0.0.20"}]
    # Both primaries' rows meet on the backup, so their keys must not collide.
    assert plan["db1"]["auto_increment_increment"] == plan["db2"]["auto_increment_increment"] == 10
    assert plan["db1"]["auto_increment_offset"] != plan["db2"]["auto_increment_offset"]
    assert plan["db1"]["gtid_domain_id"] != plan["db2"]["gtid_domain_id"]


def test_ring_of_three_with_replica_and_delayed_replica():
    plan = plan_of("ring.yml")
    ring = ("m1", "m2", "m3")
    for member in ring:
        node = plan[member]
        assert node["role"] == "ring_member"
        assert node["cycle"] == list(ring)
        assert (node["log_bin"], node["log_slave_updates"], node["gtid_ignore_duplicates"]) == (True, True, True)
        assert node["auto_increment_increment"] == 10
        assert [c["primary_use_gtid"] for c in node["connections"]] == ["slave_pos"]
    assert sorted(plan[m]["auto_increment_offset"] for m in ring) == sorted({plan[m]["auto_increment_offset"] for m in ring})
    assert len({plan[m]["gtid_domain_id"] for m in ring}) == 3
    assert plan["m1"]["connections"][0]["source"] == "m3"
    delayed = plan["d2"]
    assert delayed["connections"][0]["primary_delay"] == 3600
    assert delayed["connections"][0]["primary_use_gtid"] == "slave_pos"
    assert delayed["gtid_domain_id"] == plan["m2"]["gtid_domain_id"]
    assert plan["r1"]["gtid_domain_id"] == plan["m1"]["gtid_domain_id"]
    assert (plan["r1"]["role"], plan["r1"]["read_only"], plan["r1"]["log_bin"]) == ("replica", True, False)


def test_ring_through_replicas_makes_the_relays_relay():
    plan = plan_of("ring_through_replicas.yml")
    for relay, master in (("r1", "m1"), ("r2", "m2"), ("r3", "m3")):
        node = plan[relay]
        assert node["role"] == "passive_member"
        assert node["writable"] is False and node["read_only"] is True
        assert (node["log_bin"], node["log_slave_updates"], node["gtid_ignore_duplicates"]) == (True, True, True)
        assert node["in_cycle"] is True
        assert node["gtid_domain_id"] == plan[master]["gtid_domain_id"]
        assert node["auto_increment_offset"] == plan[master]["auto_increment_offset"]
    assert len(plan["m1"]["cycle"]) == 6
    assert plan["m2"]["connections"][0]["source"] == "r1"
    writers = [host for host, node in plan.items() if node["writable"]]
    assert writers == ["m1", "m2", "m3"]
    assert len({plan[m]["auto_increment_offset"] for m in writers}) == 3


def test_two_sites_masters_log_slave_updates_for_their_replicas():
    plan = plan_of("two_sites.yml")
    for master in ("s1m", "s2m"):
        assert plan[master]["log_slave_updates"] is True  # the seed-002 gotcha
        assert plan[master]["role"] == "ring_member"
        assert plan[master]["connections"][0]["primary_use_gtid"] == "slave_pos"
    assert plan["s1m"]["auto_increment_offset"] != plan["s2m"]["auto_increment_offset"]
    for replica, master in (("s1r1", "s1m"), ("s1r2", "s1m"), ("s2r1", "s2m"), ("s2r2", "s2m")):
        assert plan[replica]["gtid_domain_id"] == plan[master]["gtid_domain_id"]
        assert plan[replica]["connections"][0]["primary_use_gtid"] == "slave_pos"
        assert plan[replica]["log_slave_updates"] is False
    tls = plan["s2m"]["connections"][0]
    assert (tls["primary_ssl"], tls["primary_ssl_ca"], tls["primary_ssl_verify_server_cert"]) == (
        True, "/etc/mysql/tls/ca.pem", True)
    assert [r["host"] for r in plan["s1m"]["replicas"]] == ["s1r1", "s1r2", "s2m"]


def test_master_master_with_passive_side():
    plan = plan_of("master_master.yml")
    active, passive = plan["db-a"], plan["db-b"]
    assert (active["writable"], passive["writable"]) == (True, False)
    assert (active["read_only"], passive["read_only"]) == (False, True)
    assert (active["role"], passive["role"]) == ("ring_member", "passive_member")
    # One writer: nothing to space out; the passive side shares the active one's domain, ready to take over.
    assert active["auto_increment_increment"] is None and passive["auto_increment_offset"] is None
    assert passive["gtid_domain_id"] == active["gtid_domain_id"]
    assert active["connections"][0]["name"] == "db_b"  # derived names are plain words for the option file
    for node in (active, passive):
        assert node["log_slave_updates"] is True
        assert node["connections"][0]["primary_use_gtid"] == "slave_pos"


def test_primary_with_replicas():
    plan = plan_of("primary_replicas.yml")
    primary = plan["primary"]
    assert (primary["role"], primary["log_bin"], primary["log_slave_updates"]) == ("primary", True, False)
    assert primary["auto_increment_increment"] is None
    assert primary["replicas"] == [{"host": "replica1", "address": "10.9.0.11"},
                                   {"host": "replica2", "address": "10.9.0.12"}]
    for name, connection_name in (("replica1", "primary"), ("replica2", "main")):
        connection = plan[name]["connections"][0]
        assert connection["name"] == connection_name
        assert (connection["primary_host"], connection["primary_port"]) == ("10.9.0.10", 3307)
        assert connection["primary_use_gtid"] == "slave_pos"
        assert plan[name]["slave_parallel_threads"] is None
        assert plan[name]["gtid_ignore_duplicates"] is False


def test_the_documentation_shows_the_tested_inventories():
    document = (Path(__file__).resolve().parents[4] / "docs" / "topology.md").read_text()
    for path in VALID:
        assert "```yaml\n" + path.read_text() + "```" in document, path.name


def test_the_documented_error_example_is_real():
    document = (Path(__file__).resolve().parents[4] / "docs" / "topology.md").read_text()
    inventory = {
        "m1": {"mariadb_writable": True, "mariadb_sources": ["m3"]},
        "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"], "mariadb_log_slave_updates": False},
        "m3": {"mariadb_writable": True, "mariadb_sources": ["m2"]},
        "r1": {"mariadb_sources": ["db9"]},
    }
    with pytest.raises(TopologyError) as caught:
        plan_topology(inventory)
    assert "```text\n%s\n```" % caught.value in document
