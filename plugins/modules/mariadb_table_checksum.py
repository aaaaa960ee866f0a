#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_table_checksum
short_description: Compare a replica's tables with its source's, chunk by chunk, at one GTID position
version_added: 0.3.0
author: replkit.mariadb contributors (@replkit)
description:
  - One step of a data-level comparison between a source and a replica; a role calls the steps per batch of chunks.
  - V(chunks) (source) cuts each table of O(tables) into ranges of about O(chunk_rows) rows of its primary key (or a
    unique key over NOT NULL columns). The first range has no lower bound and the last no upper bound.
  - V(pause) (replica) stops the SQL thread of O(connection_name), so the replica stays behind the source's snapshot.
  - V(source) (source) opens C(START TRANSACTION WITH CONSISTENT SNAPSHOT), reads its GTID position
    (C(BINLOG_GTID_POS) of C(binlog_snapshot_file) and C(binlog_snapshot_position)) and each chunk's count and checksum.
  - V(replica) (replica) applies exactly up to that position (C(START SLAVE 'name' UNTIL master_gtid_pos)), opens a
    snapshot, starts the connection again (also on failure), computes the same chunks and reports those that differ.
  - V(resume) (replica) starts the connection when a thread of it is stopped, for a role's C(always) block.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: partial
    details: V(chunks), V(source) and V(replica) only read and run in check mode too (V(replica) still stops and starts
      the connection). V(pause) and V(resume) run nothing in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  action:
    description: The step to run.
    type: str
    required: true
    choices: [chunks, pause, source, replica, resume]
  tables:
    description:
      - V(chunks). Tables as C(DATABASE.TABLE); backticks quote names holding dots (C(`my.db`.t)).
      - Omitted, every base table of every database but C(mysql), C(information_schema), C(performance_schema) and
        C(sys).
    type: list
    elements: str
  replication_filters:
    description:
      - V(chunks). The C(replicate_*) filters of the replica's connection (keys C(replicate_do_db),
        C(replicate_ignore_db), C(replicate_do_table), C(replicate_ignore_table), C(replicate_wild_do_table),
        C(replicate_wild_ignore_table), each a list). Tables the connection never replicates are left out (MariaDB's
        rules, as for row events), and listed in RV(filtered_tables).
    type: dict
    default: {}
    version_added: 0.3.0
  chunk_rows:
    description: V(chunks). About how many rows a chunk holds, 1 or more.
    type: int
    default: 10000
  chunks:
    description: V(source). Items of RV(chunks) (C(table), C(index), C(index_columns), C(lower), C(upper)).
    type: list
    elements: dict
  connection_name:
    description: V(pause), V(replica), V(resume). The replica's connection from the source, which must use GTID.
    type: str
    default: ''
  until_gtid_position:
    description:
      - V(replica). RV(gtid_position) of the V(source) call whose RV(results) are compared.
      - Domains the connection does not replicate (C(IGNORE_DOMAIN_IDS), C(DO_DOMAIN_IDS)) and domains
        C(gtid_slave_pos) holds at or past it are left out (RV(dropped_domains)).
    type: str
  results:
    description: V(replica). RV(results) of that V(source) call.
    type: list
    elements: dict
  wait_timeout:
    description:
      - V(replica). Seconds to wait for the connection to reach O(until_gtid_position), 0 or more.
      - V(pause). Seconds to wait for the lag to drop to O(max_lag).
    type: int
    default: 300
  max_lag:
    description:
      - V(pause). While the connection lags its source by more than this many seconds (C(Seconds_Behind_Master), less
        its C(MASTER_DELAY)), wait before pausing it, so the comparison never adds to a lag the replica is working off.
        Past O(wait_timeout) the pause fails, naming the lag.
    type: int
    default: 10
    version_added: 0.3.0
