# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the verify role decides, without a server: broken connections and the positions to catch up with.

Verification is read-only. Every host first reads its replication state (one task, all hosts,
whatever ``forks`` is); then each replica must reach, in every domain its connections carry, the
``gtid_binlog_pos`` its sources had at that read. Reaching a position is monotonic, so a host that
starts waiting later (the next batch of forks) is judged exactly like the first: no clock, no probe
row, nothing written. Each hop is checked against its own source, so a chain or ring is covered hop
by hop, and only a connection's own ``MASTER_DELAY`` adds to its wait.
"""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import (
    DomainPos, GtidError, format_gtid_pos, parse_gtid_pos)


class VerificationError(ValueError):
    """The inputs of a verification decision are not what the verify role reads."""


def _status_row(rows, name):
    for row in rows or []:
        if str(row.get("connection_name", "")).lower() == str(name).lower():
            return row
    return None


def connection_problems(planned, rows):
    """One line per planned connection that is missing, not running both threads, or has an error."""
    problems = []
    for connection in planned or []:
        row = _status_row(rows, connection["name"])
        if row is None:
            problems.append("connection '%s' (from %s) does not exist" % (connection["name"], connection["source"]))
        elif not row.get("healthy"):
            problems.append(
                "connection '%s' (from %s): io=%s sql=%s io_error=%s %s sql_error=%s %s" % (
                    connection["name"], connection["source"], row.get("io_running"),
                    row.get("sql_running"), row.get("last_io_errno"), row.get("last_io_error") or "",
                    row.get("last_sql_errno"), row.get("last_sql_error") or ""))
    return problems


def _position(text, what):
    try:
        return parse_gtid_pos(text or "")
    except GtidError as exc:
        raise VerificationError("%s is not a GTID position: %s" % (what, exc)) from None


def _carried(position, row):
    """The domains of ``position`` that the connection of ``row`` replicates (DO/IGNORE_DOMAIN_IDS)."""
    do_ids = {int(domain) for domain in (row or {}).get("replicate_do_domain_ids") or []}
    ignore_ids = {int(domain) for domain in (row or {}).get("replicate_ignore_domain_ids") or []}
    return {domain: pos for domain, pos in position.items()
            if (not do_ids or domain in do_ids) and domain not in ignore_ids}


def _reached(domain, pos, *held):
    return any(domain in position and position[domain].seq_no >= pos.seq_no for position in held)


def catch_up_target(host, node, statuses, delayed_wait_limit):
    """What ``host`` must reach, read from every host's status taken before any waiting started.

    ``statuses`` maps host -> the mariadb_replication_info result read in one task on every host (a
    host that failed that read is absent). Returns ``wait_for`` (a GTID position, empty when already
    reached), ``delay`` (the longest MASTER_DELAY among the waited connections: the wait allows it),
    ``skipped`` (one line per connection not waited for, and why) and ``unread`` (sources without a
    status). Domains already in this host's own binary log or slave position count as reached: its
    own writes come back around a ring but never enter its ``gtid_slave_pos``.
    """
    if host not in statuses:
        raise VerificationError("%s: its replication state was not read (the verify role reads it first)" % host)
    own = statuses[host]
    held = (_position(own.get("gtid_binlog_pos"), "%s gtid_binlog_pos" % host),
            _position(own.get("gtid_slave_pos"), "%s gtid_slave_pos" % host))
    target, delay, skipped, unread = {}, 0, [], []
    for connection in node.get("connections") or []:
        source, lag = connection["source"], int(connection.get("primary_delay") or 0)
        if source not in statuses:
            unread.append(source)
            continue
        if lag > delayed_wait_limit:
            skipped.append("connection '%s' (from %s) runs %d s behind by design (MASTER_DELAY), more than "
                           "verify_delayed_wait_limit=%d: its health was checked, its position not waited for"
                           % (connection["name"], source, lag, delayed_wait_limit))
            continue
        source_pos = _position(statuses[source].get("gtid_binlog_pos"), "%s gtid_binlog_pos" % source)
        row = _status_row(own.get("connections"), connection["name"])
        for domain, pos in _carried(source_pos, row).items():
            if _reached(domain, pos, *held):
                continue
            if domain not in target or target[domain].seq_no < pos.seq_no:
                target[domain] = DomainPos(*pos)
                delay = max(delay, lag)
    # MariaDB counts MASTER_DELAY in whole seconds of the clock: allow one more.
    return {"wait_for": format_gtid_pos(target), "delay": delay + 1 if delay else 0,
            "skipped": skipped, "unread": sorted(unread)}
