"""Benchmark: cold converge and no-op re-run of site.yml for several topologies.

For each topology it starts fresh lab nodes (the systemd node image, one Docker
network of the project's own), writes an inventory, runs ``ansible-playbook
site.yml`` twice and records the wall time of each run and whether the second
one changed anything. Nodes and network are removed afterwards.

    .venv/bin/python benchmarks/converge_bench.py [--suite bookworm] [--topology aggregator:2 ...]

Run it through lab/with-docker.sh (make benchmark does) so a Docker engine is up.
Targets (issue 4): a no-op re-run of a 3-node topology under 15 s; the cold
converge of a 5-ring no more than 1.5x that of a 3-ring.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NETWORK = "replkit-bench"
SUBNET_PREFIX = "172.30.99."
PASSWORD = "be'nch\"pa\\ss;"
DEFAULT_TOPOLOGIES = ["aggregator:2", "aggregator:4", "ring:3", "ring:5"]


def run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, text=True, capture_output=True, **kwargs)


def topology_hosts(kind: str, size: int) -> dict[str, dict]:
    """Host variables of the topology: an aggregator of ``size`` primaries, or a ring of ``size`` writers."""
    if kind == "aggregator":
        hosts = {f"bench-p{i}": {} for i in range(1, size + 1)}
        hosts["bench-agg"] = {"mariadb_sources": sorted(hosts)}
        return hosts
    if kind == "ring":
        names = [f"bench-m{i}" for i in range(1, size + 1)]
        return {name: {"mariadb_writable": True, "mariadb_sources": [names[index - 1]]}
                for index, name in enumerate(names)}
    raise SystemExit(f"unknown topology kind {kind!r} (aggregator or ring)")


def start_nodes(image: str, names: list[str]) -> dict[str, str]:
    run("docker", "network", "create", "--subnet", SUBNET_PREFIX + "0/24", NETWORK)
    addresses = {}
    for index, name in enumerate(names, start=10):
        address = f"{SUBNET_PREFIX}{index}"
        run("docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--ip", address,
            "--tmpfs", "/run", "--tmpfs", "/run/lock", "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--cgroupns", "host", "--env", "container=docker", image, "/sbin/init")
        addresses[name] = address
    for name in names:  # as on a VM: wait for the server to be up before converging
        deadline = time.monotonic() + 120
        while run("docker", "exec", name, "systemctl", "is-active", "--quiet", "mariadb", check=False).returncode:
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: mariadb did not start")
            time.sleep(0.5)
    return addresses


def remove_nodes(names: list[str]) -> None:
    run("docker", "rm", "-f", *names, check=False)
    run("docker", "network", "rm", NETWORK, check=False)


def write_inventory(path: Path, hosts: dict[str, dict], addresses: dict[str, str]) -> None:
    inventory = {"all": {"children": {"mariadb": {"hosts": {
        name: dict(variables, ansible_connection="community.docker.docker",
                   ansible_python_interpreter="/usr/bin/python3", mariadb_replication_host=addresses[name])
        for name, variables in hosts.items()}, "vars": {"mariadb_replication_password": PASSWORD}}}}}
    path.write_text(json.dumps(inventory, indent=2))  # JSON is YAML


def converge(inventory: Path) -> tuple[float, int, str]:
    """Run site.yml once; returns (seconds, total changed tasks, output)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORKS="10", ANSIBLE_PIPELINING="1")
    start = time.monotonic()
    proc = run(str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory), str(REPO / "site.yml"),
               check=False, env=env, cwd=REPO)
    elapsed = time.monotonic() - start
    if proc.returncode:
        raise SystemExit(f"site.yml failed (rc={proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout))
    return elapsed, changed, proc.stdout


def bench(topology: str, image: str) -> dict:
    kind, size = topology.split(":", 1)
    hosts = topology_hosts(kind, int(size))
    names = sorted(hosts)
    remove_nodes(names)
    try:
        addresses = start_nodes(image, names)
        with tempfile.TemporaryDirectory() as tmp:
            inventory = Path(tmp) / "inventory.yml"
            write_inventory(inventory, hosts, addresses)
            cold, cold_changed, _output = converge(inventory)
            noop, noop_changed, _output = converge(inventory)
    finally:
        remove_nodes(names)
    return dict(topology=topology, nodes=len(names), cold_s=round(cold, 1), cold_changed=cold_changed,
                noop_s=round(noop, 1), noop_changed=noop_changed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--topology", action="append", help="kind:size, e.g. ring:5 (repeatable)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here too")
    args = parser.parse_args()
    image = f"replkit-node:{args.suite}-mariadb"
    run(str(REPO / "lab" / "images" / "build.sh"), args.suite, "mariadb")
    results = []
    for topology in args.topology or DEFAULT_TOPOLOGIES:
        result = bench(topology, image)
        results.append(result)
        print(f"{topology:14} nodes={result['nodes']} cold={result['cold_s']:6.1f} s "
              f"(changed {result['cold_changed']})  no-op={result['noop_s']:5.1f} s (changed {result['noop_changed']})",
              flush=True)
    by_name = {r["topology"]: r for r in results}
    if "ring:3" in by_name and "ring:5" in by_name:
        print(f"ring 5 / ring 3 cold converge: {by_name['ring:5']['cold_s'] / by_name['ring:3']['cold_s']:.2f}x "
              "(target <= 1.5x)")
    if args.output:
        args.output.write_text(json.dumps(dict(suite=args.suite, results=results), indent=2) + "\n")
    return 0 if all(r["noop_changed"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
