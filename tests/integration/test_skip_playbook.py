"""The skip playbook (replkit.mariadb.skip) on real servers: an aggregator whose connection from db1 stopped on a
duplicate key, while db2 writes all along and its connection must never stop."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pymysql
import pytest
import yaml

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, connection_running, connection_status, wait_for

REPO = Path(__file__).resolve().parents[2]
SKIP_TASK = "TASK [Skip the events and start the connection again]"
# The error log lines of a connection's threads stopping (STOP SLAVE, an error, a shutdown).
THREAD_EXIT = re.compile(r"Master '(?P<name>[^']*)': Slave (I/O|SQL) thread (exiting|killed)", re.IGNORECASE)


@pytest.fixture
def aggregator(mariadb_lab):
    """db1 and db2 (GTID domains 1 and 2) into backup, which applies in parallel as the planner sets up aggregators."""
    db1, db2 = mariadb_lab.start(2)
    backup, = mariadb_lab.start(1, extra_options=["--slave-parallel-threads=4", "--slave-parallel-mode=optimistic"])
    for domain, source, ddl in ((1, db1, "CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(40)) ENGINE=InnoDB"),
                                (2, db2, "CREATE TABLE crm.contacts (id INT PRIMARY KEY) ENGINE=InnoDB")):
        source.query("SET GLOBAL gtid_domain_id = %s" % domain)
        source.query("CREATE DATABASE %s" % ddl.split()[2].split(".")[0])
        source.query(ddl)
    # The playbook logs in as the OS user (root) over the socket, as on a Debian host.
    backup.query("CREATE USER IF NOT EXISTS root@localhost IDENTIFIED VIA unix_socket")
    backup.query("GRANT ALL ON *.* TO root@localhost WITH GRANT OPTION")
    for name, source in (("shop", db1), ("crm", db2)):
        backup.query("CHANGE MASTER %%s TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER=%%s, "
                     "MASTER_PASSWORD=%%s, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1" % source.port,
                     (name, ADMIN_USER, ADMIN_PASSWORD))
        backup.query("START SLAVE %s", (name,))
    wait_for(lambda: backup.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('shop', 'crm')") == 2)
    return {"db1": db1, "db2": db2, "backup": backup}


def run_skip(tmp_path, servers, *extra):
    """ansible-playbook replkit.mariadb.skip over local hosts, one per lab server (their sockets)."""
    hosts = {name: {"mariadb_login_unix_socket": str(server.socket)} for name, server in servers.items()}
    inventory = {"all": {"children": {"mariadb": {"hosts": hosts}}, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false")
    started = time.monotonic()
    run = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
                          "replkit.mariadb.skip", *extra], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=600, check=False)
    run.seconds = time.monotonic() - started
    return run


class Writer(threading.Thread):
    """Commits one row at a time into crm.contacts on db2 until stopped; ``committed`` holds the ids."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.committed, self.halt, self.error = server, [], threading.Event(), None

    def run(self):
        try:
            conn = self.server.connect()
            with conn.cursor() as cursor:
                while not self.halt.is_set():
                    cursor.execute("INSERT INTO crm.contacts VALUES (%s)", (len(self.committed) + 1,))
                    self.committed.append(len(self.committed) + 1)
                    time.sleep(0.01)
            conn.close()
        except pymysql.MySQLError as exc:
            self.error = exc


class Watcher(threading.Thread):
    """Samples SHOW ALL SLAVES STATUS on the replica every 20 ms; ``stopped`` holds every sample where connection
    ``name`` did not run both threads."""

    def __init__(self, server, name):
        super().__init__(daemon=True)
        self.server, self.name, self.samples, self.stopped, self.halt = server, name, 0, [], threading.Event()

    def run(self):
        try:
            conn = self.server.connect()
            with conn.cursor() as cursor:
                while not self.halt.is_set():
                    cursor.execute("SHOW ALL SLAVES STATUS")
                    row = [r for r in cursor.fetchall() if r["Connection_name"] == self.name][0]
                    self.samples += 1
                    if (row["Slave_IO_Running"], row["Slave_SQL_Running"]) != ("Yes", "Yes"):
                        self.stopped.append({key: row[key] for key in ("Slave_IO_Running", "Slave_SQL_Running",
                                                                       "Last_IO_Error", "Last_SQL_Error")})
                    time.sleep(0.02)
            conn.close()
        except pymysql.MySQLError as exc:  # the server went away: the test failed already
            self.stopped.append({"error": str(exc)})


