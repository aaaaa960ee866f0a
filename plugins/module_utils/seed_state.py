# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The durable record of each seed on its replica: started, copied, complete.

One JSON file per replica (``state_file``), one entry per connection (its name in lower case, as
MariaDB compares connection names). A seed marks itself ``started`` before it changes anything on
the replica and ``complete`` only once the copy is in and its position is set. An entry that is not
complete is an unfinished copy: the next run redoes it and the connection is never wired over it.
Every write is fsynced and renamed into place, so a crash leaves the old record or the new one.
"""

from __future__ import annotations

import json
import os
import time

PHASES = ("started", "copied", "complete")


def read_seed_state(path):
    """connection -> entry; {} when the file does not exist. Raises ValueError on a file that is not a record."""
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        state = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise ValueError("seed state file %s is not JSON (%s); move it aside and run again" % (path, exc)) from None
    if not isinstance(state, dict):
        raise ValueError("seed state file %s does not hold a mapping; move it aside and run again" % path)
    return state


def _write_durably(path, text):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    temporary = "%s.%d.tmp" % (path, os.getpid())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, text.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)


def record_seed_phase(path, connection, phase, now=None, **details):
    """Set the phase of ``connection``'s seed (and any details) in the state file; no path, no record."""
    if not path:
        return None
    if phase not in PHASES:
        raise ValueError("phase must be one of %s, not %r" % (", ".join(PHASES), phase))
    state = read_seed_state(path)
    key = (connection or "").lower()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    entry = dict(state.get(key) or {}) if phase != "started" else {"started_at": stamp}
    entry.update(details, phase=phase, updated_at=stamp)
    state[key] = entry
    _write_durably(path, json.dumps(state, indent=1, sort_keys=True) + "\n")
    return entry


def unfinished_seeds(state):
    """The entries of ``state`` (connection -> entry) whose seed never completed."""
    if not isinstance(state, dict):
        return {}
    return {name: entry for name, entry in state.items()
            if isinstance(entry, dict) and entry.get("phase") != "complete"}


def describe_unfinished(connection, entry):
    """One line for a refusal or a redo: which seed, from where, how far it got."""
    return "the seed of connection '%s' from %s (%s of %s) started at %s and stopped at phase '%s'" % (
        connection, entry.get("source", "?"), entry.get("method", "?"),
        ", ".join(entry.get("databases") or []) or "the whole server", entry.get("started_at", "?"),
        entry.get("phase", "?"))
