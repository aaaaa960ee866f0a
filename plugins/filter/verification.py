# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb verification filters; their documentation is in the .yml files next to this file."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.verification import (
    VerificationError, catch_up_target, connection_problems)


def verify_connection_problems(planned, status):
    """One line per planned connection that is missing or broken, from a mariadb_replication_info result."""
    if not isinstance(status, Mapping) or not isinstance(status.get("connections"), list):
        raise AnsibleFilterError("verify_connection_problems expects a mariadb_replication_info result as argument, "
                                 "got %r" % (status,))
    return connection_problems(list(planned or []), status["connections"])


def verify_catch_up(node, host, host_vars, hosts, status_var, delayed_wait_limit=30):
    """The GTID position ``host`` must reach: its sources' binary log positions as read by ``status_var``."""
    if not isinstance(node, Mapping):
        raise AnsibleFilterError("verify_catch_up expects this host's plan (mariadb_node) as input, got %r" % (node,))
    statuses = {}
    for name in hosts:
        result = host_vars[name].get(status_var) if name in host_vars else None
        if isinstance(result, Mapping) and not result.get("failed") and "gtid_binlog_pos" in result:
            statuses[name] = result
    try:
        return catch_up_target(host, node, statuses, int(delayed_wait_limit))
    except VerificationError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """replkit.mariadb verification filters."""

    def filters(self):
        return {"verify_connection_problems": verify_connection_problems, "verify_catch_up": verify_catch_up}