def thread_exits(server, name):
    """How many times the error log says a thread of connection ``name`` stopped."""
    return len([m for m in THREAD_EXIT.finditer(server.log.read_text(errors="replace")) if m["name"] == name])


def shop_state(backup):
    """Everything a refused run could have changed about the broken connection and its data."""
    row = connection_status(backup, "shop")
    return {"sql": row["Slave_SQL_Running"], "errno": row["Last_SQL_Errno"], "relay": (row["Relay_Log_File"], row["Relay_Log_Pos"]),
            "domain_1": [gtid for gtid in backup.scalar("SELECT @@gtid_slave_pos").split(",") if gtid.startswith("1-")],
            "parallel_mode": backup.scalar("SELECT @@GLOBAL.shop.slave_parallel_mode"),
            "rows": backup.query("SELECT id, note FROM shop.orders ORDER BY id")}


def test_skip_playbook_skips_the_broken_event_on_one_connection_only(aggregator, tmp_path):
    db1, db2, backup = aggregator["db1"], aggregator["db2"], aggregator["backup"]
    db1.query("INSERT INTO shop.orders VALUES (1, 'first')")
    wait_for(lambda: backup.query("SELECT id FROM shop.orders WHERE id = 1"))
    crm_exits = thread_exits(backup, "crm")
    writer, watcher = Writer(db2), Watcher(backup, "crm")
    writer.start()
    wait_for(lambda: len(writer.committed) > 5)
    watcher.start()

    # The replica holds a row the source writes too: the source's insert stops connection shop with 1062.
    backup.run_unlogged("INSERT INTO shop.orders VALUES (100, 'planted on backup')")
    db1.query("INSERT INTO shop.orders VALUES (100, 'from db1')")
    wait_for(lambda: connection_status(backup, "shop")["Last_SQL_Errno"] == 1062)
    db1.query("INSERT INTO shop.orders VALUES (101, 'after'), (102, 'after')")
    before = shop_state(backup)
    assert before["sql"] == "No" and before["parallel_mode"] == "optimistic"

    refusals = [
        (("-e", "mariadb_skip_host=backup", "-e", "mariadb_skip_connection=nope"),
         "backup: has no replication connection named 'nope' (mariadb_skip_connection); its connections are: "
         "'crm', 'shop'. Set -e mariadb_skip_connection to one of them"),
        (("-e", "mariadb_skip_host=backup", "-e", "mariadb_skip_connection=crm"),
         "backup: connection 'crm' (mariadb_skip_connection) runs without an SQL error (io=Yes sql=Yes), so there is "
         "nothing to skip and nothing was changed"),
        (("-e", "mariadb_skip_host=ghost", "-e", "mariadb_skip_connection=shop"),
         "mariadb_skip_host=ghost is not a host of the inventory group 'mariadb' (mariadb_topology_group)"),
        (("-e", "mariadb_skip_host=backup", "-e", "mariadb_skip_connection=shop", "-e", "mariadb_skip_count=0"),
         "backup: mariadb_skip_count=0 is not a whole number of 1 or more"),
        (("-e", "mariadb_skip_host=backup", "-e", "mariadb_skip_connection=shop", "-e", "mariadb_skip_count=two"),
         "backup: mariadb_skip_count=two is not a whole number of 1 or more"),
    ]
    for options, message in refusals:
        refused = run_skip(tmp_path, aggregator, *options)
        assert refused.returncode != 0, refused.stdout[-3000:]
        assert message in " ".join(refused.stdout.split()), (message, refused.stdout[-3000:])
        assert SKIP_TASK not in refused.stdout and "TASK [Read the events the skip would skip]" not in refused.stdout
        assert shop_state(backup) == before, "a refused run changed connection shop"

    skipped = run_skip(tmp_path, aggregator, "-e", "mariadb_skip_host=backup", "-e", "mariadb_skip_connection=shop")
    output = skipped.stdout
    assert skipped.returncode == 0, output[-5000:] + skipped.stderr[-2000:]
    # What is skipped is shown before the skip: the error, then the one group's events.
    shown = output.index("TASK [Show what is skipped]")
    assert shown < output.index(SKIP_TASK)
    report = output[shown:output.index(SKIP_TASK)]
    assert "backup: connection 'shop' stopped on SQL error 1062" in report
    assert "skipping 1 event group(s) of connection 'shop' (sql_slave_skip_counter = 1)" in report
    assert re.search(r"group 1 of 1: GTID 1-1-\d+, 5 event\(s\)", report), report
    assert re.search(r"\d+ Annotate_rows \(server %d\): INSERT INTO shop.orders VALUES \(100, 'from db1'\)" % db1.server_id,
                     report), report
    assert re.search(r"\d+ Table_map \(server \d+\): table_id: \d+ \(shop.orders\)", report), report
    assert re.search(r"\d+ Write_rows(_v1)? \(server \d+\): table_id: \d+ flags: STMT_END_F", report), report
    assert re.search(r"\d+ Xid \(server \d+\): COMMIT", report), report
    assert "VALUES (101" not in report, "only the broken group is skipped"
    assert "applies in parallel (slave_parallel_mode=optimistic)" in report
    assert "backup: connection 'shop' runs and has caught up: io=Yes sql=Yes lag=0 s" in output
    assert re.search(r"backup\s+: ok=\d+\s+changed=1\s+unreachable=0\s+failed=0", output), output[-1500:]

    # The connection runs again: the skipped row stays as the replica had it, the later rows arrive.
    assert connection_running(backup, "shop")
    db1.query("INSERT INTO shop.orders VALUES (103, 'later')")
    wait_for(lambda: len(backup.query("SELECT id FROM shop.orders WHERE id >= 101")) == 3)
    assert backup.query("SELECT id, note FROM shop.orders ORDER BY id") == [
        {"id": 1, "note": "first"}, {"id": 100, "note": "planted on backup"}, {"id": 101, "note": "after"},
        {"id": 102, "note": "after"}, {"id": 103, "note": "later"}]
    assert backup.scalar("SELECT @@GLOBAL.shop.slave_parallel_mode") == "optimistic"
    assert backup.scalar("SELECT @@GLOBAL.crm.slave_parallel_mode") == "optimistic"

    # The other connection ran the whole time and has every row its source committed.
    time.sleep(0.5)
    writer.halt.set()
    writer.join(timeout=30)
    assert writer.error is None, writer.error
    wait_for(lambda: backup.scalar("SELECT COUNT(*) FROM crm.contacts") == len(writer.committed), timeout=60)
    watcher.halt.set()
    watcher.join(timeout=30)
    assert [row["id"] for row in backup.query("SELECT id FROM crm.contacts ORDER BY id")] == writer.committed
    assert watcher.samples > 100 and watcher.stopped == [], (watcher.samples, watcher.stopped[:3])
    assert thread_exits(backup, "crm") == crm_exits, "connection crm was stopped"
    assert thread_exits(backup, "shop") > 0, "the error log names the threads' stops (the check above can fail)"
    print("skip playbook: %.1f s; %d refusals; %d rows written on db2 meanwhile; %d samples of crm" % (
        skipped.seconds, len(refusals), len(writer.committed), watcher.samples))


