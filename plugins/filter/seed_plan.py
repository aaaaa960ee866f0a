# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb.seed_plan filter; its documentation is in seed_plan.yml next to this file."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.module_utils.seed_state import describe_unfinished, unfinished_seeds
from ansible_collections.replkit.mariadb.plugins.plugin_utils.seeding import (
    DEFAULT_METHOD, SeedPlanError, backup_copy_text, plan_seeding)

BACKUP_JOB_KEYS = ("bytes", "seconds", "rate_mb_s", "gtid_pos")
BACKUP_RECEIVE_KEYS = ("prepare_seconds",)
BACKUP_RESTORE_KEYS = ("gtid_slave_pos", "previous_datadir")


def seed_plan(topology, facts, default_method=DEFAULT_METHOD, non_transactional="fail", rebuild=None):
    """Plan which replica is seeded from which source, in rounds; fail listing every problem."""
    if not isinstance(topology, Mapping) or not isinstance(facts, Mapping):
        raise AnsibleFilterError("seed_plan expects the topology plan as input and the servers' facts as argument, "
                                 "got %s and %s; use it as: mariadb_topology_plan | replkit.mariadb.seed_plan(facts)"
                                 % (type(topology).__name__, type(facts).__name__))
    try:
        return plan_seeding(topology, facts, default_method, non_transactional, rebuild or None)
    except SeedPlanError as exc:
        raise AnsibleFilterError("Seeding cannot be planned:\n" + str(exc)) from None


def seed_facts(host_vars, hosts, info_var):
    """host -> {databases, non_transactional_tables, connections, unfinished_seeds} for seed_plan.

    ``info_var`` names each host's registered mariadb_replication_info result (read with its seed_state_file).
    """
    facts = {}
    for host in hosts:
        variables = host_vars[host]
        info = variables.get(info_var) if info_var in variables else None
        if not isinstance(info, Mapping) or "databases" not in info:
            raise AnsibleFilterError(
                "seed_facts: %s has no %s result with databases: it failed or skipped the read, or was left out with "
                "--limit. Seeding is planned from every host of the topology: run without --limit (or set "
                "mariadb_site_seed=false to skip seeding)" % (host, info_var))
        facts[host] = {"databases": list(info["databases"]),
                       "non_transactional_tables": list(info.get("non_transactional_tables") or []),
                       "connections": [row["connection_name"] for row in info.get("connections") or []],
                       "unfinished_seeds": unfinished_seeds(dict(info.get("unfinished_seeds") or {}))}
        # The running server's binary-log filters, where it has a binary log (without one it reports none).
        if info.get("log_bin") and "binlog_ignore_db" in info:
            facts[host]["binlog_filters"] = {"do": list(info.get("binlog_do_db") or []),
                                             "ignore": list(info.get("binlog_ignore_db") or [])}
    return facts


def unfinished_seed_connections(state, connections):
    """One line per planned connection whose seed the state (connection -> entry) records as unfinished."""
    if state is None:
        state = {}
    if not isinstance(state, Mapping):
        raise AnsibleFilterError("unfinished_seed_connections expects a seed state (connection -> entry), got %r"
                                 % (state,))
    unfinished = unfinished_seeds(dict(state))
    return [describe_unfinished(connection["name"], unfinished[connection["name"].lower()])
            for connection in connections or [] if connection["name"].lower() in unfinished]


def seed_step_text(entry):
    """One line for a step or a skipped connection of seed_plan, for the play's output."""
    if not isinstance(entry, Mapping):
        raise AnsibleFilterError("seed_step_text expects a step or skipped entry of seed_plan, got %r" % (entry,))
    where = "%s <- %s (connection %r)" % (entry.get("replica"), entry.get("source"), entry.get("connection"))
    unlogged = ("; not copied, %s does not write them to its binary log, so they never reach the replica: %s"
                % (entry.get("source"), ", ".join(entry["unlogged"])) if entry.get("unlogged") else "")
    if "reason" in entry:
        return "%s - not seeded, %s%s" % (where, entry["reason"], unlogged)
    what = ", ".join(entry.get("databases") or []) or "the whole server"
    forced = " (rebuild, forced)" if entry.get("rebuild") else " (forced)" if entry.get("force") else ""
    redo = " - redo: %s" % entry["redo"] if entry.get("redo") else ""
    return "%s - round %s, %s%s of %s%s%s" % (where, entry.get("round"), entry.get("method"), forced, what, redo,
                                              unlogged)


def _missing(value, keys):
    return [key for key in keys if key not in value] if isinstance(value, Mapping) else list(keys)


def seed_backup_text(job, host, step, targets, restore=None):
    """One line for a finished mariadb_backup copy: received and restored on a replica, sent on a source."""
    missing = _missing(job, BACKUP_JOB_KEYS + (BACKUP_RECEIVE_KEYS if step else ()))
    if missing:
        raise AnsibleFilterError("seed_backup_text expects the ended mariadb_backup_stream job as input, with %s; got %r"
                                 % (", ".join(missing), job))
    if step and (not isinstance(step, Mapping) or "source" not in step):
        raise AnsibleFilterError("seed_backup_text expects the replica's seed step (with its source) or None on a "
                                 "source, got %r" % (step,))
    if step and _missing(restore, BACKUP_RESTORE_KEYS):
        raise AnsibleFilterError("seed_backup_text on a replica expects the mariadb_backup_restore result (with %s) "
                                 "as its last argument, got %r" % (", ".join(BACKUP_RESTORE_KEYS), restore))
    if not step and (targets is None or isinstance(targets, (str, bytes, Mapping))
                     or not hasattr(targets, "__iter__")):
        raise AnsibleFilterError("seed_backup_text on a source expects the list of replicas it sent to, got %r"
                                 % (targets,))
    return backup_copy_text(host, step, None if step else list(targets), job, restore)


class FilterModule:
    """replkit.mariadb seeding filters."""

    def filters(self):
        return {"seed_plan": seed_plan, "seed_step_text": seed_step_text, "seed_facts": seed_facts,
                "unfinished_seed_connections": unfinished_seed_connections, "seed_backup_text": seed_backup_text}
