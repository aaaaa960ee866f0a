"""The checksum role's decisions: which connections it compares, and its report."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.checksum import (
    FilterModule, checksum_report, checksum_selection, connections_new_this_run)
from ansible_collections.replkit.mariadb.plugins.plugin_utils.checksum_plan import (
    ChecksumPlanError, report_lines, select_connections)

PLANNED = [{"name": "db1", "source": "db1", "primary_delay": 0},
           {"name": "crm", "source": "db2", "primary_delay": 5},
           {"name": "late", "source": "db3", "primary_delay": 3600}]


def test_every_connection_or_the_named_ones_but_not_those_delayed_past_the_limit():
    selection = select_connections(PLANNED, [], 30)
    assert [c["name"] for c in selection["compare"]] == ["db1", "crm"]
    assert selection["skipped"] == ["connection 'late' (from db3) is not compared: it runs 3600 s behind by design "
                                    "(MASTER_DELAY), more than checksum_delayed_wait_limit=30"]
    assert [c["name"] for c in select_connections(PLANNED, ["CRM"], 30)["compare"]] == ["crm"]
    with pytest.raises(ChecksumPlanError, match="checksum_connections lists nope, which this host's plan does not "
                                                "have \\(it has: crm, db1, late\\)"):
        select_connections(PLANNED, ["nope"], 30)


def test_report_names_each_difference_its_range_counts_and_repair():
    findings = [{"connection": "db1", "source": "db1", "tables": ["shop.a", "shop.b"], "chunks": 4,
                 "unkeyed_tables": ["shop.log"],
                 "differences": [{"table": "shop.a", "lower": [10], "upper": [20], "source_rows": 10,
                                  "replica_rows": 9, "reason": "row count differs"},
                                 {"table": "shop.b", "lower": None, "upper": None, "source_rows": 3,
                                  "replica_rows": None, "reason": "table missing on replica"}]},
                {"connection": "crm", "source": "db2", "tables": ["crm.c"], "chunks": 1, "unkeyed_tables": [],
                 "differences": []}]
    lines = report_lines("backup", findings)
    assert lines[0] == ("backup <- db1 (connection 'db1'): 2 table(s) in 4 chunk(s) compared, 2 differ; not compared, "
                        "no primary or unique NOT NULL key: shop.log")
    assert lines[1].startswith("backup: shop.a keys > [10] to <= [20] differs from db1 (10 rows there, 9 here; row "
                               "count differs). Repair: copy that range from db1")
    assert lines[2].startswith("backup: shop.b keys (start) to (end) differs from db1 (3 rows there, None here; table "
                               "missing on replica)")
    assert lines[3] == "backup <- db2 (connection 'crm'): 1 table(s) in 1 chunk(s) compared, all equal"


def test_filters_check_their_inputs():
    assert checksum_selection(PLANNED, None)["skipped"][0].startswith("connection 'late'")
    with pytest.raises(AnsibleFilterError, match="planned connections"):
        checksum_selection({"name": "x"})
    with pytest.raises(AnsibleFilterError, match="does not have"):
        checksum_selection(PLANNED, ["x"])
    assert checksum_report([], "h") == []
    with pytest.raises(AnsibleFilterError, match="findings"):
        checksum_report("x", "h")


def test_tables_several_connections_replicate_into_are_named_not_compared():
    from ansible_collections.replkit.mariadb.plugins.filter.checksum import checksum_work
    chunk = {"index": "PRIMARY", "index_columns": ["id"], "lower": None, "upper": None}
    results = [
        {"checksum_connection": {"name": "shop", "source": "db1"}, "tables": ["shop.a", "app.shared"],
         "unkeyed_tables": ["shop.log"], "chunks": [dict(chunk, table="shop.a"), dict(chunk, table="app.shared")]},
        {"checksum_connection": {"name": "crm", "source": "db2"}, "tables": ["crm.c", "app.shared"],
         "unkeyed_tables": [], "chunks": [dict(chunk, table="crm.c"), dict(chunk, table="app.shared")]},
    ]
    work = checksum_work(results)
    assert [(item["connection"], item["tables"], item["merged_tables"], [c["table"] for c in item["chunks"]])
            for item in work] == [("shop", ["shop.a"], ["app.shared"], ["shop.a"]),
                                  ("crm", ["crm.c"], ["app.shared"], ["crm.c"])]
    line = report_lines("backup", [dict(work[0], chunks=1, differences=[])])[0]
    assert line.endswith("not compared, other connections replicate into them too (rows of several sources meet "
                         "there): app.shared")
    with pytest.raises(AnsibleFilterError, match="loop_var"):
        checksum_work([{"tables": []}])
    with pytest.raises(AnsibleFilterError, match="results list"):
        checksum_work({})


def test_a_host_that_takes_writes_compares_only_when_asked():
    skipped = select_connections(PLANNED[:1], [], 30, writable=True)
    assert skipped["compare"] == [] and "this host takes writes of its own" in skipped["skipped"][0]
    assert select_connections(PLANNED[:1], [], 30, writable=True, include_writable=True)["compare"] == PLANNED[:1]
    assert checksum_selection(PLANNED[:1], [], 30, True, True)["compare"] == PLANNED[:1]


def test_tables_the_source_does_not_log_are_named_not_compared():
    from ansible_collections.replkit.mariadb.plugins.filter.checksum import checksum_work
    chunk = {"index": "PRIMARY", "index_columns": ["id"], "lower": None, "upper": None, "table": "shop.a"}
    results = [{"checksum_connection": {"name": "shop", "source": "db1"}, "tables": ["shop.a"],
                "unlogged_tables": ["scratch.junk"], "unkeyed_tables": [], "chunks": [chunk]}]
    work = checksum_work(results)
    assert work[0]["unlogged_tables"] == ["scratch.junk"] and work[0]["tables"] == ["shop.a"]
    line = report_lines("backup", [dict(work[0], chunks=1, differences=[])])[0]
    assert line == ("backup <- db1 (connection 'shop'): 1 table(s) in 1 chunk(s) compared, all equal; not compared, "
                    "db1 does not write them to its binary log, so they never reach this replica: scratch.junk")
    # A chunks result of an older module has no unlogged_tables.
    assert checksum_work([dict(results[0], unlogged_tables=None)])[0]["unlogged_tables"] == []


# ---------------------------------------------------------------- the connections a run seeded or wired

SEED_PLAN = {"steps": [{"replica": "r", "connection": "db1"}, {"replica": "x", "connection": "q"},
                       {"replica": "r", "connection": "DB2"}]}
WIRING = {"connections": [{"name": "db1", "action": "created"}, {"name": "db2", "action": "updated"},
                          {"name": "db3", "action": "unchanged"}, {"name": "db4", "action": "removed"},
                          {"name": "db5", "action": "created"}, {"name": "DB5", "action": "updated"}]}


def test_new_connections_filter_is_registered():
    assert FilterModule().filters()["connections_new_this_run"] is connections_new_this_run


def test_seeded_then_created_or_updated_connections_each_name_once_ignoring_case():
    assert connections_new_this_run(SEED_PLAN, WIRING, "r") == ["db1", "DB2", "db5"]


def test_only_this_hosts_seed_steps_count():
    assert connections_new_this_run(SEED_PLAN, {}, "x") == ["q"]
    assert connections_new_this_run(SEED_PLAN, {}, "nobody") == []


def test_no_seeding_plan_or_a_skipped_wiring_counts_nothing_from_them():
    assert connections_new_this_run({}, WIRING, "r") == ["db1", "db2", "db5"]
    assert connections_new_this_run(SEED_PLAN, {"skipped": True, "changed": False}, "r") == ["db1", "DB2"]
    assert connections_new_this_run({"steps": []}, {"connections": []}, "r") == []


@pytest.mark.parametrize("seed_plan, wiring, host, message", [
    ([], WIRING, "r", "expects the seeding plan (mariadb_seed_plan) as input"),
    ({"steps": "db1"}, WIRING, "r", "with a steps list"),
    (SEED_PLAN, None, "r", "expects the registered mariadb_multisource result (topology_wiring) as argument"),
    (SEED_PLAN, {"connections": {}}, "r", "with a connections list"),
    (SEED_PLAN, WIRING, None, "expects the host's name (inventory_hostname)"),
])
def test_new_connections_refuses_wrong_inputs(seed_plan, wiring, host, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        connections_new_this_run(seed_plan, wiring, host)
