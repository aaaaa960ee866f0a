# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module says what it supports: check mode, diff mode and platform (an attributes block), and documents
its examples and return values."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

MODULES = sorted((Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("mariadb_*.py"))


def doc_strings(path):
    tree = ast.parse(path.read_text())
    return {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant)}


@pytest.mark.parametrize("path", MODULES, ids=[path.stem for path in MODULES])
def test_module_documents_its_attributes_examples_and_return_values(path):
    docs = doc_strings(path)
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    assert "ansible.builtin.action_common_attributes" in documentation.get("extends_documentation_fragment", [])
    attributes = documentation.get("attributes") or {}
    assert {"check_mode", "diff_mode", "platform"} <= set(attributes), sorted(attributes)
    for name in ("check_mode", "diff_mode"):
        assert attributes[name]["support"] in ("full", "partial", "none", "N/A")
    assert attributes["platform"]["platforms"] == "posix"
    assert yaml.safe_load(docs["EXAMPLES"]) and yaml.safe_load(docs["RETURN"]) is not None


def test_every_module_is_checked():
    assert len(MODULES) >= 11
