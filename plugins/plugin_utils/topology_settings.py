# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identifiers and settings the topology planner derives: server_id, gtid_domain_id, auto_increment spacing,
slave_type_conversions.

Derived values come from a hash of the inventory name, so they do not depend on the
order hosts are listed in, nor change when unrelated hosts are added. Explicit values
win; a derived value that would clash with a taken one moves to the next free value,
hosts being served in sorted name order, so the outcome is still deterministic.

Small server ids (``mariadb_server_id_range: small``, 1..255) are the exception: in so small a range clashes are
common, and no rule that reads only the inventory can settle a clash without ever moving a host that already has
its id (the host that was there first is not written anywhere). So a small derived id is the hash of the host's
name and nothing else, and a clash is refused with a free id to pin, never settled by moving anybody.
"""

from __future__ import annotations

import hashlib
from math import gcd

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_inventory import (
    MAX_SMALL_SERVER_ID, MAX_UINT32, TYPE_CONVERSIONS, problem)

# 001: "Let us assume there will never be more than 10 masters": room for writers added later.
AUTO_INCREMENT_HEADROOM = 10
# 001: "The following is needed to ensure the ALTER TABLE on another master will not break ring replication
# slave_type_conversions=ALL_NON_LOSSY,ALL_LOSSY" (written here in the order the server reports the set).
RING_TYPE_CONVERSIONS = ",".join(TYPE_CONVERSIONS)
# How many hosts a message lists before "and N more".
LISTED_HOSTS = 10


def stable_number(kind, name, low, high):
    """A number in [low, high] from ``name`` that is the same in every run and Python process."""
    digest = hashlib.sha256(("%s:%s" % (kind, name)).encode("utf-8")).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


def allocate_unique(kind, names, explicit, low, high):
    """Give each of ``names`` a value in [low, high] distinct from ``explicit`` values and from each other."""
    values = dict(explicit)
    taken = set(explicit.values())
    for name in sorted(names):
        if name in values:
            continue
        value = stable_number(kind, name, low, high)
        while value in taken:
            value = value + 1 if value < high else low
        values[name] = value
        taken.add(value)
    return values


def duplicate_problems(variable, explicit, what):
    """A problem for each value that two or more hosts set explicitly."""
    by_value = {}
    for host in sorted(explicit):
        by_value.setdefault(explicit[host], []).append(host)
    return [problem(hosts, variable, "%s %d is set on %d hosts; %s" % (variable, value, len(hosts), what),
                    "give each of them its own value, or remove the setting to let the planner derive one")
            for value, hosts in sorted(by_value.items()) if len(hosts) > 1]


def _listed(hosts):
    hosts = sorted(hosts)
    more = len(hosts) - LISTED_HOSTS
    return ", ".join(hosts[:LISTED_HOSTS]) + (" and %d more" % more if more > 0 else "")


def server_id_range(specs, problems):
    """The topology's mariadb_server_id_range, ``large`` (the default) or ``small``; one value for every host.

    UUID_SHORT() values of every server of a ring meet, so small ids on some hosts only would not keep them apart.
    A topology that mixes the two is a problem (and planned as ``large``, to go on checking the rest).
    """
    small = sorted(host for host, spec in specs.items() if spec.server_id_range == "small")
    if not small:
        return "large"
    others = sorted(set(specs) - set(small))
    if not others:
        return "small"
    problems.append(problem(
        _listed(small), "mariadb_server_id_range",
        "small here, but large on %s (large is the default); it is one choice for the whole topology, since "
        "UUID_SHORT() values of all servers meet and a large id's low byte can be any small one"
        % _listed(others),
        "set mariadb_server_id_range to the same value for every host of the topology, for example in the group_vars "
        "of the topology group"))
    return "large"


def small_server_id(host):
    """A host's derived small server_id: a hash of its name alone, in 1..255."""
    return stable_number("server_id_small", host, 1, MAX_SMALL_SERVER_ID)


def _free_ids(start, count, taken):
    """``count`` ids of 1..255 not in ``taken``, from ``start`` upwards (wrapping); they are added to ``taken``."""
    found = []
    for step in range(1, MAX_SMALL_SERVER_ID + 1):
        candidate = (start - 1 + step) % MAX_SMALL_SERVER_ID + 1
        if len(found) < count and candidate not in taken:
            found.append(candidate)
            taken.add(candidate)
    return found


