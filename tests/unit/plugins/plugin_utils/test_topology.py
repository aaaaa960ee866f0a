"""The topology planner's rules, one at a time, on small inventories written as plain dicts."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import (
    TopologyError, plan_topology, read_host_vars)
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_settings import stable_number

RING = {
    "m1": {"mariadb_writable": True, "mariadb_sources": ["m3"]},
    "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"]},
    "m3": {"mariadb_writable": True, "mariadb_sources": ["m2"]},
    "r1": {"mariadb_sources": ["m1"]},
}


def problems_of(inventory, hosts=None):
    with pytest.raises(TopologyError) as caught:
        plan_topology(inventory, hosts)
    return caught.value.problems


def ids(plan, key):
    return {host: node[key] for host, node in plan.items()}


# ---------------------------------------------------------------- writable, read_only, roles

def test_writable_defaults_to_having_no_sources():
    plan = plan_topology({"p": {}, "r": {"mariadb_sources": ["p"]}})
    assert (plan["p"]["writable"], plan["p"]["read_only"]) == (True, False)
    assert (plan["r"]["writable"], plan["r"]["read_only"]) == (False, True)


def test_explicit_writable_wins_and_accepts_ini_style_strings():
    plan = plan_topology({"p": {"mariadb_writable": "false"}, "r": {"mariadb_sources": ["p"], "mariadb_writable": "yes"}})
    assert plan["p"]["writable"] is False and plan["r"]["writable"] is True
    assert (plan["p"]["role"], plan["r"]["role"]) == ("read_only_primary", "writable_replica")


def test_roles_of_a_chain():
    plan = plan_topology({"p": {}, "relay": {"mariadb_sources": ["p"]}, "leaf": {"mariadb_sources": ["relay"]}})
    assert ids(plan, "role") == {"p": "primary", "relay": "relay", "leaf": "replica"}


# ---------------------------------------------------------------- server_id

def test_server_ids_are_hash_derived_and_pinned():
    # A change here would renumber every deployed server: the derivation must never change.
    assert stable_number("server_id", "m1", 1, 2 ** 32 - 1) == 3126921719
    plan = plan_topology({"m1": {}})
    assert plan["m1"]["server_id"] == 3126921719


def test_explicit_server_id_wins_and_a_derived_one_steps_aside():
    derived = stable_number("server_id", "b", 1, 2 ** 32 - 1)
    plan = plan_topology({"a": {"mariadb_server_id": derived}, "b": {"mariadb_sources": ["a"]}})
    assert plan["a"]["server_id"] == derived
    assert plan["b"]["server_id"] == derived + 1


def test_server_id_accepts_a_digit_string():
    assert plan_topology({"a": {"mariadb_server_id": "42"}})["a"]["server_id"] == 42


def test_bool_is_not_a_server_id():
    assert problems_of({"a": {"mariadb_server_id": True}}) == [
        "a: mariadb_server_id: True is not a whole number; give a whole number from 1 to 4294967295."]


# ---------------------------------------------------------------- stability

def test_plan_does_not_depend_on_host_order():
    reordered = dict(reversed(list(RING.items())))
    assert plan_topology(RING) == plan_topology(reordered)
    assert plan_topology(RING, ["r1", "m3", "m2", "m1"]) == plan_topology(RING, ["m1", "m2", "m3", "r1"])


def test_adding_hosts_keeps_existing_ids_and_offsets():
    before = plan_topology(RING)
    other_replica = {"mariadb_sources": ["other"], "ansible_host": "10.0.0.9"}
    grown = dict(RING, r2={"mariadb_sources": ["m2"]}, other={}, other_replica=other_replica)
    after = plan_topology(grown)
    for key in ("server_id", "gtid_domain_id", "auto_increment_increment", "auto_increment_offset"):
        assert {host: after[host][key] for host in RING} == ids(before, key), key


def test_adding_a_ring_member_keeps_the_others_offsets_when_free():
    four = {
        "m1": {"mariadb_writable": True, "mariadb_sources": ["m4"]},
        "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"]},
        "m3": {"mariadb_writable": True, "mariadb_sources": ["m2"]},
        "m4": {"mariadb_writable": True, "mariadb_sources": ["m3"]},
    }
    before, after = plan_topology(RING), plan_topology(four)
    assert after["m4"]["auto_increment_offset"] not in {before[m]["auto_increment_offset"] for m in ("m1", "m2", "m3")}
    for member in ("m1", "m2", "m3"):
        assert after[member]["auto_increment_offset"] == before[member]["auto_increment_offset"]
        assert after[member]["gtid_domain_id"] == before[member]["gtid_domain_id"]


# ---------------------------------------------------------------- gtid_domain_id

def test_writers_get_distinct_domains_and_replicas_inherit_through_chains():
    plan = plan_topology({"p": {}, "relay": {"mariadb_sources": ["p"]}, "leaf": {"mariadb_sources": ["relay"]}})
    assert plan["relay"]["gtid_domain_id"] == plan["leaf"]["gtid_domain_id"] == plan["p"]["gtid_domain_id"]


def test_a_writable_replica_has_its_own_domain():
    plan = plan_topology({"p": {}, "w": {"mariadb_sources": ["p"], "mariadb_writable": True}})
    assert plan["w"]["gtid_domain_id"] != plan["p"]["gtid_domain_id"]


def test_explicit_domain_ids_win_and_may_repeat_on_non_writers():
    plan = plan_topology({"p": {"mariadb_gtid_domain_id": 1}, "q": {"mariadb_gtid_domain_id": 2},
                          "r": {"mariadb_sources": ["q", "p"], "mariadb_gtid_domain_id": 1}})
    assert ids(plan, "gtid_domain_id") == {"p": 1, "q": 2, "r": 1}


def test_aggregator_takes_its_first_sources_domain():
    plan = plan_topology({"p": {"mariadb_gtid_domain_id": 1}, "q": {"mariadb_gtid_domain_id": 2},
                          "r": {"mariadb_sources": ["q", "p"]}})
    assert plan["r"]["gtid_domain_id"] == 2


def test_domain_zero_is_allowed_explicitly():
    assert plan_topology({"p": {"mariadb_gtid_domain_id": 0}})["p"]["gtid_domain_id"] == 0


# ---------------------------------------------------------------- log_bin, log_slave_updates

def test_log_bin_on_sources_and_log_slave_updates_on_relays():
    plan = plan_topology({"p": {}, "relay": {"mariadb_sources": ["p"]}, "leaf": {"mariadb_sources": ["relay"]}})
    assert ids(plan, "log_bin") == {"p": True, "relay": True, "leaf": False}
    assert ids(plan, "log_slave_updates") == {"p": False, "relay": True, "leaf": False}


def test_explicit_log_slave_updates_on_a_leaf_turns_log_bin_on():
    plan = plan_topology({"p": {}, "r": {"mariadb_sources": ["p"], "mariadb_log_slave_updates": True}})
    assert (plan["r"]["log_slave_updates"], plan["r"]["log_bin"]) == (True, True)


# ---------------------------------------------------------------- auto_increment

def test_single_writer_spacing_is_not_managed_unless_given():
    plan = plan_topology({"p": {}, "r": {"mariadb_sources": ["p"]}})
    assert (plan["p"]["auto_increment_increment"], plan["p"]["auto_increment_offset"]) == (None, None)
    plan = plan_topology({"p": {"mariadb_auto_increment_increment": 5, "mariadb_auto_increment_offset": 3}})
    assert (plan["p"]["auto_increment_increment"], plan["p"]["auto_increment_offset"]) == (5, 3)


def test_writers_that_never_meet_are_not_spaced():
    plan = plan_topology({"p": {}, "q": {}, "rp": {"mariadb_sources": ["p"]}, "rq": {"mariadb_sources": ["q"]}})
    assert plan["p"]["auto_increment_increment"] is None and plan["q"]["auto_increment_increment"] is None


def test_more_writers_than_headroom_raise_the_increment():
    hosts = ["w%02d" % index for index in range(12)]
    ring = {host: {"mariadb_writable": True, "mariadb_sources": [hosts[index - 1]]} for index, host in enumerate(hosts)}
    plan = plan_topology(ring)
    assert {plan[host]["auto_increment_increment"] for host in hosts} == {12}
    assert sorted(plan[host]["auto_increment_offset"] for host in hosts) == list(range(1, 13))


def test_derived_offsets_avoid_explicit_ones():
    derived_b = plan_topology({"a": {"mariadb_sources": ["b"], "mariadb_writable": True},
                               "b": {"mariadb_sources": ["a"], "mariadb_writable": True}})["b"]["auto_increment_offset"]
    plan = plan_topology({"a": {"mariadb_sources": ["b"], "mariadb_writable": True, "mariadb_auto_increment_offset": derived_b},
                          "b": {"mariadb_sources": ["a"], "mariadb_writable": True}})
    assert plan["a"]["auto_increment_offset"] == derived_b
    assert plan["b"]["auto_increment_offset"] not in (derived_b, None)


def test_explicit_compatible_increments_pass():
    # Steps 2 and 4 share the factor 2; an odd and an even offset never meet.
    plan = plan_topology({"a": {"mariadb_auto_increment_increment": 2, "mariadb_auto_increment_offset": 1},
                          "b": {"mariadb_auto_increment_increment": 4, "mariadb_auto_increment_offset": 2},
                          "r": {"mariadb_sources": ["a", "b"]}})
    assert (plan["a"]["auto_increment_offset"], plan["b"]["auto_increment_offset"]) == (1, 2)


def test_an_increment_of_one_leaves_no_room():
    found = problems_of({"a": {"mariadb_auto_increment_increment": 1}, "b": {"mariadb_auto_increment_increment": 1},
                         "r": {"mariadb_sources": ["a", "b"]}})
    assert found == ["a, b: mariadb_auto_increment_increment/mariadb_auto_increment_offset: b needs an "
                     "auto_increment_offset, but with increment 1 every offset from 1 to 1 shares values with a "
                     "(offset 1 step 1); give the writers whose writes meet one shared increment of at least 2 and "
                     "distinct offsets, or remove these settings to let the planner choose."]


def test_no_room_for_an_offset_names_the_writers_whose_settings_take_it_not_an_unconfigured_one():
    # b sets nothing: a's explicit step of 1 takes every value, so the refusal names a, where the fix goes.
    found = problems_of({"a": {"mariadb_auto_increment_increment": 1, "mariadb_auto_increment_offset": 1}, "b": {},
                         "r": {"mariadb_sources": ["a", "b"]}})
    assert len(found) == 1 and found[0].startswith(
        "a: mariadb_auto_increment_increment/mariadb_auto_increment_offset: b needs an auto_increment_offset, but with "
        "increment 10 every offset from 1 to 10 shares values with a (offset 1 step 1)")
    found = problems_of({"a": {"mariadb_auto_increment_increment": 2, "mariadb_auto_increment_offset": 1},
                         "b": {"mariadb_auto_increment_increment": 2, "mariadb_auto_increment_offset": 2}, "c": {},
                         "r": {"mariadb_sources": ["a", "b", "c"]}})
    assert len(found) == 1 and found[0].startswith(
        "a, b: mariadb_auto_increment_increment/mariadb_auto_increment_offset: c needs an auto_increment_offset")


# ---------------------------------------------------------------- gtid_ignore_duplicates, use_gtid

def test_ignore_duplicates_where_events_arrive_twice():
    plan = plan_topology({"a": {"mariadb_writable": True, "mariadb_sources": ["b"]},
                          "b": {"mariadb_writable": True, "mariadb_sources": ["a"]},
                          "backup": {"mariadb_sources": ["a", "b"]}})
    assert plan["backup"]["gtid_ignore_duplicates"] is True
    assert plan["backup"]["in_cycle"] is False
    assert [c["primary_use_gtid"] for c in plan["backup"]["connections"]] == ["slave_pos", "slave_pos"]


def test_diamond_duplicates_only_where_paths_join():
    plan = plan_topology({"p": {}, "left": {"mariadb_sources": ["p"]}, "right": {"mariadb_sources": ["p"]},
                          "join": {"mariadb_sources": ["left", "right"]}})
    assert ids(plan, "gtid_ignore_duplicates") == {"p": False, "left": False, "right": False, "join": True}


def test_every_link_uses_slave_pos_ring_links_included():
    """current_pos on a ring link stops the link (1236) when the writer reconnects while its upstream lags in the
    writer's own domain; tests/integration/test_ring_gtid_mode.py shows it on real servers."""
    inventory = dict(RING, x={})
    inventory["m1"] = {"mariadb_writable": True, "mariadb_sources": ["m3", "x"]}
    plan = plan_topology(inventory)
    assert [(c["source"], c["primary_use_gtid"]) for c in plan["m1"]["connections"]] == [
        ("m3", "slave_pos"), ("x", "slave_pos")]


