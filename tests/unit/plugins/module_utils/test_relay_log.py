"""module_utils/relay_log.py: SHOW RELAYLOG EVENTS rows cut into event groups, the skip counter's arithmetic, and the
reading of a relay log across its files (against a StrictCursor)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils import relay_log as rl
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, StrictCursor

RELAY = "backup-relay-bin-shop.000002"
SHOW = r"SHOW RELAYLOG %s EVENTS IN %s FROM %s LIMIT %s"


def ev(pos, kind, info="", server_id=1, log_name=RELAY):
    return dict(log_name=log_name, pos=pos, event_type=kind, server_id=server_id, end_log_pos=pos + 10, info=info)


def raw(event):
    """The event as the server's SHOW RELAYLOG EVENTS row."""
    return {"Log_name": event["log_name"], "Pos": event["pos"], "Event_type": event["event_type"],
            "Server_id": event["server_id"], "End_log_pos": event["end_log_pos"], "Info": event["info"]}


def transaction(pos, seq, table="shop.orders", domain=1):
    """A row-based transaction as MariaDB 10.11 relays it: five events."""
    return [ev(pos, "Gtid", "BEGIN GTID %d-1-%d" % (domain, seq)),
            ev(pos + 1, "Annotate_rows", "INSERT INTO %s VALUES (%d)" % (table, seq)),
            ev(pos + 2, "Table_map", "table_id: 18 (%s)" % table),
            ev(pos + 3, "Write_rows_v1", "table_id: 18 flags: STMT_END_F"),
            ev(pos + 4, "Xid", "COMMIT /* xid=%d */" % seq)]


HEADER = [ev(4, "Format_desc", "Server ver: 10.11.6-MariaDB-log, Binlog ver: 4", server_id=3),
          ev(256, "Rotate", "db1-bin.000001;pos=4"), ev(301, "Format_desc", "Server ver: 10.11.6"),
          ev(553, "Gtid_list", "[]"), ev(582, "Binlog_checkpoint", "db1-bin.000001")]


def shape(groups):
    return [(group["gtid"], [event["event_type"] for event in group["events"]], group["complete"]) for group in groups]


def test_transactions_ddl_and_events_between_groups():
    events = HEADER + [ev(623, "Gtid", "GTID 1-1-1"), ev(665, "Query", "CREATE DATABASE shop")] + transaction(700, 2) + [
        ev(710, "Rotate", "db1-bin.000002;pos=4"), ev(720, "Format_desc"), ev(730, "Gtid_list", "[1-1-2]")] + (
        transaction(800, 3)[:3])
    assert shape(rl.split_groups(events)) == [
        ("1-1-1", ["Gtid", "Query"], True),
        ("1-1-2", ["Gtid", "Annotate_rows", "Table_map", "Write_rows_v1", "Xid"], True),
        ("1-1-3", ["Gtid", "Annotate_rows", "Table_map"], False)]


def test_statement_based_and_non_transactional_groups_end_at_commit_or_rollback():
    events = [ev(4, "Gtid", "BEGIN GTID 0-1-7 cid=55"), ev(5, "Query", "INSERT INTO t VALUES (1)"),
              ev(6, "Query", "COMMIT"),
              ev(7, "Gtid", "BEGIN GTID 0-1-8"), ev(8, "Query", "UPDATE t SET a = 2"), ev(9, "Query", "ROLLBACK"),
              ev(10, "Gtid", "XA START X'31',X'',1 GTID 0-1-9"), ev(11, "Query", "INSERT INTO t VALUES (3)"),
              ev(12, "Query", "XA END X'31',X'',1"), ev(13, "XA_prepare", "XA PREPARE X'31',X'',1"),
              ev(14, "Gtid", "GTID 0-1-10"), ev(15, "Query", "XA COMMIT X'31',X'',1")]
    assert [(group["gtid"], len(group["events"]), group["complete"]) for group in rl.split_groups(events)] == [
        ("0-1-7", 3, True), ("0-1-8", 3, True), ("0-1-9", 4, True), ("0-1-10", 2, True)]


