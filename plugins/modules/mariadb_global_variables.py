#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_global_variables
short_description: Set MariaDB global system variables at runtime, only where they differ
version_added: 0.1.0
author: replkit.mariadb contributors (@replkit)
description:
  - Reads the current value, type and read-only flag of each variable in O(variables) from
    C(information_schema.SYSTEM_VARIABLES), and sends C(SET GLOBAL name = value) only for the ones that differ.
  - Values are compared the way the server understands them, by the variable's type. Booleans accept
    C(true)/C(false), C(ON)/C(OFF), C(yes)/C(no) and C(1)/C(0); numbers accept digit strings and C(K), C(M),
    C(G), C(T) suffixes; enumerations compare ignoring case (and accept an index); sets compare ignoring order and
    case; for C(optimizer_switch)-style flag sets only the flags given are compared.
  - Variables that cannot change while the server runs (read-only at runtime, such as C(log_bin) or C(relay_log))
    are not changed. With O(allow_static=false) their difference fails the task before anything is changed; with
    O(allow_static=true) they are reported in RV(static_pending), so a role can write them to an option file and
    restart the server only when one of them differs.
  - SET GLOBAL does not persist across a restart. Put the same values in an option file (the
    C(replkit.mariadb.server) role does both).
  - Names are validated (letters, digits and C(_)); values are always bound, never pasted into SQL.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  variables:
    description:
      - "Global system variables and the values they should have, for example C({read_only: true, server_id: 3})."
      - Names ignore case; use C(_), not C(-), as SET GLOBAL does. A variable the server does not know, a session-only
        variable or a value that does not fit the variable's type fails the task before anything is changed.
      - Each value is a single string, number or boolean. Setting a variable back to C(DEFAULT) is not supported.
    type: dict
    required: true
  allow_static:
    description:
      - What to do with variables that differ but cannot be changed at runtime.
      - V(false) fails the task, listing them, before any variable is changed.
      - V(true) changes the others and returns these in RV(static_pending) (and RV(needs_restart)). A variable the
        server refuses because replication runs (for example C(slave_parallel_threads)) is reported there too.
    type: bool
    default: false
notes:
  - Check mode reports what would change, including the statements in RV(queries), and executes no write. It predicts
    read-only variables from the server's C(READ_ONLY) flag; a refusal because replication runs is only known when
    the statement is sent.
  - Diff mode shows the requested variables' values before and after the task, as the server reports them before and
    as given after; variables in RV(static_pending) keep their current value in C(after).
  - When the server stores a value other than the one sent (it rounds some sizes to a block size), the module warns;
    such a value reports a change on every run until it is given as the server stores it.
  - Needs the C(SUPER) privilege, or the privilege MariaDB names for each variable (for example C(BINLOG ADMIN)).
seealso:
  - name: SET GLOBAL
    description: MariaDB's reference of the statement.
    link: https://mariadb.com/kb/en/set/
  - name: Server system variables
    description: Which variables are dynamic.
    link: https://mariadb.com/kb/en/server-system-variables/
"""

EXAMPLES = r"""
- name: Make a replica read-only and give it a domain of its own
  replkit.mariadb.mariadb_global_variables:
    variables:
      read_only: true
      gtid_domain_id: 2
    login_unix_socket: /run/mysqld/mysqld.sock

- name: Apply what can change now; report what needs a restart
  replkit.mariadb.mariadb_global_variables:
    variables:
      server_id: 11
      log_slave_updates: true
      binlog_format: ROW
      slave_parallel_threads: 4
      slave_parallel_mode: optimistic
    allow_static: true
    login_unix_socket: /run/mysqld/mysqld.sock
  register: runtime

- name: Say when a restart is due
  ansible.builtin.debug:
    msg: "Restart needed for {{ runtime.static_pending | join(', ') }}"
  when: runtime.needs_restart
"""

RETURN = r"""
queries:
  description: The SET GLOBAL statements sent (or that would be sent, in check mode), values inlined.
  returned: always
  type: list
  elements: str
  sample: ["SET GLOBAL read_only = 'ON'", "SET GLOBAL gtid_domain_id = 2"]
