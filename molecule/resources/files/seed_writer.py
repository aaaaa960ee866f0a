# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commit one row every --interval seconds into --table until SIGTERM, riding through server restarts.

Started by the Molecule prepare step of the seeding scenarios (molecule/resources/tasks/seed_writers.yml) as a
transient systemd unit on a writable primary, so the primary takes live writes while the converge enables the
binary log (a restart), seeds the replicas and wires replication. Keeps a JSON state file (--state), rewritten
about once a second and on exit: the writer's rows found at start (baseline), rows committed since, the longest
gap between two commits, how often it reconnected, the errors it saw. Refuses to write while the server is
read-only (root would bypass read_only).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

import pymysql

SAVE_SECONDS = 1.0
RETRY_SECONDS = 0.2
READ_ONLY_CHECK_SECONDS = 1.0


def quote(identifier):
    return "`" + identifier.replace("`", "``") + "`"


class Writer:
    def __init__(self, args):
        self.args = args
        self.table = ".".join(quote(part) for part in args.table.split(".", 1))
        self.stopping = False
        self.connection = None
        self.read_only_checked = 0.0
        self.state = {
            "table": args.table, "writer": args.writer, "pid": os.getpid(), "started": time.time(),
            "baseline": None, "committed": 0, "first_commit": None, "last_commit": None, "longest_gap": 0.0,
            "connects": 0, "reconnects": 0, "errors": 0, "last_error": None, "read_only_waits": 0,
            "exit": None, "stopped": None,
        }

    def save(self):
        temporary = self.args.state + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.state, handle, sort_keys=True)
        os.replace(temporary, self.args.state)

    def connect(self):
        self.connection = pymysql.connect(unix_socket=self.args.socket, user="root", autocommit=False,
                                          charset="utf8mb4", connect_timeout=2, read_timeout=5, write_timeout=5)
        self.state["connects"] += 1
        if self.state["connects"] > 1:
            self.state["reconnects"] += 1
        self.read_only_checked = 0.0
        if self.state["baseline"] is None:
            # Rows an earlier run of this writer left: verify counts this run's rows on top of them.
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM " + self.table + " WHERE writer = %s", (self.args.writer,))
                self.state["baseline"] = int(cursor.fetchone()[0])
            self.connection.commit()

    def disconnect(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except pymysql.err.Error:
                pass
        self.connection = None

    def server_read_only(self, cursor):
        """Checked on each connection and then once a second: a read-only server gets no rows from root."""
        now = time.time()
        if now - self.read_only_checked < READ_ONLY_CHECK_SECONDS:
            return False
        cursor.execute("SELECT @@global.read_only")
        read_only = bool(int(cursor.fetchone()[0]))
        self.read_only_checked = 0.0 if read_only else now
        return read_only

    def write_one(self):
        if self.connection is None:
            self.connect()
        with self.connection.cursor() as cursor:
            if self.server_read_only(cursor):
                self.state["read_only_waits"] += 1
                return False
            number = self.state["committed"] + 1
            cursor.execute("INSERT INTO " + self.table + " (writer, n, amount) VALUES (%s, %s, %s)",
                           (self.args.writer, number, "%d.%02d" % (number % 1000, number % 100)))
        self.connection.commit()
        return True

    def note_commit(self):
        now = time.time()
        if self.state["last_commit"] is not None:
            self.state["longest_gap"] = round(max(self.state["longest_gap"], now - self.state["last_commit"]), 3)
        else:
            self.state["first_commit"] = now
        self.state["last_commit"] = now
        self.state["committed"] += 1

    def run(self):
        last_save = 0.0
        while not self.stopping:
            try:
                if self.write_one():
                    self.note_commit()
            except pymysql.err.Error as exc:
                # The server restarted or refused: count it, drop the connection, try again shortly.
                self.state["errors"] += 1
                self.state["last_error"] = "%s: %s" % (type(exc).__name__, exc)
                print("write failed, reconnecting: %s" % self.state["last_error"], flush=True)
                self.disconnect()
                time.sleep(RETRY_SECONDS)
            if time.time() - last_save >= SAVE_SECONDS:
                self.save()
                last_save = time.time()
            time.sleep(self.args.interval)
        self.disconnect()
        self.state["exit"] = "signal"
        self.state["stopped"] = time.time()
        self.save()
        print("stopped after %d committed rows, longest gap %.3f s, %d reconnects"
              % (self.state["committed"], self.state["longest_gap"], self.state["reconnects"]), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", default="/run/mysqld/mysqld.sock")
    parser.add_argument("--table", required=True, help="database.table with columns writer, n, amount")
    parser.add_argument("--writer", required=True, help="this host's name, written into each row")
    parser.add_argument("--state", required=True, help="the JSON state file")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between commits")
    args = parser.parse_args()

    writer = Writer(args)

    def stop(signum, frame):
        writer.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    writer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
