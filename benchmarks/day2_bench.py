"""Benchmark: switchover and failover of a master-master pair under a writer that follows the writable side.

It starts two lab nodes (converge_bench's nodes, on a network of their own), declares seed 004's pair (A writable
and replicating from B, B a read-only replica of A), converges it with ``replkit.mariadb.site`` and starts
molecule/resources/files/follow_writer.py on the controller: one numbered row every 10 ms, committed on whichever
node has read_only off, as an account without SUPER (SELECT, INSERT on its database only), so read_only applies to it.
Then, as a user would run them (``ansible-playbook -i INVENTORY -i CHANGE... replkit.mariadb.OPERATION``, every
inventory change an operation wrote given after the inventory, in order):

- switchovers back and forth (``--switchovers``, 4 by default): per run the playbook's wall time and the write gap,
  the longest time between two acknowledged commits while it ran;
- failovers (``--failovers``, 2 by default): ``docker kill`` of the writer A and, at once,
  ``replkit.mariadb.failover -e mariadb_failed_host=A``: the time from the playbook's start to the first commit the
  candidate acknowledged, and the playbook's wall time; then ``docker start`` A, ``replkit.mariadb.rejoin
  -e mariadb_rejoin_host=A -e mariadb_rejoin_accept_errant=true`` and a switchover back to A (counted as a
  switchover too).

Every operation runs with Ansible's ``ansible.posix.profile_tasks`` callback: the task timeline is parsed into
phases, the switchover's critical path (from "Make the old writer refuse writes" to the end of "Let the candidate
take writes") reported on its own, and the slowest tasks listed. A watcher polls both servers' read_only every 50 ms
(the server-side window without a writer). At the end the writer stops and every acknowledged row must be on both
nodes exactly once. Nodes and network are removed afterwards, also on failure.

    .venv/bin/python benchmarks/day2_bench.py [--suite bookworm] [--output benchmarks/results/day2-bookworm.json]

Run it through lab/with-docker.sh (make benchmark-day2 does) so a Docker engine is up. Targets: a switchover's write
unavailability <= 2 s with no acknowledged row lost; a failover's candidate takes writes <= 10 s after the
playbook starts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pymysql

import converge_bench as lab

# start_nodes() and remove_nodes() read these module globals: this benchmark's network, not converge_bench's.
lab.NETWORK = "replkit-day2"
lab.SUBNET_PREFIX = "172.30.98."
REPO = lab.REPO
NODE_A, NODE_B = "day2-a", "day2-b"
HOSTS = {NODE_A: {"mariadb_writable": True, "mariadb_sources": [NODE_B]}, NODE_B: {"mariadb_sources": [NODE_A]}}
WRITER = REPO / "molecule" / "resources" / "files" / "follow_writer.py"
WRITER_USER = "day2"
WRITER_PASSWORD = "wr'ite\"r\\pw;"  # quotes and a backslash, as lab.PASSWORD: escaping is part of the run
DATABASE, TABLE = "replkit_day2", "replkit_day2.follow"
# follow_writer.py lists gaps over 0.5 s; the benchmark lowers that threshold (the module's GAP_REPORTED) so the
# gap of every operation is measured, not only bounded.
GAP_LISTED = 0.05
WATCH_INTERVAL = 0.05
SWITCH_START = "Make the old writer refuse writes"
TAKE_WRITES = "Let the candidate take writes"
RELAY_WAIT = "Wait until the candidate applied everything it received"
TARGET_SWITCHOVER_GAP = 2.0
TARGET_FAILOVER = 10.0


class StepFailed(Exception):
    """An operation playbook (or a step around it) failed; the run stops and reports what it measured."""


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def mariadb(name: str, statement: str, check: bool = True) -> subprocess.CompletedProcess:
    return lab.run("docker", "exec", "-i", name, "mariadb", "--batch", "--skip-column-names", input=statement,
                   check=check)


def wait_server(name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while mariadb(name, "SELECT 1", check=False).returncode:
        if time.monotonic() > deadline:
            raise StepFailed(f"{name}: mariadb did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def machine_state(ours: list[str]) -> dict:
    """Load and the other containers on the engine: whether other jobs shared the machine."""
    names = lab.run("docker", "ps", "--format", "{{.Names}}", check=False).stdout.split()
    return dict(at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), load=[round(x, 2) for x in os.getloadavg()],
                uptime=lab.run("uptime", check=False).stdout.strip(),
                other_containers=sorted(n for n in names if n not in ours))


class ReadOnlyWatch:
    """Polls @@global.read_only of each server every WATCH_INTERVAL s; ``events`` holds (time, host, value) at
    every change, value None while the server does not answer."""

    def __init__(self, addresses: dict[str, str]):
        self.events: list[tuple[float, str, int | None]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._watch, args=(name, address), daemon=True)
                         for name, address in addresses.items()]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _watch(self, name: str, address: str) -> None:
        connection, last = None, "unset"
        while not self._stop.is_set():
            try:
                if connection is None:
                    connection = pymysql.connect(host=address, user=WRITER_USER, password=WRITER_PASSWORD,
                                                 connect_timeout=1, read_timeout=1, write_timeout=1, autocommit=True)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT @@global.read_only")
                    value = int(cursor.fetchone()[0])
            except pymysql.MySQLError:
                value = None
                if connection is not None:
                    try:
                        connection.close()
                    except pymysql.MySQLError:
                        pass
                connection = None
            if value != last:
                self.events.append((time.time(), name, value))
                last = value
            self._stop.wait(WATCH_INTERVAL)

    def first(self, host: str, value: int, start: float, end: float) -> float | None:
        """When ``host`` was first seen with read_only ``value`` in [start, end] (a change seen then)."""
        return next((at for at, name, seen in self.events if name == host and seen == value and start <= at <= end),
                    None)


def writer_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def last_committed(path: Path) -> int:
    committed = writer_state(path).get("committed") or [0]
    return committed[-1]


TASK_BANNER = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(?P<name>.*)\] \*+\s*$")
RECAP_BANNER = re.compile(r"^TASKS RECAP \*+\s*$")
TASK_TIME = re.compile(r"\((?:\d+):(?:\d\d):(?:\d\d)\.(?:\d{3})\)\s+(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d)\.(?P<ms>\d{3})")


def task_timeline(output: str) -> tuple[list[dict], float | None]:
    """profile_tasks' output as [{name, start, seconds}] (seconds since the callback loaded) and the recap's time."""
    starts, recap, pending = [], None, None
    for line in output.splitlines():
        banner = TASK_BANNER.match(line)
        if banner:
            pending = banner["name"]
            continue
        if RECAP_BANNER.match(line):
            pending = "__recap__"
            continue
        found = TASK_TIME.search(line) if pending else None
        if found:
            at = int(found["h"]) * 3600 + int(found["m"]) * 60 + int(found["s"]) + int(found["ms"]) / 1000
            if pending == "__recap__":
                recap = at
            else:
                starts.append((pending, at))
            pending = None
    timeline = []
    for index, (name, at) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else recap
        timeline.append(dict(name=name, start=round(at, 3), seconds=round(end - at, 3) if end is not None else None))
    return timeline, recap


def first_task(timeline: list[dict], text: str, after: float = -1.0) -> int | None:
    return next((index for index, task in enumerate(timeline) if text in task["name"] and task["start"] > after), None)


def profile(timeline: list[dict], recap: float | None, wall: float, kind: str) -> dict:
    """Phases of an operation's run (seconds), from its task timeline. ``offset``, the time from the process's start
    to the callback's clock, is taken as the wall time minus the recap's time, so ``startup_s`` (Python's and
    Ansible's start, up to the first task) also holds the short exit after the recap."""
    if not timeline or recap is None:
        return {}
    offset = wall - recap
    result = dict(startup_s=round(offset + timeline[0]["start"], 2))
    marks = []
    if kind == "switchover":
        begin, take = first_task(timeline, SWITCH_START), first_task(timeline, TAKE_WRITES)
        if begin is not None and take is not None:
            end = timeline[take]["start"] + (timeline[take]["seconds"] or 0)
            marks = [("read_and_plan_s", timeline[0]["start"], timeline[begin]["start"]),
                     ("critical_path_s", timeline[begin]["start"], end),
                     ("rewire_and_report_s", end, recap)]
            result["critical_path_tasks"] = [dict(name=task["name"], seconds=task["seconds"])
                                             for task in timeline[begin:take + 1]]
    elif kind == "failover":
        wait, take = first_task(timeline, RELAY_WAIT), first_task(timeline, TAKE_WRITES)
        if wait is not None and take is not None:
            end = timeline[take]["start"] + (timeline[take]["seconds"] or 0)
            marks = [("read_and_plan_s", timeline[0]["start"], timeline[wait]["start"]),
                     ("promote_s", timeline[wait]["start"], end),
                     ("rewire_and_report_s", end, recap)]
            result["start_to_promoted_s"] = round(offset + end, 2)
            result["promote_tasks"] = [dict(name=task["name"], seconds=task["seconds"])
                                       for task in timeline[wait:take + 1]]
    for label, start, end in marks:
        result[label] = round(end - start, 2)
    result["tasks_s"] = round(recap - timeline[0]["start"], 2)
    result["slowest_tasks"] = [dict(name=task["name"], seconds=task["seconds"])
                               for task in sorted(timeline, key=lambda task: -(task["seconds"] or 0))[:8]]
    return result


def task_seconds(timeline: list[dict]) -> dict[str, float]:
    """Seconds per task name in one run (a name that runs more than once: the sum)."""
    seconds: dict[str, float] = {}
    for task in timeline:
        seconds[task["name"]] = round(seconds.get(task["name"], 0.0) + (task["seconds"] or 0.0), 3)
    return seconds


def where_the_time_goes(entries: list[dict], top: int = 12) -> list[dict]:
    """The tasks with the longest median time over these runs (a run without the task counts 0)."""
    names = {name for entry in entries for name in entry.get("task_seconds", {})}
    medians = [dict(name=name, median_s=round(statistics.median(entry.get("task_seconds", {}).get(name, 0.0)
                                                                for entry in entries), 2))
               for name in names]
    return sorted(medians, key=lambda item: -item["median_s"])[:top]


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path):
        self.args = args
        self.work = work
        self.inventory = work / "inventory.yml"
        self.changes: list[Path] = []
        self.state_file = work / "writer.json"
        self.stop_file = work / "writer.stop"
        self.log_dir = args.log_dir
        self.addresses: dict[str, str] = {}
        self.writer: subprocess.Popen | None = None
        self.watch: ReadOnlyWatch | None = None
        self.operations: list[dict] = []
        self.writable = NODE_A

    def env(self, profile_tasks: bool) -> dict:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0", ANSIBLE_FORKS="10", ANSIBLE_PIPELINING="1")
        if profile_tasks:
            env.update(ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="all",
                       PROFILE_TASKS_SORT_ORDER="none")
        return env

    def playbook(self, label: str, playbook: str, *extra: str, profile_tasks: bool = True) -> dict:
        """Run ``ansible-playbook -i INVENTORY -i CHANGE... PLAYBOOK EXTRA``; its times and output's log file."""
        inventories = [item for path in [self.inventory, *self.changes] for item in ("-i", str(path))]
        command = [str(REPO / ".venv" / "bin" / "ansible-playbook"), *inventories, playbook, *extra]
        log = self.log_dir / f"{len(self.operations) + (label != 'site'):02d}-{label}.log"
        started, clock = time.time(), time.monotonic()
        proc = lab.run(*command, check=False, env=self.env(profile_tasks), cwd=REPO)
        wall = time.monotonic() - clock
        log.write_text(" ".join(command) + "\n\n" + proc.stdout + "\n--- stderr\n" + proc.stderr)
        run = dict(started=started, ended=started + wall, wall_s=round(wall, 2), rc=proc.returncode,
                   log=str(log.relative_to(REPO)) if log.is_relative_to(REPO) else str(log), output=proc.stdout)
        if proc.returncode:
            tail = "\n".join(proc.stdout.splitlines()[-40:])
            run["error"] = tail + ("\n" + proc.stderr[-2000:] if proc.stderr.strip() else "")
        return run

    # --- set-up

    def converge(self) -> float:
        run = self.playbook("site", "replkit.mariadb.site", profile_tasks=False)
        if run["rc"]:
            raise StepFailed(f"replkit.mariadb.site failed (rc={run['rc']}):\n{run['error']}")
        return run["wall_s"]

    def create_writer_account(self) -> None:
        mariadb(NODE_A, f"""
            CREATE DATABASE IF NOT EXISTS {DATABASE};
            CREATE TABLE IF NOT EXISTS {TABLE} (writer VARCHAR(32) NOT NULL, n INT NOT NULL,
              PRIMARY KEY (writer, n)) ENGINE=InnoDB;
            CREATE USER IF NOT EXISTS '{WRITER_USER}'@'%' IDENTIFIED BY {sql_string(WRITER_PASSWORD)};
            GRANT SELECT, INSERT ON {DATABASE}.* TO '{WRITER_USER}'@'%';
        """)
        deadline = time.monotonic() + 60  # B receives the account and the table through replication
        while mariadb(NODE_B, f"SELECT COUNT(*) FROM {TABLE}", check=False).returncode:
            if time.monotonic() > deadline:
                raise StepFailed(f"{NODE_B} did not receive {TABLE} from {NODE_A}")
            time.sleep(0.5)

    def start_writer(self) -> None:
        launcher = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import follow_writer; "
                    "follow_writer.GAP_REPORTED = float(sys.argv.pop(1)); sys.argv[0] = follow_writer.__file__; "
                    "follow_writer.main()")
        command = [sys.executable, "-c", launcher, str(WRITER.parent), str(GAP_LISTED),
                   "--hosts", ",".join(self.addresses[name] for name in (NODE_A, NODE_B)), "--user", WRITER_USER,
                   "--table", TABLE, "--state", str(self.state_file), "--stop", str(self.stop_file)]
        env = dict(os.environ, REPLKIT_WRITER_PASSWORD=WRITER_PASSWORD)  # never on the command line
        with open(self.log_dir / "writer.log", "w", encoding="utf-8") as log:
            self.writer = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while last_committed(self.state_file) < 50:
            if self.writer.poll() is not None or time.monotonic() > deadline:
                raise StepFailed(f"the writer did not start committing; see {self.log_dir / 'writer.log'}")
            time.sleep(0.5)

    def stop_writer(self) -> dict:
        if self.writer is None:
            return {}
        self.stop_file.touch()
        try:
            self.writer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.writer.kill()
            self.writer.wait()
        self.writer = None
        return writer_state(self.state_file)

    def settle(self) -> int:
        """Let the writer commit for a while (and save its state); the last number it committed."""
        time.sleep(self.args.settle)
        return last_committed(self.state_file)

    # --- operations

    def record(self, kind: str, run: dict, **fields) -> dict:
        entry = dict(index=len(self.operations) + 1, kind=kind, **fields,
                     **{key: run[key] for key in ("started", "ended", "wall_s", "rc", "log")})
        timeline, recap = task_timeline(run["output"])
        entry["profile"] = profile(timeline, recap, run["wall_s"], kind)
        entry["task_seconds"] = task_seconds(timeline)
        if "error" in run:
            entry["error"] = run["error"]
        self.operations.append(entry)
        return entry

    def switchover(self, candidate: str) -> dict:
        old = self.writable
        before = self.settle()
        change = self.work / f"change-{len(self.operations) + 1:02d}-switchover.yml"
        run = self.playbook(f"switchover-to-{candidate}", "replkit.mariadb.switchover", "-e",
                            f"mariadb_candidate={candidate}", "-e", f"mariadb_operation_change_file={change}")
        entry = self.record("switchover", run, old=old, candidate=candidate, n_before=before)
        if run["rc"]:
            raise StepFailed(f"switchover to {candidate} failed (rc={run['rc']}):\n{run['error']}")
        self.changes.append(change)
        self.writable = candidate
        entry["n_after"] = self.settle()
        readonly_at = self.watch.first(old, 1, run["started"], run["ended"])
        writable_at = self.watch.first(candidate, 0, run["started"], run["ended"])
        if readonly_at and writable_at:
            entry["no_writer_s"] = round(writable_at - readonly_at, 3)  # the servers' side, +- WATCH_INTERVAL
        return entry

    def failover(self) -> dict:
        failed = self.writable
        candidate = NODE_B if failed == NODE_A else NODE_A
        before = self.settle()
        change = self.work / f"change-{len(self.operations) + 1:02d}-failover.yml"
        killed_from = time.time()
        lab.run("docker", "kill", failed)
        killed = time.time()
        run = self.playbook(f"failover-of-{failed}", "replkit.mariadb.failover", "-e", f"mariadb_failed_host={failed}",
                            "-e", f"mariadb_operation_change_file={change}")
        entry = self.record("failover", run, failed=failed, candidate=candidate, killed_from=killed_from,
                            killed=killed, n_before=before)
        if run["rc"]:
            raise StepFailed(f"failover of {failed} failed (rc={run['rc']}):\n{run['error']}")
        self.changes.append(change)
        self.writable = candidate
        entry["n_after"] = self.settle()
        writable_at = self.watch.first(candidate, 0, run["started"], run["ended"] + self.args.settle)
        if writable_at:
            entry["start_to_read_write_s"] = round(writable_at - run["started"], 3)  # the server's side
        return entry

    def rejoin(self, host: str) -> dict:
        started = time.monotonic()
        lab.run("docker", "start", host)
        wait_server(host)
        restart = time.monotonic() - started
        # The failover could not reach it: it comes back with its old settings, until the rejoin converges it.
        read_only = int(mariadb(host, "SELECT @@global.read_only").stdout.strip())
        run = self.playbook(f"rejoin-{host}", "replkit.mariadb.rejoin", "-e", f"mariadb_rejoin_host={host}",
                            "-e", "mariadb_rejoin_accept_errant=true")
        entry = self.record("rejoin", run, host=host, restart_s=round(restart, 2), read_only_on_return=read_only)
        if run["rc"]:
            raise StepFailed(f"rejoin of {host} failed (rc={run['rc']}):\n{run['error']}")
        return entry

    def site_check(self) -> dict:
        """replkit.mariadb.site with every change the operations wrote: the operations applied exactly that plan,
        so it must change nothing."""
        run = self.playbook("site-after", "replkit.mariadb.site")
        entry = self.record("site", run, changed=sum(int(n) for n in re.findall(r"changed=(\d+)", run["output"])))
        if run["rc"]:
            raise StepFailed(f"replkit.mariadb.site with the changes failed (rc={run['rc']}):\n{run['error']}")
        return entry

    # --- results

    def gaps_in(self, state: dict, start: float, end: float) -> list[dict]:
        return [gap for gap in state.get("gaps", []) if gap["at"] < end and gap["at"] + gap["seconds"] > start]

    def measure(self, state: dict) -> None:
        """Fill in each operation's write gap (and a failover's first commit on the candidate) from the writer."""
        names = {address: name for name, address in self.addresses.items()}
        for item in state.get("gaps", []) + state.get("switches", []):
            item["host"] = names.get(item["host"], item["host"])
        for entry in self.operations:
            if entry["kind"] in ("switchover", "site"):
                gaps = self.gaps_in(state, entry["started"], entry["ended"])
                longest = max(gaps, key=lambda gap: gap["seconds"], default=None)
                entry["write_gap_s"] = longest["seconds"] if longest else None  # None: every gap under GAP_LISTED
                entry["write_gap_host"] = longest["host"] if longest else None
                entry["writer_switches"] = [switch["host"] for switch in state.get("switches", [])
                                            if entry["started"] <= switch["at"] <= entry["ended"]]
            elif entry["kind"] == "failover":
                spanning = self.gaps_in(state, entry["killed_from"], entry["killed"] + 0.001)
                if spanning:
                    gap = spanning[-1]
                    first = gap["at"] + gap["seconds"]
                    entry.update(write_gap_s=gap["seconds"], first_commit_host=gap["host"],
                                 start_to_first_commit_s=round(first - entry["started"], 3),
                                 kill_to_first_commit_s=round(first - entry["killed_from"], 3))

    def rows(self, state: dict) -> dict:
        """Every acknowledged number on both nodes exactly once (once replication has settled)."""
        committed = state.get("committed", [])
        wanted, uncertain = set(committed), set(state.get("uncertain", []))
        query = f"SELECT n, COUNT(*) FROM {TABLE} WHERE writer = 'follow' GROUP BY n"
        per_node, previous, deadline = {}, None, time.monotonic() + 120
        while True:  # until every acknowledged row is everywhere, or nothing changed for 5 s (or 2 minutes)
            for name in (NODE_A, NODE_B):
                proc = mariadb(name, query, check=False)
                per_node[name] = dict(tuple(int(x) for x in line.split("\t")) for line in proc.stdout.splitlines())
            if all(wanted <= set(found) for found in per_node.values()) or time.monotonic() > deadline:
                break
            if per_node != (previous or {}).get("rows"):
                previous = dict(rows=dict(per_node), since=time.monotonic())
            elif time.monotonic() - previous["since"] > 5:
                break
            time.sleep(1)
        result = dict(acknowledged=len(committed), acknowledged_twice=len(committed) - len(wanted),
                      uncertain=len(uncertain), refused=state.get("refused", 0), nodes={})
        for name, found in per_node.items():
            lost = sorted(wanted - set(found))
            result["nodes"][name] = dict(
                rows=len(found), lost=len(lost), lost_numbers=lost[:50],
                duplicated=sum(1 for count in found.values() if count != 1),
                uncertain_present=len(uncertain & set(found)),
                unacknowledged_present=sorted(set(found) - wanted - uncertain)[:50])
            for entry in self.operations:  # which operation's run the lost numbers fall in
                if "n_before" in entry:
                    after = entry.get("n_after", max(committed, default=0))
                    entry.setdefault("rows_lost", {})[name] = sum(1 for n in lost if entry["n_before"] < n <= after)
        return result

    def replication(self) -> dict:
        status = {}
        for name in (NODE_A, NODE_B):
            proc = lab.run("docker", "exec", name, "mariadb", "--batch", "--execute=SHOW ALL SLAVES STATUS", check=False)
            lines = proc.stdout.splitlines()
            header = lines[0].split("\t") if lines else []
            status[name] = [{key: row.get(key) for key in ("Connection_name", "Master_Host", "Slave_IO_Running",
                                                           "Slave_SQL_Running", "Last_Errno", "Last_Error")}
                            for row in (dict(zip(header, line.split("\t"))) for line in lines[1:])]
        return status


