# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MariaDB GTID positions without a database: parse, format, compare, merge, measure lag.

A GTID position such as ``0-1-100,1-2-5`` lists, per replication domain, the
last transaction applied: ``DOMAIN-SERVER-SEQ``. Here it is a dict
``{domain_id: DomainPos(server_id, seq_no)}``, so comparisons ignore the order
the server happened to print the domains in.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_DOMAIN_ID = 2 ** 32 - 1
MAX_SERVER_ID = 2 ** 32 - 1
MAX_SEQ_NO = 2 ** 64 - 1

_FIELDS = (("domain_id", MAX_DOMAIN_ID), ("server_id", MAX_SERVER_ID), ("seq_no", MAX_SEQ_NO))
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


class GtidError(ValueError):
    """A GTID position string that MariaDB would not accept."""


class DomainPos(NamedTuple):
    """The last GTID of one domain, without its domain id (that is the mapping key)."""

    server_id: int
    seq_no: int


def _parse_entry(entry):
    parts = entry.split("-")
    if entry.startswith("-") or "--" in entry:
        raise GtidError("GTID %r contains a negative number; domain_id, server_id and seq_no are non-negative integers" % entry)
    if len(parts) != 3:
        raise GtidError("GTID %r has %d part(s); expected DOMAIN-SERVER-SEQ such as 0-1-100" % (entry, len(parts)))
    numbers = []
    for (field, maximum), text in zip(_FIELDS, parts):
        if not _DIGITS.fullmatch(text):
            raise GtidError("GTID %r: %s %r is not a non-negative decimal integer" % (entry, field, text))
        value = int(text)
        if value > maximum:
            raise GtidError("GTID %r: %s %d is out of range (0 to %d)" % (entry, field, value, maximum))
        numbers.append(value)
    return numbers[0], DomainPos(numbers[1], numbers[2])


def parse_gtid_pos(text):
    """``'0-1-100, 1-2-5'`` -> ``{0: DomainPos(1, 100), 1: DomainPos(2, 5)}``.

    Surrounding whitespace is ignored and an empty or blank string is the empty
    position. Raises GtidError naming the faulty entry.
    """
    if text is None:
        return {}
    if not isinstance(text, str):
        raise GtidError("a GTID position must be a string, not %s" % type(text).__name__)
    if not text.strip():
        return {}
    position = {}
    for index, raw_entry in enumerate(text.split(","), start=1):
        entry = raw_entry.strip()
        if not entry:
            raise GtidError("entry %d of GTID position %r is empty; separate GTIDs with single commas and no trailing comma" % (index, text))
        domain_id, pos = _parse_entry(entry)
        if domain_id in position:
            raise GtidError("GTID position %r lists domain %d twice (%s and %s); give one GTID per domain" % (
                text, domain_id, format_gtid(domain_id, position[domain_id]), entry))
        position[domain_id] = pos
    return position


def format_gtid(domain_id, pos):
    return "%d-%d-%d" % (domain_id, pos.server_id, pos.seq_no)


def format_gtid_pos(position):
    """The canonical text of a position: GTIDs sorted by domain, comma separated."""
    return ",".join(format_gtid(domain_id, DomainPos(*position[domain_id])) for domain_id in sorted(position))


def normalize_gtid_pos(text):
    """Parse and format again: ``' 1-2-5 ,0-1-100'`` -> ``'0-1-100,1-2-5'``."""
    return format_gtid_pos(parse_gtid_pos(text))


def _as_position(value):
    return parse_gtid_pos(value) if value is None or isinstance(value, str) else value


def same_gtid_pos(first, second):
    """True when both positions (strings or mappings) hold the same GTID for every domain."""
    first, second = _as_position(first), _as_position(second)
    return {d: tuple(p) for d, p in first.items()} == {d: tuple(p) for d, p in second.items()}


def merge_gtid_pos(current, wanted, mode="merge"):
    """The position to set: ``merge`` replaces only the domains listed in ``wanted``; ``replace`` takes ``wanted`` whole."""
    if mode not in ("merge", "replace"):
        raise ValueError("mode must be 'merge' or 'replace', not %r" % (mode,))
    result = {} if mode == "replace" else dict(_as_position(current))
    result.update(_as_position(wanted))
    return result


def highest_gtid_pos(*positions):
    """Per domain, the GTID with the highest seq_no among ``positions`` (what a server holds in any of them)."""
    result = {}
    for position in positions:
        for domain_id, pos in _as_position(position).items():
            if domain_id not in result or result[domain_id][1] < pos[1]:
                result[domain_id] = DomainPos(*pos)
    return result


def gtid_behind(applied, target):
    """For each domain of ``target``: how many seq_nos ``applied`` still lacks (0 when reached).

    A domain missing from ``applied`` lacks the target's whole seq_no.
    """
    applied, target = _as_position(applied), _as_position(target)
    behind = {}
    for domain_id in sorted(target):
        done = applied.get(domain_id)
        behind[domain_id] = max(0, target[domain_id][1] - (done[1] if done else 0))
    return behind


def describe_behind(applied, target):
    """``'domain 1: 7 behind (at 1-1-3, target 1-1-10)'`` for every domain not yet reached."""
    applied, target = _as_position(applied), _as_position(target)
    parts = []
    for domain_id, lag in gtid_behind(applied, target).items():
        if lag:
            at = format_gtid(domain_id, applied[domain_id]) if domain_id in applied else "nothing applied"
            parts.append("domain %d: %d transaction(s) behind (at %s, target %s)" % (
                domain_id, lag, at, format_gtid(domain_id, target[domain_id])))
    return "; ".join(parts)


def positions_by_domain(position):
    """A JSON-friendly view: ``{'1': {'server_id': 2, 'seq_no': 5}}`` (keys are domain ids as strings)."""
    position = _as_position(position)
    return {str(domain_id): {"server_id": position[domain_id][0], "seq_no": position[domain_id][1]}
            for domain_id in sorted(position)}
