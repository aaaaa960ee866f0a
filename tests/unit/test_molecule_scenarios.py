"""The Molecule scenarios stay short overrides of one lab: each molecule.yml declares the lab's node once and its
platforms only add what differs (name, network), and the test variables the scenarios set are named test_ or are
the collection's own variables, with what they all share set once (molecule/resources/inventory/shared.yml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(path.parent.name for path in (REPO / "molecule").glob("*/molecule.yml"))
SHARED_INVENTORY = REPO / "molecule" / "resources" / "inventory" / "shared.yml"

# The lab's node: a Debian container built by lab/images/build.sh with systemd as PID 1.
NODE = {
    "pre_build_image": True,
    "pull": False,
    "command": "/sbin/init",
    "override_command": True,
    "cgroupns_mode": "host",
    "env": {"container": "docker"},
}
NODE_KEYS = sorted(NODE) + ["image", "tmpfs", "volumes"]
# The suite (and so the MariaDB version) comes from REPLKIT_SUITE, which lab/molecule.sh sets.
IMAGE = re.compile(r"replkit-node:\$\{REPLKIT_SUITE:-bookworm\}-(mariadb|bare)")


def scenario(name):
    return yaml.safe_load((REPO / "molecule" / name / "molecule.yml").read_text())


def platforms_text(name):
    """The platforms section of a scenario's molecule.yml as written (up to the next top-level key)."""
    text = (REPO / "molecule" / name / "molecule.yml").read_text()
    return re.search(r"^platforms:\n(.*?)(?=^\S)", text, re.M | re.S).group(1)


def test_there_are_scenarios():
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_platform_is_the_labs_node(name):
    for platform in scenario(name)["platforms"]:
        assert {key: platform.get(key) for key in NODE} == NODE, platform["name"]
        assert IMAGE.fullmatch(platform["image"]), platform["name"]
        assert {"/run", "/run/lock"} <= set(platform["tmpfs"]), platform["name"]
        assert "/sys/fs/cgroup:/sys/fs/cgroup:rw" in platform["volumes"], platform["name"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_platform_names_and_addresses_are_unique(name):
    platforms = scenario(name)["platforms"]
    names = [platform["name"] for platform in platforms]
    assert len(names) == len(set(names))
    addresses = [network["ipv4_address"] for platform in platforms for network in platform["networks"]
                 if "ipv4_address" in network]
    assert len(addresses) == len(set(addresses))


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_node_is_written_once_per_scenario(name):
    # A copy-pasted host block repeats these keys; the node block is declared once and merged (<<: *node).
    text = platforms_text(name)
    repeated = [key for key in NODE_KEYS if len(re.findall(r"(?<![\w-])%s:" % key, text)) > 1]
    assert repeated == [], "write the lab's node once (YAML anchor) and merge it into each platform"


def set_variables(name):
    """(where, variable, value) for every variable a scenario sets: in its molecule.yml and its inventory/."""
    inventory = scenario(name)["provisioner"].get("inventory", {})
    for kind in ("group_vars", "host_vars"):
        for target, values in (inventory.get(kind) or {}).items():
            for variable, value in (values or {}).items():
                yield "molecule.yml %s/%s" % (kind, target), variable, value
    for path in sorted((REPO / "molecule" / name / "inventory").glob("*_vars/*.yml")):
        for variable, value in (yaml.safe_load(path.read_text()) or {}).items():
            yield str(path.relative_to(REPO)), variable, value


def collection_variables():
    """The variables of the collection: its roles' options and the inventory contract of docs/topology.md."""
    names = set(re.findall(r"`(mariadb_\w+)`", (REPO / "docs" / "topology.md").read_text()))
    for path in (REPO / "roles").glob("*/meta/argument_specs.yml"):
        for entry_point in yaml.safe_load(path.read_text())["argument_specs"].values():
            names.update(entry_point.get("options", {}))
    return names


def shared_variables():
    return yaml.safe_load(SHARED_INVENTORY.read_text())["all"]["children"]["mariadb"]["vars"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_scenario_sets_only_test_variables_and_the_collections_own(name):
    known = collection_variables()
    strays = ["%s: %s" % (where, variable) for where, variable, _value in set_variables(name)
              if not variable.startswith(("test_", "ansible_")) and variable not in known]
    assert strays == [], "prefix test variables with test_, so none reads like a role's variable"


def test_the_shared_variables_are_test_variables_or_the_collections_own():
    known = collection_variables()
    assert [variable for variable in shared_variables()
            if not variable.startswith("test_") and variable not in known] == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_scenario_does_not_repeat_a_shared_value(name):
    shared = shared_variables()
    repeated = ["%s: %s" % (where, variable) for where, variable, value in set_variables(name)
                if variable in shared and value == shared[variable]]
    assert repeated == [], "molecule/resources/inventory/shared.yml sets it for every scenario already"


def test_every_scenario_gets_the_shared_inventory():
    base = yaml.safe_load((REPO / ".config" / "molecule" / "config.yml").read_text())
    assert ("--inventory=${MOLECULE_PROJECT_DIRECTORY}/%s" % SHARED_INVENTORY.relative_to(REPO)
            in base["provisioner"]["ansible_args"])
    assert shared_variables()["mariadb_replication_password"]
