"""Seed 001's ring settings in the planner: slave_type_conversions on rings and downstream, small server ids for
UUID_SHORT()."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import TopologyError, plan_topology
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_settings import small_server_id, stable_number

REPO = Path(__file__).resolve().parents[4]
VALID = Path(__file__).parent / "inventories" / "valid"
BOTH = "ALL_LOSSY,ALL_NON_LOSSY"
RING = {
    "m1": {"mariadb_writable": True, "mariadb_sources": ["m3"]},
    "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"]},
    "m3": {"mariadb_writable": True, "mariadb_sources": ["m2"]},
    "r1": {"mariadb_sources": ["m1"]},
}


def problems_of(inventory):
    with pytest.raises(TopologyError) as caught:
        plan_topology(inventory)
    return caught.value.problems


def values(plan, key="slave_type_conversions"):
    return {host: node[key] for host, node in plan.items()}


def example(name):
    """A documented example inventory (docs/topology.md), as a play sees it."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(VALID / name)])
    variables = VariableManager(loader=loader, inventory=inventory)
    return plan_topology({host.name: variables.get_vars(host=host, include_hostvars=False)
                          for host in inventory.get_hosts()})


def with_range(inventory, value="small"):
    return {host: dict(entry, mariadb_server_id_range=value) for host, entry in inventory.items()}


def clashing_names(count=2, avoid=()):
    """``count`` names of the form hN whose small server ids are the same (found by searching, deterministic)."""
    by_id = {}
    for number in range(10000):
        name = "h%d" % number
        if name in avoid:
            continue
        by_id.setdefault(small_server_id(name), []).append(name)
        if len(by_id[small_server_id(name)]) == count:
            return by_id[small_server_id(name)]
    raise AssertionError("no clash found")


# ---------------------------------------------------------------- slave_type_conversions: derived

def test_ring_members_and_their_replicas_convert_row_types():
    plan = plan_topology(dict(RING, d1={"mariadb_sources": ["r1"]}))
    assert values(plan) == {"m1": BOTH, "m2": BOTH, "m3": BOTH, "r1": BOTH, "d1": BOTH}


@pytest.mark.parametrize("name, expected", [
    ("ring.yml", {"m1": BOTH, "m2": BOTH, "m3": BOTH, "r1": BOTH, "d2": BOTH}),
    ("ring_through_replicas.yml", {host: BOTH for host in ("m1", "m2", "m3", "r1", "r2", "r3")}),
    ("two_sites.yml", {host: BOTH for host in ("s1m", "s1r1", "s1r2", "s2m", "s2r1", "s2r2")}),
    # One writer: only its own events come back to db-a, but the pair is ready for a failover to db-b.
    ("master_master.yml", {"db-a": BOTH, "db-b": BOTH}),
    ("primary_replicas.yml", {"primary": None, "replica1": None, "replica2": None}),
    ("multisource.yml", {"db1": None, "db2": None, "backup": None}),
], ids=lambda value: value if isinstance(value, str) else "")
def test_documented_examples(name, expected):
    assert values(example(name)) == expected


def test_not_where_no_writer_of_a_cycle_sends_events():
    plan = plan_topology({
        # A writer feeding a cycle of read-only relays (allowed, harmless): the writer is on no cycle.
        "p": {}, "a": {"mariadb_sources": ["p", "b"]}, "b": {"mariadb_sources": ["a"]},
        # A chain: relays, but no cycle.
        "q": {}, "relay": {"mariadb_sources": ["q"]}, "leaf": {"mariadb_sources": ["relay"]},
    })
    assert values(plan) == {host: None for host in ("p", "a", "b", "q", "relay", "leaf")}


def test_a_primary_feeding_a_ring_gets_nothing_and_the_ring_gets_it():
    plan = plan_topology(dict(RING, m1={"mariadb_writable": True, "mariadb_sources": ["m3", "p"]}, p={}))
    assert values(plan) == {"m1": BOTH, "m2": BOTH, "m3": BOTH, "r1": BOTH, "p": None}


def test_an_aggregator_of_a_ring_and_a_lone_primary_gets_it():
    plan = plan_topology(dict(RING, p={}, agg={"mariadb_sources": ["m2", "p"]}))
    assert plan["agg"]["slave_type_conversions"] == BOTH and plan["p"]["slave_type_conversions"] is None


# ---------------------------------------------------------------- slave_type_conversions: the user's value

