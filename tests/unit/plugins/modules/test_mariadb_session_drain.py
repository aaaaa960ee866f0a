"""mariadb_session_drain main() against a strict fake cursor: who is killed, when, and what check mode sends."""

from __future__ import annotations

from unittest import mock

import pymysql

from ansible_collections.replkit.mariadb.plugins.modules import mariadb_session_drain as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
LOGIN = dict(login_unix_socket="/run/mysqld/mysqld.sock")
VERSION = Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.11.6-MariaDB-log"}])
SESSIONS = r"SELECT ID AS id, USER AS user, HOST AS host, COMMAND AS command, TIME AS time " \
           r"FROM information_schema\.PROCESSLIST WHERE ID <> CONNECTION_ID\(\)"
TRX = r"SELECT trx_mysql_thread_id AS id FROM information_schema\.INNODB_TRX"
POSITION = Expect(r"SELECT @@GLOBAL\.gtid_binlog_pos AS position", rows=[{"position": "1-1-42"}])
ACCOUNTS = r"SELECT User AS user, Host AS host FROM mysql\.user WHERE User IN \(%s(, %s)*\)"


def processlist(*sessions):
    return Expect(SESSIONS, rows=[dict(id=i, user=u, host="localhost", command=c, time=1) for i, u, c in sessions])


def transactions(*ids):
    return Expect(TRX, rows=[{"id": i} for i in ids])


def grants(user, host, *lines):
    return Expect(r"SHOW GRANTS FOR %s@%s", params=(user, host),
                  rows=[{"Grants for %s@%s" % (user, host): line} for line in lines])


def resolve_admin_and_app():
    return [Expect(ACCOUNTS, params=("admin", "app"), rows=[{"user": "admin", "host": "%"}, {"user": "app", "host": "%"}]),
            grants("admin", "%", "GRANT ALL PRIVILEGES ON *.* TO `admin`@`%`"),
            grants("app", "%", "GRANT SELECT, INSERT, SUPER ON *.* TO `app`@`%`")]


def run(args, script, check_mode=False, diff=False):
    args = dict(LOGIN, _ansible_check_mode=check_mode, _ansible_diff=diff, **args)
    with mock.patch.object(module.time, "sleep"):
        return run_module_main(module, args, script, CONNECT)


def test_check_mode_lists_privileged_sessions_and_kills_nothing():
    script = [VERSION, processlist((5, "admin", "Sleep"), (6, "app", "Query"), (7, "system user", "Slave_SQL")),
              transactions(), *resolve_admin_and_app(), POSITION]
    result, cursor = run({}, script, check_mode=True, diff=True)
    assert not result["failed"], result.get("msg")
    assert result["changed"] is True and result["queries"] == ["KILL CONNECTION 5"]
    assert [s["id"] for s in result["killed"]] == [5] and result["privileged_users"] == ["admin"]
    assert result["diff"] == {"before": {"privileged_sessions": [5]}, "after": {"privileged_sessions": []}}
    assert not any(sql.startswith("KILL") for sql, dummy in cursor.executed)


def test_no_privileged_session_changes_nothing():
    script = [VERSION, processlist((6, "app", "Query")), transactions(6),
              Expect(ACCOUNTS, params=("app",), rows=[{"user": "app", "host": "%"}]),
              grants("app", "%", "GRANT SELECT, INSERT ON *.* TO `app`@`%`"), POSITION]
    result, dummy = run({}, script)
    assert result["gtid_binlog_pos"] == "1-1-42"
    assert result["changed"] is False and result["killed"] == [] and result["queries"] == []


def test_waits_for_a_busy_privileged_session_then_kills_every_privileged_one_and_waits_until_gone():
    script = [VERSION,
              processlist((5, "admin", "Sleep"), (8, "admin", "Query"), (6, "app", "Query")), transactions(5),
              *resolve_admin_and_app(),
              # still busy: 5 holds a transaction; then both are idle (cached grants: no second lookup)
              processlist((5, "admin", "Sleep"), (8, "admin", "Sleep"), (6, "app", "Query")), transactions(5),
              processlist((5, "admin", "Sleep"), (8, "admin", "Sleep"), (6, "app", "Query")), transactions(),
              Expect(r"KILL CONNECTION %s", params=(5,)),
              Expect(r"KILL CONNECTION %s", params=(8,), error=pymysql.err.InternalError(1094, "Unknown thread id: 8")),
              processlist((5, "admin", "Killed"), (6, "app", "Query")),
              processlist((6, "app", "Query")), POSITION]
    result, dummy = run({"wait_timeout": 30}, script, diff=True)
    assert not result["failed"], result.get("msg")
    assert result["changed"] is True and result["queries"] == ["KILL CONNECTION 5"]
    assert [(s["id"], s["busy"]) for s in result["killed"]] == [(5, False), (8, False)] and result["interrupted"] == 0
    assert result["still_closing"] == [] and result["diff"]["after"] == {"privileged_sessions": []}


def test_kills_busy_sessions_when_the_wait_is_over_and_keeps_kept_users():
    script = [VERSION, processlist((5, "admin", "Query"), (9, "monitor", "Sleep")), transactions(5),
              Expect(ACCOUNTS, params=("admin",), rows=[{"user": "admin", "host": "localhost"}]),
              grants("admin", "localhost", "GRANT READ_ONLY ADMIN ON *.* TO `admin`@`localhost`"),
              Expect(r"KILL CONNECTION %s", params=(5,)),
              processlist((9, "monitor", "Sleep")), POSITION]
    result, dummy = run({"wait_timeout": 0, "keep_users": ["monitor"]}, script)
    assert result["interrupted"] == 1 and [s["id"] for s in result["killed"]] == [5]


def test_a_kill_the_server_refuses_fails_naming_the_privilege():
    script = [VERSION, processlist((5, "admin", "Sleep")), transactions(),
              Expect(ACCOUNTS, params=("admin",), rows=[{"user": "admin", "host": "%"}]),
              grants("admin", "%", "GRANT ALL PRIVILEGES ON *.* TO `admin`@`%`"),
              Expect(r"KILL CONNECTION %s", params=(5,),
                     error=pymysql.err.OperationalError(1095, "You are not owner of thread 5"))]
    result, dummy = run({}, script)
    assert result["failed"] and "KILL CONNECTION 5" in result["msg"] and "CONNECTION ADMIN" in result["msg"]


def test_bad_input_fails_before_connecting():
    result, cursor = run({"wait_timeout": -1, "keep_users": ["mon@%"]}, [])
    assert result["failed"] and "wait_timeout: -1" in result["msg"] and "keep_users" in result["msg"]
    assert cursor.executed == []


def test_a_read_the_server_refuses_fails_naming_the_privileges():
    script = [VERSION, Expect(SESSIONS, error=pymysql.err.OperationalError(1227, "Access denied; you need PROCESS"))]
    result, dummy = run({}, script)
    assert result["failed"] and "information_schema.PROCESSLIST" in result["msg"] and "PROCESS" in result["msg"]
