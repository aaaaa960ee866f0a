"""Benchmark: replkit.mariadb.mariadb_table_checksum against CHECKSUM TABLE, under a live writer.

Starts a source and a GTID replica with the integration tests' lab helper (throw-away mariadbd instances on
127.0.0.1, tests/integration/mariadb_lab.py), loads a generated InnoDB dataset of --size-mb MiB on both (the
same deterministic rows, written with sql_log_bin=0 so the load is not replicated), points the replica at the
source's position, and then, while a writer commits to the source every 10 ms:

  (a) runs the module's whole chain, as a role would: chunks once, then pause -> source -> replica per batch of
      --batch chunks, each call a module run exactly as the integration tests run it (its file, JSON in and out);
      then CHECKSUM TABLE of the same tables on the source and on the replica. Throughput is dataset MiB / wall
      time of each (both servers read the whole dataset in both);
  (b) records the longest gap between two of the writer's commits during each (target: under 50 ms), and
      during --baseline-s seconds of the writer alone before, the noise floor of the machine.

Commits are not flushed to disk each (innodb_flush_log_at_trx_commit=2) unless --durable is given: on a VM disk
fsync latency alone makes gaps of 100 ms and more, which would hide what the checksum costs. --binlog-mb puts
that many MiB into the source's binary log first: BINLOG_GTID_POS (action=source) and the replica's GTID
reconnect (action=replica) read the current binary log file from its start.

    .venv/bin/python benchmarks/checksum_bench.py [--size-mb 1024] [--chunk-rows 10000] [--batch 20]
        [--binlog-mb 0] [--baseline-s 10] [--durable] --output FILE
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests" / "integration"), str(REPO / ".collections")]

from conftest import module_runner  # noqa: E402  (the integration tests' way of running a module)
from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, MariaDBLab, connection_running, init_template, wait_for  # noqa: E402

DATABASE = "benchdata"
TABLES = ["t0", "t1", "t2", "t3"]  # t3 has a two-column primary key
ROW_BYTES = 820  # about what a generated row takes in InnoDB, indexes included (measured, see the output)
WRITER_INTERVAL = 0.010
SERVER_OPTIONS = ["--innodb-buffer-pool-size=512M", "--innodb-log-file-size=256M"]
MIB = 1024 * 1024


def table_sql(table):
    key = "grp INT NOT NULL, seq INT NOT NULL, PRIMARY KEY (grp, seq)" if table == "t3" else "id BIGINT PRIMARY KEY"
    return (f"CREATE TABLE {DATABASE}.{table} ({key}, k INT, a VARCHAR(64), b VARCHAR(255), c TEXT, d DOUBLE, "
            "e DATETIME, f DECIMAL(12,2)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")


def fill(server, rows_per_table, step=100_000):
    """Deterministic rows (the same on every server) from the SEQUENCE engine, in transactions of ``step`` rows."""
    conn = server.connect(read_timeout=3600)
    with conn.cursor() as cursor:
        cursor.execute("SET SESSION sql_log_bin = 0")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
        cursor.execute(f"CREATE TABLE {DATABASE}.heartbeat (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))")
        for table in TABLES:
            cursor.execute(table_sql(table))
            key = "seq DIV 1000, seq MOD 1000" if table == "t3" else "seq"
            for first in range(1, rows_per_table + 1, step):
                last = min(first + step - 1, rows_per_table)
                cursor.execute(
                    f"INSERT INTO {DATABASE}.{table} SELECT {key}, seq MOD 1000, MD5(seq), "
                    "CONCAT(SHA2(seq, 256), SHA2(seq + 1, 256), SHA2(seq + 2, 256)), "
                    "REPEAT(CONCAT(MD5(seq * 7), 'ü'), 12), seq / 3, '2026-01-01' + INTERVAL seq SECOND, "
                    f"(seq MOD 100000) / 7 FROM {DATABASE}.seq_{first}_to_{last}")
    conn.close()


def fill_binlog(server, mib, row_bytes=65536, rows_per_commit=64):
    """Grow the source's current binary log by about ``mib`` MiB of replicated row events (a filler table)."""
    server.query(f"CREATE TABLE {DATABASE}.filler (id INT PRIMARY KEY, v LONGBLOB)")
    rows = mib * MIB // row_bytes
    for first in range(1, rows + 1, rows_per_commit):
        last = min(first + rows_per_commit - 1, rows)
        server.query(f"INSERT INTO {DATABASE}.filler SELECT seq, REPEAT(MD5(seq), {row_bytes // 32}) "
                     f"FROM {DATABASE}.seq_{first}_to_{last}")


