"""Planned connections compared with running ones: the topology role's wait, the preflight's rename check, and the
topology role's purge mode and its lines about the connections it left alone."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.connection_state import (
    FilterModule, connections_left_alone, connections_not_ready, connections_renamed, purge_mode)

PLANNED = [{"name": "db1", "source": "db1", "primary_host": "db1", "primary_port": 3306},
           {"name": "Db2", "source": "db-2", "primary_host": "DB2.example", "primary_port": 3307}]


def row(name, **changes):
    """A healthy, caught-up status row of mariadb_replication_info, with ``changes``."""
    return dict({"connection_name": name, "healthy": True, "io_running": "Yes", "sql_running": "Yes",
                 "sql_delay": 0, "seconds_behind_primary": 0, "last_io_errno": 0, "last_io_error": "",
                 "last_sql_errno": 0, "last_sql_error": "", "primary_host": "db1", "primary_port": 3306}, **changes)


def test_filters_are_registered():
    assert FilterModule().filters() == {"connections_not_ready": connections_not_ready,
                                        "connections_renamed": connections_renamed, "purge_mode": purge_mode,
                                        "connections_left_alone": connections_left_alone}


# ---------------------------------------------------------------- connections_not_ready

def test_nothing_planned_is_always_ready():
    assert connections_not_ready([], {"connections": [row("stray", healthy=False)]}) == []


def test_connections_found_ignoring_case_and_caught_up_are_ready():
    assert connections_not_ready(PLANNED, {"connections": [row("DB1"), row("db2")]}) == []


def test_a_failed_read_reports_every_planned_connection_missing():
    expected = ["'db1' (from db1): missing", "'Db2' (from db-2): missing"]
    assert connections_not_ready(PLANNED, {"failed": True, "msg": "cannot log in"}) == expected
    assert connections_not_ready(PLANNED, {"connections": []}) == expected


def test_a_broken_connection_names_threads_lag_and_both_errors():
    broken = row("db1", healthy=False, io_running="Connecting", seconds_behind_primary=None,
                 last_io_errno=2003, last_io_error="Can't connect to 'db1'", last_sql_errno=1062,
                 last_sql_error="Duplicate entry")
    assert connections_not_ready(PLANNED[:1], {"connections": [broken]}) == [
        "'db1' (from db1): io=Connecting sql=Yes lag=None s (allowed 0 s) io_error=2003 Can't connect to 'db1' "
        "sql_error=1062 Duplicate entry"]


def test_an_error_text_without_its_number_is_none():
    stale = row("db1", healthy=False, last_io_error="stale message")
    assert connections_not_ready(PLANNED[:1], {"connections": [stale]})[0].endswith("io_error=none sql_error=none")


def test_lag_is_allowed_up_to_max_lag_and_a_delay_plus_one_second():
    status = {"connections": [row("db1", seconds_behind_primary=3), row("Db2", sql_delay=10, seconds_behind_primary=11)]}
    assert connections_not_ready(PLANNED, status, 3) == []
    assert connections_not_ready(PLANNED, status, "2") == [
        "'db1' (from db1): io=Yes sql=Yes lag=3 s (allowed 2 s) io_error=none sql_error=none"]
    status["connections"][1]["seconds_behind_primary"] = 12
    assert connections_not_ready(PLANNED, status)[1] == (
        "'Db2' (from db-2): io=Yes sql=Yes lag=12 s (allowed 11 s) io_error=none sql_error=none")


def test_an_unknown_lag_is_not_caught_up_even_when_healthy():
    assert connections_not_ready(PLANNED[:1], {"connections": [row("db1", seconds_behind_primary=None)]}, 100) == [
        "'db1' (from db1): io=Yes sql=Yes lag=None s (allowed 100 s) io_error=none sql_error=none"]


def test_the_first_row_of_a_name_decides():
    status = {"connections": [row("db1", seconds_behind_primary=9), row("DB1")]}
    assert len(connections_not_ready(PLANNED[:1], status)) == 1


@pytest.mark.parametrize("planned, status, max_lag, message", [
    ("db1", {"connections": []}, 0, "expects a host's planned connections (mariadb_node.connections)"),
    ({"name": "db1"}, {"connections": []}, 0, "expects a host's planned connections"),
    (PLANNED, None, 0, "expects a mariadb_replication_info result as argument, got None"),
    (PLANNED, {"connections": "db1"}, 0, "with its connections list"),
    (PLANNED, {"connections": []}, "soon", "max_lag must be a whole number of seconds (topology_max_lag), got 'soon'"),
    (PLANNED, {"connections": []}, True, "max_lag must be a whole number of seconds (topology_max_lag), got True"),
])
def test_not_ready_refuses_wrong_inputs(planned, status, max_lag, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        connections_not_ready(planned, status, max_lag)


# ---------------------------------------------------------------- connections_renamed

def test_no_running_connection_means_nothing_renamed():
    assert connections_renamed(PLANNED, {"connections": []}) == []
    assert connections_renamed([], {"connections": [row("old")]}) == []


def test_a_planned_source_under_another_name_is_named_hosts_and_names_ignoring_case():
    status = {"connections": [row("DB1", primary_host="DB1"), row("old", primary_host="DB1"),
                              row("legacy", primary_host="db2.EXAMPLE", primary_port=3307)]}
    assert connections_renamed(PLANNED, status) == [
        "connection 'old' already replicates from DB1:3306, which the plan names 'db1'",
        "connection 'legacy' already replicates from db2.EXAMPLE:3307, which the plan names 'Db2'"]


def test_another_port_or_host_is_another_source():
    status = {"connections": [row("old", primary_port=3307), row("other", primary_host="db9"),
                              row("text_port", primary_port="3306")]}
    assert connections_renamed(PLANNED[:1], status) == []


def test_the_default_connection_counts_as_a_name():
    assert connections_renamed(PLANNED[:1], {"connections": [row("")]}) == [
        "connection '' already replicates from db1:3306, which the plan names 'db1'"]


@pytest.mark.parametrize("planned, status, message", [
    (None, {"connections": []}, "expects a host's planned connections"),
    (PLANNED, {"failed": True}, "with its connections list"),
    (PLANNED, [], "expects a mariadb_replication_info result as argument"),
])
def test_renamed_refuses_wrong_inputs(planned, status, message):
    with pytest.raises(AnsibleFilterError, match=message):
        connections_renamed(planned, status)


# ---------------------------------------------------------------- purge_mode

@pytest.mark.parametrize("value, mode", [
    ("managed", "managed"), ("all", "all"), ("none", "none"), ("Managed", "managed"),
    (True, "all"), (False, "none"), ("true", "all"), ("false", "none"), ("True", "all"), ("False", "none"),
])
def test_purge_mode_reads_the_three_modes_and_the_old_booleans(value, mode):
    assert purge_mode(value) == mode


@pytest.mark.parametrize("value", ["manged", "", None, 1, "yes-please", ["all"]])
def test_purge_mode_refuses_anything_else_naming_the_values(value):
    with pytest.raises(AnsibleFilterError, match=r"purge_mode: topology_purge must be one of managed .*, all, none, or "
                                                 r"true/false \(the same as all/none\), got "):
        purge_mode(value)


# ---------------------------------------------------------------- connections_left_alone

def kept(name, user, host="10.0.0.9", port=3306):
    return {"name": name, "primary_host": host, "primary_port": port, "primary_user": user}


def test_nothing_left_alone_means_no_line():
    assert connections_left_alone([], "managed", "replkit_repl") == []


def test_a_hand_made_connection_is_named_with_its_source_user_and_the_fix():
    assert connections_left_alone([kept("etl", "etl", port=3307)], "managed", "replkit_repl") == [
        "connection 'etl' (from 10.0.0.9:3307 as user 'etl') is not in the plan and was not made by replkit.mariadb "
        "(its user is not mariadb_replication_user 'replkit_repl'): left alone; remove it yourself "
        "(RESET SLAVE 'etl' ALL) if it is not needed"]


def test_a_quote_in_the_name_is_doubled_in_the_suggested_statement():
    assert "(RESET SLAVE 'it''s' ALL)" in connections_left_alone([kept("it's", "etl")], "managed", "replkit_repl")[0]


def test_the_default_connection_is_never_purged_whoever_made_it():
    for mode in ("managed", "all", "none"):
        assert connections_left_alone([kept("", "replkit_repl")], mode, "replkit_repl") == [
            "the default connection '' (from 10.0.0.9:3306 as user 'replkit_repl') is not in the plan and is never "
            "purged: remove it with replkit.mariadb.mariadb_change_master state=absent if it is not needed"]


def test_with_purge_none_the_collections_own_connections_are_named_with_the_mode_that_removes_them():
    lines = connections_left_alone([kept("old", "replkit_repl"), kept("etl", "etl")], "none", "replkit_repl")
    assert lines == [
        "connection 'old' (from 10.0.0.9:3306 as user 'replkit_repl') is not in the plan and was left alone "
        "(topology_purge: none); it uses mariadb_replication_user, so topology_purge: managed would remove it",
        "connection 'etl' (from 10.0.0.9:3306 as user 'etl') is not in the plan and was left alone (topology_purge: none)"]


def test_a_connection_purge_should_have_removed_is_still_named():
    assert connections_left_alone([kept("old", "replkit_repl")], "all", "replkit_repl") == [
        "connection 'old' (from 10.0.0.9:3306 as user 'replkit_repl') is not in the plan and was left alone"]


@pytest.mark.parametrize("unmanaged, mode, user, message", [
    (None, "managed", "r", "expects the unmanaged_connections list of a mariadb_multisource result as input, got None"),
    ({"name": "x"}, "managed", "r", "expects the unmanaged_connections list"),
    (["x"], "managed", "r", "expects the unmanaged_connections list"),
    ([], True, "r", r"expects the purge mode \(one of managed, all, none\) as its first argument, got True"),
    ([], "managed", None, r"expects the replication user \(mariadb_replication_user\) as its second argument"),
])
def test_left_alone_refuses_wrong_inputs(unmanaged, mode, user, message):
    with pytest.raises(AnsibleFilterError, match=message):
        connections_left_alone(unmanaged, mode, user)
