# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Day-2 operations decided on the controller: switchover and failover as a change of the inventory.

An operation is one graph edit: a candidate takes a writer's place. The candidate inherits the writer's sources
(so it closes a ring around it), every host that replicated from the writer replicates from the candidate, the
candidate becomes writable, and the old writer becomes a read-only replica of the candidate (for a failover, once it
is back: see the rejoin playbook). The new declarations are planned with the same planner as site.yml, so the
operation and the declarative converge cannot disagree; everything here is pure and touches no server.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import DomainPos, GtidError, format_gtid, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology, read_host_vars

DECLARED_VARS = ("mariadb_sources", "mariadb_writable")
# Settings that only change with a restart: an operation must find them already as the new plan needs them.
STATIC_SETTINGS = ("log_slave_updates",)


class OperationError(ValueError):
    """An operation refused before any server is changed; ``problems`` holds one message per problem."""

    def __init__(self, operation, problems):
        self.problems = list(problems)
        super().__init__("the %s was refused, nothing was changed (%d problem(s)):\n%s"
                         % (operation, len(self.problems), "\n".join("- " + line for line in self.problems)))


def source_host(entry):
    """The inventory name an entry of ``mariadb_sources`` names (a string, or a mapping's ``host``)."""
    return entry if isinstance(entry, str) else entry.get("host")


def _retarget(entry, host):
    return host if isinstance(entry, str) else dict(entry, host=host)


def declared_topology(host_vars, hosts):
    """host -> {sources, writable}: what the inventory says today (``writable`` None when not given)."""
    declared = {}
    for host in hosts:
        variables = read_host_vars(host_vars, host)
        sources = variables.get("mariadb_sources") or []
        declared[host] = {"sources": list(sources) if isinstance(sources, (list, tuple)) else sources,
                          "writable": variables.get("mariadb_writable")}
    return declared


def take_place(declared, old, candidate, old_writable=True):
    """The declarations after ``candidate`` takes ``old``'s place and ``old`` becomes the candidate's replica.

    The candidate keeps its own other sources, gains the old node's sources (a ring closes around the old node)
    and keeps a link back to the old node where the old node replicated from it (the other side of a
    master-master pair stays a pair). Every other host's link to the old node points at the candidate, unless it
    already replicates from the candidate.
    """
    new = copy.deepcopy(declared)
    old_sources = declared[old]["sources"]
    candidate_sources = declared[candidate]["sources"]
    inherited = [entry for entry in old_sources if source_host(entry) != candidate]
    inherited_hosts = {source_host(entry) for entry in inherited}
    kept = [entry for entry in candidate_sources
            if source_host(entry) != old and source_host(entry) not in inherited_hosts]
    back = [entry for entry in candidate_sources if source_host(entry) == old]
    pair = candidate in {source_host(entry) for entry in old_sources}
    new[candidate]["sources"] = inherited + kept + (back if pair else [])
    new[old]["sources"] = [next((entry for entry in old_sources if source_host(entry) == candidate), candidate)]
    for host, declaration in new.items():
        if host in (old, candidate):
            continue
        hosts = [source_host(entry) for entry in declaration["sources"]]
        if old not in hosts:
            continue
        declaration["sources"] = [_retarget(entry, candidate) if source_host(entry) == old else entry
                                  for entry in declaration["sources"]
                                  if not (source_host(entry) == old and candidate in hosts)]
    new[candidate]["writable"] = old_writable
    new[old]["writable"] = False
    return new


class _Declared(Mapping):
    """hostvars with some hosts' ``mariadb_sources``/``mariadb_writable`` replaced, for the planner."""

    def __init__(self, host_vars, declarations):
        self._host_vars = host_vars
        self._declarations = declarations

    def __getitem__(self, host):
        variables = dict(read_host_vars(self._host_vars, host))
        if host in self._declarations:
            variables["mariadb_sources"] = self._declarations[host]["sources"]
            variables["mariadb_writable"] = self._declarations[host]["writable"]
        return variables

    def __contains__(self, host):
        return host in self._host_vars

    def __iter__(self):
        return iter(self._host_vars)

    def __len__(self):
        return len(self._host_vars)