def _small_clash_problem(value, holders, explicit, suggestions):
    derived = [host for host in holders if host not in explicit]
    pinned = [host for host in holders if host in explicit]
    # With at most 255 servers there are always enough free ids (allocate_small_server_ids refuses more).
    example = ("for example mariadb_server_id: %d" % suggestions[0] if len(suggestions) == 1
               else "free ids: %s" % ", ".join(str(number) for number in suggestions))
    if pinned:
        what = ("%s %s the small server_id %d (a hash of the inventory name into 1..255), which %s %s explicitly"
                % (" and ".join(derived), "derives" if len(derived) == 1 else "derive", value, " and ".join(pinned),
                   "sets" if len(pinned) == 1 else "set"))
        fix = "set mariadb_server_id on %s to a free id (%s), or give %s another one" % (
            " and ".join(derived), example, " and ".join(pinned))
    else:
        what = ("%s %s derive the small server_id %d (a hash of the inventory name into 1..255), and every server "
                "needs its own" % (" and ".join(derived), "both" if len(derived) == 2 else "all", value))
        fix = ("set mariadb_server_id on %s to a free id (%s): on the %s you are adding, so that a server that "
               "already runs keeps its id" % ("one of them" if len(derived) == 2 else "all of them but one", example,
                                              "host" if len(derived) == 2 else "hosts"))
    return problem(sorted(holders), "mariadb_server_id", what, fix)


def allocate_small_server_ids(specs, explicit, problems):
    """host -> server_id in 1..255: explicit ones, the others ``small_server_id``; clashes and overflows refused."""
    if len(specs) > MAX_SMALL_SERVER_ID:
        problems.append(problem(
            "(inventory)", "mariadb_server_id_range",
            "small gives each server an id from 1 to %d, but the topology has %d servers"
            % (MAX_SMALL_SERVER_ID, len(specs)),
            "use large (the default) unless applications call UUID_SHORT() on a ring, or split the servers into "
            "topologies of at most %d" % MAX_SMALL_SERVER_ID))
        return allocate_unique("server_id", specs, explicit, 1, MAX_UINT32)
    for host in sorted(explicit):
        if explicit[host] > MAX_SMALL_SERVER_ID:
            problems.append(problem(
                host, "mariadb_server_id",
                "%d is above %d, but mariadb_server_id_range is small: UUID_SHORT() keeps only server_id & 255, so "
                "this server's values would repeat those of server %d (001: \"one can only use server_id in the "
                "range 1-255\")" % (explicit[host], MAX_SMALL_SERVER_ID, explicit[host] & 255),
                "give an id from 1 to %d, or remove it to let the planner derive one" % MAX_SMALL_SERVER_ID))
    ids = dict(explicit)
    ids.update({host: small_server_id(host) for host in specs if host not in explicit})
    holders = {}
    for host in sorted(ids):
        holders.setdefault(ids[host], []).append(host)
    taken = set(holders)
    for value in sorted(holders):
        clashing = holders[value]
        derived = [host for host in clashing if host not in explicit]
        if len(clashing) < 2 or not derived:
            continue  # two explicit ones: reported by duplicate_problems
        needed = len(derived) if len(derived) < len(clashing) else len(derived) - 1
        problems.append(_small_clash_problem(value, clashing, explicit, _free_ids(value, needed, taken)))
    return ids


def allocate_server_ids(specs, problems):
    """host -> server_id: explicit ones (must be unique), the others hash-derived in 1..2^32-1 (or 1..255).

    With ``mariadb_server_id_range: small`` see allocate_small_server_ids.
    """
    explicit = {host: spec.server_id for host, spec in specs.items() if spec.server_id is not None}
    problems.extend(duplicate_problems("mariadb_server_id", explicit,
                                       "every server needs its own (events carry it, and a server skips its own)"))
    if server_id_range(specs, problems) == "small":
        return allocate_small_server_ids(specs, explicit, problems)
    return allocate_unique("server_id", specs, explicit, 1, MAX_UINT32)


# ---------------------------------------------------------------- slave_type_conversions

