# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory contract of the topology planner: read and check one host's ``mariadb_*`` variables.

Each check appends a message to a shared ``problems`` list instead of raising, so the
planner can report every problem of the whole inventory at once. A value that fails its
check is replaced by "not given", which lets the graph checks still run on the rest.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

from ansible_collections.replkit.mariadb.plugins.module_utils.replication_filter import (
    FILTER_KEYS, SEED_METHOD_CHOICES, TABLE_FILTER_KEYS)

MAX_UINT32 = 2 ** 32 - 1
MAX_CONNECTION_NAME = 63
MAX_DELAY = 2 ** 31 - 1
MAX_AUTO_INCREMENT = 65535
MAX_PARALLEL_THREADS = 16383
# 001: "if one is using uuid_short() in Multi-Master ring replication, one can only use server_id in the range
# 1-255": UUID_SHORT() puts (server_id & 255) into the top byte of its values.
MAX_SMALL_SERVER_ID = 255
SERVER_ID_RANGE_CHOICES = ("large", "small")
# The members of slave_type_conversions MariaDB knows, in the order the server reports them (MySQL's ALL_SIGNED and
# ALL_UNSIGNED are refused by MariaDB's SET GLOBAL and at start).
TYPE_CONVERSIONS = ("ALL_LOSSY", "ALL_NON_LOSSY")
MAX_DATABASE_NAME = 64

# The host variables the planner reads; everything else in hostvars is left alone.
CONTRACT_VARS = (
    "mariadb_sources", "mariadb_writable", "mariadb_server_id", "mariadb_gtid_domain_id",
    "mariadb_auto_increment_increment", "mariadb_auto_increment_offset", "mariadb_log_slave_updates",
    "mariadb_gtid_ignore_duplicates", "mariadb_replication_host", "mariadb_port",
    "mariadb_slave_parallel_threads", "mariadb_slave_parallel_mode", "ansible_host", "mariadb_seed",
    "mariadb_seed_method", "mariadb_slave_type_conversions", "mariadb_server_id_range",
    "mariadb_binlog_do_db", "mariadb_binlog_ignore_db",
)
SSL_FILE_KEYS = ("ssl_ca", "ssl_cert", "ssl_key")
SOURCE_KEYS = frozenset(("host", "connection_name", "delay", "use_gtid", "ssl", "ssl_verify_server_cert", "seed",
                         "seed_method", "seed_databases") + SSL_FILE_KEYS + FILTER_KEYS)
USE_GTID_CHOICES = ("current_pos", "slave_pos")
SEED_CHOICES = ("auto", "always", "never")
PARALLEL_MODE_CHOICES = ("none", "minimal", "conservative", "optimistic", "aggressive")
TRUE_WORDS = frozenset(("true", "yes", "on", "1"))
FALSE_WORDS = frozenset(("false", "no", "off", "0"))
# A per-connection filter is written to the option file as NAME.replicate_do_db=...; keep NAME a plain word there.
OPTION_FILE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
NOT_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]")
# What ends a line of an option file or breaks an SQL statement: the C0 and C1 control characters, DEL, and the
# Unicode line and paragraph separators (Python's splitlines, which reads the option file back, breaks there too).
CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL character"}
CONTROL_FIX = ("remove it: the value is written to the server's option file or into SQL, where a control character "
               "breaks the line (a newline starts a line of its own)")
# A host name or address a replication account can be scoped to, once IP addresses are set apart.
NOT_ADDRESS_CHARS = re.compile(r"[^A-Za-z0-9.-]")
GRANT_WILDCARDS = ("%", "_")


class SourceSpec(NamedTuple):
    """One entry of a host's ``mariadb_sources``, checked and with defaults filled in."""

    host: str
    connection_name: str
    name_given: bool
    delay: int
    use_gtid: str | None
    ssl: bool
    ssl_ca: str | None
    ssl_cert: str | None
    ssl_key: str | None
    ssl_verify_server_cert: bool | None
    filters: dict
    seed: str | None
    seed_method: str | None
    seed_databases: tuple | None


