# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A least-privilege replication account: privileges by version, reading grants, comparing and the SQL.

Used by mariadb_replication_user. Nothing here needs a database: the module
reads mysql.user and SHOW GRANTS and hands the rows to these functions.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement

NATIVE_PLUGIN = "mysql_native_password"
REPLICATION_SLAVE = "REPLICATION SLAVE"
# 10.5.2 split REPLICATION CLIENT: what reads a source's binary log position (SHOW BINLOG STATUS, SHOW BINARY LOGS)
# became BINLOG MONITOR, and REPLICATION CLIENT stayed as its alias.
BINLOG_MONITOR_SINCE = (10, 5, 2)
# Names SHOW GRANTS or a user may spell differently from the canonical one used here.
ALIASES = {
    "REPLICA": REPLICATION_SLAVE,
    "REPLICATION REPLICA": REPLICATION_SLAVE,
    "REPLICA MONITOR": "SLAVE MONITOR",
}
GLOBAL_GRANT = re.compile(r"^GRANT (?P<privileges>.+?) ON \*\.\* TO (?P<rest>.*)$", re.DOTALL)
ALL = "ALL PRIVILEGES"


class Account(NamedTuple):
    """One existing user@host as the server reports it."""

    host: str
    plugin: str
    auth_string: str
    ssl_type: str
    privileges: frozenset = frozenset()
    grant_option: bool = False
    other_grants: tuple = ()


# What mariadb-dump needs to copy databases with their views, triggers, routines and events at a GTID position:
# RELOAD for the read lock of locked_dump, LOCK TABLES for MyISAM-safe dumps, the monitor privilege for the position.
SEED_PRIVILEGES = ("SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES", "RELOAD")


def required_privileges(version, purpose="replication"):
    """The global privileges of an account for ``purpose``, each with the monitor privilege.

    replication: REPLICATION SLAVE to stream the binary log. seed: what mariadb-dump needs (SEED_PRIVILEGES).
    """
    monitor = "BINLOG MONITOR" if version >= BINLOG_MONITOR_SINCE else "REPLICATION CLIENT"
    if purpose == "seed":
        return SEED_PRIVILEGES + (monitor,)
    return (REPLICATION_SLAVE, monitor)


def canonical(privilege, version):
    name = " ".join(privilege.upper().split())
    if name == "REPLICATION CLIENT" and version >= BINLOG_MONITOR_SINCE:
        return "BINLOG MONITOR"
    return ALIASES.get(name, name)


def parse_grants(lines, version):
    """SHOW GRANTS lines -> (global privileges, WITH GRANT OPTION on *.*, the other GRANT lines)."""
    privileges, grant_option, others = set(), False, []
    for line in lines:
        match = GLOBAL_GRANT.match(line)
        if not match:
            others.append(line)
            continue
        privileges.update(canonical(part, version) for part in match.group("privileges").split(","))
        grant_option = grant_option or "WITH GRANT OPTION" in match.group("rest").upper()
    privileges.discard("USAGE")
    return frozenset(privileges), grant_option, tuple(others)


def native_hash(password):
    """The mysql_native_password hash MariaDB stores: '*' + upper hex SHA1(SHA1(password))."""
    return "*" + hashlib.sha1(hashlib.sha1(password.encode("utf-8")).digest()).hexdigest().upper()


def password_matches(account, password):
    return account.plugin in (NATIVE_PLUGIN, "") and account.auth_string.upper() == native_hash(password)


def require_ssl_of(account):
    """REQUIRE SSL is ssl_type ANY; X509 and SPECIFIED are stricter requirements, also TLS."""
    return account.ssl_type.upper() in ("ANY", "X509", "SPECIFIED")


def _require(require_ssl):
    return "REQUIRE SSL" if require_ssl else "REQUIRE NONE"


def create_statements(name, host, password, require_ssl, privileges):
    return [
        Statement("CREATE USER %%s@%%s IDENTIFIED VIA %s USING PASSWORD(%%s) %s" % (NATIVE_PLUGIN, _require(require_ssl)),
                  (name, host, password), frozenset((2,))),
        Statement("GRANT %s ON *.* TO %%s@%%s" % ", ".join(privileges), (name, host)),
    ]


