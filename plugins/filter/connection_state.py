# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb filters comparing planned connections with running ones; documented in the .yml files here."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.connection_state import (
    PURGE_MODES, connections_left_alone as left_alone_lines, connections_not_ready as not_ready_lines,
    connections_renamed as renamed_lines, purge_mode as purge_mode_of)


def _planned(filter_name, planned):
    if planned is None or isinstance(planned, (str, bytes, Mapping)) or not hasattr(planned, "__iter__"):
        raise AnsibleFilterError("%s expects a host's planned connections (mariadb_node.connections) as input, got %r"
                                 % (filter_name, planned))
    return list(planned)


def _status_rows(filter_name, status, rows_required):
    """The connection rows of a mariadb_replication_info result; a failed read has none."""
    if not isinstance(status, Mapping):
        raise AnsibleFilterError("%s expects a mariadb_replication_info result as argument, got %r"
                                 % (filter_name, status))
    rows = status.get("connections")
    if rows is None and not rows_required:
        return []
    if not isinstance(rows, list):
        raise AnsibleFilterError("%s expects a mariadb_replication_info result with its connections list as "
                                 "argument, got %r" % (filter_name, status))
    return rows


def connections_not_ready(planned, status, max_lag=0):
    """One line per planned connection that is missing, not running cleanly, or lagging more than allowed."""
    try:
        seconds = None if isinstance(max_lag, bool) else int(max_lag)
    except (TypeError, ValueError):
        seconds = None
    if seconds is None:
        raise AnsibleFilterError("connections_not_ready's max_lag must be a whole number of seconds "
                                 "(topology_max_lag), got %r" % (max_lag,))
    return not_ready_lines(_planned("connections_not_ready", planned),
                           _status_rows("connections_not_ready", status, rows_required=False), seconds)


def connections_renamed(planned, status):
    """One line per running connection that replicates from a planned source under another name."""
    return renamed_lines(_planned("connections_renamed", planned),
                         _status_rows("connections_renamed", status, rows_required=True))


def purge_mode(value):
    """managed, all or none for a topology_purge value (true and false: all and none)."""
    try:
        return purge_mode_of(value)
    except ValueError as exc:
        raise AnsibleFilterError("purge_mode: %s" % exc) from None


def connections_left_alone(unmanaged, mode, replication_user):
    """One line per unlisted connection the wiring left in place, saying why."""
    rows = None
    if unmanaged is not None and not isinstance(unmanaged, (str, bytes, Mapping)) and hasattr(unmanaged, "__iter__"):
        rows = list(unmanaged)
    if rows is None or not all(isinstance(row, Mapping) for row in rows):
        raise AnsibleFilterError("connections_left_alone expects the unmanaged_connections list of a "
                                 "mariadb_multisource result as input, got %r" % (unmanaged,))
    if mode not in PURGE_MODES:
        raise AnsibleFilterError("connections_left_alone expects the purge mode (one of %s) as its first argument, "
                                 "got %r" % (", ".join(PURGE_MODES), mode))
    if not isinstance(replication_user, str):
        raise AnsibleFilterError("connections_left_alone expects the replication user (mariadb_replication_user) as "
                                 "its second argument, got %r" % (replication_user,))
    return left_alone_lines(rows, mode, replication_user)


class FilterModule:
    """replkit.mariadb connection state filters."""

    def filters(self):
        return {"connections_not_ready": connections_not_ready, "connections_renamed": connections_renamed,
                "purge_mode": purge_mode, "connections_left_alone": connections_left_alone}