class HostSpec(NamedTuple):
    """One host's contract variables, checked; None means "not given" (or given but invalid)."""

    name: str
    sources: tuple
    writable: bool | None
    server_id: int | None
    gtid_domain_id: int | None
    auto_increment_increment: int | None
    auto_increment_offset: int | None
    log_slave_updates: bool | None
    gtid_ignore_duplicates: bool | None
    replication_host: str
    port: int
    slave_parallel_threads: int | None
    slave_parallel_mode: str | None
    seed: str | None
    seed_method: str | None
    # Where replication_host came from: mariadb_replication_host, ansible_host or the inventory name.
    address_origin: str = "mariadb_replication_host"
    # "" means none; None: not given (derived).
    slave_type_conversions: str | None = None
    server_id_range: str | None = None
    # The source-side binary-log filters (names stripped); () when not given. Never both on one host.
    binlog_do_db: tuple = ()
    binlog_ignore_db: tuple = ()


def problem(hosts, variable, what, fix):
    """One line of the planner's report: who, which variable, what is wrong, what to do."""
    who = ", ".join(hosts) if isinstance(hosts, (list, tuple)) else hosts
    return "%s: %s: %s; %s." % (who, variable, what, fix)


def control_characters(text):
    """The control characters in ``text`` described ("a newline (U+000A)"), or "" when it has none."""
    found = sorted(set(CONTROL_CHARS.findall(text)))
    return ", ".join("%s (U+%04X)" % (CONTROL_NAMES.get(char, "a control character"), ord(char)) for char in found)


def control_problem(host, variable, text):
    """The problem of a string that holds a control character, or None when it holds none."""
    found = control_characters(text)
    if not found:
        return None
    return problem(host, variable, "%r contains %s" % (text, found), CONTROL_FIX)


def address_fault(value):
    """(what is wrong, fix) when ``value`` cannot be a replication address, else None.

    The address is what replicas connect to and what the replication account on a source is scoped to
    (``CREATE USER 'repl'@'address'``): one DNS name or IP address, without a port and without the grant
    wildcards ``%`` and ``_``. ``what`` reads after the value ("'db1:3307' ends in a port ...").
    """
    if not isinstance(value, str) or not value.strip():
        return "is not a non-empty string", "give the host name or IP address replicas use to reach this host"
    found = control_characters(value)
    if found:
        return "contains %s" % found, "remove it; give one host name or IP address"
    if any(char.isspace() for char in value):
        return "contains a space", "give one host name or IP address, without spaces"
    try:
        ipaddress.ip_address(value)
        literal = True
    except ValueError:
        literal = False
    if value.startswith("["):
        return ("is an address in brackets", "write an IPv6 address without brackets, and a port in mariadb_port")
    if ":" in value and not literal:
        name, _colon, port = value.rpartition(":")
        if port.isdigit() and name and ":" not in name:
            return ("ends in a port (:%s)" % port,
                    "give the address alone (%s) and the port in mariadb_port (mariadb_port: %s)" % (name, port))
        return "has a ':' but is not an IPv6 address", "give one host name or IP address, and a port in mariadb_port"
    wildcards = [char for char in GRANT_WILDCARDS if char in value]
    if wildcards:
        return ("contains %s, a wildcard in the host part of a MariaDB account (the replication account scoped to "
                "it would match other hosts too)" % " and ".join("'%s'" % char for char in wildcards),
                "give the IP address, or a DNS name without % and _")
    if not literal:
        others = sorted(set(NOT_ADDRESS_CHARS.findall(value)))
        if others:
            return ("contains %s, which a host name or IP address cannot hold" % ", ".join(map(repr, others)),
                    "give a DNS name (a-z, 0-9, '.' and '-') or an IP address")
    return None


def derived_connection_name(source_host):
    """The default connection name: the source's inventory name, made a plain word for the option file."""
    return NOT_NAME_CHARS.sub("_", source_host)


# ---------------------------------------------------------------- scalar checks

def _as_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise ValueError("%r is not a boolean" % (value,))