def summary(operations: list[dict], rows: dict) -> dict:
    switchovers = [entry for entry in operations if entry["kind"] == "switchover" and entry["rc"] == 0]
    failovers = [entry for entry in operations if entry["kind"] == "failover" and entry["rc"] == 0]
    gaps = [entry["write_gap_s"] or 0.0 for entry in switchovers]
    lost_in_switchovers = sum(sum(entry.get("rows_lost", {}).values()) for entry in switchovers)
    lost = sum(node["lost"] for node in rows.get("nodes", {}).values())
    duplicated = sum(node["duplicated"] for node in rows.get("nodes", {}).values())
    result = dict(switchovers=len(switchovers), failovers=len(failovers))
    if switchovers:
        criticals = [entry["profile"]["critical_path_s"] for entry in switchovers
                     if "critical_path_s" in entry.get("profile", {})]
        result.update(switchover_gap_max_s=max(gaps), switchover_gap_median_s=statistics.median(gaps),
                      switchover_wall_median_s=statistics.median(entry["wall_s"] for entry in switchovers),
                      switchover_critical_path_median_s=statistics.median(criticals) if criticals else None,
                      switchover_rows_lost=lost_in_switchovers,
                      switchover_target_met=max(gaps) <= TARGET_SWITCHOVER_GAP and lost_in_switchovers == 0)
    if failovers:
        firsts = [entry.get("start_to_first_commit_s") for entry in failovers]
        result.update(failover_start_to_first_commit_max_s=max((x for x in firsts if x is not None), default=None),
                      failover_wall_median_s=statistics.median(entry["wall_s"] for entry in failovers),
                      failover_target_met=all(x is not None and x <= TARGET_FAILOVER for x in firsts))
    result.update(rows_lost=lost, rows_duplicated=duplicated)
    sites = [entry for entry in operations if entry["kind"] == "site"]
    if sites:
        result["site_after_changed"] = sites[-1]["changed"]
    for kind in ("switchover", "failover", "rejoin"):
        entries = [entry for entry in operations if entry["kind"] == kind and entry["rc"] == 0]
        if entries:
            result[f"{kind}_slowest_tasks"] = where_the_time_goes(entries)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--switchovers", type=int, default=4, help="switchovers back and forth before the failovers")
    parser.add_argument("--failovers", type=int, default=2)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds of plain writes around each operation")
    parser.add_argument("--log-dir", type=Path, default=REPO / ".cache" / "day2-bench",
                        help="each playbook's output (default .cache/day2-bench)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here too")
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)
    image = f"replkit-node:{args.suite}-mariadb"
    lab.run(str(REPO / "lab" / "images" / "build.sh"), args.suite, "mariadb")
    names = sorted(HOSTS)
    machine = dict(cpus=os.cpu_count(), before=machine_state(names))
    print(f"load before: {machine['before']['load']}, other containers: {machine['before']['other_containers']}",
          flush=True)
    results: dict = dict(suite=args.suite, network=lab.NETWORK, writer_interval_s=0.01, gap_listed_over_s=GAP_LISTED)
    failure, rows, state = None, {}, {}
    lab.remove_nodes(names)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bench = Bench(args, Path(tmp))
            try:
                bench.addresses = lab.start_nodes(image, names)
                lab.write_inventory(bench.inventory, HOSTS, bench.addresses)
                results["converge_s"] = bench.converge()
                results["mariadb_version"] = mariadb(NODE_A, "SELECT VERSION()").stdout.strip()
                bench.create_writer_account()
                bench.watch = ReadOnlyWatch(bench.addresses)
                bench.watch.start()
                bench.start_writer()
                for _switchover in range(args.switchovers):
                    report(bench.switchover(NODE_B if bench.writable == NODE_A else NODE_A))
                for _failover in range(args.failovers):
                    if bench.writable != NODE_A:
                        report(bench.switchover(NODE_A))
                    report(bench.failover())
                    report(bench.rejoin(NODE_A))
                    report(bench.switchover(NODE_A))
                report(bench.site_check())
            except StepFailed as exc:
                failure = str(exc)
                print(f"FAILED: {failure}", file=sys.stderr, flush=True)
            finally:
                state = bench.stop_writer()
                if bench.watch:
                    bench.watch.stop()
            if state:
                bench.measure(state)
                rows = bench.rows(state)
                results["replication"] = bench.replication()
            for entry in bench.operations:
                entry.pop("output", None)
            results.update(operations=bench.operations, rows=rows, failure=failure,
                           writer=dict(longest_gap_s=round(state.get("longest_gap", 0.0), 3),
                                       switches=len(state.get("switches", [])), refused=state.get("refused", 0),
                                       uncertain=state.get("uncertain", []),
                                       gaps_over_0_5_s=[gap for gap in state.get("gaps", []) if gap["seconds"] > 0.5]))
    finally:
        lab.remove_nodes(names)
    machine["after"] = machine_state(names)
    results["machine"] = machine
    results["summary"] = summary(results.get("operations", []), rows)
    for entry in results.get("operations", []):  # the summary has them; each run's log has its whole timeline
        entry.pop("task_seconds", None)
    print_results(results)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if failure or results["summary"].get("rows_lost") or results["summary"].get("rows_duplicated") else 0


