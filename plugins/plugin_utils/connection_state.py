# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's planned connections compared with the connections its server runs, without a server.

``planned`` is a host's ``mariadb_node.connections`` (from the topology plan); ``rows`` is the
``connections`` list of a ``mariadb_replication_info`` result. MariaDB compares connection names
ignoring case, so these comparisons do too. Also: what the topology role's purge removes, and the
lines that name the connections it left alone.
"""

from __future__ import annotations


def _lower(value):
    return str(value).lower()


def _row_named(rows, name):
    """The first status row of the connection ``name``, None when the server has no such connection."""
    for row in rows or []:
        if _lower(row.get("connection_name")) == _lower(name):
            return row
    return None


def _error_text(errno, message):
    return "%s %s" % (errno, message) if errno else "none"


def connections_not_ready(planned, rows, max_lag):
    """One line per planned connection that is missing, not running cleanly, or lagging more than allowed.

    A connection may lag ``max_lag`` seconds; a delayed one its ``MASTER_DELAY`` more, plus one second,
    since MariaDB counts the delay in whole seconds of the clock. A lag the server cannot estimate
    (``null``: a thread does not run) is never caught up. Empty when every connection is ready.
    """
    report = []
    for connection in planned or []:
        row = _row_named(rows, connection["name"])
        if row is None:
            report.append("'%s' (from %s): missing" % (connection["name"], connection["source"]))
            continue
        delay = row.get("sql_delay") or 0
        allowed = delay + (1 if delay > 0 else 0) + max_lag
        lag = row.get("seconds_behind_primary")
        if row.get("healthy") and lag is not None and lag <= allowed:
            continue
        report.append("'%s' (from %s): io=%s sql=%s lag=%s s (allowed %s s) io_error=%s sql_error=%s" % (
            connection["name"], connection["source"], row.get("io_running"), row.get("sql_running"),
            lag, allowed, _error_text(row.get("last_io_errno"), row.get("last_io_error")),
            _error_text(row.get("last_sql_errno"), row.get("last_sql_error"))))
    return report


def connections_renamed(planned, rows):
    """One line per running connection that replicates from a planned source's address and port under another name.

    MariaDB allows one connection per source address, so wiring the planned name next to it would fail.
    """
    found = []
    for connection in planned or []:
        for row in rows or []:
            if (_lower(row.get("primary_host")) == _lower(connection["primary_host"])
                    and row.get("primary_port") == connection["primary_port"]
                    and _lower(row.get("connection_name")) != _lower(connection["name"])):
                found.append("connection '%s' already replicates from %s:%s, which the plan names '%s'"
                             % (row.get("connection_name"), row.get("primary_host"), row.get("primary_port"),
                                connection["name"]))
    return found


PURGE_MODES = ("managed", "all", "none")
# topology_purge was a boolean before 0.5.0: true removed every unlisted connection, false none.
PURGE_ALIASES = {"true": "all", "false": "none"}


def purge_mode(value):
    """``managed``, ``all`` or ``none`` for a ``topology_purge`` value; true and false mean all and none.

    Raises ValueError for anything else.
    """
    if isinstance(value, bool):
        return "all" if value else "none"
    text = value.strip().lower() if isinstance(value, str) else None
    if text in PURGE_MODES:
        return text
    if text in PURGE_ALIASES:
        return PURGE_ALIASES[text]
    raise ValueError("topology_purge must be one of managed (remove only the connections made with "
                     "mariadb_replication_user), all, none, or true/false (the same as all/none), got %r" % (value,))


def connections_left_alone(unmanaged, mode, replication_user):
    """One line per connection the wiring left in place although the plan does not list it, saying why.

    ``unmanaged`` is the ``unmanaged_connections`` list of a ``mariadb_multisource`` result; ``mode`` the purge
    mode it ran with; ``replication_user`` the account the collection wires every connection with.
    """
    lines = []
    for row in unmanaged or []:
        name = row.get("name") or ""
        what = "connection '%s' (from %s:%s as user '%s')" % (
            name, row.get("primary_host"), row.get("primary_port"), row.get("primary_user"))
        own = row.get("primary_user") == replication_user
        if not name:
            lines.append("the default %s is not in the plan and is never purged: remove it with "
                         "replkit.mariadb.mariadb_change_master state=absent if it is not needed" % what)
        elif mode == "none":
            lines.append("%s is not in the plan and was left alone (topology_purge: none)%s" % (
                what, "; it uses mariadb_replication_user, so topology_purge: managed would remove it" if own else ""))
        elif not own:
            lines.append("%s is not in the plan and was not made by replkit.mariadb (its user is not "
                         "mariadb_replication_user '%s'): left alone; remove it yourself (RESET SLAVE '%s' ALL) "
                         "if it is not needed" % (what, replication_user, name.replace("'", "''")))
        else:
            lines.append("%s is not in the plan and was left alone" % what)
    return lines
