"""module_utils/skip_events.py: the skip's statements (serial apply where MariaDB refuses the counter), what it skips,
and waiting for it (against a StrictCursor)."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils import skip_events as se
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import ServerInfo
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, StrictCursor
from ansible_collections.replkit.mariadb.tests.unit.plugins.module_utils.test_relay_log import RELAY, SHOW, raw, transaction

INFO = ServerInfo((10, 11, 6), "10.11.6-MariaDB", True)
OLD_INFO = ServerInfo((10, 4, 0), "10.4.0-MariaDB", True)
SETTINGS = r"SELECT @@GLOBAL.server_id AS server_id, .* @@GLOBAL.sql_slave_skip_counter AS skip_counter"


def settings(**overrides):
    base = dict(server_id=3, gtid_slave_pos="1-1-3,2-2-9", parallel_threads=4, parallel_mode="optimistic", skip_counter=0)
    base.update(overrides)
    return base


def row(**overrides):
    base = {"Connection_name": "shop", "Using_Gtid": "Slave_Pos", "Slave_IO_Running": "Yes", "Slave_SQL_Running": "No",
            "Last_SQL_Errno": 1062, "Last_SQL_Error": "Duplicate entry '100'", "Relay_Log_File": RELAY,
            "Relay_Log_Pos": 4}
    base.update(overrides)
    return base


def read_settings(name, **answer):
    return [Expect(r"SET @@SESSION.default_master_connection = %s", params=(name,)),
            Expect(SETTINGS, rows=[dict(settings(), **answer)]),
            Expect(r"SET @@SESSION.default_master_connection = %s", params=("",))]


def test_settings_are_read_for_the_connection_through_default_master_connection():
    cursor = StrictCursor(read_settings("db'1", parallel_mode="Conservative", skip_counter=2, gtid_slave_pos=None))
    assert se.read_skip_settings(cursor, "db'1") == settings(parallel_mode="conservative", skip_counter=2,
                                                             gtid_slave_pos="")
    cursor.assert_done()


@pytest.mark.parametrize("connection, server, restore", [
    (row(), settings(), "optimistic"),
    (row(), settings(parallel_mode="aggressive"), "aggressive"),
    (row(), settings(gtid_slave_pos="1-1-3"), None),  # one domain: MariaDB takes the counter as it is
    (row(), settings(gtid_slave_pos="garbage"), "optimistic"),
    (row(), settings(parallel_threads=0), None),
    (row(), settings(parallel_mode="none"), None),
    (row(Using_Gtid="No"), settings(), None),
    (None, settings(), None),
])
def test_a_gtid_connection_applying_in_parallel_skips_in_serial(connection, server, restore):
    assert se.serial_mode_to_restore(connection, server) == restore


def test_skip_statements_stop_and_start_only_that_connection():
    assert [s.masked() for s in se.skip_statements(INFO, "db'2", 3)] == [
        "STOP REPLICA 'db\\'2'", "SET @@SESSION.default_master_connection = 'db\\'2'",
        "SET GLOBAL sql_slave_skip_counter = 3", "START REPLICA 'db\\'2'", "SET @@SESSION.default_master_connection = ''"]
    assert [s.masked() for s in se.skip_statements(OLD_INFO, "shop", 1, "optimistic")] == [
        "STOP SLAVE 'shop'", "SET @@SESSION.default_master_connection = 'shop'", "SET GLOBAL slave_parallel_mode = 'none'",
        "SET GLOBAL sql_slave_skip_counter = 1", "START SLAVE 'shop'", "SET @@SESSION.default_master_connection = ''"]


def test_the_parallel_mode_is_set_back_pausing_only_a_running_sql_thread():
    assert se.restore_statements(INFO, "shop", None) == []
    assert [s.masked() for s in se.restore_statements(INFO, "shop", "optimistic")] == [
        "SET @@SESSION.default_master_connection = 'shop'", "STOP REPLICA 'shop' SQL_THREAD",
        "SET GLOBAL slave_parallel_mode = 'optimistic'", "START REPLICA 'shop' SQL_THREAD",
        "SET @@SESSION.default_master_connection = ''"]
    assert [s.masked() for s in se.restore_statements(INFO, "shop", "optimistic", sql_running=False)] == [
        "SET @@SESSION.default_master_connection = 'shop'", "SET GLOBAL slave_parallel_mode = 'optimistic'",
        "SET @@SESSION.default_master_connection = ''"]


def test_the_preview_leaves_out_applied_groups_and_counts_the_wanted_ones():
    events = transaction(100, 3) + transaction(200, 4) + transaction(300, 5) + transaction(400, 6)
    cursor = StrictCursor([Expect(SHOW, params=("shop", RELAY, 4, 1000), rows=[raw(e) for e in events])])
    report, counter, problem = se.preview(cursor, "shop", row(), settings(), wanted_groups=2)
    assert (counter, problem) == (6, None)
    assert [group["gtid"] for group in report["event_groups"]] == ["1-1-4", "1-1-5"]
    assert report["complete"] is True and report["pending_events"] == 0
    assert (report["last_sql_errno"], report["relay_log_file"], report["relay_log_pos"]) == (1062, RELAY, 4)


def test_a_count_reaching_past_the_relay_log_leaves_events_pending():
    cursor = StrictCursor([Expect(SHOW, params=("shop", RELAY, 4, 1000), rows=[raw(e) for e in transaction(100, 4)])])
    report, counter, problem = se.preview(cursor, "shop", row(), settings(), count=7)
    assert (counter, problem) == (7, None)
    assert len(report["event_groups"]) == 1 and report["pending_events"] == 2 and report["complete"] is False


def test_a_file_position_connection_keeps_every_group_read():
    cursor = StrictCursor([Expect(SHOW, params=("shop", RELAY, 4, 1000), rows=[raw(e) for e in transaction(100, 1)])])
    report, counter, _problem = se.preview(cursor, "shop", row(Using_Gtid="No"), settings(gtid_slave_pos="1-1-9"),
                                           count=1)
    assert counter == 1 and [group["gtid"] for group in report["event_groups"]] == ["1-1-1"]


def test_groups_the_relay_log_does_not_hold_cannot_be_counted():
    cursor = StrictCursor([Expect(SHOW, params=("shop", RELAY, 4, 1000), rows=[raw(e) for e in transaction(100, 4)])])
    report, counter, problem = se.preview(cursor, "shop", row(), settings(), wanted_groups=3)
    assert counter is None and report["event_groups"] == []
    assert problem == "its relay log holds 1 complete event group(s) after the connection's position"


def test_an_unreadable_relay_log_still_allows_one_group_and_says_why():
    cursor = StrictCursor([Expect(SHOW, error=RuntimeError("Could not find target log"))])
    report, counter, problem = se.preview(cursor, "shop", row(), settings(), wanted_groups=1)
    assert counter == 1 and "Could not find target log" in problem and report["complete"] is False
    report, counter, problem = se.preview(StrictCursor([]), "shop", None, settings(), count=1)
    assert counter == 1 and problem == "the connection does not exist yet"
    _report, counter, problem = se.preview(StrictCursor([]), "shop", row(Relay_Log_File="../x"), settings(),
                                           wanted_groups=2)
    assert counter is None and "not a plain file name" in problem


def poll(left, sql="Yes"):
    return read_settings("shop", skip_counter=left) + [
        Expect(r"SHOW ALL REPLICAS STATUS", rows=[row(Slave_SQL_Running=sql), row(Connection_name="crm")])]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_waiting_ends_when_the_skip_is_done_or_the_sql_thread_stopped_or_time_is_up():
    clock = Clock()
    cursor = StrictCursor(poll(1) + poll(1) + poll(0))
    left, found = se.wait_for_skip(cursor, INFO, "shop", 10, clock, clock.sleep)
    assert left == 0 and found["Connection_name"] == "shop" and clock.now == pytest.approx(0.4)
    cursor.assert_done()

    cursor = StrictCursor(poll(1, sql="No"))
    assert se.wait_for_skip(cursor, INFO, "shop", 10, clock, clock.sleep)[0] == 1

    clock = Clock()
    cursor = StrictCursor(poll(3) * 6)
    left, _found = se.wait_for_skip(cursor, INFO, "shop", 1, clock, clock.sleep)
    assert left == 3 and clock.now >= 1
