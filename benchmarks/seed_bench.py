"""Benchmark: seeding a replica with a source's data, method by method, under a live writer.

Starts two lab nodes (the systemd node image, a Docker network of its own), fills
the source with a generated InnoDB dataset (``--size-mb``, default 1024 MiB) and
seeds a fresh replica with it once per method, while a writer on the host commits
to the source every 10 ms. For each method it records the wall time, the rate
(dataset MiB / wall time) and the longest gap between two successful commits of
the writer. Seeding methods that yield a replication position are then checked:
the replica replicates from that position, catches up, and every table's
checksum must match the source's. Nodes and network are removed afterwards
(also on failure or Ctrl-C) unless --keep is given.

    .venv/bin/python benchmarks/seed_bench.py [--suite bookworm] [--size-mb 1024] [--method NAME ...] [--keep]

Methods: locked_dump, consistent_dump (replkit.mariadb.mariadb_seed), mariadb_backup
(replkit.mariadb.mariadb_backup_stream + mariadb_backup_restore), all three driven
by ansible-playbook over the docker connection; raw_copy (tar of the source's
datadir over a TCP socket to the replica's disk: the ceiling); controller_copy
(mariadb-dump to a file on the source, docker cp to the controller and on to the
replica, import there).

Run it through lab/with-docker.sh (make benchmark-seed does) so a Docker engine is up.
Targets (issue 5): consistent_dump and mariadb_backup keep the writer's longest
gap under 1 s; mariadb_backup runs at least half as fast as raw_copy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import statistics
import sys
import tempfile
import threading
import time
from typing import NamedTuple
from datetime import datetime
from pathlib import Path

import pymysql

REPO = Path(__file__).resolve().parent.parent
NETWORK = "replkit-seed-bench"
SUBNET = "172.31.50.0/24"
SOURCE, REPLICA = "seed-bench-src", "seed-bench-rep"
ADDRESSES = {SOURCE: "172.31.50.10", REPLICA: "172.31.50.20"}
SOCKET = "/run/mysqld/mysqld.sock"
DATABASE = "benchdata"
TABLES = 4
MIB = 1024 * 1024
# Throw-away lab secrets, with quotes on purpose: the seeding modules must pass them intact.
ADMIN_USER, ADMIN_PASSWORD = "bench", "be'nch\"pa\\ss;"
SEED_USER, SEED_PASSWORD = "seed", "se'ed\"pa\\ss;"
REPL_USER, REPL_PASSWORD = "repl", "re'pl\"pa\\ss;"
BACKUP_TOKEN = "bench-token-0123456789abcdef"
RECEIVE_PORT, RAW_PORT = 4444, 4445
WRITER_INTERVAL = 0.010
ALL_METHODS = ["locked_dump", "consistent_dump", "mariadb_backup", "raw_copy", "controller_copy"]

# Same on both nodes except the ids. Binary logs outside the datadir, so the raw copy moves table data, not
# the generation's history. The buffer pool holds half of a 1 GiB dataset: reads partly come from disk.
SERVER_CNF = """[mariadbd]
server_id = {server_id}
gtid_domain_id = {domain_id}
log_bin = /var/log/mysql/mariadb-bin
log_slave_updates = ON
bind_address = 0.0.0.0
innodb_buffer_pool_size = 512M
innodb_log_file_size = 256M
"""


def run(*command: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(command, text=True, capture_output=True, check=False, **kwargs)
    if check and proc.returncode:
        raise RuntimeError(f"{' '.join(command[:6])} ... failed (rc={proc.returncode}):\n"
                           f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def node_sql(node: str, sql: str) -> str:
    """Run SQL as root over the node's socket (stdin, so no secret lands on a command line)."""
    return run("docker", "exec", "-i", node, "mariadb", "--batch", "--skip-column-names", input=sql).stdout


def connect(node: str, **kwargs) -> pymysql.Connection:
    return pymysql.connect(host=ADDRESSES[node], user=ADMIN_USER, password=ADMIN_PASSWORD, autocommit=True,
                           connect_timeout=10, **kwargs)


def scalar(node: str, sql: str, args=None):
    with connect(node) as conn, conn.cursor() as cursor:
        cursor.execute(sql, args)
        row = cursor.fetchone()
        return row[0] if row else None


