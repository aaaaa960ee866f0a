# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb filters of the day-2 operations; documented in the .yml files next to this file."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import TopologyError
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_operations import (
    OperationError, errant_transactions, inventory_source, plan_failover, plan_switchover, relay_log_applied, report,
    start_waits, without_links)


def _states(host_vars, hosts, register):
    """host -> the registered mariadb_replication_info result, for the hosts that read one without failing."""
    found = {}
    for host in hosts:
        result = host_vars[host].get(register) if host in host_vars else None
        if isinstance(result, Mapping) and not result.get("failed") and not result.get("skipped") \
                and "gtid_binlog_pos" in result:
            found[host] = dict(result)
    return found


def _run(function, *args):
    try:
        return function(*args)
    except (OperationError, TopologyError) as exc:
        raise AnsibleFilterError(str(exc)) from None


def topology_switchover(host_vars, hosts, groups, candidate, register):
    """The switchover to ``candidate``: the new plan, the inventory change and what to remove."""
    return _run(plan_switchover, host_vars, list(hosts), groups, candidate, _states(host_vars, hosts, register))


def topology_failover(host_vars, hosts, groups, failed, register, candidate=None):
    """The failover of the lost writer ``failed``: candidate, new plan, inventory change, possibly lost writes."""
    reachable = [host for host in hosts if host != failed]
    return _run(plan_failover, host_vars, list(hosts), groups, failed, _states(host_vars, reachable, register),
                candidate or None)


def errant_gtids(node_state, source_states):
    """The GTIDs a returning node wrote that none of its sources holds (rejoin refuses them)."""
    if not isinstance(node_state, Mapping):
        raise AnsibleFilterError("errant_gtids expects a mariadb_replication_info result as input, got %r"
                                 % (node_state,))
    return errant_transactions(node_state, [state for state in source_states if isinstance(state, Mapping)])


def link_waits(plan, host_vars, hosts, register):
    """The planned links whose replica is ahead of its source in a domain: they are started after a wait."""
    return start_waits(plan, _states(host_vars, hosts, register), list(hosts))


def relay_applied(status, connection):
    """True when the connection applied all it received; fails when it stopped on an SQL error."""
    if not isinstance(status, Mapping):
        raise AnsibleFilterError("relay_applied expects a mariadb_replication_info result as input, got %r" % (status,))
    applied, problem = relay_log_applied(status, connection)
    if problem and "error" in problem:
        raise AnsibleFilterError(problem)
    return applied


def plan_without_links(node, names):
    """A host's plan (mariadb_node) without the named connections: the ones an operation wires later, or never."""
    if not isinstance(node, Mapping) or "connections" not in node:
        raise AnsibleFilterError("plan_without_links expects a host's plan (mariadb_node) as input, got %r" % (node,))
    return without_links(node, list(names or []))


def operation_report(result):
    """The lines that tell what a switchover or failover did and the inventory change that describes it."""
    if not isinstance(result, Mapping) or "inventory_change" not in result:
        raise AnsibleFilterError("operation_report expects the result of topology_switchover or topology_failover, "
                                 "got %r" % (result,))
    return report(result)


def operation_inventory(result, group="mariadb", with_variables=True):
    """The inventory change of a switchover or failover as an inventory source, to give after the inventory."""
    if not isinstance(result, Mapping) or "inventory_change" not in result:
        raise AnsibleFilterError("operation_inventory expects the result of topology_switchover or topology_failover, "
                                 "got %r" % (result,))
    return inventory_source(result, group, bool(with_variables))


class FilterModule:
    """replkit.mariadb filters."""

    def filters(self):
        return {"topology_switchover": topology_switchover, "topology_failover": topology_failover,
                "errant_gtids": errant_gtids, "link_waits": link_waits,
                "relay_applied": relay_applied, "plan_without_links": plan_without_links,
                "operation_report": operation_report, "operation_inventory": operation_inventory}
