# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication connections: reading them, starting/stopping one of them, and reporting one.

Shared by every module that touches replication connections, so the SLAVE or
REPLICA wording and the shape of a status row are decided in one place.
"""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement


def show_all_connections(cursor, info):
    """Every replication connection as a dict keyed by the server's column names.

    ``SHOW ALL SLAVES STATUS`` is the only statement that lists named
    connections (plain ``SHOW SLAVE STATUS`` shows just the default one).
    """
    cursor.execute("SHOW ALL %sS STATUS" % info.replica_word)
    return list(cursor.fetchall())


def find_connection(connections, name):
    """The row of connection ``name``; names compare case-insensitively, as MariaDB does."""
    wanted = name.lower()
    for row in connections:
        if (row.get("Connection_name") or "").lower() == wanted:
            return row
    return None


def is_running(row):
    """True when either thread of the connection runs (START would be a no-op for it)."""
    return row is not None and (
        row.get("Slave_IO_Running") in ("Yes", "Connecting") or row.get("Slave_SQL_Running") == "Yes")


def start_connection(info, name):
    return Statement("START %s %%s" % info.replica_word, (name,))


def stop_connection(info, name):
    return Statement("STOP %s %%s" % info.replica_word, (name,))


def read_heartbeat_period(cursor, name):
    """Fallback for servers whose SHOW ALL SLAVES STATUS lacks Slave_heartbeat_period: the per-connection status."""
    cursor.execute("SET @@SESSION.default_master_connection = %s", (name,))
    try:
        cursor.execute("SHOW STATUS LIKE 'Slave_heartbeat_period'")
        found = cursor.fetchone()
    finally:
        cursor.execute("SET @@SESSION.default_master_connection = %s", ("",))
    return found["Value"] if found else None


def with_heartbeat(cursor, row, params):
    """The row, completed with the heartbeat period when it matters and the server's row lacks it."""
    if row is None or params.get("primary_heartbeat_period") is None or "Slave_heartbeat_period" in row:
        return row
    return dict(row, Slave_heartbeat_period=read_heartbeat_period(cursor, row.get("Connection_name") or ""))


# Returned key -> the status row's column, for the parts of a status worth returning.
COMPACT_STATUS_COLUMNS = (
    ("primary_host", "Master_Host"), ("primary_port", "Master_Port"), ("primary_user", "Master_User"),
    ("using_gtid", "Using_Gtid"), ("io_running", "Slave_IO_Running"), ("sql_running", "Slave_SQL_Running"),
    ("seconds_behind_primary", "Seconds_Behind_Master"), ("gtid_io_pos", "Gtid_IO_Pos"),
    ("last_io_errno", "Last_IO_Errno"), ("last_io_error", "Last_IO_Error"),
    ("last_sql_errno", "Last_SQL_Errno"), ("last_sql_error", "Last_SQL_Error"),
)


def compact_status(row):
    """The parts of a status row worth returning; {} when the connection does not exist."""
    if row is None:
        return {}
    status = dict(connection_name=row.get("Connection_name") or "")
    status.update((key, row.get(column)) for key, column in COMPACT_STATUS_COLUMNS)
    return status