def changed_declarations(before, after):
    """host -> the variables to set in the inventory, for every host whose declarations the operation changed."""
    changes = {}
    for host in sorted(after):
        if before[host] != after[host]:
            changes[host] = {"mariadb_sources": after[host]["sources"]}
            if after[host]["writable"] is not None:
                changes[host]["mariadb_writable"] = after[host]["writable"]
    return changes


def _seq(position, domain):
    """The sequence number a GTID position text holds in ``domain``; 0 when none (or unreadable)."""
    try:
        parsed = parse_gtid_pos(position or "")
    except GtidError:
        return 0
    return parsed[domain].seq_no if domain in parsed else 0


def _connection_state(state, name):
    for row in (state or {}).get("connections") or []:
        if (row.get("connection_name") or "").lower() == name.lower():
            return row
    return None


def received_from(state, connection, domain):
    """How far a replica got in ``domain`` through one connection: received (IO) or applied, whichever is further."""
    row = _connection_state(state, connection) or {}
    return max(_seq(row.get("gtid_io_pos"), domain), _seq(state.get("gtid_slave_pos"), domain),
               _seq(state.get("gtid_binlog_pos"), domain))


def _link(plan, host, source):
    return next((connection for connection in plan[host]["connections"] if connection["source"] == source), None)


def _candidate_problems(operation, plan, old, candidate, states):
    link = _link(plan, candidate, old) if candidate in plan else None
    if candidate not in plan:
        return ["%s: mariadb_candidate: %r is not a host of the topology; name one of its hosts"
                % (candidate, candidate)]
    if link is None:
        replicas = sorted(host for host in plan if _link(plan, host, old))
        return ["%s: mariadb_candidate: %s does not replicate from %s, so it does not hold %s's writes; name a direct "
                "replica of %s (%s)" % (candidate, candidate, old, old, old, ", ".join(replicas) or "there is none")]
    problems = []
    if link["primary_delay"]:
        problems.append("%s: mariadb_candidate: its connection '%s' is delayed by %d s on purpose, so it is behind "
                        "%s; name an undelayed replica" % (candidate, link["name"], link["primary_delay"], old))
    if any(link["filters"].values()):
        problems.append("%s: mariadb_candidate: its connection '%s' has replicate_* filters, so it holds only part of "
                        "%s's data; name a replica without filters" % (candidate, link["name"], old))
    state = states.get(candidate) or {}
    if not state.get("log_bin"):
        problems.append("%s: the candidate runs without a binary log, so no replica could follow it after the %s; "
                        "set mariadb_log_slave_updates: true on %s and run replkit.mariadb.site once (it restarts the "
                        "server with log_bin and log_slave_updates) before the %s"
                        % (candidate, operation, candidate, operation))
    return problems


def _static_problems(operation, new_plan, states):
    problems = []
    for host in sorted(states):
        for setting in STATIC_SETTINGS:
            wanted, running = new_plan[host][setting], states[host].get(setting)
            if running is None or bool(wanted) == bool(running):
                continue
            if wanted:
                fix = ("set mariadb_%s: true on %s and run replkit.mariadb.site once (a planned restart), then run the "
                       "%s again" % (setting, host, operation))
            else:
                fix = ("set mariadb_%s: true on %s in the inventory, so that the new plan keeps what the server runs "
                       "(no restart), then run the %s again" % (setting, host, operation))
            problems.append("%s: after the %s the topology needs %s=%s, but the server runs with %s, and only a "
                            "restart changes it; %s"
                            % (host, operation, setting, "ON" if wanted else "OFF", "ON" if running else "OFF", fix))
    return problems


def _removed_connections(old_plan, new_plan, hosts):
    removed = {}
    for host in hosts:
        names = {connection["name"].lower() for connection in new_plan[host]["connections"]}
        gone = [connection["name"] for connection in old_plan[host]["connections"]
                if connection["name"].lower() not in names]
        if gone:
            removed[host] = gone
    return removed


def _writer_of(plan, candidate):
    """The writable host the candidate replicates from directly (None when there is none or several)."""
    writers = [connection["source"] for connection in plan[candidate]["connections"]
               if plan[connection["source"]]["writable"]]
    return writers[0] if len(writers) == 1 else None


