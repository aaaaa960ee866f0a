"""mariadb_seed against real servers: a replica copies its source's data while the source keeps writing,
starts replicating from exactly the copy's position, and nothing is missing or applied twice."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, connection_running, wait_for

SEED_USER = "replkit_seed"
SEED_PASSWORD = "se'ed\"pa\\ss;#word"

FIXTURE_SQL = [
    "CREATE DATABASE shop",
    "CREATE TABLE shop.items (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64), price DECIMAL(10,2), "
    "note TEXT, added DATETIME, raw BLOB) ENGINE=InnoDB",
    "INSERT INTO shop.items (name, price, note, added, raw) SELECT CONCAT('it''em \"', seq, '\" \\\\ ü'), seq / 7, "
    "REPEAT('x', seq % 50), '2026-01-01' + INTERVAL seq MINUTE, UNHEX(MD5(seq)) FROM shop.seq_1_to_3000",
    # A table without a primary key: row-based replication must still find its rows.
    "CREATE TABLE shop.log_nopk (item INT, what VARCHAR(32)) ENGINE=InnoDB",
    "INSERT INTO shop.log_nopk SELECT seq, 'seeded' FROM shop.seq_1_to_500",
    "CREATE TABLE shop.audit (id INT PRIMARY KEY AUTO_INCREMENT, item INT) ENGINE=InnoDB",
    "CREATE TRIGGER shop.items_audit AFTER INSERT ON shop.items FOR EACH ROW INSERT INTO shop.audit (item) VALUES (NEW.id)",
    "CREATE FUNCTION shop.with_tax(price DECIMAL(10,2)) RETURNS DECIMAL(10,2) DETERMINISTIC RETURN price * 1.2",
    "CREATE PROCEDURE shop.count_items(OUT total INT) SELECT COUNT(*) INTO total FROM shop.items",
    "CREATE VIEW shop.cheap AS SELECT id, name FROM shop.items WHERE price < 10",
    "CREATE DATABASE shop_live",
    "CREATE TABLE shop_live.ticks (id INT PRIMARY KEY AUTO_INCREMENT, at DOUBLE) ENGINE=InnoDB",
]


class Writer(threading.Thread):
    """Commits a row every few ms on the source and records the longest gap between two commits."""

    def __init__(self, server, interval=0.01):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.stop_event = threading.Event()
        self.commits, self.longest_gap = 0, 0.0

    def run(self):
        connection = self.server.connect()
        last = time.monotonic()
        with connection.cursor() as cursor:
            while not self.stop_event.is_set():
                cursor.execute("INSERT INTO shop_live.ticks (at) VALUES (%s)", (time.time(),))
                cursor.execute("INSERT INTO shop.items (name, price) VALUES ('live', 1)")
                now = time.monotonic()
                self.longest_gap = max(self.longest_gap, now - last)
                last = now
                self.commits += 1
                time.sleep(self.interval)
        connection.close()

    def stop(self):
        self.stop_event.set()
        self.join(30)


@pytest.fixture
def pair(mariadb_lab):
    source, replica = mariadb_lab.start(2)
    source.query("SET GLOBAL gtid_domain_id = 1")
    replica.query("SET GLOBAL gtid_domain_id = 2")
    for statement in FIXTURE_SQL:
        source.query(statement)
    source.query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (SEED_USER, SEED_PASSWORD))
    source.query("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, BINLOG MONITOR ON *.* TO %s@'127.0.0.1'",
                 (SEED_USER,))
    return source, replica


def seed_args(source, replica, **extra):
    args = dict(replica.login_args(), source_host=source.host, source_port=source.port, source_user=SEED_USER,
                source_password=SEED_PASSWORD)
    args.update(extra)
    return args


def wire(replica, source):
    """The connection the topology role would create: GTID, from the position mariadb_seed set."""
    replica.query("CHANGE MASTER 'src' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
                  "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", (source.host, source.port, ADMIN_USER, ADMIN_PASSWORD))
    replica.query("START SLAVE 'src'")
    wait_for(lambda: connection_running(replica, "src"))


def checksums(server):
    rows = server.query("CHECKSUM TABLE shop.items, shop.log_nopk, shop.audit, shop_live.ticks")
    return {row["Table"]: row["Checksum"] for row in rows}


def caught_up(replica, source):
    target = source.scalar("SELECT @@gtid_binlog_pos")
    return replica.scalar("SELECT MASTER_GTID_WAIT(%s, 30)", (target,)) == 0


@pytest.mark.parametrize("method", ["consistent_dump", "locked_dump"])
def test_seed_under_writes_then_replicate_exactly(pair, run_module, method):
    source, replica = pair
    # Another source's domain already in the replica's position: seeding must merge, never wipe it.
    replica.query("SET GLOBAL gtid_slave_pos = '7-70-42'")
    binlog_before = replica.scalar("SELECT @@gtid_binlog_pos")
    writer = Writer(source)
    writer.start()
    time.sleep(0.3)
    result = run_module("mariadb_seed", seed_args(source, replica, method=method), diff=True)
    time.sleep(0.3)
    writer.stop()
    assert not result["failed"], result
    assert result["changed"] is True and result["method"] == method
    assert result["databases"] == ["shop", "shop_live"]
    assert result["bytes"] > 100000 and result["rate_mb_s"] > 0
    assert SEED_PASSWORD not in str(result)
    slave_pos = dict(entry.split("-", 1) for entry in result["gtid_slave_pos"].split(","))
    assert slave_pos["7"] == "70-42", "the other source's domain was lost: %s" % result["gtid_slave_pos"]
    assert slave_pos["1"] == result["gtid_pos"].split("-", 1)[1]
    # The import was not binary-logged here: nothing can travel back to the source under this server's domain.
    assert replica.scalar("SELECT @@gtid_binlog_pos") == binlog_before
    if method == "locked_dump":
        assert result["write_block_seconds"] > 0
        assert result["queries"][:2] == ["FLUSH TABLES WITH READ LOCK", "UNLOCK TABLES"]
        assert writer.longest_gap >= result["write_block_seconds"] * 0.5
    else:
        assert result["write_block_seconds"] == 0
        assert result["binlog_file"] and result["binlog_pos"] > 0
    assert writer.commits > 10

    wire(replica, source)
    source.query("INSERT INTO shop.items (name, price) VALUES ('after the seed', 2)")
    assert wait_for(lambda: caught_up(replica, source), timeout=60)
    assert checksums(replica) == checksums(source)
    status = replica.query("SHOW SLAVE 'src' STATUS")[0]
    assert status["Last_SQL_Errno"] == 0, status["Last_SQL_Error"]
    assert replica.scalar("SELECT shop.with_tax(10)") == source.scalar("SELECT shop.with_tax(10)")
    assert replica.scalar("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'shop'") == 1
    assert replica.scalar("SELECT COUNT(*) FROM shop.cheap") == source.scalar("SELECT COUNT(*) FROM shop.cheap")

    again = run_module("mariadb_seed", seed_args(source, replica, method=method))
    assert not again["failed"], again
    assert again["changed"] is False and "already holds" in again["skipped_reason"]


def test_check_mode_copies_nothing_and_partial_replica_is_refused(pair, run_module):
    source, replica = pair
    predicted = run_module("mariadb_seed", seed_args(source, replica), check_mode=True, diff=True)
    assert not predicted["failed"], predicted
    assert predicted["changed"] is True and predicted["databases"] == ["shop", "shop_live"]
    assert predicted["diff"]["before"]["databases"] == []
    assert replica.scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'shop%'") == 0

    replica.query("CREATE DATABASE shop")
    refused = run_module("mariadb_seed", seed_args(source, replica))
    assert refused["failed"] and "holds some of the databases" in refused["msg"], refused
    assert replica.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'") == 0
    assert replica.scalar("SELECT @@gtid_slave_pos") == ""


def test_only_listed_databases_and_system_databases_refused(pair, run_module):
    source, replica = pair
    refused = run_module("mariadb_seed", seed_args(source, replica, databases=["shop", "mysql", "nosuch"]))
    assert refused["failed"], refused
    assert "'mysql', a system database" in refused["msg"] and "allow_system_databases" in refused["msg"]
    assert "'nosuch', which the source does not have" in refused["msg"]

    result = run_module("mariadb_seed", seed_args(source, replica, databases=["shop_live"]))
    assert not result["failed"], result
    names = {row["SCHEMA_NAME"] for row in replica.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")}
    assert "shop_live" in names and "shop" not in names


def test_consistent_dump_refuses_non_transactional_tables_or_falls_back(pair, run_module):
    source, replica = pair
    source.query("CREATE TABLE shop.legacy (id INT PRIMARY KEY) ENGINE=MyISAM")
    refused = run_module("mariadb_seed", seed_args(source, replica))
    assert refused["failed"], refused
    assert "shop.legacy (MyISAM)" in refused["msg"] and "locked_dump" in refused["msg"]
    assert replica.scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'shop'") == 0

    fallback = run_module("mariadb_seed", seed_args(source, replica, non_transactional="locked_dump"))
    assert not fallback["failed"], fallback
    assert fallback["method"] == "locked_dump" and fallback["write_block_seconds"] > 0
    assert "not transactional" in str(fallback.get("warnings")), fallback.get("warnings")


def test_password_never_on_a_command_line(pair, run_module):
    """Look at every process's argv while a (slowed) dump runs: the seeding password is in none of them."""
    source, replica = pair
    source.query("INSERT INTO shop_live.ticks (at) SELECT seq FROM shop_live.seq_1_to_200000")
    seen, done = [], threading.Event()

    def watch():
        while not done.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    argv = cmdline.read_bytes().decode("utf-8", "replace")
                except OSError:
                    continue
                if "mariadb-dump" in argv:
                    seen.append(argv)
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result = run_module("mariadb_seed", seed_args(source, replica))
    done.set()
    watcher.join(5)
    assert not result["failed"], result
    assert seen, "the dump process was never seen running"
    assert all(SEED_PASSWORD not in argv and "password" not in argv for argv in seen), seen
    assert all("--defaults-file=" in argv for argv in seen)


