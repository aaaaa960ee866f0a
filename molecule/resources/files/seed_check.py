# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-side helpers of the seeding scenarios' verify (molecule/resources/tasks/seed_verify.yml). Prints JSON.

snapshot  per fixture database: every base table's COUNT(*) and CHECKSUM TABLE, the views' content digest, the
          triggers and routines (with a digest of their bodies), the fixture manifest (table -> rows created),
          the results of the fixture's function and procedure, and whether the fixture's trigger fires (an INSERT
          rolled back, with sql_log_bin=0: nothing stays, nothing is logged); plus the seed marker users.
origins   scans this server's binary logs: transactions per server_id, and events touching the given databases
          whose server_id is not the database owner's (a seed import that was logged and could come back around).
keepup    sources write one row each (after --settle seconds, so every replica already watches); every host waits
          until the rows of the --expect sources arrive and reports how long each took.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time

import pymysql
import pymysql.cursors

POLL_SECONDS = 0.05
MISSING_TABLE = 1146
MISSING_DATABASE = 1049
MARKER_USER = "replkit_seed_marker"
# The objects every fixture database has (molecule/resources/files/seed_fixture.sql).
FIXTURE_FUNCTION = "customer_total"
FIXTURE_PROCEDURE = "count_items"
FIXTURE_TRIGGER_TABLE = "items"
FIXTURE_TRIGGER_LOG = "item_log"


def quote(identifier):
    return "`" + identifier.replace("`", "``") + "`"


def connect(socket, **extra):
    return pymysql.connect(unix_socket=socket, user="root", autocommit=True, charset="utf8mb4", **extra)


def digest(rows):
    """Order-independent digest of result rows (repr of each row, sorted)."""
    return hashlib.sha256("\n".join(sorted(repr(tuple(row)) for row in rows)).encode("utf-8")).hexdigest()[:16]


def rows_of(cursor, sql, args=None):
    cursor.execute(sql, args)
    return cursor.fetchall()


