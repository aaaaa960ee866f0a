"""mariadb_replication_info main() against a strict fake cursor, and its normalising helpers."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.replkit.mariadb.plugins.modules import mariadb_replication_info as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
LOGIN = dict(login_user="admin", login_password="pw", login_host="127.0.0.1", login_port=3306)
VARIABLES_SQL = (r"SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value FROM information_schema\.GLOBAL_VARIABLES "
                 r"WHERE VARIABLE_NAME IN \(%s(, %s){9}\)")

ROW_A = {
    "Connection_name": "a", "Slave_SQL_State": "Slave has read all relay log; waiting for more updates",
    "Slave_IO_State": "Waiting for master to send event", "Master_Host": "127.0.0.1", "Master_User": "repl",
    "Master_Port": 3307, "Connect_Retry": 1, "Master_Log_File": "db1-bin.000001", "Read_Master_Log_Pos": 743,
    "Relay_Master_Log_File": "db1-bin.000001", "Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes",
    "Exec_Master_Log_Pos": 743, "Master_SSL_Allowed": "No", "Seconds_Behind_Master": 0, "Last_IO_Errno": 0,
    "Last_IO_Error": "", "Last_SQL_Errno": 0, "Last_SQL_Error": "", "Replicate_Ignore_Server_Ids": "",
    "Master_Server_Id": 1, "Using_Gtid": "Slave_Pos", "Gtid_IO_Pos": "1-1-3", "Replicate_Do_Domain_Ids": "",
    "Replicate_Ignore_Domain_Ids": "2,3", "Parallel_Mode": "optimistic", "SQL_Delay": 0, "SQL_Remaining_Delay": None,
    "Slave_heartbeat_period": 30.0, "Gtid_Slave_Pos": "1-1-3",
}
ROW_BROKEN = {
    "Connection_name": "Broken", "Slave_IO_State": "", "Master_Host": "127.0.0.1", "Master_User": "repl",
    "Master_Port": 1, "Slave_IO_Running": "Connecting", "Slave_SQL_Running": "Yes", "Seconds_Behind_Master": None,
    "Last_IO_Errno": 2003, "Last_IO_Error": "error connecting to master", "Last_SQL_Errno": 0, "Last_SQL_Error": "",
    "Using_Gtid": "Current_Pos", "Replicate_Ignore_Server_Ids": "5 7", "Master_SSL_Allowed": "Yes",
    "Master_last_event_time": datetime.datetime(2026, 1, 2, 3, 4, 5),
}


DATABASES = ("information_schema", "mysql", "performance_schema", "shop", "sys", "Crm")


def variables(**overrides):
    values = dict(GTID_BINLOG_POS="1-1-3", GTID_CURRENT_POS="1-1-3", GTID_SLAVE_POS="1-1-3", SERVER_ID="2",
                  GTID_DOMAIN_ID="0", GTID_STRICT_MODE="OFF", READ_ONLY="OFF", LOG_BIN="ON", LOG_SLAVE_UPDATES="ON")
    values.update(overrides)
    return Expect(VARIABLES_SQL, rows=[{"name": k, "value": v} for k, v in values.items()])


MASTER_STATUS = [{"File": "db1-bin.000001", "Position": 743, "Binlog_Do_DB": "", "Binlog_Ignore_DB": "scratch,tmp"}]


def script(version="10.11.6-MariaDB-log", rows=(ROW_A, ROW_BROKEN), word="REPLICAS", master_status=None, **overrides):
    return [Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": version}]), variables(**overrides),
            Expect(r"SHOW ALL %s STATUS" % word, rows=list(rows)),
            Expect(r"SHOW DATABASES", rows=[{"Database": name} for name in DATABASES]),
            Expect(r"SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, ENGINE AS engine FROM information_schema\.TABLES "
                   r"WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE IS NOT NULL AND ENGINE <> 'InnoDB' ORDER BY TABLE_SCHEMA, TABLE_NAME",
                   rows=[{"db": "mysql", "name": "user", "engine": "Aria"}, {"db": "shop", "name": "log", "engine": "MyISAM"}]),
            Expect(r"SELECT ENGINE AS engine FROM information_schema\.TABLES WHERE TABLE_SCHEMA = 'mysql' AND "
                   r"TABLE_NAME = 'gtid_slave_pos'", rows=[{"engine": "InnoDB"}]),
            Expect(r"SHOW MASTER STATUS", rows=list(MASTER_STATUS if master_status is None else master_status))]


def run(args, steps, check_mode=False):
    return run_module_main(module, dict(LOGIN, _ansible_check_mode=check_mode, **args), steps, CONNECT)


@pytest.mark.parametrize("check_mode", [False, True])
def test_reports_connections_and_server_facts(check_mode):
    result, cursor = run({}, script(), check_mode=check_mode)
    assert result["changed"] is False and result["failed"] is False
    assert [c["connection_name"] for c in result["connections"]] == ["Broken", "a"]
    assert result["databases"] == ["shop", "Crm"], "system databases are left out, the others kept as listed"
    assert result["non_transactional_tables"] == [{"table": "shop.log", "engine": "MyISAM"}]
    assert result["gtid_slave_pos_engine"] == "InnoDB"
    broken, good = result["connections"]
    assert good["healthy"] is True and broken["healthy"] is False
    assert good["primary_port"] == 3307 and good["seconds_behind_primary"] == 0
    assert good["using_gtid"] == "slave_pos" and broken["using_gtid"] == "current_pos"
    assert good["replicate_ignore_domain_ids"] == [2, 3] and good["replicate_do_domain_ids"] == []
    assert broken["replicate_ignore_server_ids"] == [5, 7]
    assert broken["io_running"] == "Connecting" and broken["last_io_errno"] == 2003
    assert broken["seconds_behind_primary"] is None and broken["primary_ssl_allowed"] is True
    assert broken["raw"]["Master_last_event_time"] == "2026-01-02 03:04:05"
    assert good["raw"]["Slave_heartbeat_period"] == 30.0
    assert result["server_id"] == 2 and result["gtid_domain_id"] == 0
    assert result["log_bin"] is True and result["log_slave_updates"] is True
    assert result["read_only"] is False and result["gtid_strict_mode"] is False
    assert result["gtid_slave_pos"] == "1-1-3" and result["version"] == "10.11.6-MariaDB-log"
    assert all(not sql.upper().startswith(("SET", "STOP", "START", "CHANGE")) for sql, dummy_params in cursor.executed)


def test_every_documented_key_is_present_even_for_a_sparse_row():
    result = run({}, script(rows=[{"Connection_name": ""}]))[0]
    entry = result["connections"][0]
    assert set(entry) == {
        "connection_name", "healthy", "primary_host", "primary_port", "primary_user", "primary_server_id",
        "io_running", "sql_running", "io_state", "sql_state", "seconds_behind_primary",
        "last_io_errno", "last_io_error", "last_sql_errno", "last_sql_error", "using_gtid", "gtid_io_pos",
        "primary_log_file", "read_primary_log_pos", "relay_primary_log_file", "exec_primary_log_pos", "connect_retry",
        "sql_delay", "sql_remaining_delay", "replicate_do_domain_ids", "replicate_ignore_domain_ids",
        "replicate_ignore_server_ids", "primary_ssl_allowed", "parallel_mode", "raw"}
    assert entry["healthy"] is False and entry["using_gtid"] == "no" and entry["primary_port"] == 0


def test_connection_name_filter_is_case_insensitive():
    result = run(dict(connection_name="broken"), script())[0]
    assert [c["connection_name"] for c in result["connections"]] == ["Broken"]


def test_connection_name_filter_without_match_is_empty():
    result = run(dict(connection_name="nope"), script())[0]
    assert result["connections"] == [] and result["failed"] is False


@pytest.mark.parametrize("read_only, expected", [("OFF", False), ("ON", True), ("NO_LOCK", True), ("NO_LOCK_NO_ADMIN", True)])
def test_read_only_enum_of_newer_servers(read_only, expected):
    result = run({}, script(version="11.8.2-MariaDB", READ_ONLY=read_only))[0]
    assert result["read_only"] is expected


def test_log_replica_updates_spelling_is_understood():
    steps = script()
    steps[1] = Expect(VARIABLES_SQL, rows=[{"name": "LOG_REPLICA_UPDATES", "value": "OFF"}, {"name": "SERVER_ID", "value": "9"}])
    result = run({}, steps)[0]
    assert result["log_slave_updates"] is False and result["server_id"] == 9 and result["gtid_binlog_pos"] == ""


def test_refuses_old_servers():
    result = run({}, [Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.4.1-MariaDB"}])])[0]
    assert result["failed"] is True and "10.5.0 or newer" in result["msg"]


def test_read_error_names_the_privilege():
    steps = [Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.11.6-MariaDB"}]),
             Expect(VARIABLES_SQL, error=RuntimeError("Access denied"))]
    result = run({}, steps)[0]
    assert result["failed"] is True and "Access denied" in result["msg"] and "REPLICATION MONITOR" in result["msg"]


@pytest.mark.parametrize("value, expected", [("", []), (None, []), ("1", [1]), ("3,1,2", [1, 2, 3]), ("2 1", [1, 2])])
def test_to_id_list(value, expected):
    assert module.to_id_list(value) == expected


@pytest.mark.parametrize("value, expected", [("ON", True), ("OFF", False), ("1", True), ("0", False), (None, False),
                                             ("Yes", True), ("No", False), (1, True), (0, False)])
def test_to_bool(value, expected):
    assert module.to_bool(value) is expected


def test_reports_the_binary_log_filters_from_show_master_status():
    result = run({}, script())[0]
    assert result["binlog_ignore_db"] == ["scratch", "tmp"] and result["binlog_do_db"] == []
    only = [dict(MASTER_STATUS[0], Binlog_Do_DB="shop", Binlog_Ignore_DB="")]
    result = run({}, script(master_status=only))[0]
    assert result["binlog_do_db"] == ["shop"] and result["binlog_ignore_db"] == []


def test_no_binary_log_means_no_binary_log_filters():
    result = run({}, script(master_status=[], LOG_BIN="OFF"))[0]
    assert result["log_bin"] is False
    assert result["binlog_do_db"] == [] and result["binlog_ignore_db"] == []