def test_a_source_without_gtids_and_a_reading_that_starts_inside_a_group():
    events = [ev(4, "Table_map", "table_id: 1 (a.b)"), ev(5, "Write_rows_v1"), ev(6, "Xid", "COMMIT"),
              ev(7, "Query", "BEGIN"), ev(8, "Query", "INSERT INTO a.b VALUES (1)"), ev(9, "Query", "COMMIT"),
              ev(10, "Query", "CREATE TABLE a.c (id INT)"),
              ev(11, "Gtid", "BEGIN GTID 0-1-5"), ev(12, "Table_map")]
    assert shape(rl.split_groups(events)) == [
        (None, ["Table_map", "Write_rows_v1", "Xid"], True), (None, ["Query", "Query", "Query"], True),
        (None, ["Query"], True), ("0-1-5", ["Gtid", "Table_map"], False)]


def test_a_gtid_event_closes_a_group_left_open():
    events = [ev(4, "Gtid", "BEGIN GTID 0-1-1"), ev(5, "Table_map"), ev(6, "Gtid", "BEGIN GTID 0-1-2")]
    assert [group["complete"] for group in rl.split_groups(events)] == [True, False]
    assert rl.split_groups([]) == [] and rl.split_groups(HEADER) == []


def test_groups_the_replica_applied_are_left_out_up_to_the_first_it_lacks():
    groups = rl.split_groups(transaction(10, 2) + transaction(20, 3) + transaction(30, 4, domain=2) + transaction(40, 2))
    assert [group["gtid"] for group in rl.unapplied_groups(groups, "1-1-2,2-1-9")] == ["1-1-3", "2-1-4", "1-1-2"]
    assert [group["gtid"] for group in rl.unapplied_groups(groups, "1-1-3,2-1-9")] == []
    assert [group["gtid"] for group in rl.unapplied_groups(groups, "1-1-3")] == ["2-1-4", "1-1-2"]
    assert len(rl.unapplied_groups(groups, "")) == 4 and len(rl.unapplied_groups(groups, "not a position")) == 4
    headless = rl.split_groups([ev(4, "Table_map"), ev(5, "Xid")] + transaction(10, 2))
    assert len(rl.unapplied_groups(headless, "1-1-9")) == 2, "a group without GTID is never known to be applied"


# Measured on MariaDB 10.11 with groups of five events: counters 1, 2 and 5 skip one group, 6 and 10 skip two.
@pytest.mark.parametrize("counter, skipped, left", [
    (1, 1, 0), (2, 1, 0), (5, 1, 0), (6, 2, 0), (10, 2, 0), (11, 3, 0), (16, 3, 1)])
def test_the_skip_counter_finishes_the_group_it_ends_in(counter, skipped, left):
    groups = rl.split_groups(transaction(10, 1) + transaction(20, 2) + transaction(30, 3))
    found, rest = rl.groups_skipped(groups, counter)
    assert (len(found), rest) == (skipped, left)


def test_groups_to_counter_and_back():
    groups = rl.split_groups([ev(4, "Gtid", "GTID 0-1-1"), ev(5, "Query", "DROP TABLE t")] + transaction(10, 2)
                             + transaction(20, 3)[:2])
    assert [rl.counter_for_groups(groups, wanted) for wanted in (1, 2, 3, 4)] == [1, 3, 8, None]
    for wanted in (1, 2, 3):
        skipped, _left = rl.groups_skipped(groups, rl.counter_for_groups(groups, wanted))
        assert len(skipped) == wanted
    assert rl.groups_skipped(groups, 9) == (groups, None), "the incomplete last group's size is unknown"
    assert rl.counter_for_groups(rl.split_groups(transaction(4, 1)[:2]), 2) is None
    assert rl.counter_for_groups([], 1) == 1


@pytest.mark.parametrize("relay_file, relay_pos, problem", [
    (RELAY, 4, None), ("mysqld-relay-bin.000001", 123456789, None),
    ("/var/lib/mysql/relay.000001", 4, "is not a plain file name"), ("../x.000001", 4, "is not a plain file name"),
    ("a'b.000001", 4, "is not a plain file name"), ("", 4, "is not a plain file name"), (None, 4, "not a plain file"),
    (RELAY, 3, "is not a position"), (RELAY, "4", "is not a position"), (RELAY, True, "is not a position"),
])
def test_relay_positions_are_checked_before_they_are_read(relay_file, relay_pos, problem):
    error = rl.relay_position_error(relay_file, relay_pos)
    assert (error is None) if problem is None else (problem in error), error


