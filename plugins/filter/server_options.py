# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb.server_option_settings filter; its documentation is in server_option_settings.yml."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.server_options import (
    ServerOptionsError, binlog_filters_missing, restart_batch, server_option_settings as plan_settings,
    socket_unit_listens)


def server_option_settings(node, host, previous_text="", binlog_format="ROW", log_bin_basename="mariadb-bin",
                           relay_log="relay-bin", extra=None, crash_safe=True):
    """The drop-in file's settings and the running values to match, from a host's plan."""
    if not isinstance(node, Mapping):
        raise AnsibleFilterError("server_option_settings expects this host's plan (mariadb_node) as input, got %r"
                                 % (node,))
    if extra is not None and not isinstance(extra, Mapping):
        raise AnsibleFilterError("%s: server_extra_settings must be a mapping of setting name to value, got %r"
                                 % (host, extra))
    try:
        return plan_settings(host, node, (previous_text or "").splitlines(), binlog_format, log_bin_basename,
                             relay_log, extra, bool(crash_safe))
    except ServerOptionsError as exc:
        raise AnsibleFilterError(str(exc)) from None


def server_restart_batch(plan, writable=True):
    """How many writers (or read-only nodes, ``writable=False``) of the topology plan restart at once."""
    if not isinstance(plan, Mapping):
        raise AnsibleFilterError("server_restart_batch expects the topology plan (mariadb_topology_plan), got %r"
                                 % (plan,))
    return restart_batch(plan, writable)


def socket_unit_follows(show_lines, port, unix_socket):
    """Whether the socket unit of ``systemctl show --property=Listen`` lines listens on ``port`` and ``unix_socket``."""
    if not isinstance(show_lines, list):
        raise AnsibleFilterError("socket_unit_follows expects the lines of systemctl show --property=Listen, got %r"
                                 % (show_lines,))
    return socket_unit_listens(show_lines, port, unix_socket)


def server_binlog_filters_pending(node, info):
    """The planned binlog_do_db/binlog_ignore_db lines the running server (its replication_info result) lacks."""
    if not isinstance(node, Mapping):
        raise AnsibleFilterError("server_binlog_filters_pending expects this host's plan (mariadb_node) as input, got %r"
                                 % (node,))
    if not isinstance(info, Mapping) or not info.get("log_bin") or "binlog_ignore_db" not in info:
        return []
    return binlog_filters_missing(node, {"do": list(info.get("binlog_do_db") or []),
                                         "ignore": list(info.get("binlog_ignore_db") or [])})


class FilterModule:
    """replkit.mariadb server option filters."""

    def filters(self):
        return {"server_option_settings": server_option_settings, "server_restart_batch": server_restart_batch,
                "socket_unit_follows": socket_unit_follows,
                "server_binlog_filters_pending": server_binlog_filters_pending}
