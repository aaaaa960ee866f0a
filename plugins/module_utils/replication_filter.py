# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MariaDB's replication filters (the ``replicate_*`` lists of a connection), evaluated in Python.

One implementation for every question about a connection's filters: does a change to
``db.t`` reach the replica, which databases and tables of the source it replicates, and
what a seeding method can honour. Pure: it touches no server.

``filters`` is a mapping with any of the six keys ``replicate_do_db``,
``replicate_ignore_db``, ``replicate_do_table``, ``replicate_ignore_table``,
``replicate_wild_do_table`` and ``replicate_wild_ignore_table``, each a list (a missing
key or None is an empty list), as in a connection of the topology plan. Values are
stripped of surrounding blanks, as the option file the server role writes them to is.
Anything else raises ValueError naming the key.

The rules, as the replica's SQL thread applies them to a row event (MariaDB's
Rpl_filter::db_ok, then Rpl_filter::tables_ok):

1. Database rules. If ``replicate_do_db`` is not empty, the change passes only when its
   database is listed there, and ``replicate_ignore_db`` is then not looked at (a
   database in both lists passes). Otherwise a database listed in
   ``replicate_ignore_db`` is skipped.
2. Table rules, only when step 1 let the change through; ``db.table`` is checked
   against, in this order, the first match deciding:
   ``replicate_do_table`` (passes), ``replicate_ignore_table`` (skipped),
   ``replicate_wild_do_table`` (passes), ``replicate_wild_ignore_table`` (skipped).
   When none matched: skipped if any ``replicate_do_table`` or
   ``replicate_wild_do_table`` rule exists (for whatever database), else passes.
   So ``replicate_do_table`` beats ``replicate_wild_ignore_table``, and a database
   rule beats every table rule (``replicate_ignore_db`` wins over
   ``replicate_do_table``).

Wild patterns are LIKE patterns matched against the whole ``db.table``: ``%`` any run of
characters (also across the dot), ``_`` exactly one, and a backslash makes the next
character literal (``shop\\_x.%``: the database ``shop_x``, not ``shopAx``).

Letter case, as the server compares:

- Table rules (exact and wild) are compared in MariaDB's system collation,
  utf8mb3_general_ci: case (and accents of letters) do not matter, whatever
  ``lower_case_table_names``. ``replicate_do_table: [Shop.Orders]`` matches
  ``shop.orders``. The collation is approximated per character (accents stripped,
  upper-cased).
- Database rules are compared byte for byte (strcmp) with the database name the event
  carries. With ``lower_case_table_names`` 1 or 2 the server keeps and logs database and
  table names in lower case, so the name compared is the lower-cased one and a database
  rule with an upper-case letter never matches anything; with 0 (the default on Linux)
  names are case-sensitive: ``replicate_do_db: [Shop]`` does not let ``shop`` through.
  Every function takes ``lower_case_table_names`` (0, 1 or 2, default 0), the servers'
  setting.

What these functions answer is the verdict for row events, the ones that carry each
table's own database. MariaDB's default binlog_format is MIXED, which logs most DML as
statements, and DDL is always a statement: for those the database rules are evaluated
against the statement's default database (USE), not the table's, so ``USE crm; UPDATE
shop.t ...`` is judged as ``crm``. Changes made with their own database as default (plays,
dumps, most applications) get the verdict given here; to filter cross-database
statements the same way, use ``replicate_wild_do_table``/``replicate_wild_ignore_table``
with ``db.%`` instead of the database rules. ``replicate_rewrite_db`` is not modelled.

Seeding: ``mariadb_backup`` copies the source's whole server, so with any filter at all
it would bring data the connection never replicates (``unsupported_by_method``).
``consistent_dump`` and ``locked_dump`` honour every filter: they dump the databases
``seedable_databases`` keeps, and, for a database ``database_replicated`` calls
``some``, only the tables ``replicated_tables`` keeps.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