def binlog_gtid_pos_cost(server):
    """How long BINLOG_GTID_POS takes at the end of the current binary log (what action=source pays per batch)."""
    status = server.query("SHOW MASTER STATUS")[0]
    started = time.monotonic()
    server.scalar("SELECT BINLOG_GTID_POS(%s, %s)", (status["File"], status["Position"]))
    return dict(file=status["File"], position_mib=round(status["Position"] / MIB, 1),
                binlog_gtid_pos_ms=round((time.monotonic() - started) * 1000, 1))


def dataset_mib(server):
    server.query("ANALYZE TABLE " + ", ".join(f"{DATABASE}.{t}" for t in TABLES))
    return float(server.scalar("SELECT SUM(data_length + index_length) / 1048576 FROM information_schema.TABLES "
                               "WHERE table_schema = %s AND table_name LIKE 't%%'", (DATABASE,)))


def writer_loop(host, port, first_id, stop, results):
    """Commit a heartbeat row and an insert into t0 every 10 ms; send back when each commit returned."""
    import pymysql
    commits, errors, next_id = [], [], first_id
    conn = pymysql.connect(host=host, port=port, user=ADMIN_USER, password=ADMIN_PASSWORD, autocommit=True)
    tick = time.monotonic()
    with conn.cursor() as cursor:
        while not stop.is_set():
            try:
                cursor.execute("START TRANSACTION")
                cursor.execute(f"INSERT INTO {DATABASE}.heartbeat (at) VALUES (NOW(6))")
                cursor.execute(f"INSERT INTO {DATABASE}.t0 (id, k, a) VALUES (%s, 1, 'writer')", (next_id,))
                cursor.execute("COMMIT")
                commits.append(time.monotonic())  # CLOCK_MONOTONIC: comparable with the parent's times
                next_id += 1
            except Exception as error:  # a failed commit is a gap too
                errors.append(str(error))
            tick = max(tick + WRITER_INTERVAL, time.monotonic())
            stop.wait(max(0.0, tick - time.monotonic()))
    conn.close()
    results.send((commits, errors))


class Writer:
    """The writer in a process of its own, so the benchmark's own work (module runs) cannot hold it up."""

    def __init__(self, server, first_id):
        self._stop, (self._receive, send) = multiprocessing.Event(), multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.Process(target=writer_loop, daemon=True,
                                                args=(server.host, server.port, first_id, self._stop, send))
        self.commits, self.errors = [], []

    def start(self):
        self._process.start()

    def stop(self):
        self._stop.set()
        self.commits, self.errors = self._receive.recv()
        self._process.join()


CALLS = []  # (action, start, end) of every module run, to tell which one a long writer gap fell in


