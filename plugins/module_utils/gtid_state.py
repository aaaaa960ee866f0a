# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the server's GTID positions and setting gtid_slave_pos around running replication.

MariaDB refuses to set gtid_slave_pos while a connection runs; these helpers stop what runs, set the
position, and start again exactly the threads that ran. Shared by mariadb_gtid_pos and mariadb_seed.
"""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import (
    GtidError, format_gtid_pos, merge_gtid_pos, parse_gtid_pos, same_gtid_pos)
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    Statement, execute, execute_or_fail, fetch_global_variables)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import (
    is_running, show_all_connections, start_connection, stop_connection)

POSITION_VARIABLES = ("gtid_binlog_pos", "gtid_current_pos", "gtid_slave_pos")


def start_threads(info, name, row):
    """Start again exactly the threads of ``row`` that ran: both, or only the IO or the SQL thread."""
    io_ran = row.get("Slave_IO_Running") in ("Yes", "Connecting")
    sql_ran = row.get("Slave_SQL_Running") == "Yes"
    if io_ran and sql_ran:
        return start_connection(info, name)
    return Statement("START %s %%s %s" % (info.replica_word, "IO_THREAD" if io_ran else "SQL_THREAD"), (name,))


def set_global_gtid_slave_pos(position):
    return Statement("SET GLOBAL gtid_slave_pos = %s", (position,))


def read_positions(module, cursor):
    """The three position variables as strings, and parsed."""
    found = fetch_global_variables(cursor, POSITION_VARIABLES)
    texts = {name: found.get(name) or "" for name in POSITION_VARIABLES}
    try:
        parsed = {name: parse_gtid_pos(texts[name]) for name in POSITION_VARIABLES}
    except GtidError as exc:
        module.fail_json(msg="The server returned a GTID position this module cannot read: %s" % exc)
    return texts, parsed


def plan_slave_pos(module, cursor, info, current, wanted, mode="merge", stop_replication=True):
    """The desired position and the statements that set it; None when nothing changes."""
    desired = merge_gtid_pos(current, wanted, mode)
    if same_gtid_pos(current, desired):
        return None
    running = [row for row in show_all_connections(cursor, info) if is_running(row)]
    names = [row.get("Connection_name") or "" for row in running]
    if running and not stop_replication:
        module.fail_json(
            msg="Cannot set gtid_slave_pos: MariaDB refuses while replication runs, and stop_replication is false. "
                "Running connection(s): %s. Stop them first or set stop_replication: true; nothing was changed."
                % ", ".join(repr(name) for name in names),
            running_connections=names)
    return dict(
        desired=format_gtid_pos(desired),
        stops=[stop_connection(info, name) for name in names],
        starts=[start_threads(info, name, row) for name, row in zip(names, running)],
        names=names,
    )


def merge_into_slave_pos(module, cursor, info, wanted):
    """Merge ``wanted`` (parsed) into gtid_slave_pos per domain, around running replication; returns the
    gtid_slave_pos after it and the queries run (masked), none when it already held the position."""
    texts, positions = read_positions(module, cursor)
    plan = plan_slave_pos(module, cursor, info, positions["gtid_slave_pos"], wanted)
    if not plan:
        return texts["gtid_slave_pos"], []
    apply_slave_pos(module, cursor, plan)
    queries = [statement.masked() for statement in
               plan["stops"] + [set_global_gtid_slave_pos(plan["desired"])] + plan["starts"]]
    texts, positions = read_positions(module, cursor)
    return texts["gtid_slave_pos"], queries


def apply_slave_pos(module, cursor, plan):
    """Stop, set, start again; on a failure, restart what was stopped before failing."""
    stopped = []
    for stop, name in zip(plan["stops"], plan["names"]):
        try:
            execute(cursor, stop)
        except Exception as exc:  # PyMySQL raises several unrelated types
            restart_then_fail(module, cursor, plan, stopped, "stop replication connection %r (%s): %s" % (
                name, stop.masked(), exc))
        stopped.append(name)
    statement = set_global_gtid_slave_pos(plan["desired"])
    try:
        execute(cursor, statement)
    except Exception as exc:  # PyMySQL raises several unrelated types
        restart_then_fail(module, cursor, plan, stopped, "set gtid_slave_pos (%s): %s" % (statement.masked(), exc))
    for start, name in zip(plan["starts"], plan["names"]):
        execute_or_fail(module, cursor, start,
                        "start replication connection %r again after setting gtid_slave_pos" % name,
                        "gtid_slave_pos was set; check the connection with mariadb_replication_info and start it by hand.")


def restart_then_fail(module, cursor, plan, stopped, failure):
    problems = []
    for start, name in zip(plan["starts"], plan["names"]):
        if name in stopped:
            try:
                execute(cursor, start)
            except Exception as exc:  # PyMySQL raises several unrelated types
                problems.append("%r could not be started again: %s" % (name, exc))
    module.fail_json(msg="Failed to %s. gtid_slave_pos was not changed; the connections stopped for it were started "
                         "again%s. Check the value and the server's error log."
                         % (failure, (" except: " + "; ".join(problems)) if problems else ""))
