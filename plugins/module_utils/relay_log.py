# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A replication connection's relay log, read with SHOW RELAYLOG EVENTS and cut into event groups.

An event group is what MariaDB applies (and skips) as a whole: a transaction from its GTID event to its
``Xid`` (or ``COMMIT``/``ROLLBACK`` query, or ``XA PREPARE``), or a stand-alone statement (a GTID event
without ``BEGIN``, such as DDL) with its one query. Events between groups (format descriptions, rotations,
GTID lists, binary log checkpoints) belong to none.

``sql_slave_skip_counter`` counts events, not groups, and finishes the group it ends in: a counter of
``c`` skips every group it reaches with at least one left, and a group of ``k`` events takes ``k`` of it
(all that is left, when fewer). So N groups take a counter of the first N - 1 groups' events plus one.
"""

from __future__ import annotations

import re

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import GtidError, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import Statement, execute

# Events read per SHOW RELAYLOG EVENTS statement, and at most in all (a skip never needs to read a huge relay log).
PAGE_EVENTS = 1000
SCAN_LIMIT = 20000
# Events of one group returned: the first ones and the last (a large transaction has thousands of row events).
SHOWN_EVENTS = 20
# Event types that end the group they are in, and those that are never part of one.
GROUP_END_TYPES = frozenset(("Xid", "XA_prepare"))
OUTSIDE_GROUP_TYPES = frozenset(("Format_desc", "Rotate", "Gtid_list", "Binlog_checkpoint", "Start_encryption",
                                 "Stop", "Heartbeat", "Previous_gtids"))
_GTID = re.compile(r"\bGTID ([0-9]+-[0-9]+-[0-9]+)\b")
# A relay log file as SHOW SLAVE STATUS names it: a file name in the relay log directory, not a path.
_RELAY_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,254}", re.ASCII)


class RelayLogError(Exception):
    """The relay log cannot be read at the connection's position; the text says why."""


def relay_position_error(relay_file, relay_pos):
    """Why (relay_file, relay_pos) of a status row cannot be read from, or None."""
    if not isinstance(relay_file, str) or not _RELAY_FILE.fullmatch(relay_file):
        return "its relay log file %r is not a plain file name" % (relay_file,)
    if isinstance(relay_pos, bool) or not isinstance(relay_pos, int) or relay_pos < 4:
        return "its relay log position %r is not a position in a relay log (4 or more)" % (relay_pos,)
    return None


def event_row(row):
    """A SHOW RELAYLOG EVENTS row with the collection's keys (the server's column names, lower case)."""
    return dict(log_name=row.get("Log_name"), pos=row.get("Pos"), event_type=row.get("Event_type"),
                server_id=row.get("Server_id"), end_log_pos=row.get("End_log_pos"), info=row.get("Info") or "")


def _query_word(event):
    return event["info"].strip().upper()


def _ends_group(event, standalone):
    if event["event_type"] in GROUP_END_TYPES:
        return True
    if event["event_type"] != "Query":
        return False
    return standalone or _query_word(event).startswith(("COMMIT", "ROLLBACK"))


def _new_group(event, gtid=None, standalone=False):
    return dict(gtid=gtid, standalone=standalone, events=[event], complete=False)


def split_groups(events):
    """The event groups of ``events`` (event_row dicts, in relay log order); the last may be ``complete: False``.

    A group starts at a GTID event (``BEGIN GTID d-s-n``, or ``GTID d-s-n`` for a stand-alone statement) or, from
    a source without GTIDs, at a ``BEGIN`` query. Events outside any group are left out.
    """
    groups, current = [], None
    for event in events:
        kind = event["event_type"]
        if kind == "Gtid":
            if current is not None:  # a GTID event always starts a group: the one before ended
                current["complete"] = True
            match = _GTID.search(event["info"])
            current = _new_group(event, match.group(1) if match else None, event["info"].lstrip().startswith("GTID"))
            groups.append(current)
            continue
        if current is None:
            if kind in OUTSIDE_GROUP_TYPES:
                continue
            # BEGIN opens a transaction; any other query is a statement of its own.
            current = _new_group(event, standalone=kind == "Query" and _query_word(event) != "BEGIN")
            groups.append(current)
            if kind == "Query" and current["standalone"]:
                current["complete"], current = True, None
            continue
        current["events"].append(event)
        if _ends_group(event, current["standalone"]):
            current["complete"], current = True, None
    return groups


