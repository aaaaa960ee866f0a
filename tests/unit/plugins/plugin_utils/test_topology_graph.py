"""The replication graph and the id helpers, without an inventory."""

from __future__ import annotations

import random
import sys

import pytest

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_graph import Graph, strongly_connected
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_settings import (
    allocate_unique, domain_owners, offsets_collide, origins, stable_number, writer_groups)


def origin_of(host, graph, owners, seen=None):
    """The reference origins() must agree with: a plain recursive depth-first search from one host, first-listed
    source first (the random graphs below are small, so recursion is safe here)."""
    seen = set() if seen is None else seen
    if host in owners:
        return host
    seen.add(host)
    for source in graph.sources_of[host]:
        found = None if source in seen else origin_of(source, graph, owners, seen)
        if found is not None:
            return found
    return None


def test_two_cycles_joined_by_one_edge_stay_two_cycles():
    # a <-> b, then b -> c, and c <-> d: data flows from the first pair into the second, never back.
    graph = Graph("abcde", {"a": ["b"], "b": ["a"], "c": ["b", "d"], "d": ["c"], "e": ["d"]})
    assert graph.cycles() == [("a", "b"), ("c", "d")]
    assert not graph.in_cycle("e")
    assert graph.component_of["c"] == graph.component_of["d"] == ("c", "d") and "b" not in graph.component_of["c"]
    assert graph.reach("a") == frozenset("abcde")
    assert graph.ancestors("c") == frozenset("abcd")
    assert graph.replicas_of["b"] == ["a", "c"]


def test_strongly_connected_handles_long_chains_without_recursion():
    hosts = ["h%05d" % index for index in range(5000)]
    neighbours = {host: [hosts[index + 1]] if index + 1 < len(hosts) else [hosts[0]] for index, host in enumerate(hosts)}
    components = strongly_connected(hosts, neighbours)
    assert len(set(components.values())) == 1


def test_duplicate_paths():
    # m1 replicates from m2 and m3, both replicate from m1: m3's events reach m1 directly and via m1 -> m2 -> m1.
    graph = Graph(["m1", "m2", "m3"], {"m1": ["m2", "m3"], "m2": ["m1"], "m3": ["m1"]})
    assert graph.has_duplicate_paths("m1") is True
    assert graph.has_duplicate_paths("m2") is False
    graph = Graph(["p", "a", "b", "r"], {"a": ["p"], "b": ["p"], "r": ["a", "b"]})
    assert graph.has_duplicate_paths("r") is True


@pytest.mark.parametrize("first, second, collide", [
    ((1, 10), (2, 10), False),
    ((1, 10), (11, 20), True),
    ((1, 2), (2, 4), False),
    ((1, 4), (3, 6), True),
    ((1, 1), (5, 7), True),
    ((3, 9), (6, 9), False),
])
def test_offsets_collide(first, second, collide):
    assert offsets_collide(first[0], first[1], second[0], second[1]) is collide
    assert offsets_collide(second[0], second[1], first[0], first[1]) is collide


def test_stable_number_is_in_range_and_deterministic():
    values = {stable_number("k", "host%d" % index, 1, 10) for index in range(200)}
    assert values == set(range(1, 11))
    assert stable_number("k", "x", 5, 5) == 5
    assert stable_number("server_id", "a", 1, 100) == stable_number("server_id", "a", 1, 100)
    assert stable_number("server_id", "a", 1, 2 ** 32 - 1) != stable_number("gtid_domain_id", "a", 1, 2 ** 32 - 1)


def test_allocate_unique_wraps_around_at_the_top():
    top = {"x": 3}
    derived = {name: stable_number("t", name, 1, 3) for name in ("a", "b", "c")}
    values = allocate_unique("t", ["a", "b"], top, 1, 3)
    assert values["x"] == 3
    assert sorted(values.values()) == [1, 2, 3]
    assert values["a"] == (derived["a"] if derived["a"] != 3 else 1)


def test_writer_groups_join_writers_whose_events_meet():
    graph = Graph(["a", "b", "c", "r", "s"], {"r": ["a", "b"], "s": ["c"]})
    assert writer_groups(graph, ["a", "b", "c"]) == [("a", "b"), ("c",)]


def test_reached_from_walks_from_several_hosts_at_once():
    graph = Graph("abcdef", {"b": ["a"], "c": ["b"], "e": ["d"], "f": ["e", "c"]})
    assert graph.reached_from(["a"]) == frozenset("abcf")
    assert graph.reached_from(["a", "d"]) == frozenset("abcdef")
    assert graph.reached_from([]) == frozenset()


def test_components_come_after_the_components_they_replicate_from():
    # A ring (b, c) fed by a, feeding d; e apart.
    graph = Graph("abcde", {"b": ["a", "c"], "c": ["b"], "d": ["c"]})
    order = graph.components_upstream_first()
    assert sorted(order) == [("a",), ("b", "c"), ("d",), ("e",)]
    assert order.index(("a",)) < order.index(("b", "c")) < order.index(("d",))
    assert graph.components_upstream_first() == order


def _random_graph(seed):
    generator = random.Random(seed)
    hosts = ["h%02d" % index for index in range(generator.randint(2, 14))]
    sources = {host: generator.sample([other for other in hosts if other != host],
                                      min(len(hosts) - 1, generator.choice([0, 1, 1, 1, 2, 2, 3]))) for host in hosts}
    writable = {host: not sources[host] or generator.random() < 0.2 for host in hosts}
    return Graph(hosts, sources), writable


@pytest.mark.parametrize("seed", range(300))
def test_origins_of_all_hosts_at_once_match_the_search_from_each_host(seed):
    """origins() reuses what it found upstream; it must agree with origin_of's plain depth-first search."""
    graph, writable = _random_graph(seed)
    # The planner's owners, and (odd seeds) arbitrary ones, none at all included: origins may then be None.
    owners = (domain_owners(graph, writable) if seed % 2 == 0
              else {host for index, host in enumerate(graph.hosts) if (seed + index) % 7 == 0})
    assert origins(graph, owners) == {host: origin_of(host, graph, owners) for host in graph.hosts}


def test_origins_follow_a_chain_and_a_ring_deeper_than_the_recursion_limit():
    depth = sys.getrecursionlimit() * 3
    hosts = ["h%05d" % index for index in range(depth)]
    chain = Graph(hosts, {host: [hosts[index - 1]] for index, host in enumerate(hosts) if index})
    assert set(origins(chain, {hosts[0]}).values()) == {hosts[0]}
    # One ring: the search from h00000 walks back through half of it, on its own stack.
    ring = Graph(hosts, {host: [hosts[index - 1]] for index, host in enumerate(hosts)})
    assert set(origins(ring, {hosts[depth // 2]}).values()) == {hosts[depth // 2]}
