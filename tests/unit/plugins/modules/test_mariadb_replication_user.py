"""mariadb_replication_user main() against a strict fake cursor: the exact SQL, in order."""

from __future__ import annotations

import pymysql

from ansible_collections.replkit.mariadb.plugins.module_utils.replication_user import native_hash
from ansible_collections.replkit.mariadb.plugins.modules import mariadb_replication_user as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
LOGIN = dict(login_user="admin", login_password="s'e\"c\\r;et", login_host="127.0.0.1", login_port=3306)
PASSWORD = "re'pl\"pa\\ss;wd"
VERSION = Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.11.6-MariaDB-log"}])
LIMITS = Expect(r"SELECT LOWER\(COLUMN_NAME\) AS name, CHARACTER_MAXIMUM_LENGTH AS length FROM information_schema\.COLUMNS .*",
                rows=[{"name": "user", "length": 128}, {"name": "host", "length": 255}])
WRITE_PREFIXES = ("SET", "CREATE", "ALTER", "GRANT", "REVOKE", "DROP")


def users(*rows):
    return Expect(r"SELECT Host AS host, plugin, authentication_string, ssl_type FROM mysql\.user WHERE User = %s",
                  params=("replkit_repl",),
                  rows=[{"host": host, "plugin": "mysql_native_password", "authentication_string": auth, "ssl_type": ssl}
                        for host, auth, ssl in rows])


def grants(host, privileges="REPLICATION SLAVE, BINLOG MONITOR", *others):
    lines = ["GRANT %s ON *.* TO `replkit_repl`@`%s` IDENTIFIED BY PASSWORD '*X'" % (privileges, host)] + list(others)
    return Expect(r"SHOW GRANTS FOR %s@%s", params=("replkit_repl", host),
                  rows=[{"Grants for replkit_repl@%s" % host: line} for line in lines])


def run(args, script, check_mode=False, diff=False):
    args = dict(dict(LOGIN, name="replkit_repl", _ansible_check_mode=check_mode, _ansible_diff=diff), **args)
    return run_module_main(module, args, script, CONNECT)


def writes(cursor):
    return [(sql, params) for sql, params in cursor.executed if sql.upper().startswith(WRITE_PREFIXES)]


def test_create_binds_everything_and_keeps_the_change_out_of_the_binary_log():
    script = [VERSION, LIMITS, users(),
              Expect(r"SET SESSION sql_log_bin = 0"),
              Expect(r"CREATE USER %s@%s IDENTIFIED VIA mysql_native_password USING PASSWORD\(%s\) REQUIRE NONE",
                     params=("replkit_repl", "10.0.0.21", PASSWORD)),
              Expect(r"GRANT REPLICATION SLAVE, BINLOG MONITOR ON \*\.\* TO %s@%s", params=("replkit_repl", "10.0.0.21"))]
    result, cursor = run({"hosts": ["10.0.0.21"], "password": PASSWORD}, script)
    assert result["changed"] is True and result["created"] == ["10.0.0.21"] and result["dropped"] == []
    assert result["queries"][0].endswith("USING PASSWORD('********') REQUIRE NONE")
    assert PASSWORD not in repr(result)
    assert result["privileges"] == ["REPLICATION SLAVE", "BINLOG MONITOR"]


def test_check_mode_predicts_and_sends_no_write():
    result, cursor = run({"hosts": ["10.0.0.21", "10.0.0.22"], "password": PASSWORD, "purge_hosts": True},
                         [VERSION, LIMITS, users(("10.0.0.21", native_hash(PASSWORD), ""), ("10.0.0.9", "*X", "")),
                          grants("10.0.0.21"), grants("10.0.0.9")], check_mode=True, diff=True)
    assert result["changed"] is True and writes(cursor) == []
    assert result["created"] == ["10.0.0.22"] and result["dropped"] == ["10.0.0.9"]
    assert result["queries"][-1] == "DROP USER 'replkit_repl'@'10.0.0.9'"
    assert result["diff"]["before"]["10.0.0.21"]["password"] == "matches"
    assert set(result["diff"]["after"]) == {"10.0.0.21", "10.0.0.22"}