def test_explicit_use_gtid_and_ignore_duplicates_win():
    inventory = dict(RING)
    inventory["m2"] = {"mariadb_writable": True, "mariadb_gtid_ignore_duplicates": False,
                       "mariadb_sources": [{"host": "m1", "use_gtid": "current_pos"}]}
    plan = plan_topology(inventory)
    assert plan["m2"]["connections"][0]["primary_use_gtid"] == "current_pos"
    assert plan["m2"]["gtid_ignore_duplicates"] is False


# ---------------------------------------------------------------- connections and parallel apply

def test_connection_defaults_and_options():
    plan = plan_topology({"db.example.com": {"ansible_host": "10.0.0.1", "mariadb_port": "3307"},
                          "r": {"mariadb_sources": [{"host": "db.example.com", "delay": "60", "ssl_ca": "/ca.pem",
                                                     "replicate_wild_ignore_table": ["tmp%.%"], "seed": "never"}]}})
    connection = plan["r"]["connections"][0]
    assert connection == {
        "name": "db_example_com", "source": "db.example.com", "primary_host": "10.0.0.1", "primary_port": 3307,
        "primary_use_gtid": "slave_pos", "primary_delay": 60, "primary_ssl": True, "primary_ssl_ca": "/ca.pem",
        "primary_ssl_cert": None, "primary_ssl_key": None, "primary_ssl_verify_server_cert": None,
        "filters": {"replicate_do_db": [], "replicate_ignore_db": [], "replicate_do_table": [],
                    "replicate_ignore_table": [], "replicate_wild_do_table": [], "replicate_wild_ignore_table": ["tmp%.%"]},
        "seed": "never", "seed_method": None, "seed_databases": None,
    }


