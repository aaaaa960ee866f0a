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

FILTER_KEYS = ("replicate_do_db", "replicate_ignore_db", "replicate_do_table", "replicate_ignore_table",
               "replicate_wild_do_table", "replicate_wild_ignore_table")
_LOG_BIN_LINE = re.compile(r"^\s*log[_-]bin\s*(=|$)")
_RELAY_LOG_LINE = re.compile(r"^\s*relay[_-]log\s*(=|$)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
REPLICA_NET_TIMEOUT = 10


class ServerOptionsError(ValueError):
    """A value that cannot be written to an option file safely."""


def _checked(host, what, value):
    text = str(value)
    if _CONTROL.search(text):
        raise ServerOptionsError(
            "%s: %s %r contains a newline or another control character; in the option file it would become a line of "
            "its own. Fix the value in the inventory." % (host, what, text))
    return value


def filter_lines(host, connections):
    """``connection.replicate_* = value`` lines (seed 003's per-connection syntax), in a stable order."""
    lines = []
    for connection in connections or []:
        for key in FILTER_KEYS:
            for value in (connection.get("filters") or {}).get(key) or []:
                what = "mariadb_sources entry %s: filter %s" % (connection["source"], key)
                lines.append("%s.%s = %s" % (connection["name"], key, _checked(host, what, value)))
    return lines


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
    file held it) and ``filter_lines``.
    """
    log_bin = bool(node.get("log_bin")) or held_log_bin(previous_lines)
    relay_log = _checked(host, "server_relay_log", relay_log) if relay_log else relay_log
    dynamic = {
        "server_id": node.get("server_id"),
        "gtid_domain_id": node.get("gtid_domain_id"),
        "read_only": node.get("read_only"),
        "gtid_ignore_duplicates": node.get("gtid_ignore_duplicates"),
        "auto_increment_increment": node.get("auto_increment_increment"),
        "auto_increment_offset": node.get("auto_increment_offset"),
        "slave_parallel_threads": node.get("slave_parallel_threads"),
        "slave_parallel_mode": node.get("slave_parallel_mode"),
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
        static_file["log_bin"] = _checked(host, "server_log_bin_basename", log_bin_basename)
        static_running.update(log_bin=True, log_bin_basename=log_bin_basename)
    if node.get("log_slave_updates"):
        static_file["log_slave_updates"] = True
        static_running["log_slave_updates"] = True
    # Only where it matters: a server that never replicates does not restart for a relay log name. Kept
    # once written, since renaming relay logs under an existing connection keeps MariaDB from starting.
    if relay_log and (node.get("connections") or held_relay_log(previous_lines)):
        static_file["relay_log"] = static_running["relay_log"] = relay_log
    extra = dict(extra or {})
    for name, value in extra.items():
        _checked(host, "server_extra_settings key", name)
        _checked(host, "server_extra_settings.%s" % name, value)
    return {
        "file": dict(dynamic, **static_file, **extra),
        "runtime": dict(dynamic, **static_running, **extra),
        "filter_lines": filter_lines(host, node.get("connections")),
    }


def restart_batch(plan, writable):
    """How many of the topology's writers (``writable``) or read-only nodes restart at once: half, at least one.

    Most writers keep taking writes and relaying, and most read-only nodes keep serving reads, while the
    others restart.
    """
    count = sum(1 for node in (plan or {}).values() if bool(node.get("writable")) == bool(writable))
    return max(1, count // 2)
