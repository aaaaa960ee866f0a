# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the two copy paths (mariadb_seed's dump, mariadb_backup_stream's physical copy) share.

The progress file a role polls while a copy runs (one JSON object, replaced atomically, mode 0600),
the rate, the tail of a tool's output for error messages, and the wait for the asynchronous job that
runs a copy, and the private work directories a killed copy leaves behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
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


def progress_file_problem(path):
    """Why the progress file cannot be written there, or None. A missing directory is fine (it is made), but
    not one under an existing file."""
    directory = os.path.dirname(path or "")
    while directory and not os.path.exists(directory):
        directory = os.path.dirname(directory)
    if directory and not os.path.isdir(directory):
        return "progress_file %s lies under %s, which is not a directory; choose another path" % (path, directory)
    return None


def write_progress_file(path, record):
    """Replace the progress file atomically (a reader never sees half a record), mode 0600; no path, no file.
    A missing directory is made private (0700), so a play needs no task to prepare it."""
    if not path:
        return
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)
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


def read_progress(path):
    """The last progress record of a copy; {} before the copy wrote one (or when there is no file)."""
    try:
        with open(path) as handle:
            record = json.loads(handle.read())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def async_job_outcome(text):
    """(ended, result) from the text of an Ansible async job's results file.

    async_wrapper writes ``{"started": true, "finished": false, ...}`` when the job starts and replaces it
    (by a rename) with the module's result when the module exits, so a result has no ``started`` key. Text
    that does not parse is a job still starting, as async_status reads it.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return False, None
    if not isinstance(data, dict) or ("started" in data and not data.get("finished")):
        return False, None
    return True, data


def wait_for_async_job(results_file, wait, interval=0.1, clock=time.monotonic, sleep=time.sleep):
    """Look at the job's results file every ``interval`` seconds until the job ended or ``wait`` seconds
    passed; returns (ended, result). Raises OSError when the file cannot be read (no such job)."""
    deadline = clock() + wait
    while True:
        with open(results_file) as handle:
            ended, result = async_job_outcome(handle.read())
        remaining = deadline - clock()
        if ended or remaining <= 0:
            return ended, result
        sleep(min(interval, remaining))


# --- private work directories ---------------------------------------------------------------------------------
# A copy runs as an async job, and an async timeout kills it with SIGKILL: no finally block runs. Each work
# directory is named after the process that made it, so the next copy removes those of processes that are gone.

def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def make_work_dir(prefix, parent=None):
    """A new 0700 directory ``<parent>/<prefix><pid>-XXXX`` for this process."""
    return tempfile.mkdtemp(prefix="%s%d-" % (prefix, os.getpid()), dir=parent)


def remove_dead_work_dirs(prefix, parent=None, alive=_process_alive):
    """Remove the work directories of ``prefix`` whose process is gone (killed copies); returns their paths."""
    parent = parent or tempfile.gettempdir()
    pattern = re.compile(r"^%s(\d+)-[^/]+$" % re.escape(prefix))
    removed = []
    for name in sorted(os.listdir(parent)):
        match = pattern.match(name)
        path = os.path.join(parent, name)
        if match and os.path.isdir(path) and not os.path.islink(path) and not alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