def _as_int(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        return int(value)
    raise ValueError("%r is not a whole number" % (value,))


def check_bool(host, variable, value, problems):
    """``value`` as a bool, or None (and a problem) when it is not one."""
    if value is None:
        return None
    try:
        return _as_bool(value)
    except ValueError as exc:
        problems.append(problem(host, variable, str(exc), "set it to true or false"))
        return None


def check_int(host, variable, value, low, high, problems, unit=""):
    """``value`` as an int in [low, high], or None (and a problem) when it is not one."""
    if value is None:
        return None
    try:
        number = _as_int(value)
    except ValueError as exc:
        problems.append(problem(host, variable, str(exc), "give a whole number from %d to %d%s" % (low, high, unit)))
        return None
    if not low <= number <= high:
        problems.append(problem(host, variable, "%d is out of range" % number,
                                "give a whole number from %d to %d%s" % (low, high, unit)))
        return None
    return number


def check_choice(host, variable, value, choices, problems):
    """``value`` if it is one of ``choices``, else None (and a problem)."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in choices:
        problems.append(problem(host, variable, "%r is not a valid value" % (value,), "use one of %s" % ", ".join(choices)))
        return None
    return value


def check_text(host, variable, value, problems):
    """``value`` if it is a non-empty string without control characters, else None (and a problem)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(problem(host, variable, "%r is not a non-empty string" % (value,), "give a host name, address or path"))
        return None
    issue = control_problem(host, variable, value)
    if issue:
        problems.append(issue)
        return None
    return value


def check_address(host, variable, value, problems):
    """``value`` if it can be a replication address (see address_fault), else None (and a problem)."""
    if value is None:
        return None
    fault = address_fault(value)
    if fault:
        problems.append(problem(host, variable, "%r %s" % (value, fault[0]), fault[1]))
        return None
    return value


def check_type_conversions(host, variable, value, problems):
    """``value`` (a comma-separated string or a list) as MariaDB's slave_type_conversions, in the server's order.

    "" (or an empty list) means "no conversion": types must match exactly. None when not given or invalid.
    """
    if value is None:
        return None
    if isinstance(value, str):
        members = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        members = list(value)
    else:
        members = None
    if members is not None:
        members = [member.strip().upper() for member in members if member.strip()]
    if members is None or any(member not in TYPE_CONVERSIONS for member in members):
        problems.append(problem(host, variable, "%r is not a set of row type conversions MariaDB knows" % (value,),
                                "give a comma-separated list of %s (for example %s), or '' for none"
                                % (" and ".join(TYPE_CONVERSIONS), ",".join(TYPE_CONVERSIONS))))
        return None
    return ",".join(member for member in TYPE_CONVERSIONS if member in members)


def check_string_list(host, variable, value, problems):
    """``value`` as a list of non-empty strings without control characters ([] when not given or invalid)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        problems.append(problem(host, variable, "%r is not a list" % (value,), "give a YAML list, for example [%s]" % value))
        return []
    if not all(isinstance(item, str) and item.strip() for item in value):
        problems.append(problem(host, variable, "every item must be a non-empty string", "remove the other items"))
        return []
    issues = [control_problem(host, "%s[%d]" % (variable, index), item) for index, item in enumerate(value)]
    issues = [issue for issue in issues if issue]
    problems.extend(issues)
    return [] if issues else list(value)


def check_binlog_databases(host, variable, value, problems):
    """``mariadb_binlog_do_db``/``mariadb_binlog_ignore_db``: database names, one option line each, as a tuple.

    A name with a comma is refused: the server reports these lists joined by commas (SHOW MASTER STATUS), so the
    running value could not be compared with the inventory's. Longer than 64 characters is no database name.
    """
    names = check_string_list(host, variable, value, problems)
    bad = []
    for index, name in enumerate(names):
        where = "%s[%d]" % (variable, index)
        if "," in name:
            bad.append(problem(host, where, "%r holds a comma; MariaDB reports these lists joined by commas "
                               "(SHOW MASTER STATUS), so the running value could not be read back" % name,
                               "give one database per list item, without commas"))
        elif len(name.strip()) > MAX_DATABASE_NAME:
            bad.append(problem(host, where, "%r has %d characters, a database name at most %d"
                               % (name, len(name.strip()), MAX_DATABASE_NAME), "give the database's name"))
    problems.extend(bad)
    return () if bad else tuple(name.strip() for name in names)


def check_binlog_filters(host, do_value, ignore_value, problems):
    """(binlog_do_db, binlog_ignore_db) of a host; both given is a problem (do would win, silently)."""
    do_db = check_binlog_databases(host, "mariadb_binlog_do_db", do_value, problems)
    ignore_db = check_binlog_databases(host, "mariadb_binlog_ignore_db", ignore_value, problems)
    if do_db and ignore_db:
        problems.append(problem(host, "mariadb_binlog_do_db/mariadb_binlog_ignore_db",
                                "both are set; MariaDB then logs only the binlog_do_db databases and never looks at "
                                "binlog_ignore_db, so the ignore list would mean nothing",
                                "keep one: mariadb_binlog_do_db to log only some databases, or mariadb_binlog_ignore_db "
                                "to log all but some"))
        return (), ()
    return do_db, ignore_db


# ---------------------------------------------------------------- one source entry

def _check_filters(host, where, entry, problems):
    filters = {}
    for key in FILTER_KEYS:
        variable = "%s.%s" % (where, key)
        patterns = check_string_list(host, variable, entry.get(key), problems)
        if key in TABLE_FILTER_KEYS:
            bad = [pattern for pattern in patterns if "." not in pattern]
            if bad:
                problems.append(problem(host, variable, "%s has no database part" % ", ".join(bad),
                                        "write each table as database.table"))
                patterns = [pattern for pattern in patterns if pattern not in bad]
        filters[key] = patterns
    return filters


def _check_connection_name(host, where, entry, source_host, filters, problems):
    given = entry.get("connection_name")
    if given is None:
        name = derived_connection_name(source_host)
        if len(name) > MAX_CONNECTION_NAME:
            problems.append(problem(host, where + ".connection_name",
                                    "the default name %r (from the source's name) has %d characters, MariaDB needs fewer "
                                    "than 64" % (name, len(name)), "set a shorter connection_name"))
        return name, False
    if not isinstance(given, str) or not given.strip():
        problems.append(problem(host, where + ".connection_name", "%r is not a non-empty string" % (given,),
                                "give a short name, or remove it to use the source's name"))
        return derived_connection_name(source_host), False
    issue = control_problem(host, where + ".connection_name", given)
    if issue:
        problems.append(issue)
        return derived_connection_name(source_host), False
    if len(given) > MAX_CONNECTION_NAME:
        problems.append(problem(host, where + ".connection_name",
                                "%r has %d characters, MariaDB needs fewer than 64 (it becomes a file name suffix)"
                                % (given, len(given)), "use a shorter connection_name"))
    if any(filters.values()) and not OPTION_FILE_NAME.match(given):
        problems.append(problem(host, where + ".connection_name",
                                "%r has characters other than letters, digits and _, so its per-connection filters "
                                "(written as %r.replicate_...) would not parse" % (given, given),
                                "use only letters, digits and _"))
    return given, True


def _check_ssl(host, where, entry, problems):
    files = {key: check_text(host, "%s.%s" % (where, key), entry.get(key), problems) for key in SSL_FILE_KEYS}
    verify = check_bool(host, where + ".ssl_verify_server_cert", entry.get("ssl_verify_server_cert"), problems)
    ssl = check_bool(host, where + ".ssl", entry.get("ssl"), problems)
    wants_tls = any(files.values()) or verify
    if ssl is False and wants_tls:
        problems.append(problem(host, where + ".ssl", "false, but TLS options are set",
                                "set ssl: true, or remove ssl_ca, ssl_cert, ssl_key and ssl_verify_server_cert"))
    return (ssl if ssl is not None else bool(wants_tls)), files, verify


def check_source(host, index, entry, problems):
    """One ``mariadb_sources`` item as a SourceSpec, or None when it names no usable host."""
    where = "mariadb_sources[%d]" % index
    host_variable = where + ".host"
    if isinstance(entry, str):
        entry, host_variable = {"host": entry}, where
    if not isinstance(entry, dict):
        problems.append(problem(host, where, "%r is neither a host name nor a mapping" % (entry,),
                                "give the source's inventory name, or a mapping with at least host:"))
        return None
    unknown = sorted(str(key) for key in entry if key not in SOURCE_KEYS)
    if unknown:
        problems.append(problem(host, where, "unknown key(s) %s" % ", ".join(unknown),
                                "remove them; valid keys are %s" % ", ".join(sorted(SOURCE_KEYS))))
    source_host = entry.get("host")
    if not isinstance(source_host, str) or not source_host.strip():
        problems.append(problem(host, where + ".host", "missing or not a host name (%r)" % (source_host,),
                                "set host: to the source's inventory name"))
        return None
    found = control_characters(source_host)
    if found:
        problems.append(problem(host, host_variable, "%r contains %s, so it names no host" % (source_host, found),
                                "give the source's inventory name"))
        return None
    filters = _check_filters(host, where, entry, problems)
    name, name_given = _check_connection_name(host, where, entry, source_host, filters, problems)
    ssl, files, verify = _check_ssl(host, where, entry, problems)
    delay = check_int(host, where + ".delay", entry.get("delay"), 0, MAX_DELAY, problems, " seconds")
    return SourceSpec(
        host=source_host, connection_name=name, name_given=name_given, delay=delay or 0,
        use_gtid=check_choice(host, where + ".use_gtid", entry.get("use_gtid"), USE_GTID_CHOICES, problems),
        ssl=ssl, ssl_ca=files["ssl_ca"], ssl_cert=files["ssl_cert"], ssl_key=files["ssl_key"],
        ssl_verify_server_cert=verify, filters=filters,
        seed=check_choice(host, where + ".seed", entry.get("seed"), SEED_CHOICES, problems),
        seed_method=check_choice(host, where + ".seed_method", entry.get("seed_method"), SEED_METHOD_CHOICES, problems),
        seed_databases=_check_seed_databases(host, where + ".seed_databases", entry.get("seed_databases"), problems),
    )


def _check_seed_databases(host, variable, value, problems):
    """The databases to seed from one source, or None for "every non-system database of the source"."""
    if value is None:
        return None
    names = check_string_list(host, variable, value, problems)
    if isinstance(value, (list, tuple)) and not value:
        problems.append(problem(host, variable, "is an empty list",
                                "list the databases to copy, or set seed: never to copy none"))
    return tuple(names) or None


# ---------------------------------------------------------------- one host

def check_sources(host, value, problems):
    """A host's ``mariadb_sources`` as a tuple of SourceSpec (invalid entries left out)."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        problems.append(problem(host, "mariadb_sources", "%r is not a list" % (value,),
                                "give a YAML list of source hosts, for example mariadb_sources: [%s]" % value))
        return ()
    sources = [check_source(host, index, entry, problems) for index, entry in enumerate(value)]
    return tuple(source for source in sources if source is not None)