def update_statements(name, account, wanted, privileges):
    """Statements that turn an existing ``account`` into the ``wanted`` one (password, require_ssl, update_password)."""
    statements = []
    password = wanted["password"]
    if wanted["update_password"] == "always" and not password_matches(account, password):
        statements.append(Statement("ALTER USER %%s@%%s IDENTIFIED VIA %s USING PASSWORD(%%s)" % NATIVE_PLUGIN,
                                    (name, account.host, password), frozenset((2,))))
    current_ssl = require_ssl_of(account)
    # REQUIRE X509/SPECIFIED already imply TLS; only a plain REQUIRE SSL or NONE is ours to change.
    if wanted["require_ssl"] != current_ssl:
        statements.append(Statement("ALTER USER %%s@%%s %s" % _require(wanted["require_ssl"]), (name, account.host)))
    if ALL in account.privileges:
        statements.append(Statement("REVOKE ALL PRIVILEGES ON *.* FROM %s@%s", (name, account.host)))
        held = frozenset()
    else:
        held = account.privileges
        extra = sorted(held - set(privileges))
        if extra:
            statements.append(Statement("REVOKE %s ON *.* FROM %%s@%%s" % ", ".join(extra), (name, account.host)))
    if account.grant_option:
        statements.append(Statement("REVOKE GRANT OPTION ON *.* FROM %s@%s", (name, account.host)))
    missing = [privilege for privilege in privileges if privilege not in held]
    if missing:
        statements.append(Statement("GRANT %s ON *.* TO %%s@%%s" % ", ".join(missing), (name, account.host)))
    return statements


def drop_statement(name, host):
    return Statement("DROP USER %s@%s", (name, host))


def password_state(account, password, update_password):
    """How the password compares, for diff mode: it is never shown, not even hashed."""
    if account is None:
        return "absent"
    if update_password == "always" and password is not None:
        return "matches" if password_matches(account, password) else "differs"
    return "not compared"


def account_view(account, password, update_password):
    """What diff mode shows of one existing account."""
    return {"privileges": sorted(account.privileges), "grant_option": account.grant_option,
            "require_ssl": require_ssl_of(account), "password": password_state(account, password, update_password)}


def wanted_view(account, params, privileges):
    """What diff mode shows of one account as the task leaves it."""
    password = "matches" if account is None or params["update_password"] == "always" else "not compared"
    return {"privileges": sorted(privileges), "grant_option": False, "require_ssl": params["require_ssl"],
            "password": password}


def input_errors(params):
    """Everything wrong with the input that is knowable before connecting."""
    errors = []
    if not params["name"]:
        errors.append("name is empty: give the replication account's user name, for example replkit_repl.")
    hosts = params["hosts"] or []
    if params["state"] == "present" and not hosts:
        errors.append("hosts is empty: with state=present give the host patterns the replicas connect from, for "
                      "example [10.0.0.21, 10.0.0.22] or ['10.0.0.%'].")
    seen = {}
    for host in hosts:
        if not host or not host.strip():
            errors.append("hosts has an empty entry: give each replica's address or a pattern such as '10.0.0.%'.")
        elif host.lower() in seen:
            errors.append("hosts lists %r and %r, which are one account (MariaDB stores host names in lower case); "
                          "list it once." % (seen[host.lower()], host))
        seen.setdefault(host.lower(), host)
    if params["state"] == "present" and params["password"] is not None and params["password"] == "":
        errors.append("password is empty: a replication account needs a password; give one from a vault.")
    if params["state"] == "present" and params["update_password"] == "always" and params["password"] is None:
        errors.append("password is required with update_password=always (the default); give it from a vault, or set "
                      "update_password=on_create to leave existing accounts' passwords alone.")
    return errors


def length_errors(params, limits):
    """User and host names longer than this server's mysql.global_priv columns allow."""
    errors = []
    user_max, host_max = limits.get("user"), limits.get("host")
    if user_max and len(params["name"]) > user_max:
        errors.append("name has %d characters; this server allows at most %d; use a shorter name."
                      % (len(params["name"]), user_max))
    for host in params["hosts"] or []:
        if host_max and len(host) > host_max:
            errors.append("hosts: %r has %d characters; this server allows at most %d; use the address or a shorter "
                          "pattern." % (host, len(host), host_max))
    return errors