@pytest.mark.parametrize("given, planned", [
    ("", ""),
    ([], ""),
    ("ALL_NON_LOSSY", "ALL_NON_LOSSY"),
    ("ALL_NON_LOSSY,ALL_LOSSY", BOTH),  # seed 001's spelling, in the order the server reports it
    (" all_lossy , ALL_NON_LOSSY,all_lossy", BOTH),
    (["ALL_NON_LOSSY", "ALL_LOSSY"], BOTH),
])
def test_the_users_value_wins(given, planned):
    plan = plan_topology(dict(RING, m2=dict(RING["m2"], mariadb_slave_type_conversions=given),
                              p={"mariadb_slave_type_conversions": given}))
    assert plan["m2"]["slave_type_conversions"] == planned
    assert plan["p"]["slave_type_conversions"] == planned
    assert plan["m1"]["slave_type_conversions"] == BOTH


@pytest.mark.parametrize("given", ["ALL_SIGNED", "ALL_LOSSY,ALL_UNSIGNED", "ALL", 5, True, ["ALL_LOSSY", 3],
                                   {"ALL_LOSSY": True}])
def test_conversions_mariadb_does_not_know_are_refused(given):
    assert problems_of({"p": {"mariadb_slave_type_conversions": given}}) == [
        "p: mariadb_slave_type_conversions: %r is not a set of row type conversions MariaDB knows; give a "
        "comma-separated list of ALL_LOSSY and ALL_NON_LOSSY (for example ALL_LOSSY,ALL_NON_LOSSY), or '' for none."
        % (given,)]


def test_a_control_character_cannot_reach_the_option_file():
    plan = plan_topology({"p": {"mariadb_slave_type_conversions": "ALL_LOSSY\n"}})
    assert plan["p"]["slave_type_conversions"] == "ALL_LOSSY"
    assert problems_of({"p": {"mariadb_slave_type_conversions": "ALL_LOSSY\nlog_bin=0"}})


def test_the_server_role_asserts_every_key_it_reads_and_the_plan_has_them():
    keys = yaml.safe_load((REPO / "roles" / "server" / "vars" / "main.yml").read_text())["server_plan_keys"]
    assert "slave_type_conversions" in keys
    for node in plan_topology(RING).values():
        assert set(keys) <= set(node)


# ---------------------------------------------------------------- small server ids

def test_small_ids_are_a_hash_of_the_name_pinned():
    # A change here would renumber every deployed server: the derivation must never change.
    assert [small_server_id(name) for name in ("m1", "m2", "m3", "r1")] == [38, 152, 190, 79]
    assert small_server_id("m1") == stable_number("server_id_small", "m1", 1, 255)
    assert values(plan_topology(with_range(RING)), "server_id") == {"m1": 38, "m2": 152, "m3": 190, "r1": 79}


def test_large_is_the_default_and_unchanged():
    assert values(plan_topology(with_range(RING, "large")), "server_id") == values(plan_topology(RING), "server_id")
    assert plan_topology(RING)["m1"]["server_id"] == 3126921719


def test_small_ids_do_not_depend_on_host_order_or_on_other_hosts():
    small = with_range(RING)
    assert plan_topology(small) == plan_topology(dict(reversed(list(small.items()))))
    alone = plan_topology(with_range({"m1": {}}))
    assert alone["m1"]["server_id"] == plan_topology(small)["m1"]["server_id"]


def test_adding_a_host_never_changes_another_hosts_id_it_is_refused_instead():
    """Every candidate host added to the ring either plans, leaving every other id alone, or is refused by name."""
    before = values(plan_topology(with_range(RING)), "server_id")
    planned = refused = 0
    for number in range(300):
        name = "new%d" % number
        grown = with_range(dict(RING, **{name: {"mariadb_sources": ["m2"]}}))
        try:
            after = values(plan_topology(grown), "server_id")
        except TopologyError as error:
            assert len(error.problems) == 1 and name in error.problems[0], error.problems
            assert small_server_id(name) in before.values()
            refused += 1
            continue
        planned += 1
        assert {host: after[host] for host in before} == before
        assert after[name] == small_server_id(name)
    assert planned and refused


def test_a_clash_is_refused_with_a_free_id_to_pin_and_the_pin_settles_it():
    first, second = clashing_names()
    value = small_server_id(first)
    inventory = with_range({first: {}, second: {"mariadb_sources": [first]}})
    free = value % 255 + 1
    assert problems_of(inventory) == [
        "%s, %s: mariadb_server_id: %s and %s both derive the small server_id %d (a hash of the inventory name into "
        "1..255), and every server needs its own; set mariadb_server_id on one of them to a free id (for example "
        "mariadb_server_id: %d): on the host you are adding, so that a server that already runs keeps its id."
        % (first, second, first, second, value, free)]
    inventory[second]["mariadb_server_id"] = free
    assert values(plan_topology(inventory), "server_id") == {first: value, second: free}


