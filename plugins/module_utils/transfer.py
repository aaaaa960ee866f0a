# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the two copy paths (mariadb_seed's dump, mariadb_backup_stream's physical copy) share.

The progress file a role polls while a copy runs (one JSON object, replaced atomically, mode 0600),
the rate, and the tail of a tool's output for error messages.
"""

from __future__ import annotations

import json
import os
import time

MIB = 1024 * 1024


def rate_mib_s(byte_count, seconds):
    """MiB per second (reported as rate_mb_s), 0.0 before any time has passed."""
    return round(byte_count / MIB / seconds, 2) if seconds > 0 else 0.0


def progress_record(phase, byte_count, seconds, now=None):
    """The progress file's content: phase, bytes moved, seconds since the copy began, rate, update time (UTC)."""
    updated = time.gmtime(time.time() if now is None else now)
    return {
        "phase": phase,
        "bytes": int(byte_count),
        "seconds": round(seconds, 1),
        "rate_mb_s": rate_mib_s(byte_count, seconds),
        "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", updated),
    }


def format_progress(record):
    """One line of JSON, as a role reads it back with from_json."""
    return json.dumps(record, sort_keys=True) + "\n"


def write_progress_file(path, record):
    """Replace the progress file atomically (a reader never sees half a record), mode 0600; no path, no file."""
    if not path:
        return
    temporary = "%s.%d.tmp" % (path, os.getpid())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, format_progress(record).encode("utf-8"))
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


def tail(text, lines=20):
    """The last lines of a tool's output, for an error message."""
    return "\n".join((text or "").rstrip().splitlines()[-lines:])
