"""mariadb_global_variables main() against a strict fake cursor: the exact SQL, in order."""

from __future__ import annotations

from unittest import mock

import pymysql

from ansible_collections.replkit.mariadb.plugins.modules import mariadb_global_variables as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
LOGIN = dict(login_user="admin", login_password="s'e\"c\\r;et", login_host="127.0.0.1", login_port=3306)
VERSION = Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.11.6-MariaDB-log"}])
DESCRIBE = r"SELECT VARIABLE_NAME, GLOBAL_VALUE, VARIABLE_TYPE, READ_ONLY, VARIABLE_SCOPE, ENUM_VALUE_LIST " \
           r"FROM information_schema\.SYSTEM_VARIABLES WHERE VARIABLE_NAME IN \(%s(, %s)*\)"

ROWS = {
    "READ_ONLY": ("OFF", "BOOLEAN", "NO", "GLOBAL", "OFF,ON"),
    "SERVER_ID": ("1", "BIGINT UNSIGNED", "NO", "SESSION", None),
    "LOG_BIN": ("OFF", "BOOLEAN", "YES", "GLOBAL", "OFF,ON"),
    "SLAVE_PARALLEL_THREADS": ("0", "BIGINT UNSIGNED", "NO", "GLOBAL", None),
    "MYISAM_SORT_BUFFER_SIZE": ("4096", "BIGINT UNSIGNED", "NO", "GLOBAL", None),
}


def describe(*names, params=None, **values):
    rows = []
    for name in names:
        value, kind, read_only, scope, allowed = ROWS[name.upper()]
        rows.append({"VARIABLE_NAME": name.upper(), "GLOBAL_VALUE": values.get(name, value), "VARIABLE_TYPE": kind,
                     "READ_ONLY": read_only, "VARIABLE_SCOPE": scope, "ENUM_VALUE_LIST": allowed})
    return Expect(DESCRIBE, params=params or tuple(name.upper() for name in names), rows=rows)


def run(args, script, check_mode=False, diff=False):
    args = dict(LOGIN, _ansible_check_mode=check_mode, _ansible_diff=diff, **args)
    return run_module_main(module, args, script, CONNECT)


def writes(cursor):
    return [(sql, params) for sql, params in cursor.executed if sql.upper().startswith("SET")]


def test_nothing_to_do_sends_no_write():
    result, cursor = run({"variables": {"read_only": "on", "server_id": "7"}},
                         [VERSION, describe("read_only", "server_id", read_only="ON", server_id="7")])
    assert result["changed"] is False and result["queries"] == [] and writes(cursor) == []
    assert result["static_pending"] == [] and result["needs_restart"] is False


def test_apply_sends_only_the_differences_with_bound_values():
    script = [VERSION, describe("read_only", "server_id"),
              Expect(r"SET GLOBAL read_only = %s", params=("ON",)),
              Expect(r"SET GLOBAL server_id = %s", params=(7,)),
              describe("read_only", "server_id", read_only="ON", server_id="7")]
    result, cursor = run({"variables": {"server_id": 7, "READ_ONLY": True}}, script, diff=True)
    assert result["changed"] is True
    assert result["queries"] == ["SET GLOBAL read_only = 'ON'", "SET GLOBAL server_id = 7"]
    assert result["diff"] == {"before": {"read_only": "OFF", "server_id": "1"}, "after": {"read_only": "ON", "server_id": "7"}}


def test_check_mode_predicts_and_sends_no_write():
    result, cursor = run({"variables": {"server_id": 7, "log_bin": True}, "allow_static": True},
                         [VERSION, describe("log_bin", "server_id")], check_mode=True)
    assert result["changed"] is True and result["queries"] == ["SET GLOBAL server_id = 7"]
    assert result["static_pending"] == ["log_bin"] and result["needs_restart"] is True
    assert writes(cursor) == []


def test_static_difference_fails_before_any_write_without_allow_static():
    result, cursor = run({"variables": {"server_id": 7, "log_bin": True}}, [VERSION, describe("log_bin", "server_id")])
    assert result["failed"] and "log_bin (now OFF, wanted ON)" in result["msg"]
    assert "Nothing was changed" in result["msg"] and writes(cursor) == []


def test_server_refusal_1238_and_1198_become_pending_with_allow_static():
    script = [VERSION, describe("read_only", "server_id", "slave_parallel_threads"),
              Expect(r"SET GLOBAL read_only = %s", params=("ON",)),
              Expect(r"SET GLOBAL server_id = %s", params=(9,),
                     error=pymysql.err.OperationalError(1238, "Variable 'server_id' is a read only variable")),
              Expect(r"SET GLOBAL slave_parallel_threads = %s", params=(4,),
                     error=pymysql.err.OperationalError(1198, "This operation cannot be performed as you have a running slave")),
              describe("read_only", read_only="ON")]
    result, cursor = run({"variables": {"read_only": 1, "slave_parallel_threads": 4, "server_id": 9},
                          "allow_static": True}, script)
    assert result["changed"] is True and result["queries"] == ["SET GLOBAL read_only = 'ON'"]
    assert result["static_pending"] == ["server_id", "slave_parallel_threads"]
    assert result["pending_values"]["slave_parallel_threads"] == {
        "current": "0", "wanted": "4", "reason": "cannot change while replication runs"}


def test_other_server_errors_fail_naming_the_statement_and_what_was_done():
    script = [VERSION, describe("read_only", "server_id"),
              Expect(r"SET GLOBAL read_only = %s", params=("ON",)),
              Expect(r"SET GLOBAL server_id = %s", params=(9,),
                     error=pymysql.err.OperationalError(1227, "Access denied; you need the SUPER privilege"))]
    result, dummy = run({"variables": {"read_only": True, "server_id": 9}, "allow_static": True}, script)
    assert result["failed"]
    assert "SET GLOBAL server_id = 9 failed on admin@127.0.0.1:3306" in result["msg"]
    assert "Access denied" in result["msg"] and "Variables already changed: read_only" in result["msg"]
    assert result["queries"] == ["SET GLOBAL read_only = 'ON'"]


def test_an_adjusted_value_warns():
    script = [VERSION, describe("myisam_sort_buffer_size"),
              Expect(r"SET GLOBAL myisam_sort_buffer_size = %s", params=(5000,)),
              describe("myisam_sort_buffer_size", myisam_sort_buffer_size="4096")]
    with mock.patch.object(module.ReplkitModule, "warn") as warn:
        result, dummy = run({"variables": {"myisam_sort_buffer_size": 5000}}, script)
    assert result["changed"] is True
    assert "sent 5000, the server stores 4096" in warn.call_args.args[0]


def test_bad_names_fail_before_connecting():
    result, cursor = run({"variables": {"read-only": True}}, [])
    assert result["failed"] and "use _ instead of -" in result["msg"] and cursor.executed == []


def test_unknown_variable_fails_after_reading_only():
    result, cursor = run({"variables": {"read_only": True, "no_such": 1}},
                         [VERSION, describe("read_only", params=("NO_SUCH", "READ_ONLY"))])
    assert result["failed"] and "no_such is not a system variable of this server" in result["msg"]
    assert writes(cursor) == []


def test_an_old_server_is_refused():
    result, dummy = run({"variables": {"read_only": True}},
                        [Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.4.30-MariaDB"}])])
    assert result["failed"] and "needs MariaDB 10.5.0 or newer" in result["msg"]
