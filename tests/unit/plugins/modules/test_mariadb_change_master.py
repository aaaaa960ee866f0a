"""mariadb_change_master main() against a StrictCursor: the exact statements, and none in check mode."""

from __future__ import annotations

import pymysql
import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils import change_master as cm
from ansible_collections.replkit.mariadb.plugins.module_utils import replication_source
from ansible_collections.replkit.mariadb.plugins.modules import mariadb_change_master as module

from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, master_info_text, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
PASSWORD = "p'a\"s\\s;wd"
LOGIN = dict(login_user="admin", login_password="x", login_host="127.0.0.1")


def version(text="10.11.6-MariaDB-0+deb12u1-log"):
    return Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": text}])


def show(*rows, word="REPLICA"):
    return Expect(r"SHOW ALL %sS STATUS" % word, rows=list(rows))


IDENTITY = Expect(r"SELECT @@server_id AS server_id, @@port AS port, @@hostname AS hostname",
                  rows=[{"server_id": 2, "port": 3306, "hostname": "replica1"}])


def row(name="db1", running=True, **overrides):
    base = {
        "Connection_name": name, "Master_Host": "db1.example.com", "Master_User": "repl", "Master_Port": 3306,
        "Connect_Retry": 60, "Slave_IO_Running": "Yes" if running else "No", "Slave_SQL_Running": "Yes" if running else "No",
        "Master_SSL_Allowed": "No", "Master_SSL_Verify_Server_Cert": "No", "Using_Gtid": "Slave_Pos", "SQL_Delay": 0,
        "Replicate_Do_Domain_Ids": "", "Replicate_Ignore_Domain_Ids": "", "Replicate_Ignore_Server_Ids": "",
        "Slave_heartbeat_period": 30.0, "Gtid_IO_Pos": "", "Last_IO_Errno": 0, "Last_IO_Error": "",
        "Last_SQL_Errno": 0, "Last_SQL_Error": "", "Seconds_Behind_Master": 0,
    }
    base.update(overrides)
    return base


@pytest.fixture(autouse=True)
def source_is_another_server(monkeypatch):
    """The login to the source answers with server_id 1 (the replica is 2)."""
    calls = []
    monkeypatch.setattr(replication_source, "probe_source", lambda *args: calls.append(args) or (1, None))
    return calls


def run(args, script, check_mode=False):
    return run_module_main(module, dict(LOGIN, _ansible_check_mode=check_mode, **args), script, CONNECT)


CREATE_ARGS = dict(connection_name="db1", primary_host="db1.example.com", primary_user="repl",
                   primary_password=PASSWORD, primary_use_gtid="slave_pos", state="started")
CREATE_SQL = r"CHANGE MASTER %s TO MASTER_HOST=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos"


def test_create_and_start(source_is_another_server):
    result, cursor = run(CREATE_ARGS, [
        version(), show(), IDENTITY,
        Expect(CREATE_SQL, params=("db1", "db1.example.com", "repl", PASSWORD)),
        Expect(r"START REPLICA %s", params=("db1",)),
        show(row()),
    ])
    assert result["changed"] is True
    assert result["queries"] == [
        "CHANGE MASTER 'db1' TO MASTER_HOST='db1.example.com', MASTER_USER='repl', MASTER_PASSWORD='********', "
        "MASTER_USE_GTID=slave_pos", "START REPLICA 'db1'"]
    assert PASSWORD not in str(result)
    assert result["status"]["io_running"] == "Yes"
    assert result["diff"]["before"] == {} and result["diff"]["after"]["running"] is True
    assert source_is_another_server[0][:2] == ("db1.example.com", 3306)


def test_check_mode_sends_no_write():
    result, cursor = run(CREATE_ARGS, [version(), show(), IDENTITY], check_mode=True)
    assert result["changed"] is True
    assert len(result["queries"]) == 2
    assert all(statement.startswith(("SELECT", "SHOW")) for statement, _params in cursor.executed)
    assert result["status"] == {}


