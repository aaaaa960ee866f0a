"""The replkit.mariadb.topology_plan filter: input handling, errors, and a real play using it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.topology_plan import FilterModule, topology_plan

REPO = Path(__file__).resolve().parents[4]
INVENTORIES = REPO / "tests" / "unit" / "plugins" / "plugin_utils" / "inventories"
PAIR = {
    "a": {"mariadb_writable": True, "mariadb_sources": ["b"]},
    "b": {"mariadb_sources": ["a"]},
}


def test_filter_is_registered():
    assert FilterModule().filters() == {"topology_plan": topology_plan}


def test_plans_a_plain_mapping_with_and_without_hosts():
    plan = topology_plan(PAIR)
    assert sorted(plan) == ["a", "b"]
    assert plan["b"]["read_only"] is True
    assert topology_plan(PAIR, ("a", "b")) == plan


def test_every_problem_in_one_filter_error():
    with pytest.raises(AnsibleFilterError) as caught:
        topology_plan({"a": {"mariadb_sources": ["a"]}, "b": {"mariadb_writable": "perhaps"}, "c": {"mariadb_port": -1}})
    lines = str(caught.value).splitlines()
    assert lines[0] == "the replication topology in the inventory has 3 problem(s):"
    assert lines[1].startswith("- a: mariadb_sources: a lists itself as a source")
    assert lines[2].startswith("- b: mariadb_writable: 'perhaps' is not a boolean")
    assert lines[3].startswith("- c: mariadb_port: -1 is out of range")


@pytest.mark.parametrize("value", [["a", "b"], 42])
def test_input_must_be_a_mapping(value):
    with pytest.raises(AnsibleFilterError, match="expects hostvars"):
        topology_plan(value)


@pytest.mark.parametrize("hosts", ["a", 5])
def test_hosts_must_be_a_list(hosts):
    with pytest.raises(AnsibleFilterError, match="hosts argument must be a list of host names"):
        topology_plan(PAIR, hosts)


def _run_playbook(tmp_path, inventory, arguments="ansible_play_hosts_all"):
    playbook = tmp_path / "plan.yml"
    playbook.write_text(
        "- hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Plan\n"
        "      ansible.builtin.set_fact:\n"
        "        plan: \"{{ hostvars | replkit.mariadb.topology_plan(" + arguments + ") }}\"\n"
        "      run_once: true\n"
        "    - name: Write the plan\n"
        "      ansible.builtin.copy:\n"
        "        content: \"{{ plan | to_json }}\"\n"
        "        dest: \"" + str(tmp_path / "plan.json") + "\"\n"
        "        mode: '0644'\n"
        "      run_once: true\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), "-c", "local",
               "-e", "ansible_python_interpreter=" + sys.executable, str(playbook)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_play_plans_from_hostvars_with_group_vars(tmp_path):
    result = _run_playbook(tmp_path, INVENTORIES / "valid" / "ring.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert sorted(plan) == ["d2", "m1", "m2", "m3", "r1"]
    assert plan["m1"]["writable"] is True  # from the ring group's vars
    assert plan["d2"]["connections"][0]["primary_delay"] == 3600


def test_a_play_fails_before_any_task_changes_anything(tmp_path):
    result = _run_playbook(tmp_path, INVENTORIES / "invalid" / "many_problems_at_once.yml")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "has 4 problem(s)" in output
    assert "source 'ghost' is not a host of this inventory" in output
    assert "mariadb_server_id 1 is set on 2 hosts" in output
    assert not (tmp_path / "plan.json").exists()


def test_a_play_passing_groups_as_the_preflight_role_does_names_a_group_given_as_a_source(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n"
        "  children:\n"
        "    mariadb:\n"
        "      children:\n"
        "        primaries:\n"
        "          hosts:\n"
        "            p1: {mariadb_replication_host: 10.0.0.1}\n"
        "            p2: {mariadb_replication_host: 10.0.0.2}\n"
        "        replicas:\n"
        "          hosts:\n"
        "            r1: {mariadb_replication_host: 10.0.0.3, mariadb_sources: [primaries]}\n")
    result = _run_playbook(tmp_path, inventory, "groups['mariadb'], groups")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "r1: mariadb_sources: source 'primaries' is a group of the inventory, not a host (its hosts: p1, p2)" in output
    assert not (tmp_path / "plan.json").exists()
    # The same call plans a valid inventory.
    result = _run_playbook(tmp_path, INVENTORIES / "valid" / "ring.yml", "groups['mariadb'], groups")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(json.loads((tmp_path / "plan.json").read_text())) == ["d2", "m1", "m2", "m3", "r1"]