def type_conversion_hosts(graph, writable):
    """The hosts that need row type conversions: every replicating host that events of a writer on a cycle reach.

    001: "The following is needed to ensure the ALTER TABLE on another master will not break ring replication",
    "on all masters and their slaves": a member that changed a column type keeps receiving rows the other writers
    logged with the old type before the ALTER reached them; and a replica that a failover points at another member
    goes on from that member's binary log, where such rows may still have the old type.
    """
    cycle_writers = [host for host in graph.hosts if writable[host] and graph.in_cycle(host)]
    return {host for host in graph.reached_from(cycle_writers) if graph.sources_of[host]}


# ---------------------------------------------------------------- GTID domains

def _search_component(host, graph, owners, known):
    """The domain owner ``host`` takes its domain from, taking the origin of hosts already searched from ``known``.

    A host's origin is itself when it owns a domain, else the first owner up its first-listed sources (001: "All
    slaves of this master should have the same gtid_domain_id to allow easy failover"): a depth-first search,
    first-listed source first, with its own stack, so a long relay chain does not hit Python's recursion limit.
    With ``known`` empty it searches everything.

    Entering a host of another component (one upstream) the search would find what a search from that host
    finds, since nothing it passed through lies upstream of it; or nothing, and then nothing upstream is an owner.
    """
    visited = set()
    todo = [host]
    while todo:
        node = todo.pop()
        if node in visited:
            continue
        if node in owners:
            return node
        visited.add(node)
        if node in known:
            if known[node] is not None:
                return known[node]
            continue
        todo.extend(source for source in reversed(graph.sources_of[node]) if source not in visited)
    return None


def origins(graph, owners):
    """Every host -> the domain owner it takes its domain from; each chain is walked once, not once per host on it.

    Outside cycles a host's origin is itself when it owns a domain, else the first origin found up its sources
    in order: the search from its first source has either found one or visited only hosts with none upstream.
    """
    found = {}
    for component in graph.components_upstream_first():
        if len(component) == 1:
            host = component[0]
            found[host] = host if host in owners else next(
                (found[source] for source in graph.sources_of[host] if found.get(source) is not None), None)
        else:
            found.update({host: _search_component(host, graph, owners, found) for host in component})
    return found


def domain_owners(graph, writable):
    """Writers, plus hosts no writer feeds (their data has no other origin): each needs a domain of its own."""
    fed = graph.reached_from([host for host in graph.hosts if writable[host]])
    return {host for host in graph.hosts if writable[host] or host not in fed}


def allocate_domains(specs, graph, owners, origin, problems):
    """host -> gtid_domain_id: unique per owner; other hosts share their ``origin``'s domain (host -> origin)."""
    explicit = {host: specs[host].gtid_domain_id for host in owners if specs[host].gtid_domain_id is not None}
    problems.extend(duplicate_problems("mariadb_gtid_domain_id", explicit,
                                       "each writer needs a domain of its own, or their GTIDs conflict"))
    reserved = {host: spec.gtid_domain_id for host, spec in specs.items() if spec.gtid_domain_id is not None}
    owned = allocate_unique("gtid_domain_id", owners, reserved, 1, MAX_UINT32)
    domains = {}
    for host in graph.hosts:
        explicit_value = specs[host].gtid_domain_id
        domains[host] = explicit_value if explicit_value is not None else owned[origin[host]]
    return domains


# ---------------------------------------------------------------- auto_increment

def offsets_collide(offset, increment, other_offset, other_increment):
    """True when the sequences offset + k*increment and other_offset + j*other_increment share a value."""
    return (offset - other_offset) % gcd(increment, other_increment) == 0


def writer_groups(graph, writers):
    """Writers whose events meet on some host (themselves included), grouped; sorted, deterministic."""
    group_of = {writer: {writer} for writer in writers}
    ordered = sorted(writers)
    for index, first in enumerate(ordered):
        for second in ordered[index + 1:]:
            if group_of[first] is not group_of[second] and graph.reach(first) & graph.reach(second):
                merged = group_of[first] | group_of[second]
                for member in merged:
                    group_of[member] = merged
    return sorted({tuple(sorted(group)) for group in group_of.values()})


