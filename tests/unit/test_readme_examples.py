"""Every inventory printed in README.md and docs/topology.md parses as Ansible parses it, puts its hosts in the
topology group site.yml targets, and plans without a problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
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
