#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_replication_user
short_description: Manage a least-privilege MariaDB replication account on a source
version_added: 0.1.0
author: replkit.mariadb contributors (@replkit)
description:
  - Creates, updates or drops the account replicas use to connect to a source, one account C(name@host) per entry
    of O(hosts), so the account is scoped to the replicas' addresses.
  - With O(purpose=replication) (the default) the account gets exactly two global privileges, C(REPLICATION SLAVE)
    (to stream the binary log) and the monitor privilege that reads the source's binary log position for status
    checks, C(BINLOG MONITOR) (MariaDB 10.5.2 and later; C(REPLICATION CLIENT) before, which later versions keep as
    its alias). O(purpose=seed) gives the privileges of a seeding account instead. Other global privileges and
    C(WITH GRANT OPTION) are revoked. Grants on single databases or tables are left alone, with a warning.
  - Reads C(mysql.user) and C(SHOW GRANTS) first and sends only the statements that change something, so a second
    run reports no change.
  - The password is stored with the C(mysql_native_password) plugin, which every replica version speaks. Its hash is
    computed locally and compared with the stored one, so O(update_password=always) is idempotent and the password
    itself is never sent unless it has to change.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  name:
    description: The user name of the account, for example C(replkit_repl).
    type: str
    required: true
  hosts:
    description:
      - The host part of each account, one account per entry, for example the replicas' addresses C(10.0.0.21) or a
        pattern such as C(10.0.0.%). MariaDB stores host names in lower case.
      - With C(skip_name_resolve) on (common), a host name never matches a connecting replica; use addresses.
      - Required with O(state=present). With O(state=absent), the accounts to drop; when not given, every account
        called O(name) is dropped.
    type: list
    elements: str
  password:
    description:
      - The account's password. Any character works; it is bound, never pasted into SQL, and shown only as
        C(********). Take it from a vault.
      - Required to create an account, and with O(update_password=always).
    type: str
  update_password:
    description:
      - V(always) makes the password of every listed account equal to O(password), comparing hashes; it changes
        nothing when they already match.
      - V(on_create) sets O(password) only on accounts this task creates.
    type: str
    choices: [always, on_create]
    default: always
  require_ssl:
    description:
      - Whether replicas must connect with TLS (C(REQUIRE SSL)). V(false) sets C(REQUIRE NONE).
      - An account that already requires a client certificate (C(REQUIRE X509) or more) keeps it with V(true).
    type: bool
    default: false
  purge_hosts:
    description:
      - With O(state=present), drop the accounts called O(name) whose host is not in O(hosts), such as replicas that
        left the topology.
    type: bool
    default: false
  sql_log_bin:
    description:
      - Whether the account changes are written to the binary log, and so replicated.
      - The default V(false) keeps each source's account to itself. Every source holds an account scoped to its own
        replicas; replicated, a C(CREATE USER) would reach a server that has the account already and stop
        replication there, and a purge on one ring member would drop another member's accounts.
    type: bool
    default: false
  purpose:
    description:
      - What the account is for, which decides its global privileges.
      - V(replication) is the account replicas connect with (see the description).
      - V(seed) is the account a replica seeding itself with C(mariadb-dump) logs in with
        (M(replkit.mariadb.mariadb_seed)). It gets C(SELECT), C(SHOW VIEW), C(TRIGGER), C(EVENT), C(LOCK TABLES), C(RELOAD)
        (for the read lock of C(locked_dump)) and the monitor privilege. It can read every table, so scope it to the
        replicas' addresses and use its own password.
    type: str
    choices: [replication, seed]
    default: replication
    version_added: 0.2.0
  state:
    description: Whether the accounts exist (V(present)) or not (V(absent)).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Check mode reports what would change, including the statements in RV(queries), and executes no write.
  - Diff mode shows each account's privileges, TLS requirement and whether the password matches, before and after; the
    password itself never appears.
  - With O(sql_log_bin=false) the module sends C(SET SESSION sql_log_bin = 0) before its changes; it is not listed in
    RV(queries). This needs the C(BINLOG ADMIN) or C(SUPER) privilege.
  - The login user needs C(CREATE USER) and the privileges it grants, with C(GRANT OPTION).
seealso:
  - module: replkit.mariadb.mariadb_change_master
  - name: GRANT
    description: MariaDB's privileges, including BINLOG MONITOR and REPLICATION SLAVE.
    link: https://mariadb.com/kb/en/grant/
"""

EXAMPLES = r"""
- name: Let the two replicas of this source connect, with TLS
  replkit.mariadb.mariadb_replication_user:
    name: replkit_repl
    hosts: [10.0.0.21, 10.0.0.22]
    password: "{{ vault_replication_password }}"
    require_ssl: true
    purge_hosts: true
    login_unix_socket: /run/mysqld/mysqld.sock
  no_log: true

- name: Remove the account for a replica that was retired
  replkit.mariadb.mariadb_replication_user:
    name: replkit_repl
    hosts: [10.0.0.23]
    state: absent
    login_unix_socket: /run/mysqld/mysqld.sock