def snapshot_database(cursor, database, exercise):
    if not rows_of(cursor, "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (database,)):
        return None
    found = {"tables": {}, "views": {}, "triggers": {}, "routines": {}, "manifest": {}, "calls": {}}
    for name, kind, engine in rows_of(cursor, "SELECT table_name, table_type, engine FROM information_schema.tables"
                                              " WHERE table_schema = %s", (database,)):
        qualified = quote(database) + "." + quote(name)
        if kind == "VIEW":
            found["views"][name] = digest(rows_of(cursor, "SELECT * FROM " + qualified))
            continue
        count = rows_of(cursor, "SELECT COUNT(*) FROM " + qualified)[0][0]
        checksum = rows_of(cursor, "CHECKSUM TABLE " + qualified)[0][1]
        found["tables"][name] = {"rows": count, "checksum": None if checksum is None else str(checksum),
                                 "engine": engine}
    for name, event, table, timing, body in rows_of(
            cursor, "SELECT trigger_name, event_manipulation, event_object_table, action_timing, action_statement"
                    " FROM information_schema.triggers WHERE trigger_schema = %s", (database,)):
        found["triggers"][name] = "%s %s ON %s: %s" % (timing, event, table, digest([[body]]))
    for name, kind, body in rows_of(cursor, "SELECT routine_name, routine_type, routine_definition"
                                            " FROM information_schema.routines WHERE routine_schema = %s", (database,)):
        found["routines"][name] = "%s: %s" % (kind, digest([[body]]))
    if "fixture_manifest" in found["tables"]:
        found["manifest"] = {name: int(rows) for name, rows in rows_of(
            cursor, "SELECT table_name, expected_rows FROM " + quote(database) + ".fixture_manifest")}
    if found["routines"].get(FIXTURE_FUNCTION, "").startswith("FUNCTION"):
        found["calls"]["function"] = str(rows_of(cursor, "SELECT %s.%s(1)" % (quote(database),
                                                                              quote(FIXTURE_FUNCTION)))[0][0])
    if found["routines"].get(FIXTURE_PROCEDURE, "").startswith("PROCEDURE"):
        cursor.execute("CALL %s.%s(100, @replkit_seed_n)" % (quote(database), quote(FIXTURE_PROCEDURE)))
        found["calls"]["procedure"] = str(rows_of(cursor, "SELECT @replkit_seed_n")[0][0])
    if exercise and FIXTURE_TRIGGER_TABLE in found["tables"] and FIXTURE_TRIGGER_LOG in found["tables"]:
        found["calls"]["trigger_rows"] = fire_trigger(cursor, database)
    return found


def fire_trigger(cursor, database):
    """Rows the fixture's audit trigger wrote for one INSERT, inside a transaction that is rolled back."""
    cursor.execute("SET SESSION sql_log_bin = 0")
    cursor.execute("START TRANSACTION")
    try:
        cursor.execute("INSERT INTO %s.items (customer_id, label, amount, qty, status, flags, created)"
                       " VALUES (1, 'trigger probe', 1.00, 1, 'new', 0, NOW(6))" % quote(database))
        cursor.execute("SELECT LAST_INSERT_ID()")
        item_id = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM %s.item_log WHERE item_id = %%s" % quote(database), (item_id,))
        return cursor.fetchone()[0]
    finally:
        cursor.execute("ROLLBACK")
        cursor.execute("SET SESSION sql_log_bin = 1")


def snapshot(args):
    connection = connect(args.socket)
    cursor = connection.cursor()
    report = {
        "server_id": int(rows_of(cursor, "SELECT @@global.server_id")[0][0]),
        "markers": sorted(host for (host,) in rows_of(cursor, "SELECT host FROM mysql.user WHERE user = %s",
                                                      (MARKER_USER,))),
        "databases": {database: snapshot_database(cursor, database, args.exercise) for database in args.database},
    }
    connection.close()
    return report, 0


def touches(info, database):
    """Whether a Query or Table_map event's text names the database (use `db`; `db`.t; db.t; table_id: n (db.t))."""
    name = re.escape(database)
    return re.search(r"(?<![\w$])(`%s`|%s)(?![\w$])" % (name.replace("`", "``"), name), info) is not None


def origins(args):
    owners = {}
    for item in args.owner:
        database, _separator, server_id = item.partition("=")
        owners[database] = int(server_id)
    connection = connect(args.socket, cursorclass=pymysql.cursors.SSCursor)
    cursor = connection.cursor()
    if not int(rows_of(cursor, "SELECT @@global.log_bin")[0][0]):
        connection.close()
        return {"log_bin": False, "files": 0, "transactions": {}, "foreign": {}, "examples": []}, 0
    files = [row[0] for row in rows_of(cursor, "SHOW BINARY LOGS")]
    transactions = {}
    foreign = {database: 0 for database in owners}
    examples = []
    for name in files:
        cursor.execute("SHOW BINLOG EVENTS IN %s", (name,))
        for _log, _pos, event_type, server_id, _end, info in cursor:
            server_id = int(server_id)
            if event_type == "Gtid":
                transactions[str(server_id)] = transactions.get(str(server_id), 0) + 1
            elif event_type in ("Query", "Table_map"):
                for database, owner in owners.items():
                    if server_id != owner and touches(info, database):
                        foreign[database] += 1
                        if len(examples) < 5:
                            examples.append("%s server_id %d: %s" % (name, server_id, info[:160]))
    connection.close()
    return {"log_bin": True, "files": len(files), "transactions": transactions, "foreign": foreign,
            "examples": examples}, 0


def quoted_table(name):
    return ".".join(quote(part) for part in name.split(".", 1))


def keepup(args):
    table = quoted_table(args.table)
    # --expect SOURCE or SOURCE=DATABASE.TABLE: the table the source writes into (one its connection replicates).
    tables_of = {}
    for item in args.expect:
        source, _sep, source_table = item.partition("=")
        tables_of[source] = quoted_table(source_table or args.table)
    expect = sorted(tables_of)
    connection = connect(args.socket)
    cursor = connection.cursor()
    if args.write:
        time.sleep(args.settle)
        cursor.execute("CREATE DATABASE IF NOT EXISTS " + quote(args.table.split(".", 1)[0]))
        # replicate_do_db filters statements (the CREATE TABLE) by the default database, not the table's.
        cursor.execute("USE " + quote(args.table.split(".", 1)[0]))
        cursor.execute("CREATE TABLE IF NOT EXISTS " + table + " (source VARCHAR(64) NOT NULL, token VARCHAR(64)"
                       " NOT NULL, written_at DECIMAL(17,6) NOT NULL, PRIMARY KEY (source, token)) ENGINE=InnoDB")
        cursor.execute("INSERT INTO " + table + " (source, token, written_at) VALUES (%s, %s, %s)",
                       (args.write, args.token, "%.6f" % time.time()))
    latency = {}
    deadline = time.time() + args.settle + args.timeout + 1
    while len(latency) < len(expect) and time.time() < deadline:
        now = time.time()
        rows = []
        for source_table in sorted(set(tables_of.values())):
            try:
                rows += rows_of(cursor, "SELECT source, written_at FROM " + source_table + " WHERE token = %s",
                                (args.token,))
            except pymysql.err.ProgrammingError as exc:
                if exc.args[0] not in (MISSING_TABLE, MISSING_DATABASE):
                    raise
        for source, written_at in rows:
            if source in tables_of and source not in latency:
                latency[source] = round(max(0.0, now - float(written_at)), 3)
        if len(latency) < len(expect):
            time.sleep(POLL_SECONDS)
    connection.close()
    missing = [source for source in expect if source not in latency]
    late = [source for source in sorted(latency) if latency[source] > args.timeout]
    return {"latency": latency, "missing": missing, "late": late, "timeout": args.timeout}, 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--socket", default="/run/mysqld/mysqld.sock")
    commands = parser.add_subparsers(dest="command", required=True)
    snap = commands.add_parser("snapshot")
    snap.add_argument("--database", action="append", default=[])
    snap.add_argument("--exercise", action="store_true", help="fire the fixture's trigger (rolled back)")
    origin = commands.add_parser("origins")
    origin.add_argument("--owner", action="append", default=[], help="DATABASE=SERVER_ID of its only writer")
    keep = commands.add_parser("keepup")
    keep.add_argument("--table", required=True)
    keep.add_argument("--token", required=True)
    keep.add_argument("--write", help="this host's name, when it writes a row")
    keep.add_argument("--expect", action="append", default=[], help="a source whose row must arrive here")
    keep.add_argument("--settle", type=float, default=1.0)
    keep.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    report, status = {"snapshot": snapshot, "origins": origins, "keepup": keepup}[args.command](args)
    print(json.dumps(report, sort_keys=True))
    return status


if __name__ == "__main__":
    sys.exit(main())
