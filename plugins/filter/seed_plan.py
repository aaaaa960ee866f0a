# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb.seed_plan filter; its documentation is in seed_plan.yml next to this file."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.plugin_utils.seeding import DEFAULT_METHOD, SeedPlanError, plan_seeding


def seed_plan(topology, facts, default_method=DEFAULT_METHOD):
    """Plan which replica is seeded from which source, in rounds; fail listing every problem."""
    if not isinstance(topology, Mapping) or not isinstance(facts, Mapping):
        raise AnsibleFilterError("seed_plan expects the topology plan as input and the servers' facts as argument, "
                                 "got %s and %s; use it as: mariadb_topology_plan | replkit.mariadb.seed_plan(facts)"
                                 % (type(topology).__name__, type(facts).__name__))
    try:
        return plan_seeding(topology, facts, default_method)
    except SeedPlanError as exc:
        raise AnsibleFilterError("Seeding cannot be planned:\n" + str(exc)) from None


def seed_step_text(entry):
    """One line for a step or a skipped connection of seed_plan, for the play's output."""
    if not isinstance(entry, Mapping):
        raise AnsibleFilterError("seed_step_text expects a step or skipped entry of seed_plan, got %r" % (entry,))
    where = "%s <- %s (connection %r)" % (entry.get("replica"), entry.get("source"), entry.get("connection"))
    if "reason" in entry:
        return "%s - not seeded, %s" % (where, entry["reason"])
    what = ", ".join(entry.get("databases") or []) or "the whole server"
    forced = " (forced)" if entry.get("force") else ""
    return "%s - round %s, %s%s of %s" % (where, entry.get("round"), entry.get("method"), forced, what)


class FilterModule:
    """replkit.mariadb seeding filters."""

    def filters(self):
        return {"seed_plan": seed_plan, "seed_step_text": seed_step_text}
