# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which client sessions can still write once read_only is on, and the statements that find and end them.

read_only stops every account without the privilege that bypasses it: such sessions cannot commit a write
(MariaDB refuses it at the commit). Accounts with it keep writing, so a switchover has to end their sessions
before it reads the old writer's last position. Pure logic here; the module reads and kills.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement

# SUPER stopped implying READ_ONLY ADMIN in 10.11.0 (MDEV-29596); READ_ONLY ADMIN exists since 10.5.2.
SUPER_BYPASS_UNTIL = (10, 11, 0)
READ_ONLY_ADMIN = "READ_ONLY ADMIN"

# Server threads and replication threads: never client writers, never killed.
SERVER_USERS = frozenset(("system user", "event_scheduler", "unauthenticated user", "boot"))
SERVER_COMMANDS = frozenset(("daemon", "binlog dump", "slave_io", "slave_sql", "slave_worker", "killed"))

_GLOBAL_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON \*\.\* TO ")
_OBJECT_GRANT = re.compile(r"^GRANT .+? ON \S+ TO ")
_ROLE_GRANT = re.compile(r"^GRANT (?P<roles>`.+?`(?:, `.+?`)*) TO ")
_QUOTED = re.compile(r"`((?:[^`]|``)*)`")

SESSIONS = Statement(
    "SELECT ID AS id, USER AS user, HOST AS host, COMMAND AS command, TIME AS time "
    "FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()")
TRANSACTIONS = Statement("SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX")
BINLOG_POSITION = Statement("SELECT @@GLOBAL.gtid_binlog_pos AS position")


class Session(NamedTuple):
    """A client session as the drain reports it (never its query text: it may hold a secret)."""

    id: int
    user: str
    host: str
    command: str
    time: int
    in_transaction: bool

    @property
    def busy(self):
        """Running a statement or holding a transaction open: a commit may still come."""
        return self.in_transaction or self.command.lower() != "sleep"

    def report(self):
        return dict(self._asdict(), busy=self.busy)


def bypass_privileges(version):
    """The global privileges that let an account write while read_only is on, for a server version tuple."""
    return frozenset((READ_ONLY_ADMIN, "SUPER")) if version < SUPER_BYPASS_UNTIL else frozenset((READ_ONLY_ADMIN,))


def parse_grants(lines):
    """(global privileges, granted roles) from the lines SHOW GRANTS prints for one account or role."""
    privileges, roles = set(), set()
    for line in lines:
        match = _GLOBAL_GRANT.match(line)
        if match:
            privileges.update(part.strip().upper() for part in match.group("privileges").split(","))
            continue
        if _OBJECT_GRANT.match(line):
            continue  # database, table, routine or proxy grants: read_only is global
        match = _ROLE_GRANT.match(line)
        if match:
            roles.update(name.replace("``", "`") for name in _QUOTED.findall(match.group("roles")))
    return privileges, roles


def can_bypass(privileges, bypass):
    return "ALL PRIVILEGES" in privileges or bool(privileges & bypass)


def account_bypasses(account_grants, show_role_grants, bypass):
    """Whether an account (its SHOW GRANTS lines) or any role it may use, however nested, bypasses read_only.

    A granted role counts even when it is not the default one: the session may have set it.
    """
    pending, seen = [account_grants], set()
    while pending:
        privileges, roles = parse_grants(pending.pop())
        if can_bypass(privileges, bypass):
            return True
        for role in sorted(roles - seen):
            seen.add(role)
            pending.append(show_role_grants(role))
    return False


def client_sessions(rows, transaction_ids):
    """The client sessions among PROCESSLIST rows (server and replication threads left out)."""
    open_transactions = {int(row["id"]) for row in transaction_ids}
    sessions = []
    for row in rows:
        user, command = row["user"] or "", row["command"] or ""
        if user.lower() in SERVER_USERS or command.lower() in SERVER_COMMANDS:
            continue
        sessions.append(Session(int(row["id"]), user, row["host"] or "", command, int(row["time"] or 0),
                                int(row["id"]) in open_transactions))
    return sessions


def kill_statement(session_id):
    return Statement("KILL CONNECTION %s", (int(session_id),))


def accounts_statement(users):
    placeholders = ", ".join(["%s"] * len(users))
    return Statement("SELECT User AS user, Host AS host FROM mysql.user WHERE User IN (%s)" % placeholders,
                     tuple(sorted(users)))


def account_grants_statement(user, host):
    return Statement("SHOW GRANTS FOR %s@%s", (user, host))


def role_grants_statement(role):
    return Statement("SHOW GRANTS FOR %s", (role,))


def keep_users_errors(keep_users):
    return ["keep_users: %r is not a user name; give names as MariaDB shows them in PROCESSLIST.USER, without a host."
            % name for name in keep_users if not isinstance(name, str) or not name or "@" in name]
