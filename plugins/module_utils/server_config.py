# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Global system variables: validate names, normalise values by the server's variable type, plan SET GLOBAL.

Used by mariadb_global_variables. The server describes each variable in
information_schema.SYSTEM_VARIABLES (type, allowed values, read-only flag); the
functions here compare wanted and current values with that description, so
``ON``/``1``/``true``, ``10``/``'10'``/``10.000000`` and ``ROW``/``row`` are equal.
Nothing here needs a database, so unit tests reach all of it.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement

VARIABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
TRUE_WORDS = frozenset(("on", "1", "true", "yes"))
FALSE_WORDS = frozenset(("off", "0", "false", "no"))
INTEGER_TYPES = frozenset(("INT", "INT UNSIGNED", "BIGINT", "BIGINT UNSIGNED", "SMALLINT UNSIGNED", "TINYINT UNSIGNED"))
SIZE_SUFFIXES = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
INTEGER_TEXT = re.compile(r"^\s*(-?\d+)\s*([KMGT]?)\s*$", re.IGNORECASE)
# Server errors that mean "only a restart (with the value in the option file) applies this".
ER_READ_ONLY_VARIABLE = 1238  # "Variable '%s' is a read only variable"
ER_SLAVE_MUST_STOP = 1198  # e.g. slave_parallel_threads while replication runs
PENDING_ERRORS = {
    ER_READ_ONLY_VARIABLE: "read-only at runtime",
    ER_SLAVE_MUST_STOP: "cannot change while replication runs",
}


class VariableInfo(NamedTuple):
    """One row of information_schema.SYSTEM_VARIABLES."""

    name: str
    value: str | None
    type: str
    read_only: bool
    scope: str
    allowed: tuple


class Wanted(NamedTuple):
    """A wanted value: ``comparable`` is compared with the current one, ``bound`` is sent, ``shown`` is reported."""

    comparable: object
    bound: object
    shown: str


class Change(NamedTuple):
    name: str
    before: str | None
    after: str
    statement: Statement
    static: bool


def input_errors(variables):
    """Problems with the ``variables`` option, each naming the variable and the fix."""
    if not variables:
        return ["variables is empty: give at least one global system variable, for example {read_only: true}."]
    errors = []
    seen = {}
    for raw_name, value in variables.items():
        name = str(raw_name).lower()
        if not VARIABLE_NAME.match(name):
            hint = " (use _ instead of -, as SET GLOBAL does)" if "-" in name else ""
            errors.append("variables: %r is not a system variable name%s; names are letters, digits and _, "
                          "not starting with a digit." % (raw_name, hint))
        elif name in seen:
            errors.append("variables: %r and %r are the same variable (names ignore case); give it once."
                          % (seen[name], raw_name))
        seen.setdefault(name, raw_name)
        if value is None or isinstance(value, (dict, list, tuple, set)):
            errors.append("variables: %s has the value %r; give a single string, number or boolean (SET GLOBAL "
                          "to DEFAULT is not supported, leave the variable out instead)." % (raw_name, value))
    return errors


def normalised_names(variables):
    """The ``variables`` option with lower-case names, in a stable order."""
    return {str(name).lower(): value for name, value in sorted(variables.items(), key=lambda item: str(item[0]).lower())}


def describe_statement(names):
    placeholders = ", ".join(["%s"] * len(names))
    return Statement("SELECT VARIABLE_NAME, GLOBAL_VALUE, VARIABLE_TYPE, READ_ONLY, VARIABLE_SCOPE, ENUM_VALUE_LIST "
                     "FROM information_schema.SYSTEM_VARIABLES WHERE VARIABLE_NAME IN (%s)" % placeholders,
                     tuple(name.upper() for name in names))


def parse_descriptions(rows):
    """SYSTEM_VARIABLES rows -> name -> VariableInfo."""
    infos = {}
    for row in rows:
        name = row["VARIABLE_NAME"].lower()
        allowed = tuple(part for part in (row.get("ENUM_VALUE_LIST") or "").split(",") if part)
        infos[name] = VariableInfo(name, row.get("GLOBAL_VALUE"), (row.get("VARIABLE_TYPE") or "").upper(),
                                   (row.get("READ_ONLY") or "").upper() == "YES", (row.get("VARIABLE_SCOPE") or "").upper(),
                                   allowed)
    return infos


# ---------------------------------------------------------------- normalising values

def _boolean(value):
    word = str(value).strip().lower() if not isinstance(value, bool) else ("on" if value else "off")
    if word in TRUE_WORDS:
        return "ON"
    if word in FALSE_WORDS:
        return "OFF"
    raise ValueError("is a boolean variable; give true/false, ON/OFF, yes/no or 1/0")


