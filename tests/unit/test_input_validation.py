"""Issue 11, item 2: every value that reaches an option file or SQL is checked by the planner, before anything changes.

Control characters in strings, replication addresses that cannot scope an account, names that are groups or no
host, refusals naming the host where the fix goes, and relay chains deeper than Python's recursion limit.
"""

from __future__ import annotations

import sys
import time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.topology_plan import topology_plan
from ansible_collections.replkit.mariadb.plugins.plugin_utils.server_options import server_option_settings
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import TopologyError, plan_topology
from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology_inventory import (
    address_fault, control_characters)

CONTROL_FIX = ("remove it: the value is written to the server's option file or into SQL, where a control character "
               "breaks the line (a newline starts a line of its own).")


def problems_of(inventory, hosts=None, groups=None):
    with pytest.raises(TopologyError) as caught:
        plan_topology(inventory, hosts, groups)
    return caught.value.problems


def replica_of_p(**entry):
    """An inventory where r replicates from p through one source entry with ``entry``'s keys."""
    return {"p": {}, "r": {"mariadb_sources": [dict({"host": "p"}, **entry)]}}


# ---------------------------------------------------------------- control characters

@pytest.mark.parametrize("entry, variable, value", [
    ({"replicate_do_db": ["shop", "crm\nlog_bin=0"]}, "mariadb_sources[0].replicate_do_db[1]", "crm\nlog_bin=0"),
    ({"replicate_ignore_db": ["a\rb"]}, "mariadb_sources[0].replicate_ignore_db[0]", "a\rb"),
    ({"replicate_do_table": ["s.t", "s.u\x00"]}, "mariadb_sources[0].replicate_do_table[1]", "s.u\x00"),
    ({"replicate_ignore_table": ["s.\tt"]}, "mariadb_sources[0].replicate_ignore_table[0]", "s.\tt"),
    ({"replicate_wild_do_table": ["s.%\x7f"]}, "mariadb_sources[0].replicate_wild_do_table[0]", "s.%\x7f"),
    ({"replicate_wild_ignore_table": ["s.%\u2028"]}, "mariadb_sources[0].replicate_wild_ignore_table[0]", "s.%\u2028"),
    ({"connection_name": "main\n"}, "mariadb_sources[0].connection_name", "main\n"),
    ({"ssl_ca": "/etc/ca.pem\n"}, "mariadb_sources[0].ssl_ca", "/etc/ca.pem\n"),
    ({"ssl_cert": "/etc/c\x1b.pem"}, "mariadb_sources[0].ssl_cert", "/etc/c\x1b.pem"),
    ({"ssl_key": "/etc/k\x85.pem"}, "mariadb_sources[0].ssl_key", "/etc/k\x85.pem"),
    ({"seed_databases": ["shop", "crm\n"]}, "mariadb_sources[0].seed_databases[1]", "crm\n"),
])
def test_a_control_character_in_a_source_entry_value_is_refused_naming_host_variable_and_fix(entry, variable, value):
    problems = problems_of(replica_of_p(**entry))
    assert problems == ["r: %s: %r contains %s; %s" % (variable, value, control_characters(value), CONTROL_FIX)]


def test_the_refusal_says_which_control_character():
    assert control_characters("a\nb\r\tc\x00") == ("a NUL character (U+0000), a tab (U+0009), a newline (U+000A), "
                                                   "a carriage return (U+000D)")
    assert control_characters("\x1f\x7f\x9f\u2029") == ", ".join("a control character (U+%s)" % code
                                                                 for code in ("001F", "007F", "009F", "2029"))
    assert control_characters("shop_é.t%") == ""


def test_every_value_with_a_control_character_is_reported_at_once():
    inventory = {"p": {}, "q": {}, "r": {"mariadb_sources": [
        {"host": "p", "replicate_do_db": ["a\n", "b", "c\n"], "connection_name": "x\ty"},
        {"host": "q", "seed_databases": ["d\n"]}]}}
    assert [line.split(": ")[1] for line in problems_of(inventory)] == [
        "mariadb_sources[0].connection_name", "mariadb_sources[0].replicate_do_db[0]",
        "mariadb_sources[0].replicate_do_db[2]", "mariadb_sources[1].seed_databases[0]"]


@pytest.mark.parametrize("sources, variable", [
    (["p\n"], "mariadb_sources[0]"),
    ([{"host": "p\r"}], "mariadb_sources[0].host"),
])
def test_a_source_host_with_a_control_character_names_no_host(sources, variable):
    found = problems_of({"p": {}, "r": {"mariadb_sources": sources}})
    assert len(found) == 1 and found[0].startswith("r: %s: " % variable)
    assert "so it names no host; give the source's inventory name." in found[0]