def test_an_account_as_wanted_reports_no_change():
    result, cursor = run({"hosts": ["10.0.0.21"], "password": PASSWORD, "sql_log_bin": True},
                         [VERSION, LIMITS, users(("10.0.0.21", native_hash(PASSWORD), "")), grants("10.0.0.21")])
    assert result["changed"] is False and result["queries"] == [] and writes(cursor) == []


def test_sql_log_bin_true_sends_no_session_setting():
    script = [VERSION, LIMITS, users(("10.0.0.21", native_hash("old"), "")), grants("10.0.0.21"),
              Expect(r"ALTER USER %s@%s IDENTIFIED VIA mysql_native_password USING PASSWORD\(%s\)",
                     params=("replkit_repl", "10.0.0.21", PASSWORD))]
    result, dummy = run({"hosts": ["10.0.0.21"], "password": PASSWORD, "sql_log_bin": True}, script)
    assert result["changed"] is True


def test_other_grants_are_left_alone_with_a_warning(monkeypatch):
    warnings = []
    monkeypatch.setattr(module.ReplkitModule, "warn", lambda self, message: warnings.append(message))
    result, dummy = run({"hosts": ["10.0.0.21"], "password": PASSWORD},
                        [VERSION, LIMITS, users(("10.0.0.21", native_hash(PASSWORD), "")),
                         grants("10.0.0.21", "REPLICATION SLAVE, BINLOG MONITOR", "GRANT SELECT ON `shop`.* TO `u`@`h`")])
    assert result["changed"] is False
    assert "GRANT SELECT ON `shop`.* TO `u`@`h`" in warnings[0] and "does not manage" in warnings[0]


def test_absent_without_hosts_drops_every_host_of_the_user():
    script = [VERSION, LIMITS, users(("10.0.0.21", "*X", ""), ("10.0.0.22", "*X", "ANY")),
              grants("10.0.0.21"), grants("10.0.0.22"),
              Expect(r"SET SESSION sql_log_bin = 0"),
              Expect(r"DROP USER %s@%s", params=("replkit_repl", "10.0.0.21")),
              Expect(r"DROP USER %s@%s", params=("replkit_repl", "10.0.0.22"))]
    result, dummy = run({"state": "absent"}, script, diff=True)
    assert result["changed"] is True and result["dropped"] == ["10.0.0.21", "10.0.0.22"]
    assert result["diff"]["after"] == {} and result["diff"]["before"]["10.0.0.22"]["require_ssl"] is True
    assert result["privileges"] == []


def test_a_missing_password_for_a_new_account_fails_before_any_write():
    result, cursor = run({"hosts": ["10.0.0.21"], "update_password": "on_create"}, [VERSION, LIMITS, users()])
    assert result["failed"] and "password is not given to create them" in result["msg"]
    assert "Nothing was changed" in result["msg"] and writes(cursor) == []


def test_input_errors_fail_before_connecting():
    result, cursor = run({"hosts": ["a", "A"], "password": ""}, [])
    assert result["failed"] and "list it once" in result["msg"] and "password is empty" in result["msg"]
    assert cursor.executed == []


def test_a_server_error_names_the_statement_and_the_masked_password_only():
    script = [VERSION, LIMITS, users(),
              Expect(r"SET SESSION sql_log_bin = 0"),
              Expect(r"CREATE USER .*", error=pymysql.err.OperationalError(1396, "Operation CREATE USER failed"))]
    result, dummy = run({"hosts": ["10.0.0.21"], "password": PASSWORD}, script)
    assert result["failed"] and "Operation CREATE USER failed" in result["msg"]
    assert "PASSWORD('********')" in result["msg"] and PASSWORD not in result["msg"]


def test_name_longer_than_the_server_allows_fails_before_reading_accounts():
    limits = Expect(LIMITS.sql, rows=[{"name": "user", "length": 80}, {"name": "host", "length": 60}])
    result, cursor = run({"name": "u" * 81, "hosts": ["10.0.0.21"], "password": PASSWORD}, [VERSION, limits])
    assert result["failed"] and "at most 80" in result["msg"] and writes(cursor) == []