def choose_candidate(plan, failed, states, wanted=None):
    """(candidate, problems): the reachable direct replica of ``failed`` that received most of its domain."""
    domain = plan[failed]["gtid_domain_id"]
    eligible = {}
    for host in sorted(states):
        link = _link(plan, host, failed)
        usable = link and not link["primary_delay"] and not any(link["filters"].values())
        if usable and not plan[host]["writable"] and states[host].get("log_bin"):
            eligible[host] = received_from(states[host], link["name"], domain)
    if wanted is not None:
        ahead = sorted(host for host, seq in eligible.items() if seq > eligible.get(wanted, 0))
        if wanted in eligible and ahead:
            return wanted, ["%s: mariadb_candidate: %s received %s's domain %d up to %d, but %s got further (%s); "
                            "promoting %s would leave those transactions stranded; name %s, or leave "
                            "mariadb_candidate out to take the most advanced" % (
                                wanted, wanted, failed, domain, eligible.get(wanted, 0), ", ".join(ahead),
                                ", ".join("%s: %d" % (host, eligible[host]) for host in ahead), wanted, ahead[0])]
        return wanted, []
    if not eligible and plan[failed]["in_cycle"] and all(
            plan[host]["writable"] for host in plan if _link(plan, host, failed) and host in states):
        # A ring of writers only: nobody takes the place, the ring closes around the lost member.
        return None, []
    if not eligible:
        replicas = sorted(host for host in plan if _link(plan, host, failed))
        return None, ["%s: mariadb_failed_host: no reachable undelayed, unfiltered replica of %s with a binary log can "
                      "take its place (its replicas: %s); give one with log_bin (mariadb_log_slave_updates: true)"
                      % (failed, failed, ", ".join(replicas) or "none")]
    best = max(eligible.values())
    return next(host for host in sorted(eligible) if eligible[host] == best), []


def close_around(declared, failed):
    """The declarations of a ring of writers that closes around a lost member (seed 001's ring of masters).

    Every host that replicated from ``failed`` replicates from ``failed``'s sources instead; ``failed`` is kept as
    a read-only replica of the first of them, ready to rejoin.
    """
    new = copy.deepcopy(declared)
    upstream = list(declared[failed]["sources"])
    followers = []
    for host, declaration in new.items():
        if host == failed or failed not in [source_host(entry) for entry in declaration["sources"]]:
            continue
        followers.append(host)
        others = [entry for entry in declaration["sources"] if source_host(entry) != failed]
        held = {source_host(entry) for entry in others} | {host}
        declaration["sources"] = others + [entry for entry in upstream if source_host(entry) not in held]
    new[failed]["sources"] = [followers[0]] if followers else []
    new[failed]["writable"] = False
    return new


def _result(operation, host_vars, hosts, groups, old, candidate, old_plan, states, problems):
    declared = declared_topology(host_vars, hosts)
    if problems:
        raise OperationError(operation, problems)
    if candidate is None:
        after = close_around(declared, old)
    else:
        after = take_place(declared, old, candidate, old_plan[old]["writable"])
    new_plan = plan_topology(_Declared(host_vars, after), list(hosts), groups)
    problems = _static_problems(operation, new_plan, states)
    if problems:
        raise OperationError(operation, problems)
    lost = {}
    if operation == "failover":
        for host in sorted(states):
            # A connection that keeps its name (connection_name) and now comes from the candidate follows it: it is
            # changed by the rewire, not held back.
            new_sources = {c["name"]: c["source"] for c in new_plan[host]["connections"]}
            names = [c["name"] for c in old_plan[host]["connections"]
                     if c["source"] == old and new_sources.get(c["name"], old) == old]
            names += [c["name"] for c in new_plan[host]["connections"] if c["source"] == old]
            if names:
                lost[host] = sorted(set(names), key=names.index)
    return {
        "operation": operation,
        "old": old,
        # host -> its connections from the lost writer: stopped (or removed), never started by the operation.
        "lost_links": lost,
        "candidate": candidate,
        "declarations": after,
        "inventory_change": changed_declarations(declared, after),
        "plan": new_plan,
        "removed_connections": _removed_connections(old_plan, new_plan, sorted(states)),
        "promote": {key: new_plan[candidate][key] for key in
                    ("gtid_domain_id", "auto_increment_increment", "auto_increment_offset", "read_only")
                    if new_plan[candidate][key] is not None} if candidate else {},
    }