def test_a_filter_value_never_becomes_a_line_of_its_own_in_the_option_file():
    """The issue's example, end to end: the planner refuses the inventory, so no option file is ever rendered."""
    inventory = replica_of_p(connection_name="main", replicate_do_db=["shop\nread_only=0"])
    with pytest.raises(TopologyError, match=r"r: mariadb_sources\[0\]\.replicate_do_db\[0\]: 'shop\\nread_only=0'"):
        plan_topology(inventory)
    # Clean values still plan and render one line each.
    plan = plan_topology(replica_of_p(connection_name="main", replicate_do_db=["shop", "crm"]))
    assert server_option_settings("r", plan["r"])["filter_lines"] == [
        "main.replicate_do_db = shop", "main.replicate_do_db = crm"]


def test_a_host_name_with_a_control_character_in_the_hosts_argument_is_refused():
    assert problems_of({"p": {}}, ["p", "q\n"]) == [
        "(inventory): hosts: ['q\\n'] are not host names; pass a list of host names."]


# ---------------------------------------------------------------- replication addresses

@pytest.mark.parametrize("address", [
    "10.0.0.1", "db1", "db-1.example.com", "db1.example.com.", "2001:db8::10", "::1", "fe80::1:3307",
    "::ffff:10.0.0.1", "DB1.Example.COM",
])
def test_valid_replication_addresses_plan(address):
    plan = plan_topology({"p": {"mariadb_replication_host": address}, "r": {"mariadb_sources": ["p"]}})
    assert plan["r"]["connections"][0]["primary_host"] == address
    assert address_fault(address) is None


@pytest.mark.parametrize("address, what, fix", [
    ("", "'' is not a non-empty string", "give the host name or IP address replicas use to reach this host"),
    ("   ", "'   ' is not a non-empty string", "give the host name or IP address"),
    ("db1 db2", "'db1 db2' contains a space", "give one host name or IP address, without spaces"),
    ("db1\n", "'db1\\n' contains a newline (U+000A)", "remove it; give one host name or IP address"),
    ("db1:3307", "'db1:3307' ends in a port (:3307)",
     "give the address alone (db1) and the port in mariadb_port (mariadb_port: 3307)"),
    ("10.0.0.1:3307", "'10.0.0.1:3307' ends in a port (:3307)", "give the address alone (10.0.0.1)"),
    ("[2001:db8::10]:3307", "'[2001:db8::10]:3307' is an address in brackets",
     "write an IPv6 address without brackets, and a port in mariadb_port"),
    ("[::1]", "'[::1]' is an address in brackets", "write an IPv6 address without brackets"),
    ("db1:x", "'db1:x' has a ':' but is not an IPv6 address", "give one host name or IP address"),
    ("db_1.example.com", "'db_1.example.com' contains '_', a wildcard in the host part of a MariaDB account",
     "give the IP address, or a DNS name without % and _"),
    ("10.0.0.%", "'10.0.0.%' contains '%', a wildcard", "give the IP address, or a DNS name without % and _"),
    ("%", "'%' contains '%', a wildcard", "give the IP address"),
    ("a_%", "'a_%' contains '%' and '_', a wildcard", "give the IP address"),
    ("fe80::1%eth0", "'fe80::1%eth0' contains '%', a wildcard", "give the IP address"),
    ("db'1", "\"db'1\" contains \"'\", which a host name or IP address cannot hold",
     "give a DNS name (a-z, 0-9, '.' and '-') or an IP address"),
    ("10.0.0.0/24", "'10.0.0.0/24' contains '/', which a host name or IP address cannot hold", "give a DNS name"),
    ("user@db1", "'user@db1' contains '@'", "give a DNS name"),
])
def test_a_replication_host_that_cannot_scope_an_account_is_refused(address, what, fix):
    found = problems_of({"p": {"mariadb_replication_host": address}, "r": {"mariadb_sources": ["p"]}})
    assert len(found) == 1, found
    # Named on p, where mariadb_replication_host is set, not on the replica that connects to it.
    assert found[0].startswith("p: mariadb_replication_host: " + what), found
    assert fix in found[0].partition("; ")[2], found


def test_a_bad_replication_host_is_refused_even_on_a_host_without_replication():
    found = problems_of({"lone": {"mariadb_replication_host": "db_1"}})
    assert len(found) == 1 and found[0].startswith("lone: mariadb_replication_host: 'db_1' contains '_'")


