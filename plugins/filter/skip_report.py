# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb filters of the skip playbook; documented in the .yml files here."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.skip_report import (
    skip_events_text as events_lines, skip_outcome as outcome, skip_refusal as refusal)


def _connections(filter_name, status):
    """The connection rows of a mariadb_replication_info result."""
    rows = status.get("connections") if isinstance(status, Mapping) else None
    if not isinstance(rows, list):
        raise AnsibleFilterError("%s expects a mariadb_replication_info result with its connections list as input, "
                                 "got %r" % (filter_name, status))
    return rows


def _name(filter_name, name):
    if not isinstance(name, str):
        raise AnsibleFilterError("%s expects the connection name as a string (mariadb_skip_connection), got %r"
                                 % (filter_name, name))
    return name


def skip_refusal(status, host, name):
    """Why events of the connection are not skipped; empty when they may be."""
    return refusal(_connections("skip_refusal", status), str(host), _name("skip_refusal", name))


def skip_events_text(skipped, host):
    """The lines showing what a skip skips."""
    if not isinstance(skipped, Mapping) or "event_groups" not in skipped:
        raise AnsibleFilterError("skip_events_text expects the skipped_events of a mariadb_multisource result with "
                                 "skip_events as input, got %r" % (skipped,))
    return events_lines(skipped, str(host))


def skip_outcome(status, host, name):
    """How the connection fares after the skip: state (running, stopped, waiting) and a line."""
    return outcome(_connections("skip_outcome", status), str(host), _name("skip_outcome", name))


class FilterModule:
    """replkit.mariadb skip filters."""

    def filters(self):
        return {"skip_refusal": skip_refusal, "skip_events_text": skip_events_text, "skip_outcome": skip_outcome}