def plan_switchover(host_vars, hosts, groups, candidate, states):
    """The switchover of the writer the candidate replicates from to ``candidate`` (all hosts reachable)."""
    old_plan = plan_topology(host_vars, list(hosts), groups)
    old = None
    if candidate not in old_plan:
        problems = ["%s: mariadb_candidate: %r is not a host of the topology; name one of its hosts"
                    % (candidate, candidate)]
    elif old_plan[candidate]["writable"]:
        problems = ["%s: mariadb_candidate: %s is already writable; name the read-only replica that should take over "
                    "the writes" % (candidate, candidate)]
    elif _writer_of(old_plan, candidate) is None:
        problems = ["%s: mariadb_candidate: %s does not replicate directly from exactly one writable host, so there is "
                    "no writer for it to take over from; name a replica of the writer" % (candidate, candidate)]
    else:
        old = _writer_of(old_plan, candidate)
        problems = _candidate_problems("switchover", old_plan, old, candidate, states)
        missing = sorted(set(old_plan) - set(states))
        if missing:
            problems.append("%s: a switchover needs every host of the topology, and these did not answer; for a lost "
                            "writer use replkit.mariadb.failover" % ", ".join(missing))
    return _result("switchover", host_vars, hosts, groups, old, candidate, old_plan, states, problems)


def plan_failover(host_vars, hosts, groups, failed, states, candidate=None):
    """The failover of the unreachable writer ``failed`` to ``candidate`` (default: its most advanced replica)."""
    old_plan = plan_topology(host_vars, list(hosts), groups)
    if failed not in old_plan:
        raise OperationError("failover", ["%s: mariadb_failed_host: %r is not a host of the topology; name the writer "
                                          "that was lost" % (failed, failed)])
    if not old_plan[failed]["writable"]:
        raise OperationError("failover", ["%s: mariadb_failed_host: %s is not writable, so no writes need a new home; "
                                          "its replicas wait for it (rebuild it, or point them elsewhere in the "
                                          "inventory)" % (failed, failed)])
    if failed in states:
        raise OperationError("failover", ["%s: mariadb_failed_host: %s answered, so it is not lost; use "
                                          "replkit.mariadb.switchover, which loses nothing, or stop it first"
                                          % (failed, failed)])
    if candidate is not None and candidate not in old_plan:
        raise OperationError("failover", ["%s: mariadb_candidate: %r is not a host of the topology; name a read-only "
                                          "replica of %s, or leave it out" % (candidate, candidate, failed)])
    if candidate is not None and candidate not in states:
        raise OperationError("failover", ["%s: mariadb_candidate: %s did not answer, so it cannot take %s's place; "
                                          "name a reachable replica, or leave it out" % (candidate, candidate, failed)])
    candidate, problems = choose_candidate(old_plan, failed, states, candidate)
    if candidate is not None and not problems and old_plan[candidate]["writable"]:
        problems = ["%s: mariadb_candidate: %s is already a writer; leave mariadb_candidate out to close the ring "
                    "around %s, or name a read-only replica of it" % (candidate, candidate, failed)]
    elif candidate is not None and not problems:
        problems = _candidate_problems("failover", old_plan, failed, candidate, states)
    result = _result("failover", host_vars, hosts, groups, failed, candidate, old_plan, states, problems)
    domain = old_plan[failed]["gtid_domain_id"]
    seen = max((max(_seq(state.get("gtid_binlog_pos"), domain), _seq(state.get("gtid_slave_pos"), domain),
                    *[_seq(row.get("gtid_io_pos"), domain) for row in state.get("connections") or []])
                for state in states.values()), default=0)
    result["failed_domain"] = domain
    result["last_seen"] = format_gtid(domain, DomainPos(old_plan[failed]["server_id"], seen)) if seen else None
    result["lost_text"] = (
        "%s's transactions in domain %d after sequence number %d (if it committed any) reached no survivor: they are "
        "only on %s; rejoin shows them as errant transactions when it comes back" % (failed, domain, seen, failed))
    return result


