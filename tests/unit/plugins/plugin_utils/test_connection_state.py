"""Planned connections compared with running ones: the topology role's wait and the preflight's rename check."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.connection_state import (
    FilterModule, connections_not_ready, connections_renamed)

PLANNED = [{"name": "db1", "source": "db1", "primary_host": "db1", "primary_port": 3306},
           {"name": "Db2", "source": "db-2", "primary_host": "DB2.example", "primary_port": 3307}]


def row(name, **changes):
    """A healthy, caught-up status row of mariadb_replication_info, with ``changes``."""
    return dict({"connection_name": name, "healthy": True, "io_running": "Yes", "sql_running": "Yes",
                 "sql_delay": 0, "seconds_behind_primary": 0, "last_io_errno": 0, "last_io_error": "",
                 "last_sql_errno": 0, "last_sql_error": "", "primary_host": "db1", "primary_port": 3306}, **changes)


def test_filters_are_registered():
    assert FilterModule().filters() == {"connections_not_ready": connections_not_ready,
                                        "connections_renamed": connections_renamed}


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
