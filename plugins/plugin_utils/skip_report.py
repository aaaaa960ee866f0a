# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The skip playbook's decisions and text, without a server: whether a connection may be skipped on, what a skip
skips (a mariadb_multisource ``skipped_events`` result) as lines, and how the connection fares after it.

``connections`` is the ``connections`` list of a ``mariadb_replication_info`` result; MariaDB compares connection
names ignoring case, and so do these functions.
"""

from __future__ import annotations

import shlex

RERUN = "ansible-playbook -i INVENTORY replkit.mariadb.skip -e mariadb_skip_host=%s -e mariadb_skip_connection=%s"


def _named(connections, name):
    for row in connections or []:
        if str(row.get("connection_name")).lower() == str(name).lower():
            return row
    return None


def _label(name):
    return "the default connection ('')" if name == "" else "connection '%s'" % name


def _error(errno, message):
    return "%s: %s" % (errno, message) if errno else "none"


def skip_refusal(connections, host, name):
    """Why events of connection ``name`` on ``host`` are not skipped (empty when they may be).

    Refused: a connection the server does not have, and one whose SQL thread runs without an error (nothing
    stopped it, so there is nothing to skip).
    """
    row = _named(connections, name)
    if row is None:
        names = ", ".join("'%s'" % row.get("connection_name") for row in connections or []) or "none"
        return ("%s: has no replication connection named '%s' (mariadb_skip_connection); its connections are: %s. Set "
                "-e mariadb_skip_connection to one of them (names compare ignoring case; '' is the default connection)."
                % (host, name, names))
    if row.get("sql_running") == "Yes" and not row.get("last_sql_errno"):
        return ("%s: %s (mariadb_skip_connection) runs without an SQL error (io=%s sql=Yes), so there is nothing to skip "
                "and nothing was changed. Skip only on a connection that stopped on an error; a running connection that "
                "lags or has an IO error needs its source or network repaired, not a skip."
                % (host, _label(row.get("connection_name")), row.get("io_running")))
    return ""


def _event_line(event):
    return "    %s %s (server %s): %s" % (
        event.get("pos"), event.get("event_type"), event.get("server_id"), event.get("info") or "")


def skip_events_text(skipped, host):
    """The lines that show what a skip skips: the connection's error, then each event group with its events."""
    name = skipped.get("connection")
    groups = skipped.get("event_groups") or []
    error = _error(skipped.get("last_sql_errno"), skipped.get("last_sql_error"))
    lines = ["%s: %s stopped on SQL error %s" % (host, _label(name), error)]
    lines.append("%s: skipping %d event group(s) of %s (sql_slave_skip_counter = %s), read from its relay log from %s "
                 "position %s on:"
                 % (host, len(groups), _label(name), skipped.get("count"), skipped.get("relay_log_file"),
                    skipped.get("relay_log_pos")))
    for number, group in enumerate(groups, start=1):
        lines.append("  group %d of %d: GTID %s, %s event(s)%s, relay log %s at %s" % (
            number, len(groups), group.get("gtid") or "(none)", group.get("event_count"),
            "" if group.get("complete") else " read (the rest is not in the relay log yet)",
            group.get("relay_log_file"), group.get("relay_log_pos")))
        events = group.get("events") or []
        omitted = group.get("events_omitted") or 0
        lines += [_event_line(event) for event in events[:-1]] if omitted else [_event_line(event) for event in events]
        if omitted:
            lines.append("    ... %d event(s) not shown ..." % omitted)
            lines.append(_event_line(events[-1]))
    if not groups:
        lines.append("  (the events are not shown: the relay log could not be read at the connection's position; the "
                     "module's warning says why)")
    if skipped.get("pending_events"):
        lines.append("  and %s more event(s) of groups the source has not sent yet" % skipped["pending_events"])
    if skipped.get("parallel_mode"):
        lines.append("  %s applies in parallel (slave_parallel_mode=%s): it is set to none for the skip and back after it"
                     % (_label(name), skipped["parallel_mode"]))
    return lines


def skip_outcome(connections, host, name):
    """How connection ``name`` fares after a skip: ``state`` running (both threads, no error, caught up), stopped (its
    SQL thread stopped again) or waiting (anything else, for now); ``line`` says it for ``host``."""
    row = _named(connections, name)
    if row is None:
        return dict(state="stopped", line="%s: %s no longer exists." % (host, _label(name)))
    state = "io=%s sql=%s lag=%s s io_error=%s sql_error=%s gtid_io_pos=%s" % (
        row.get("io_running"), row.get("sql_running"), row.get("seconds_behind_primary"),
        _error(row.get("last_io_errno"), row.get("last_io_error")),
        _error(row.get("last_sql_errno"), row.get("last_sql_error")), row.get("gtid_io_pos") or "")
    label = _label(row.get("connection_name"))
    if row.get("sql_running") != "Yes":
        return dict(state="stopped", line=(
            "%s: %s stopped again: SQL error %s. The skipped events are gone; this is the next event the replica cannot "
            "apply. Repair the data (replkit.mariadb.checksum names what differs), or skip it too with: %s" % (
                host, label, _error(row.get("last_sql_errno"), row.get("last_sql_error")),
                RERUN % (shlex.quote(host), shlex.quote(row.get("connection_name") or "")))))
    delay = row.get("sql_delay") or 0
    lag = row.get("seconds_behind_primary")
    caught_up = lag is not None and lag <= delay + (1 if delay else 0)
    if row.get("io_running") == "Yes" and not row.get("last_io_errno") and not row.get("last_sql_errno") and caught_up:
        return dict(state="running", line="%s: %s runs and has caught up: %s" % (host, label, state))
    return dict(state="waiting", line="%s: %s has not caught up yet: %s" % (host, label, state))
