# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site playbook's phases: --tags NAME runs that phase's role and the plan, nothing else (ansible-playbook --list-tasks)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROLES = ("preflight", "server", "replication_account", "seed", "topology", "verify", "checksum")


def roles_listed(tmp_path, *options):
    """The roles whose tasks ansible-playbook --list-tasks shows for the site playbook with these options."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n    mariadb:\n      hosts:\n        db1:\n        db2:\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
    playbook = Path(sys.executable).parent / "ansible-playbook"
    listing = subprocess.run([str(playbook), "-i", str(inventory), "--list-tasks", *options,
                              str(REPO / "playbooks" / "site.yml")],
                             capture_output=True, text=True, env=env, check=True).stdout
    # Ansible checks every role's arguments whatever the tags (that task is tagged always); it changes nothing.
    tasks = [line for line in listing.splitlines() if "Validating arguments against arg spec" not in line]
    return {role for role in ROLES if any(re.search(r"replkit\.mariadb\.%s : " % role, line) for line in tasks)}


def test_every_phase_runs_without_tags(tmp_path):
    assert roles_listed(tmp_path) == set(ROLES)


@pytest.mark.parametrize("tag, roles", [
    ("plan", {"preflight"}),
    ("server", {"preflight", "server"}),
    ("accounts", {"preflight", "replication_account"}),
    ("seed", {"preflight", "seed"}),
    ("wire", {"preflight", "topology"}),
    ("verify", {"preflight", "verify", "checksum"}),
    ("checksum", {"preflight", "checksum"}),
])
def test_one_phase_runs_its_role_after_the_plan(tmp_path, tag, roles):
    assert roles_listed(tmp_path, "--tags", tag) == roles


def test_skipping_a_phase_keeps_the_others(tmp_path):
    assert roles_listed(tmp_path, "--skip-tags", "seed") == set(ROLES) - {"seed"}
