"""module_utils/mariadb.py: where a login points, and running a list of statements that may fail half-way."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement, is_local_login, run_statements
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, StrictCursor

SECRET = "s3cr'et"


@pytest.mark.parametrize("login, local", [
    (dict(login_host="localhost"), True), (dict(login_host="127.0.0.1"), True), (dict(login_host="::1"), True),
    (dict(login_host="db.example.com"), False), (dict(login_host="db.example.com", login_unix_socket="/run/s.sock"), True),
])
def test_is_local_login(login, local):
    assert is_local_login(login) is local


class Failed(Exception):
    pass


class FakeModule:
    params = dict(login_user="admin", login_host="db1", login_port=3306)

    def fail_json(self, **result):
        raise Failed(result)


STATEMENTS = [Statement("STOP REPLICA %s", ("db1",)),
              Statement("CHANGE MASTER %s TO MASTER_PASSWORD=%s", ("db1", SECRET), frozenset({1})),
              Statement("START REPLICA %s", ("db1",))]


def test_run_statements_runs_them_in_order():
    cursor = StrictCursor([Expect(r"STOP REPLICA %s", params=("db1",)),
                           Expect(r"CHANGE MASTER %s TO MASTER_PASSWORD=%s", params=("db1", SECRET)),
                           Expect(r"START REPLICA %s", params=("db1",))])
    assert run_statements(FakeModule(), cursor, STATEMENTS) == STATEMENTS
    cursor.assert_done()


def test_a_failed_statement_names_what_ran_before_and_what_recover_repaired():
    cursor = StrictCursor([Expect(r"STOP REPLICA %s", params=("db1",)),
                           Expect(r"CHANGE MASTER %s TO MASTER_PASSWORD=%s", error=RuntimeError("1198 busy"))])
    recovered = []

    def recover(executed):
        recovered.append(list(executed))
        return "The connection was started again."

    with pytest.raises(Failed) as failed:
        run_statements(FakeModule(), cursor, STATEMENTS, recover=recover)
    result = failed.value.args[0]
    assert recovered == [STATEMENTS[:1]]
    assert result["msg"] == (
        "CHANGE MASTER 'db1' TO MASTER_PASSWORD='********' failed on admin@db1:3306: 1198 busy. The connection was "
        "started again. Statements already executed: STOP REPLICA 'db1'. Fix the cause the server names and run the "
        "task again.")
    assert result["queries"] == ["STOP REPLICA 'db1'"] and SECRET not in str(result)


def test_a_failed_first_statement_says_none_ran():
    cursor = StrictCursor([Expect(r"STOP REPLICA %s", error=RuntimeError("gone"))])
    with pytest.raises(Failed) as failed:
        run_statements(FakeModule(), cursor, STATEMENTS)
    assert "Statements already executed: none." in failed.value.args[0]["msg"]
    assert failed.value.args[0]["queries"] == []
