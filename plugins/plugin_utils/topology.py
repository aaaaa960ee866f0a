# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The topology planner: turn the inventory into every host's replication settings and connections.

``plan_topology(host_vars, hosts, groups)`` reads each host's ``mariadb_*`` variables (see
docs/topology.md), checks the whole replication graph and returns host -> plan. It
touches no server: an invalid inventory raises TopologyError listing every problem
(one per line, each naming hosts, variable and fix) before any server is changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.replkit.mariadb.plugins.module_utils.binlog_filter import (
    INVENTORY_VARIABLES, binlogged, why_unlogged)
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_graph import Graph
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_inventory import (
    CONTRACT_VARS, address_fault, check_host, control_characters, problem)
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_settings import (
    RING_TYPE_CONVERSIONS, allocate_auto_increment, allocate_domains, allocate_server_ids, domain_owners,
    inherited_spacing, origins, type_conversion_hosts)

MIN_PARALLEL_THREADS = 4
# How many hosts of a group a message lists before "and N more".
LISTED_GROUP_HOSTS = 10


class TopologyError(ValueError):
    """An inventory the planner refuses; ``problems`` holds one message per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("the replication topology in the inventory has %d problem(s):\n%s"
                         % (len(self.problems), "\n".join("- " + line for line in self.problems)))


def read_host_vars(host_vars, host):
    """The contract variables of one host, from a plain dict or Ansible's hostvars (read key by key)."""
    try:
        variables = host_vars[host]
    except KeyError:
        return {}
    if variables is None:
        return {}
    return {key: variables[key] for key in CONTRACT_VARS if key in variables}


class Inventory:
    """What the planner knows of the inventory beyond the planned hosts: its other hosts and its groups."""

    def __init__(self, host_vars, groups=None):
        """``host_vars``: host -> variables (hostvars); ``groups``: group -> hosts (Ansible's ``groups``), or names."""
        self.host_vars = host_vars
        if isinstance(groups, Mapping):
            self.groups = {str(name): _host_list(members) for name, members in groups.items()}
        else:
            self.groups = {str(name): None for name in groups or ()}

    def has_host(self, name):
        """True when the inventory holds a host of that name (planned or not)."""
        try:
            return name in self.host_vars
        except TypeError:
            return False

    def group_hosts(self, name):
        """A group's hosts as text ("a, b, c"), "" when they are not known; None when ``name`` is no group."""
        if name not in self.groups:
            return None
        members = self.groups[name]
        if members is None:
            return ""
        shown = ", ".join(members[:LISTED_GROUP_HOSTS]) or "none"
        more = len(members) - LISTED_GROUP_HOSTS
        return shown + (" and %d more" % more if more > 0 else "")


def _host_list(members):
    if isinstance(members, (str, bytes)) or not hasattr(members, "__iter__"):
        return None
    return sorted(str(member) for member in members)


def _unknown_host_problem(host, variable, name, inventory, planned):
    """Why ``name``, given where a planned host is expected, is not one: a group, a host left out, or unknown."""
    members = inventory.group_hosts(name)
    if members is not None:
        hosts_note = " (its hosts: %s)" % members if members else ""
        what = "%s%r is a group of the inventory, not a host%s" % ("source " if planned else "", name, hosts_note)
        if planned:
            return problem(host, variable, what, "list the source host by its inventory name, one entry per source")
        return problem(host, variable, what, "pass the group's hosts instead, for example groups[%r]" % name)
    if planned and inventory.has_host(name):
        return problem(host, variable, "source %r is not a host of the topology: it is in the inventory, but not among "
                       "the hosts planned" % name,
                       "add %s to the topology group (the hosts the plan is made for, for example "
                       "groups['mariadb']) or fix the name" % name)
    if planned:
        return problem(host, variable, "source %r is not a host of this inventory (or play)" % name,
                       "add %s to the inventory or fix the name (with --limit, plan with the whole topology, "
                       "for example groups['all'])" % name)
    return problem(host, variable, "%r is not a host of the inventory (hostvars has no such host)" % name,
                   "remove it, or add the host to the inventory")