# ---------------------------------------------------------------- nodes


def start_node(image: str, name: str, cnf: str) -> None:
    run("docker", "rm", "-f", "-v", name, check=False)
    # /var/lib on a volume of its own (Docker fills it from the image): the datadir sits on a real file system
    # as on a server, not on the overlay, whose copy-up would tax the first write to each file and which cannot
    # rename an image directory (the restore moves the old datadir aside).
    run("docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--ip", ADDRESSES[name],
        "--volume", "/var/lib", "--tmpfs", "/run", "--tmpfs", "/run/lock",
        "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "--cgroupns", "host", "--env", "container=docker", image, "/sbin/init")
    wait_mariadb(name)
    run("docker", "exec", "-i", name, "bash", "-c", "cat > /etc/mysql/mariadb.conf.d/90-seed-bench.cnf && "
        "install -d -o mysql -g adm -m 2750 /var/log/mysql && systemctl restart mariadb", input=cnf)
    wait_mariadb(name)
    node_sql(name, f"CREATE USER {ADMIN_USER}@'%' IDENTIFIED BY {sql_string(ADMIN_PASSWORD)};\n"
                   f"GRANT ALL ON *.* TO {ADMIN_USER}@'%' WITH GRANT OPTION;\n")


def wait_mariadb(name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while run("docker", "exec", name, "mariadb", "-e", "SELECT 1", check=False).returncode:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: mariadb did not start")
        time.sleep(0.5)


def remove_nodes() -> None:
    run("docker", "rm", "-f", "-v", SOURCE, REPLICA, check=False)
    run("docker", "network", "rm", NETWORK, check=False)


def setup_source() -> None:
    replica = sql_string(ADDRESSES[REPLICA])
    node_sql(SOURCE, f"""
CREATE USER {SEED_USER}@{replica} IDENTIFIED BY {sql_string(SEED_PASSWORD)};
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, BINLOG MONITOR ON *.* TO {SEED_USER}@{replica};
CREATE USER {REPL_USER}@{replica} IDENTIFIED BY {sql_string(REPL_PASSWORD)};
GRANT REPLICATION SLAVE ON *.* TO {REPL_USER}@{replica};
""")


def generate_data(size_mib: int) -> int:
    """Fill DATABASE with TABLES tables of wide, random-looking rows plus the writer's table; returns rows.

    Server-side (INSERT ... SELECT from the SEQUENCE engine), outside the binary log: a seed copies the
    data as it is now, the generation's history would only slow the source down.
    """
    columns = ("seq, CRC32(seq) % 1000000, CONCAT(MD5(seq), MD5(seq + 1), MD5(seq + 2)), "
               "CONCAT_WS('-', MD5(seq * 7), SHA1(seq * 11), MD5(seq * 13), SHA1(seq * 17), MD5(seq * 19), "
               "SHA1(seq * 23)), '2026-01-01' + INTERVAL seq SECOND")
    ddl = [f"CREATE DATABASE {DATABASE}",
           f"CREATE TABLE {DATABASE}.heartbeat (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
           "at DATETIME(6) NOT NULL) ENGINE=InnoDB"]
    ddl += [f"CREATE TABLE {DATABASE}.t{i} (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, k INT UNSIGNED NOT NULL, "
            "c CHAR(96) NOT NULL, pad VARCHAR(255) NOT NULL, created DATETIME NOT NULL, KEY k (k)) ENGINE=InnoDB"
            for i in range(1, TABLES + 1)]
    with connect(SOURCE, read_timeout=3600) as conn, conn.cursor() as cursor:
        cursor.execute("SET SESSION sql_log_bin = 0")
        for statement in ddl:
            cursor.execute(statement)
        cursor.execute(f"USE {DATABASE}")  # where the SEQUENCE engine's seq_X_to_Y tables are found

        def fill(table: int, first: int, last: int, chunk: int = 100_000) -> None:
            for start in range(first, last + 1, chunk):
                end = min(last, start + chunk - 1)
                cursor.execute(f"INSERT INTO {DATABASE}.t{table} SELECT {columns} FROM seq_{start}_to_{end}")

        # Calibrate the row size on a first slice, then fill every table to its share of the target.
        probe = 20_000
        fill(1, 1, probe)
        cursor.execute(f"ANALYZE TABLE {DATABASE}.t1")
        cursor.fetchall()
        bytes_per_row = dataset_bytes(cursor, "t1") / probe
        rows_per_table = max(probe, int(size_mib * MIB / TABLES / bytes_per_row))
        fill(1, probe + 1, rows_per_table)
        for table in range(2, TABLES + 1):
            fill(table, 1, rows_per_table)
        cursor.execute(f"ANALYZE TABLE {', '.join(f'{DATABASE}.t{i}' for i in range(1, TABLES + 1))}")
        cursor.fetchall()
    return rows_per_table * TABLES


def settle_source(timeout: float = 300) -> dict:
    """Flush the source's dirty pages and advance its checkpoint, so every method starts from the same state.

    Right after the generation about 1 GiB of pages is still dirty: the first method would compete with
    the page cleaner, and mariadb-backup would copy (and prepare) the redo log from an old checkpoint.
    """
    started = time.monotonic()
    with connect(SOURCE) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT @@innodb_max_dirty_pages_pct")
        dirty_pct = cursor.fetchone()[0]
        cursor.execute("SET GLOBAL innodb_max_dirty_pages_pct = 0")
        try:
            while True:
                cursor.execute("SHOW GLOBAL STATUS WHERE variable_name IN "
                               "('Innodb_buffer_pool_pages_dirty', 'Innodb_checkpoint_age')")
                status = {name.lower(): int(value) for name, value in cursor.fetchall()}
                if status["innodb_buffer_pool_pages_dirty"] == 0 and status["innodb_checkpoint_age"] < MIB:
                    break
                if time.monotonic() - started > timeout:
                    raise RuntimeError(f"the source did not settle within {timeout} s: {status}")
                time.sleep(0.5)
        finally:
            cursor.execute("SET GLOBAL innodb_max_dirty_pages_pct = %s", [dirty_pct])
    return dict(settle_s=round(time.monotonic() - started, 1), checkpoint_age_bytes=status["innodb_checkpoint_age"])


# Run on the source: write back and drop the datadir's pages from the page cache (only those files).
EVICT_DATADIR = """
import os, sys
os.sync()
evicted = 0
for root, _dirs, files in os.walk(sys.argv[1]):
    for name in files:
        fd = os.open(os.path.join(root, name), os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            evicted += os.fstat(fd).st_size
        finally:
            os.close(fd)
print(evicted)
"""


def evict_source_datadir() -> int:
    """Every method reads the source's data cold, as on a server whose InnoDB reads bypass the page cache
    (O_DIRECT): otherwise whichever method reads the files first warms the cache for the ones after it."""
    return int(run("docker", "exec", SOURCE, "python3", "-c", EVICT_DATADIR, "/var/lib/mysql").stdout)


def dataset_bytes(cursor, table: str | None = None) -> int:
    sql = "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = %s"
    args = [DATABASE]
    if table:
        sql += " AND table_name = %s"
        args.append(table)
    cursor.execute(sql, args)
    return int(cursor.fetchone()[0])


def du_bytes(node: str, path: str) -> int:
    return int(run("docker", "exec", node, "du", "-sb", path).stdout.split()[0])


# ---------------------------------------------------------------- writer


class Writer:
    """Commits one row every 10 ms to the source from the controller, recording when each commit succeeded."""

    def __init__(self) -> None:
        self.commits: list[float] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        conn = None
        tick = time.monotonic()
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = connect(SOURCE, read_timeout=3600, write_timeout=3600)
                with conn.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {DATABASE}.heartbeat (at) VALUES (NOW(6))")
                self.commits.append(time.monotonic())
            except pymysql.MySQLError as error:  # a failed commit is a gap too; reconnect and go on
                self.errors.append(str(error))
                conn = None
            tick = max(tick + WRITER_INTERVAL, time.monotonic())  # after a stall, the next commit at once
            self._stop.wait(max(0.0, tick - time.monotonic()))
        if conn is not None:
            conn.close()

    def __enter__(self) -> Writer:
        self._thread.start()
        time.sleep(1.0)  # a baseline of commits before the seeding starts
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(1.0)
        self._stop.set()
        self._thread.join()

    def report(self, start: float, end: float) -> dict:
        gaps = [b - a for a, b in zip(self.commits, self.commits[1:])]
        during = [t for t in self.commits if start <= t <= end]
        return dict(longest_gap_s=round(max(gaps), 3) if gaps else None, commits_during=len(during),
                    commits_total=len(self.commits), writer_errors=len(self.errors),
                    writer_first_error=self.errors[0] if self.errors else None)


# ---------------------------------------------------------------- methods


class Work(NamedTuple):
    """What a method runs with: its scratch directory, and the Ansible connection to the nodes."""
    tmp: Path
    connection: str


def connection_vars(connection: str, node: str) -> dict:
    """A node's inventory variables. nsenter enters the container's namespaces from this host: a command
    costs about what it costs over SSH with ControlPersist, where the docker CLI starts a process for each."""
    host_vars = {"ansible_connection": connection, "ansible_python_interpreter": "/usr/bin/python3"}
    if connection == "community.docker.nsenter":
        host_vars["ansible_nsenter_pid"] = int(run("docker", "inspect", "-f", "{{.State.Pid}}", node).stdout)
    return host_vars


def ansible(work: Work, playbook: str, extra_vars: dict) -> tuple[dict, dict]:
    """Run a playbook against the two nodes; returns the registered results by task name and host, and the
    seconds of each task (from the JSON stdout callback, so no reporting task adds to the measured time;
    a task that ran several times: its seconds summed)."""
    tmp = work.tmp
    inventory = {"all": {"hosts": {name: connection_vars(work.connection, name) for name in (SOURCE, REPLICA)}}}
    (tmp / "inventory.yml").write_text(json.dumps(inventory))
    (tmp / "playbook.yml").write_text(playbook)
    (tmp / "vars.json").write_text(json.dumps(extra_vars))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PIPELINING="1", ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    proc = run(str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(tmp / "inventory.yml"),
               "-e", f"@{tmp / 'vars.json'}", str(tmp / "playbook.yml"), check=False, env=env, cwd=tmp)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError(f"playbook failed (rc={proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    results, seconds = {}, {}
    for play in report["plays"]:
        for task in play["tasks"]:
            name, duration = task["task"]["name"], task["task"]["duration"]
            # A task run again (a progress loop): each host's last result, the seconds of all runs summed.
            results.setdefault(name, {}).update(task["hosts"])
            if duration.get("end"):
                seconds[name] = round(seconds.get(name, 0) + (datetime.fromisoformat(duration["end"])
                                      - datetime.fromisoformat(duration["start"])).total_seconds(), 2)
    if proc.returncode:
        failures = [f"{name} on {host}: {result.get('msg')}" for name, hosts in results.items()
                    for host, result in hosts.items() if result.get("failed") or result.get("unreachable")]
        raise RuntimeError(f"playbook failed (rc={proc.returncode}): {'; '.join(failures) or proc.stderr[-4000:]}")
    return results, seconds


SEED_PLAYBOOK = """
- name: Seed the replica with a logical dump of the source
  hosts: {replica}
  gather_facts: false
  tasks:
    - name: Seed {database} from the source
      replkit.mariadb.mariadb_seed:
        login_unix_socket: {socket}
        source_host: {source_address}
        source_port: 3306
        source_user: {seed_user}
        source_password: "{{{{ seed_password }}}}"
        method: "{{{{ seed_method }}}}"
        databases: [{database}]
        progress_file: /var/tmp/seed-progress.json
"""


def run_mariadb_seed(work: Work, method: str) -> dict:
    playbook = SEED_PLAYBOOK.format(replica=REPLICA, database=DATABASE, socket=SOCKET,
                                    source_address=ADDRESSES[SOURCE], seed_user=SEED_USER)
    results, task_seconds = ansible(work, playbook, dict(seed_password=SEED_PASSWORD, seed_method=method))
    result = results[f"Seed {DATABASE} from the source"][REPLICA]
    return dict(gtid_pos=result.get("gtid_pos"), copy_s=result.get("seconds"), task_seconds=task_seconds,
                module=pick(result, "method", "bytes", "seconds", "rate_mb_s", "write_block_seconds"))


def method_locked_dump(work: Work) -> dict:
    return run_mariadb_seed(work, "locked_dump")


def method_consistent_dump(work: Work) -> dict:
    return run_mariadb_seed(work, "consistent_dump")


# As the seed role's backup.yml: one task on both hosts (the sender retries until the receiver listens),
# the role's own progress.yml to follow them, then the restore (which takes the position) on the replica.
BACKUP_PLAYBOOK = """
- name: Seed the replica with a physical copy of the source
  hosts: [{source}, {replica}]
  gather_facts: false
  vars:
    seed_step: "{{{{ {{'source': '{source}'}} if inventory_hostname == '{replica}' else None }}}}"
    seed_progress_file: /var/tmp/replkit-seed/backup-progress.json
    seed_progress_label: "{{{{ inventory_hostname }}}}"
    seed_progress_interval: 5
    seed_timeout: 7200
  tasks:
    - name: Stream the physical copy (backup on the source, extract and prepare on the replica)
      replkit.mariadb.mariadb_backup_stream:
        mode: "{{{{ 'receive' if seed_step else 'send' }}}}"
        token: "{{{{ backup_token }}}}"
        listen_address: 0.0.0.0
        listen_port: {port}
        allowed_address: "{{{{ '{source_address}' if seed_step else omit }}}}"
        staging_dir: "{{{{ '{staging}' if seed_step else omit }}}}"
        target_host: "{{{{ omit if seed_step else ['{replica_address}'] }}}}"
        target_port: {port}
        login_unix_socket: {socket}
        progress_file: "{{{{ seed_progress_file }}}}"
      async: "{{{{ seed_timeout }}}}"
      poll: 0
      register: seed_job

    - name: Follow the copy until it is prepared
      ansible.builtin.include_tasks: {progress_tasks}

    # The module stops MariaDB (and an active socket unit), swaps, starts it again, merges the position.
    - name: Prepare and move the backup into the datadir
      replkit.mariadb.mariadb_backup_restore:
        staging_dir: {staging}
        datadir: /var/lib/mysql
        service: mariadb
        login_unix_socket: {socket}
        set_gtid_slave_pos: true
      when: seed_step is not none
"""
FOLLOW_TASK = "Wait for the seed to end, showing its progress"


def method_mariadb_backup(work: Work) -> dict:
    playbook = BACKUP_PLAYBOOK.format(replica=REPLICA, source=SOURCE, port=RECEIVE_PORT, socket=SOCKET,
                                      source_address=ADDRESSES[SOURCE], replica_address=ADDRESSES[REPLICA],
                                      progress_tasks=REPO / "roles" / "seed" / "tasks" / "progress.yml",
                                      staging="/var/lib/mysql.seed-staging")  # same file system: renamed into place
    results, task_seconds = ansible(work, playbook, dict(backup_token=BACKUP_TOKEN))
    # The last look at each side is its final state.
    result = dict(send=results[FOLLOW_TASK][SOURCE]["job"], receive=results[FOLLOW_TASK][REPLICA]["job"],
                  restore=results["Prepare and move the backup into the datadir"][REPLICA])
    gtid_pos = (result["restore"].get("gtid_pos") or result["receive"].get("gtid_pos")
                or result["send"].get("gtid_pos"))
    receive = result["receive"]
    copy_s = receive["seconds"] + receive.get("prepare_seconds", 0) if "seconds" in receive else None
    module = dict(send=pick(result["send"], "bytes", "seconds", "rate_mb_s", "gtid_pos"),
                  receive=pick(receive, "bytes", "seconds", "rate_mb_s", "prepare_seconds", "gtid_pos"),
                  restore=pick(result["restore"], "gtid_pos", "gtid_slave_pos", "moved_by"))
    return dict(gtid_pos=gtid_pos, copy_s=copy_s, task_seconds=task_seconds, module=module)


# The receiving end of the raw copy: one connection, from the source only, straight into tar (no Python copy loop).
RAW_RECEIVER = """
import socket, subprocess, sys
listener = socket.create_server(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    conn, peer = listener.accept()
    if peer[0] == sys.argv[2]:
        break
    conn.close()
sys.exit(subprocess.run(["tar", "-C", sys.argv[3], "-xf", "-"], stdin=conn.fileno()).returncode)
"""


def method_raw_copy(work: Work) -> dict:
    """The ceiling: the source's datadir as files, tar over a plain TCP socket onto the replica's disk.

    The redo log is left out (mariadb-backup copies only the redo written while it runs); the binary logs
    live outside the datadir. The copy is of a live server, so it is not a usable seed.
    """
    run("docker", "exec", REPLICA, "mkdir", "-p", "/var/tmp/raw-copy")
    receiver = subprocess.Popen(["docker", "exec", REPLICA, "python3", "-c", RAW_RECEIVER, str(RAW_PORT),
                                 ADDRESSES[SOURCE], "/var/tmp/raw-copy"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if receiver.stdout.readline().strip() != "ready":
            raise RuntimeError(f"raw copy receiver did not start: {receiver.stderr.read()}")
        send = run("docker", "exec", SOURCE, "bash", "-c",
                   "tar -C /var/lib/mysql --exclude='./ib_logfile*' -cf - . "
                   f"> /dev/tcp/{ADDRESSES[REPLICA]}/{RAW_PORT}",
                   check=False)
        # tar exits 1 when a file changed while it was read: expected on a live server.
        if send.returncode not in (0, 1):
            raise RuntimeError(f"raw copy sender failed: {send.stderr}")
        if receiver.wait(timeout=3600):
            raise RuntimeError(f"raw copy receiver failed: {receiver.stderr.read()}")
    finally:
        if receiver.poll() is None:
            receiver.kill()
    return dict(gtid_pos=None, copied_bytes=du_bytes(REPLICA, "/var/tmp/raw-copy"))


def method_controller_copy(work: Work) -> dict:
    """The seed article's way: dump to a file on the source, fetch it to the controller, push it on, import it."""
    dump, tmp = "/var/tmp/seed-dump.sql", work.tmp
    run("docker", "exec", SOURCE, "bash", "-c",
        f"mariadb-dump --single-transaction --master-data=2 --gtid --routines --triggers --events "
        f"--databases {DATABASE} > {dump}")
    run("docker", "cp", f"{SOURCE}:{dump}", str(tmp / "seed-dump.sql"))
    run("docker", "cp", str(tmp / "seed-dump.sql"), f"{REPLICA}:{dump}")
    run("docker", "exec", REPLICA, "bash", "-c", f"mariadb --init-command='SET sql_log_bin = 0' < {dump}")
    with open(tmp / "seed-dump.sql", "rb") as dump_file:  # --gtid --master-data=2 puts the position at the end
        dump_file.seek(max(0, dump_file.seek(0, os.SEEK_END) - 65536))
        found = re.findall(rb"gtid_slave_pos\s*=\s*'([^']*)'", dump_file.read())
    position = found[-1].decode() if found else None
    return dict(gtid_pos=position, copied_bytes=(tmp / "seed-dump.sql").stat().st_size)


METHODS = {name: globals()[f"method_{name}"] for name in ALL_METHODS}


def pick(result: dict, *keys: str) -> dict:
    return {key: result[key] for key in keys if key in result}


# ---------------------------------------------------------------- verification


def verify(gtid_pos: str | None) -> dict:
    """Replicate from the seed's position; once caught up, the replica's tables must match the source's."""
    if not gtid_pos:
        return dict(verified=None, verify_note="no replication position reported")
    source_pos = scalar(SOURCE, "SELECT @@gtid_binlog_pos")
    with connect(REPLICA, read_timeout=600) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT @@gtid_slave_pos")
        slave_pos = cursor.fetchone()[0]
        if slave_pos != gtid_pos:  # the method left the position to us
            cursor.execute("SET GLOBAL gtid_slave_pos = %s", (gtid_pos,))
        cursor.execute("CHANGE MASTER TO master_host = %s, master_user = %s, master_password = %s, "
                       "master_use_gtid = slave_pos", (ADDRESSES[SOURCE], REPL_USER, REPL_PASSWORD))
        cursor.execute("START SLAVE")
        cursor.execute("SELECT MASTER_GTID_WAIT(%s, 300)", (source_pos,))
        waited = cursor.fetchone()[0]
        cursor.execute("SHOW SLAVE STATUS")
        status = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
        cursor.execute("STOP SLAVE")
        if waited != 0:
            error = status.get("Last_SQL_Error") or status.get("Last_IO_Error")
            return dict(verified=False, verify_note=f"replica did not catch up: {error}")
    tables = ", ".join(f"{DATABASE}.{name}" for name in ["heartbeat"] + [f"t{i}" for i in range(1, TABLES + 1)])
    sums = {}
    for node in (SOURCE, REPLICA):
        with connect(node, read_timeout=3600) as conn, conn.cursor() as cursor:
            cursor.execute(f"CHECKSUM TABLE {tables}")
            sums[node] = cursor.fetchall()
    if sums[SOURCE] != sums[REPLICA]:
        return dict(verified=False, verify_note=f"checksums differ: {sums}")
    return dict(verified=True, verify_note=f"replicated from {gtid_pos} to {source_pos}; checksums match")


# ---------------------------------------------------------------- driver


def bench_method(name: str, image: str, replica_cnf: str, dataset_mib: float, connection: str) -> dict:
    start_node(image, REPLICA, replica_cnf)  # a fresh replica for every method: same cold start for each
    settled = settle_source()
    # Every method starts with no dirty pages on the host: the last method's writes (and the settle's) are
    # on disk, not written back while this one runs. Then the source's files are clean and can be dropped.
    started = time.monotonic()
    run("sync")
    settled["host_sync_s"] = round(time.monotonic() - started, 2)
    settled["evicted_bytes"] = evict_source_datadir()
    with tempfile.TemporaryDirectory(prefix=f"seed-bench-{name}-") as tmp_name, Writer() as writer:
        start = time.monotonic()
        try:
            outcome = METHODS[name](Work(Path(tmp_name), connection))
            error = None
        except RuntimeError as failure:
            outcome, error = {}, str(failure)
        end = time.monotonic()
    seconds = end - start
    result = dict(method=name, wall_s=round(seconds, 2), rate_mib_s=round(dataset_mib / seconds, 1),
                  **writer.report(start, end), source_settled=settled, **outcome)
    if error:
        # The replica is replaced by the next method's: keep its server log with the failure.
        journal = run("docker", "exec", REPLICA, "journalctl", "--no-pager", "-n", "60", "-u", "mariadb",
                      check=False).stdout
        result.update(failed=True, error=error[-3000:], replica_journal=journal.splitlines())
        return result
    if name != "raw_copy":
        try:
            result.update(verify(outcome.get("gtid_pos")))
        except pymysql.MySQLError as failure:
            result.update(verified=False, verify_note=f"verification failed: {failure}")
    return result


def machine_info() -> dict:
    meminfo = Path("/proc/meminfo").read_text()
    return dict(cores=os.cpu_count(), memory_gib=round(int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) / MIB, 1),
                kernel=platform.release(), mariadb_version=scalar(SOURCE, "SELECT VERSION()"),
                docker_version=run("docker", "version", "--format", "{{.Server.Version}}").stdout.strip())


def print_table(results: list[dict]) -> None:
    print(f"\n{'method':16} {'wall s':>8} {'MiB/s':>7} {'copy s':>7} {'longest gap s':>14} {'commits':>8}  verified")
    for r in results:
        if r.get("failed"):
            print(f"{r['method']:16} FAILED after {r['wall_s']} s: {r['error'].strip().splitlines()[0][:100]}")
        else:
            verified = {True: "yes", False: "NO", None: "-"}[r.get("verified")]
            copy_s = f"{r['copy_s']:7.1f}" if r.get("copy_s") is not None else f"{'-':>7}"
            print(f"{r['method']:16} {r['wall_s']:8.1f} {r['rate_mib_s']:7.1f} {copy_s} {r['longest_gap_s']:14.3f} "
                  f"{r['commits_during']:8d}  {verified}")


def targets(results: list[dict]) -> list[str]:
    """The issue's targets over every run: the longest gap of all runs, the median rate of each method."""
    runs: dict[str, list[dict]] = {}
    for result in results:
        if not result.get("failed"):
            runs.setdefault(result["method"], []).append(result)
    lines = []
    for name in ("consistent_dump", "mariadb_backup"):
        if name in runs:
            gap = max(r["longest_gap_s"] for r in runs[name])
            lines.append(f"target: {name} longest write gap {gap:.3f} s (worst of {len(runs[name])} runs) < 1 s: "
                         f"{'met' if gap < 1 else 'MISSED'}")
        else:
            lines.append(f"target: {name} longest write gap < 1 s: not measured")
    if "mariadb_backup" in runs and "raw_copy" in runs:
        backup = statistics.median(r["rate_mib_s"] for r in runs["mariadb_backup"])
        raw = statistics.median(r["rate_mib_s"] for r in runs["raw_copy"])
        ratio = backup / raw
        spread = ""
        if len(runs["mariadb_backup"]) > 1 or len(runs["raw_copy"]) > 1:
            rates = [r["rate_mib_s"] for r in runs["mariadb_backup"]], [r["rate_mib_s"] for r in runs["raw_copy"]]
            spread = (f" (medians of {len(rates[0])} and {len(rates[1])} runs: {backup:.1f} / {raw:.1f} MiB/s; "
                      f"mariadb_backup {min(rates[0]):.1f}-{max(rates[0]):.1f}, raw copy {min(rates[1]):.1f}-"
                      f"{max(rates[1]):.1f})")
        verdict = "met" if ratio >= 0.5 else "MISSED"
        lines.append(f"target: mariadb_backup rate {ratio:.2f}x raw copy's >= 0.5x{spread}: {verdict}")
    else:
        lines.append("target: mariadb_backup rate >= 0.5x raw copy: not measured")
    if "locked_dump" in runs:
        gap = max(r["longest_gap_s"] for r in runs["locked_dump"])
        lines.append(f"comparison: locked_dump longest write gap {gap:.3f} s")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--size-mb", type=int, default=1024, help="dataset size in MiB (default 1024)")
    parser.add_argument("--method", action="append", choices=ALL_METHODS, help="run only these (repeatable)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the methods this many times, in turns (the targets take medians; default 1)")
    parser.add_argument("--output", type=Path, help="write the results as JSON here too")
    parser.add_argument("--keep", action="store_true", help="leave the nodes and network up afterwards")
    parser.add_argument("--connection", default="community.docker.docker",
                        choices=["community.docker.docker", "community.docker.docker_api", "community.docker.nsenter"],
                        help="Ansible connection to the nodes: the docker CLI (default, a process per command), "
                             "the Docker API, or nsenter from this host (a command costs about what SSH with "
                             "ControlPersist costs)")
    args = parser.parse_args()
    image = f"replkit-node:{args.suite}-mariadb"
    run(str(REPO / "lab" / "images" / "build.sh"), args.suite, "mariadb")
    # Ctrl-C and kill both unwind through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    remove_nodes()
    try:
        cnf = {name: SERVER_CNF.format(server_id=server_id, domain_id=server_id)
               for name, server_id in ((SOURCE, 1), (REPLICA, 2))}
        run("docker", "network", "create", "--subnet", SUBNET, NETWORK)
        start_node(image, SOURCE, cnf[SOURCE])
        setup_source()
        started = time.monotonic()
        rows = generate_data(args.size_mb)
        generated_s = time.monotonic() - started
        with connect(SOURCE) as conn, conn.cursor() as cursor:
            measured = dataset_bytes(cursor)
        dataset = dict(requested_mib=args.size_mb, rows=rows, tables=TABLES + 1, generate_s=round(generated_s, 1),
                       information_schema_bytes=measured,
                       database_dir_bytes=du_bytes(SOURCE, f"/var/lib/mysql/{DATABASE}"),
                       datadir_bytes=du_bytes(SOURCE, "/var/lib/mysql"))
        dataset_mib = measured / MIB
        print(f"dataset: {dataset_mib:.0f} MiB in {DATABASE} (information_schema), {rows} rows, "
              f"datadir {dataset['datadir_bytes'] / MIB:.0f} MiB, generated in {generated_s:.0f} s", flush=True)
        info = machine_info()
        results = []
        methods = args.method or ALL_METHODS
        # In turns, and every other turn in reverse: no method always runs right after the same one.
        order = [name for turn in range(args.repeat) for name in (methods if turn % 2 == 0 else methods[::-1])]
        for name in order:
            result = bench_method(name, image, cnf[REPLICA], dataset_mib, args.connection)
            results.append(result)
            print(f"{name}: " + json.dumps({k: v for k, v in result.items() if k != "method"}), flush=True)
    finally:
        if not args.keep:
            remove_nodes()
    print_table(results)
    lines = targets(results)
    print("\n".join(lines))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(dict(suite=args.suite, machine=info, connection=args.connection,
                                               dataset=dataset, results=results,
                                               targets=lines), indent=2) + "\n")
    return 1 if any(r.get("failed") or r.get("verified") is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