# The one list of filter keys (the planner's inventory checks import it from here). In module_utils, not
# plugin_utils, because modules running on the hosts (mariadb_seed) apply the same rules.
FILTER_KEYS = (
    "replicate_do_db", "replicate_ignore_db", "replicate_do_table", "replicate_ignore_table",
    "replicate_wild_do_table", "replicate_wild_ignore_table",
)
TABLE_FILTER_KEYS = frozenset(FILTER_KEYS[2:])
SEED_METHOD_CHOICES = ("locked_dump", "consistent_dump", "mariadb_backup")

ALL, NONE, SOME = "all", "none", "some"
# Seeding methods that copy the whole server, whatever the databases asked for.
WHOLE_SERVER_METHODS = frozenset(("mariadb_backup",))
LOWER_CASE_TABLE_NAMES = (0, 1, 2)

# LIKE tokens of a wild pattern; a literal character is the (folded) character itself.
_ANY_RUN = ("%",)
_ANY_ONE = ("_",)


# ---------------------------------------------------------------- input

def _fold(text):
    """``text`` as utf8mb3_general_ci compares it: one upper-case, accent-free character per character."""
    folded = []
    for char in text:
        base = unicodedata.normalize("NFD", char)[0]
        upper = base.upper()
        folded.append(upper if len(upper) == 1 else base)
    return "".join(folded)


def _like_tokens(pattern):
    """The tokens of a LIKE pattern with backslash as escape; literals folded."""
    tokens, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            index += 1
            tokens.append(_fold(pattern[index]))
        elif char == "%":
            if not tokens or tokens[-1] is not _ANY_RUN:
                tokens.append(_ANY_RUN)
        elif char == "_":
            tokens.append(_ANY_ONE)
        else:
            tokens.append(_fold(char))
        index += 1
    return tuple(tokens)


def _closure(tokens, states):
    """``states`` and every state reachable from them by letting a ``%`` match nothing."""
    reached, pending = set(), list(states)
    while pending:
        state = pending.pop()
        if state in reached:
            continue
        reached.add(state)
        if state < len(tokens) and tokens[state] is _ANY_RUN:
            pending.append(state + 1)
    return frozenset(reached)


def _step(tokens, states, char):
    following = set()
    for state in states:
        if state < len(tokens):
            token = tokens[state]
            if token is _ANY_RUN:
                following.add(state)
            elif token is _ANY_ONE or token == char:
                following.add(state + 1)
    return _closure(tokens, following)


def _run(tokens, states, text):
    for char in text:
        if not states:
            break
        states = _step(tokens, states, char)
    return states


def _like(tokens, text):
    """Whether the folded ``text`` matches the pattern ``tokens``."""
    return len(tokens) in _run(tokens, _closure(tokens, {0}), text)


def check_lower_case_table_names(value):
    """``value`` if it is 0, 1 or 2 (the server's lower_case_table_names), else ValueError."""
    if isinstance(value, bool) or value not in LOWER_CASE_TABLE_NAMES:
        raise ValueError("lower_case_table_names must be 0, 1 or 2 (the servers' setting), got %r" % (value,))
    return value


def check_filters(filters):
    """The six filter lists of ``filters`` as tuples of stripped strings; ValueError naming the bad key."""
    if filters is None:
        filters = {}
    if not isinstance(filters, Mapping):
        raise ValueError("replication filters must be a mapping of %s to lists, got %s %r"
                         % (", ".join(FILTER_KEYS), type(filters).__name__, filters))
    unknown = sorted(str(key) for key in filters if key not in FILTER_KEYS)
    if unknown:
        raise ValueError("replication filters: unknown key(s) %s; the keys are %s"
                         % (", ".join(unknown), ", ".join(FILTER_KEYS)))
    checked = {}
    for key in FILTER_KEYS:
        value = filters.get(key)
        if value is None:
            value = []
        if not isinstance(value, (list, tuple)):
            raise ValueError("%s: %r is not a list; give a list, for example [%s]" % (key, value, value))
        items = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise ValueError("%s: %r is not a non-empty string; every item must be one" % (key, item))
            item = item.strip()
            if key in TABLE_FILTER_KEYS and "." not in item:
                raise ValueError("%s: %s has no database part; write each table as database.table" % (key, item))
            items.append(item)
        checked[key] = tuple(items)
    return checked


