# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write this writer's probe row and time how fast the other writers' probe rows arrive.

Run by the replkit.mariadb.verify role on every host at once. A writer waits --settle seconds
(so every reader polls before any probe is written), then upserts its row; every host then polls
until the rows of the writers in --expect carry --token, and measures each row's latency from its
written_at (the writer's clock) to the moment it was first seen here. Then it checksums the --checksum
tables. Prints a JSON report; exits 1 when a row is missing or late.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time

import pymysql

POLL_SECONDS = 0.05
MISSING_TABLE = 1146
MISSING_DATABASE = 1049


def quote(identifier):
    return "`" + identifier.replace("`", "``") + "`"


def connect(socket):
    option_file = os.path.expanduser("~/.my.cnf")
    options = {"unix_socket": socket, "autocommit": True, "charset": "utf8mb4"}
    if os.path.exists(option_file):
        options["read_default_file"] = option_file
    else:
        options["user"] = getpass.getuser()
    return pymysql.connect(**options)


def write_probe(cursor, table, writer, token):
    """Create the probe table if needed (True when this host created it) and upsert this writer's row."""
    database = table.split(".")[0]
    cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
                   (database, table.split(".")[1]))
    existed = cursor.fetchone()[0] > 0
    # IF NOT EXISTS: every writer creates it, and each CREATE also arrives from the other writers.
    cursor.execute("CREATE DATABASE IF NOT EXISTS " + quote(database))
    cursor.execute("CREATE TABLE IF NOT EXISTS " + ".".join(quote(part) for part in table.split(".")) +
                   " (writer VARCHAR(255) NOT NULL PRIMARY KEY, token VARCHAR(64) NOT NULL,"
                   " written_at DECIMAL(17,6) NOT NULL) ENGINE=InnoDB")
    cursor.execute("INSERT INTO " + ".".join(quote(part) for part in table.split(".")) +
                   " (writer, token, written_at) VALUES (%s, %s, %s)"
                   " ON DUPLICATE KEY UPDATE token = VALUES(token), written_at = VALUES(written_at)",
                   (writer, token, "%.6f" % time.time()))
    return not existed


def seen_rows(cursor, table, writers, token):
    if not writers:
        return {}
    placeholders = ", ".join(["%s"] * len(writers))
    try:
        cursor.execute("SELECT writer, written_at FROM " + ".".join(quote(part) for part in table.split(".")) +
                       " WHERE token = %s AND writer IN (" + placeholders + ")", [token] + list(writers))
    except pymysql.err.ProgrammingError as exc:
        if exc.args[0] in (MISSING_TABLE, MISSING_DATABASE):  # not replicated here yet
            return {}
        raise
    return {writer: float(written_at) for writer, written_at in cursor.fetchall()}


def checksums(cursor, tables):
    """database.table -> CHECKSUM TABLE value (None when the table does not exist here)."""
    found = {}
    for table in tables:
        cursor.execute("CHECKSUM TABLE " + ".".join(quote(part) for part in table.split(".", 1)))
        for name, value in cursor.fetchall():
            found[table] = None if value is None else str(value)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--table", required=True, help="database.table of the probe rows")
    parser.add_argument("--token", required=True)
    parser.add_argument("--writer", help="this host's name when it is a writer")
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--expect", default="{}", help="JSON: writer -> seconds its row may take to arrive here")
    parser.add_argument("--checksum", action="append", default=[], help="database.table to CHECKSUM TABLE afterwards")
    args = parser.parse_args()
    expect = {writer: float(bound) for writer, bound in json.loads(args.expect).items()}

    started = time.time()
    connection = connect(args.socket)
    cursor = connection.cursor()
    created = False
    if args.writer:
        time.sleep(args.settle)
        created = write_probe(cursor, args.table, args.writer, args.token)

    latency = {}
    deadline = started + args.settle + max(expect.values(), default=0) + 2
    while len(latency) < len(expect) and time.time() < deadline:
        now = time.time()
        for writer, written_at in seen_rows(cursor, args.table, sorted(set(expect) - set(latency)), args.token).items():
            latency[writer] = round(max(0.0, now - written_at), 3)
        if len(latency) < len(expect):
            time.sleep(POLL_SECONDS)
    # Checksums only mean something once every expected row is here.
    tables = checksums(cursor, args.checksum) if len(latency) == len(expect) else {}
    connection.close()

    missing = sorted(set(expect) - set(latency))
    late = sorted(writer for writer in latency if latency[writer] > expect[writer])
    report = {"created": created, "latency": latency, "bounds": expect, "missing": missing, "late": late,
              "checksums": tables}
    print(json.dumps(report, sort_keys=True))
    if missing or late:
        print("probe rows missing: %s; late (seconds, bound): %s"
              % (", ".join(missing) or "none",
                 ", ".join("%s %.3f > %.3f" % (writer, latency[writer], expect[writer]) for writer in late) or "none"),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
