"""The Molecule scenarios' expectations (molecule/resources/filter_plugins/replkit_test.py), without a server."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

PLUGIN = Path(__file__).resolve().parents[3] / "molecule" / "resources" / "filter_plugins" / "replkit_test.py"
SPEC = importlib.util.spec_from_file_location("replkit_test_filters", PLUGIN)
expectations = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(expectations)


def test_every_filter_is_registered_under_its_function_name():
    filters = expectations.FilterModule().filters()
    assert sorted(filters) == ["checksum_groups", "day2_addresses", "day2_extra_vars", "day2_report_lines", "follow_writer_report",
                               "recap_changed", "seed_keepup_options", "seed_origin_options", "seed_problems",
                               "seed_received", "seed_snapshot_options", "seed_sources_here", "seed_wait_targets",
                               "writer_count_sql", "writer_rows_sql"]
    assert all(function is getattr(expectations, name) for name, function in filters.items())


# ---------------------------------------------------------------- sources, received databases, positions

def test_sources_here_takes_names_and_mappings_with_defaults():
    assert expectations.seed_sources_here([]) == []
    assert expectations.seed_sources_here(["a", {"host": "b", "replicate_ignore_db": ["x"], "delay": 7},
                                           {"host": "c", "replicate_do_db": ["y"]}]) == [
        {"host": "a", "ignore": [], "do": [], "delay": 0},
        {"host": "b", "ignore": ["x"], "do": [], "delay": 7},
        {"host": "c", "ignore": [], "do": ["y"], "delay": 0}]


def test_sources_here_refuses_a_string():
    with pytest.raises(AnsibleFilterError, match="mariadb_sources must be a list, got 'a'"):
        expectations.seed_sources_here("a")


HOSTVARS = {"a": {"test_seed_fixture_databases": ["x", "y", "z"],
                  "test_seed_replication": {"gtid_binlog_pos": "1-11-5, 2-22-9,,3-33-1", "server_id": 11},
                  "test_seed_keepup_table": "x.replkit_keepup"},
            "b": {"test_seed_replication": {"gtid_binlog_pos": "", "server_id": 22},
                  "test_seed_keepup_table": "replkit_seed_check.replkit_keepup"},
            "c": {}}


def test_received_databases_follow_each_connections_filters():
    sources = expectations.seed_sources_here([{"host": "a", "replicate_ignore_db": ["x"]},
                                              {"host": "a", "replicate_do_db": ["x", "z"]}, "b", "c"])
    assert expectations.seed_received(sources, HOSTVARS) == [
        {"source": "a", "database": "y"}, {"source": "a", "database": "z"},
        {"source": "a", "database": "x"}, {"source": "a", "database": "z"}]
    assert expectations.seed_received([], HOSTVARS) == []


def test_wait_targets_leave_out_this_nodes_own_entries_and_sources_with_nothing_to_wait_for():
    sources = expectations.seed_sources_here(["a", "b", "c"])
    assert expectations.seed_wait_targets(sources, HOSTVARS, 22) == [{"host": "a", "position": "1-11-5,3-33-1"}]
    assert expectations.seed_wait_targets(sources, HOSTVARS, 2) == [
        {"host": "a", "position": "1-11-5,2-22-9,3-33-1"}]


def test_wait_targets_refuse_a_failed_read_of_a_source():
    with pytest.raises(AnsibleFilterError, match="a's test_seed_replication has no gtid_binlog_pos"):
        expectations.seed_wait_targets([{"host": "a"}], {"a": {"test_seed_replication": {"failed": True}}}, 1)


# ---------------------------------------------------------------- seed_check.py command lines

def test_snapshot_options_name_each_database_once_ignoring_case_and_quoted():
    received = [{"source": "a", "database": "y"}, {"source": "a", "database": "own db"}]
    assert expectations.seed_snapshot_options(["Y", "own db", "it's"], received) == (
        """--database=Y --database='own db' --database='it'"'"'s'""")
    assert expectations.seed_snapshot_options([], []) == ""


def test_origin_and_keepup_options_name_owners_and_the_sources_still_in_the_play():
    assert expectations.seed_origin_options(["a", "b"], HOSTVARS) == "--owner=x=11 --owner=y=11 --owner=z=11"
    sources = expectations.seed_sources_here(["a", "b", "gone"])
    assert expectations.seed_keepup_options(sources, ["a", "b"], HOSTVARS) == (
        "--expect=a=x.replkit_keepup --expect=b=replkit_seed_check.replkit_keepup")


# ---------------------------------------------------------------- seed_problems

def connection(name, healthy=True):
    return {"connection_name": name, "healthy": healthy, "primary_host": "s", "primary_port": 3306,
            "io_running": "Yes", "sql_running": "Yes" if healthy else "No", "last_io_errno": 0,
            "last_io_error": "", "last_sql_errno": 0 if healthy else 1062, "last_sql_error": "" if healthy else "Dup"}


def database(tables, manifest=None, calls=None, views=None):
    return {"tables": tables, "manifest": manifest or {}, "calls": calls or {"trigger_rows": 1}, "views": views or {},
            "triggers": {}, "routines": {}}


SOURCE_SNAPSHOT = {"databases": {"shop": database({"items": {"rows": 5, "checksum": 11}, "B": {"rows": 1, "checksum": 2},
                                                   "a": {"rows": 3, "checksum": 4}}, {"items": 5}, None, {"v": "d"}),
                                 "empty": None}}
SNAPSHOT = {"databases": {"shop": copy.deepcopy(SOURCE_SNAPSHOT["databases"]["shop"]), "empty": None, "gone": None,
                          "mine": database({"m": {"rows": 1, "checksum": 1}}, {"m": 1})},
            "markers": ["r"]}
HOSTVARS_SEEDED = {"s": {"test_seed_snapshot": SOURCE_SNAPSHOT}, "t": {}}
RECEIVED = [{"source": "s", "database": "shop"}, {"source": "s", "database": "empty"},
            {"source": "t", "database": "gone"}]


def checks(**changes):
    return dict({"replication": {"connections": [connection("s")]}, "sources_here": [{"host": "s"}], "wait": {},
                 "received": RECEIVED, "hostvars": HOSTVARS_SEEDED, "snapshot": SNAPSHOT, "own_databases": ["mine"],
                 "expected_markers": ["r"], "writer": None, "writer_min_rows": 200}, **changes)


def test_a_faithful_copy_has_only_the_problems_of_sources_that_lack_data():
    assert expectations.seed_problems("r", checks()) == [
        "r: the source s has no database empty (prepare did not create it?)",
        "r: cannot compare gone with its source t, which failed before its snapshot"]


def test_nothing_received_and_nothing_held_is_no_problem():
    assert expectations.seed_problems("r", checks(received=[], snapshot={"databases": {}, "markers": ["r"]},
                                                  own_databases=[])) == []


def test_missing_connections_broken_ones_and_unreached_positions_are_named():
    wait = {"results": [{"skipped": True, "item": {"host": "s", "position": "1-1-1"}},
                        {"item": {"host": "s", "position": "1-1-1"}, "changed": False},
                        {"item": {"host": "s", "position": "1-1-9"}, "behind": {"1": 3}, "msg": "late"}]}
    problems = expectations.seed_problems("r", checks(replication={"connections": [connection("s", False)]},
                                                      sources_here=[{"host": "s"}, {"host": "t"}], wait=wait,
                                                      received=[]))
    assert problems == [
        "r: has 1 replication connection(s), expected one per source of ['s', 't']",
        "r: replication connection 's' from s:3306 is broken: io Yes, sql No, io error 0 , sql error 1062 Dup",
        "r: has not applied s's final position 1-1-9 within 60 s: behind per domain {'1': 3} (late)"]


def test_differing_tables_objects_manifests_and_markers_are_named_in_sorted_order():
    snapshot = copy.deepcopy(SNAPSHOT)
    shop = snapshot["databases"]["shop"]
    shop["tables"]["items"] = {"rows": 6, "checksum": 12}
    shop["tables"]["B"] = {"rows": 1, "checksum": 3}
    del shop["tables"]["a"]
    shop["tables"]["extra"] = {"rows": 0, "checksum": 0}
    shop["views"] = {}
    shop["calls"] = {"trigger_rows": 2}
    snapshot["databases"]["mine"]["manifest"]["zz"] = 4
    snapshot["databases"]["gone"] = database({})
    snapshot["markers"] = ["s"]
    problems = expectations.seed_problems("r", checks(snapshot=snapshot, received=RECEIVED[:1],
                                                      own_databases=["mine", "empty"]))
    assert problems == [
        # Tables and databases in Jinja's dictsort order: ignoring case.
        "r: table shop.a is missing; on s: COUNT(*) 3, CHECKSUM TABLE 4",
        "r: table shop.B differs: COUNT(*) s 1, r 1; CHECKSUM TABLE s 2, r 3",
        "r: table shop.items differs: COUNT(*) s 5, r 6; CHECKSUM TABLE s 11, r 12",
        "r: table shop.extra is here but not on its source s",
        "r: views shop.v differs: s d, r missing",
        "r: calls shop.trigger_rows differs: s 1, r 2",
        "r: table mine.zz holds no rows, prepare created 4 (applied twice or lost rows)",
        "r: table shop.items holds 6 rows, prepare created 5 (applied twice or lost rows)",
        "r: trigger shop.items_audit wrote 2 audit rows for one INSERT, 1 expected",
        "r: its own fixture database empty is missing",
        "r: mysql.user has marker users for ['s'], expected ['r']: a seed copied another node's system tables over "
        "this node's"]


def test_the_source_missing_a_whole_database_is_told_apart_from_a_replica_missing_it():
    snapshot = copy.deepcopy(SNAPSHOT)
    snapshot["databases"]["shop"] = None
    assert expectations.seed_problems("r", checks(snapshot=snapshot, received=RECEIVED[:1])) == [
        "r: database shop is missing; s holds it with 3 tables, 9 rows (not seeded?)"]


WRITER = {"exit": "signal", "committed": 300, "reconnects": 1, "errors": 2, "table": "mine.m", "baseline": None,
          "last_error": "", "longest_gap": 1}


@pytest.mark.parametrize("rows, lost", [(300, False), (302, False), (299, True), (303, True)])
def test_every_row_the_writer_committed_must_be_there_allowing_unacknowledged_ones(rows, lost):
    snapshot = copy.deepcopy(SNAPSHOT)
    snapshot["databases"]["mine"]["tables"]["m"]["rows"] = rows
    snapshot["databases"]["mine"]["manifest"] = {}
    problems = expectations.seed_problems("r", checks(snapshot=snapshot, received=[], writer=WRITER))
    assert problems == (["r: mine.m holds %d rows, the writer committed 300 on top of 0 it found (plus at most 2 "
                         "unacknowledged): committed rows were lost" % rows] if lost else [])


def test_a_writer_that_died_or_never_reconnected_is_named_and_a_missing_table_counts_as_no_row():
    writer = dict(WRITER, exit=None, committed=10, reconnects=0, table="nodb.t", baseline=5, last_error="boom")
    problems = expectations.seed_problems("r", checks(received=[], writer=writer))
    assert problems == [
        "r: the writer into nodb.t committed 10 rows (at least 200 expected), reconnected 0 times (at least once "
        "expected: the converge restarts MariaDB), exit none (it died), last error boom; see journalctl -u "
        "replkit-seed-writer",
        "r: nodb.t holds -1 rows, the writer committed 10 on top of 5 it found (plus at most 2 unacknowledged): "
        "committed rows were lost"]


def test_seed_problems_refuses_checks_that_are_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match="seed_problems' checks must be a mapping"):
        expectations.seed_problems("r", [])


# ---------------------------------------------------------------- topology scenarios

def test_checksum_groups_label_hosts_by_their_writers_sorted_ignoring_case_leaving_out_long_delayed():
    receivers = {"a": [], "b": ["a"], "c": ["b", "A", "c"], "d": ["A", "b", "c"], "e": ["a"]}
    assert expectations.checksum_groups(list(receivers), receivers, ["e"]) == {
        "": ["a"], "a": ["b"], "A,b,c": ["c", "d"]}
    assert expectations.checksum_groups(list(receivers), receivers, list(receivers)) == {}


def test_writer_rows_sql_is_one_insert_per_row_numbered_from_zero():
    assert expectations.writer_rows_sql("db", "w", "R1", 2) == (
        "INSERT INTO db.shared (writer, run, n) VALUES ('w', 'R1', 0);\n"
        "INSERT INTO db.shared (writer, run, n) VALUES ('w', 'R1', 1);\n")


def test_writer_count_sql_counts_this_run_over_every_table():
    assert expectations.writer_count_sql(["a.shared", "b.shared"], "R") == (
        "SELECT IFNULL(GROUP_CONCAT(CONCAT(writer, ':', rows_of_writer) ORDER BY writer), '') FROM ("
        "SELECT writer, COUNT(*) AS rows_of_writer FROM a.shared WHERE run = 'R' GROUP BY writer UNION ALL "
        "SELECT writer, COUNT(*) AS rows_of_writer FROM b.shared WHERE run = 'R' GROUP BY writer) AS counted")


# ---------------------------------------------------------------- day-2 operations (day2.yml)

def test_day2_extra_vars_name_the_playbooks_variables_and_the_change_file():
    assert expectations.day2_extra_vars({"operation": "switchover", "candidate": "db-b"}, "/w/c.yml") == [
        "--extra-vars=mariadb_candidate=db-b", "--extra-vars=mariadb_operation_change_dir=/w/c.yml"]
    assert expectations.day2_extra_vars({"operation": "rejoin", "host": "db-a", "accept_errant": True}, "/c") == [
        "--extra-vars=mariadb_rejoin_host=db-a", "--extra-vars=mariadb_rejoin_accept_errant=true"]


def test_recap_changed_sums_the_last_recap():
    out = "PLAY RECAP\na : ok=3 changed=2 x\nPLAY RECAP ***\na : ok=5 changed=0 f\nb : ok=5 changed=1 f\n"
    assert expectations.recap_changed(out) == 1


def test_day2_report_lines_are_the_last_debug_message():
    out = 'TASK\nok: [a] => {\n    "msg": [\n        "switchover: b took over",\n        "  a:"\n    ]\n}\n'
    assert expectations.day2_report_lines(out) == ["switchover: b took over", "  a:"]


def test_the_writer_report_finds_missing_duplicated_and_unknown_rows():
    count = {"committed": [1, 2, 3], "uncertain": [4], "longest_gap": 0.1234, "switches": [{}, {}], "done": True}
    report = expectations.follow_writer_report(count, {"a": ["1 1", "2 1", "3 1", "4 1"], "b": ["1 2", "3 1", "9 1"]})
    assert report["problems"] == ["b: 1 acknowledged rows missing: [2]", "b: 1 rows held more than once: [1]",
                                  "b: 1 rows the writer never wrote: [9]"]
    assert report["longest_gap"] == 0.123 and report["switches"] == 1
    clean = expectations.follow_writer_report(count, {"a": ["1 1", "2 1", "3 1"]})
    assert clean["problems"] == []


def test_day2_addresses_prefer_the_replication_address():
    hostvars = {"a": {"mariadb_replication_host": "10.0.0.1", "ansible_host": "x"}, "b": {"ansible_host": "10.0.0.2"},
                "c": {}}
    assert expectations.day2_addresses(["a", "b", "c"], hostvars) == ["10.0.0.1", "10.0.0.2", "c"]