"""

RETURN = r"""
queries:
  description: The statements that changed the server (or would, in check mode), values inlined, the password masked.
  returned: always
  type: list
  elements: str
  sample: ["CREATE USER 'replkit_repl'@'10.0.0.21' IDENTIFIED VIA mysql_native_password USING PASSWORD('********')
           REQUIRE NONE", "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'replkit_repl'@'10.0.0.21'"]
privileges:
  description: The global privileges the accounts have after the task (empty with O(state=absent)).
  returned: always
  type: list
  elements: str
  sample: [REPLICATION SLAVE, BINLOG MONITOR]
created:
  description: The hosts whose account was created (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [10.0.0.21]
dropped:
  description: The hosts whose account was dropped (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [10.0.0.23]
"""

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    Statement, execute, fail_on_input_errors, login_description, mariadb_common_argument_spec, open_session,
    run_statements)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication_user import (
    Account, account_view, create_statements, drop_statement, input_errors, length_errors, parse_grants,
    required_privileges, update_statements, wanted_view)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule

NO_BINLOG = Statement("SET SESSION sql_log_bin = 0")


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        hosts=dict(type="list", elements="str"),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["always", "on_create"], default="always", no_log=False),
        require_ssl=dict(type="bool", default=False),
        purge_hosts=dict(type="bool", default=False),
        sql_log_bin=dict(type="bool", default=False),
        purpose=dict(type="str", choices=["replication", "seed"], default="replication"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    return spec


def query(module, cursor, statement, what):
    try:
        return execute(cursor, statement)
    except Exception as exc:  # PyMySQL raises several unrelated types
        module.fail_json(msg="Reading %s on %s failed: %s. The login user needs SELECT on the mysql database and the "
                             "CREATE USER privilege." % (what, login_description(module.params), exc))


def name_limits(module, cursor):
    rows = query(module, cursor, Statement(
        "SELECT LOWER(COLUMN_NAME) AS name, CHARACTER_MAXIMUM_LENGTH AS length FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'global_priv' AND COLUMN_NAME IN ('User', 'Host')"),
        "the account name limits")
    return {row["name"]: row["length"] for row in rows}


def read_accounts(module, cursor, info, name):
    """host -> Account for every account called ``name``, with its grants."""
    rows = query(module, cursor, Statement(
        "SELECT Host AS host, plugin, authentication_string, ssl_type FROM mysql.user WHERE User = %s", (name,)),
        "the accounts of %s" % name)
    accounts = {}
    for row in rows:
        grants = query(module, cursor, Statement("SHOW GRANTS FOR %s@%s", (name, row["host"])),
                       "the grants of %s@%s" % (name, row["host"]))
        privileges, grant_option, others = parse_grants([next(iter(grant.values())) for grant in grants], info.version)
        accounts[row["host"].lower()] = Account(row["host"], row["plugin"] or "", row["authentication_string"] or "",
                                                row["ssl_type"] or "", privileges, grant_option, others)
    return accounts


def plan(module, accounts, privileges):
    """(statements, created, dropped, diff) for the wanted state."""
    params = module.params
    name = params["name"]
    listed = [host.lower() for host in params["hosts"] or []]
    if params["state"] == "absent":
        targets = listed if params["hosts"] is not None else sorted(accounts)
        dropped = [host for host in targets if host in accounts]
        before = {host: account_view(accounts[host], None, "on_create") for host in dropped}
        return [drop_statement(name, accounts[host].host) for host in dropped], [], dropped, {"before": before, "after": {}}
    missing_password = [host for host in listed if host not in accounts and params["password"] is None]
    if missing_password:
        module.fail_json(msg="Accounts %s do not exist yet, and password is not given to create them. Give password "
                             "(from a vault). Nothing was changed." % ", ".join("%s@%s" % (name, host) for host in missing_password))
    statements, created, before, after = [], [], {}, {}
    for host in listed:
        account = accounts.get(host)
        if account is None:
            statements += create_statements(name, host, params["password"], params["require_ssl"], privileges)
            created.append(host)
        else:
            statements += update_statements(name, account, params, privileges)
            before[host] = account_view(account, params["password"], params["update_password"])
            for line in account.other_grants:
                module.warn("%s@%s also has %r, which this module does not manage; revoke it if %s is all the "
                            "account is for." % (name, account.host, line, params["purpose"]))
        after[host] = wanted_view(account, params, privileges)
    dropped = [host for host in sorted(accounts) if host not in listed] if params["purge_hosts"] else []
    for host in dropped:
        before[host] = account_view(accounts[host], params["password"], params["update_password"])
        statements.append(drop_statement(name, accounts[host].host))
    return statements, created, dropped, {"before": before, "after": after}


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[("state", "present", ("hosts",))])
    params = module.params
    fail_on_input_errors(module, input_errors(params))

    connection, cursor, info = open_session(module)
    fail_on_input_errors(module, length_errors(params, name_limits(module, cursor)))
    privileges = required_privileges(info.version, params["purpose"])
    accounts = read_accounts(module, cursor, info, params["name"])
    statements, created, dropped, diff = plan(module, accounts, privileges)

    if statements and not module.check_mode:
        if not params["sql_log_bin"]:
            run_statements(module, cursor, [NO_BINLOG])
        run_statements(module, cursor, statements)
    connection.close()
    module.exit_json(changed=bool(statements), queries=[statement.masked() for statement in statements],
                     privileges=list(privileges) if params["state"] == "present" else [],
                     created=created, dropped=dropped, diff=diff)


if __name__ == "__main__":
    main()
