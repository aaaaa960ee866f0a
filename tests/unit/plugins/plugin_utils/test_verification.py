"""Verification decisions: broken connections and the positions a replica must reach."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.verification import verify_catch_up, verify_connection_problems
from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import highest_gtid_pos, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.plugin_utils.verification import (
    VerificationError, catch_up_target, connection_problems)


def planned(name, source, delay=0):
    return {"name": name, "source": source, "primary_delay": delay}


def row(name, healthy=True, **extra):
    base = {"connection_name": name, "healthy": healthy, "io_running": "Yes" if healthy else "No",
            "sql_running": "Yes", "last_io_errno": 0 if healthy else 2003, "last_io_error": "" if healthy
            else "Can't connect", "last_sql_errno": 0, "last_sql_error": ""}
    base.update(extra)
    return base


def status(binlog="", slave="", connections=()):
    return {"gtid_binlog_pos": binlog, "gtid_slave_pos": slave, "connections": list(connections)}


def test_connection_problems_names_missing_and_broken_connections_case_insensitively():
    problems = connection_problems(
        [planned("DB1", "db1"), planned("db2", "db2"), planned("db3", "db3")],
        [row("db1"), row("db2", healthy=False)])
    assert problems == [
        "connection 'db2' (from db2): io=No sql=Yes io_error=2003 Can't connect sql_error=0 ",
        "connection 'db3' (from db3) does not exist",
    ]
    assert connection_problems([], []) == []


def test_replica_must_reach_each_sources_binlog_position_per_domain():
    node = {"connections": [planned("db1", "db1"), planned("db2", "db2")]}
    statuses = {
        "db1": status(binlog="1-1-100"),
        "db2": status(binlog="2-2-50,1-1-90"),
        "backup": status(slave="1-1-95", connections=[row("db1"), row("db2")]),
    }
    target = catch_up_target("backup", node, statuses, 30)
    # Domain 1: the highest of the two sources (100); domain 2 from db2.
    assert target == {"wait_for": "1-1-100,2-2-50", "delay": 0, "skipped": [], "unread": []}


def test_domains_already_held_in_the_binlog_or_slave_pos_are_not_waited_for():
    # A ring member: its own domain 3 comes back from its upstream but never enters gtid_slave_pos.
    node = {"connections": [planned("m1", "m1")]}
    statuses = {"m1": status(binlog="1-1-10,3-3-7"),
                "m3": status(binlog="3-3-7", slave="1-1-10", connections=[row("m1")])}
    assert catch_up_target("m3", node, statuses, 30)["wait_for"] == ""


def test_ignored_and_not_listed_domains_are_left_out():
    node = {"connections": [planned("a", "a"), planned("b", "b")]}
    statuses = {
        "a": status(binlog="1-1-5,2-2-5"),
        "b": status(binlog="3-3-5,4-4-5"),
        "r": status(connections=[row("a", replicate_ignore_domain_ids=[2]), row("b", replicate_do_domain_ids=[4])]),
    }
    assert catch_up_target("r", node, statuses, 30)["wait_for"] == "1-1-5,4-4-5"


def test_delayed_connections_add_their_delay_or_are_skipped_with_a_reason():
    node = {"connections": [planned("fast", "a"), planned("slow", "b", delay=5), planned("hour", "c", delay=3600)]}
    statuses = {"a": status(binlog="1-1-5"), "b": status(binlog="2-2-5"), "c": status(binlog="3-3-5"),
                "r": status(connections=[row("fast"), row("slow"), row("hour")])}
    target = catch_up_target("r", node, statuses, 30)
    assert target["wait_for"] == "1-1-5,2-2-5"
    assert target["delay"] == 6
    assert len(target["skipped"]) == 1 and "'hour' (from c) runs 3600 s behind" in target["skipped"][0]


def test_sources_that_were_not_read_are_reported_and_an_unread_host_is_an_error():
    node = {"connections": [planned("a", "a")]}
    assert catch_up_target("r", node, {"r": status()}, 30)["unread"] == ["a"]
    with pytest.raises(VerificationError, match="r: its replication state was not read"):
        catch_up_target("r", node, {}, 30)
    with pytest.raises(VerificationError, match="a gtid_binlog_pos is not a GTID position"):
        catch_up_target("r", node, {"r": status(), "a": status(binlog="x")}, 30)


def test_filters_read_registered_results_from_hostvars_and_skip_failed_hosts():
    host_vars = {
        "a": {"verify_status": status(binlog="1-1-5")},
        "b": {"verify_status": {"failed": True, "msg": "unreachable"}},
        "r": {"verify_status": status(connections=[row("a"), row("b")])},
    }
    node = {"connections": [planned("a", "a"), planned("b", "b")]}
    target = verify_catch_up(node, "r", host_vars, ["a", "b", "r"], "verify_status")
    assert target["wait_for"] == "1-1-5" and target["unread"] == ["b"]
    with pytest.raises(AnsibleFilterError, match="expects this host's plan"):
        verify_catch_up("x", "r", host_vars, ["r"], "verify_status")
    assert verify_connection_problems(node["connections"], host_vars["r"]["verify_status"]) == []
    with pytest.raises(AnsibleFilterError, match="mariadb_replication_info result"):
        verify_connection_problems([], {"connections": None})


def test_highest_gtid_pos_takes_the_highest_seq_no_per_domain():
    merged = highest_gtid_pos("1-1-5,2-2-9", parse_gtid_pos("1-3-7"), "")
    assert {domain: tuple(pos) for domain, pos in merged.items()} == {1: (3, 7), 2: (2, 9)}