def test_wrong_password_fails_before_anything_changes(pair, run_module):
    source, replica = pair
    result = run_module("mariadb_seed", seed_args(source, replica, source_password="wrong"))
    assert result["failed"] and "Cannot log in to the source" in result["msg"] and "Nothing was changed" in result["msg"]
    assert "wrong" not in result["msg"].split("as")[0]
    assert replica.scalar("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'shop%'") == 0


def test_forced_reseed_stops_the_running_connection_and_resumes_exactly(pair, run_module):
    """seed: always on a replica that already replicates: its connection is stopped, the copy replaces the
    tables, and started again from the new position it neither misses nor repeats a row."""
    source, replica = pair
    first = run_module("mariadb_seed", seed_args(source, replica))
    assert not first["failed"], first
    wire(replica, source)
    # Damage the replica's copy (unlogged, as a local mistake would be): the forced seed must repair it.
    replica.run_unlogged("DELETE FROM shop.items WHERE id <= 100")
    writer = Writer(source)
    writer.start()
    forced = run_module("mariadb_seed", seed_args(source, replica, force=True, stop_connection="src"))
    writer.stop()
    assert not forced["failed"], forced
    assert forced["changed"] is True and forced["queries"][0] == "STOP REPLICA 'src'"
    assert not connection_running(replica, "src"), "the connection must stay stopped until it is wired again"
    replica.query("START SLAVE 'src'")
    assert wait_for(lambda: caught_up(replica, source), timeout=60)
    assert checksums(replica) == checksums(source)