notes:
  - Rows hash as C(CRC32(CONCAT_WS('#', col1, ..., CONCAT(ISNULL(col1), ...)))) over all columns in ordinal order;
    a chunk is C(COUNT(*)) and C(BIT_XOR) of its rows. Character columns are converted to utf8mb4, so the text is
    compared byte for byte whatever the column's character set or collation; binary and BLOB columns as bytes.
  - A differing chunk goes unnoticed when its checksums collide (about 1 in 2**32) or when text moves across a C(#)
    between adjacent columns. FLOAT and DOUBLE hash as the server prints them (versions may differ), TIMESTAMP in
    UTC. Columns match by position, so one added or reordered on one side makes all chunks of the table differ.
  - Keys over FLOAT, DOUBLE, ENUM, SET or BIT columns and prefix keys are not used (RV(unkeyed_tables)).
  - Only InnoDB tables are compared at one exact point. When all compared tables are InnoDB the connection runs again
    as soon as the replica's snapshot is open, else after the checksums.
  - MariaDB takes C(UNTIL master_gtid_pos) only with both threads stopped, so V(replica) stops the I/O thread too.
    Until the position is reached, events of domains left out of it are not applied; the connection fetches them
    again when it restarts.
  - C(BINLOG_GTID_POS) reads the snapshot's binary log file from its start, so V(source) slows as the file grows.
"""

EXAMPLES = r"""
- name: Cut the tables into chunks (on the source)
  replkit.mariadb.mariadb_table_checksum:
    action: chunks
    tables: [shop.orders, shop.order_lines]
  register: cut

- name: Pause the replica (delegated to it; action resume in an always block starts it for sure)
  replkit.mariadb.mariadb_table_checksum: {action: pause, connection_name: db1}
  delegate_to: replica1

- name: Checksum a batch in a consistent snapshot (on the source)
  replkit.mariadb.mariadb_table_checksum: {action: source, chunks: "{{ cut.chunks[0:20] }}"}
  register: on_source

- name: Compare on the replica at the same position
  replkit.mariadb.mariadb_table_checksum:
    action: replica
    connection_name: db1
    until_gtid_position: "{{ on_source.gtid_position }}"
    results: "{{ on_source.results }}"
  delegate_to: replica1
  register: compared
"""

RETURN = r"""
chunks:
  description: V(chunks). Key ranges, C(lower) exclusive, C(upper) inclusive, null unbounded; binary values as hex.
  returned: when action is chunks
  type: list
  elements: dict
  sample: [{"table": "shop.orders", "index": "PRIMARY", "index_columns": ["id"], "lower": null, "upper": [10000]}]
tables:
  description: V(chunks). The tables compared - those of O(tables) (or of the server) that the filters let through.
  returned: when action is chunks
  type: list
  elements: str
  sample: [shop.orders]
filtered_tables:
  description: V(chunks). Tables left out because O(replication_filters) never replicate them.
  returned: when action is chunks
  type: list
  elements: str
  sample: [shop.tmp_import]
unlogged_tables:
  description:
    - V(chunks). Tables left out because this server (the source) does not write their database to its binary log
      (its C(binlog_do_db)/C(binlog_ignore_db), read from C(SHOW MASTER STATUS)), so no change to them reaches a replica
      and the replica's copy is not expected to equal them.
  returned: when action is chunks
  type: list
  elements: str
  sample: [scratch.junk]
  version_added: 0.5.0
unkeyed_tables:
  description: V(chunks). Tables (and views) not chunked for want of a usable key.
  returned: when action is chunks
  type: list
  elements: str
missing_tables:
  description: V(chunks). Tables that do not exist.
  returned: when action is chunks
  type: list
  elements: str
gtid_position:
  description: V(source) the snapshot's GTID position; V(pause) and V(replica) C(gtid_slave_pos) after stopping.
  returned: when action is pause, source or replica
  type: str
  sample: 0-1-1200,1-2-53
binlog_file:
  description: V(source). The snapshot's binary log file (with RV(binlog_position), its coordinate).
  returned: when action is source
  type: str
binlog_position:
  description: V(source). The snapshot's binary log position.
  returned: when action is source
  type: int
results:
  description: V(source). The chunks with C(rows) and C(checksum), both null and a C(reason) for a missing table.
  returned: when action is source
  type: list
  elements: dict
differences:
  description: V(replica). Differing chunks with C(table), C(lower), C(upper), C(source_rows), C(replica_rows), C(reason).
  returned: when action is replica
  type: list
  elements: dict
equal_chunks:
  description: V(replica). How many chunks are equal.
  returned: when action is replica
  type: int
until_gtid_position:
  description: V(replica). The position waited for; empty when nothing was to apply.
  returned: when action is replica
  type: str
dropped_domains:
  description: V(replica). Domains left out of O(until_gtid_position) (ids as strings) and why.
  returned: when action is replica
  type: dict
  sample: {"0": "already applied (0-1-5)"}
lag_wait_seconds:
  description: V(pause). Seconds waited for the connection's lag to drop to O(max_lag).
  returned: when action is pause
  type: float
  version_added: 0.3.0
wait_seconds:
  description: V(replica). Seconds waited for the position.
  returned: when action is replica
  type: float
queries:
  description: V(pause), V(replica), V(resume). Replication statements run (in check mode, that would run).
  returned: when action is pause, replica or resume
  type: list
  elements: str
  sample: ["STOP REPLICA 'db1' SQL_THREAD"]
"""

import time
import traceback

from ansible_collections.replkit.mariadb.plugins.module_utils.binlog_filter import binlogged, parse_master_status
from ansible_collections.replkit.mariadb.plugins.module_utils.change_master import connection_name_error
from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import format_gtid_pos, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    Statement, connection_kwargs, execute, fail_on_input_errors, login_description, mariadb_common_argument_spec,
    open_session, pymysql)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import (
    find_connection, show_all_connections, start_connection, stop_connection)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication_filter import table_replicated
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.seed import SYSTEM_DATABASES
from ansible_collections.replkit.mariadb.plugins.module_utils.table_checksum import (
    SESSION, SNAPSHOT, Failure, checksum_chunks, chunk_tables, compare_results, filter_position, input_errors,
    parse_domain_ids, parse_table_name, read_table, slave_pos, table_name, until_left, uses_gtid, wait_until)

RUNNING = ("Yes", "Connecting")
LAG_POLL_SECONDS = 0.5


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        action=dict(type="str", required=True, choices=["chunks", "pause", "source", "replica", "resume"]),
        tables=dict(type="list", elements="str"),
        replication_filters=dict(type="dict", default={}),
        chunk_rows=dict(type="int", default=10000),
        chunks=dict(type="list", elements="dict"),
        connection_name=dict(type="str", default=""),
        until_gtid_position=dict(type="str"),
        results=dict(type="list", elements="dict"),
        wait_timeout=dict(type="int", default=300),
        max_lag=dict(type="int", default=10),
    )
    return spec


def run_chunks(module, cursor):
    """The chunks action: the tables asked for (or all of the server's), less what the filters keep out."""
    params = module.params
    names = params["tables"]
    if names is None:
        rows = execute(cursor, Statement(
            "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES "
            "WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_SCHEMA, TABLE_NAME"))
        names = [table_name(row["db"], row["name"]) for row in rows if row["db"].lower() not in SYSTEM_DATABASES]
    # What this server does not write to its binary log never reaches the replica: not compared (no row: no binlog).
    status = execute(cursor, Statement("SHOW MASTER STATUS"))
    binlog_filters = parse_master_status(status[0] if status else None) or {}
    kept, filtered, unlogged = [], [], []
    for name in names:
        database, table = parse_table_name(name)
        if not table_replicated(params["replication_filters"], database, table):
            filtered.append(name)
        elif not binlogged(database, binlog_filters):
            unlogged.append(name)
        else:
            kept.append(name)
    return dict(tables=kept, filtered_tables=filtered, unlogged_tables=unlogged,
                **chunk_tables(cursor, kept, params["chunk_rows"]))


def run_source(module, cursor):
    if str(execute(cursor, Statement("SELECT @@GLOBAL.log_bin AS log_bin"))[0]["log_bin"]) not in ("1", "ON"):
        module.fail_json(msg="The binary log of this server is off, so the GTID position of a snapshot cannot be "
                             "known. Run action=source on the replica's source, with log_bin on.")
    for statement in (SESSION,) + SNAPSHOT:
        execute(cursor, statement)
    status = {row["Variable_name"].lower(): row["Value"]
              for row in execute(cursor, Statement("SHOW STATUS LIKE %s", ("binlog_snapshot_%",)))}
    binlog_file, binlog_pos = status["binlog_snapshot_file"], int(status["binlog_snapshot_position"])
    position = execute(cursor, Statement("SELECT BINLOG_GTID_POS(%s, %s) AS pos", (binlog_file, binlog_pos)))[0]["pos"]
    if position is None:
        module.fail_json(msg="BINLOG_GTID_POS(%r, %d) of the snapshot returned NULL; check the binary log of this "
                             "server (SHOW BINARY LOGS)." % (binlog_file, binlog_pos))
    results = checksum_chunks(cursor, module.params["chunks"])
    execute(cursor, Statement("COMMIT"))
    return dict(gtid_position=format_gtid_pos(parse_gtid_pos(position)), binlog_file=binlog_file,
                binlog_position=binlog_pos, results=results)


def connection_row(module, cursor, info):
    name = module.params["connection_name"]
    row = find_connection(show_all_connections(cursor, info), name)
    if row is None:
        module.fail_json(msg="This server has no replication connection %r; check connection_name." % name)
    return row


def lag_of(row):
    """Seconds the connection lags beyond its MASTER_DELAY, or None when MariaDB does not know (a thread down)."""
    behind = row.get("Seconds_Behind_Master")
    if behind is None:
        return None
    return max(0, int(behind) - int(row.get("SQL_Delay") or 0))


def wait_for_lag(module, cursor, info):
    """Wait until the connection lags by at most max_lag seconds; returns (row, seconds waited)."""
    started = time.monotonic()
    while True:
        row = connection_row(module, cursor, info)
        lag = lag_of(row)
        if lag is None or lag <= module.params["max_lag"] or module.check_mode:
            return row, round(time.monotonic() - started, 3)
        if time.monotonic() - started >= module.params["wait_timeout"]:
            module.fail_json(msg="Connection %r still lags its source by %d s (more than max_lag=%d) after %d s; the "
                                 "comparison waits for a replica that keeps up. Nothing was paused."
                                 % (module.params["connection_name"], lag, module.params["max_lag"],
                                    module.params["wait_timeout"]))
        time.sleep(LAG_POLL_SECONDS)


def run_pause(module, cursor, info):
    name = module.params["connection_name"]
    row, lag_wait = wait_for_lag(module, cursor, info)
    if not uses_gtid(row):
        module.fail_json(msg="Connection %r does not replicate with GTID (MASTER_USE_GTID=no); the comparison needs "
                             "a GTID position to stop the replica at." % name)
    stop = Statement("STOP %s %%s SQL_THREAD" % info.replica_word, (name,))
    running = row.get("Slave_SQL_Running") == "Yes"
    if running and not module.check_mode:
        execute(cursor, stop)
    result = dict(changed=running, queries=[stop.masked()] if running else [], gtid_position=slave_pos(cursor),
                  lag_wait_seconds=lag_wait)
    if module.check_mode:
        result["msg"] = "Check mode: the SQL thread %s." % ("would be stopped" if running else "is not running")
    return result


def run_resume(module, cursor, info):
    name, row = module.params["connection_name"], connection_row(module, cursor, info)
    statements = [stop_connection(info, name)] if until_left(row) else []
    if statements or row.get("Slave_SQL_Running") != "Yes" or row.get("Slave_IO_Running") not in RUNNING:
        statements.append(start_connection(info, name))
    for statement in [] if module.check_mode else statements:
        execute(cursor, statement)
    return dict(changed=bool(statements), queries=[statement.masked() for statement in statements],
                **(dict(msg="Check mode: nothing was run.") if module.check_mode else {}))


def compare_on_replica(module, cursor, info, row, control, result):
    """Wait for the position, open a snapshot in a second session, start the connection again, compare."""
    params, name = module.params, module.params["connection_name"]
    errors = input_errors(params) + ([] if uses_gtid(row) else [
        "Connection %r does not replicate with GTID (MASTER_USE_GTID=no)." % name])
    if errors:
        raise Failure(" ".join(errors))
    if row.get("Slave_SQL_Running") == "Yes":
        raise Failure("The SQL thread of connection %r runs: run action=pause before action=source, so the replica "
                      "cannot pass the source's position." % name)
    until, dropped, ahead = filter_position(params["until_gtid_position"], slave_pos(cursor),
                                            parse_domain_ids(row.get("Replicate_Ignore_Domain_Ids")),
                                            parse_domain_ids(row.get("Replicate_Do_Domain_Ids")))
    result.update(until_gtid_position=format_gtid_pos(until), wait_seconds=0.0,
                  dropped_domains={str(domain): reason for domain, reason in dropped.items()})
    if ahead:
        module.warn("The replica is already past the source's position in domain(s) %s; chunks written there may "
                    "differ only because of that." % ", ".join(str(domain) for domain in ahead))
    if until:  # MariaDB takes UNTIL master_gtid_pos only with both threads stopped
        control["run"](stop_connection(info, name))
        control["until"] = True
        control["run"](Statement("START %s %%s UNTIL master_gtid_pos = %%s" % info.replica_word,
                                 (name, format_gtid_pos(until))))
        waited = wait_until(cursor, lambda: find_connection(show_all_connections(cursor, info), name), until,
                            params["wait_timeout"])
        result["wait_seconds"] = round(waited, 3)
        control["until"] = False
    try:  # a second session: MariaDB refuses STOP SLAVE inside the snapshot's transaction (error 1192)
        data = pymysql.connect(cursorclass=pymysql.cursors.DictCursor, **connection_kwargs(params))
    except Exception as exc:  # PyMySQL raises several unrelated types here
        raise Failure("Cannot open a second session for the snapshot: %s" % exc)
    try:
        reader, metas = data.cursor(), {}
        for statement in (SESSION,) + SNAPSHOT:
            execute(reader, statement)
        result["gtid_position"] = slave_pos(cursor)
        for item in params["results"]:
            if item["table"] not in metas:
                metas[item["table"]] = read_table(reader, *parse_table_name(item["table"]))
        if all(meta is None or str(meta["engine"]).lower() == "innodb" for meta in metas.values()):
            control["restart"]()  # the snapshot holds the position: the replica need not wait for the checksums
        replica_results = checksum_chunks(reader, params["results"], metas)
        execute(reader, Statement("COMMIT"))
    finally:
        data.close()
    result["differences"], result["equal_chunks"] = compare_results(params["results"], replica_results)


def run_replica(module, cursor, info):
    name, row = module.params["connection_name"], connection_row(module, cursor, info)
    io_ran = row.get("Slave_IO_Running") in RUNNING
    result, queries, control = dict(changed=False, connection_name=name), [], dict(until=False, restarted=False)

    def run(statement):
        queries.append(statement.masked())
        execute(cursor, statement)

    def restart():
        if control["restarted"]:
            return
        control["restarted"] = True
        now = find_connection(show_all_connections(cursor, info), name) or {}
        if control["until"] or until_left(now):  # else the SQL thread would stop at the position later
            run(stop_connection(info, name))
            now = {}
        if now.get("Slave_SQL_Running") != "Yes" or (io_ran and now.get("Slave_IO_Running") not in RUNNING):
            run(start_connection(info, name) if io_ran else
                Statement("START %s %%s SQL_THREAD" % info.replica_word, (name,)))

    control.update(run=run, restart=restart)
    failure = None
    try:
        compare_on_replica(module, cursor, info, row, control, result)
    except Failure as exc:
        failure = str(exc)
    except Exception as exc:  # report anything, but only once the connection runs again
        failure = "Unexpected error: %s\n%s" % (exc, traceback.format_exc())
    try:
        restart()
        restarted = " The connection runs again."
    except Exception as exc:  # PyMySQL raises several unrelated types
        failure, restarted = failure or "", " Starting connection %r again failed: %s" % (name, exc)
    result["queries"] = queries
    if failure is not None:
        module.fail_json(msg=(failure + restarted).strip(), **result)
    return result


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True)
    params, action = module.params, module.params["action"]
    name_error = connection_name_error(params["connection_name"])
    # The replica action reports input errors once the connection runs again.
    fail_on_input_errors(module, [name_error] if name_error else input_errors(params) if action != "replica" else [])
    connection, cursor, info = open_session(module)
    try:
        if action in ("chunks", "source"):
            result = dict(changed=False, **(run_source(module, cursor) if action == "source" else run_chunks(
                module, cursor)))
        elif action in ("pause", "resume"):
            run = run_pause if action == "pause" else run_resume
            result = dict(connection_name=params["connection_name"], **run(module, cursor, info))
        else:
            result = run_replica(module, cursor, info)
    except pymysql.MySQLError as exc:
        module.fail_json(msg="action=%s failed on %s: %s" % (action, login_description(params), exc))
    finally:
        connection.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
