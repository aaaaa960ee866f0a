# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Execution environments: ansible-builder reads the collection's meta/execution-environment.yml (introspect, as
an EE build does) and accepts the README's EE definition (create; building the image needs a registry)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BUILDER = str(Path(sys.executable).parent / "ansible-builder")


def test_introspection_finds_the_collections_python_requirements(tmp_path):
    namespace = tmp_path / "ansible_collections" / "replkit"
    namespace.mkdir(parents=True)
    (namespace / "mariadb").symlink_to(REPO)
    output = subprocess.run([BUILDER, "introspect", "--sanitize", str(tmp_path)],
                            capture_output=True, text=True, check=True).stdout
    found = yaml.safe_load(output.split("\n", 1)[1])
    assert [line for line in found["python"] if line.startswith("PyMySQL")] == [
        "PyMySQL>=1.0.2  # from collection replkit.mariadb"]
    # The repository's own requirements.txt is the test tool chain, never an EE's.
    assert not any("molecule" in line or "pytest" in line for line in found["python"])


def test_the_documented_definition_makes_a_build_context(tmp_path):
    context = tmp_path / "context"
    subprocess.run([BUILDER, "create", "-f", str(REPO / "docs" / "execution-environment.yml"),
                    "--context", str(context)], capture_output=True, text=True, check=True)
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert [entry["name"] for entry in requirements["collections"]] == ["replkit.mariadb"]
    containerfile = next(path for path in (context / "Containerfile", context / "Dockerfile") if path.exists())
    assert "introspect" in containerfile.read_text()