def test_bad_input_is_reported_at_once_before_connecting(run_module):
    """No server at all: every input problem is named, and nothing tries to connect."""
    result = run_module("mariadb_seed", dict(login_host="127.0.0.1", login_port=1, source_host=" ", source_port=0,
                                             source_user="u", databases=["shop", ""], dump_binary="no-such-dump",
                                             progress_file="/etc/hostname/seed/progress.json"))
    assert result["failed"], result
    for expected in ("source_host is empty", "source_port is 0", "databases has an empty name",
                     "dump_binary 'no-such-dump' is not an executable",
                     "progress_file /etc/hostname/seed/progress.json lies under /etc/hostname"):
        assert expected in result["msg"], result["msg"]
    assert "Cannot connect" not in result["msg"]


def table_checksums(server, database):
    tables = [row["TABLE_NAME"] for row in server.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME", (database,))]
    return {table: server.query("CHECKSUM TABLE `%s`.`%s`" % (database, table))[0]["Checksum"] for table in tables}


def test_a_seed_whose_source_dies_is_recorded_unfinished_and_redone_exactly(pair, run_module, tmp_path):
    source, replica = pair
    state_file = tmp_path / "seed-state" / "state.json"
    # big.a_rows comes first in the dump (tables go in name order); z_later and z_last come after it.
    source.query("CREATE DATABASE big")
    source.query("CREATE TABLE big.a_rows (id INT PRIMARY KEY, pad VARCHAR(200)) ENGINE=InnoDB")
    source.query("INSERT INTO big.a_rows SELECT seq, REPEAT(MD5(seq), 6) FROM big.seq_1_to_400000")
    source.query("CREATE TABLE big.z_later (id INT PRIMARY KEY) ENGINE=InnoDB")
    source.query("INSERT INTO big.z_later SELECT seq FROM big.seq_1_to_100")
    source.query("CREATE TABLE big.z_last (id INT PRIMARY KEY) ENGINE=InnoDB")
    args = seed_args(source, replica, databases=["big"], stop_connection="src", state_file=str(state_file))

    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(run_module("mariadb_seed", args)), daemon=True)
    worker.start()
    # Kill the source while the big table is being imported.
    assert wait_for(lambda: replica.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'big' "
                                           "AND TABLE_NAME = 'a_rows'"), timeout=60)
    source.kill()
    worker.join(120)
    assert outcome["failed"] is True, outcome
    assert "with replkit.mariadb.site, nothing to set" in outcome["msg"], outcome["msg"]
    state = json.loads(state_file.read_text())
    assert state["src"]["phase"] == "started" and state["src"]["databases"] == ["big"]
    held_tables = {row["TABLE_NAME"] for row in replica.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'big'")}
    assert "z_last" not in held_tables, "the copy was meant to be interrupted half-way"

    source.start()
    # Without the record, the replica would look seeded (it holds 'big') and be wired over the half copy.
    blind = run_module("mariadb_seed", seed_args(source, replica, databases=["big"]), check_mode=True)
    assert blind["changed"] is False and "already holds big" in blind["skipped_reason"]

    redone = run_module("mariadb_seed", args)
    assert not redone["failed"], redone
    assert redone["changed"] is True and "stopped at phase 'started'" in redone["redone"]
    assert json.loads(state_file.read_text())["src"]["phase"] == "complete"
    assert table_checksums(replica, "big") == table_checksums(source, "big")
    assert replica.scalar("SELECT COUNT(*) FROM big.a_rows") == 400000

    again = run_module("mariadb_seed", args)
    assert again["changed"] is False and "already holds" in again["skipped_reason"] and "redone" not in again


def test_the_copy_holds_exactly_what_the_connection_filters_replicate(pair, run_module):
    source, replica = pair
    source.query("CREATE TABLE shop.tmp_import (id INT PRIMARY KEY) ENGINE=InnoDB")
    source.query("CREATE TABLE shop.tmp_more (id INT PRIMARY KEY) ENGINE=InnoDB")
    source.query("CREATE DATABASE scratch")
    filters = {"replicate_ignore_db": ["scratch"], "replicate_wild_ignore_table": ["shop.tmp\\_%"]}

    refused = run_module("mariadb_seed", seed_args(source, replica, databases=["shop", "scratch"],
                                                   replication_filters=filters))
    assert refused["failed"] is True and "databases scratch: replication_filters never replicate them" in refused["msg"]
    bad = run_module("mariadb_seed", seed_args(source, replica, replication_filters={"replicate_do_table": ["x"]}))
    assert bad["failed"] is True and "replicate_do_table: x has no database part" in bad["msg"]

    copied = run_module("mariadb_seed", seed_args(source, replica, replication_filters=filters))
    assert not copied["failed"], copied
    assert copied["databases"] == ["shop", "shop_live"]
    assert copied["ignored_tables"] == ["shop.tmp_import", "shop.tmp_more"]
    held = {row["TABLE_NAME"] for row in replica.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'")}
    assert {"items", "log_nopk", "audit", "cheap"} <= held and not {"tmp_import", "tmp_more"} & held
    assert not replica.query("SHOW DATABASES LIKE 'scratch'")


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed server certificate for 127.0.0.1 (it is its own CA)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path / "tls"
    directory.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    os.chmod(directory / "key.pem", 0o644)  # read by the server's user
    return directory / "cert.pem", directory / "key.pem"


def test_source_ssl_copies_over_tls_and_refuses_a_source_without_it(mariadb_lab, run_module, tls_files):
    """source_ssl without any TLS file (a link declared ssl: true): the seeding account only logs in over TLS,
    so the copy proves both the module's connection and mariadb-dump's used it; a source that offers no TLS
    is refused before anything changes."""
    cert, key = tls_files
    source, = mariadb_lab.start(1, ["--ssl-cert=%s" % cert, "--ssl-key=%s" % key], shared_dirs=(cert.parent,))
    replica, = mariadb_lab.start(1)
    for statement in FIXTURE_SQL[:3]:
        source.query(statement)
    source.query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s REQUIRE SSL", (SEED_USER, SEED_PASSWORD))
    source.query("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, BINLOG MONITOR ON *.* TO %s@'127.0.0.1'",
                 (SEED_USER,))
    accepts_before = int(source.query("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")[0]["Value"])

    copied = run_module("mariadb_seed", seed_args(source, replica, databases=["shop"], source_ssl=True))
    assert not copied["failed"], copied
    assert copied["changed"] and copied["bytes"] > 100000
    assert replica.scalar("SELECT COUNT(*) FROM shop.items") == 3000
    assert int(source.query("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")[0]["Value"]) >= accepts_before + 2

    # Verified against the certificate as CA (it names 127.0.0.1): the dump checks it too, and still copies.
    verified = run_module("mariadb_seed", seed_args(source, replica, databases=["shop"], source_ssl=True, force=True,
                                                    source_ssl_verify_server_cert=True, source_ssl_ca=str(cert)))
    assert not verified["failed"], verified
    # Verified without a CA that signed it: refused before anything changes.
    unverifiable = run_module("mariadb_seed", seed_args(source, replica, databases=["shop"], source_ssl=True,
                                                        force=True, source_ssl_verify_server_cert=True))
    assert unverifiable["failed"] and "Nothing was changed" in unverifiable["msg"], unverifiable
    assert "certificate" in unverifiable["msg"]

    # A source without TLS (--skip-ssl: 11.4 and later otherwise make a certificate of their own): source_ssl
    # refuses it instead of copying in plain text.
    plain, target = mariadb_lab.start(2, ["--skip-ssl"])
    plain.query("CREATE DATABASE plain_only")
    plain.query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (SEED_USER, SEED_PASSWORD))
    plain.query("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD, BINLOG MONITOR ON *.* TO "
                "%s@'127.0.0.1'", (SEED_USER,))
    refused = run_module("mariadb_seed", seed_args(plain, target, databases=["plain_only"], source_ssl=True))
    assert refused["failed"], refused
    assert "SSL is required" in refused["msg"] or "is not encrypted, but TLS was asked for" in refused["msg"]
    assert "Nothing was" in refused["msg"]
    assert not target.query("SHOW DATABASES LIKE 'plain_only'")


def test_a_seed_killed_by_its_timeout_leaves_no_password_on_disk(pair, run_module, tmp_path):
    """An async timeout kills the module with SIGKILL: no cleanup runs, so nothing secret may be on disk before."""
    source, replica = pair
    source.query("CREATE DATABASE big")
    source.query("CREATE TABLE big.a_rows (id INT PRIMARY KEY, pad VARCHAR(200)) ENGINE=InnoDB")
    source.query("INSERT INTO big.a_rows SELECT seq, REPEAT(MD5(seq), 6) FROM big.seq_1_to_400000")
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": seed_args(source, replica, databases=["big"])}))
    repo = Path(__file__).resolve().parents[2]
    module = subprocess.Popen([sys.executable, str(repo / "plugins" / "modules" / "mariadb_seed.py"), str(args_file)],
                              env=dict(os.environ, PYTHONPATH=str(repo / ".collections")), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work_dir_prefix = "replkit-seed-%d-" % module.pid
    try:
        assert wait_for(lambda: replica.scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                                               "'big' AND TABLE_NAME = 'a_rows'"), timeout=60)
    finally:
        os.killpg(module.pid, 9)  # the module and the dump and import clients it started
        module.wait()
    temp = Path(os.environ.get("TMPDIR", "/tmp"))
    left = [path for path in temp.iterdir() if path.name.startswith(work_dir_prefix)]
    assert len(left) == 1, "the killed copy's work directory is left for the next copy to remove"
    secret = SEED_PASSWORD.encode()
    for path in left[0].rglob("*"):
        assert secret not in path.read_bytes(), "%s holds the seeding password" % path

    # The next copy removes what the killed one left.
    source.query("DROP DATABASE big")
    replica.query("DROP DATABASE IF EXISTS big")
    source.query("CREATE DATABASE small")
    source.query("CREATE TABLE small.t (id INT PRIMARY KEY) ENGINE=InnoDB")
    redone = run_module("mariadb_seed", seed_args(source, replica, databases=["small"]))
    assert not redone["failed"], redone
    assert str(left[0]) in redone["removed_work_dirs"] and not left[0].exists()
