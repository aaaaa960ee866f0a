"""The failover playbook on real servers, for a source of a multi-source aggregator (issue 13's aggregator case):
db1 dies while both sources take writes; its replica db1r takes its place; the aggregator's connection follows to
db1r by GTID; the connection from db2 never stops and its GTID domain is untouched; every acknowledged row is on the
aggregator exactly once."""

from __future__ import annotations

import os
import re
import threading
import time

import pymysql
import pytest
import yaml

import site_runner
from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, connection_running, wait_for

# The operation's planning is unit-tested and version-independent; the pair and ring failovers run on both suites in
# Molecule. One version keeps make test within its time.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("REPLKIT_MARIADB_IMAGE")),
    reason="the failover's roles are version-independent; the day-2 Molecule scenarios run them on each suite")

REPL_PASSWORD = "fa'il\"over\\pa;ss"
# README example 1's aggregator (each link filtered to its database), with a replica of db1 that can take its place.
SOURCES = {"db1r": ["db1"], "backup": [{"host": "db1", "connection_name": "shop", "replicate_do_db": ["shop"]},
                                       {"host": "db2", "connection_name": "crm", "replicate_do_db": ["crm"]}]}
THREAD_EXIT = re.compile(r"Master '(?P<name>[^']*)': Slave (I/O|SQL) thread (exiting|killed)", re.IGNORECASE)


@pytest.fixture
def aggregator(mariadb_lab):
    db1, db1r, db2 = mariadb_lab.start(3)
    # The connections' filters, as the server role writes them to the option file (the lab does not restart servers).
    backup, = mariadb_lab.start(1, extra_options=["--shop.replicate-do-db=shop", "--crm.replicate-do-db=crm"])
    servers = {"db1": db1, "db1r": db1r, "db2": db2, "backup": backup}
    for server in servers.values():
        # The roles log in as the OS user over the socket, as on a Debian host; set up unlogged, so no server has a
        # transaction in domain 0 that its replicas would ask the others for.
        server.run_unlogged("CREATE USER IF NOT EXISTS root@localhost IDENTIFIED VIA unix_socket",
                            "GRANT ALL ON *.* TO root@localhost WITH GRANT OPTION")
    # Each primary's database exists before the collection sets them up: the seeding copies them.
    for database, server in (("shop", db1), ("crm", db2)):
        server.run_unlogged("CREATE DATABASE %s" % database,
                            "CREATE TABLE %s.t (writer VARCHAR(8) NOT NULL, n INT NOT NULL, PRIMARY KEY (writer, n)) "
                            "ENGINE=InnoDB" % database)
    return servers


def host_vars(servers, tmp_path):
    """What the lab servers run with, so the server role (in the failover's rewire) finds nothing static to change."""
    return {name: {"mariadb_server_id": server.server_id, "mariadb_log_slave_updates": True,
                   "server_config_dir": str(tmp_path / ("conf-%s" % name)),
                   "server_log_bin_basename": "%s/binlog/%s-bin" % (server.basedir, server.name),
                   "server_relay_log": "%s-relay-bin" % server.name, "server_socket_unit": ""}
            for name, server in servers.items()}


class Writer(threading.Thread):
    """Commits numbered rows into one database on whichever of ``servers`` takes writes; keeps what was acknowledged."""

    def __init__(self, servers, database):
        super().__init__(daemon=True)
        self.servers, self.database, self.stop, self.acknowledged = servers, database, threading.Event(), []
        self.by_server, self.at = {}, None

    def connect(self):
        for server in self.servers:
            self.at = server
            try:
                connection = pymysql.connect(host=server.host, port=server.port, user=ADMIN_USER,
                                             password=ADMIN_PASSWORD, autocommit=True, connect_timeout=1)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT @@read_only")
                    if cursor.fetchone()[0] == 0:
                        return connection
                connection.close()
            except pymysql.err.Error:
                continue
        return None

    def run(self):
        connection, n = None, 0
        while not self.stop.is_set():
            if connection is None:
                connection = self.connect()
                if connection is None:
                    time.sleep(0.1)
                    continue
            try:
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO %s.t VALUES (%%s, %%s)" % self.database, (self.database, n + 1))
                n += 1
                self.acknowledged.append(n)
                self.by_server.setdefault(self.at.port, []).append(n)
            except pymysql.err.Error:
                connection = None
            time.sleep(0.01)


def rows(server, database):
    return [row["n"] for row in server.query("SELECT n FROM %s.t ORDER BY n" % database)]


def domain_positions(server):
    return {int(gtid.split("-")[0]): gtid for gtid in (server.scalar("SELECT @@gtid_slave_pos") or "").split(",") if gtid}