def test_three_way_clash_suggests_distinct_free_ids_that_nobody_holds():
    names = clashing_names(3)
    value = small_server_id(names[0])
    inventory = with_range({name: {} for name in names})
    # The next id up is some other host's derived id: it is not suggested.
    neighbour = next(name for name in ("x%d" % n for n in range(10000)) if small_server_id(name) == value % 255 + 1)
    inventory[neighbour] = {"mariadb_server_id_range": "small"}
    problem, = problems_of(inventory)
    assert problem.startswith("%s: mariadb_server_id: %s all derive the small server_id %d" % (
        ", ".join(names), " and ".join(names), value))
    assert "set mariadb_server_id on all of them but one" in problem and "on the hosts you are adding" in problem
    taken = {small_server_id(name) for name in inventory}
    following = [(value + step - 1) % 255 + 1 for step in range(1, 255)]
    expected = [number for number in following if number not in taken][:2]
    assert "(free ids: %d, %d)" % tuple(expected) in problem


def test_a_derived_id_that_an_explicit_one_holds_is_refused():
    derived = small_server_id("b")
    assert problems_of(with_range({"a": {"mariadb_server_id": derived}, "b": {"mariadb_sources": ["a"]}})) == [
        "a, b: mariadb_server_id: b derives the small server_id %d (a hash of the inventory name into 1..255), which a "
        "sets explicitly; set mariadb_server_id on b to a free id (for example mariadb_server_id: %d), or give a "
        "another one." % (derived, derived % 255 + 1)]


def test_explicit_ids_up_to_255_are_kept_and_above_are_refused():
    plan = plan_topology(with_range({"a": {"mariadb_server_id": 255}, "b": {"mariadb_server_id": "1"}}))
    assert values(plan, "server_id") == {"a": 255, "b": 1}
    assert problems_of(with_range({"a": {"mariadb_server_id": 300}})) == [
        "a: mariadb_server_id: 300 is above 255, but mariadb_server_id_range is small: UUID_SHORT() keeps only "
        "server_id & 255, so this server's values would repeat those of server 44 (001: \"one can only use server_id "
        "in the range 1-255\"); give an id from 1 to 255, or remove it to let the planner derive one."]
    assert plan_topology({"a": {"mariadb_server_id": 300}})["a"]["server_id"] == 300


def test_255_servers_fit_and_256_are_refused_once():
    fleet = {"h%03d" % number: {"mariadb_server_id": number + 1} for number in range(255)}
    assert sorted(values(plan_topology(with_range(fleet)), "server_id").values()) == list(range(1, 256))
    derived = with_range({"h%03d" % number: {} for number in range(256)})
    assert problems_of(derived) == [
        "(inventory): mariadb_server_id_range: small gives each server an id from 1 to 255, but the topology has 256 "
        "servers; use large (the default) unless applications call UUID_SHORT() on a ring, or split the servers into "
        "topologies of at most 255."]


def test_the_range_is_one_choice_for_the_whole_topology():
    large = {"mariadb_sources": ["m1"], "mariadb_server_id_range": "large"}
    mixed = dict(with_range(RING), r1={"mariadb_sources": ["m1"]}, r2=large)
    assert problems_of(mixed) == [
        "m1, m2, m3: mariadb_server_id_range: small here, but large on r1, r2 (large is the default); it is one choice "
        "for the whole topology, since UUID_SHORT() values of all servers meet and a large id's low byte can be any "
        "small one; set mariadb_server_id_range to the same value for every host of the topology, for example in the "
        "group_vars of the topology group."]


def test_a_long_list_of_hosts_is_shortened():
    fleet = {"h%02d" % number: {} for number in range(14)}
    fleet["h00"] = {"mariadb_server_id_range": "small"}
    problem, = problems_of(fleet)
    assert problem.startswith("h00: mariadb_server_id_range: small here, but large on h01, h02, h03, h04, h05, h06, "
                              "h07, h08, h09, h10 and 3 more (large is the default)")


def test_an_unknown_range_is_refused():
    assert problems_of({"a": {"mariadb_server_id_range": "tiny"}}) == [
        "a: mariadb_server_id_range: 'tiny' is not a valid value; use one of large, small."]
