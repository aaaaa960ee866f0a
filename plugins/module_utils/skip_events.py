# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Skipping events of one replication connection: what it skips, the statements, and waiting for it.

Only the named connection is stopped and started. ``sql_slave_skip_counter`` applies to the session's
``default_master_connection``. MariaDB refuses it (error 1966) on a GTID connection that applies in parallel
while ``gtid_slave_pos`` has more than one domain - every multi-source aggregator - so such a connection is
switched to serial apply (its own ``slave_parallel_mode``, a per-connection variable) for the skip, and back
once the skip is done, which stops its SQL thread for a moment once more.
"""

from __future__ import annotations

import time

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import GtidError, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement, execute
from ansible_collections.replkit.mariadb.plugins.module_utils.relay_log import (
    RelayLogError, complete_groups, counter_for_groups, group_report, groups_skipped, read_relay_events,
    split_groups, unapplied_groups)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import (
    find_connection, show_all_connections, start_connection, stop_connection)

POLL_SECONDS = 0.2


def default_connection(name):
    return Statement("SET @@SESSION.default_master_connection = %s", (name,))


def read_skip_settings(cursor, name):
    """The server's and connection ``name``'s settings a skip depends on (per-connection ones through
    default_master_connection)."""
    execute(cursor, default_connection(name))
    try:
        rows = execute(cursor, Statement(
            "SELECT @@GLOBAL.server_id AS server_id, @@GLOBAL.gtid_slave_pos AS gtid_slave_pos, "
            "@@GLOBAL.slave_parallel_threads AS parallel_threads, @@GLOBAL.slave_parallel_mode AS parallel_mode, "
            "@@GLOBAL.sql_slave_skip_counter AS skip_counter"))
    finally:
        execute(cursor, default_connection(""))
    found = rows[0] if rows else {}
    return dict(server_id=int(found.get("server_id") or 0), gtid_slave_pos=found.get("gtid_slave_pos") or "",
                parallel_threads=int(found.get("parallel_threads") or 0),
                parallel_mode=str(found.get("parallel_mode") or "none").lower(),
                skip_counter=int(found.get("skip_counter") or 0))


def uses_gtid(row):
    return row is not None and str(row.get("Using_Gtid") or "No").lower() != "no"


def serial_mode_to_restore(row, settings):
    """The connection's slave_parallel_mode to restore after a serial skip, or None when it skips as it is.

    MariaDB refuses sql_slave_skip_counter on a GTID connection applying in parallel when gtid_slave_pos has
    several domains (ER_SLAVE_SKIP_NOT_IN_GTID); the same condition decides here.
    """
    if not uses_gtid(row) or settings["parallel_threads"] <= 0 or settings["parallel_mode"] == "none":
        return None
    try:
        domains = len(parse_gtid_pos(settings["gtid_slave_pos"]))
    except GtidError:
        domains = 2
    return settings["parallel_mode"] if domains > 1 else None


def skip_statements(info, name, counter, serial_mode=None):
    """Stop the connection, set its skip counter (in serial mode when needed), start it again."""
    statements = [stop_connection(info, name), default_connection(name)]
    if serial_mode:
        statements.append(Statement("SET GLOBAL slave_parallel_mode = %s", ("none",)))
    statements += [Statement("SET GLOBAL sql_slave_skip_counter = %s", (int(counter),)), start_connection(info, name),
                   default_connection("")]
    return statements


def restore_statements(info, name, serial_mode, sql_running=True):
    """The connection's parallel mode back after the skip; its SQL thread stopped for it only when it runs."""
    if not serial_mode:
        return []
    word = info.replica_word
    pause = [Statement("STOP %s %%s SQL_THREAD" % word, (name,))] if sql_running else []
    resume = [Statement("START %s %%s SQL_THREAD" % word, (name,))] if sql_running else []
    return ([default_connection(name)] + pause + [Statement("SET GLOBAL slave_parallel_mode = %s", (serial_mode,))]
            + resume + [default_connection("")])


def _enough(wanted_groups, counter, gtid_slave_pos):
    """When the reading has what the preview needs: the wanted groups, or the groups the counter reaches."""
    def enough(events):
        if wanted_groups is not None:
            return complete_groups(events, gtid_slave_pos) >= wanted_groups
        groups = split_groups(events)
        if gtid_slave_pos is not None:
            groups = unapplied_groups(groups, gtid_slave_pos)
        return groups_skipped(groups, counter)[1] == 0
    return enough


def preview(cursor, name, row, settings, wanted_groups=None, count=None):
    """What the skip skips: the connection's error and the event groups the counter reaches, read from its relay log.

    Returns (report, counter, problem): ``counter`` is None when ``wanted_groups`` cannot be turned into one (the
    relay log does not hold the groups before the last); ``problem`` says why the relay log could not be read.
    """
    known = row or {}
    report = dict(last_sql_errno=known.get("Last_SQL_Errno") or 0, last_sql_error=known.get("Last_SQL_Error") or "",
                  relay_log_file=known.get("Relay_Log_File"), relay_log_pos=known.get("Relay_Log_Pos"),
                  event_groups=[], complete=False, pending_events=None)
    problem, groups, whole = None, [], False
    applied = settings["gtid_slave_pos"] if uses_gtid(row) else None
    if row is None:
        problem = "the connection does not exist yet"
    else:
        try:
            events, whole = read_relay_events(cursor, name, report["relay_log_file"], report["relay_log_pos"],
                                              settings["server_id"], _enough(wanted_groups, count, applied))
            groups = split_groups(events)
            groups = unapplied_groups(groups, applied) if applied is not None else groups
        except RelayLogError as exc:
            problem = str(exc)
    counter = count if wanted_groups is None else counter_for_groups(groups, wanted_groups)
    if counter is not None:
        skipped, left = groups_skipped(groups, counter)
        report.update(event_groups=[group_report(group) for group in skipped], pending_events=left,
                      complete=problem is None and left == 0)
    elif problem is None:
        problem = "its relay log holds %d complete event group(s) after the connection's position%s" % (
            len([group for group in groups if group["complete"]]),
            "" if whole else " within the first events read")
    return report, counter, problem


def wait_for_skip(cursor, info, name, timeout, clock=None, sleep=None):
    """Wait until connection ``name`` took its skip (its skip counter back to 0) or its SQL thread stopped.

    Returns (events still to skip, the connection's status row).
    """
    clock, sleep = clock or time.monotonic, sleep or time.sleep
    deadline = clock() + timeout
    while True:
        left = read_skip_settings(cursor, name)["skip_counter"]
        row = find_connection(show_all_connections(cursor, info), name)
        if left == 0 or row is None or row.get("Slave_SQL_Running") != "Yes" or clock() >= deadline:
            return left, row
        sleep(POLL_SECONDS)