def check_host(name, host_vars, problems):
    """One host's contract variables as a HostSpec; problems are appended to ``problems``."""
    def get(key):
        return host_vars.get(key)

    given = get("mariadb_replication_host")
    address = check_address(name, "mariadb_replication_host", given, problems)
    if address is not None:
        origin = "mariadb_replication_host"
    elif isinstance(get("ansible_host"), str) and get("ansible_host"):
        address, origin = get("ansible_host"), "ansible_host"
    else:
        address, origin = name, "inventory name"
    if given is not None:
        # Invalid, and reported above: the fallback only keeps the graph checks going, and is not checked again.
        origin = "mariadb_replication_host"
    binlog_do_db, binlog_ignore_db = check_binlog_filters(name, get("mariadb_binlog_do_db"),
                                                          get("mariadb_binlog_ignore_db"), problems)
    return HostSpec(
        name=name,
        sources=check_sources(name, get("mariadb_sources"), problems),
        writable=check_bool(name, "mariadb_writable", get("mariadb_writable"), problems),
        server_id=check_int(name, "mariadb_server_id", get("mariadb_server_id"), 1, MAX_UINT32, problems),
        gtid_domain_id=check_int(name, "mariadb_gtid_domain_id", get("mariadb_gtid_domain_id"), 0, MAX_UINT32, problems),
        auto_increment_increment=check_int(name, "mariadb_auto_increment_increment",
                                           get("mariadb_auto_increment_increment"), 1, MAX_AUTO_INCREMENT, problems),
        auto_increment_offset=check_int(name, "mariadb_auto_increment_offset", get("mariadb_auto_increment_offset"),
                                        1, MAX_AUTO_INCREMENT, problems),
        log_slave_updates=check_bool(name, "mariadb_log_slave_updates", get("mariadb_log_slave_updates"), problems),
        gtid_ignore_duplicates=check_bool(name, "mariadb_gtid_ignore_duplicates", get("mariadb_gtid_ignore_duplicates"),
                                          problems),
        replication_host=address,
        port=check_int(name, "mariadb_port", get("mariadb_port"), 1, 65535, problems) or 3306,
        slave_parallel_threads=check_int(name, "mariadb_slave_parallel_threads", get("mariadb_slave_parallel_threads"),
                                         0, MAX_PARALLEL_THREADS, problems),
        slave_parallel_mode=check_choice(name, "mariadb_slave_parallel_mode", get("mariadb_slave_parallel_mode"),
                                         PARALLEL_MODE_CHOICES, problems),
        seed=check_choice(name, "mariadb_seed", get("mariadb_seed"), SEED_CHOICES, problems),
        seed_method=check_choice(name, "mariadb_seed_method", get("mariadb_seed_method"), SEED_METHOD_CHOICES, problems),
        address_origin=origin,
        slave_type_conversions=check_type_conversions(name, "mariadb_slave_type_conversions",
                                                      get("mariadb_slave_type_conversions"), problems),
        server_id_range=check_choice(name, "mariadb_server_id_range", get("mariadb_server_id_range"),
                                     SERVER_ID_RANGE_CHOICES, problems),
        binlog_do_db=binlog_do_db,
        binlog_ignore_db=binlog_ignore_db,
    )