def _check_name(what, value):
    if not isinstance(value, str) or not value:
        raise ValueError("%s must be a non-empty string, got %r" % (what, value))
    return value


def split_table(name):
    """``(database, table)`` of ``database.table`` (split at the first dot); ValueError when it has no such parts."""
    _check_name("a table name", name)
    database, dot, table = name.partition(".")
    if not dot:
        raise ValueError("%s has no database part; write each table as database.table" % name)
    if not database or not table:
        raise ValueError("%s has an empty database or table name; write each table as database.table" % name)
    return database, table


class _Rules:
    """Checked filters, ready to evaluate: database names as given, table rules folded."""

    def __init__(self, filters, lower_case_table_names):
        checked = check_filters(filters)
        self.lower = check_lower_case_table_names(lower_case_table_names) != 0
        self.do_db = checked["replicate_do_db"]
        self.ignore_db = checked["replicate_ignore_db"]
        self.do_table = frozenset(_fold(rule) for rule in checked["replicate_do_table"])
        self.ignore_table = frozenset(_fold(rule) for rule in checked["replicate_ignore_table"])
        self.wild_do = tuple(_like_tokens(rule) for rule in checked["replicate_wild_do_table"])
        self.wild_ignore = tuple(_like_tokens(rule) for rule in checked["replicate_wild_ignore_table"])
        self.any_table_rule = bool(self.do_table or self.ignore_table or self.wild_do or self.wild_ignore)
        # Rpl_filter::tables_ok: with a do list and no rule matched, the change is skipped.
        self.unmatched = not (self.do_table or self.wild_do)
        self.given = {key: value for key, value in checked.items() if value}

    def stored(self, name):
        """The name as the server keeps and logs it."""
        return name.lower() if self.lower else name

    def database_ok(self, database):
        """Rpl_filter::db_ok: replicate_do_db, if any, alone decides; else replicate_ignore_db."""
        if self.do_db:
            return database in self.do_db
        return database not in self.ignore_db

    def table_ok(self, key):
        """Rpl_filter::tables_ok for one table, ``key`` the folded ``db.table``."""
        if key in self.do_table:
            return True
        if key in self.ignore_table:
            return False
        if any(_like(tokens, key) for tokens in self.wild_do):
            return True
        if any(_like(tokens, key) for tokens in self.wild_ignore):
            return False
        return self.unmatched

    def table_verdicts(self, database):
        """The verdicts table rules give over every possible table name of ``database``: a subset of {True, False}.

        Explores every table name at once: the state after reading a name is where each wild
        pattern stands and which exact rule it can still become; characters no rule mentions
        all behave alike, so one stands for them all, and the states are finitely many.
        """
        prefix = _fold(database) + "."
        do_exact = {key[len(prefix):] for key in self.do_table if key.startswith(prefix) and len(key) > len(prefix)}
        ignore_exact = {key[len(prefix):] for key in self.ignore_table
                        if key.startswith(prefix) and len(key) > len(prefix)}
        exact = do_exact | ignore_exact
        prefixes = {name[:end] for name in exact for end in range(len(name) + 1)}
        wild_do, wild_ignore = list(self.wild_do), list(self.wild_ignore)
        patterns = wild_do + wild_ignore
        start = tuple(_run(tokens, _closure(tokens, {0}), prefix) for tokens in patterns)
        alphabet = {token for tokens in patterns for token in tokens if token not in (_ANY_RUN, _ANY_ONE)}
        alphabet.update(char for name in exact for char in name)
        other = "\ue000"
        while other in alphabet:
            other = chr(ord(other) + 1)
        alphabet.add(other)
        alphabet = sorted(alphabet)

        def verdict(name, states):
            if name is not None and name in do_exact:
                return True
            if name is not None and name in ignore_exact:
                return False
            if any(len(tokens) in state for tokens, state in zip(wild_do, states)):
                return True
            if any(len(tokens) in state for tokens, state in zip(wild_ignore, states[len(wild_do):])):
                return False
            return self.unmatched

        verdicts, seen, pending = set(), set(), [("", start)]
        while pending and len(verdicts) < 2:
            name, states = pending.pop()
            for char in alphabet:
                following_name = name + char if name is not None and name + char in prefixes else None
                following = (following_name, tuple(_step(tokens, state, char) for tokens, state in zip(patterns, states)))
                if following in seen:
                    continue
                seen.add(following)
                verdicts.add(verdict(*following))
                pending.append(following)
        return verdicts


