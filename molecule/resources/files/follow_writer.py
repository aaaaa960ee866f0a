# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client that follows the writable node: it commits one numbered row every INTERVAL seconds into a table and,
when the node it writes to refuses (read_only) or goes away, reconnects to whichever node takes writes.

    REPLKIT_WRITER_PASSWORD=... follow_writer.py --hosts 10.0.0.1,10.0.0.2 --user app --table db.t \
        --state /tmp/writer.json --stop /tmp/writer.stop

It counts what the servers acknowledged: ``committed`` holds every number whose COMMIT returned OK, ``uncertain``
the numbers whose COMMIT got no answer (the node died under it; the row may or may not exist). Each number is
written at most once, so afterwards every committed number must be on every node exactly once. ``longest_gap`` is
the longest time between two acknowledged commits: the write unavailability a client saw. The password comes from
the environment, never the command line. The state file is rewritten (atomically) every second and at the end.
"""

import argparse
import json
import os
import time

import pymysql

READ_ONLY_ERRORS = {1290, 1836}  # ER_OPTION_PREVENTS_STATEMENT, ER_READ_ONLY_MODE
# Gaps between two acknowledged commits longer than this (seconds) are listed, with the node written to after them.
GAP_REPORTED = 0.5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", required=True, help="comma-separated addresses, in the order to try them")
    parser.add_argument("--port", type=int, default=3306)
    parser.add_argument("--user", required=True)
    parser.add_argument("--table", required=True, help="database.table with columns (n INT, writer VARCHAR)")
    parser.add_argument("--name", default="follow", help="this writer's name, stored in every row")
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--state", required=True)
    parser.add_argument("--stop", required=True, help="the writer stops once this file exists")
    return parser.parse_args()


def connect(host, args):
    return pymysql.connect(host=host, port=args.port, user=args.user, password=os.environ["REPLKIT_WRITER_PASSWORD"],
                           connect_timeout=1, read_timeout=2, write_timeout=2, autocommit=False)


def writable_connection(args, hosts):
    """A connection to the first node that answers with read_only off, or None."""
    for host in hosts:
        try:
            connection = connect(host, args)
        except pymysql.MySQLError:
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT @@global.read_only")
                if not cursor.fetchone()[0]:
                    return host, connection
        except pymysql.MySQLError:
            pass
        connection.close()
    return None, None


def save(path, state):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(temporary, path)


def main():
    args = parse_args()
    hosts = args.hosts.split(",")
    state = {"committed": [], "uncertain": [], "refused": 0, "longest_gap": 0.0, "longest_gap_at": None,
             "gaps": [], "switches": [], "done": False}
    number, host, connection = 0, None, None
    last_commit = last_save = time.time()
    while not os.path.exists(args.stop):
        if connection is None:
            host, connection = writable_connection(args, hosts)
            if connection is None:
                time.sleep(args.interval)
                continue
            state["switches"].append({"host": host, "at": time.time()})
        number += 1
        try:
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO %s (n, writer) VALUES (%%s, %%s)" % args.table, (number, args.name))
        except pymysql.MySQLError as exc:
            # Refused before the commit: the row does not exist anywhere; the number is not used again.
            state["refused"] += 1
            try:
                connection.rollback()
            except pymysql.MySQLError:
                pass
            if exc.args and exc.args[0] not in READ_ONLY_ERRORS:
                connection.close()
            connection = None
            continue
        try:
            connection.commit()
        except pymysql.MySQLError:
            state["uncertain"].append(number)
            connection = None
            continue
        now = time.time()
        if now - last_commit > GAP_REPORTED:
            state["gaps"].append({"at": last_commit, "seconds": round(now - last_commit, 3), "host": host})
        if now - last_commit > state["longest_gap"]:
            state["longest_gap"], state["longest_gap_at"] = now - last_commit, last_commit
        last_commit = now
        state["committed"].append(number)
        if now - last_save >= 1:
            save(args.state, state)
            last_save = now
        time.sleep(args.interval)
    state["done"] = True
    save(args.state, state)


if __name__ == "__main__":
    main()
