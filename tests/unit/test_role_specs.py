# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's defaults and its argument spec say the same: every default is declared, with the same value, and
ansible-doc renders every role's spec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(path.parent.parent.name for path in (REPO / "roles").glob("*/meta/argument_specs.yml"))


def role_files(role):
    defaults_file = REPO / "roles" / role / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return defaults or {}, spec["argument_specs"]["main"].get("options") or {}


@pytest.mark.parametrize("role", ROLES)
def test_every_default_is_declared_with_the_same_value(role):
    defaults, options = role_files(role)
    undeclared = sorted(set(defaults) - set(options))
    assert undeclared == [], "add these to roles/%s/meta/argument_specs.yml" % role
    differing = {name: (value, options[name].get("default")) for name, value in defaults.items()
                 if not (isinstance(value, str) and "{{" in value) and options[name].get("default") != value}
    assert differing == {}, "defaults/main.yml and argument_specs.yml disagree (defaults, spec)"


@pytest.mark.parametrize("role", ROLES)
def test_a_declared_default_has_its_place_in_the_defaults_file(role):
    defaults, options = role_files(role)
    missing = sorted(name for name, option in options.items() if "default" in option and name not in defaults)
    assert missing == [], "give these a value in roles/%s/defaults/main.yml" % role


def test_own_variables_carry_the_role_prefix():
    foreign = {role: sorted(name for name in role_files(role)[0] if not name.startswith(role + "_"))
               for role in ROLES}
    assert {role: names for role, names in foreign.items() if names} == {}


def test_ansible_doc_renders_every_role():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
    output = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", "-t", "role"]
                            + ["replkit.mariadb.%s" % role for role in ROLES],
                            capture_output=True, text=True, env=env, check=True).stdout
    docs = json.loads(output)
    assert sorted(docs) == ["replkit.mariadb.%s" % role for role in ROLES]
    for name, doc in docs.items():
        assert doc["entry_points"]["main"]["short_description"], name