# ---------------------------------------------------------------- edges

def _edge_problems(host, source, seen_hosts, seen_names, names, inventory):
    """Why ``host`` cannot replicate from ``source`` (None when it can), given the entries before it."""
    if source.host not in names:
        return _unknown_host_problem(host, "mariadb_sources", source.host, inventory, planned=True)
    if source.host == host:
        return problem(host, "mariadb_sources", "%s lists itself as a source (a ring of one)" % host,
                       "remove it; a ring needs two or more servers")
    if source.host in seen_hosts:
        return problem(host, "mariadb_sources", "source %s is listed twice" % source.host,
                       "list each source once (one connection per source)")
    clash = seen_names.get(source.connection_name.lower())
    if clash is not None:
        what = "connection names %r (source %s) and %r (source %s) are the same when case is ignored, as MariaDB " \
               "compares them" % (clash.connection_name, clash.host, source.connection_name, source.host)
        return problem(host, "mariadb_sources", what, "set a distinct connection_name on one of them")
    return None


def check_edges(specs, problems, inventory=None):
    """host -> list of its valid SourceSpec; reports unknown sources (or groups), self-loops, repeats, name clashes."""
    inventory = inventory or Inventory({})
    names = set(specs)
    edges = {}
    for host in sorted(specs):
        seen_hosts, seen_names, valid = set(), {}, []
        for source in specs[host].sources:
            issue = _edge_problems(host, source, seen_hosts, seen_names, names, inventory)
            if issue:
                problems.append(issue)
                continue
            seen_hosts.add(source.host)
            seen_names[source.connection_name.lower()] = source
            valid.append(source)
        if len(valid) > 1 and any((source.seed_method or specs[host].seed_method) == "mariadb_backup"
                                  for source in valid):
            problems.append(problem(host, "mariadb_sources[].seed_method",
                                    "mariadb_backup copies one server's whole data directory, but %s has %d sources"
                                    % (host, len(valid)),
                                    "use locked_dump or consistent_dump for a multi-source replica "
                                    "(mariadb_seed_method or the source entry's seed_method)"))
        edges[host] = valid
    return edges


# ---------------------------------------------------------------- graph checks

def _address_problems(specs):
    by_address = {}
    for host in sorted(specs):
        key = (specs[host].replication_host.lower(), specs[host].port)
        by_address.setdefault(key, []).append(host)
    return [problem(hosts, "mariadb_replication_host/mariadb_port",
                    "these hosts all resolve to %s:%d, so they are one server (a replica of the other would be a ring "
                    "of one)" % (address, port),
                    "give each host its own mariadb_replication_host (or ansible_host) or mariadb_port")
            for (address, port), hosts in sorted(by_address.items()) if len(hosts) > 1]


def _derived_address_problems(specs, graph):
    """Replication addresses taken from ansible_host or the inventory name that cannot be one, where one is used.

    An explicit mariadb_replication_host is checked with the host's variables; a derived address only on a host
    that replicates or is replicated from, since only there it reaches CHANGE MASTER or an account's host.
    """
    found = []
    for host in graph.hosts:
        spec = specs[host]
        if spec.address_origin == "mariadb_replication_host" or not (graph.sources_of[host] or graph.replicas_of[host]):
            continue
        fault = address_fault(spec.replication_host)
        if fault is None:
            continue
        what, fix = fault
        fix = "set mariadb_replication_host to the address the other servers reach %s at: %s" % (host, fix)
        if spec.address_origin == "ansible_host":
            found.append(problem(host, "ansible_host", "%r, the replication address since mariadb_replication_host is "
                                 "not set, %s" % (spec.replication_host, what), fix))
        else:
            found.append(problem(host, "mariadb_replication_host", "not set, nor ansible_host, so the inventory "
                                 "name %r is the replication address, and it %s" % (host, what), fix))
    return found


