# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settings the server role writes to its drop-in option file and compares with the running server.

Pure: from a host's plan, the lines the role's file held before and the role's options. Two promises
live here rather than in a template:

- **Binary logs are never turned off.** ``log_bin`` is written when the plan needs it, and kept once
  this file held it: a former pair member left alone, or a source whose replicas were moved away,
  keeps logging, so the rows it commits meanwhile can still reach a node that rejoins.
- **Crash-safe by default** (``crash_safe``): every commit is durable in InnoDB's redo log
  (``innodb_flush_log_at_trx_commit=1``), which also makes a replica's applied transactions and its
  ``mysql.gtid_slave_pos`` row durable together; a server with a binary log syncs it at every commit
  (``sync_binlog=1``), so a crashed source never lost a transaction its replicas already have; and a
  replica notices a dead link within ``slave_net_timeout`` seconds instead of a minute (with
  ``MASTER_USE_GTID`` MariaDB drops its relay logs at restart and fetches again from
  ``gtid_slave_pos``, so no relay log recovery setting is needed). All are dynamic: no restart.
"""

from __future__ import annotations

import re

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_inventory import control_problem, problem

FILTER_KEYS = ("replicate_do_db", "replicate_ignore_db", "replicate_do_table", "replicate_ignore_table",
               "replicate_wild_do_table", "replicate_wild_ignore_table")
_LOG_BIN_LINE = re.compile(r"^\s*log[_-]bin\s*(=|$)")
_RELAY_LOG_LINE = re.compile(r"^\s*relay[_-]log\s*(=|$)")
# The name of a setting in the option file: a line "name = value" reads back only with a plain name.
_OPTION_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
REPLICA_NET_TIMEOUT = 10
# The binary-log filters of a host's plan: plan key -> option name, one line per database.
BINLOG_FILTER_OPTIONS = (("do", "binlog_do_db"), ("ignore", "binlog_ignore_db"))
_BINLOG_FILTER_LINE = re.compile(r"^\s*binlog[_-](do|ignore)[_-]db\s*=")


class ServerOptionsError(ValueError):
    """Values that cannot be written to an option file safely; ``problems`` holds one message per value."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _check(host, variable, value, problems):
    """Add a problem when ``value``, as written to the option file, holds a control character."""
    issue = control_problem(host, variable, str(value))
    if issue:
        problems.append(issue)


def _filter_lines(host, connections, problems):
    lines = []
    # Connections are in the order of the host's mariadb_sources entries (the planner refuses a plan otherwise).
    for index, connection in enumerate(connections or []):
        filters = connection.get("filters") or {}
        if any(filters.get(key) for key in FILTER_KEYS):
            _check(host, "mariadb_sources[%d].connection_name" % index, connection["name"], problems)
        for key in FILTER_KEYS:
            for position, value in enumerate(filters.get(key) or []):
                _check(host, "mariadb_sources[%d].%s[%d]" % (index, key, position), value, problems)
                lines.append("%s.%s = %s" % (connection["name"], key, value))
    return lines


def filter_lines(host, connections):
    """``connection.replicate_* = value`` lines (seed 003's per-connection syntax), in a stable order.

    Raises ServerOptionsError naming every value (by its place in ``mariadb_sources``) that holds a control
    character.
    """
    problems = []
    lines = _filter_lines(host, connections, problems)
    if problems:
        raise ServerOptionsError(problems)
    return lines


def _binlog_filter_lines(host, node, problems):
    lines = []
    filters = node.get("binlog_filters") or {}
    for key, option in BINLOG_FILTER_OPTIONS:
        for position, value in enumerate(filters.get(key) or []):
            _check(host, "mariadb_%s[%d]" % (option, position), value, problems)
            lines.append("%s = %s" % (option, str(value).strip()))
    return lines


def binlog_filter_lines_of(previous_lines):
    """The binlog_do_db/binlog_ignore_db lines the role's file held before this run, stripped, in order."""
    return [line.strip() for line in previous_lines or [] if _BINLOG_FILTER_LINE.match(line)]


def binlog_filters_missing(node, running):
    """The planned binlog filter lines the running server does not have (``running``: SHOW MASTER STATUS's lists).

    Only what the plan adds is compared: the server may also hold lists from another option file (seed 000's
    my.cnf), which the role leaves alone. ``running`` None (not read, or the binary log is off): nothing known.
    """
    if not running:
        return []
    filters = node.get("binlog_filters") or {}
    return ["%s = %s" % (option, str(value).strip()) for key, option in BINLOG_FILTER_OPTIONS
            for value in filters.get(key) or [] if str(value).strip() not in (running.get(key) or [])]


def _extra_problems(host, extra):
    problems = []
    for name, value in extra.items():
        if not isinstance(name, str) or not _OPTION_NAME.match(name):
            problems.append(problem(host, "server_extra_settings", "the key %r is not an option name" % (name,),
                                    "use the option's name (letters, digits, '_', '-' and '.'), for example "
                                    "max_connections"))
            continue
        _check(host, "server_extra_settings.%s" % name, value, problems)
    return problems


