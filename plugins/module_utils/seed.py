# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeding a replica with a logical dump of its source: the pure parts.

Which databases to copy, whether a consistent dump is possible, the client
option files that carry the passwords, the command lines, and reading the
GTID position mariadb-dump writes into its output. No database is needed here,
so the unit tests reach all of it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time

# Never copied from another server unless asked: they hold this server's own accounts and state.
SYSTEM_DATABASES = ("mysql", "information_schema", "performance_schema", "sys")
# Engines a --single-transaction snapshot covers; any other base table would be copied mid-change.
TRANSACTIONAL_ENGINES = frozenset(("innodb",))
METHODS = ("locked_dump", "consistent_dump")

# mariadb-dump --master-data=2 --gtid writes the position as a comment (the uncommented form would replace the
# whole gtid_slave_pos on import and wipe the other sources' domains).
GTID_LINE = re.compile(rb"^-- SET GLOBAL gtid_slave_pos='(?P<pos>[0-9,\- ]*)';", re.MULTILINE)
BINLOG_LINE = re.compile(rb"^-- CHANGE MASTER TO MASTER_LOG_FILE='(?P<file>[^']+)', MASTER_LOG_POS=(?P<pos>\d+);",
                         re.MULTILINE)
# Longest line the scanner keeps between two chunks: the position comments are far shorter.
CARRY_BYTES = 4096


def option_value(value):
    """A value for a MariaDB option file: double-quoted, with backslash and quote escaped."""
    text = str(value)
    if "\n" in text or "\r" in text or "\x00" in text:
        raise ValueError("a client option value cannot contain a newline or NUL byte")
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def client_options_text(options):
    """A ``[client]`` option file from a dict; None values are left out."""
    lines = ["[client]"]
    for key, value in options.items():
        if value is not None:
            lines.append("%s=%s" % (key, option_value(value)))
    return "\n".join(lines) + "\n"


def source_client_options(params):
    """The client options that log in to the source (password included: only ever written to a 0600 file)."""
    options = {"host": params["source_host"], "port": params["source_port"], "user": params["source_user"],
               "password": params["source_password"]}
    for option, key in (("source_ssl_ca", "ssl-ca"), ("source_ssl_cert", "ssl-cert"), ("source_ssl_key", "ssl-key")):
        if params.get(option):
            options[key] = params[option]
    return options


def local_client_options(params):
    """The client options that log in to this (the replica's) server, from the common login options."""
    options = {}
    if params.get("login_unix_socket"):
        options["socket"] = params["login_unix_socket"]
    else:
        options["host"] = params["login_host"]
        options["port"] = params["login_port"]
        options["protocol"] = "tcp"
    options["user"] = params.get("login_user")
    options["password"] = params.get("login_password")
    return options


def write_private_file(directory, name, text):
    """Create ``name`` in ``directory`` with mode 0600 before any byte is written."""
    path = os.path.join(directory, name)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return path


def private_directory(parent=None):
    """A fresh 0700 directory for option files (mkdtemp creates it 0700)."""
    return tempfile.mkdtemp(prefix="replkit-seed-", dir=parent)


def dump_command(binary, defaults_file, method, databases):
    """mariadb-dump's argv: no secret in it, --defaults-file first as the client requires."""
    command = [binary, "--defaults-file=%s" % defaults_file, "--databases"] + list(databases) + [
        "--routines", "--triggers", "--events", "--hex-blob", "--default-character-set=utf8mb4",
        "--max-allowed-packet=1G", "--quick"]
    if method == "consistent_dump":
        # One consistent snapshot, and the GTID position of that very snapshot, written as a comment.
        command += ["--single-transaction", "--master-data=2", "--gtid"]
    else:
        # The module holds FLUSH TABLES WITH READ LOCK itself, so the dump must not lock tables on its own.
        command += ["--skip-lock-tables"]
    return command


def import_command(binary, defaults_file):
    """The client that applies the dump to this server, without writing it to this server's binary log.

    Unlogged, the imported rows cannot come back around a ring or master-master pair: the partner
    would otherwise receive them again under this server's domain and apply them twice.
    """
    return [binary, "--defaults-file=%s" % defaults_file, "--init-command=SET SESSION sql_log_bin=0",
            "--default-character-set=utf8mb4", "--max-allowed-packet=1G", "--batch", "--silent"]


class PositionScanner:
    """Reads the dump stream as it passes and keeps the GTID position and binlog coordinate comments."""

    def __init__(self):
        self.gtid_pos = None
        self.binlog_file = None
        self.binlog_pos = None
        self._carry = b""

    def feed(self, chunk):
        if self.gtid_pos is not None and self.binlog_file is not None:
            return
        data = self._carry + chunk
        if self.gtid_pos is None:
            match = GTID_LINE.search(data)
            if match:
                self.gtid_pos = match.group("pos").decode("ascii").replace(" ", "")
        if self.binlog_file is None:
            match = BINLOG_LINE.search(data)
            if match:
                self.binlog_file = match.group("file").decode("utf-8", "replace")
                self.binlog_pos = int(match.group("pos"))
        newline = data.rfind(b"\n")
        self._carry = data[newline + 1:][-CARRY_BYTES:] if newline >= 0 else data[-CARRY_BYTES:]


def select_databases(available, requested, allow_system):
    """(databases to copy, problems). Default: every database of the source but the system ones."""
    problems = []
    if requested is None:
        return [name for name in available if name.lower() not in SYSTEM_DATABASES], problems
    selected = []
    for name in requested:
        if name.lower() in SYSTEM_DATABASES and not allow_system:
            problems.append("databases lists %r, a system database that holds the server's own accounts and state; "
                            "remove it, or set allow_system_databases: true to overwrite the replica's copy" % name)
        elif name not in available:
            problems.append("databases lists %r, which the source does not have (it has: %s)"
                            % (name, ", ".join(available) or "none"))
        elif name not in selected:
            selected.append(name)
    return selected, problems


def non_transactional(tables):
    """'db.table (ENGINE)' for each base table a consistent snapshot does not cover."""
    return ["%s.%s (%s)" % (row["db"], row["name"], row["engine"]) for row in tables
            if (row.get("engine") or "").lower() not in TRANSACTIONAL_ENGINES]


def presence(replica_databases, databases):
    """'absent', 'present' or 'partial': how many of ``databases`` the replica already holds."""
    held = [name for name in databases if name in replica_databases]
    if not held:
        return "absent"
    return "present" if len(held) == len(databases) else "partial"


def rate_mb_s(byte_count, seconds):
    return round(byte_count / 1048576.0 / seconds, 2) if seconds > 0 else None


def progress_record(phase, byte_count, started, now=None, extra=None):
    """The JSON written to the progress file a role polls while the seed runs."""
    now = time.time() if now is None else now
    seconds = max(now - started, 0.0)
    record = {"phase": phase, "bytes": byte_count, "mb": round(byte_count / 1048576.0, 1),
              "seconds": round(seconds, 1), "rate_mb_s": rate_mb_s(byte_count, seconds), "updated_at": round(now, 1)}
    record.update(extra or {})
    return json.dumps(record, sort_keys=True)


def write_progress(path, text):
    """Replace the progress file atomically (a reader never sees half a record), mode 0600."""
    if not path:
        return
    temporary = "%s.%d.tmp" % (path, os.getpid())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text + "\n")
    os.replace(temporary, path)


def tail(text, limit=2000):
    text = (text or "").strip()
    return text if len(text) <= limit else "..." + text[-limit:]
