"""The seed planner and a source's binary-log filters: what a source never logs is never copied as if replicated."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.filter.seed_plan import seed_facts, seed_step_text
from ansible_collections.replkit.mariadb.plugins.plugin_utils.seeding import SeedPlanError, plan_seeding
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology


def aggregator(ignore=None, do=None, entry=None):
    db1 = {}
    if ignore:
        db1["mariadb_binlog_ignore_db"] = ignore
    if do:
        db1["mariadb_binlog_do_db"] = do
    return plan_topology({"db1": db1, "db2": {},
                          "backup": {"mariadb_sources": [dict({"host": "db1", "connection_name": "shop"}, **(entry or {})),
                                                         {"host": "db2", "connection_name": "crm"}]}})


def facts(db1=("shop", "scratch"), db2=("crm",), backup=(), running=None):
    result = {"db1": {"databases": list(db1), "connections": []}, "db2": {"databases": list(db2), "connections": []},
              "backup": {"databases": list(backup), "connections": []}}
    if running is not None:
        result["db1"]["binlog_filters"] = running
    return result


def refused(plan, servers):
    with pytest.raises(SeedPlanError) as caught:
        plan_seeding(plan, servers)
    return caught.value.problems


def test_default_selection_leaves_out_what_the_source_does_not_log_and_says_so():
    result = plan_seeding(aggregator(ignore=["scratch"]), facts())
    shop = result["steps"][0]
    assert (shop["source"], shop["databases"], shop["unlogged"]) == ("db1", ["shop"], ["scratch"])
    assert "unlogged" not in result["steps"][1]
    assert seed_step_text(shop) == (
        "backup <- db1 (connection 'shop') - round 1, consistent_dump of shop; not copied, db1 does not write them to "
        "its binary log, so they never reach the replica: scratch")
    assert result["notes"] == []


def test_binlog_do_db_keeps_every_other_database_out():
    result = plan_seeding(aggregator(do=["shop"]), facts(db1=("shop", "crm_archive", "scratch")))
    assert result["steps"][0]["databases"] == ["shop"]
    assert result["steps"][0]["unlogged"] == ["crm_archive", "scratch"]


def test_a_source_that_logs_nothing_it_holds_is_skipped_with_the_word():
    result = plan_seeding(aggregator(ignore=["scratch"]), facts(db1=("scratch",)))
    skipped = [entry for entry in result["skipped"] if entry["source"] == "db1"][0]
    assert skipped["reason"] == "db1 holds no database to copy" and skipped["unlogged"] == ["scratch"]
    assert "not seeded, db1 holds no database to copy; not copied" in seed_step_text(skipped)


def test_the_running_servers_filters_count_too():
    # Seed 000: binlog-ignore-db in the source's own my.cnf, not in the inventory.
    running = {"do": [], "ignore": ["scratch"]}
    result = plan_seeding(aggregator(), facts(running=running))
    assert result["steps"][0]["databases"] == ["shop"] and result["steps"][0]["unlogged"] == ["scratch"]
    assert result["notes"] == [
        "db1: the running server's binary-log filters (binlog_ignore_db: scratch) differ from the inventory's (none); "
        "the server role writes the inventory's and a restart applies them, lists from another option file stay. "
        "Seeding counts a database as logged only when both log it"]


def test_planned_filters_not_yet_applied_count_and_are_noted():
    result = plan_seeding(aggregator(ignore=["scratch"]), facts(running={"do": [], "ignore": []}))
    assert result["steps"][0]["databases"] == ["shop"]
    assert result["notes"][0].startswith("db1: the running server's binary-log filters (none) differ from the "
                                         "inventory's (mariadb_binlog_ignore_db: scratch)")
    same = plan_seeding(aggregator(ignore=["scratch"]), facts(running={"do": [], "ignore": ["scratch"]}))
    assert same["notes"] == []


def test_seed_databases_naming_an_unlogged_database_are_refused():
    # The inventory does not know: the running server does (the planner refuses the inventory case itself).
    problems = refused(aggregator(entry={"seed_databases": ["shop", "scratch"]}),
                       facts(running={"do": [], "ignore": ["scratch"]}))
    assert problems == [
        "backup: mariadb_sources entry for db1 lists seed_databases scratch, which db1 does not write to its binary "
        "log (scratch: the running server's binlog_ignore_db (SHOW MASTER STATUS on db1) lists it): the copy would "
        "never receive a change; remove them from seed_databases, or make db1 log them "
        "(mariadb_binlog_ignore_db/mariadb_binlog_do_db on db1, or the server's own option files)"]


def test_mariadb_backup_from_a_source_with_unlogged_databases_is_refused():
    plan = plan_topology({"p": {"mariadb_binlog_ignore_db": ["scratch"]},
                          "r": {"mariadb_sources": [{"host": "p", "seed_method": "mariadb_backup"}]}})
    problems = refused(plan, {"p": {"databases": ["app", "scratch"], "connections": []},
                              "r": {"databases": [], "connections": []}})
    assert len(problems) == 1 and problems[0].startswith(
        "r: cannot seed the connection from p with mariadb_backup: it copies the whole server, but p does not write "
        "scratch to its binary log (scratch: p's mariadb_binlog_ignore_db lists it)")
    # Nothing unlogged held: the physical copy is fine.
    plan_seeding(plan, {"p": {"databases": ["app"], "connections": []}, "r": {"databases": [], "connections": []}})


def test_a_relay_that_was_not_given_an_unlogged_database_does_not_pass_it_on():
    plan = plan_topology({"p": {"mariadb_binlog_ignore_db": ["scratch"]}, "relay": {"mariadb_sources": ["p"]},
                          "leaf": {"mariadb_sources": ["relay"]}})
    result = plan_seeding(plan, {"p": {"databases": ["app", "scratch"], "connections": []},
                                 "relay": {"databases": [], "connections": []},
                                 "leaf": {"databases": [], "connections": []}})
    assert [(step["replica"], step["databases"]) for step in result["steps"]] == [("relay", ["app"]), ("leaf", ["app"])]


def test_seed_facts_carry_the_running_filters_where_a_binary_log_runs():
    info = {"databases": ["shop"], "connections": [], "log_bin": True, "binlog_do_db": [],
            "binlog_ignore_db": ["scratch"]}
    host_vars = {"a": {"info": info}, "b": {"info": dict(info, log_bin=False)}, "c": {"info": {"databases": []}}}
    collected = seed_facts(host_vars, ["a", "b", "c"], "info")
    assert collected["a"]["binlog_filters"] == {"do": [], "ignore": ["scratch"]}
    assert "binlog_filters" not in collected["b"] and "binlog_filters" not in collected["c"]