def test_replication_host_beats_ansible_host_beats_name():
    plan = plan_topology({"a": {"ansible_host": "1.1.1.1", "mariadb_replication_host": "10.0.0.1"},
                          "b": {"ansible_host": "1.1.1.2"}, "c": {}})
    assert ids(plan, "replication_host") == {"a": "10.0.0.1", "b": "1.1.1.2", "c": "c"}


def test_parallel_apply_for_multi_source_only():
    sources = ["p%d" % index for index in range(6)]
    inventory = {name: {} for name in sources}
    inventory["agg"] = {"mariadb_sources": sources}
    inventory["one"] = {"mariadb_sources": ["p0"]}
    plan = plan_topology(inventory)
    assert (plan["agg"]["slave_parallel_threads"], plan["agg"]["slave_parallel_mode"]) == (6, "optimistic")
    assert (plan["one"]["slave_parallel_threads"], plan["one"]["slave_parallel_mode"]) == (None, None)
    inventory["agg"] = {"mariadb_sources": sources, "mariadb_slave_parallel_threads": 2,
                        "mariadb_slave_parallel_mode": "conservative"}
    plan = plan_topology(inventory)
    assert (plan["agg"]["slave_parallel_threads"], plan["agg"]["slave_parallel_mode"]) == (2, "conservative")


