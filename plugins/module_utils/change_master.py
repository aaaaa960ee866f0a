# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CHANGE MASTER options: their argument spec, validation, comparison and SQL.

Shared by mariadb_change_master (one connection) and mariadb_multisource (all
connections of a replica), so every option is defined, read back from a
status row and compared in exactly one place. Everything here is pure, so unit
tests reach it without a database; checking the source a connection points at
is in replication_source.py.
"""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import MASK, Statement
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import (
    is_running, start_connection, stop_connection)

# The documentation says connection names "should be less than 64 characters" (they become file name suffixes).
MAX_CONNECTION_NAME = 63
MAX_UINT32 = 2 ** 32 - 1


class Option(NamedTuple):
    """One CHANGE MASTER option: module name, SQL keyword, kind, status column (None: not readable)."""

    name: str
    keyword: str
    kind: str
    column: str | None


OPTIONS = (
    Option("primary_host", "MASTER_HOST", "str", "Master_Host"),
    Option("primary_port", "MASTER_PORT", "int", "Master_Port"),
    Option("primary_user", "MASTER_USER", "str", "Master_User"),
    Option("primary_password", "MASTER_PASSWORD", "secret", None),
    Option("primary_use_gtid", "MASTER_USE_GTID", "gtid", "Using_Gtid"),
    Option("primary_log_file", "MASTER_LOG_FILE", "str", None),
    Option("primary_log_pos", "MASTER_LOG_POS", "int", None),
    Option("primary_connect_retry", "MASTER_CONNECT_RETRY", "int", "Connect_Retry"),
    Option("primary_heartbeat_period", "MASTER_HEARTBEAT_PERIOD", "period", "Slave_heartbeat_period"),
    Option("primary_delay", "MASTER_DELAY", "int", "SQL_Delay"),
    Option("primary_retry_count", "MASTER_RETRY_COUNT", "int", "Master_Retry_Count"),
    Option("primary_ssl", "MASTER_SSL", "bool", "Master_SSL_Allowed"),
    Option("primary_ssl_ca", "MASTER_SSL_CA", "str", "Master_SSL_CA_File"),
    Option("primary_ssl_capath", "MASTER_SSL_CAPATH", "str", "Master_SSL_CA_Path"),
    Option("primary_ssl_cert", "MASTER_SSL_CERT", "str", "Master_SSL_Cert"),
    Option("primary_ssl_key", "MASTER_SSL_KEY", "str", "Master_SSL_Key"),
    Option("primary_ssl_cipher", "MASTER_SSL_CIPHER", "str", "Master_SSL_Cipher"),
    Option("primary_ssl_crl", "MASTER_SSL_CRL", "str", "Master_SSL_Crl"),
    Option("primary_ssl_crlpath", "MASTER_SSL_CRLPATH", "str", "Master_SSL_Crlpath"),
    Option("primary_ssl_verify_server_cert", "MASTER_SSL_VERIFY_SERVER_CERT", "bool", "Master_SSL_Verify_Server_Cert"),
    Option("do_domain_ids", "DO_DOMAIN_IDS", "ids", "Replicate_Do_Domain_Ids"),
    Option("ignore_domain_ids", "IGNORE_DOMAIN_IDS", "ids", "Replicate_Ignore_Domain_Ids"),
    Option("ignore_server_ids", "IGNORE_SERVER_IDS", "ids", "Replicate_Ignore_Server_Ids"),
)
# Not compared like the others: the password is compared by password_to_send(); the coordinates move.
UNCOMPARED = frozenset(("primary_password", "primary_log_file", "primary_log_pos"))
# Changing these points the connection at another stream, so the start coordinates are sent with them.
REPOSITIONING = frozenset(("primary_host", "primary_port", "primary_use_gtid"))
SSL_FILE_OPTIONS = ("primary_ssl_ca", "primary_ssl_capath", "primary_ssl_cert", "primary_ssl_key",
                    "primary_ssl_crl", "primary_ssl_crlpath")
GTID_KEYWORDS = {"current_pos": "current_pos", "slave_pos": "slave_pos", "no": "no"}
# (minimum, maximum, unit) of the numeric options, as MariaDB accepts them.
RANGES = {
    "primary_port": (1, 65535, ""),
    "primary_log_pos": (4, 2 ** 64 - 1, ""),
    "primary_connect_retry": (1, MAX_UINT32, " seconds"),
    "primary_heartbeat_period": (0, 4294967, " seconds"),
    "primary_delay": (0, 2 ** 31 - 1, " seconds"),
    "primary_retry_count": (0, MAX_UINT32, ""),
}
MASTER_RETRY_COUNT_SINCE = (12, 0, 0)


def change_master_argument_spec():
    """The CHANGE MASTER options; mariadb_multisource uses them as the suboptions of each connection."""
    def aliased(name, **spec):
        return dict(spec, aliases=[name.replace("primary_", "master_", 1)])
    return dict(
        primary_host=aliased("primary_host", type="str"),
        primary_port=aliased("primary_port", type="int"),
        primary_user=aliased("primary_user", type="str"),
        primary_password=aliased("primary_password", type="str", no_log=True),
        primary_use_gtid=aliased("primary_use_gtid", type="str", choices=["current_pos", "slave_pos", "no"]),
        primary_log_file=aliased("primary_log_file", type="str"),
        primary_log_pos=aliased("primary_log_pos", type="int"),
        primary_connect_retry=aliased("primary_connect_retry", type="int"),
        primary_heartbeat_period=aliased("primary_heartbeat_period", type="float"),
        primary_delay=aliased("primary_delay", type="int"),
        primary_retry_count=aliased("primary_retry_count", type="int"),
        primary_ssl=aliased("primary_ssl", type="bool"),
        primary_ssl_ca=aliased("primary_ssl_ca", type="path"),
        primary_ssl_capath=aliased("primary_ssl_capath", type="path"),
        primary_ssl_cert=aliased("primary_ssl_cert", type="path"),
        primary_ssl_key=aliased("primary_ssl_key", type="path"),
        primary_ssl_cipher=aliased("primary_ssl_cipher", type="str"),
        primary_ssl_crl=aliased("primary_ssl_crl", type="path"),
        primary_ssl_crlpath=aliased("primary_ssl_crlpath", type="path"),
        primary_ssl_verify_server_cert=aliased("primary_ssl_verify_server_cert", type="bool"),
        do_domain_ids=dict(type="list", elements="int"),
        ignore_domain_ids=dict(type="list", elements="int"),
        ignore_server_ids=dict(type="list", elements="int"),
    )


# ---------------------------------------------------------------- validation

def connection_name_error(name, option="connection_name"):
    """Why ``name`` cannot be a connection name, or None."""
    if name is None:
        return "%s is required" % option
    if len(name) > MAX_CONNECTION_NAME:
        return ("%s %r has %d characters; MariaDB needs connection names shorter than 64 characters "
                "(they become relay log file suffixes). Use a shorter name." % (option, name, len(name)))
    if "\x00" in name:
        return "%s %r contains a NUL byte; remove it." % (option, name)
    return None


def option_errors(params, server_version=None):
    """Every problem of one connection's CHANGE MASTER options, as messages that name the option and the fix."""
    errors = []
    for name, (low, high, unit) in RANGES.items():
        value = params.get(name)
        if value is not None and not low <= value <= high:
            errors.append("%s must be between %s and %s%s, got %s; use a value in that range." % (
                name, low, high, unit, value))
    for name in ("do_domain_ids", "ignore_domain_ids", "ignore_server_ids"):
        bad = [value for value in params.get(name) or [] if not 0 <= value <= MAX_UINT32]
        if bad:
            errors.append("%s holds %s; ids are integers from 0 to %d." % (name, bad, MAX_UINT32))
    if params.get("do_domain_ids") and params.get("ignore_domain_ids"):
        errors.append("do_domain_ids and ignore_domain_ids cannot both list domains; MariaDB accepts one of them "
                      "per connection. Set the other to an empty list.")
    if params.get("primary_host") is not None and not params["primary_host"].strip():
        errors.append("primary_host is empty; give the source's host name or address.")
    coordinates = [name for name in ("primary_log_file", "primary_log_pos") if params.get(name) is not None]
    if coordinates:
        use_gtid = params.get("primary_use_gtid")
        if use_gtid in ("current_pos", "slave_pos"):
            errors.append("primary_use_gtid=%s cannot be combined with %s: a GTID connection finds its start by "
                          "GTID. Drop the coordinates or set primary_use_gtid=no." % (use_gtid, " and ".join(coordinates)))
        elif use_gtid is None:
            errors.append("%s set binary log coordinates, which only apply with primary_use_gtid=no; set "
                          "primary_use_gtid=no explicitly." % " and ".join(coordinates))
        if params.get("primary_log_pos") is not None and params.get("primary_log_file") is None:
            errors.append("primary_log_pos needs primary_log_file: a position is only meaningful in a named binary log.")
    if (params.get("primary_retry_count") is not None and server_version is not None
            and server_version < MASTER_RETRY_COUNT_SINCE):
        errors.append("primary_retry_count needs MariaDB 12.0 or newer (CHANGE MASTER ... MASTER_RETRY_COUNT); this "
                      "server runs %s. Set the server option master_retry_count instead." % ".".join(
                          str(part) for part in server_version))
    return errors