def _explicit_increments(group, specs, problems):
    default = max(AUTO_INCREMENT_HEADROOM, len(group))
    increment = {}
    offset = {}
    for writer in group:
        spec = specs[writer]
        increment[writer] = spec.auto_increment_increment or default
        if spec.auto_increment_offset is None:
            continue
        if spec.auto_increment_offset > increment[writer]:
            problems.append(problem(writer, "mariadb_auto_increment_offset",
                                    "%d is larger than the increment %d, so MariaDB would ignore it"
                                    % (spec.auto_increment_offset, increment[writer]),
                                    "use an offset from 1 to %d" % increment[writer]))
        else:
            offset[writer] = spec.auto_increment_offset
    return increment, offset


def _free_offset(writer, size, increment, offset):
    start = stable_number("auto_increment_offset", writer, 0, size - 1)
    for step in range(size):
        candidate = (start + step) % size + 1
        if not any(offsets_collide(candidate, size, offset[other], increment[other]) for other in offset):
            return candidate
    return None


def _no_room_problem(writer, group, specs, increment, offset):
    """The problem of a writer that no offset fits, naming the hosts whose explicit settings take the room."""
    size = increment[writer]
    blockers = sorted(other for other in offset
                      if any(offsets_collide(candidate, size, offset[other], increment[other])
                             for candidate in range(1, size + 1)))
    named = [host for host in [writer] + blockers
             if specs[host].auto_increment_increment is not None or specs[host].auto_increment_offset is not None]
    return problem(
        sorted(set(named or [writer] + blockers)), "mariadb_auto_increment_increment/mariadb_auto_increment_offset",
        "%s needs an auto_increment_offset, but with increment %d every offset from 1 to %d shares values with %s"
        % (writer, size, size, ", ".join("%s (offset %d step %d)" % (other, offset[other], increment[other])
                                         for other in blockers)),
        "give the writers whose writes meet one shared increment of at least %d and distinct offsets, or remove these "
        "settings to let the planner choose" % len(group))


def _collision_problems(group, graph, increment, offset):
    found = []
    for index, first in enumerate(group):
        for second in group[index + 1:]:
            if first not in offset or second not in offset:
                continue
            meet = graph.reach(first) & graph.reach(second)
            if meet and offsets_collide(offset[first], increment[first], offset[second], increment[second]):
                found.append(problem(
                    (first, second), "mariadb_auto_increment_increment/mariadb_auto_increment_offset",
                    "both writers can generate the same AUTO_INCREMENT value (offset %d step %d vs offset %d step %d) "
                    "and their writes meet on %s" % (offset[first], increment[first], offset[second], increment[second],
                                                     min(meet)),
                    "give writers one shared increment and different offsets, or remove both settings to let the "
                    "planner choose"))
    return found


def allocate_auto_increment(specs, graph, writable, problems):
    """(writer -> (increment, offset), writers that share a group); (None, None) means "not managed".

    Writers whose events meet somewhere get an increment with headroom and distinct offsets.
    """
    writers = [host for host in graph.hosts if writable[host]]
    spacing = {}
    grouped = set()
    for group in writer_groups(graph, writers):
        if len(group) == 1:
            spec = specs[group[0]]
            spacing[group[0]] = (spec.auto_increment_increment, spec.auto_increment_offset)
            continue
        grouped.update(group)
        increment, offset = _explicit_increments(group, specs, problems)
        problems.extend(_collision_problems(group, graph, increment, offset))
        for writer in group:
            if writer not in offset:
                offset[writer] = _free_offset(writer, increment[writer], increment, offset)
                if offset[writer] is None:
                    del offset[writer]
                    problems.append(_no_room_problem(writer, group, specs, increment, offset))
        for writer in group:
            spacing[writer] = (increment[writer], offset.get(writer))
    return spacing, grouped


def inherited_spacing(host, specs, spacing, origin):
    """A non-writer's (increment, offset): explicit values, else those of the writer it would fail over for."""
    inherited = spacing.get(origin, (None, None)) if origin is not None else (None, None)
    spec = specs[host]
    increment = spec.auto_increment_increment if spec.auto_increment_increment is not None else inherited[0]
    offset = spec.auto_increment_offset if spec.auto_increment_offset is not None else inherited[1]
    return increment, offset