def test_null_sources_mean_none():
    assert plan_topology({"p": {"mariadb_sources": None}})["p"]["connections"] == []


# ---------------------------------------------------------------- hosts argument and errors

def test_hosts_argument_limits_the_plan_and_sources_must_be_in_it():
    plan = plan_topology(RING, ["m1", "m2", "m3"])
    assert sorted(plan) == ["m1", "m2", "m3"]
    assert problems_of(RING, ["m2", "m3", "r1"])[0].startswith("m2: mariadb_sources: source 'm1' is not a host")


def test_host_missing_from_host_vars_is_refused():
    assert read_host_vars({}, "ghost") == {}
    assert problems_of({"p": {}}, ["p", "ghost"]) == [
        "(inventory): hosts: 'ghost' is not a host of the inventory (hostvars has no such host); remove it, or add the "
        "host to the inventory."]


def test_read_host_vars_reads_only_the_contract():
    assert read_host_vars({"a": {"mariadb_sources": ["b"], "unrelated": 1, "ansible_host": "h"}}, "a") == {
        "mariadb_sources": ["b"], "ansible_host": "h"}


def test_non_string_host_names_are_reported():
    assert problems_of({1: {}}) == ["(inventory): hosts: [1] are not host names; pass a list of host names."]


def test_error_message_lists_every_problem_on_its_own_line():
    with pytest.raises(TopologyError) as caught:
        plan_topology({"a": {"mariadb_port": 0}, "b": {"mariadb_sources": ["b"]}})
    message = str(caught.value)
    assert message.splitlines() == [
        "the replication topology in the inventory has 2 problem(s):",
        "- a: mariadb_port: 0 is out of range; give a whole number from 1 to 65535.",
        "- b: mariadb_sources: b lists itself as a source (a ring of one); remove it; a ring needs two or more servers.",
    ]


def test_a_non_writer_cycle_fed_by_a_writer_is_allowed():
    plan = plan_topology({"p": {}, "a": {"mariadb_sources": ["p", "b"]}, "b": {"mariadb_sources": ["a"]}})
    assert plan["a"]["in_cycle"] and plan["b"]["in_cycle"]
    assert plan["a"]["gtid_domain_id"] == plan["b"]["gtid_domain_id"] == plan["p"]["gtid_domain_id"]


def test_a_connection_named_like_another_source_is_not_a_repeat():
    plan = plan_topology({"db1": {}, "db2": {},
                          "r": {"mariadb_sources": [{"host": "db1", "connection_name": "db2"},
                                                    {"host": "db2", "connection_name": "db1"}]}})
    assert [(c["name"], c["source"]) for c in plan["r"]["connections"]] == [("db2", "db1"), ("db1", "db2")]


def test_a_derived_name_can_clash_with_an_explicit_one():
    found = problems_of({"db-1": {}, "x": {}, "r": {"mariadb_sources": [{"host": "x", "connection_name": "DB_1"}, "db-1"]}})
    assert found == ["r: mariadb_sources: connection names 'DB_1' (source x) and 'db_1' (source db-1) are the same when "
                     "case is ignored, as MariaDB compares them; set a distinct connection_name on one of them."]
