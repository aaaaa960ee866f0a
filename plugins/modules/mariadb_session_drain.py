#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_session_drain
short_description: End the client sessions that can still write on a read-only MariaDB server
version_added: 0.5.0
author: replkit.mariadb contributors (@replkit)
description:
  - The drain step of a switchover, after C(read_only) was turned on. C(read_only) stops every account but those
    with the privilege that bypasses it (C(READ_ONLY ADMIN); before MariaDB 10.11 also C(SUPER)). Their sessions
    keep committing, and what they commit after the old writer's last position was read would be missing on the
    new writer.
  - Finds the client sessions (C(information_schema.PROCESSLIST); server, event scheduler and replication threads,
    including replicas' binlog dumps, are left out) whose user name belongs to an account that has the privilege,
    directly or through a role it was granted, however nested. Accounts are matched by user name, whatever their
    host part; a user name with one privileged account counts as privileged.
  - Waits up to O(wait_timeout) seconds for the busy ones (running a statement, or holding a transaction open in
    C(information_schema.INNODB_TRX)) to finish, then ends every privileged session with C(KILL CONNECTION), idle
    ones too (an idle session may start a write at any moment). A transaction still open when its session is killed
    is rolled back, never half-applied. Then waits until the killed sessions are gone, so nothing they commit
    lands after the task.
  - Sessions of accounts without the privilege are left alone, because the server refuses their writes.
  - Returns the server's C(gtid_binlog_pos) read once the drain ended, so a switchover needs no further read to
    know the old writer's last position.
  - An account with the privilege can log in again after the task and write; give such writers no
    C(READ_ONLY ADMIN) (or C(SUPER) before 10.11), or stop them for the switchover.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  wait_timeout:
    description:
      - Seconds to wait for busy privileged sessions to finish before they are killed. V(0) kills at once.
    type: int
    default: 5
  keep_users:
    description:
      - User names whose sessions are never killed, for example a monitor that only reads. Names as
        C(PROCESSLIST.USER) shows them, without a host.
    type: list
    elements: str
    default: []
notes:
  - Check mode lists the sessions that would be killed now, and neither waits nor kills.
  - Diff mode shows the privileged sessions before the task and after it (none, unless a session outlived its kill).
  - The sessions of the login user are treated like any other, but the module's own connection is never killed.
  - Needs the C(PROCESS) privilege to see every session, C(CONNECTION ADMIN) (or C(SUPER)) to kill them, and
    C(SELECT) on C(mysql.user) with the right to run C(SHOW GRANTS) for other accounts.
  - The query text of a session is never read or returned, as it may hold a password.
seealso:
  - name: read_only
    description: Which writes read_only stops.
    link: https://mariadb.com/kb/en/server-system-variables/#read_only
  - name: READ_ONLY ADMIN
    description: The privilege that bypasses read_only.
    link: https://mariadb.com/kb/en/grant/#global-privileges
  - module: replkit.mariadb.mariadb_global_variables
    description: Turns read_only on first.
"""

EXAMPLES = r"""
- name: Make the old writer refuse writes
  replkit.mariadb.mariadb_global_variables:
    variables:
      read_only: true
    login_unix_socket: /run/mysqld/mysqld.sock

- name: End the sessions that could still write (they get 5 seconds to finish what they run)
  replkit.mariadb.mariadb_session_drain:
    wait_timeout: 5
    keep_users: [monitor]
    login_unix_socket: /run/mysqld/mysqld.sock
  register: drained

- name: Say who was disconnected
  ansible.builtin.debug:
    msg: "{{ drained.killed | map(attribute='user') | list }}"
"""

RETURN = r"""
killed:
  description:
    - The privileged sessions killed (in check mode, the ones that would be), each with its C(id), C(user), C(host),
      C(command), C(time) (seconds in that command), C(in_transaction) and C(busy) as they were when killed.
  returned: always
  type: list
  elements: dict
  sample: [{"id": 42, "user": "admin", "host": "10.0.0.5:51234", "command": "Sleep", "time": 3,
            "in_transaction": true, "busy": true}]
interrupted:
  description: How many of RV(killed) were still busy when killed (their open transactions were rolled back).
  returned: always
  type: int
  sample: 0
waited:
  description: Seconds spent waiting for busy privileged sessions to finish and killed ones to go.
  returned: always
  type: float
  sample: 0.4
still_closing:
  description: Ids of killed sessions still listed when the task ended (rolling back a large transaction).
  returned: always
  type: list
  elements: int
  sample: []
privileged_users:
  description: The user names found to bypass read_only among the sessions' users.
  returned: always
  type: list
  elements: str
  sample: [admin, root]
gtid_binlog_pos:
  description:
    - The server's C(gtid_binlog_pos) read after the drain ended (in check mode, now); with C(read_only) on and the
      drain done, the last position this server's clients wrote.
  returned: always
  type: str
  sample: 1-1-4242
bypass_privileges:
  description: The privileges that bypass read_only on this server's version.
  returned: always
  type: list
  elements: str
  sample: [READ_ONLY ADMIN]
queries:
  description: The KILL statements sent (or that would be sent, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["KILL CONNECTION 42"]
"""

import time

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    execute, execute_or_fail, fail_on_input_errors, login_description, mariadb_common_argument_spec, open_session)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.session_drain import (
    BINLOG_POSITION, SESSIONS, TRANSACTIONS, account_bypasses, account_grants_statement, accounts_statement, bypass_privileges,
    client_sessions, keep_users_errors, kill_statement, role_grants_statement)

POLL_SECONDS = 0.1
ER_NO_SUCH_THREAD = 1094
# Killed sessions roll back before they go; a rollback this long is reported, not waited for.
CLOSE_WAIT_SECONDS = 10


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        wait_timeout=dict(type="int", default=5),
        keep_users=dict(type="list", elements="str", default=[]),
    )
    return spec


def read_or_fail(module, cursor, statement, what):
    return execute_or_fail(module, cursor, statement, "read %s on %s" % (what, login_description(module.params)),
                           "The login user needs PROCESS, SELECT on mysql.user and the right to run SHOW GRANTS for "
                           "other accounts.")


class PrivilegeCache:
    """Which user names bypass read_only, resolved once per name during one run."""

    def __init__(self, module, cursor, bypass):
        self.module, self.cursor, self.bypass = module, cursor, bypass
        self.known = {}

    def _grant_lines(self, statement, what):
        return [list(row.values())[0] for row in read_or_fail(self.module, self.cursor, statement, what)]

    def privileged(self, users):
        unknown = sorted(set(users) - set(self.known))
        if unknown:
            for name in unknown:
                self.known[name] = False
            for row in read_or_fail(self.module, self.cursor, accounts_statement(unknown), "mysql.user"):
                if self.known[row["user"]]:
                    continue
                grants = self._grant_lines(account_grants_statement(row["user"], row["host"]), "the account's grants")
                self.known[row["user"]] = account_bypasses(
                    grants, lambda role: self._grant_lines(role_grants_statement(role), "a role's grants"), self.bypass)
        return {name for name in users if self.known[name]}


def privileged_sessions(module, cursor, cache):
    sessions = client_sessions(read_or_fail(module, cursor, SESSIONS, "information_schema.PROCESSLIST"),
                               read_or_fail(module, cursor, TRANSACTIONS, "information_schema.INNODB_TRX"))
    keep = set(module.params["keep_users"])
    privileged = cache.privileged({session.user for session in sessions} - keep)
    return [session for session in sessions if session.user in privileged]


def kill(module, cursor, sessions):
    sent = []
    for session in sessions:
        statement = kill_statement(session.id)
        try:
            execute(cursor, statement)
        except Exception as exc:  # PyMySQL raises several unrelated types
            if exc.args and exc.args[0] == ER_NO_SUCH_THREAD:
                continue  # it ended by itself meanwhile
            module.fail_json(msg="%s failed on %s: %s. Sessions already killed: %s. The login user needs CONNECTION "
                                 "ADMIN (or SUPER); give it, then run the task again." % (
                                     statement.masked(), login_description(module.params), exc,
                                     ", ".join(s.masked() for s in sent) or "none"),
                             queries=[s.masked() for s in sent])
        sent.append(statement)
    return sent


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    errors = keep_users_errors(params["keep_users"])
    if params["wait_timeout"] < 0:
        errors.append("wait_timeout: %d is negative; give the seconds busy sessions may take to finish, or 0."
                      % params["wait_timeout"])
    fail_on_input_errors(module, errors)

    connection, cursor, info = open_session(module)
    bypass = bypass_privileges(info.version)
    cache = PrivilegeCache(module, cursor, bypass)
    started = time.monotonic()
    sessions = privileged_sessions(module, cursor, cache)
    before = sorted(session.id for session in sessions)
    sent, still_closing = [], []
    if module.check_mode:
        sent = [kill_statement(session.id) for session in sessions]
    elif sessions:
        deadline = started + params["wait_timeout"]
        while any(session.busy for session in sessions) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            sessions = privileged_sessions(module, cursor, cache)
        sent = kill(module, cursor, sessions)
        killed_ids = {session.id for session in sessions}
        close_deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        while True:
            rows = read_or_fail(module, cursor, SESSIONS, "information_schema.PROCESSLIST")
            still_closing = sorted(int(row["id"]) for row in rows if int(row["id"]) in killed_ids)
            if not still_closing or time.monotonic() >= close_deadline:
                break
            time.sleep(POLL_SECONDS)
        if still_closing:
            module.warn("Killed sessions %s on %s are still rolling back after %d s; what they roll back is not "
                        "committed." % (", ".join(str(i) for i in still_closing), login_description(params),
                                        CLOSE_WAIT_SECONDS))
    position = read_or_fail(module, cursor, BINLOG_POSITION, "gtid_binlog_pos")[0]["position"]
    connection.close()
    module.exit_json(
        changed=bool(sessions),
        gtid_binlog_pos=position or "",
        killed=[session.report() for session in sessions],
        interrupted=sum(1 for session in sessions if session.busy),
        waited=round(time.monotonic() - started, 3),
        still_closing=still_closing,
        privileged_users=sorted(name for name, privileged in cache.known.items() if privileged),
        bypass_privileges=sorted(bypass),
        queries=[statement.masked() for statement in sent],
        diff=dict(before={"privileged_sessions": before},
                  after={"privileged_sessions": still_closing}),
    )


if __name__ == "__main__":
    main()
