"""session_drain: which sessions can still write under read_only, from PROCESSLIST rows and SHOW GRANTS lines."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.session_drain import (
    account_bypasses, accounts_statement, bypass_privileges, client_sessions, keep_users_errors, kill_statement,
    parse_grants)

ROOT_GRANTS = [
    "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR "
    "unix_socket WITH GRANT OPTION",
    "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
]


@pytest.mark.parametrize("version, expected", [
    ((10, 5, 29), {"READ_ONLY ADMIN", "SUPER"}),
    ((10, 6, 20), {"READ_ONLY ADMIN", "SUPER"}),
    ((10, 11, 0), {"READ_ONLY ADMIN"}),
    ((11, 8, 3), {"READ_ONLY ADMIN"}),
])
def test_super_bypasses_read_only_only_before_10_11(version, expected):
    assert bypass_privileges(version) == expected


def test_parse_grants_reads_global_privileges_and_roles_and_ignores_object_grants():
    privileges, roles = parse_grants([
        "GRANT SELECT, INSERT, READ_ONLY ADMIN ON *.* TO `ro`@`%`",
        "GRANT SUPER ON `db`.* TO `ro`@`%`",  # not a global grant (and not valid SQL): must not count
        "GRANT `writer`, `odd``name` TO `ro`@`%`",
        "SET DEFAULT ROLE `writer` FOR `ro`@`%`",
    ])
    assert privileges == {"SELECT", "INSERT", "READ_ONLY ADMIN"}
    assert roles == {"writer", "odd`name"}
    assert parse_grants(ROOT_GRANTS) == ({"ALL PRIVILEGES"}, set())


def test_account_bypasses_directly_by_all_privileges_or_through_nested_roles():
    modern = bypass_privileges((10, 11, 6))
    assert account_bypasses(ROOT_GRANTS, None, modern)
    assert not account_bypasses(["GRANT SELECT, INSERT, SUPER ON *.* TO `su`@`%`"], None, modern)
    assert account_bypasses(["GRANT SELECT, INSERT, SUPER ON *.* TO `su`@`%`"], None, bypass_privileges((10, 5, 9)))

    roles = {
        "outer": ["GRANT `inner` TO `outer`", "GRANT USAGE ON *.* TO `outer`"],
        "inner": ["GRANT READ_ONLY ADMIN ON *.* TO `inner`", "GRANT `outer` TO `inner`"],  # a cycle ends too
        "plain": ["GRANT SELECT ON *.* TO `plain`"],
    }
    asked = []

    def show(role):
        asked.append(role)
        return roles[role]

    assert account_bypasses(["GRANT `plain`, `outer` TO `app`@`%`", "GRANT USAGE ON *.* TO `app`@`%`"], show, modern)
    asked.clear()
    assert not account_bypasses(["GRANT `plain` TO `app`@`%`"], show, modern)
    assert asked == ["plain"]


def test_client_sessions_leave_out_server_and_replication_threads_and_mark_open_transactions():
    rows = [
        {"id": 1, "user": "system user", "host": "", "command": "Slave_SQL", "time": 5},
        {"id": 2, "user": "repl", "host": "10.0.0.2:4000", "command": "Binlog Dump", "time": 50},
        {"id": 3, "user": "event_scheduler", "host": "localhost", "command": "Daemon", "time": 9},
        {"id": 4, "user": "app", "host": "10.0.0.9:5000", "command": "Sleep", "time": 2},
        {"id": 5, "user": "admin", "host": "localhost", "command": "Query", "time": 0},
        {"id": 6, "user": "admin", "host": "localhost", "command": "Sleep", "time": 0},
        {"id": 7, "user": "gone", "host": "localhost", "command": "Killed", "time": 0},
    ]
    sessions = client_sessions(rows, [{"id": 4}])
    assert [(s.id, s.in_transaction, s.busy) for s in sessions] == [(4, True, True), (5, False, True), (6, False, False)]
    assert sessions[0].report()["busy"] is True and "info" not in sessions[0].report()


def test_statements_bind_their_values():
    assert kill_statement("42").masked() == "KILL CONNECTION 42"
    statement = accounts_statement({"b", "a'"})
    assert statement.params == ("a'", "b") and statement.sql.endswith("IN (%s, %s)")


def test_keep_users_must_be_plain_user_names():
    assert keep_users_errors(["monitor"]) == []
    errors = keep_users_errors(["monitor@%", ""])
    assert len(errors) == 2 and "'monitor@%'" in errors[0] and "without a host" in errors[0]
