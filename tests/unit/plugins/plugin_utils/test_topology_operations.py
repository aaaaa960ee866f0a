"""Switchover and failover as inventory edits: candidate choice, the new graph and the refusals."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_operations import (
    OperationError, choose_candidate, errant_transactions, plan_failover, plan_switchover, report, start_waits, take_place)

PAIR = {"a": {"mariadb_sources": ["b"], "mariadb_writable": True}, "b": {"mariadb_sources": ["a"]}}
PRIMARY = {"p": {}, "r1": {"mariadb_sources": ["p"], "mariadb_log_slave_updates": True},
           "r2": {"mariadb_sources": ["p"]}}
RING = {"m1": {"mariadb_sources": ["m3"], "mariadb_writable": True},
        "m2": {"mariadb_sources": ["m1"], "mariadb_writable": True},
        "m3": {"mariadb_sources": ["m2"], "mariadb_writable": True},
        "r1": {"mariadb_sources": ["m2"], "mariadb_log_slave_updates": True}}
AGGREGATOR = {"p1": {}, "p2": {}, "r1": {"mariadb_sources": ["p1"], "mariadb_log_slave_updates": True},
              "x": {"mariadb_sources": ["p1", {"host": "p2", "connection_name": "second"}]}}


def state(binlog="", slave="", log_bin=True, log_slave_updates=True, connections=()):
    return {"gtid_binlog_pos": binlog, "gtid_slave_pos": slave, "log_bin": log_bin,
            "log_slave_updates": log_slave_updates, "connections": list(connections)}


def states_for(inventory, **overrides):
    plan = plan_topology(inventory)
    found = {host: state(log_bin=plan[host]["log_bin"], log_slave_updates=plan[host]["log_slave_updates"])
             for host in inventory}
    found.update(overrides)
    return found


def declared(inventory):
    return {host: {"sources": list(variables.get("mariadb_sources", [])),
                   "writable": variables.get("mariadb_writable")} for host, variables in inventory.items()}


# ---------------------------------------------------------------- the graph edit

def test_a_pair_swaps_its_writable_side_and_stays_a_pair():
    after = take_place(declared(PAIR), "a", "b")
    assert after == {"a": {"sources": ["b"], "writable": False}, "b": {"sources": ["a"], "writable": True}}


def test_a_replica_of_a_primary_takes_its_place_and_the_others_follow_it():
    after = take_place(declared(PRIMARY), "p", "r1")
    assert after["r1"] == {"sources": [], "writable": True}
    assert after["p"] == {"sources": ["r1"], "writable": False}
    assert after["r2"]["sources"] == ["r1"]


def test_a_ring_closes_around_the_replaced_member():
    after = take_place(declared(RING), "m2", "r1")
    assert after["r1"] == {"sources": ["m1"], "writable": True}
    assert after["m3"]["sources"] == ["r1"]
    assert after["m1"]["sources"] == ["m3"]
    assert after["m2"] == {"sources": ["r1"], "writable": False}


def test_an_aggregators_connection_follows_and_keeps_its_options():
    inventory = dict(AGGREGATOR, x={"mariadb_sources": [{"host": "p1", "delay": 5}, "p2"]})
    after = take_place(declared(inventory), "p1", "r1")
    assert after["x"]["sources"] == [{"host": "r1", "delay": 5}, "p2"]


def test_a_host_that_already_replicates_from_the_candidate_drops_the_old_link():
    inventory = {"a": {"mariadb_sources": ["b"], "mariadb_writable": True}, "b": {"mariadb_sources": ["a"]},
                 "r": {"mariadb_sources": ["a", "b"]}}
    assert take_place(declared(inventory), "a", "b")["r"]["sources"] == ["b"]


# ---------------------------------------------------------------- switchover

def test_switchover_of_a_pair_needs_no_restart_and_names_the_inventory_change():
    result = plan_switchover(PAIR, list(PAIR), None, "b", states_for(PAIR))
    assert result["old"] == "a" and result["candidate"] == "b"
    assert result["inventory_change"] == {"a": {"mariadb_sources": ["b"], "mariadb_writable": False},
                                          "b": {"mariadb_sources": ["a"], "mariadb_writable": True}}
    assert result["plan"]["b"]["writable"] and result["plan"]["a"]["read_only"]
    assert result["promote"]["read_only"] is False
    assert result["promote"]["gtid_domain_id"] == result["plan"]["b"]["gtid_domain_id"]
    assert result["removed_connections"] == {}
    # The planner run on the printed inventory gives the same plan: site.yml and the operation agree.
    edited = {host: dict(PAIR[host], **result["inventory_change"][host]) for host in PAIR}
    assert plan_topology(edited) == result["plan"]


def test_switchover_of_a_primary_removes_the_links_to_the_old_writer():
    result = plan_switchover(PRIMARY, list(PRIMARY), None, "r1", states_for(PRIMARY))
    assert result["removed_connections"] == {"r1": ["p"], "r2": ["p"]}
    assert [connection["source"] for connection in result["plan"]["r2"]["connections"]] == ["r1"]


@pytest.mark.parametrize("candidate, message", [
    ("a", "a is already writable"),
    ("zz", "'zz' is not a host of the topology"),
])
def test_switchover_refuses_a_candidate_that_cannot_take_over(candidate, message):
    with pytest.raises(OperationError, match=message):
        plan_switchover(PAIR, list(PAIR), None, candidate, states_for(PAIR))


def test_switchover_refuses_a_candidate_without_a_binary_log_naming_the_fix():
    inventory = {"p": {}, "r1": {"mariadb_sources": ["p"]}}
    with pytest.raises(OperationError, match=r"r1: the candidate runs without a binary log.*"
                                             r"mariadb_log_slave_updates: true on r1"):
        plan_switchover(inventory, list(inventory), None, "r1", states_for(inventory))


def test_switchover_refuses_a_delayed_candidate():
    inventory = {"p": {}, "r1": {"mariadb_sources": [{"host": "p", "delay": 60}], "mariadb_log_slave_updates": True}}
    with pytest.raises(OperationError, match="delayed by 60 s"):
        plan_switchover(inventory, list(inventory), None, "r1", states_for(inventory))


def test_switchover_refuses_when_a_host_did_not_answer():
    found = states_for(PRIMARY)
    del found["r2"]
    with pytest.raises(OperationError, match="r2: a switchover needs every host"):
        plan_switchover(PRIMARY, list(PRIMARY), None, "r1", found)


def test_switchover_refuses_when_a_static_setting_would_need_a_restart():
    found = states_for(RING)
    found["r1"] = state(log_slave_updates=False)
    with pytest.raises(OperationError, match=r"r1: after the switchover the topology needs log_slave_updates=ON"):
        plan_switchover(RING, list(RING), None, "r1", found)


# ---------------------------------------------------------------- failover

def conn(name, io_pos):
    return {"connection_name": name, "gtid_io_pos": io_pos}


def test_failover_takes_the_most_advanced_replica_in_the_failed_writers_domain():
    inventory = dict(PRIMARY, r2={"mariadb_sources": ["p"], "mariadb_log_slave_updates": True})
    domain = plan_topology(inventory)["p"]["gtid_domain_id"]
    found = {"r1": state(slave="%d-1-10" % domain, connections=[conn("p", "%d-1-12" % domain)]),
             "r2": state(slave="%d-1-11" % domain, connections=[conn("p", "%d-1-15" % domain)])}
    result = plan_failover(inventory, list(inventory), None, "p", found)
    assert result["candidate"] == "r2"
    assert result["last_seen"].endswith("-15")
    assert "after sequence number 15" in result["lost_text"]
    with pytest.raises(OperationError, match=r"r1 received p's domain .* up to 12, but r2 got further \(r2: 15\)"):
        plan_failover(inventory, list(inventory), None, "p", found, "r1")


def test_failover_refuses_a_host_that_answers_and_a_host_that_is_not_a_writer():
    with pytest.raises(OperationError, match="answered, so it is not lost"):
        plan_failover(PAIR, list(PAIR), None, "a", states_for(PAIR))
    with pytest.raises(OperationError, match="b is not writable"):
        plan_failover(PAIR, list(PAIR), None, "b", {"a": state()})


def test_failover_of_a_pair_keeps_the_link_back_to_the_lost_side():
    result = plan_failover(PAIR, list(PAIR), None, "a", {"b": state()})
    assert result["candidate"] == "b"
    assert result["inventory_change"]["a"] == {"mariadb_sources": ["b"], "mariadb_writable": False}
    assert [connection["source"] for connection in result["plan"]["b"]["connections"]] == ["a"]


def test_failover_of_a_ring_member_promotes_its_replica_into_the_ring():
    found = states_for(RING)
    del found["m2"]
    result = plan_failover(RING, list(RING), None, "m2", found)
    assert result["candidate"] == "r1"
    assert result["removed_connections"] == {"m3": ["m2"], "r1": ["m2"]}
    assert result["plan"]["r1"]["role"] == "ring_member"


def test_failover_of_an_aggregator_source_leaves_the_other_connection_alone():
    found = states_for(AGGREGATOR)
    del found["p1"]
    result = plan_failover(AGGREGATOR, list(AGGREGATOR), None, "p1", found)
    assert [(c["name"], c["source"]) for c in result["plan"]["x"]["connections"]] == [("r1", "r1"), ("second", "p2")]
    assert result["removed_connections"] == {"r1": ["p1"], "x": ["p1"]}
    assert result["inventory_change"]["x"]["mariadb_sources"] == ["r1", {"host": "p2", "connection_name": "second"}]


def test_failover_keeps_a_named_aggregator_connection_and_points_it_at_the_candidate():
    inventory = dict(AGGREGATOR, x={"mariadb_sources": [{"host": "p1", "connection_name": "shop", "replicate_do_db": ["shop"]},
                                                        {"host": "p2", "connection_name": "crm"}]})
    found = states_for(inventory)
    del found["p1"]
    result = plan_failover(inventory, list(inventory), None, "p1", found)
    assert [(c["name"], c["source"]) for c in result["plan"]["x"]["connections"]] == [("shop", "r1"), ("crm", "p2")]
    # Neither held back as a link from the lost writer nor removed: the rewire changes its source.
    assert "x" not in result["lost_links"] and "x" not in result["removed_connections"]
    assert result["lost_links"] == {"r1": ["p1"]}


def test_no_candidate_is_refused_with_the_replicas_named():
    with pytest.raises(OperationError, match=r"no reachable .* replica of p .*its replicas: r1, r2"):
        plan_failover(PRIMARY, list(PRIMARY), None, "p", {"r1": state(log_bin=False), "r2": state(log_bin=False)})


def test_choose_candidate_prefers_received_over_applied():
    plan = plan_topology(dict(PRIMARY, r2={"mariadb_sources": ["p"], "mariadb_log_slave_updates": True}))
    domain = plan["p"]["gtid_domain_id"]
    found = {"r1": state(slave="%d-1-20" % domain), "r2": state(connections=[conn("p", "%d-1-21" % domain)])}
    assert choose_candidate(plan, "p", found) == ("r2", [])


# ---------------------------------------------------------------- rejoin and wiring order

def test_errant_transactions_are_what_no_source_holds():
    node = state(binlog="1-1-10,2-2-5")
    assert errant_transactions(node, [state(binlog="1-1-8", slave="2-2-5")]) == [
        {"domain": 1, "from_seq_no": 9, "to": "1-1-10", "count": 2,
         "text": "domain 1: seq_no 9 to 1-1-10 (2 transaction(s))"}]
    assert errant_transactions(node, [state(binlog="1-1-10,2-2-7")]) == []


def test_a_link_whose_replica_is_ahead_of_its_source_waits():
    plan = plan_topology(RING)
    found = {"m1": state(binlog="5-1-3"), "m2": state(), "m3": state(slave="5-1-4"), "r1": state()}
    # A source whose binary log lacks the domain entirely accepts the replica (multi-source does this all the time).
    assert start_waits(plan, found, ["m3"]) == []
    found["m2"] = state(binlog="5-1-3")
    assert start_waits(plan, found, ["m3"]) == [{"host": "m3", "connection": "m2", "source": "m2",
                                                 "position": "5-1-4"}]
    found["m2"] = state(binlog="5-1-4")
    assert start_waits(plan, found, ["m3"]) == []


def test_a_ring_of_writers_closes_around_a_lost_member():
    ring = {host: variables for host, variables in RING.items() if host != "r1"}
    found = states_for(ring)
    del found["m2"]
    result = plan_failover(ring, list(ring), None, "m2", found)
    assert result["candidate"] is None and result["promote"] == {}
    assert result["inventory_change"] == {"m2": {"mariadb_sources": ["m3"], "mariadb_writable": False},
                                          "m3": {"mariadb_sources": ["m1"], "mariadb_writable": True}}
    assert result["removed_connections"] == {"m3": ["m2"]}


def test_failover_refuses_an_unknown_or_unreachable_candidate():
    found = states_for(PRIMARY)
    del found["p"]
    with pytest.raises(OperationError, match="'zz' is not a host of the topology"):
        plan_failover(PRIMARY, list(PRIMARY), None, "p", found, "zz")
    del found["r1"]
    with pytest.raises(OperationError, match="r1 did not answer"):
        plan_failover(PRIMARY, list(PRIMARY), None, "p", found, "r1")


def test_the_inventory_change_leaves_out_writable_flags_the_inventory_never_set():
    result = plan_switchover(PRIMARY, list(PRIMARY), None, "r1", states_for(PRIMARY))
    assert result["inventory_change"]["r2"] == {"mariadb_sources": ["r1"]}
    assert "None" not in "\n".join(report(result))


def test_a_setting_the_new_plan_would_turn_off_is_kept_by_pinning_it():
    found = states_for(PRIMARY)
    found["p"] = state(log_slave_updates=True)
    with pytest.raises(OperationError, match=r"p: after the switchover the topology needs log_slave_updates=OFF.*"
                                             r"set mariadb_log_slave_updates: true on p in the inventory"):
        plan_switchover(PRIMARY, list(PRIMARY), None, "r1", found)