def datadir_query(path, password=PASSWORD):
    """The replica's data directory, where db1 stores ``password``; and its SELECT @@datadir answer."""
    (path / "master-db1.info").write_text(master_info_text("db1.example.com", "repl", password), encoding="utf-8")
    return Expect(r"SELECT @@datadir AS datadir", rows=[{"datadir": str(path)}])


def test_matching_connection_is_unchanged(tmp_path):
    result, cursor = run(CREATE_ARGS, [version(), show(row()), datadir_query(tmp_path)])
    assert result["changed"] is False and result["queries"] == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_a_rotated_password_is_sent_and_the_connection_restarted(tmp_path):
    result, _cursor = run(CREATE_ARGS, [
        version(), show(row()), datadir_query(tmp_path, password="old"),
        Expect(r"STOP REPLICA %s", params=("db1",)),
        Expect(r"CHANGE MASTER %s TO MASTER_PASSWORD=%s, MASTER_HEARTBEAT_PERIOD=%s", params=("db1", PASSWORD, cm.Decimal("30.0"))),
        Expect(r"START REPLICA %s", params=("db1",)),
        show(row()),
    ])
    assert result["changed"] is True
    assert result["queries"][1] == "CHANGE MASTER 'db1' TO MASTER_PASSWORD='********', MASTER_HEARTBEAT_PERIOD=30.0"
    assert result["diff"]["after"]["primary_password"] == "********" and PASSWORD not in str(result)


def test_one_option_stops_changes_and_restarts_only_that_connection():
    result, _cursor = run(dict(connection_name="db1", primary_delay=30), [
        version(), show(row(name="other", Master_Host="db2"), row()),
        Expect(r"STOP REPLICA %s", params=("db1",)),
        Expect(r"CHANGE MASTER %s TO MASTER_HEARTBEAT_PERIOD=%s, MASTER_DELAY=%s"),
        Expect(r"START REPLICA %s", params=("db1",)),
        show(row(SQL_Delay=30)),
    ])
    assert result["queries"] == ["STOP REPLICA 'db1'", "CHANGE MASTER 'db1' TO MASTER_HEARTBEAT_PERIOD=30.0, MASTER_DELAY=30",
                                 "START REPLICA 'db1'"]
    assert result["diff"]["before"] == {"primary_delay": 0, "running": True}
    assert result["diff"]["after"] == {"primary_delay": 30, "running": True}


def test_old_server_gets_slave_wording():
    result, _cursor = run(dict(connection_name="db1", state="stopped"), [
        version("10.5.0-MariaDB"), show(row(), word="SLAVE"),
        Expect(r"STOP SLAVE %s", params=("db1",)),
        show(row(running=False), word="SLAVE"),
    ])
    assert result["queries"] == ["STOP SLAVE 'db1'"]


def test_started_starts_a_connection_whose_sql_thread_stopped():
    result, _cursor = run(dict(connection_name="db1", state="started"), [
        version(), show(row(Slave_SQL_Running="No")), Expect(r"START REPLICA %s"), show(row()),
    ])
    assert result["queries"] == ["START REPLICA 'db1'"]


def test_absent_removes_a_running_connection_and_ignores_a_missing_one():
    result, _cursor = run(dict(connection_name="DB1", state="absent"), [
        version(), show(row()), Expect(r"STOP REPLICA %s", params=("DB1",)), Expect(r"RESET REPLICA %s ALL", params=("DB1",)),
        show(),
    ])
    assert result["changed"] is True and result["status"] == {} and result["diff"]["after"] == {}
    result, _cursor = run(dict(connection_name="db1", state="absent"), [version(), show()])
    assert result["changed"] is False and result["queries"] == []


def test_stopped_unknown_connection_fails_after_reading_only():
    result, cursor = run(dict(connection_name="nope", state="stopped"), [version(), show(row())])
    assert result["failed"] and "'nope' does not exist" in result["msg"]
    assert len(cursor.executed) == 2


