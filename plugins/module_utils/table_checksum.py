# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chunked table checksums: key ranges, the row hash, GTID position filtering and comparing results.

A chunk is a range of a table's key: ``lower`` exclusive, ``upper`` inclusive, None unbounded. Key values travel as
JSON (decimals, dates and times as text, binary values as hex, decoded by column type). Every value is bound.
"""

from __future__ import annotations

import datetime
import decimal
import re
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import (
    GtidError, describe_behind, format_gtid_pos, gtid_behind, parse_gtid_pos)
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement, execute, quote_identifier

BINARY_TYPES = frozenset(("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"))
# Keys over these cannot be walked by comparing values: approximate, or not ordered as their text compares.
UNCHUNKABLE_TYPES = frozenset(("float", "double", "real", "enum", "set", "bit", "geometry", "point", "json"))
SEPARATOR = "#"
CHUNK_KEYS = ("table", "index", "index_columns", "lower", "upper")
REQUIRED = dict(source=["chunks"], replica=["until_gtid_position", "results"])
SESSION = Statement("SET SESSION time_zone = '+00:00', SESSION sql_mode = ''")
SNAPSHOT = (Statement("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
            Statement("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"))
# DATABASE.TABLE: the first unquoted dot separates; either name may be quoted with backticks (`` inside).
_TABLE_NAME = re.compile(r"^(([^`.]+)|`((?:[^`]|``)+)`)\.(([^`]+)|`((?:[^`]|``)+)`)$")


def parse_table_name(text):
    """``'db.t'`` or ``'`my.db`.`t``x`'`` -> ``('db', 't')``; raises ValueError for anything else."""
    match = _TABLE_NAME.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError("table name %r is not DATABASE.TABLE (quote names holding dots with backticks)" % (text,))
    database, table = (match.group(i) or match.group(i + 1).replace("``", "`") for i in (2, 5))
    return database, table


def table_name(database, table):
    """The inverse of parse_table_name: names holding dots, backticks or outer blanks are quoted."""
    return ".".join(quote_identifier(name) if "." in name or "`" in name or name != name.strip() else name
                    for name in (database, table))


def encode_value(value):
    """A key value as returned by PyMySQL -> a JSON-safe value that decode_value turns back into a bindable one."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):  # TIME: [-]H:MM:SS.ffffff, hours may pass 24
        sign, value = ("-", -value) if value < datetime.timedelta(0) else ("", value)
        seconds = value.days * 86400 + value.seconds
        return "%s%d:%02d:%02d.%06d" % (sign, seconds // 3600, seconds // 60 % 60, seconds % 60, value.microseconds)
    return value


def decode_value(value, data_type):
    """The bindable form of an encoded key value of a column of ``data_type`` (information_schema DATA_TYPE)."""
    if value is None or not isinstance(value, str):
        return value
    if data_type in BINARY_TYPES:
        return bytes.fromhex(value)
    if data_type == "decimal":
        return decimal.Decimal(value)  # bound as an exact literal: a string would compare as a double
    return value


def _compare(columns, values, last_op, strict_op):
    """``(c1, c2) > (v1, v2)`` written so the optimizer sees ranges: ``c1 > v1 OR (c1 = v1 AND c2 > v2)``."""
    column = quote_identifier(columns[0])
    if len(columns) == 1:
        return "%s %s %%s" % (column, last_op), [values[0]]
    inner, params = _compare(columns[1:], values[1:], last_op, strict_op)
    return "(%s %s %%s OR (%s = %%s AND %s))" % (column, strict_op, column, inner), [values[0], values[0]] + params


def range_predicate(columns, lower=None, upper=None):
    """(sql, params) of ``columns`` above ``lower`` (exclusive) and up to ``upper`` (inclusive); '' for all rows.

    MariaDB's optimizer does not turn row-constructor comparisons such as ``(a, b) > (1, 2)`` into index
    ranges (it scans the whole index), so multi-column bounds are expanded into the equivalent OR form.
    """
    parts, params = [], []
    for values, last_op, strict_op in ((lower, ">", ">"), (upper, "<=", "<")):
        if values is None:
            continue
        if len(values) != len(columns):
            raise ValueError("bound %r has %d value(s) for %d key column(s)" % (values, len(values), len(columns)))
        sql, bound = _compare(columns, values, last_op, strict_op)
        parts.append(sql)
        params += bound
    return " AND ".join(parts), params


def table_source(database, table, index):
    """`db`.`t` FORCE INDEX (`index`): ranges are read along the chunking key."""
    hint = " FORCE INDEX (%s)" % quote_identifier(index) if index else ""
    return "%s.%s%s" % (quote_identifier(database), quote_identifier(table), hint)


def boundary_statement(database, table, index, key_columns, lower, chunk_rows):
    """The key of the ``chunk_rows``-th row after ``lower``: the inclusive upper bound of the next chunk."""
    where, params = range_predicate(key_columns, lower, None)
    order = ", ".join(quote_identifier(column) for column in key_columns)
    sql = "SELECT %s FROM %s%s ORDER BY %s LIMIT 1 OFFSET %%s" % (
        order, table_source(database, table, index), " WHERE " + where if where else "", order)
    return Statement(sql, tuple(params) + (chunk_rows - 1,))


def column_expression(column):
    """A column as hashed: character columns in utf8mb4, so a column's charset does not change the hash."""
    name = quote_identifier(column["name"])
    charset = column.get("charset")
    return "CONVERT(%s USING utf8mb4)" % name if charset and charset != "utf8mb4" else name


def row_hash_expression(columns):
    """The per-row hash: CRC32 of the values joined by '#', then one NULL flag per column (CONCAT_WS skips NULLs)."""
    if not columns:
        raise ValueError("a row hash needs at least one column")
    values = ", ".join(column_expression(column) for column in columns)
    flags = ", ".join("ISNULL(%s)" % quote_identifier(column["name"]) for column in columns)
    return "CRC32(CONCAT_WS('%s', %s, CONCAT(%s)))" % (SEPARATOR, values, flags)


def checksum_statement(database, table, index, key_columns, columns, lower, upper):
    """Row count and BIT_XOR of the row hashes of one chunk."""
    where, params = range_predicate(key_columns, lower, upper)
    sql = "SELECT COUNT(*) AS row_count, COALESCE(BIT_XOR(%s), 0) AS checksum FROM %s%s" % (
        row_hash_expression(columns), table_source(database, table, index), " WHERE " + where if where else "")
    return Statement(sql, tuple(params))


def choose_key(index_rows, column_types):
    """(index, columns) to chunk by from STATISTICS rows: PRIMARY, else the narrowest unique key over NOT NULL
    whole columns of walkable types (``column_types``: name -> DATA_TYPE); None when no key qualifies."""
    indexes = {}
    for row in sorted(index_rows, key=lambda r: (r["name"], int(r["seq"]))):
        indexes.setdefault(row["name"], []).append(row)
    usable = []
    for name, rows in indexes.items():
        if any(int(row["non_unique"]) or row["nullable"] or row["sub_part"] is not None for row in rows):
            continue
        columns = [row["column"] for row in rows]
        if any(column_types.get(column, "").lower() in UNCHUNKABLE_TYPES for column in columns):
            continue
        usable.append((name != "PRIMARY", len(columns), name, columns))
    return min(usable)[2:] if usable else None


def filter_position(position, slave_pos, ignore_domain_ids=(), do_domain_ids=()):
    """(until, dropped, ahead): the domains of ``position`` the connection must still apply (gtid.py form), those
    left out ``{domain: reason}``, and those where ``slave_pos`` is already past ``position``."""
    position, applied = (parse_gtid_pos(p) if isinstance(p, str) else dict(p) for p in (position, slave_pos))
    until, dropped, ahead = {}, {}, []
    for domain in sorted(position):
        target, reached = position[domain], applied.get(domain)
        if domain in set(ignore_domain_ids):
            dropped[domain] = "ignored by the connection (IGNORE_DOMAIN_IDS)"
        elif do_domain_ids and domain not in set(do_domain_ids):
            dropped[domain] = "not replicated by the connection (DO_DOMAIN_IDS)"
        elif reached is not None and reached.seq_no >= target.seq_no:
            dropped[domain] = "already applied (%s)" % format_gtid_pos({domain: reached})
            if reached.seq_no > target.seq_no:
                ahead.append(domain)
        else:
            until[domain] = target
    return until, dropped, ahead


def parse_domain_ids(text):
    """'1,2' (SHOW SLAVE STATUS Replicate_*_Domain_Ids) -> [1, 2]."""
    return [int(part) for part in str(text or "").replace(" ", "").split(",") if part]


def compare_results(source_results, replica_results):
    """(differences, equal_chunks) of results paired by position; ``rows`` None: not computed, ``reason`` says why."""
    if len(source_results) != len(replica_results):
        raise ValueError("%d source results but %d replica results" % (len(source_results), len(replica_results)))
    differences, equal = [], 0
    for source, replica in zip(source_results, replica_results):
        rows = (source.get("rows"), replica.get("rows"))
        if None in rows:
            side, result = ("source", source) if rows[0] is None else ("replica", replica)
            reason = None if rows == (None, None) else "%s on %s" % (result.get("reason") or "table missing", side)
        elif int(rows[0]) != int(rows[1]):
            reason = "row count differs"
        else:
            reason = "checksum differs" if int(source["checksum"]) != int(replica["checksum"]) else None
        if reason is None:
            equal += 1
            continue
        differences.append(dict(table=source["table"], lower=source.get("lower"), upper=source.get("upper"),
                                source_rows=source.get("rows"), replica_rows=replica.get("rows"), reason=reason))
    return differences, equal


# ------------------------------------------------------------------ reading a server


def read_table(cursor, database, table):
    """A table's type and engine, columns (ordinal order) and unique indexes; None when it does not exist."""
    found = execute(cursor, Statement("SELECT TABLE_TYPE AS type, ENGINE AS engine FROM information_schema.TABLES "
                                      "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (database, table)))
    if not found:
        return None
    columns = execute(cursor, Statement(
        "SELECT COLUMN_NAME AS name, DATA_TYPE AS type, CHARACTER_SET_NAME AS charset FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (database, table)))
    indexes = execute(cursor, Statement(
        "SELECT INDEX_NAME AS name, SEQ_IN_INDEX AS seq, COLUMN_NAME AS `column`, NON_UNIQUE AS non_unique, "
        "NULLABLE AS nullable, SUB_PART AS sub_part FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s AND NON_UNIQUE = 0", (database, table)))
    return dict(found[0], columns=[dict(row, type=str(row["type"]).lower()) for row in columns], indexes=indexes)


def index_columns_of(meta, index):
    rows = sorted((row for row in meta["indexes"] if row["name"] == index), key=lambda row: int(row["seq"]))
    return [row["column"] for row in rows]


def chunk_tables(cursor, tables, chunk_rows):
    """RV(chunks), RV(unkeyed_tables) and RV(missing_tables) of the chunks action."""
    result = dict(chunks=[], unkeyed_tables=[], missing_tables=[])
    execute(cursor, SESSION)
    for name in tables:
        database, table = parse_table_name(name)
        meta = read_table(cursor, database, table)
        if meta is None:
            result["missing_tables"].append(name)
            continue
        types = {column["name"]: column["type"] for column in meta["columns"]}
        key = choose_key(meta["indexes"], types) if meta["type"] in ("BASE TABLE", "SYSTEM VERSIONED") else None
        if key is None:
            result["unkeyed_tables"].append(name)
        else:
            result["chunks"] += walk_chunks(cursor, database, table, key[0], key[1], types, chunk_rows)
    return result


def walk_chunks(cursor, database, table, index, key_columns, types, chunk_rows):
    """Cut a table into ranges of about ``chunk_rows`` rows along its key (first and last range unbounded)."""
    chunks, lower = [], None
    while True:
        bound = [decode_value(value, types.get(column)) for value, column in zip(lower or [], key_columns)] or None
        rows = execute(cursor, boundary_statement(database, table, index, key_columns, bound, chunk_rows))
        upper = [encode_value(rows[0][column]) for column in key_columns] if rows else None
        chunks.append(dict(table=table_name(database, table), index=index, index_columns=list(key_columns),
                           lower=lower, upper=upper))
        if upper is None:
            return chunks
        lower = upper


def chunk_checksum(cursor, chunk, meta):
    """(rows, checksum, reason) of one chunk on this server; rows None with a reason when it cannot be computed."""
    types = {column["name"]: column["type"] for column in meta["columns"]} if meta else {}
    keys = list(chunk["index_columns"])
    missing = [column for column in keys if column not in types]
    if meta is None or missing:
        return None, None, "key column(s) %s missing" % ", ".join(missing) if meta else "table missing"
    index = chunk.get("index") if index_columns_of(meta, chunk.get("index")) == keys else None
    bounds = [None if values is None else [decode_value(v, types[c]) for v, c in zip(values, keys)]
              for values in (chunk.get("lower"), chunk.get("upper"))]
    row = execute(cursor, checksum_statement(*parse_table_name(chunk["table"]), index, keys, meta["columns"],
                                             *bounds))[0]
    return int(row["row_count"]), int(row["checksum"]), None


def checksum_chunks(cursor, chunks, metas=None):
    """Each chunk with ``rows`` and ``checksum`` on this server (and a ``reason`` where they are None)."""
    metas, results = {} if metas is None else metas, []
    for chunk in chunks:
        if chunk["table"] not in metas:
            metas[chunk["table"]] = read_table(cursor, *parse_table_name(chunk["table"]))
        rows, checksum, reason = chunk_checksum(cursor, chunk, metas[chunk["table"]])
        result = dict({key: chunk[key] for key in CHUNK_KEYS}, rows=rows, checksum=checksum)
        results.append(dict(result, reason=reason) if reason else result)
    return results


def chunk_errors(option, items, result_keys=()):
    """What is wrong with chunks (or source results) given back to the module."""
    errors = []
    for number, item in enumerate(items or []):
        missing = [key for key in CHUNK_KEYS + tuple(result_keys) if key not in item]
        if missing:
            errors.append("%s[%d] lacks %s." % (option, number, ", ".join(missing)))
            continue
        try:
            parse_table_name(item["table"])
        except ValueError as exc:
            errors.append("%s[%d]: %s." % (option, number, exc))
        columns = item["index_columns"]
        if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
            errors.append("%s[%d]: index_columns must be a non-empty list of column names." % (option, number))
        elif any(b is not None and (not isinstance(b, list) or len(b) != len(columns))
                 for b in (item["lower"], item["upper"])):
            errors.append("%s[%d]: lower and upper must be null or lists of %d value(s)." % (option, number, len(columns)))
    return errors


def input_errors(params):
    """Everything wrong with the module's input that is knowable before connecting."""
    errors = ["action=%s needs option %s." % (params["action"], option)
              for option in REQUIRED.get(params["action"], []) if params[option] is None]
    for table in params["tables"] or []:
        try:
            parse_table_name(table)
        except ValueError as exc:
            errors.append("tables: %s." % exc)
    if params["chunk_rows"] < 1:
        errors.append("chunk_rows is %d; give 1 or more." % params["chunk_rows"])
    if params["wait_timeout"] < 0:
        errors.append("wait_timeout is %d; give 0 or more seconds." % params["wait_timeout"])
    if params.get("max_lag", 0) < 0:
        errors.append("max_lag is %d; give 0 or more seconds." % params["max_lag"])
    try:
        parse_gtid_pos(params["until_gtid_position"])
    except GtidError as exc:
        errors.append("until_gtid_position is not a GTID position: %s." % exc)
    return (errors + chunk_errors("chunks", params["chunks"])
            + chunk_errors("results", params["results"], ("rows", "checksum")))


class Failure(Exception):
    """A failure of the replica action, reported once the connection runs again."""


def uses_gtid(row):
    return (row.get("Using_Gtid") or "No") != "No"


def until_left(row):
    """True when the SQL thread runs with an UNTIL condition (left by a killed replica call): it would stop there."""
    return row.get("Slave_SQL_Running") == "Yes" and (row.get("Until_Condition") or "None") != "None"


def slave_pos(cursor):
    return execute(cursor, Statement("SELECT @@GLOBAL.gtid_slave_pos AS pos"))[0]["pos"] or ""


def wait_until(cursor, read_row, until, timeout):
    """Wait for the SQL thread to stop at ``until``; returns the seconds waited or raises Failure saying why not."""
    started, delay = time.monotonic(), 0.01
    while True:
        row = read_row() or {}
        if row.get("Slave_SQL_Running") == "No":
            if row.get("Last_SQL_Errno"):
                raise Failure("The SQL thread stopped with error %s before the position: %s" % (
                    row["Last_SQL_Errno"], row.get("Last_SQL_Error")))
            reached = slave_pos(cursor)
            if any(gtid_behind(reached, until).values()):
                raise Failure("The SQL thread stopped at %s, before the position (%s)." % (
                    reached, describe_behind(reached, until)))
            return time.monotonic() - started
        if row.get("Slave_IO_Running") == "No" and row.get("Last_IO_Errno"):
            raise Failure("The I/O thread stopped with error %s: %s" % (row["Last_IO_Errno"], row.get("Last_IO_Error")))
        if time.monotonic() - started > timeout:
            raise Failure("The connection did not reach %s within %d s (wait_timeout): %s." % (
                format_gtid_pos(until), timeout, describe_behind(slave_pos(cursor), until) or "no progress"))
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)
