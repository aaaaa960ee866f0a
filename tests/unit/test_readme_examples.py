"""Every inventory printed in README.md and docs/topology.md parses as Ansible parses it, puts its hosts in the
topology group site.yml targets, and plans without a problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager

from ansible_collections.replkit.mariadb.plugins.plugin_utils.topology import plan_topology

REPO = Path(__file__).resolve().parents[2]


def printed_inventories():
    for document in ("README.md", "docs/topology.md"):
        for index, block in enumerate(re.findall(r"```yaml\n(.*?)```", (REPO / document).read_text(), re.S)):
            if re.search(r"^all:$", block, re.M):
                yield pytest.param(block, id="%s-%d" % (document, index))


EXAMPLES = list(printed_inventories())


def test_the_documents_print_inventories():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("text", EXAMPLES)
def test_each_printed_inventory_puts_its_hosts_in_the_mariadb_group_and_plans(tmp_path, text):
    path = tmp_path / "inventory.yml"
    path.write_text(text)
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(path)])
    hosts = [str(name) for name in inventory.get_groups_dict().get("mariadb", [])]
    assert hosts, "site.yml targets the group mariadb; this inventory leaves it empty"
    assert sorted(hosts) == sorted(host.name for host in inventory.get_hosts()), "every host belongs to the topology"
    variables = VariableManager(loader=loader, inventory=inventory)
    host_vars = {name: variables.get_vars(host=inventory.get_host(name)) for name in hosts}
    plan = plan_topology(host_vars, hosts)
    assert sorted(plan) == sorted(hosts)


# Molecule scenarios that converge a README inventory exactly as printed: the README's example number -> the
# scenario's copy. The containers get the README's addresses; the lab's Docker connection and the test's own
# settings live beside it, in the scenario's inventory/group_vars and inventory/host_vars.
CONVERGED_EXAMPLES = {
    "1": "molecule/multisource/inventory/hosts.yml",
    "2": "molecule/ring_delayed/inventory/hosts.yml",
    "2b": "molecule/ring_relays/inventory/hosts.yml",
    "3": "molecule/two_sites_tls/inventory/hosts.yml",
    "4": "molecule/master_master/inventory/hosts.yml",
    "5": "molecule/primary_replicas/inventory/hosts.yml",
}


def readme_example(number):
    for block in re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.S):
        if re.search(r"^# %s\. " % re.escape(number), block, re.M):
            return block
    raise AssertionError("README.md prints no example '# %s. ...'" % number)


@pytest.mark.parametrize("number, path", sorted(CONVERGED_EXAMPLES.items()))
def test_a_scenario_converges_the_readme_inventory_as_printed(number, path):
    assert (REPO / path).read_text() == readme_example(number)


@pytest.mark.parametrize("number, path", sorted(CONVERGED_EXAMPLES.items()))
def test_the_scenario_containers_have_the_readme_addresses(number, path):
    inventory = yaml.safe_load(readme_example(number))
    scenario = yaml.safe_load((REPO / path).parent.parent.joinpath("molecule.yml").read_text())
    addresses = {platform["name"]: platform["networks"][0]["ipv4_address"] for platform in scenario["platforms"]}

    def hosts(group):
        found = dict(group.get("hosts") or {})
        for child in (group.get("children") or {}).values():
            found.update(hosts(child))
        return found
    printed = {name: (values.get("mariadb_replication_host") or values.get("ansible_host"))
               for name, values in hosts(inventory["all"]).items()}
    assert addresses == printed


def test_every_readme_example_is_converged_by_a_scenario():
    printed = set()
    for block in re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.S):
        number = re.search(r"^# (\w+)\. ", block, re.M)
        if number and re.search(r"^all:$", block, re.M):
            printed.add(number.group(1))
    assert printed == set(CONVERGED_EXAMPLES)


# ---------------------------------------------------------------- day-2 commands

DAY2_VARIABLES = {"mariadb_candidate": "candidate", "mariadb_failed_host": "failed", "mariadb_rejoin_host": "host"}


def printed_day2_commands():
    text = (REPO / "README.md").read_text()
    return re.findall(r"^ansible-playbook -i inventory replkit\.mariadb\.(switchover|failover|rejoin)((?: -e \S+)+)$",
                      text, re.M)


def test_the_readme_prints_each_operation():
    assert sorted({command[0] for command in printed_day2_commands()}) == ["failover", "rejoin", "switchover"]


@pytest.mark.parametrize("operation, arguments", printed_day2_commands())
def test_each_printed_operation_runs_as_printed_in_a_scenario(operation, arguments):
    """The master_master scenario (README example 4) runs each printed command with exactly these variables (the
    printed rejoin is the one the scenario's errant transaction makes refuse, as the README describes)."""
    wanted = {DAY2_VARIABLES[name]: value for name, value in
              (argument.split("=", 1) for argument in arguments.split(" -e ")[1:])}
    steps = yaml.safe_load((REPO / "molecule/master_master/inventory/group_vars/mariadb.yml").read_text())["test_day2"]
    matching = [step for step in steps["steps"] if step.get("operation") == operation
                and all(step.get(key) == value for key, value in wanted.items())
                and not step.get("accept_errant")]
    assert matching, "add a step running replkit.mariadb.%s with %s to the master_master scenario" % (operation, wanted)
