# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the checksum role compares and how it reports it, without a server.

A replica's connection is compared with its source chunk by chunk, each batch at the source's
snapshot position (the module ``mariadb_table_checksum`` does the reading). Here: which planned
connections to compare (asked for by name, not delayed beyond the limit), and the report: per
connection the tables and chunks compared, the tables without a usable key, and every differing key
range with what a repair takes.
"""

from __future__ import annotations


class ChecksumPlanError(ValueError):
    """Connections asked for that the host's plan does not have."""


def select_connections(planned, names, delayed_wait_limit, writable=False, include_writable=False):
    """``{"compare": [connections], "skipped": [lines]}`` for the planned connections of one host.

    A host that takes writes of its own (``writable``: a ring member, a pair's active side) holds rows its
    sources cannot have had at their snapshot, so its connections are compared only when asked
    (``include_writable``, for a moment when writes pause); its data is compared from its read-only replicas.
    """
    wanted = {str(name).lower() for name in names or []}
    known = {connection["name"].lower() for connection in planned or []}
    unknown = sorted(wanted - known)
    if unknown:
        raise ChecksumPlanError("checksum_connections lists %s, which this host's plan does not have (it has: %s)"
                                % (", ".join(unknown), ", ".join(sorted(known)) or "no connection"))
    compare, skipped = [], []
    for connection in planned or []:
        if wanted and connection["name"].lower() not in wanted:
            continue
        if writable and not include_writable:
            skipped.append("connection '%s' (from %s) is not compared: this host takes writes of its own, which its "
                           "source cannot have had at its snapshot; its data is compared on its read-only replicas "
                           "(set checksum_writable_replicas: true while writes pause)"
                           % (connection["name"], connection["source"]))
            continue
        delay = int(connection.get("primary_delay") or 0)
        if delay > delayed_wait_limit:
            skipped.append("connection '%s' (from %s) is not compared: it runs %d s behind by design (MASTER_DELAY), "
                           "more than checksum_delayed_wait_limit=%d"
                           % (connection["name"], connection["source"], delay, delayed_wait_limit))
            continue
        compare.append(connection)
    return {"compare": compare, "skipped": skipped}


def connections_new_this_run(host, seed_steps, wiring_rows):
    """The names of ``host``'s connections this run seeded, or wired anew or changed: the ones to compare.

    ``seed_steps``: the seeding plan's steps (every host's); ``wiring_rows``: the ``connections`` of this
    host's ``mariadb_multisource`` result. Seeded first, then wired; each name once, ignoring case as
    MariaDB compares names (the first spelling is kept).
    """
    names = [step["connection"] for step in seed_steps or [] if step.get("replica") == host]
    names += [row["name"] for row in wiring_rows or [] if row.get("action") not in ("unchanged", "removed")]
    unique, seen = [], set()
    for name in names:
        if str(name).lower() not in seen:
            seen.add(str(name).lower())
            unique.append(name)
    return unique


def comparison_work(cuts):
    """Per connection, the chunks to compare, leaving out tables that several connections replicate.

    ``cuts``: one entry per connection, ``{"connection": planned connection, "tables": [...], "chunks": [...],
    "unkeyed_tables": [...]}`` (the module's chunks action on that connection's source). A table that two
    sources both replicate into this replica (an aggregator whose primaries each write their rows into one
    table) holds the rows of both: it can equal neither source, so it is named, not compared.
    """
    seen = {}
    for cut in cuts:
        for table in cut.get("tables") or []:
            seen.setdefault(table, set()).add(cut["connection"]["name"].lower())
    merged = {table for table, names in seen.items() if len(names) > 1}
    work = []
    for cut in cuts:
        connection = cut["connection"]
        work.append({
            "connection": connection["name"], "source": connection["source"],
            "tables": [table for table in cut.get("tables") or [] if table not in merged],
            "merged_tables": sorted(table for table in cut.get("tables") or [] if table in merged),
            "unkeyed_tables": list(cut.get("unkeyed_tables") or []),
            # The source does not write their database to its binary log: the replica never gets their changes.
            "unlogged_tables": list(cut.get("unlogged_tables") or []),
            "chunks": [chunk for chunk in cut.get("chunks") or [] if chunk["table"] not in merged],
        })
    return work


def _range(difference):
    lower, upper = difference.get("lower"), difference.get("upper")
    return "keys %s to %s" % ("(start)" if lower is None else "> %s" % (lower,),
                              "(end)" if upper is None else "<= %s" % (upper,))


def report_lines(host, findings):
    """One line per compared connection, then one per difference, each naming what a repair takes."""
    lines = []
    for finding in findings or []:
        differences = finding.get("differences") or []
        unkeyed = finding.get("unkeyed_tables") or []
        merged = finding.get("merged_tables") or []
        unlogged = finding.get("unlogged_tables") or []
        lines.append("%s <- %s (connection '%s'): %d table(s) in %d chunk(s) compared, %s%s%s%s" % (
            host, finding["source"], finding["connection"], len(finding.get("tables") or []),
            finding.get("chunks", 0), "%d differ" % len(differences) if differences else "all equal",
            "; not compared, no primary or unique NOT NULL key: %s" % ", ".join(unkeyed) if unkeyed else "",
            "; not compared, other connections replicate into them too (rows of several sources meet there): %s"
            % ", ".join(merged) if merged else "",
            "; not compared, %s does not write them to its binary log, so they never reach this replica: %s"
            % (finding["source"], ", ".join(unlogged)) if unlogged else ""))
        for difference in differences:
            lines.append(
                "%s: %s %s differs from %s (%s rows there, %s here; %s). Repair: copy that range from %s (for example "
                "pt-table-sync), or reseed the connection with seed: always on its mariadb_sources entry"
                % (host, difference["table"], _range(difference), finding["source"], difference.get("source_rows"),
                   difference.get("replica_rows"), difference.get("reason", "checksums differ"), finding["source"]))
    return lines
