"""pytest fixtures: real mariadbd instances on loopback (see mariadb_lab.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mariadb_lab import MariaDBLab, init_template

REPO = Path(__file__).resolve().parents[2]


def module_runner(name, args, check_mode=False, diff=False):
    """Execute plugins/modules/<name>.py with ``args``; returns the parsed result dict.

    ``result["failed"]`` is set for failures, so tests assert on messages too.
    """
    payload = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": payload}, handle)
    try:
        env = dict(os.environ, PYTHONPATH=str(REPO / ".collections"))
        proc = subprocess.run([sys.executable, str(REPO / "plugins" / "modules" / f"{name}.py"), handle.name],
                              capture_output=True, text=True, env=env, timeout=300, check=False)
    finally:
        os.unlink(handle.name)
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{name} printed no JSON (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result.setdefault("failed", False)
    result["_stderr"] = proc.stderr
    return result


@pytest.fixture(scope="session")
def mariadb_template(tmp_path_factory):
    return init_template(tmp_path_factory.mktemp("mariadb-template"))


@pytest.fixture
def mariadb_lab(mariadb_template, tmp_path):
    """A factory: ``mariadb_lab.start(3)`` gives three running servers, stopped after the test."""
    lab = MariaDBLab(tmp_path, mariadb_template)
    yield lab
    lab.stop_all()


@pytest.fixture
def run_module():
    """Run a module of this collection as Ansible does: its file, JSON args in, JSON result out."""
    return module_runner


def pytest_report_header(config):
    """Say which MariaDB the integration tests run on."""
    image = os.environ.get("REPLKIT_MARIADB_IMAGE")
    command = (["docker", "run", "--rm", image] if image else []) + ["mariadbd", "--version"]
    try:
        version = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        version = f"unknown ({exc})"
    return f"mariadb under test: {version or 'unknown'}" + (f" (image {image})" if image else " (host)")
