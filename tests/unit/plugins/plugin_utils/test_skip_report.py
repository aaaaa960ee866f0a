"""plugin_utils/skip_report.py and its filters: the skip playbook's refusals, what it shows, and its verdict after."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter import skip_report as filters
from ansible_collections.replkit.mariadb.plugins.plugin_utils.skip_report import (
    skip_events_text, skip_outcome, skip_refusal)


def info_row(name, **overrides):
    """A connection of a mariadb_replication_info result."""
    base = dict(connection_name=name, io_running="Yes", sql_running="Yes", seconds_behind_primary=0, sql_delay=0,
                last_io_errno=0, last_io_error="", last_sql_errno=0, last_sql_error="", gtid_io_pos="1-1-9")
    base.update(overrides)
    return base


BROKEN = info_row("shop", sql_running="No", seconds_behind_primary=None, last_sql_errno=1062,
                  last_sql_error="Duplicate entry '100' for key 'PRIMARY'")
ROWS = [info_row("crm"), BROKEN]


def test_a_connection_the_replica_does_not_have_is_refused_listing_those_it_has():
    assert skip_refusal(ROWS, "backup", "nope") == (
        "backup: has no replication connection named 'nope' (mariadb_skip_connection); its connections are: 'crm', "
        "'shop'. Set -e mariadb_skip_connection to one of them (names compare ignoring case; '' is the default "
        "connection).")
    assert "its connections are: none" in skip_refusal([], "backup", "shop")


def test_a_connection_running_without_an_sql_error_is_refused():
    refusal = skip_refusal(ROWS, "backup", "CRM")
    assert refusal.startswith("backup: connection 'crm' (mariadb_skip_connection) runs without an SQL error "
                              "(io=Yes sql=Yes), so there is nothing to skip and nothing was changed.")
    assert "IO error needs its source or network repaired" in refusal
    assert "the default connection ('')" in skip_refusal([info_row("")], "r1", "")


@pytest.mark.parametrize("row", [BROKEN, info_row("shop", sql_running="No"),
                                 info_row("shop", last_sql_errno=1032, last_sql_error="Can't find record")])
def test_a_stopped_or_failing_connection_may_be_skipped(row):
    assert skip_refusal([info_row("crm"), row], "backup", "SHOP") == ""


def event(pos, kind, info):
    return dict(log_name="relay.000002", pos=pos, event_type=kind, server_id=1, end_log_pos=pos, info=info)


SKIPPED = dict(connection="shop", count=1, groups=1, last_sql_errno=1062, last_sql_error="Duplicate entry '100'",
               relay_log_file="relay.000002", relay_log_pos=1131, complete=True, pending_events=0, parallel_mode=None,
               event_groups=[dict(gtid="1-1-4", relay_log_file="relay.000002", relay_log_pos=1131, event_count=5,
                                  complete=True, events_omitted=0, events=[
                                      event(1131, "Gtid", "BEGIN GTID 1-1-4"),
                                      event(1173, "Annotate_rows", "INSERT INTO shop.orders VALUES (100)"),
                                      event(1225, "Table_map", "table_id: 18 (shop.orders)"),
                                      event(1268, "Write_rows_v1", "table_id: 18 flags: STMT_END_F"),
                                      event(1310, "Xid", "COMMIT /* xid=28 */")])])


def test_the_skipped_events_are_shown_one_line_each_after_the_error():
    assert skip_events_text(SKIPPED, "backup") == [
        "backup: connection 'shop' stopped on SQL error 1062: Duplicate entry '100'",
        "backup: skipping 1 event group(s) of connection 'shop' (sql_slave_skip_counter = 1), read from its relay log "
        "from relay.000002 position 1131 on:",
        "  group 1 of 1: GTID 1-1-4, 5 event(s), relay log relay.000002 at 1131",
        "    1131 Gtid (server 1): BEGIN GTID 1-1-4",
        "    1173 Annotate_rows (server 1): INSERT INTO shop.orders VALUES (100)",
        "    1225 Table_map (server 1): table_id: 18 (shop.orders)",
        "    1268 Write_rows_v1 (server 1): table_id: 18 flags: STMT_END_F",
        "    1310 Xid (server 1): COMMIT /* xid=28 */"]


def test_omitted_events_pending_events_serial_apply_and_an_unreadable_relay_log_are_said():
    group = dict(SKIPPED["event_groups"][0], events_omitted=40, event_count=45, complete=False)
    lines = skip_events_text(dict(SKIPPED, event_groups=[group], pending_events=3, parallel_mode="optimistic"), "b")
    assert lines[2] == "  group 1 of 1: GTID 1-1-4, 45 event(s) read (the rest is not in the relay log yet), relay log " \
                       "relay.000002 at 1131"
    assert lines[-5:] == [
        "    1268 Write_rows_v1 (server 1): table_id: 18 flags: STMT_END_F",
        "    ... 40 event(s) not shown ...",
        "    1310 Xid (server 1): COMMIT /* xid=28 */",
        "  and 3 more event(s) of groups the source has not sent yet",
        "  connection 'shop' applies in parallel (slave_parallel_mode=optimistic): it is set to none for the skip and "
        "back after it"]
    lines = skip_events_text(dict(SKIPPED, event_groups=[], last_sql_errno=0), "b")
    assert lines[0] == "b: connection 'shop' stopped on SQL error none" and "the events are not shown" in lines[-1]


@pytest.mark.parametrize("row, state, fragment", [
    (info_row("shop"), "running", "backup: connection 'shop' runs and has caught up: io=Yes sql=Yes lag=0 s "
                                  "io_error=none sql_error=none gtid_io_pos=1-1-9"),
    (info_row("shop", sql_delay=60, seconds_behind_primary=61), "running", "runs and has caught up"),
    (info_row("shop", sql_delay=60, seconds_behind_primary=62), "waiting", "has not caught up yet"),
    (info_row("shop", seconds_behind_primary=3), "waiting", "lag=3 s"),
    (info_row("shop", seconds_behind_primary=None, io_running="Connecting", last_io_errno=2003,
              last_io_error="Can't connect"), "waiting", "io_error=2003: Can't connect"),
    (BROKEN, "stopped", "backup: connection 'shop' stopped again: SQL error 1062: Duplicate entry '100' for key "
                        "'PRIMARY'. The skipped events are gone"),
])
def test_the_outcome_after_a_skip(row, state, fragment):
    found = skip_outcome([info_row("crm"), row], "backup", "shop")
    assert found["state"] == state and fragment in found["line"], found


def test_a_stopped_connection_is_told_how_to_skip_again_with_a_quoted_name():
    line = skip_outcome([dict(BROKEN, connection_name="")], "backup", "")["line"]
    assert line.endswith("ansible-playbook -i INVENTORY replkit.mariadb.skip -e mariadb_skip_host=backup "
                         "-e mariadb_skip_connection=''")
    assert "mariadb_skip_connection='it'\"'\"'s'" in skip_outcome([dict(BROKEN, connection_name="it's")], "b", "it's")["line"]
    assert skip_outcome([], "backup", "shop") == dict(state="stopped", line="backup: connection 'shop' no longer exists.")


def test_the_filters_check_their_input():
    status = dict(connections=ROWS)
    assert filters.skip_refusal(status, "backup", "shop") == ""
    assert filters.skip_outcome(status, "backup", "crm")["state"] == "running"
    assert filters.skip_events_text(SKIPPED, "backup")[0].startswith("backup: connection 'shop'")
    with pytest.raises(AnsibleFilterError, match="skip_refusal expects a mariadb_replication_info result"):
        filters.skip_refusal({"failed": True}, "backup", "shop")
    with pytest.raises(AnsibleFilterError, match=r"skip_outcome expects the connection name as a string \(mariadb_skip"):
        filters.skip_outcome(status, "backup", 5)
    with pytest.raises(AnsibleFilterError, match="skip_events_text expects the skipped_events"):
        filters.skip_events_text({"connection": "shop"}, "backup")
    assert set(filters.FilterModule().filters()) == {"skip_refusal", "skip_events_text", "skip_outcome"}