def test_an_address_from_ansible_host_is_checked_where_it_is_used():
    found = problems_of({"p": {"ansible_host": "db_p.example.com"}, "r": {"mariadb_sources": ["p"]}})
    assert found == [
        "p: ansible_host: 'db_p.example.com', the replication address since mariadb_replication_host is not set, "
        "contains '_', a wildcard in the host part of a MariaDB account (the replication account scoped to it would "
        "match other hosts too); set mariadb_replication_host to the address the other servers reach p at: give the "
        "IP address, or a DNS name without % and _."]
    # mariadb_replication_host wins: ansible_host is then only Ansible's business.
    plan = plan_topology({"p": {"ansible_host": "db_p.example.com", "mariadb_replication_host": "10.0.0.1"},
                          "r": {"mariadb_sources": ["p"]}})
    assert plan["p"]["replication_host"] == "10.0.0.1"


def test_an_inventory_name_used_as_the_address_is_checked_on_replicas_too():
    # r's address is what p's replication account is scoped to: 'repl'@'r_1' would also let 'rx1' in.
    found = problems_of({"p": {"ansible_host": "10.0.0.1"}, "r_1": {"mariadb_sources": ["p"]}})
    assert found == [
        "r_1: mariadb_replication_host: not set, nor ansible_host, so the inventory name 'r_1' is the replication "
        "address, and it contains '_', a wildcard in the host part of a MariaDB account (the replication account "
        "scoped to it would match other hosts too); set mariadb_replication_host to the address the other servers "
        "reach r_1 at: give the IP address, or a DNS name without % and _."]


def test_a_derived_address_is_not_checked_on_a_host_outside_replication():
    plan = plan_topology({"lone_db": {}, "other_db": {"ansible_host": "x_y"}})
    assert plan["lone_db"]["replication_host"] == "lone_db" and plan["other_db"]["replication_host"] == "x_y"


def test_an_invalid_replication_host_is_reported_once_not_again_through_its_fallback():
    found = problems_of({"p_1": {"mariadb_replication_host": "a b"}, "r": {"mariadb_sources": ["p_1"]}})
    assert len(found) == 1 and found[0].startswith("p_1: mariadb_replication_host: 'a b' contains a space")


# ---------------------------------------------------------------- groups and hosts that are not hosts

GROUPS = {"all": ["p", "q", "r"], "mariadb": ["p", "q", "r"], "primaries": ["p", "q"], "ungrouped": []}


def test_a_source_that_is_a_group_is_named_as_a_group_with_its_hosts():
    inventory = {"p": {}, "q": {}, "r": {"mariadb_sources": ["primaries"]}}
    assert problems_of(inventory, ["p", "q", "r"], GROUPS) == [
        "r: mariadb_sources: source 'primaries' is a group of the inventory, not a host (its hosts: p, q); list the "
        "source host by its inventory name, one entry per source."]


def test_a_group_given_only_by_name_is_still_a_group():
    found = problems_of({"p": {}, "r": {"mariadb_sources": ["mariadb"]}}, None, ["all", "mariadb"])
    assert found == ["r: mariadb_sources: source 'mariadb' is a group of the inventory, not a host; list the source "
                     "host by its inventory name, one entry per source."]


def test_a_big_group_lists_its_first_hosts():
    members = ["h%02d" % index for index in range(25)]
    found = problems_of({"r": {"mariadb_sources": ["big"]}}, None, {"big": members})
    assert "(its hosts: h00, h01, h02, h03, h04, h05, h06, h07, h08, h09 and 15 more)" in found[0]


def test_without_groups_an_unknown_source_is_reported_as_before():
    assert problems_of({"p": {}, "r": {"mariadb_sources": ["primaries"]}}) == [
        "r: mariadb_sources: source 'primaries' is not a host of this inventory (or play); add primaries to the "
        "inventory or fix the name (with --limit, plan with the whole topology, for example groups['all'])."]


def test_a_source_in_the_inventory_but_not_planned_is_told_apart_from_an_unknown_one():
    inventory = {"p": {}, "q": {}, "r": {"mariadb_sources": ["q", "ghost"]}}
    assert problems_of(inventory, ["p", "r"], GROUPS) == [
        "r: mariadb_sources: source 'ghost' is not a host of this inventory (or play); add ghost to the inventory or "
        "fix the name (with --limit, plan with the whole topology, for example groups['all']).",
        "r: mariadb_sources: source 'q' is not a host of the topology: it is in the inventory, but not among the hosts "
        "planned; add q to the topology group (the hosts the plan is made for, for example groups['mariadb']) or fix "
        "the name."]


def test_planned_hosts_must_be_hosts_of_the_inventory_not_groups():
    assert problems_of({"p": {}, "q": {}}, ["p", "primaries", "ghost"], GROUPS) == [
        "(inventory): hosts: 'ghost' is not a host of the inventory (hostvars has no such host); remove it, or add the "
        "host to the inventory.",
        "(inventory): hosts: 'primaries' is a group of the inventory, not a host (its hosts: p, q); pass the group's "
        "hosts instead, for example groups['primaries']."]