# ---------------------------------------------------------------- questions

def _table_passes(rules, database, table):
    database, table = rules.stored(database), rules.stored(table)
    if not rules.database_ok(database):
        return False
    return rules.table_ok(_fold(database + "." + table)) if rules.any_table_rule else True


def _database_verdict(rules, database):
    database = rules.stored(database)
    if not rules.database_ok(database):
        return NONE
    if not rules.any_table_rule:
        return ALL
    verdicts = rules.table_verdicts(database)
    if verdicts == {True}:
        return ALL
    if verdicts == {False}:
        return NONE
    return SOME


def _check_names(what, names):
    if isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple)):
        raise ValueError("%s must be a list of names, got %r" % (what, names))
    for name in names:
        _check_name("every item of %s" % what, name)
    return names


def table_replicated(filters, database, table, lower_case_table_names=0):
    """Whether a row change to ``database``.``table`` passes the connection's ``filters``."""
    rules = _Rules(filters, lower_case_table_names)
    return _table_passes(rules, _check_name("the database", database), _check_name("the table", table))


def database_replicated(filters, database, lower_case_table_names=0):
    """``all``, ``none`` or ``some``: whether every table of ``database`` passes, none does, or it depends on the table.

    ``some`` means the table rules let some names through and not others (a table rule
    names this database, or a wild pattern matches some of its tables); which tables of
    the source pass is then for ``replicated_tables`` to say.
    """
    rules = _Rules(filters, lower_case_table_names)
    return _database_verdict(rules, _check_name("the database", database))


def replicated_tables(filters, tables, lower_case_table_names=0):
    """The names of ``tables`` (each ``database.table``) whose changes pass ``filters``, in their order."""
    rules = _Rules(filters, lower_case_table_names)
    split = [split_table(name) for name in _check_names("the tables", tables)]
    return [name for name, parts in zip(tables, split) if _table_passes(rules, *parts)]


def seedable_databases(filters, databases, lower_case_table_names=0):
    """The names of ``databases`` of which the connection replicates some or all tables, in their order.

    A seed copies these; of one that ``database_replicated`` calls ``some`` it copies only
    the tables ``replicated_tables`` keeps.
    """
    rules = _Rules(filters, lower_case_table_names)
    return [name for name in _check_names("the databases", databases) if _database_verdict(rules, name) != NONE]


def seed_databases_never_replicated(filters, seed_databases, lower_case_table_names=0):
    """The names of ``seed_databases`` no change of which passes ``filters`` (``database_replicated`` is ``none``)."""
    rules = _Rules(filters, lower_case_table_names)
    return [name for name in _check_names("seed_databases", seed_databases) if _database_verdict(rules, name) == NONE]


def unsupported_by_method(filters, method):
    """Why seeding with ``method`` cannot honour ``filters``: a list of reasons, empty when it can.

    ``mariadb_backup`` copies the source's whole server, so any filter at all means the
    replica would get data the connection never replicates (copies no change ever
    updates). ``consistent_dump`` and ``locked_dump`` dump a list of databases and tables,
    which the filters' verdicts give (``seedable_databases``, ``replicated_tables``): they
    honour every filter.
    """
    rules = _Rules(filters, 0)
    if method not in SEED_METHOD_CHOICES:
        raise ValueError("unknown seed method %r; the methods are %s" % (method, ", ".join(SEED_METHOD_CHOICES)))
    if method not in WHOLE_SERVER_METHODS or not rules.given:
        return []
    named = "; ".join("%s: %s" % (key, ", ".join(value)) for key, value in rules.given.items())
    return ["%s copies the source's whole server, but the connection's filters (%s) keep part of it out, so the "
            "replica would hold data this connection never replicates; use consistent_dump or locked_dump, which copy "
            "only what the filters let through" % (method, named)]