def _cycle_problems(graph, writable, fed):
    found = []
    for cycle in graph.cycles():
        if not any(member in fed for member in cycle):
            found.append(problem(cycle, "mariadb_writable",
                                 "these hosts replicate from each other in a cycle, but none of them and no host upstream "
                                 "is writable, so no data would ever flow (a host with sources defaults to read-only)",
                                 "set mariadb_writable: true on the cycle members that take writes"))
    return found


def _relay_problems(specs, graph, writable):
    found = []
    for host in graph.hosts:
        spec = specs[host]
        upstream, downstream = graph.sources_of[host], graph.replicas_of[host]
        if spec.log_slave_updates is False and upstream and downstream:
            where = ("%s is %s inside the replication cycle %s" % (host, "a writer" if writable[host] else "a member",
                                                                   ", ".join(graph.component_of[host]))
                     if graph.in_cycle(host) else "%s relays" % host)
            found.append(problem(host, "mariadb_log_slave_updates",
                                 "false, but %s: events from %s would stop here and never reach %s"
                                 % (where, ", ".join(upstream), ", ".join(downstream)),
                                 "remove the setting or set it to true"))
        if spec.gtid_ignore_duplicates is False and graph.has_duplicate_paths(host):
            found.append(problem(host, "mariadb_gtid_ignore_duplicates",
                                 "false, but the same events reach %s through several of its sources (%s)"
                                 % (host, ", ".join(upstream)),
                                 "remove the setting or set it to true"))
    return found


def _offset_problems(specs, spacing):
    found = []
    for host in sorted(specs):
        increment, offset = spacing[host]
        if specs[host].auto_increment_offset is not None and increment is not None and offset > increment:
            found.append(problem(host, "mariadb_auto_increment_offset",
                                 "%d is larger than the increment %d, so MariaDB would ignore it" % (offset, increment),
                                 "use an offset from 1 to %d" % increment))
    return found


def binlog_filters_of(spec):
    """A host's binary-log filters as in its plan: ``{"do": [...], "ignore": [...]}``."""
    return {"do": list(spec.binlog_do_db), "ignore": list(spec.binlog_ignore_db)}


def _binlog_problems(specs, edges):
    """What a connection asks for that its source never writes to its binary log, so it can never arrive.

    Each database of ``replicate_do_db``, the database of each ``replicate_do_table`` entry and each of
    ``seed_databases`` that the source's mariadb_binlog_do_db/mariadb_binlog_ignore_db keeps out of its binary log.
    """
    found = []
    for host in sorted(edges):
        for source in edges[host]:
            filters = binlog_filters_of(specs[source.host])
            if not (filters["do"] or filters["ignore"]):
                continue
            entry = "mariadb_sources entry for %s" % source.host
            do_db = list(source.filters.get("replicate_do_db") or [])
            dead = [name for name in do_db if not binlogged(name.strip(), filters)]
            if dead:
                nothing = len(dead) == len(do_db)
                found.append(problem(
                    host, "%s.replicate_do_db" % entry,
                    "lists %s, which %s never writes to its binary log (%s)%s"
                    % (", ".join(dead), source.host,
                       "; ".join("%s: %s" % (name, why_unlogged(name.strip(), filters, INVENTORY_VARIABLES))
                                 for name in dead),
                       ", so this connection would replicate nothing at all" if nothing
                       else ", so changes to them never reach %s" % host),
                    "remove them from replicate_do_db, or change %s's %s so that it logs them"
                    % (source.host, INVENTORY_VARIABLES["do" if filters["do"] else "ignore"])))
            tables = [name for name in source.filters.get("replicate_do_table") or []
                      if not binlogged(name.strip().partition(".")[0] or "?", filters)]
            if tables:
                found.append(problem(
                    host, "%s.replicate_do_table" % entry,
                    "lists %s, whose database %s never writes to its binary log (%s), so no change to them reaches %s"
                    % (", ".join(tables), source.host, describe_binlog(filters), host),
                    "remove them, or change %s's %s so that it logs their database"
                    % (source.host, INVENTORY_VARIABLES["do" if filters["do"] else "ignore"])))
            seeded = [name for name in source.seed_databases or () if not binlogged(name.strip(), filters)]
            if seeded:
                found.append(problem(
                    host, "%s.seed_databases" % entry,
                    "lists %s, which %s never writes to its binary log (%s), so the copy would never receive a change"
                    % (", ".join(seeded), source.host, describe_binlog(filters)),
                    "remove them from seed_databases (copy them by other means if %s needs a snapshot), or change "
                    "%s's %s" % (host, source.host, INVENTORY_VARIABLES["do" if filters["do"] else "ignore"])))
    return found


