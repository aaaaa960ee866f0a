"""The planner and a source's binary-log filters (mariadb_binlog_do_db / mariadb_binlog_ignore_db)."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import TopologyError, plan_topology


def problems_of(inventory):
    with pytest.raises(TopologyError) as caught:
        plan_topology(inventory)
    return caught.value.problems


def aggregator(db1=None, backup_entry=None):
    return {"db1": dict(db1 or {}), "db2": {},
            "backup": {"mariadb_sources": [dict({"host": "db1", "connection_name": "shop"}, **(backup_entry or {})),
                                           {"host": "db2", "connection_name": "crm"}]}}


def test_every_host_plans_its_binlog_filters():
    plan = plan_topology(aggregator(db1={"mariadb_binlog_ignore_db": ["scratch", " mysql "]}))
    assert plan["db1"]["binlog_filters"] == {"do": [], "ignore": ["scratch", "mysql"]}
    assert plan["db2"]["binlog_filters"] == {"do": [], "ignore": []}
    assert plan["backup"]["binlog_filters"] == {"do": [], "ignore": []}
    plan = plan_topology(aggregator(db1={"mariadb_binlog_do_db": ["shop"]}))
    assert plan["db1"]["binlog_filters"] == {"do": ["shop"], "ignore": []}


@pytest.mark.parametrize("value, fragment", [
    ("scratch", "mariadb_binlog_ignore_db: 'scratch' is not a list"),
    ([""], "every item must be a non-empty string"),
    (["a\nb"], "mariadb_binlog_ignore_db[0]: 'a\\nb' contains a newline (U+000A)"),
    (["a,b"], "mariadb_binlog_ignore_db[0]: 'a,b' holds a comma"),
    (["x" * 65], "has 65 characters, a database name at most 64"),
])
def test_bad_binlog_filter_values_are_refused(value, fragment):
    problems = problems_of(aggregator(db1={"mariadb_binlog_ignore_db": value}))
    assert len(problems) == 1 and problems[0].startswith("db1: ") and fragment in problems[0], problems


def test_both_lists_on_one_host_are_refused():
    problems = problems_of(aggregator(db1={"mariadb_binlog_do_db": ["shop"], "mariadb_binlog_ignore_db": ["tmp"]}))
    assert problems == ["db1: mariadb_binlog_do_db/mariadb_binlog_ignore_db: both are set; MariaDB then logs only the "
                        "binlog_do_db databases and never looks at binlog_ignore_db, so the ignore list would mean "
                        "nothing; keep one: mariadb_binlog_do_db to log only some databases, or "
                        "mariadb_binlog_ignore_db to log all but some."]


def test_a_connection_asking_only_for_unlogged_databases_is_refused():
    problems = problems_of(aggregator(db1={"mariadb_binlog_ignore_db": ["scratch"]},
                                      backup_entry={"replicate_do_db": ["scratch"]}))
    assert problems == ["backup: mariadb_sources entry for db1.replicate_do_db: lists scratch, which db1 never writes "
                        "to its binary log (scratch: mariadb_binlog_ignore_db lists it), so this connection would "
                        "replicate nothing at all; remove them from replicate_do_db, or change db1's "
                        "mariadb_binlog_ignore_db so that it logs them."]


def test_an_unlogged_database_among_others_in_replicate_do_db_is_refused_too():
    problems = problems_of(aggregator(db1={"mariadb_binlog_do_db": ["shop"]},
                                      backup_entry={"replicate_do_db": ["shop", "crm"]}))
    assert len(problems) == 1
    assert "lists crm, which db1 never writes to its binary log (crm: mariadb_binlog_do_db is shop and does not " \
           "list it), so changes to them never reach backup" in problems[0]
    assert "change db1's mariadb_binlog_do_db" in problems[0]


def test_replicate_do_table_of_an_unlogged_database_is_refused():
    problems = problems_of(aggregator(db1={"mariadb_binlog_ignore_db": ["scratch"]},
                                      backup_entry={"replicate_do_table": ["shop.orders", "scratch.t"]}))
    assert len(problems) == 1 and "db1.replicate_do_table: lists scratch.t, whose database db1 never writes" in problems[0]


def test_seed_databases_of_an_unlogged_database_are_refused():
    problems = problems_of(aggregator(db1={"mariadb_binlog_ignore_db": ["scratch"]},
                                      backup_entry={"seed_databases": ["shop", "scratch"]}))
    assert len(problems) == 1
    assert problems[0].startswith("backup: mariadb_sources entry for db1.seed_databases: lists scratch, which db1 "
                                  "never writes to its binary log (mariadb_binlog_ignore_db: scratch), so the copy "
                                  "would never receive a change")


def test_logged_requests_and_other_filters_pass():
    plan = plan_topology(aggregator(db1={"mariadb_binlog_ignore_db": ["scratch"]},
                                    backup_entry={"replicate_do_db": ["shop"], "seed_databases": ["shop"]}))
    assert plan["backup"]["connections"][0]["filters"]["replicate_do_db"] == ["shop"]
    # replicate_ignore_db of an unlogged database is redundant, not wrong.
    plan_topology(aggregator(db1={"mariadb_binlog_ignore_db": ["scratch"]},
                             backup_entry={"replicate_ignore_db": ["scratch"]}))
    # Filters of a host that is no source are written and harmless.
    plan_topology({"solo": {"mariadb_binlog_ignore_db": ["scratch"]}})
