"""mariadb_gtid_pos main() against a strict fake cursor: the exact SQL, in order."""

from __future__ import annotations

import pymysql
import pytest

from ansible_collections.replkit.mariadb.plugins.modules import mariadb_gtid_pos as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
LOGIN = dict(login_user="admin", login_password="s'e\"c\\r;et", login_host="127.0.0.1", login_port=3306)
VERSION = Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.11.6-MariaDB-log"}])
VERSION_10_4 = Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.4.30-MariaDB"}])
WRITE_PREFIXES = ("SET", "STOP", "START", "CHANGE", "RESET")


def positions(binlog="0-1-100", current="0-1-100,1-2-5", slave="1-2-5,2-3-7"):
    return Expect(r"SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value FROM information_schema\.GLOBAL_VARIABLES "
                  r"WHERE VARIABLE_NAME IN \(%s, %s, %s\)",
                  params=("GTID_BINLOG_POS", "GTID_CURRENT_POS", "GTID_SLAVE_POS"),
                  rows=[{"name": "GTID_BINLOG_POS", "value": binlog}, {"name": "GTID_CURRENT_POS", "value": current},
                        {"name": "GTID_SLAVE_POS", "value": slave}])


def connection(name, io="Yes", sql="Yes"):
    return {"Connection_name": name, "Slave_IO_Running": io, "Slave_SQL_Running": sql}


def show(*rows):
    return Expect(r"SHOW ALL REPLICAS STATUS", rows=list(rows))


def run(args, script, check_mode=False, diff=False):
    args = dict(LOGIN, _ansible_check_mode=check_mode, _ansible_diff=diff, **args)
    return run_module_main(module, args, script, CONNECT)


def writes(cursor):
    return [sql for sql, dummy_params in cursor.executed if sql.upper().startswith(WRITE_PREFIXES)]


def test_read_only_reports_positions_as_strings_and_per_domain():
    result, cursor = run({}, [VERSION, positions()])
    assert result["changed"] is False and not result["failed"]
    assert result["gtid_binlog_pos"] == "0-1-100"
    assert result["gtid_current_pos"] == "0-1-100,1-2-5"
    assert result["gtid_slave_pos"] == "1-2-5,2-3-7"
    assert result["gtid_positions"] == {
        "binlog_pos": {"0": {"server_id": 1, "seq_no": 100}},
        "current_pos": {"0": {"server_id": 1, "seq_no": 100}, "1": {"server_id": 2, "seq_no": 5}},
        "slave_pos": {"1": {"server_id": 2, "seq_no": 5}, "2": {"server_id": 3, "seq_no": 7}},
    }
    assert result["queries"] == [] and result["stopped_connections"] == []
    assert writes(cursor) == []


def test_merge_stops_only_running_connections_sets_and_restarts_exactly_their_threads():
    script = [
        VERSION, positions(),
        show(connection("a"), connection("b", io="No", sql="No"), connection("c", io="Connecting", sql="No"),
             connection("d", io="No", sql="Yes")),
        Expect(r"STOP REPLICA %s", params=("a",)),
        Expect(r"STOP REPLICA %s", params=("c",)),
        Expect(r"STOP REPLICA %s", params=("d",)),
        Expect(r"SET GLOBAL gtid_slave_pos = %s", params=("1-2-9,2-3-7",)),
        Expect(r"START REPLICA %s", params=("a",)),
        Expect(r"START REPLICA %s IO_THREAD", params=("c",)),
        Expect(r"START REPLICA %s SQL_THREAD", params=("d",)),
        positions(slave="1-2-9,2-3-7"),
    ]
    result, cursor = run(dict(gtid_slave_pos=" 1-2-9 "), script, diff=True)
    assert result["changed"] is True
    assert result["stopped_connections"] == ["a", "c", "d"]
    assert result["gtid_slave_pos"] == "1-2-9,2-3-7"
    assert result["diff"] == {"before": {"gtid_slave_pos": "1-2-5,2-3-7"}, "after": {"gtid_slave_pos": "1-2-9,2-3-7"}}
    assert result["queries"] == [
        "STOP REPLICA 'a'", "STOP REPLICA 'c'", "STOP REPLICA 'd'", "SET GLOBAL gtid_slave_pos = '1-2-9,2-3-7'",
        "START REPLICA 'a'", "START REPLICA 'c' IO_THREAD", "START REPLICA 'd' SQL_THREAD"]
    assert ("STOP REPLICA %s", ("b",)) not in cursor.executed and ("START REPLICA %s", ("b",)) not in cursor.executed


