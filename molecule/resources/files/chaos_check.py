# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-side check of the chaos verify (molecule/resources/chaos.yml). Prints JSON, exits 1 while rows are missing.

--expect is JSON: writer -> the rows it counted as committed (numbered 1..N in column n). For each writer, the rows
of this server's --table numbered 1..N must all be here: missing numbers are listed (the first few).
"""

from __future__ import annotations

import argparse
import json
import sys

import pymysql


def quote(identifier):
    return "`" + identifier.replace("`", "``") + "`"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--socket", default="/run/mysqld/mysqld.sock")
    parser.add_argument("--table", required=True)
    parser.add_argument("--expect", required=True)
    args = parser.parse_args()
    expect = {writer: int(count) for writer, count in json.loads(args.expect).items()}
    table = ".".join(quote(part) for part in args.table.split(".", 1))
    connection = pymysql.connect(unix_socket=args.socket, user="root", charset="utf8mb4")
    report = {}
    with connection.cursor() as cursor:
        for writer, committed in sorted(expect.items()):
            cursor.execute("SELECT DISTINCT n FROM " + table + " WHERE writer = %s AND n BETWEEN 1 AND %s",
                           (writer, committed))
            present = {row[0] for row in cursor.fetchall()}
            missing = [n for n in range(1, committed + 1) if n not in present]
            report[writer] = {"committed": committed, "present": len(present), "missing_first": missing[:10]}
    connection.close()
    print(json.dumps(report, sort_keys=True))
    return 1 if any(entry["missing_first"] for entry in report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