def test_a_host_named_like_a_group_is_a_host():
    plan = plan_topology({"db": {}, "r": {"mariadb_sources": ["db"]}}, ["db", "r"], {"db": ["r"]})
    assert plan["r"]["sources"] == ["db"]


def test_the_filter_passes_groups_and_checks_them():
    with pytest.raises(AnsibleFilterError, match="source 'primaries' is a group of the inventory"):
        topology_plan({"p": {}, "q": {}, "r": {"mariadb_sources": ["primaries"]}}, ["p", "q", "r"], GROUPS)
    with pytest.raises(AnsibleFilterError, match="groups argument must be the inventory's groups"):
        topology_plan({"p": {}}, ["p"], "mariadb")
    assert sorted(topology_plan({"p": {}}, ["p"], GROUPS)) == ["p"]


# ---------------------------------------------------------------- refusals name the host where the fix goes

@pytest.mark.parametrize("inventory, named", [
    # A replica's source entry: the replica, whatever the source.
    ({"p": {}, "r": {"mariadb_sources": [{"host": "p", "delay": -1}]}}, "r"),
    ({"p": {}, "r": {"mariadb_sources": ["ghost"]}}, "r"),
    ({"p": {}, "r": {"mariadb_sources": [{"host": "p", "replicate_do_db": ["a\n"]}]}}, "r"),
    ({"p": {}, "r": {"mariadb_sources": [{"host": "p", "connection_name": "x" * 64}]}}, "r"),
    ({"p" * 64: {}, "r": {"mariadb_sources": ["p" * 64]}}, "r"),
    # A source's own variable: the source, not the replicas that connect to it.
    ({"p": {"mariadb_replication_host": "p:3307"}, "r": {"mariadb_sources": ["p"]}}, "p"),
    ({"p": {"ansible_host": "p_1"}, "r": {"mariadb_sources": ["p"]}}, "p"),
    ({"p": {"mariadb_port": 0}, "r": {"mariadb_sources": ["p"]}}, "p"),
    ({"p": {"mariadb_auto_increment_increment": 10},
      "r": {"mariadb_sources": ["p"], "mariadb_auto_increment_offset": 12}}, "r"),
    # The writer whose explicit step takes every value, not the writer that sets nothing.
    ({"a": {"mariadb_auto_increment_increment": 1, "mariadb_auto_increment_offset": 1}, "b": {},
      "r": {"mariadb_sources": ["a", "b"]}}, "a"),
    ({"a": {"mariadb_auto_increment_increment": 3}, "b": {}, "r": {"mariadb_sources": ["a", "b"]}}, "a"),
])
def test_each_refusal_names_the_host_where_the_variable_is_set(inventory, named):
    found = problems_of(inventory)
    assert len(found) == 1, found
    assert found[0].partition(": ")[0] == named, found


# ---------------------------------------------------------------- long relay chains

CHAIN_LENGTH = 3000


def test_a_relay_chain_of_3000_hosts_plans_without_recursion_error_and_quickly():
    assert CHAIN_LENGTH > sys.getrecursionlimit()
    names = ["db%d" % index for index in range(CHAIN_LENGTH)]
    inventory = {name: {"mariadb_sources": [names[index - 1]]} if index else {} for index, name in enumerate(names)}
    started = time.perf_counter()
    plan = plan_topology(inventory)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, "planning a chain of %d hosts took %.1f s" % (CHAIN_LENGTH, elapsed)
    assert plan["db0"]["role"] == "primary" and plan[names[-1]]["role"] == "replica"
    assert {plan[name]["role"] for name in names[1:-1]} == {"relay"}
    assert {plan[name]["gtid_domain_id"] for name in names} == {plan["db0"]["gtid_domain_id"]}
    assert all(plan[name]["log_slave_updates"] for name in names[1:-1])
    assert len({plan[name]["server_id"] for name in names}) == CHAIN_LENGTH


def test_a_chain_hanging_off_a_ring_inherits_the_ring_writers_domain_and_spacing():
    names = ["c%d" % index for index in range(CHAIN_LENGTH)]
    inventory = {"m1": {"mariadb_writable": True, "mariadb_sources": ["m2"]},
                 "m2": {"mariadb_writable": True, "mariadb_sources": ["m1"]}}
    inventory.update({name: {"mariadb_sources": [names[index - 1] if index else "m2"]}
                      for index, name in enumerate(names)})
    started = time.perf_counter()
    plan = plan_topology(inventory)
    assert time.perf_counter() - started < 10
    assert plan[names[-1]]["gtid_domain_id"] == plan["m2"]["gtid_domain_id"] != plan["m1"]["gtid_domain_id"]
    assert plan[names[-1]]["auto_increment_offset"] == plan["m2"]["auto_increment_offset"]
