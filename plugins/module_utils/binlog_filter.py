# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A source's binary-log filters (``binlog_do_db`` / ``binlog_ignore_db``), evaluated in Python.

A database a source does not write to its binary log never reaches any of its replicas,
whatever their ``replicate_*`` filters say: the seeding must not copy it as if it would
stay in step, checksums must not compare it, and a connection that asks only for such
databases replicates nothing. Pure: it touches no server (``parse_master_status`` reads
a row the caller fetched).

``binlog_filters`` is a mapping ``{"do": [names], "ignore": [names]}`` (a missing key or
None is an empty list), as in a host's plan (``binlog_filters``) and in the seed
planner's facts.

MariaDB's rule (Rpl_filter::db_ok on the binlog filter, the same one as for
``replicate_do_db``/``replicate_ignore_db``):

- ``binlog_do_db`` not empty: only changes to the listed databases are logged, and
  ``binlog_ignore_db`` is not looked at (a server with both ignores its ignore list).
- Otherwise a database listed in ``binlog_ignore_db`` is not logged; every other one is.
- Names are compared byte for byte (strcmp) with the database name as the server keeps
  it (lower case with ``lower_case_table_names`` 1 or 2).

Which database a change belongs to: with row-based logging (``binlog_format=ROW``, which
the server role sets on every host with a binary log) a row change is judged by the
database of its table. Statements (DDL always; DML too under STATEMENT or MIXED) are
judged by the session's default database (USE): ``USE app; CREATE TABLE scratch.t ...``
is logged when ``app`` is, and ``USE scratch; INSERT INTO app.t ...`` under STATEMENT is
not. The functions here answer for the database of the table, as row-based logging does.

``SHOW MASTER STATUS`` reports the lists joined by commas, and MariaDB 10.11 has no system
variable for them (``@@binlog_ignore_db`` is unknown), so a database name holding a comma
cannot be read back: the inventory checks refuse it.
"""

from __future__ import annotations

from collections.abc import Mapping

BINLOG_FILTER_KEYS = ("do", "ignore")
# Where each list comes from: the inventory variable and the server option.
INVENTORY_VARIABLES = {"do": "mariadb_binlog_do_db", "ignore": "mariadb_binlog_ignore_db"}
SERVER_OPTIONS = {"do": "binlog_do_db", "ignore": "binlog_ignore_db"}
MASTER_STATUS_COLUMNS = {"do": "Binlog_Do_DB", "ignore": "Binlog_Ignore_DB"}


def check_binlog_filters(binlog_filters):
    """``binlog_filters`` as ``{"do": [...], "ignore": [...]}`` of stripped names; ValueError naming the bad key."""
    if binlog_filters is None:
        binlog_filters = {}
    if not isinstance(binlog_filters, Mapping):
        raise ValueError("binary-log filters must be a mapping with the keys do and ignore, got %s %r"
                         % (type(binlog_filters).__name__, binlog_filters))
    unknown = sorted(str(key) for key in binlog_filters if key not in BINLOG_FILTER_KEYS)
    if unknown:
        raise ValueError("binary-log filters: unknown key(s) %s; the keys are do and ignore" % ", ".join(unknown))
    checked = {}
    for key in BINLOG_FILTER_KEYS:
        value = binlog_filters.get(key)
        if value is None:
            value = []
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ValueError("binary-log filters: %s is %r, not a list of database names" % (key, value))
        names = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise ValueError("binary-log filters: %s holds %r, not a database name" % (key, item))
            names.append(item.strip())
        checked[key] = names
    return checked


def binlogged(database, binlog_filters):
    """Whether a row change to a table of ``database`` is written to the binary log of a server with these filters."""
    if not isinstance(database, str) or not database:
        raise ValueError("the database must be a non-empty string, got %r" % (database,))
    checked = check_binlog_filters(binlog_filters)
    if checked["do"]:
        return database in checked["do"]
    return database not in checked["ignore"]


def describe(binlog_filters, variables=None):
    """The filters as text ("binlog_ignore_db: scratch, tmp"), naming each list by ``variables`` (key -> name)."""
    checked = check_binlog_filters(binlog_filters)
    variables = variables or SERVER_OPTIONS
    parts = ["%s: %s" % (variables[key], ", ".join(checked[key])) for key in BINLOG_FILTER_KEYS if checked[key]]
    return "; ".join(parts) or "none"


def why_unlogged(database, binlog_filters, variables=None):
    """Why ``database`` is not logged, naming the deciding list ("binlog_ignore_db lists it"); "" when it is logged."""
    checked = check_binlog_filters(binlog_filters)
    if binlogged(database, checked):
        return ""
    variables = variables or SERVER_OPTIONS
    if checked["do"]:
        return "%s is %s and does not list it" % (variables["do"], ", ".join(checked["do"]))
    return "%s lists it" % variables["ignore"]


def split_list(text):
    """A comma-joined list of SHOW MASTER STATUS (``'a,b'``) -> ``['a', 'b']``; empty or None -> []."""
    return [part for part in str(text or "").split(",") if part]


def parse_master_status(row):
    """``{"do": [...], "ignore": [...]}`` from a SHOW MASTER STATUS row; None when there is none (no binary log)."""
    if not row:
        return None
    return {key: split_list(row.get(column)) for key, column in MASTER_STATUS_COLUMNS.items()}


def same_filters(first, second):
    """Whether two sets of binary-log filters log the same databases' names the same way (order and repeats aside)."""
    one, other = check_binlog_filters(first), check_binlog_filters(second)
    return all(set(one[key]) == set(other[key]) for key in BINLOG_FILTER_KEYS)