def _integer(value):
    if isinstance(value, bool):
        raise ValueError("is a number; give a whole number, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    match = INTEGER_TEXT.match(str(value))
    if not match:
        raise ValueError("is a number; give a whole number (a K, M, G or T suffix is allowed)")
    return int(match.group(1)) * SIZE_SUFFIXES.get(match.group(2).upper(), 1)


def _double(value):
    if isinstance(value, bool):
        raise ValueError("is a number; give a number, not a boolean")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError("is a number; give a number such as 2.5") from None


def _choice(value, allowed):
    """An ENUM value by name (any case) or by index, as SET GLOBAL accepts it."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(allowed):
        return allowed[value]
    by_lower = {choice.lower(): choice for choice in allowed}
    word = str(value).strip().lower()
    if word in by_lower:
        return by_lower[word]
    raise ValueError("must be one of %s" % ", ".join(allowed))


def _set_members(value, allowed):
    members = [part.strip() for part in str(value).split(",") if part.strip()]
    by_lower = {choice.lower(): choice for choice in allowed}
    unknown = [member for member in members if member.lower() not in by_lower]
    if unknown:
        raise ValueError("has unknown members %s; allowed are %s" % (", ".join(unknown), ", ".join(allowed)))
    return [by_lower[member.lower()] for member in members]


def _flags(value):
    """'a=on,b=off' -> {'a': 'on', 'b': 'off'}; only the flags given are compared (SET GLOBAL keeps the others)."""
    flags = {}
    for part in str(value).split(","):
        if not part.strip():
            continue
        key, sep, setting = part.partition("=")
        if not sep:
            raise ValueError("takes flag=on/off pairs separated by commas, for example index_merge=off")
        flags[key.strip().lower()] = setting.strip().lower()
    return flags


def wanted_value(info, value):
    """Wanted for ``value`` of the variable ``info`` describes; ValueError says why the value does not fit."""
    kind = info.type
    if kind == "BOOLEAN":
        word = _boolean(value)
        return Wanted(word, word, word)
    if kind in INTEGER_TYPES:
        number = _integer(value)
        return Wanted(number, number, str(number))
    if kind == "DOUBLE":
        number = _double(value)
        return Wanted(number, number, repr(number))
    if kind == "ENUM":
        choice = _choice(value, info.allowed)
        return Wanted(choice.lower(), choice, choice)
    if kind == "SET":
        members = _set_members(value, info.allowed)
        return Wanted(frozenset(member.lower() for member in members), ",".join(members), ",".join(members))
    if kind == "FLAGSET":
        flags = _flags(value)
        text = ",".join("%s=%s" % item for item in flags.items())
        return Wanted(flags, text, text)
    text = ("ON" if value else "OFF") if isinstance(value, bool) else str(value)
    return Wanted(text, text, text)


def matches(info, wanted):
    """Whether the variable's current value already is the wanted one."""
    current = "" if info.value is None else str(info.value)
    kind = info.type
    try:
        if kind == "BOOLEAN":
            return _boolean(current) == wanted.comparable
        if kind in INTEGER_TYPES:
            return int(current) == wanted.comparable
        if kind == "DOUBLE":
            return math.isclose(float(current), wanted.comparable, rel_tol=1e-9, abs_tol=1e-6)
    except ValueError:
        return False
    if kind == "ENUM":
        return current.lower() == wanted.comparable
    if kind == "SET":
        return frozenset(part.lower() for part in current.split(",") if part) == wanted.comparable
    if kind == "FLAGSET":
        have = _flags(current)
        return all(have.get(key) == setting for key, setting in wanted.comparable.items())
    if current == wanted.comparable:
        return True
    # A relative file name given for a read-only path (log_bin_basename: mariadb-bin) is read back absolute.
    return current.startswith("/") and not wanted.comparable.startswith("/") and current.endswith("/" + wanted.comparable)


def set_statement(name, wanted):
    """SET GLOBAL for a validated name; the value is bound."""
    if not VARIABLE_NAME.match(name):
        raise ValueError("invalid variable name %r" % name)
    return Statement("SET GLOBAL %s = %%s" % name, (wanted.bound,))


def plan_changes(variables, infos):
    """(changes, errors) for ``variables`` (lower-case name -> value) against the server's descriptions.

    Errors name every unknown, session-only or ill-typed variable; the changes list only the
    variables whose current value differs, marked static when the server says they are read-only.
    """
    changes, errors = [], []
    for name, value in variables.items():
        info = infos.get(name)
        if info is None:
            errors.append("variables: %s is not a system variable of this server (a typo, another version's name or a "
                          "plugin that is not loaded); fix or remove it." % name)
            continue
        if info.scope == "SESSION ONLY":
            errors.append("variables: %s is a session-only variable; SET GLOBAL cannot change it, remove it." % name)
            continue
        try:
            wanted = wanted_value(info, value)
        except ValueError as exc:
            errors.append("variables: %s = %r: %s %s." % (name, value, name, exc))
            continue
        if not matches(info, wanted):
            changes.append(Change(name, info.value, wanted.shown, set_statement(name, wanted), info.read_only))
    return changes, errors


def diff_view(variables, infos, applied):
    """before/after of the requested variables; ``after`` holds what runs after the task (not the pending ones)."""
    before = {name: infos[name].value for name in variables if name in infos}
    after = dict(before)
    for change in applied:
        after[change.name] = change.after
    return {"before": before, "after": after}


def static_error(changes):
    """The failure for read-only differences when allow_static is off."""
    listed = ", ".join("%s (now %s, wanted %s)" % (change.name, change.before, change.after) for change in changes)
    return ("These variables differ but cannot be changed at runtime: %s. Nothing was changed. Put them in an option "
            "file and restart MariaDB, or set allow_static: true to apply the others and get them back in "
            "static_pending." % listed)
