"""mariadb_table_checksum against real servers: chunks -> pause -> source -> replica per batch while the source takes
writes in two GTID domains; no difference on equal data, every planted difference found with its key range, and the
replica's connection running again after every call, failed ones included."""

from __future__ import annotations

import threading
import time

import pytest

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, connection_running, connection_status, wait_for

MODULE = "mariadb_table_checksum"
CONNECTION = "src'1"  # a quote on purpose: the name must travel as an escaped string literal
LINES = "app.`line``items`"  # a composite key, and a backtick in the name
TABLES = ["app.orders", LINES, "app.extra", "app.nokey", "app.nope"]
ORDERS, EXTRA = 3000, 900


class Writer(threading.Thread):
    """Commits an order with two lines (and an update of a recent order) every ~10 ms, alternating domains 1 and 2."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.stopping, self.orders, self.lines, self.error = server, threading.Event(), 0, 0, None

    def run(self):
        try:
            connection = self.server.connect()
            with connection.cursor() as cursor:
                while not self.stopping.is_set():
                    cursor.execute("SET SESSION gtid_domain_id = %s" % (1 + self.orders % 2))
                    cursor.execute("START TRANSACTION")
                    cursor.execute("INSERT INTO app.orders (customer, amount, note) VALUES (%s, %s, %s)",
                                   ("writer", self.orders, "n'%d" % self.orders))
                    order = cursor.lastrowid
                    cursor.execute("INSERT INTO app.`line``items` VALUES (%s, 1, 'a', 1.5), (%s, 2, NULL, 2.5)",
                                   (order, order))
                    # Only the writer's own rows change: the rows planted on the replica stay as planted.
                    cursor.execute("UPDATE app.orders SET amount = amount + 1 WHERE id = %s",
                                   (max(order - 5, ORDERS + 1),))
                    cursor.execute("COMMIT")
                    self.orders, self.lines = self.orders + 1, self.lines + 2
                    time.sleep(0.01)
            connection.close()
        except Exception as exc:  # reported by stop()
            self.error = exc

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)
        assert self.error is None, self.error


@pytest.fixture
def pair(mariadb_lab, run_module):
    source, replica = mariadb_lab.start(2)
    source.query("SET GLOBAL gtid_domain_id = 1")
    source.query("CREATE DATABASE app")
    source.query("CREATE TABLE app.orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(40) CHARACTER SET latin1,"
                 " amount DECIMAL(12,2), note TEXT, payload BLOB) DEFAULT CHARSET=utf8mb4")
    source.query("CREATE TABLE app.`line``items` (order_id INT NOT NULL, line_no INT NOT NULL, sku VARCHAR(20), "
                 "price DOUBLE, PRIMARY KEY (order_id, line_no))")
    source.query("CREATE TABLE app.extra (code VARBINARY(16) NOT NULL, v INT, UNIQUE KEY uk (code))")
    source.query("CREATE TABLE app.nokey (v INT)")
    source.query("CREATE TABLE app.side (id INT PRIMARY KEY)")
    source.query("INSERT INTO app.orders SELECT seq, CONCAT('cust', seq MOD 97), seq / 7, "
                 "IF(seq MOD 5, CONCAT('é#', seq), NULL), IF(seq MOD 3, NULL, UNHEX(MD5(seq))) "
                 "FROM app.seq_1_to_%d" % ORDERS)
    source.query("INSERT INTO app.`line``items` SELECT seq DIV 2 + 1, seq MOD 2 + 1, IF(seq MOD 4, 'sku', ''), seq / 3 "
                 "FROM app.seq_0_to_%d" % (2 * ORDERS - 1))
    source.query("INSERT INTO app.extra SELECT UNHEX(MD5(seq)), seq FROM app.seq_1_to_%d" % EXTRA)
    source.query("INSERT INTO app.nokey VALUES (1), (2)")
    result = run_module("mariadb_change_master", dict(
        replica.login_args(), connection_name=CONNECTION, primary_host=source.host, primary_port=source.port,
        primary_user=ADMIN_USER, primary_password=ADMIN_PASSWORD, primary_use_gtid="slave_pos",
        primary_connect_retry=1, ignore_domain_ids=[3], state="started"))
    assert not result["failed"], result
    wait_for(lambda: replica.query("SHOW DATABASES LIKE 'app'") and replica.query("SHOW TABLES FROM app LIKE 'side'")
             and replica.scalar("SELECT COUNT(*) FROM app.extra") == EXTRA)
    return source, replica


def call(run_module, server, **args):
    return run_module(MODULE, dict(server.login_args(), **args))


def running(replica):
    """The connection runs again (its I/O thread may take a moment to reconnect)."""
    return wait_for(lambda: connection_running(replica, CONNECTION), timeout=15)


def compare_batch(run_module, source, replica, batch):
    paused = call(run_module, replica, action="pause", connection_name=CONNECTION)
    assert not paused["failed"], paused
    assert paused["changed"] is True and paused["queries"] == ["STOP REPLICA 'src\\'1' SQL_THREAD"]
    assert connection_status(replica, CONNECTION)["Slave_SQL_Running"] == "No"
    on_source = call(run_module, source, action="source", chunks=batch)
    assert not on_source["failed"], on_source
    compared = call(run_module, replica, action="replica", connection_name=CONNECTION,
                    until_gtid_position=on_source["gtid_position"], results=on_source["results"], wait_timeout=60)
    assert not compared["failed"], compared
    assert compared["changed"] is False
    running(replica)
    return on_source, compared


def within(key, chunk):
    return ((chunk["lower"] is None or tuple(chunk["lower"]) < key)
            and (chunk["upper"] is None or key <= tuple(chunk["upper"])))


def test_equal_data_under_writes_then_planted_differences(pair, run_module):
    source, replica = pair
    writer = Writer(source)
    writer.start()
    try:
        wait_for(lambda: writer.orders > 20)
        cut = call(run_module, source, action="chunks", tables=TABLES, chunk_rows=500)
        assert not cut["failed"], cut
        assert cut["unkeyed_tables"] == ["app.nokey"] and cut["missing_tables"] == ["app.nope"]
        by_table = {table: [c for c in cut["chunks"] if c["table"] == table] for table in
                    ("app.orders", LINES, "app.extra")}
        assert [c["index"] for c in by_table["app.extra"]] == ["uk"] * len(by_table["app.extra"])
        assert by_table[LINES][0]["index_columns"] == ["order_id", "line_no"]
        for chunks in by_table.values():  # contiguous, first and last open-ended
            assert chunks[0]["lower"] is None and chunks[-1]["upper"] is None
            assert all(a["upper"] == b["lower"] for a, b in zip(chunks, chunks[1:]))
        assert len(by_table["app.orders"]) >= ORDERS // 500

        domains_seen, rows_seen = set(), 0
        for start in range(0, len(cut["chunks"]), 8):
            on_source, compared = compare_batch(run_module, source, replica, cut["chunks"][start:start + 8])
            assert compared["differences"] == [], compared
            assert compared["equal_chunks"] == len(on_source["results"])
            domains_seen |= {int(gtid.split("-")[0]) for gtid in compared["until_gtid_position"].split(",") if gtid}
            rows_seen += sum(result["rows"] for result in on_source["results"])
        assert {1, 2} <= domains_seen, "UNTIL waited for both of the writer's domains at once"
        assert rows_seen >= 3 * ORDERS + EXTRA

        # Plant differences on the replica only.
        replica.run_unlogged("UPDATE app.orders SET note = 'planted' WHERE id = 1234",
                             "DELETE FROM app.`line``items` WHERE order_id = 42 AND line_no = 2",
                             "DROP TABLE app.extra")
        found = []
        for start in range(0, len(cut["chunks"]), 8):
            found += compare_batch(run_module, source, replica, cut["chunks"][start:start + 8])[1]["differences"]
    finally:
        writer.stop()

    changed = [d for d in found if d["table"] == "app.orders"]
    assert len(changed) == 1 and changed[0]["reason"] == "checksum differs" and within((1234,), changed[0])
    assert changed[0]["source_rows"] == changed[0]["replica_rows"]
    deleted = [d for d in found if d["table"] == LINES]
    assert len(deleted) == 1 and deleted[0]["reason"] == "row count differs" and within((42, 2), deleted[0])
    assert deleted[0]["source_rows"] == deleted[0]["replica_rows"] + 1
    dropped = [d for d in found if d["table"] == "app.extra"]
    assert [(d["lower"], d["upper"]) for d in dropped] == [(c["lower"], c["upper"]) for c in by_table["app.extra"]]
    assert {d["reason"] for d in dropped} == {"table missing on replica"} and len(found) == 2 + len(dropped)

    # Nothing was lost to the UNTIL stops: the replica catches up with every committed row.
    total = (ORDERS + writer.orders, 2 * ORDERS + writer.lines)
    counts = "SELECT (SELECT COUNT(*) FROM app.orders) AS o, (SELECT COUNT(*) FROM app.`line``items`) AS l"
    assert tuple(source.query(counts)[0].values()) == total
    wait_for(lambda: tuple(replica.query(counts)[0].values()) == (total[0], total[1] - 1))
    running(replica)


def test_failed_and_check_mode_calls_leave_the_connection_running(pair, run_module, mariadb_lab):
    source, replica = pair
    conn = source.connect()
    with conn.cursor() as cursor:
        cursor.execute("SET SESSION gtid_domain_id = 3")  # a domain the connection ignores
        cursor.execute("INSERT INTO app.side VALUES (1)")
    conn.close()
    source.query("INSERT INTO app.orders (customer) VALUES ('x')")
    chunks = call(run_module, source, action="chunks", tables=["app.orders"], chunk_rows=1000)["chunks"]

    predicted = run_module(MODULE, dict(replica.login_args(), action="pause", connection_name=CONNECTION),
                           check_mode=True)
    assert predicted["changed"] is True and "would be stopped" in predicted["msg"]
    assert connection_running(replica, CONNECTION)

    # Ignored and already applied domains are left out of the position: no wait for domain 3, which never comes.
    on_source, compared = compare_batch(run_module, source, replica, chunks)
    assert 3 in {int(gtid.split("-")[0]) for gtid in on_source["gtid_position"].split(",")}
    assert compared["dropped_domains"]["3"] == "ignored by the connection (IGNORE_DOMAIN_IDS)"
    assert compared["differences"] == [] and compared["equal_chunks"] == len(chunks)

    cases = [
        (dict(until_gtid_position="garbage"), "until_gtid_position is not a GTID position"),
        (dict(until_gtid_position="1-1-999999999", wait_timeout=2), "did not reach 1-1-999999999 within 2 s"),
        (dict(until_gtid_position=on_source["gtid_position"], results=[dict(table="app.orders")]),
         "results[0] lacks index"),
    ]
    for extra, message in cases:
        assert not call(run_module, replica, action="pause", connection_name=CONNECTION)["failed"]
        args = dict(action="replica", connection_name=CONNECTION, results=on_source["results"])
        failed = call(run_module, replica, **dict(args, **extra))
        assert failed["failed"] and message in failed["msg"], (message, failed["msg"])
        assert failed["msg"].endswith("The connection runs again."), failed["msg"]
        running(replica)

    # Without a pause the replica action refuses (the replica may be past the position) and leaves it running.
    refused = call(run_module, replica, action="replica", connection_name=CONNECTION,
                   until_gtid_position=on_source["gtid_position"], results=on_source["results"])
    assert refused["failed"] and "run action=pause" in refused["msg"] and refused["queries"] == []
    running(replica)

    # resume: nothing to do while it runs; after a pause it starts the connection; check mode runs nothing.
    assert call(run_module, replica, action="resume", connection_name=CONNECTION)["changed"] is False
    assert call(run_module, replica, action="pause", connection_name=CONNECTION)["changed"] is True
    predicted = run_module(MODULE, dict(replica.login_args(), action="resume", connection_name=CONNECTION),
                           check_mode=True)
    assert predicted["changed"] is True and connection_status(replica, CONNECTION)["Slave_SQL_Running"] == "No"
    resumed = call(run_module, replica, action="resume", connection_name=CONNECTION)
    assert resumed["changed"] is True and resumed["queries"] == ["START REPLICA 'src\\'1'"]
    running(replica)

    missing = call(run_module, replica, action="pause", connection_name="nope")
    assert missing["failed"] and "no replication connection 'nope'" in missing["msg"]

    (no_binlog,) = mariadb_lab.start(1, extra_options=["--skip-log-bin"])
    refused = call(run_module, no_binlog, action="source", chunks=[])
    assert refused["failed"] and "binary log of this server is off" in refused["msg"]


def test_chunks_without_tables_take_every_table_the_connection_filters_replicate(pair, run_module):
    source, _replica = pair
    source.query("CREATE DATABASE scratch")
    source.query("CREATE TABLE scratch.junk (id INT PRIMARY KEY)")
    source.query("CREATE TABLE app.tmp_1 (id INT PRIMARY KEY)")
    filters = {"replicate_ignore_db": ["scratch"], "replicate_wild_ignore_table": ["app.tmp\\_%"]}
    cut = call(run_module, source, action="chunks", replication_filters=filters)
    assert not cut["failed"], cut
    assert cut["tables"] == ["app.extra", LINES, "app.nokey", "app.orders", "app.side"]
    assert cut["filtered_tables"] == ["app.tmp_1", "scratch.junk"]
    assert cut["unkeyed_tables"] == ["app.nokey"]
    assert {chunk["table"] for chunk in cut["chunks"]} == {"app.extra", LINES, "app.orders", "app.side"}
    assert not any(table.startswith(("mysql.", "sys.")) for table in cut["tables"])


def test_pause_waits_while_the_replica_lags_and_refuses_past_the_timeout(pair, run_module):
    source, replica = pair
    # A replica that lags: a lock on the replica holds its SQL thread on an event while time passes.
    holder = replica.connect()
    with holder.cursor() as cursor:
        cursor.execute("LOCK TABLES app.side WRITE")
        source.query("INSERT INTO app.side VALUES (42)")
        assert wait_for(lambda: (connection_status(replica, CONNECTION)["Seconds_Behind_Master"] or 0) >= 3, timeout=30)
        lagging = call(run_module, replica, action="pause", connection_name=CONNECTION, max_lag=1, wait_timeout=2)
        assert lagging["failed"] and "still lags its source by" in lagging["msg"] and "Nothing was paused" in lagging["msg"]
        assert connection_status(replica, CONNECTION)["Slave_SQL_Running"] == "Yes"
        cursor.execute("UNLOCK TABLES")
    holder.close()
    caught_up = call(run_module, replica, action="pause", connection_name=CONNECTION, max_lag=1, wait_timeout=60)
    assert not caught_up["failed"], caught_up
    assert caught_up["changed"] is True and caught_up["lag_wait_seconds"] >= 0
    call(run_module, replica, action="resume", connection_name=CONNECTION)
    running(replica)
    bad = call(run_module, replica, action="pause", connection_name=CONNECTION, max_lag=-1)
    assert bad["failed"] and "max_lag is -1" in bad["msg"]