def describe_binlog(filters):
    """The inventory's binary-log filters of a host as text."""
    return "; ".join("%s: %s" % (INVENTORY_VARIABLES[key], ", ".join(filters[key]))
                     for key in ("do", "ignore") if filters[key]) or "none"


# ---------------------------------------------------------------- per host plan

def role_of(host, graph, writable):
    """A label for humans and for choosing defaults in roles."""
    sources, replicas = graph.sources_of[host], graph.replicas_of[host]
    if graph.in_cycle(host):
        return "ring_member" if writable[host] else "passive_member"
    if not sources:
        return "primary" if writable[host] else "read_only_primary"
    if writable[host]:
        return "writable_replica"
    if len(sources) > 1:
        return "aggregator"
    return "relay" if replicas else "replica"


def connection_plan(host, source, specs):
    """One replication connection of ``host``, with mariadb_change_master option names where one exists."""
    source_spec = specs[source.host]
    return {
        "name": source.connection_name,
        "source": source.host,
        "primary_host": source_spec.replication_host,
        "primary_port": source_spec.port,
        # slave_pos on every link, ring links included: with current_pos a writer that reconnects while its
        # upstream still lags in the writer's own domain asks for a GTID the upstream lacks and stops (1236).
        "primary_use_gtid": source.use_gtid or "slave_pos",
        "primary_delay": source.delay,
        "primary_ssl": source.ssl,
        "primary_ssl_ca": source.ssl_ca,
        "primary_ssl_cert": source.ssl_cert,
        "primary_ssl_key": source.ssl_key,
        "primary_ssl_verify_server_cert": source.ssl_verify_server_cert,
        "filters": dict(source.filters),
        # The source entry's choice, else the host's (mariadb_seed, mariadb_seed_method), else the defaults.
        "seed": source.seed or specs[host].seed or "auto",
        "seed_method": source.seed_method or specs[host].seed_method,
        "seed_databases": list(source.seed_databases) if source.seed_databases else None,
    }


def _parallel(spec, source_count):
    threads, mode = spec.slave_parallel_threads, spec.slave_parallel_mode
    if source_count > 1:
        threads = threads if threads is not None else max(MIN_PARALLEL_THREADS, source_count)
        mode = mode or "optimistic"
    return threads, mode