def test_reading_pages_on_and_follows_the_relay_log_into_its_next_file():
    first = transaction(100, 4) + transaction(200, 5)
    rotate = ev(300, "Rotate", "backup-relay-bin-shop.000003;pos=4", server_id=9)
    second = [ev(4, "Format_desc", server_id=9, log_name="backup-relay-bin-shop.000003")] + [
        dict(event, log_name="backup-relay-bin-shop.000003") for event in transaction(256, 6)]
    cursor = StrictCursor([
        Expect(SHOW, params=("shop", RELAY, 100, 6), rows=[raw(e) for e in first[:6]]),
        Expect(SHOW, params=("shop", RELAY, 200, 7), rows=[raw(e) for e in first[5:] + [rotate]]),
        Expect(SHOW, params=("shop", "backup-relay-bin-shop.000003", 4, 6), rows=[raw(e) for e in second]),
    ])
    events, whole = rl.read_relay_events(cursor, "shop", RELAY, 100, 9, lambda found: rl.complete_groups(found) >= 3,
                                         page=6)
    cursor.assert_done()
    assert whole is True
    assert [group["gtid"] for group in rl.split_groups(events)] == ["1-1-4", "1-1-5", "1-1-6"]
    assert [event["pos"] for event in events][:7] == [100, 101, 102, 103, 104, 200, 201], "no event read twice"


def test_reading_stops_at_the_end_of_the_relay_log_and_at_the_limit():
    cursor = StrictCursor([Expect(SHOW, params=("", RELAY, 4, 50), rows=[raw(e) for e in transaction(4, 1)[:3]])])
    events, whole = rl.read_relay_events(cursor, "", RELAY, 4, 9, lambda found: False, page=50)
    assert len(events) == 3 and whole is True
    # The source's own Rotate (another server id) does not lead to another relay log file.
    cursor = StrictCursor([Expect(SHOW, params=("db1", RELAY, 4, 50), rows=[raw(ev(4, "Rotate", "db1-bin.000002;pos=4"))])])
    assert rl.read_relay_events(cursor, "db1", RELAY, 4, 9, lambda found: False, page=50) == ([rl.event_row(raw(
        ev(4, "Rotate", "db1-bin.000002;pos=4")))], True)
    cursor = StrictCursor([Expect(SHOW, params=("db1", RELAY, 4, 5), rows=[raw(e) for e in transaction(4, 1)]),
                           Expect(SHOW, params=("db1", RELAY, 8, 6), rows=[raw(e) for e in transaction(8, 2)[:6]])])
    events, whole = rl.read_relay_events(cursor, "db1", RELAY, 4, 9, lambda found: False, page=5, limit=8)
    assert len(events) == 9 and whole is False


def test_a_relay_log_the_server_cannot_read_raises_with_the_statement():
    cursor = StrictCursor([Expect(SHOW, error=RuntimeError("Could not find target log"))])
    expected = "SHOW RELAYLOG 'db\\'1' EVENTS IN '%s' FROM 4 LIMIT 1000 failed: Could not find target log" % RELAY
    with pytest.raises(rl.RelayLogError, match=re.escape(expected)):
        rl.read_relay_events(cursor, "db'1", RELAY, 4, 9, lambda found: False)
    with pytest.raises(rl.RelayLogError, match="not a plain file name"):
        rl.read_relay_events(StrictCursor([]), "db1", "/etc/passwd", 4, 9, lambda found: False)


def test_a_large_group_is_reported_with_its_first_events_and_its_last():
    events = [ev(4, "Gtid", "BEGIN GTID 0-1-1")] + [ev(10 + n, "Write_rows_v1") for n in range(30)] + [ev(99, "Xid")]
    report = rl.group_report(rl.split_groups(events)[0])
    assert report["event_count"] == 32 and report["events_omitted"] == 12 and len(report["events"]) == 20
    assert report["events"][0]["event_type"] == "Gtid" and report["events"][-1]["event_type"] == "Xid"
    assert (report["gtid"], report["relay_log_file"], report["relay_log_pos"], report["complete"]) == (
        "0-1-1", RELAY, 4, True)
    small = rl.group_report(rl.split_groups(transaction(4, 1))[0])
    assert small["events_omitted"] == 0 and len(small["events"]) == 5