def test_check_mode_predicts_and_sends_no_write():
    script = [VERSION, positions(), show(connection("a"), connection("", io="Connecting", sql="Yes"))]
    result, cursor = run(dict(gtid_slave_pos="1-2-9"), script, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["stopped_connections"] == ["a", ""]
    assert result["queries"] == ["STOP REPLICA 'a'", "STOP REPLICA ''", "SET GLOBAL gtid_slave_pos = '1-2-9,2-3-7'",
                                 "START REPLICA 'a'", "START REPLICA ''"]
    assert result["gtid_slave_pos"] == "1-2-5,2-3-7"
    assert result["diff"]["after"] == {"gtid_slave_pos": "1-2-9,2-3-7"}
    assert writes(cursor) == []


def test_equal_position_in_other_order_is_no_change():
    result, cursor = run(dict(gtid_slave_pos="2-3-7,1-2-5", gtid_slave_pos_mode="replace"), [VERSION, positions()], diff=True)
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]
    assert writes(cursor) == []


def test_merge_of_already_set_domain_is_no_change():
    result, cursor = run(dict(gtid_slave_pos="2-3-7"), [VERSION, positions()])
    assert result["changed"] is False and writes(cursor) == []


def test_replace_drops_unlisted_domains_without_running_connections():
    script = [VERSION, positions(), show(connection("a", io="No", sql="No")),
              Expect(r"SET GLOBAL gtid_slave_pos = %s", params=("",)), positions(slave="")]
    result, cursor = run(dict(gtid_slave_pos="", gtid_slave_pos_mode="replace"), script)
    assert result["changed"] is True and result["stopped_connections"] == []
    assert writes(cursor) == ["SET GLOBAL gtid_slave_pos = %s"]
    assert result["gtid_slave_pos"] == ""


def test_stop_replication_false_fails_naming_running_connections_and_changes_nothing():
    script = [VERSION, positions(), show(connection("a"), connection("b", io="No", sql="No"))]
    result, cursor = run(dict(gtid_slave_pos="1-2-9", stop_replication=False), script)
    assert result["failed"] is True
    assert "stop_replication is false" in result["msg"] and "'a'" in result["msg"] and "'b'" not in result["msg"]
    assert result["running_connections"] == ["a"]
    assert writes(cursor) == []


def test_server_older_than_10_5_is_refused_before_any_write():
    result, cursor = run(dict(gtid_slave_pos="1-2-9"), [VERSION_10_4])
    assert result["failed"] is True and "10.5.0 or newer" in result["msg"]


def test_failed_set_restarts_the_stopped_connection_and_reports_the_server_error():
    error = pymysql.err.OperationalError(1941, "Could not parse GTID list")
    script = [VERSION, positions(), show(connection("a")),
              Expect(r"STOP REPLICA %s", params=("a",)),
              Expect(r"SET GLOBAL gtid_slave_pos = %s", error=error),
              Expect(r"START REPLICA %s", params=("a",))]
    result, cursor = run(dict(gtid_slave_pos="1-2-9"), script)
    assert result["failed"] is True
    assert "Could not parse GTID list" in result["msg"] and "gtid_slave_pos was not changed" in result["msg"]
    assert cursor.executed[-1] == ("START REPLICA %s", ("a",))


