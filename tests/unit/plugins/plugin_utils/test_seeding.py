"""The seed planner: which replica is seeded from which source, in which round, and what it refuses."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.plugin_utils.seeding import SeedPlanError, plan_seeding
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology


def facts(**held):
    """host=[databases] or host=([databases], [connections])."""
    result = {}
    for host, value in held.items():
        databases, connections = value if isinstance(value, tuple) else (value, [])
        result[host] = {"databases": list(databases), "connections": list(connections)}
    return result


def steps_of(result):
    return [(step["round"], step["replica"], step["source"], step["databases"]) for step in result["steps"]]


AGGREGATOR = {
    "db1": {"mariadb_writable": True},
    "db2": {"mariadb_writable": True},
    "backup": {"mariadb_sources": ["db1", {"host": "db2", "connection_name": "crm"}]},
}
PAIR = {"a": {"mariadb_writable": True, "mariadb_sources": ["b"]},
        "b": {"mariadb_writable": False, "mariadb_sources": ["a"]}}
RING = {"m1": {"mariadb_writable": True, "mariadb_sources": ["m3"]},
        "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"]},
        "m3": {"mariadb_writable": True, "mariadb_sources": ["m2"]}}


def test_aggregator_gets_each_primarys_databases_in_one_round():
    result = plan_seeding(plan_topology(AGGREGATOR), facts(db1=["shop", "shop_audit"], db2=["crm"], backup=[]))
    assert steps_of(result) == [(1, "backup", "db1", ["shop", "shop_audit"]), (1, "backup", "db2", ["crm"])]
    assert [step["connection"] for step in result["steps"]] == ["db1", "crm"]
    assert all(step["method"] == "consistent_dump" and not step["force"] for step in result["steps"])
    assert result["rounds"] == 1


def test_rerun_never_seeds_again():
    plan = plan_topology(AGGREGATOR)
    seeded = facts(db1=["shop"], db2=["crm"], backup=(["shop", "crm"], ["db1", "CRM"]))
    result = plan_seeding(plan, seeded)
    assert result["steps"] == [] and result["rounds"] == 0
    assert {item["reason"] for item in result["skipped"]} == {"the connection exists already (set up before)"}
    # Without connections (seeded by hand), the data already there is enough not to copy.
    by_hand = plan_seeding(plan, facts(db1=["shop"], db2=["crm"], backup=["shop", "crm"]))
    assert by_hand["steps"] == [] and "already holds" in by_hand["skipped"][0]["reason"]


def test_master_master_bootstrap_builds_b_from_a_and_never_a_from_b():
    result = plan_seeding(plan_topology(PAIR), facts(a=["important"], b=[]))
    assert steps_of(result) == [(1, "b", "a", ["important"])]
    assert result["skipped"] == [{"replica": "a", "source": "b", "connection": "b", "reason": "b holds no database to copy"}]


def test_pair_with_data_on_both_sides_copies_only_what_each_lacks():
    result = plan_seeding(plan_topology(PAIR), facts(a=["one"], b=["two"]))
    assert sorted(steps_of(result)) == [(1, "b", "a", ["one"]), (2, "a", "b", ["two"])]


def test_ring_is_filled_from_its_one_member_with_data_round_by_round():
    result = plan_seeding(plan_topology(RING), facts(m1=["app"], m2=[], m3=[]))
    assert steps_of(result) == [(1, "m2", "m1", ["app"]), (2, "m3", "m2", ["app"])]
    assert result["skipped"][0]["replica"] == "m1"
    assert result["rounds"] == 2


def test_replicas_of_a_relay_are_seeded_after_it():
    plan = plan_topology({"p": {"mariadb_writable": True}, "relay": {"mariadb_sources": ["p"]},
                          "leaf": {"mariadb_sources": ["relay"]}})
    result = plan_seeding(plan, facts(p=["app"], relay=[], leaf=[]))
    assert steps_of(result) == [(1, "relay", "p", ["app"]), (2, "leaf", "relay", ["app"])]


def test_never_always_methods_and_listed_databases():
    inventory = {
        "db1": {"mariadb_writable": True}, "db2": {"mariadb_writable": True},
        "backup": {"mariadb_seed_method": "locked_dump", "mariadb_sources": [
            {"host": "db1", "seed": "always", "seed_databases": ["shop"]},
            {"host": "db2", "seed": "never"}]},
    }
    result = plan_seeding(plan_topology(inventory), facts(db1=["shop", "tmp"], db2=["crm"], backup=(["shop"], ["db1"])))
    assert steps_of(result) == [(1, "backup", "db1", ["shop"])]
    assert result["steps"][0]["force"] is True and result["steps"][0]["method"] == "locked_dump"
    assert result["skipped"] == [{"replica": "backup", "source": "db2", "connection": "db2", "reason": "seed: never"}]


def test_mariadb_backup_copies_the_whole_server():
    inventory = {"p": {"mariadb_writable": True}, "r": {"mariadb_sources": [{"host": "p", "seed_method": "mariadb_backup"}]}}
    result = plan_seeding(plan_topology(inventory), facts(p=["app"], r=[]))
    assert result["steps"][0]["method"] == "mariadb_backup" and result["steps"][0]["databases"] is None


@pytest.mark.parametrize("inventory, held, expected", [
    (AGGREGATOR, facts(db1=["shop"], db2=["shop"], backup=[]),
     "backup: would get database(s) shop both from db2 and from db1"),
    (AGGREGATOR, facts(db1=["shop", "shop_audit"], db2=[], backup=["shop"]),
     "backup: holds shop but not shop_audit of what it would copy from db1"),
    ({"p": {"mariadb_writable": True}, "r": {"mariadb_sources": [{"host": "p", "seed_method": "mariadb_backup"}]}},
     facts(p=["app"], r=["mine"]),
     "r: seed_method mariadb_backup replaces the whole server with p's copy, but r holds databases of its own (mine)"),
    ({"p": {"mariadb_writable": True}, "r": {"mariadb_sources": [{"host": "p", "seed_databases": ["nope"]}]}},
     facts(p=["app"], r=[]), "r: mariadb_sources entry for p lists seed_databases nope, which p does not hold"),
    (AGGREGATOR, facts(db1=["shop"], db2=["crm"]), "backup: what this server holds is unknown"),
])
def test_conflicts_are_reported_with_host_variable_and_fix(inventory, held, expected):
    with pytest.raises(SeedPlanError) as caught:
        plan_seeding(plan_topology(inventory), held)
    assert any(line.startswith(expected) for line in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once():
    held = facts(db1=["shop"], db2=["shop"], backup=[], )
    inventory = dict(AGGREGATOR, lone={"mariadb_sources": [{"host": "db1", "seed_databases": ["x"]}]})
    with pytest.raises(SeedPlanError) as caught:
        plan_seeding(plan_topology(inventory), dict(held, lone={"databases": [], "connections": []}))
    assert len(caught.value.problems) == 2


def test_the_connections_database_filters_apply_to_the_seed_too():
    inventory = {"db1": {"mariadb_writable": True}, "db2": {"mariadb_writable": True},
                 "backup": {"mariadb_sources": [{"host": "db1", "replicate_ignore_db": ["scratch"]},
                                                {"host": "db2", "replicate_do_db": ["crm"]}]}}
    result = plan_seeding(plan_topology(inventory), facts(db1=["scratch", "shop"], db2=["crm", "tmp"], backup=[]))
    assert steps_of(result) == [(1, "backup", "db1", ["shop"]), (1, "backup", "db2", ["crm"])]


UNFINISHED = {"phase": "started", "source": "10.0.0.1", "method": "consistent_dump", "databases": ["shop"],
              "started_at": "2026-11-30T10:00:00Z"}


def test_an_unfinished_seed_is_redone_forced_whatever_the_replica_holds_and_the_connection():
    held = facts(db1=["shop", "shop_audit"], db2=["crm"], backup=(["shop"], ["db1"]))
    held["backup"]["unfinished_seeds"] = {"DB1": UNFINISHED, "crm": dict(UNFINISHED, phase="complete")}
    result = plan_seeding(plan_topology(AGGREGATOR), held)
    redo = [step for step in result["steps"] if step["connection"] == "db1"]
    assert len(redo) == 1 and redo[0]["force"] is True and redo[0]["databases"] == ["shop", "shop_audit"]
    assert "stopped at phase 'started'" in redo[0]["redo"]
    # Without the record, the same servers look seeded: the connection exists and "shop" is there.
    held["backup"]["unfinished_seeds"] = {}
    assert [s["connection"] for s in plan_seeding(plan_topology(AGGREGATOR), held)["steps"]] == ["crm"]


def test_an_unfinished_seed_under_seed_never_is_a_problem_naming_the_fix():
    inventory = {"db1": {"mariadb_writable": True},
                 "backup": {"mariadb_sources": [{"host": "db1", "seed": "never"}]}}
    held = facts(db1=["shop"], backup=["shop"])
    held["backup"]["unfinished_seeds"] = {"db1": UNFINISHED}
    with pytest.raises(SeedPlanError, match="backup: the seed of connection 'db1' from 10.0.0.1 .* seed: never. Set "
                                            "seed: auto"):
        plan_seeding(plan_topology(inventory), held)


def test_seeding_follows_mariadbs_filter_rules_including_table_rules():
    inventory = {"db1": {"mariadb_writable": True},
                 "backup": {"mariadb_sources": [{"host": "db1", "replicate_wild_do_table": ["shop.%"]}]}}
    result = plan_seeding(plan_topology(inventory), facts(db1=["shop", "crm", "scratch"], backup=[]))
    assert steps_of(result) == [(1, "backup", "db1", ["shop"])]
    assert result["steps"][0]["filters"]["replicate_wild_do_table"] == ["shop.%"]


def test_seed_databases_the_filters_never_replicate_and_backup_with_filters_are_refused():
    listed = {"db1": {"mariadb_writable": True},
              "backup": {"mariadb_sources": [{"host": "db1", "replicate_do_db": ["shop"],
                                              "seed_databases": ["shop", "crm"]}]}}
    with pytest.raises(SeedPlanError, match="backup: mariadb_sources entry for db1 lists seed_databases crm, which its "
                                            "replicate_\\* filters never replicate"):
        plan_seeding(plan_topology(listed), facts(db1=["shop", "crm"], backup=[]))
    backup = {"db1": {"mariadb_writable": True},
              "r": {"mariadb_sources": [{"host": "db1", "seed_method": "mariadb_backup",
                                         "replicate_ignore_db": ["scratch"]}]}}
    with pytest.raises(SeedPlanError, match="r: cannot seed the connection from db1 with mariadb_backup: .*"
                                            "replicate_ignore_db: scratch"):
        plan_seeding(plan_topology(backup), facts(db1=["shop", "scratch"], r=[]))


def test_non_transactional_tables_are_refused_under_consistent_dump_before_any_change_or_lock_the_copy():
    held = facts(db1=["shop", "shop_audit"], db2=["crm"], backup=[])
    held["db1"]["non_transactional_tables"] = [{"table": "shop.legacy", "engine": "MyISAM"}]
    with pytest.raises(SeedPlanError, match=r"backup: consistent_dump from db1 cannot copy the non-transactional "
                                            r"table\(s\) shop.legacy \(MyISAM\) consistently"):
        plan_seeding(plan_topology(AGGREGATOR), held)
    locked = plan_seeding(plan_topology(AGGREGATOR), held, non_transactional="locked_dump")
    assert [(step["connection"], step["method"]) for step in locked["steps"]] == [("db1", "locked_dump"),
                                                                                  ("crm", "consistent_dump")]
    # A table the connection's filters keep out does not count.
    filtered = dict(AGGREGATOR, backup={"mariadb_sources": [{"host": "db1", "replicate_wild_ignore_table": ["shop.leg%"]},
                                                            {"host": "db2", "connection_name": "crm"}]})
    assert plan_seeding(plan_topology(filtered), held)["steps"][0]["method"] == "consistent_dump"
    with pytest.raises(SeedPlanError, match="seed_non_transactional is 'maybe'"):
        plan_seeding(plan_topology(AGGREGATOR), held, non_transactional="maybe")


# --- mariadb_backup on links declared ssl: true ---------------------------------------------------------------

def ssl_link(**entry):
    return {"p": {"mariadb_writable": True}, "r": {"mariadb_sources": [dict({"host": "p", "ssl": True}, **entry)]}}


@pytest.mark.parametrize("inventory, default_method, variable", [
    (ssl_link(seed_method="mariadb_backup"), "consistent_dump",
     "seed_method of its mariadb_sources entry for p (or r's mariadb_seed_method) is mariadb_backup"),
    (dict(ssl_link(), r={"mariadb_seed_method": "mariadb_backup", "mariadb_sources": [{"host": "p", "ssl": True}]}),
     "consistent_dump", "seed_method of its mariadb_sources entry for p (or r's mariadb_seed_method)"),
    (ssl_link(), "mariadb_backup", "the default seed method, seed_default_method, is mariadb_backup"),
    # TLS files without ssl: true declare TLS too
    (ssl_link(ssl=None, ssl_ca="/etc/mysql/ca.pem", seed_method="mariadb_backup"), "consistent_dump",
     "seed_method of its mariadb_sources entry for p"),
])
def test_mariadb_backup_is_refused_on_a_link_declared_ssl_naming_replica_variable_reason_and_fix(
        inventory, default_method, variable):
    inventory["r"]["mariadb_sources"][0] = {key: value for key, value in inventory["r"]["mariadb_sources"][0].items()
                                            if value is not None}
    with pytest.raises(SeedPlanError) as caught:
        plan_seeding(plan_topology(inventory), facts(p=["app"], r=[]), default_method)
    problem, = caught.value.problems
    assert problem.startswith("r: cannot seed the connection from p with mariadb_backup: " + variable), problem
    assert "the physical copy stream is not encrypted; the link is declared ssl: true" in problem
    assert "consistent_dump or locked_dump" in problem and "copy over TLS" in problem and "drop ssl" in problem


def test_dumps_over_ssl_links_and_backups_over_plain_links_are_planned():
    over_tls = plan_seeding(plan_topology(ssl_link(seed_method="locked_dump")), facts(p=["app"], r=[]),
                            "mariadb_backup")
    assert [step["method"] for step in over_tls["steps"]] == ["locked_dump"]
    assert [step["method"] for step in plan_seeding(plan_topology(ssl_link()), facts(p=["app"], r=[]))["steps"]] == [
        "consistent_dump"]
    plain = plan_seeding(plan_topology(ssl_link(ssl=False, seed_method="mariadb_backup")), facts(p=["app"], r=[]))
    assert [step["method"] for step in plain["steps"]] == ["mariadb_backup"]


def test_an_ssl_link_that_copies_nothing_is_not_refused():
    """Nothing streams over a connection that exists already or says seed: never, so its method does not matter."""
    existing = plan_seeding(plan_topology(ssl_link(seed_method="mariadb_backup")), facts(p=["app"], r=(["app"], ["p"])))
    assert existing["steps"] == [] and existing["skipped"][0]["reason"].startswith("the connection exists")
    never = plan_seeding(plan_topology(ssl_link(seed_method="mariadb_backup", seed="never")), facts(p=["app"], r=[]))
    assert never["steps"] == [] and never["skipped"][0]["reason"] == "seed: never"
    # An unfinished copy would stream again: refused.
    held = facts(p=["app"], r=(["app"], ["p"]))
    held["r"]["unfinished_seeds"] = {"p": dict(UNFINISHED, method="mariadb_backup")}
    with pytest.raises(SeedPlanError, match="the physical copy stream is not encrypted"):
        plan_seeding(plan_topology(ssl_link(seed_method="mariadb_backup")), held)


def test_rebuild_copies_every_connection_of_the_one_replica_again_forced():
    plan = plan_topology(AGGREGATOR)
    seeded = facts(db1=["shop"], db2=["crm"], backup=(["shop", "crm", "own"], ["db1", "crm"]))
    assert plan_seeding(plan, seeded)["steps"] == []
    result = plan_seeding(plan, seeded, rebuild="backup")
    assert steps_of(result) == [(1, "backup", "db1", ["shop"]), (1, "backup", "db2", ["crm"])]
    assert all(step["force"] and step["rebuild"] for step in result["steps"])
    # The replica's own database is not the sources': it is not touched (the dump replaces only what it copies).
    assert all("own" not in step["databases"] for step in result["steps"])


def test_rebuild_of_a_pairs_passive_side_copies_from_the_writer_only_and_never_back():
    result = plan_seeding(plan_topology(PAIR), facts(a=(["important"], ["b"]), b=(["important"], ["a"])), rebuild="b")
    assert steps_of(result) == [(1, "b", "a", ["important"])] and result["steps"][0]["force"]
    assert [entry["reason"] for entry in result["skipped"]] == ["the connection exists already (set up before)"]


def test_rebuild_leaves_seed_never_entries_and_says_so():
    never = {"host": "db2", "connection_name": "crm", "seed": "never"}
    inventory = dict(AGGREGATOR, backup={"mariadb_sources": ["db1", never]})
    result = plan_seeding(plan_topology(inventory), facts(db1=["shop"], db2=["crm"], backup=(["shop", "crm"], ["db1", "crm"])),
                          rebuild="backup")
    assert steps_of(result) == [(1, "backup", "db1", ["shop"])]
    assert result["skipped"][0]["reason"] == "seed: never (not rebuilt)"


@pytest.mark.parametrize("inventory, host, method, expected", [
    (AGGREGATOR, "nowhere", "consistent_dump", "mariadb_rebuild_host=nowhere is not a host of the topology"),
    (AGGREGATOR, "db1", "consistent_dump", "db1: mariadb_rebuild_host names a host without sources"),
    (PAIR, "a", "consistent_dump", "a: mariadb_rebuild_host is writable (mariadb_writable: true)"),
    (PAIR, "b", "mariadb_backup", "b: mariadb_rebuild_host cannot be copied with mariadb_backup from a: a replicate(s)"),
])
def test_rebuild_refusals_name_the_host_the_variable_and_the_fix(inventory, host, method, expected):
    held = {name: (["important"], []) for name in inventory}
    with pytest.raises(SeedPlanError) as raised:
        plan_seeding(plan_topology(inventory), facts(**held), default_method=method, rebuild=host)
    assert expected in str(raised.value)
    assert any(fix in str(raised.value) for fix in ("-e mariadb_rebuild_host=HOST", "name a replica", "switchover",
                                                    "seed_method: consistent_dump"))


def test_rebuild_of_a_leaf_replica_may_use_a_physical_copy():
    inventory = {"p": {"mariadb_writable": True}, "r": {"mariadb_sources": ["p"]}}
    result = plan_seeding(plan_topology(inventory), facts(p=["shop"], r=(["shop"], ["p"])), default_method="mariadb_backup",
                          rebuild="r")
    assert [(step["method"], step["databases"], step["force"]) for step in result["steps"]] == [("mariadb_backup", None, True)]