def test_a_lost_source_is_replaced_by_its_replica_and_the_aggregator_follows(aggregator, tmp_path):
    db1, db1r, db2, backup = (aggregator[name] for name in ("db1", "db1r", "db2", "backup"))
    for name in aggregator:
        (tmp_path / ("conf-%s" % name)).mkdir()
    settings = host_vars(aggregator, tmp_path)
    # The first run writes backup's connection filters and asks for the restart that applies them; the lab cannot
    # restart, and backup already runs with them (extra_options), as it would after that restart.
    first = site_runner.run_site(tmp_path, aggregator, SOURCES, "--tags", "server", "-e", "server_restart=false",
                                 password=REPL_PASSWORD, host_vars=settings)
    assert first.returncode != 0 and "backup: these settings only take effect when MariaDB starts" in first.stdout, \
        first.stdout[-4000:]
    converged = site_runner.run_site(tmp_path, aggregator, SOURCES, "--tags", "server,accounts,seed,wire,verify",
                                     "-e", "server_restart=false", password=REPL_PASSWORD, host_vars=settings)
    (tmp_path / "converge.log").write_text(converged.stdout)
    assert converged.returncode == 0, converged.stdout[-8000:] + converged.stderr[-2000:]
    assert connection_running(backup, "shop") and connection_running(backup, "crm")
    assert backup.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 't'") == 2, "not seeded"

    shop, crm = Writer([db1, db1r], "shop"), Writer([db2], "crm")
    shop.start()
    crm.start()
    wait_for(lambda: len(shop.acknowledged) > 50 and len(crm.acknowledged) > 50)
    crm_domain = db2.scalar("SELECT @@gtid_domain_id")
    log_mark = backup.log.stat().st_size
    db1.kill()

    failover = site_runner.run_playbook(tmp_path, "-i", str(tmp_path / "inventory.yml"), "-e",
                                        "mariadb_failed_host=db1", "-e",
                                        "mariadb_operation_change_file=%s" % (tmp_path / "change.yml"),
                                        "replkit.mariadb.failover")
    assert failover.returncode == 0, failover.stdout[-8000:] + failover.stderr[-2000:]
    # Writes go on, on db1r.
    wait_for(lambda: len(shop.by_server.get(db1r.port, [])) > 20, timeout=30)
    shop.stop.set()
    crm.stop.set()
    shop.join()
    crm.join()

    change = yaml.safe_load((tmp_path / "change.yml").read_text())
    backup_sources = change["all"]["children"]["mariadb"]["hosts"]["backup"]["mariadb_sources"]
    assert [entry["host"] if isinstance(entry, dict) else entry for entry in backup_sources] == ["db1r", "db2"]

    # The aggregator follows db1r; every row acknowledged by either writer is there exactly once.
    try:
        wait_for(lambda: rows(backup, "shop") == rows(db1r, "shop") and rows(backup, "crm") == rows(db2, "crm"),
                 timeout=60)
    except AssertionError:
        pytest.fail("the aggregator did not catch up: %s %s %s %s\n%s" % (
            len(rows(backup, "shop")), len(rows(db1r, "shop")), len(rows(backup, "crm")), len(rows(db2, "crm")),
            [{k: row[k] for k in ("Connection_name", "Master_Port", "Slave_IO_Running", "Slave_SQL_Running",
                                  "Last_IO_Error", "Last_SQL_Error", "Gtid_IO_Pos")}
             for row in backup.query("SHOW ALL SLAVES STATUS")]) + failover.stdout[-3000:])
    on_backup = rows(backup, "shop")
    assert len(set(on_backup)) == len(on_backup)
    # Asynchronous replication: what db1 acknowledged but had not sent when it died may be lost (the playbook
    # reports it); nothing db1r acknowledged is, and nothing is applied twice.
    assert set(shop.by_server[db1r.port]) <= set(on_backup)
    lost = sorted(set(shop.acknowledged) - set(on_backup))
    assert set(lost) <= set(shop.by_server[db1.port]), lost
    assert "reached no survivor: they are only on db1" in failover.stdout, failover.stdout[-3000:]
    assert rows(backup, "crm") == crm.acknowledged
    statuses = {row["Connection_name"]: row for row in backup.query("SHOW ALL SLAVES STATUS")}
    followed = [name for name, row in statuses.items() if int(row["Master_Port"]) == db1r.port]
    assert len(followed) == 1 and connection_running(backup, followed[0])
    assert "shop" not in statuses or followed == ["shop"]

    # db2's connection never stopped, and its domain's position only moved forward by db2's own writes.
    assert connection_running(backup, "crm")
    stopped = {match.group("name") for match in THREAD_EXIT.finditer(backup.log.read_text(errors="replace")[log_mark:])}
    assert "crm" not in stopped, stopped
    assert domain_positions(backup)[crm_domain] == db2.scalar("SELECT @@gtid_binlog_pos").split(",")[0] or \
        domain_positions(backup)[crm_domain] in db2.scalar("SELECT @@gtid_binlog_pos")