@pytest.mark.parametrize("args, message", [
    (dict(gtid_slave_pos="0-1-x"), "Option gtid_slave_pos is not a valid GTID position: GTID '0-1-x': seq_no 'x'"),
    (dict(gtid_slave_pos="0-1-1,0-1-2"), "lists domain 0 twice"),
    (dict(wait_for_pos="0-1-1,"), "Option wait_for_pos is not a valid GTID position"),
    (dict(wait_for_pos="0-1-1", wait_timeout=-1), "Option wait_timeout is -1"),
    (dict(binlog_file=" ", binlog_pos=4), "Option binlog_file is empty"),
    (dict(binlog_file="b.000001", binlog_pos=-4), "Option binlog_pos is -4"),
    (dict(binlog_file="b.000001"), "binlog_file"),
])
def test_bad_input_fails_before_connecting(args, message):
    result, cursor = run(args, [])
    assert result["failed"] is True
    assert message in result["msg"]
    assert cursor.executed == []


def test_binlog_conversion():
    script = [VERSION, positions(),
              Expect(r"SELECT BINLOG_GTID_POS\(%s, %s\) AS pos", params=("db1-bin.000001", 743), rows=[{"pos": "1-1-3"}])]
    result, cursor = run(dict(binlog_file="db1-bin.000001", binlog_pos=743), script)
    assert result["binlog_gtid_pos"] == "1-1-3" and result["changed"] is False


def test_binlog_conversion_null_fails_clearly():
    script = [VERSION, positions(),
              Expect(r"SELECT BINLOG_GTID_POS\(%s, %s\) AS pos", params=("nope.000001", 4), rows=[{"pos": None}])]
    result, cursor = run(dict(binlog_file="nope.000001", binlog_pos=4), script)
    assert result["failed"] is True
    assert "returned NULL" in result["msg"] and "SHOW BINARY LOGS" in result["msg"]


def test_wait_reached():
    script = [VERSION, positions(),
              Expect(r"SELECT MASTER_GTID_WAIT\(%s, %s\) AS result", params=("1-2-5", 30), rows=[{"result": 0}])]
    result, cursor = run(dict(wait_for_pos="1-2-5", wait_timeout=30), script)
    assert result["failed"] is False and result["changed"] is False
    assert writes(cursor) == []


def test_wait_timeout_fails_with_lag_per_domain():
    script = [VERSION, positions(),
              Expect(r"SELECT MASTER_GTID_WAIT\(%s, %s\) AS result", params=("1-2-12,2-3-7,4-4-4", 1),
                     rows=[{"result": -1}]),
              positions(slave="1-2-6,2-3-7")]
    result, cursor = run(dict(wait_for_pos="4-4-4,2-3-7,1-2-12", wait_timeout=1), script)
    assert result["failed"] is True
    assert "within 1 s" in result["msg"]
    assert "domain 1: 6 transaction(s) behind (at 1-2-6, target 1-2-12)" in result["msg"]
    assert "domain 4: 4 transaction(s) behind (at nothing applied, target 4-4-4)" in result["msg"]
    assert "domain 2:" not in result["msg"]
    assert result["behind"] == {"1": 6, "2": 0, "4": 4}
    assert result["gtid_slave_pos"] == "1-2-6,2-3-7"


def test_set_then_wait_in_check_mode_still_only_reads():
    script = [VERSION, positions(), show(),
              Expect(r"SELECT MASTER_GTID_WAIT\(%s, %s\) AS result", params=("1-2-5", 60), rows=[{"result": 0}])]
    result, cursor = run(dict(gtid_slave_pos="3-3-3", wait_for_pos="1-2-5"), script, check_mode=True)
    assert result["changed"] is True
    assert result["queries"] == ["SET GLOBAL gtid_slave_pos = '1-2-5,2-3-7,3-3-3'"]
    assert writes(cursor) == []


def strings_in(value):
    if isinstance(value, dict):
        return [text for item in value.items() for part in item for text in strings_in(part)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return [value] if isinstance(value, str) else []


def test_password_is_not_in_the_result():
    script = [VERSION, positions(), show(), Expect(r"SET GLOBAL gtid_slave_pos = %s"), positions()]
    result = run(dict(gtid_slave_pos="3-3-3"), script, diff=True)[0]
    texts = strings_in(result)
    assert "SET GLOBAL gtid_slave_pos = '1-2-5,2-3-7,3-3-3'" in texts
    assert not [text for text in texts if "c\\r;et" in text]