def held_log_bin(previous_lines):
    """Whether the role's file held a log_bin line before this run."""
    return any(_LOG_BIN_LINE.match(line) for line in previous_lines or [])


def held_relay_log(previous_lines):
    """Whether the role's file held a relay_log line before this run."""
    return any(_RELAY_LOG_LINE.match(line) for line in previous_lines or [])


def server_option_settings(host, node, previous_lines=(), binlog_format="ROW", log_bin_basename="mariadb-bin",
                           relay_log="relay-bin", extra=None, crash_safe=True):
    """What the drop-in file holds and what the running server must match.

    Returns ``file`` (name -> value, the [mariadbd] settings), ``runtime`` (name -> value, compared with
    the running server; ``log_bin`` as the server reports it; ``relay_log`` only on replicas and where the
    file held it), ``filter_lines``, ``binlog_filter_lines`` (``binlog_ignore_db = name``, one per
    database of the plan's ``binlog_filters``) and ``binlog_filters_changed`` (they differ from the lines
    the file held: a restart applies them). Raises ServerOptionsError listing every value that cannot be
    written to the option file (one with a newline or another control character, an extra setting whose
    key is no option name), naming the host and the variable.
    """
    problems = []
    for variable, value in (("server_binlog_format", binlog_format), ("server_log_bin_basename", log_bin_basename),
                            ("server_relay_log", relay_log)):
        if value:
            _check(host, variable, value, problems)
    extra = dict(extra or {})
    problems.extend(_extra_problems(host, extra))
    lines = _filter_lines(host, node.get("connections"), problems)
    binlog_lines = _binlog_filter_lines(host, node, problems)
    if problems:
        raise ServerOptionsError(problems)
    log_bin = bool(node.get("log_bin")) or held_log_bin(previous_lines)
    dynamic = {
        "server_id": node.get("server_id"),
        "gtid_domain_id": node.get("gtid_domain_id"),
        "read_only": node.get("read_only"),
        "gtid_ignore_duplicates": node.get("gtid_ignore_duplicates"),
        "auto_increment_increment": node.get("auto_increment_increment"),
        "auto_increment_offset": node.get("auto_increment_offset"),
        "slave_parallel_threads": node.get("slave_parallel_threads"),
        "slave_parallel_mode": node.get("slave_parallel_mode"),
        # Dynamic, so a ring member gets it without a restart; "" (no conversion) is written and applied too.
        "slave_type_conversions": node.get("slave_type_conversions"),
        "binlog_format": (binlog_format or None) if log_bin else None,
    }
    if crash_safe:
        dynamic["innodb_flush_log_at_trx_commit"] = 1
        if log_bin:
            dynamic["sync_binlog"] = 1
        if node.get("connections"):
            dynamic["slave_net_timeout"] = REPLICA_NET_TIMEOUT
    dynamic = {name: value for name, value in dynamic.items() if value is not None}
    static_file, static_running = {}, {}
    if log_bin:
        static_file["log_bin"] = log_bin_basename
        static_running.update(log_bin=True, log_bin_basename=log_bin_basename)
    if node.get("log_slave_updates"):
        static_file["log_slave_updates"] = True
        static_running["log_slave_updates"] = True
    # The port replicas are pointed at (mariadb_port); with Debian's socket activation the server role points
    # the socket unit there too, as the server then ignores this setting.
    if node.get("port"):
        static_file["port"] = static_running["port"] = int(node["port"])
    # Only where it matters: a server that never replicates does not restart for a relay log name. Kept
    # once written, since renaming relay logs under an existing connection keeps MariaDB from starting.
    if relay_log and (node.get("connections") or held_relay_log(previous_lines)):
        static_file["relay_log"] = static_running["relay_log"] = relay_log
    return {
        "file": dict(dynamic, **static_file, **extra),
        "runtime": dict(dynamic, **static_running, **extra),
        "filter_lines": lines,
        # Static: read at start only, and not shown as variables (SHOW MASTER STATUS lists them), so a change of
        # these lines against the file's previous ones is what asks for a restart.
        "binlog_filter_lines": binlog_lines,
        "binlog_filters_changed": binlog_lines != binlog_filter_lines_of(previous_lines),
    }


def socket_unit_listens(show_lines, port, unix_socket):
    """Whether a socket unit already listens on TCP ``port`` on every address and on ``unix_socket``.

    ``show_lines`` is ``systemctl show --property=Listen`` output: one ``Listen=<address> (<type>)`` line per
    listening socket, where a bare port (``ListenStream=3306``, Debian's default) shows as ``[::]:3306``.
    """
    streams = {line[len("Listen="):-len(" (Stream)")] for line in show_lines or []
               if line.startswith("Listen=") and line.endswith(" (Stream)")}
    port = int(port)
    return bool({"[::]:%d" % port, "0.0.0.0:%d" % port} & streams) and unix_socket in streams


def restart_batch(plan, writable):
    """How many of the topology's writers (``writable``) or read-only nodes restart at once: half, at least one.

    Most writers keep taking writes and relaying, and most read-only nodes keep serving reads, while the
    others restart.
    """
    count = sum(1 for node in (plan or {}).values() if bool(node.get("writable")) == bool(writable))
    return max(1, count // 2)