def gaps(commits, start, end):
    """The writer's commits between ``start`` and ``end``, its longest gaps (and the module calls they overlap)."""
    times = [t for t in commits if start <= t <= end]
    spans = sorted(((b - a, a) for a, b in zip(times, times[1:])), reverse=True)
    longest = [dict(ms=round(gap * 1000, 1), during=sorted({action for action, first, last in CALLS
                                                            if first < at + gap and last > at})) for gap, at in spans[:5]]
    return dict(commits=len(times), longest_gap_ms=longest[0]["ms"] if spans else None,
                p99_gap_ms=round(spans[len(spans) // 100][0] * 1000, 1) if spans else None, longest_gaps=longest)


def call(server, **args):
    started = time.monotonic()
    result = module_runner("mariadb_table_checksum", dict(server.login_args(), **args))
    if result["failed"]:
        raise RuntimeError(f"{args['action']} failed: {result['msg']}")
    CALLS.append((args["action"], started, time.monotonic()))
    return result, time.monotonic() - started


def module_chain(source, replica, tables, chunk_rows, batch):
    timings = {action: [] for action in ("chunks", "pause", "source", "replica")}
    cut, seconds = call(source, action="chunks", tables=tables, chunk_rows=chunk_rows)
    timings["chunks"].append(seconds)
    differences, equal, waits = [], 0, []
    for start in range(0, len(cut["chunks"]), batch):
        seconds = call(replica, action="pause", connection_name="src")[1]
        timings["pause"].append(seconds)
        on_source, seconds = call(source, action="source", chunks=cut["chunks"][start:start + batch])
        timings["source"].append(seconds)
        compared, seconds = call(replica, action="replica", connection_name="src",
                                 until_gtid_position=on_source["gtid_position"], results=on_source["results"])
        timings["replica"].append(seconds)
        differences += compared["differences"]
        equal += compared["equal_chunks"]
        waits.append(compared["wait_seconds"])
        if not connection_running(replica, "src"):
            wait_for(lambda: connection_running(replica, "src"), timeout=15)
    return dict(chunks=len(cut["chunks"]), batches=len(timings["pause"]), equal_chunks=equal,
                differences=differences, until_wait_s_total=round(sum(waits), 3),
                calls={action: dict(count=len(values), total_s=round(sum(values), 3),
                                    mean_s=round(statistics.mean(values), 3) if values else None)
                       for action, values in timings.items()})


def checksum_table(server, tables):
    conn = server.connect(read_timeout=3600)
    with conn.cursor() as cursor:
        started = time.monotonic()
        cursor.execute("CHECKSUM TABLE " + ", ".join(f"{DATABASE}.{t}" for t in tables))
        rows = cursor.fetchall()
        elapsed = time.monotonic() - started
    conn.close()
    return elapsed, {row["Table"]: row["Checksum"] for row in rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--chunk-rows", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=20, help="chunks per pause/source/replica round")
    parser.add_argument("--binlog-mb", type=int, default=0,
                        help="MiB of replicated row events written to the source's current binary log first")
    parser.add_argument("--baseline-s", type=float, default=10.0, help="seconds of the writer alone, for reference")
    parser.add_argument("--durable", action="store_true",
                        help="innodb_flush_log_at_trx_commit=1 (the server default) instead of 2")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    options = SERVER_OPTIONS + ["--innodb-flush-log-at-trx-commit=%d" % (1 if args.durable else 2)]

    root = Path(tempfile.mkdtemp(prefix="checksum-bench-"))
    (root / "template").mkdir()
    lab = MariaDBLab(root, init_template(root / "template"))
    try:
        source, replica = lab.start(2, extra_options=options)
        source.query("SET GLOBAL gtid_domain_id = 1")
        rows_per_table = max(1000, args.size_mb * MIB // ROW_BYTES // len(TABLES))
        started = time.monotonic()
        loaders = [threading.Thread(target=fill, args=(server, rows_per_table)) for server in (source, replica)]
        for loader in loaders:
            loader.start()
        for loader in loaders:
            loader.join()
        load_s = time.monotonic() - started
        replica.query("SET GLOBAL gtid_slave_pos = %s", (source.scalar("SELECT @@GLOBAL.gtid_binlog_pos"),))
        replica.query("CHANGE MASTER 'src' TO MASTER_HOST = %s, MASTER_PORT = %s, MASTER_USER = %s, "
                      "MASTER_PASSWORD = %s, MASTER_USE_GTID = slave_pos",
                      (source.host, source.port, ADMIN_USER, ADMIN_PASSWORD))
        replica.query("START SLAVE 'src'")
        wait_for(lambda: connection_running(replica, "src"))
        fill_binlog(source, args.binlog_mb)
        wait_for(lambda: replica.scalar("SELECT @@GLOBAL.gtid_slave_pos") == source.scalar(
            "SELECT @@GLOBAL.gtid_binlog_pos"), timeout=600)
        binlog = binlog_gtid_pos_cost(source)
        size = dataset_mib(source)
        tables = [f"{DATABASE}.{t}" for t in TABLES]

        writer = Writer(source, first_id=10 ** 12)
        writer.start()
        baseline_start = time.monotonic()
        time.sleep(args.baseline_s)
        chain_start = time.monotonic()
        chain = module_chain(source, replica, tables, args.chunk_rows, args.batch)
        chain_end = time.monotonic()
        time.sleep(0.5)
        table_start = time.monotonic()
        source_s, source_sums = checksum_table(source, TABLES)
        replica_s, replica_sums = checksum_table(replica, TABLES)
        table_end = time.monotonic()
        time.sleep(0.5)
        writer.stop()

        chain_s, table_s = chain_end - chain_start, table_end - table_start
        result = dict(
            benchmark="checksum_bench", date=time.strftime("%Y-%m-%dT%H:%M:%S"),
            machine=dict(cpus=os.cpu_count(), platform=platform.platform(),
                         memory_gib=round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1)),
            mariadb=source.scalar("SELECT VERSION()"), server_options=options, binlog=binlog,
            dataset=dict(requested_mib=args.size_mb, measured_mib=round(size, 1), tables=len(TABLES),
                         rows=rows_per_table * len(TABLES), load_s=round(load_s, 1)),
            writer_alone=gaps(writer.commits, baseline_start, chain_start),
            module=dict(chunk_rows=args.chunk_rows, batch=args.batch, wall_s=round(chain_s, 2),
                        mib_per_s=round(size / chain_s, 1), writer=gaps(writer.commits, chain_start, chain_end), **chain),
            checksum_table=dict(wall_s=round(table_s, 2), source_s=round(source_s, 2), replica_s=round(replica_s, 2),
                                mib_per_s=round(size / table_s, 1), writer=gaps(writer.commits, table_start, table_end),
                                equal_while_writing=[t for t in source_sums if source_sums[t] == replica_sums.get(t)]),
            module_vs_checksum_table=round(table_s / chain_s, 3),
            writer_errors=writer.errors[:5], target_longest_gap_ms=50,
        )
        result["target_met"] = (result["module"]["writer"]["longest_gap_ms"] or 0) < 50 and not chain["differences"]
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        lab.stop_all()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
