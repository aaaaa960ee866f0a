# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication connections: reading them and starting/stopping one of them.

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
