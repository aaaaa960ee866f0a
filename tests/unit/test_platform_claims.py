# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles run only where they are tested, unless asked (the platform check on this Debian controller, with
the tested list changed), and every platform a role's metadata claims is one the lab tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: replkit.mariadb.mariadb
        tasks_from: platform
"""


def run_check(tmp_path, **extra_vars):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-e", json.dumps(extra_vars),
                           "-e", "ansible_python_interpreter=%s" % sys.executable, str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=env, check=False)


def test_a_tested_platform_passes(tmp_path):
    # This machine is Debian 12, one of the tested platforms.
    assert run_check(tmp_path).returncode == 0


def test_an_untested_platform_is_refused_with_the_way_out(tmp_path):
    result = run_check(tmp_path, mariadb_tested_platforms=["Debian 99"])
    assert result.returncode != 0
    assert "localhost runs Debian 12; the replkit.mariadb roles are tested on Debian 99 only" in result.stdout
    assert "mariadb_allow_untested_platform: true" in result.stdout


def test_an_untested_platform_runs_when_allowed(tmp_path):
    result = run_check(tmp_path, mariadb_tested_platforms=["Debian 99"], mariadb_allow_untested_platform=True)
    assert result.returncode == 0, result.stdout


def test_role_metadata_claims_only_tested_platforms():
    tested = yaml.safe_load((REPO / "roles" / "mariadb" / "vars" / "main.yml").read_text())["mariadb_tested_platforms"]
    names = {"12": "bookworm", "13": "trixie"}
    claimed = {name.split()[0]: [] for name in tested}
    for name in tested:
        claimed[name.split()[0]].append(names[name.split()[1]])
    for meta in sorted((REPO / "roles").glob("*/meta/main.yml")):
        platforms = yaml.safe_load(meta.read_text())["galaxy_info"]["platforms"]
        assert {entry["name"]: entry["versions"] for entry in platforms} == claimed, meta