def missing_ssl_files(params, exists=os.path.exists):
    """The primary_ssl_* paths that do not exist (the replica's server must be able to read them)."""
    return ["%s: %s does not exist; the replica's server reads this file when it connects to the source. "
            "Create it first or fix the path." % (name, params[name])
            for name in SSL_FILE_OPTIONS if params.get(name) and not exists(params[name])]


# ---------------------------------------------------------------- comparing

def _period(value):
    """Heartbeat periods have millisecond resolution on the server; round alike so equal values compare equal."""
    try:
        return float(Decimal(str(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return None


def parse_id_list(text):
    """'1, 2' (a status column) -> [1, 2]."""
    return sorted({int(part) for part in str(text or "").replace(",", " ").split()})


def _from_row(option, value):
    if option.kind == "int":
        return int(value) if value not in (None, "") else None
    if option.kind == "bool":
        # Master_SSL_Allowed reads 'Ignored' when SSL is configured but the server lacks SSL support.
        return value in ("Yes", "Ignored")
    if option.kind == "gtid":
        return str(value or "").lower()
    if option.kind == "period":
        return _period(value)
    if option.kind == "ids":
        return parse_id_list(value)
    return "" if value is None else str(value)


def current_options(row):
    """The comparable options of a status row; options whose column the server lacks are left out."""
    current = {}
    for option in OPTIONS:
        if option.column is not None and option.column in row:
            current[option.name] = _from_row(option, row[option.column])
    return current


def desired_options(params):
    """The comparable options the user gave, normalised like current_options()."""
    desired = {}
    for option in OPTIONS:
        value = params.get(option.name)
        if value is None or option.name in UNCOMPARED:
            continue
        if option.kind == "ids":
            value = sorted(set(value))
        elif option.kind == "period":
            value = _period(value)
        desired[option.name] = value
    return desired


def password_to_send(row, params, update_password, read_stored):
    """(send the password?, warning or None) under ``update_password``.

    ``read_stored(row)`` returns (the password the replica stores, None) or (None, why it cannot be read).
    on_change compares with it; when it cannot be read the password is sent, and the warning says why.
    """
    if params.get("primary_password") is None:
        return False, None
    if row is None or update_password == "always":
        return True, None
    if update_password == "on_create":
        return False, None
    stored, why_unknown = read_stored(row)
    if why_unknown is not None:
        return True, "connection %r: the stored password cannot be compared (%s), so it is sent." % (
            row.get("Connection_name") or "", why_unknown)
    return stored != params["primary_password"], None


def changed_options(row, params, send_password):
    """Option -> new value for what CHANGE MASTER must set; ``row`` None means the connection is new."""
    current = current_options(row) if row is not None else {}
    changes = {name: value for name, value in desired_options(params).items()
               if row is None or current.get(name, object()) != value}
    if send_password:
        changes["primary_password"] = params["primary_password"]
    # MariaDB resets the heartbeat period to its default on every CHANGE MASTER that does not name it (10.11 does),
    # so a change of anything else re-sends the period the connection has, or the one asked for.
    if changes and row is not None and "primary_heartbeat_period" not in changes:
        period = current.get("primary_heartbeat_period")
        if period is not None:
            changes["primary_heartbeat_period"] = period
    if changes and (row is None or REPOSITIONING & set(changes)):
        for name in ("primary_log_file", "primary_log_pos"):
            if params.get(name) is not None:
                changes[name] = params[name]
    return changes


def fully_running(row):
    """Both threads run (an I/O thread still connecting counts: it retries by itself)."""
    return row is not None and row.get("Slave_IO_Running") in ("Yes", "Connecting") and row.get("Slave_SQL_Running") == "Yes"


def run_steps(row, has_changes, running):
    """(stop first, start after, stop after) for one connection.

    ``running`` is 'keep' (restart what a change stopped), 'start' (end fully running) or 'stop'.
    MariaDB refuses CHANGE MASTER on a running connection, so a change always stops it first.
    """
    stop_first = has_changes and is_running(row)
    if running == "start":
        return stop_first, has_changes or not fully_running(row), False
    if running == "stop":
        return stop_first, False, not has_changes and is_running(row)
    return stop_first, stop_first, False


def diff_view(row, params, changes, running_after):
    """(before, after) dicts over the options the user gave, plus 'running'; the password only as a mask."""
    current = current_options(row) if row is not None else {}
    desired = desired_options(params)
    before = {name: current.get(name) for name in desired} if row is not None else {}
    after = dict(before, **desired)
    for name in ("primary_log_file", "primary_log_pos"):
        if name in changes:
            after[name] = changes[name]
    if "primary_password" in changes:
        after["primary_password"] = MASK
    if row is not None:
        before["running"] = is_running(row)
    after["running"] = running_after
    return before, after


# ---------------------------------------------------------------- statements

def build_change_master(name, changes):
    """CHANGE MASTER 'name' TO ... with every value bound; lists, booleans and GTID modes come from validated input."""
    clauses, params, secret = [], [name], set()
    for option in OPTIONS:
        if option.name not in changes:
            continue
        value = changes[option.name]
        if option.kind == "gtid":
            clauses.append("%s=%s" % (option.keyword, GTID_KEYWORDS[value]))
        elif option.kind == "bool":
            clauses.append("%s=%d" % (option.keyword, 1 if value else 0))
        elif option.kind == "ids":
            clauses.append("%s=(%s)" % (option.keyword, ",".join(str(int(item)) for item in sorted(set(value)))))
        else:
            if option.kind == "secret":
                secret.add(len(params))
            clauses.append("%s=%%s" % option.keyword)
            # A Decimal renders as plain 5.5 where a float would render as 5.5e0.
            params.append(Decimal(str(value)) if option.kind == "period" else value)
    if not clauses:
        raise ValueError("no CHANGE MASTER option to set")
    return Statement("CHANGE MASTER %s TO " + ", ".join(clauses), tuple(params), frozenset(secret))


def reset_connection(info, name):
    """Remove a connection and its relay logs for good."""
    return Statement("RESET %s %%s ALL" % info.replica_word, (name,))


def start_all(info):
    return Statement("START ALL %sS" % info.replica_word)


def connection_statements(info, name, row, changes, running):
    """The statements that bring one connection to its options and running state."""
    stop_first, start_after, stop_after = run_steps(row, bool(changes), running)
    statements = [stop_connection(info, name)] if stop_first else []
    if changes:
        statements.append(build_change_master(name, changes))
    if start_after:
        statements.append(start_connection(info, name))
    if stop_after:
        statements.append(stop_connection(info, name))
    return statements


def removal_statements(info, name, row):
    statements = [stop_connection(info, name)] if is_running(row) else []
    return statements + [reset_connection(info, name)]