def errant_transactions(node_state, source_states):
    """Per domain, the GTIDs ``node`` wrote to its binary log that none of ``source_states`` holds."""
    try:
        own = parse_gtid_pos(node_state.get("gtid_binlog_pos") or "")
    except GtidError:
        own = {}
    errant = []
    for domain in sorted(own):
        held = max((max(_seq(state.get("gtid_binlog_pos"), domain), _seq(state.get("gtid_slave_pos"), domain))
                    for state in source_states), default=0)
        if own[domain].seq_no > held:
            count = own[domain].seq_no - held
            errant.append({"domain": domain, "from_seq_no": held + 1, "to": format_gtid(domain, own[domain]),
                           "count": count, "text": "domain %d: seq_no %d to %s (%d transaction(s))"
                           % (domain, held + 1, format_gtid(domain, own[domain]), count)})
    return errant


def start_waits(plan, states, hosts):
    """The new links whose replica asks its source for more than the source holds yet: wire them last.

    A replica connecting with ``slave_pos`` asks for its position in every domain; a source whose binary log has
    the domain but not that far refuses (error 1236). In a ring the source receives those transactions around the
    ring, so the link waits for it.
    """
    waits = []
    for host in hosts:
        for connection in plan.get(host, {}).get("connections", []):
            source = connection["source"]
            if source not in states or host not in states:
                continue
            try:
                asked = parse_gtid_pos(states[host].get("gtid_slave_pos") or "")
                held = parse_gtid_pos(states[source].get("gtid_binlog_pos") or "")
            except GtidError:
                continue
            ahead = {domain: pos for domain, pos in asked.items() if domain in held and held[domain].seq_no < pos.seq_no}
            if ahead:
                waits.append({"host": host, "connection": connection["name"], "source": source,
                              "position": ",".join(format_gtid(domain, ahead[domain]) for domain in sorted(ahead))})
    return waits


def relay_log_applied(status, connection):
    """(applied, problem): whether a connection's SQL thread applied everything its IO thread received."""
    row = _connection_state(status, connection)
    if row is None:
        return False, "connection '%s' does not exist" % connection
    if row.get("last_sql_errno"):
        return False, "connection '%s' stopped applying with error %s: %s" % (
            connection, row.get("last_sql_errno"), row.get("last_sql_error"))
    applied = (row.get("primary_log_file") == row.get("relay_primary_log_file")
               and row.get("read_primary_log_pos") == row.get("exec_primary_log_pos"))
    return applied, None


def without_links(node, names):
    """A host's plan without the connections named (compared ignoring case, as MariaDB does)."""
    skipped = {name.lower() for name in names}
    return dict(node, connections=[c for c in node["connections"] if c["name"].lower() not in skipped])


def _yaml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (key, _yaml_value(item)) for key, item in value.items()) + "}"
    return str(value)


def report(result):
    """The operation's outcome as text: what happened and the exact inventory change to make."""
    if result["candidate"]:
        lines = ["%s: %s took over the writes of %s." % (result["operation"], result["candidate"], result["old"])]
    else:
        lines = ["%s: the ring closed around %s." % (result["operation"], result["old"])]
    if result.get("lost_text"):
        lines.append(result["lost_text"] + ".")
    lines.append("Set these host variables in the inventory (then replkit.mariadb.site reports no change):")
    for host, variables in sorted(result["inventory_change"].items()):
        lines.append("  %s:" % host)
        for name, value in variables.items():
            lines.append("    %s: %s" % (name, _yaml_value(value)))
    if result["operation"] == "failover":
        lines.append("When %s is back, run replkit.mariadb.rejoin -e mariadb_rejoin_host=%s with that inventory."
                     % (result["old"], result["old"]))
    return lines


def inventory_source(result, group, with_variables=True):
    """The inventory change as an inventory source (YAML structure) for the topology group; without the variables,
    only the hosts (for an inventory directory whose host_vars files hold them)."""
    return {"all": {"children": {group: {"hosts": {host: dict(variables) if with_variables else None
                                                   for host, variables in sorted(result["inventory_change"].items())}}}}}