def test_a_new_error_after_the_skip_fails_the_run_with_it(aggregator, tmp_path):
    db1, backup = aggregator["db1"], aggregator["backup"]
    backup.run_unlogged("INSERT INTO shop.orders VALUES (7, 'planted'), (8, 'planted'), (9, 'planted')")
    for key in (7, 8, 9):
        db1.query("INSERT INTO shop.orders VALUES (%s, 'from db1')", (key,))
    wait_for(lambda: connection_status(backup, "shop")["Last_SQL_Errno"] == 1062)

    # Two groups skipped (7 and 8): the third one (9) stops the connection again.
    run = run_skip(tmp_path, aggregator, "-e", "mariadb_skip_host=backup", "-e", "mariadb_skip_connection=shop",
                   "-e", "mariadb_skip_count=2")
    output = " ".join(run.stdout.split())
    assert run.returncode != 0
    assert "skipping 2 event group(s) of connection 'shop'" in output and "group 2 of 2" in output, output[-4000:]
    assert "VALUES (7, 'from db1')" in output and "VALUES (8, 'from db1')" in output
    assert "backup: connection 'shop' stopped again: SQL error 1062" in output and "Duplicate entry '9'" in output
    assert ("skip it too with: ansible-playbook -i INVENTORY replkit.mariadb.skip -e mariadb_skip_host=backup "
            "-e mariadb_skip_connection=shop") in output
    assert connection_status(backup, "shop")["Slave_SQL_Running"] == "No"
    assert connection_running(backup, "crm")
    assert backup.scalar("SELECT @@GLOBAL.shop.slave_parallel_mode") == "optimistic"
