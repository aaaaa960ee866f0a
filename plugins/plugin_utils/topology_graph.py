# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replication graph: who replicates from whom, its cycles and who reaches whom.

Edges point the way data flows, from a source to its replica. Pure and deterministic:
every result is built in sorted host order, so the same inventory always gives the
same answer, whatever order the hosts were listed in.
"""

from __future__ import annotations


class Graph:
    """Hosts and source -> replica edges, with the derived facts the planner needs."""

    def __init__(self, hosts, sources_of):
        """``hosts``: names; ``sources_of``: host -> ordered list of its source hosts (all in ``hosts``)."""
        self.hosts = sorted(hosts)
        self.sources_of = {host: list(sources_of.get(host, ())) for host in self.hosts}
        self.replicas_of = {host: [] for host in self.hosts}
        for replica in self.hosts:
            for source in self.sources_of[replica]:
                self.replicas_of[source].append(replica)
        self.component_of = strongly_connected(self.hosts, self.replicas_of)
        self._reach = {}
        self._ancestors = {}

    def in_cycle(self, host):
        """True when ``host`` lies on a replication cycle (a ring or a master-master pair)."""
        return len(self.component_of[host]) > 1

    def reach(self, host):
        """Every host that ``host``'s events arrive at, ``host`` included."""
        if host not in self._reach:
            self._reach[host] = _walk(host, self.replicas_of)
        return self._reach[host]

    def ancestors(self, host):
        """Every host whose events arrive at ``host``, ``host`` included."""
        if host not in self._ancestors:
            self._ancestors[host] = _walk(host, self.sources_of)
        return self._ancestors[host]

    def reached_from(self, hosts):
        """Every host the events of any of ``hosts`` arrive at, ``hosts`` included (one walk for all of them)."""
        return _walk(hosts, self.replicas_of)

    def components_upstream_first(self):
        """Each strongly connected component once, every one after the components it replicates from.

        Kahn's algorithm on the graph of components: linear, iterative, and in a deterministic order.
        """
        components = sorted(set(self.component_of.values()))
        waiting = {}
        downstream = {component: [] for component in components}
        for component in components:
            upstream = {self.component_of[source] for member in component for source in self.sources_of[member]}
            upstream.discard(component)
            waiting[component] = len(upstream)
            for other in sorted(upstream):
                downstream[other].append(component)
        ready = [component for component in reversed(components) if not waiting[component]]
        order = []
        while ready:
            component = ready.pop()
            order.append(component)
            for other in reversed(downstream[component]):
                waiting[other] -= 1
                if not waiting[other]:
                    ready.append(other)
        return order

    def cycles(self):
        """Each cycle (strongly connected group of 2+ hosts) once, as a sorted tuple, in sorted order."""
        return sorted({component for component in self.component_of.values() if len(component) > 1})

    def has_duplicate_paths(self, host):
        """True when one event can reach ``host`` through two of its connections (multi-source from one origin).

        The host's own events are left out: a server skips events carrying its own server_id.
        """
        if len(self.sources_of[host]) < 2:
            return False
        seen = set()
        for source in self.sources_of[host]:
            origins = self.ancestors(source) - {host}
            if seen & origins:
                return True
            seen |= origins
        return False


def _walk(start, neighbours):
    """Hosts reachable from ``start`` (a host, or a list of hosts) along ``neighbours``, ``start`` included.

    Iterative, so deep chains do not hit recursion limits.
    """
    found = set(start) if isinstance(start, (list, tuple, set, frozenset)) else {start}
    todo = list(found)
    while todo:
        for nxt in neighbours[todo.pop()]:
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return frozenset(found)


def strongly_connected(hosts, neighbours):
    """Map each host to the sorted tuple of its strongly connected component (iterative Tarjan)."""
    index = {}
    low = {}
    on_stack = set()
    stack = []
    component_of = {}
    counter = 0
    for root in hosts:
        if root in index:
            continue
        work = [(root, iter(neighbours[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    members = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        members.append(member)
                        if member == node:
                            break
                    component = tuple(sorted(members))
                    for member in members:
                        component_of[member] = component
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(neighbours[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return component_of