def _gtid_applied(gtid, applied):
    domain, _server, seq_no = (int(part) for part in gtid.split("-"))
    return domain in applied and seq_no <= applied[domain].seq_no


def unapplied_groups(groups, gtid_slave_pos):
    """The groups from the first one ``gtid_slave_pos`` does not hold: a GTID connection restarts there.

    Groups before it were applied already (a connection applying in parallel reports the relay log position of
    an earlier group). An unreadable position keeps every group.
    """
    try:
        applied = parse_gtid_pos(gtid_slave_pos)
    except GtidError:
        return list(groups)
    for index, group in enumerate(groups):
        if not group["gtid"] or not _gtid_applied(group["gtid"], applied):
            return list(groups[index:])
    return []


def counter_for_groups(groups, wanted):
    """The skip counter that skips exactly the first ``wanted`` groups, or None when they were not all read.

    One is always enough for one group; more need the complete event counts of the groups before the last.
    """
    if wanted == 1:
        return 1
    before_last = groups[:wanted - 1]
    if len(before_last) < wanted - 1 or not all(group["complete"] for group in before_last):
        return None
    return sum(len(group["events"]) for group in before_last) + 1


def groups_skipped(groups, counter):
    """(the groups a skip counter of ``counter`` skips, the part of the counter left for groups not read).

    The part left is None when a skipped group was not read to its end (its event count is unknown).
    """
    skipped, left = [], counter
    for group in groups:
        if left <= 0:
            break
        skipped.append(group)
        if not group["complete"]:
            return skipped, None
        count = len(group["events"])
        left = left - count if left > count else 0
    return skipped, left


def complete_groups(events, gtid_slave_pos=None):
    """How many complete groups ``events`` hold, after those ``gtid_slave_pos`` holds (None: keep all)."""
    groups = split_groups(events)
    if gtid_slave_pos is not None:
        groups = unapplied_groups(groups, gtid_slave_pos)
    return len([group for group in groups if group["complete"]])


def _next_file(rows, relay_file, server_id):
    """The relay log file the last row rotates to, when it is this server's rotation to its next relay log."""
    last = rows[-1] if rows else None
    if last is None or last["event_type"] != "Rotate" or last["server_id"] != server_id:
        return None
    name = last["info"].split(";", 1)[0].strip()
    stem = relay_file.rsplit(".", 1)[0]
    if name == relay_file or name.rsplit(".", 1)[0] != stem or relay_position_error(name, 4):
        return None
    return name


def read_relay_events(cursor, name, relay_file, relay_pos, server_id, enough, page=PAGE_EVENTS, limit=SCAN_LIMIT):
    """Events of connection ``name``'s relay log from (relay_file, relay_pos) on, until ``enough(events)``.

    Follows the relay log into its next files (this server's Rotate event ending a file) and stops at its end or
    after ``limit`` events. Returns (events, whole): ``whole`` is False when the limit cut the reading short.
    Raises RelayLogError when the position cannot be read.
    """
    error = relay_position_error(relay_file, relay_pos)
    if error:
        raise RelayLogError(error)
    events, current_file, current_pos, skip_first = [], relay_file, relay_pos, False
    while True:
        wanted = page + (1 if skip_first else 0)
        statement = Statement("SHOW RELAYLOG %s EVENTS IN %s FROM %s LIMIT %s", (name, current_file, current_pos, wanted))
        try:
            rows = [event_row(row) for row in execute(cursor, statement)]
        except Exception as exc:  # PyMySQL raises several unrelated types
            raise RelayLogError("%s failed: %s" % (statement.masked(), exc)) from None
        got = len(rows)
        if skip_first:
            rows = rows[1:]  # the event at current_pos was the last one of the page before
        events += rows
        if enough(events):
            return events, True
        if len(events) >= limit:
            return events, False
        if got < wanted:  # the end of this file: on to the next one, or the end of the relay log
            current_file = _next_file(rows, current_file, server_id)
            if current_file is None:
                return events, True
            current_pos, skip_first = 4, False
        else:
            current_pos, skip_first = rows[-1]["pos"], True


def group_report(group, shown=SHOWN_EVENTS):
    """One group as returned: where it starts, its GTID, its event count and its events (the first and the last)."""
    events = group["events"]
    kept = events if len(events) <= shown else events[:shown - 1] + events[-1:]
    return dict(gtid=group["gtid"], relay_log_file=events[0]["log_name"], relay_log_pos=events[0]["pos"],
                event_count=len(events), complete=group["complete"], events=[dict(event) for event in kept],
                events_omitted=len(events) - len(kept))
