# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb checksum filters; their documentation is in the .yml files next to this file."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.checksum_plan import (
    ChecksumPlanError, comparison_work, connections_new_this_run as new_connection_names, report_lines,
    select_connections)


def checksum_selection(planned, names=None, delayed_wait_limit=30, writable=False, include_writable=False):
    """The planned connections to compare and the lines naming those left out."""
    if planned is None or isinstance(planned, (str, dict)):
        raise AnsibleFilterError("checksum_selection expects a host's planned connections (mariadb_node.connections), "
                                 "got %r" % (planned,))
    try:
        return select_connections(list(planned), names, int(delayed_wait_limit), bool(writable),
                                  bool(include_writable))
    except ChecksumPlanError as exc:
        raise AnsibleFilterError(str(exc)) from None


def checksum_work(cut_results):
    """From the registered results of the chunks action (one per connection, looped), what each compares."""
    if not isinstance(cut_results, list):
        raise AnsibleFilterError("checksum_work expects the results list of the looped chunks task, got %r"
                                 % (cut_results,))
    try:
        cuts = [dict(result, connection=result["checksum_connection"]) for result in cut_results]
    except (KeyError, TypeError):
        raise AnsibleFilterError("checksum_work: each result needs its loop item under checksum_connection "
                                 "(loop_control.loop_var)") from None
    return comparison_work(cuts)


def checksum_report(findings, host):
    """The comparison's report, one line per connection and per differing key range."""
    if findings is None or isinstance(findings, (str, dict)):
        raise AnsibleFilterError("checksum_report expects the checksum role's findings (a list), got %r" % (findings,))
    return report_lines(host, list(findings))


def _list_of(result, key, filter_name, what):
    """``result[key]`` as a list; a result without it (a skipped task, no seeding) has none."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError("%s expects %s, got %r" % (filter_name, what, result))
    rows = result.get(key)
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise AnsibleFilterError("%s expects %s with a %s list, got %r" % (filter_name, what, key, result))
    return rows


def connections_new_this_run(seed_plan, wiring, host):
    """The host's connections this run seeded or wired anew or changed, each name once."""
    if not isinstance(host, str):
        raise AnsibleFilterError("connections_new_this_run expects the host's name (inventory_hostname) as its second "
                                 "argument, got %r" % (host,))
    return new_connection_names(
        host, _list_of(seed_plan, "steps", "connections_new_this_run", "the seeding plan (mariadb_seed_plan) as input"),
        _list_of(wiring, "connections", "connections_new_this_run",
                 "the registered mariadb_multisource result (topology_wiring) as argument"))


class FilterModule:
    """replkit.mariadb checksum filters."""

    def filters(self):
        return {"checksum_selection": checksum_selection, "checksum_report": checksum_report,
                "checksum_work": checksum_work, "connections_new_this_run": connections_new_this_run}
