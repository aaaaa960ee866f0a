# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module says what it supports: check mode, diff mode and platform (an attributes block, doc fragments
resolved as ansible-doc resolves them), and documents its examples and return values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(path.stem for path in (REPO / "plugins" / "modules").glob("mariadb_*.py"))


@pytest.fixture(scope="module")
def module_docs():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1")
    output = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json", "-t", "module"]
                            + ["replkit.mariadb.%s" % name for name in MODULES],
                            capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(output)


@pytest.mark.parametrize("name", MODULES)
def test_module_documents_its_attributes_examples_and_return_values(module_docs, name):
    entry = module_docs["replkit.mariadb.%s" % name]
    attributes = entry["doc"].get("attributes") or {}
    assert {"check_mode", "diff_mode", "platform"} <= set(attributes), sorted(attributes)
    for attribute in ("check_mode", "diff_mode"):
        assert attributes[attribute]["support"] in ("full", "partial", "none", "N/A")
        assert attributes[attribute]["description"], "the description comes from action_common_attributes"
    assert attributes["platform"]["platforms"] == "posix"
    assert entry["examples"].strip() and entry["return"]


def test_a_read_only_module_says_diff_mode_does_not_apply(module_docs):
    attributes = module_docs["replkit.mariadb.mariadb_replication_info"]["doc"]["attributes"]
    assert attributes["diff_mode"]["support"] == "N/A"
    assert module_docs["replkit.mariadb.mariadb_change_master"]["doc"]["attributes"]["diff_mode"]["support"] == "full"


def test_every_module_is_checked():
    assert len(MODULES) >= 11