def host_plan(host, context):
    """The plan of one host from the allocated ids and the graph."""
    specs, graph, writable, edges = context["specs"], context["graph"], context["writable"], context["edges"]
    spec = specs[host]
    sources, replicas = graph.sources_of[host], graph.replicas_of[host]
    is_relay = bool(sources) and bool(replicas)
    in_cycle = graph.in_cycle(host)
    increment, offset = context["spacing"][host]
    threads, mode = _parallel(spec, len(sources))
    log_slave_updates = spec.log_slave_updates if spec.log_slave_updates is not None else is_relay
    conversions = spec.slave_type_conversions
    if conversions is None and host in context["type_conversions"]:
        conversions = RING_TYPE_CONVERSIONS
    return {
        "server_id": context["server_ids"][host],
        "gtid_domain_id": context["domains"][host],
        "writable": writable[host],
        "read_only": not writable[host],
        "log_bin": bool(replicas) or log_slave_updates,
        "log_slave_updates": log_slave_updates,
        "gtid_ignore_duplicates": (spec.gtid_ignore_duplicates if spec.gtid_ignore_duplicates is not None
                                   else in_cycle or graph.has_duplicate_paths(host)),
        "auto_increment_increment": increment,
        "auto_increment_offset": offset,
        "slave_parallel_threads": threads,
        "slave_parallel_mode": mode,
        # None: not managed; "": no conversion (types must match exactly).
        "slave_type_conversions": conversions,
        # What this host keeps out of its binary log: it never reaches its replicas (the server role writes them).
        "binlog_filters": binlog_filters_of(spec),
        "replication_host": spec.replication_host,
        "port": spec.port,
        "sources": list(sources),
        "replicas": [{"host": replica, "address": specs[replica].replication_host} for replica in replicas],
        "connections": [connection_plan(host, source, specs) for source in edges[host]],
        "is_source": bool(replicas),
        "is_replica": bool(sources),
        "in_cycle": in_cycle,
        "cycle": list(graph.component_of[host]) if in_cycle else [],
        "role": role_of(host, graph, writable),
    }


def _host_names(inventory, hosts, problems):
    """The planned host names, sorted; a name that is no string, a group or not in the inventory is a problem."""
    names = list(inventory.host_vars) if hosts is None else list(hosts)
    bad = [name for name in names if not isinstance(name, str) or not name or control_characters(name)]
    if bad:
        problems.append(problem("(inventory)", "hosts", "%r are not host names" % (bad,), "pass a list of host names"))
    names = sorted({name for name in names if name not in bad})
    if hosts is not None:
        problems.extend(_unknown_host_problem("(inventory)", "hosts", name, inventory, planned=False)
                        for name in names if not inventory.has_host(name))
    return names


def plan_topology(host_vars, hosts=None, groups=None):
    """host -> plan for ``hosts`` (default: every host of ``host_vars``).

    ``groups`` (optional): the inventory's groups, group -> hosts as Ansible's ``groups``, so that a group
    named where a host belongs is reported as one. Raises TopologyError listing every problem, sorted (so
    grouped by host).
    """
    problems = []
    inventory = Inventory(host_vars, groups)
    names = _host_names(inventory, hosts, problems)
    specs = {name: check_host(name, read_host_vars(host_vars, name), problems) for name in names}
    edges = check_edges(specs, problems, inventory)
    graph = Graph(names, {host: [source.host for source in edges[host]] for host in names})
    writable = {host: specs[host].writable if specs[host].writable is not None else not edges[host] for host in names}
    fed = graph.reached_from([host for host in names if writable[host]])
    problems.extend(_derived_address_problems(specs, graph))
    problems.extend(_address_problems(specs))
    problems.extend(_cycle_problems(graph, writable, fed))
    problems.extend(_relay_problems(specs, graph, writable))
    problems.extend(_binlog_problems(specs, edges))
    owners = domain_owners(graph, writable)
    origin = origins(graph, owners)
    writer_spacing, grouped = allocate_auto_increment(specs, graph, writable, problems)
    spacing = {host: writer_spacing[host] if host in writer_spacing
               else inherited_spacing(host, specs, writer_spacing, origin[host]) for host in names}
    problems.extend(_offset_problems({host: specs[host] for host in names if host not in grouped}, spacing))
    context = {
        "specs": specs, "graph": graph, "writable": writable, "edges": edges, "spacing": spacing,
        "server_ids": allocate_server_ids(specs, problems),
        "domains": allocate_domains(specs, graph, owners, origin, problems),
        "type_conversions": type_conversion_hosts(graph, writable),
    }
    if problems:
        raise TopologyError(sorted(set(problems)))
    return {host: host_plan(host, context) for host in names}