def report(entry: dict) -> None:
    what = {"switchover": f"{entry.get('old')} -> {entry.get('candidate')}",
            "failover": f"{entry.get('failed')} lost -> {entry.get('candidate')}",
            "rejoin": f"{entry.get('host')} (restart {entry.get('restart_s')} s)",
            "site": f"with the changes: changed={entry.get('changed')}"}[entry["kind"]]
    extra = ""
    if entry.get("profile", {}).get("critical_path_s") is not None:
        extra = f", critical path {entry['profile']['critical_path_s']} s"
    if entry.get("profile", {}).get("start_to_promoted_s") is not None:
        extra = f", promoted {entry['profile']['start_to_promoted_s']} s after the start"
    print(f"{entry['index']:2d} {entry['kind']:10} {what:28} wall {entry['wall_s']:6.2f} s{extra}", flush=True)


def print_results(results: dict) -> None:
    print("\nper operation (write gap: the longest time between two acknowledged commits during the playbook):")
    for entry in results.get("operations", []):
        if entry["kind"] == "switchover":
            gap = entry.get("write_gap_s")
            print(f"  switchover {entry['old']} -> {entry['candidate']}: write gap "
                  f"{gap if gap is not None else f'< {GAP_LISTED}'} s, wall {entry['wall_s']} s, critical path "
                  f"{entry.get('profile', {}).get('critical_path_s')} s, servers without a writer "
                  f"{entry.get('no_writer_s')} s, rows lost {entry.get('rows_lost')}")
        elif entry["kind"] == "failover":
            print(f"  failover of {entry['failed']}: first commit on {entry.get('first_commit_host')} "
                  f"{entry.get('start_to_first_commit_s')} s after the playbook's start "
                  f"({entry.get('kill_to_first_commit_s')} s after the kill; read_only off after "
                  f"{entry.get('start_to_read_write_s')} s), wall {entry['wall_s']} s, rows lost {entry.get('rows_lost')}")
        elif entry["kind"] == "rejoin":
            print(f"  rejoin of {entry['host']}: wall {entry['wall_s']} s (it came back with read_only="
                  f"{entry.get('read_only_on_return')})")
        else:
            print(f"  site with every change: changed={entry.get('changed')}, wall {entry['wall_s']} s, write gap "
                  f"{entry.get('write_gap_s') if entry.get('write_gap_s') is not None else f'< {GAP_LISTED}'} s")
    print(f"rows: {json.dumps(results.get('rows', {}).get('nodes'))}")
    print(f"summary: {json.dumps(results['summary'])}")
    print(f"load after: {results['machine']['after']['load']}, other containers: "
          f"{results['machine']['after']['other_containers']}")
    if results.get("failure"):
        print(f"FAILED: {results['failure']}")


if __name__ == "__main__":
    sys.exit(main())