static_pending:
  description:
    - Names of the variables that differ but were not changed because they cannot change at runtime (only with
      O(allow_static=true)); they take effect at the next start of the server with the value in an option file.
  returned: always
  type: list
  elements: str
  sample: [log_bin_basename, relay_log]
pending_values:
  description: For each variable in RV(static_pending), its C(current) value, the C(wanted) one and the C(reason).
  returned: always
  type: dict
  sample: {"relay_log": {"current": "", "wanted": "relay-bin", "reason": "read-only at runtime"}}
needs_restart:
  description: Whether RV(static_pending) is not empty.
  returned: always
  type: bool
  sample: false
"""

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    execute, fail_on_input_errors, login_description, mariadb_common_argument_spec, open_session)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.server_config import (
    ER_READ_ONLY_VARIABLE, PENDING_ERRORS, describe_statement, diff_view, input_errors, matches, normalised_names,
    parse_descriptions, plan_changes, static_error, wanted_value)


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        variables=dict(type="dict", required=True),
        allow_static=dict(type="bool", default=False),
    )
    return spec


def describe(module, cursor, names):
    try:
        return parse_descriptions(execute(cursor, describe_statement(names)))
    except Exception as exc:  # PyMySQL raises several unrelated types
        module.fail_json(msg="Reading information_schema.SYSTEM_VARIABLES on %s failed: %s. Check that the login user "
                             "may read it." % (login_description(module.params), exc))


def apply(module, cursor, changes):
    """Send each SET GLOBAL; returns (applied, refused) where refused holds (change, reason) the server deferred."""
    applied, refused = [], []
    for change in changes:
        try:
            execute(cursor, change.statement)
        except Exception as exc:  # PyMySQL raises several unrelated types
            errno = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
            if errno in PENDING_ERRORS and module.params["allow_static"]:
                refused.append((change, PENDING_ERRORS[errno]))
                continue
            hint = ("set allow_static: true to have it reported in static_pending, or " if errno in PENDING_ERRORS
                    else "fix the value or the login user's privileges, or ")
            module.fail_json(
                msg="%s failed on %s: %s. Variables already changed: %s. To continue, %sremove the variable from "
                    "variables." % (change.statement.masked(), login_description(module.params), exc,
                                    ", ".join(done.name for done in applied) or "none", hint),
                queries=[done.statement.masked() for done in applied])
        applied.append(change)
    return applied, refused


def adjusted(infos, variables, applied):
    """Variables the server stored with a value other than the one sent."""
    return ["%s (sent %s, the server stores %s)" % (change.name, change.after, infos[change.name].value)
            for change in applied
            if change.name in infos and not matches(infos[change.name], wanted_value(infos[change.name], variables[change.name]))]


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    fail_on_input_errors(module, input_errors(params["variables"]))
    variables = normalised_names(params["variables"])

    connection, cursor, _info = open_session(module)
    infos = describe(module, cursor, list(variables))
    changes, errors = plan_changes(variables, infos)
    if errors:
        module.fail_json(msg=" ".join(errors) + " Nothing was changed.")
    static = [change for change in changes if change.static]
    if static and not params["allow_static"]:
        module.fail_json(msg=static_error(static), static_pending=[change.name for change in static])

    dynamic = [change for change in changes if not change.static]
    pending = [(change, PENDING_ERRORS[ER_READ_ONLY_VARIABLE]) for change in static]
    applied = dynamic
    if dynamic and not module.check_mode:
        applied, refused = apply(module, cursor, dynamic)
        pending += refused
        if applied:
            for note in adjusted(describe(module, cursor, [change.name for change in applied]), variables, applied):
                module.warn("The server adjusted %s; give that value to stop the change being reported on every run."
                            % note)
    connection.close()
    module.exit_json(
        changed=bool(applied),
        queries=[change.statement.masked() for change in applied],
        diff=diff_view(variables, infos, applied),
        static_pending=sorted(change.name for change, dummy in pending),
        pending_values={change.name: {"current": change.before, "wanted": change.after, "reason": reason}
                        for change, reason in pending},
        needs_restart=bool(pending),
    )


if __name__ == "__main__":
    main()