@pytest.mark.parametrize("args, fragment", [
    (dict(connection_name="n" * 64), "shorter than 64 characters"),
    (dict(primary_delay=-1), "primary_delay must be between 0"),
    (dict(primary_use_gtid="current_pos", primary_log_file="b.000001", primary_log_pos=4), "cannot be combined"),
    (dict(primary_ssl_ca="/nonexistent/ca.pem"), "/nonexistent/ca.pem does not exist"),
])
def test_bad_input_fails_before_connecting(args, fragment):
    result, cursor = run(dict(CREATE_ARGS, **args), [])
    assert result["failed"] and fragment in result["msg"]
    assert cursor.executed == []


def test_ssl_files_of_a_remote_server_are_not_checked_here():
    args = dict(CREATE_ARGS, primary_ssl_ca="/nonexistent/ca.pem", state="present")
    result, _cursor = run_module_main(module, dict(LOGIN, login_host="db9.example.com", **args), [
        version(), show(), IDENTITY, Expect(r"CHANGE MASTER .*MASTER_SSL_CA=%s"), show(row(running=False)),
    ], CONNECT)
    assert result["changed"] is True


def test_retry_count_is_refused_before_mariadb_12_and_sent_from_it():
    result, cursor = run(dict(connection_name="db1", primary_retry_count=5), [version("11.8.2-MariaDB")])
    assert result["failed"] and "needs MariaDB 12.0" in result["msg"]
    result, _cursor = run(dict(connection_name="db1", primary_retry_count=5), [
        version("12.0.2-MariaDB"), show(row(running=False, Master_Retry_Count=10)),
        Expect(r"CHANGE MASTER %s TO MASTER_HEARTBEAT_PERIOD=%s, MASTER_RETRY_COUNT=%s"), show(row(running=False)),
    ])
    assert result["queries"] == ["CHANGE MASTER 'db1' TO MASTER_HEARTBEAT_PERIOD=30.0, MASTER_RETRY_COUNT=5"]


def test_heartbeat_read_per_connection_when_the_row_lacks_it():
    old_row = row(running=False)
    del old_row["Slave_heartbeat_period"]
    result, _cursor = run(dict(connection_name="db1", primary_heartbeat_period=10), [
        version(), show(old_row),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("db1",)),
        Expect(r"SHOW STATUS LIKE 'Slave_heartbeat_period'", rows=[{"Variable_name": "Slave_heartbeat_period", "Value": "10.000"}]),
        Expect(r"SET @@SESSION.default_master_connection = %s", params=("",)),
    ])
    assert result["changed"] is False


def test_same_server_source_is_refused(monkeypatch):
    monkeypatch.setattr(replication_source, "probe_source", lambda *args: (2, None))
    result, cursor = run(CREATE_ARGS, [version(), show(), IDENTITY])
    assert result["failed"] and "the replica's own server_id" in result["msg"]
    assert not any(statement.startswith("CHANGE") for statement, _params in cursor.executed)


def test_source_used_by_another_connection_is_refused():
    result, _cursor = run(dict(CREATE_ARGS, connection_name="db1b"), [version(), show(row())])
    assert result["failed"] and "Connection 'db1' already replicates from db1.example.com:3306" in result["msg"]


def test_failed_change_restarts_the_stopped_connection():
    error = pymysql.err.OperationalError(1201, "Could not initialize master info structure")
    result, cursor = run(dict(connection_name="db1", primary_delay=30), [
        version(), show(row()), Expect(r"STOP REPLICA %s"), Expect(r"CHANGE MASTER .*", error=error),
        Expect(r"START REPLICA %s", params=("db1",)),
    ])
    assert result["failed"]
    assert "CHANGE MASTER 'db1' TO" in result["msg"] and "Could not initialize master info" in result["msg"]
    assert "started again" in result["msg"] and "STOP REPLICA 'db1'" in result["msg"]
    assert result["queries"] == ["STOP REPLICA 'db1'"]
    cursor.assert_done()
