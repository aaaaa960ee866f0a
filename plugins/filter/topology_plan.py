# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb.topology_plan filter; its documentation is in topology_plan.yml next to this file."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import TopologyError, plan_topology


def topology_plan(host_vars, hosts=None, groups=None):
    """Plan the replication topology of ``hosts`` from their variables; fail listing every problem.

    ``groups`` (Ansible's ``groups``) lets the planner tell a group named where a host belongs.
    """
    if not isinstance(host_vars, Mapping):
        raise AnsibleFilterError("topology_plan expects hostvars (or a mapping of host name to variables) as input, "
                                 "got %s; use it as: hostvars | replkit.mariadb.topology_plan(ansible_play_hosts_all)"
                                 % type(host_vars).__name__)
    if hosts is not None and (isinstance(hosts, (str, bytes)) or not hasattr(hosts, "__iter__")):
        raise AnsibleFilterError("topology_plan's hosts argument must be a list of host names, got %r; pass for "
                                 "example ansible_play_hosts_all or groups['all']" % (hosts,))
    if groups is not None and (isinstance(groups, (str, bytes)) or not hasattr(groups, "__iter__")):
        raise AnsibleFilterError("topology_plan's groups argument must be the inventory's groups (groups), got %r"
                                 % (groups,))
    try:
        return plan_topology(host_vars, None if hosts is None else list(hosts), groups)
    except TopologyError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    """replkit.mariadb filters."""

    def filters(self):
        return {"topology_plan": topology_plan}
