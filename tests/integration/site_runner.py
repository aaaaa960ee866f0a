"""Run the site playbook over lab servers: one local inventory host per server (its socket, port and files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def run_site(tmp_path, servers, sources, *options, password, host_vars=None, playbook=None):
    """ansible-playbook site.yml over local 'hosts', one per lab server; ``options`` go to ansible-playbook.

    ``sources`` maps a host to its ``mariadb_sources`` (hosts without any are writable primaries); ``host_vars`` adds
    variables per host; ``playbook`` runs another playbook than site.yml (a collection playbook's name).
    """
    hosts = {}
    for name, server in servers.items():
        hosts[name] = {"mariadb_login_unix_socket": str(server.socket), "mariadb_port": server.port,
                       "mariadb_seed_state_file": str(tmp_path / ("state-%s.json" % name))}
        if name in sources:
            hosts[name]["mariadb_sources"] = sources[name]
        else:
            hosts[name]["mariadb_writable"] = True
        hosts[name].update((host_vars or {}).get(name, {}))
    inventory = {"all": {"children": {"mariadb": {"hosts": hosts}}, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "mariadb_replication_host": "127.0.0.1", "mariadb_replication_password": password,
        # Where the server role would write, were it ever reached.
        "server_config_dir": str(tmp_path / "conf.d")}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "conf.d").mkdir(exist_ok=True)
    return run_playbook(tmp_path, "-i", str(tmp_path / "inventory.yml"), *options, playbook or str(REPO / "site.yml"))


def run_playbook(tmp_path, *arguments):
    """ansible-playbook with this repository's collections, no colour; the completed process."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false")
    return subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), *arguments], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=600, check=False)
