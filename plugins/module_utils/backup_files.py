# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of a mariadb-backup copy: where the source's binary log stood, whether the copy is prepared,
and which files carry the source's replication state (they must not travel with the copy). No I/O: callers
list directories and read files.
"""

from __future__ import annotations

import re

# Newer versions write mariadb_backup_*, older ones xtrabackup_*; both are looked for, newest name first.
BINLOG_INFO_FILES = ("mariadb_backup_binlog_info", "xtrabackup_binlog_info")
CHECKPOINT_FILES = ("mariadb_backup_checkpoints", "xtrabackup_checkpoints")
BACKUP_CONFIG_FILE = "backup-my.cnf"
# A full backup after --prepare: 10.5 to 11.x write log-applied, older xtrabackup full-prepared.
PREPARED_TYPES = ("full-prepared", "log-applied")


class BackupFileError(ValueError):
    """A file of the copy that cannot be read as mariadb-backup writes it; the message says what and how to fix it."""


def parse_binlog_info(text):
    """``'mariadb-bin.000042\\t1337\\t0-1-100'`` -> dict(binlog_file, binlog_pos, gtid_pos).

    The GTID column is missing when the source has no GTID yet (some versions
    also omit it); gtid_pos is then the empty string.
    """
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise BackupFileError("the binary log info file is empty: was the source's binary log enabled (log_bin)?")
    line = lines[0].strip()
    fields = line.split("\t") if "\t" in line else line.split(None, 2)
    fields = [field.strip() for field in fields]
    if len(fields) < 2 or not fields[0] or not fields[1].isdigit():
        raise BackupFileError("cannot read the binary log info %r; expected 'FILE<TAB>POSITION<TAB>GTID'" % line)
    gtid_pos = "".join(",".join(fields[2:]).split()) if len(fields) > 2 else ""
    gtid_pos = ",".join(entry for entry in gtid_pos.split(",") if entry)
    for entry in gtid_pos.split(",") if gtid_pos else []:
        if not re.fullmatch(r"\d+-\d+-\d+", entry):
            raise BackupFileError("the binary log info %r has a malformed GTID %r" % (line, entry))
    return {"binlog_file": fields[0], "binlog_pos": int(fields[1]), "gtid_pos": gtid_pos}


_LOG_POSITION = re.compile(
    r"binlog position: filename '([^']*)', position '(\d+)'(?:, GTID of the last change '([^']*)')?")


def parse_backup_log_position(log_text):
    """The binary log position mariadb-backup --backup reports on stderr, or None."""
    matches = _LOG_POSITION.findall(log_text or "")
    if not matches:
        return None
    binlog_file, binlog_pos, gtid_pos = matches[-1]
    return {"binlog_file": binlog_file, "binlog_pos": int(binlog_pos), "gtid_pos": gtid_pos or ""}


def parse_checkpoints(text):
    """``backup_type = full-backuped`` lines of xtrabackup_checkpoints -> dict."""
    values = {}
    for line in (text or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def first_present(names, candidates):
    """The first of ``candidates`` that is in ``names``, else None."""
    present = set(names)
    for candidate in candidates:
        if candidate in present:
            return candidate
    return None


def prepared_backup_problem(names, checkpoints_text):
    """Why a directory listing (``names``) plus its checkpoints file is not a prepared full backup, or None."""
    checkpoints = first_present(names, CHECKPOINT_FILES)
    if checkpoints is None or BACKUP_CONFIG_FILE not in names:
        return ("has no %s and %s, so it is not a mariadb-backup copy; point staging_dir at the directory "
                "mariadb_backup_stream mode=receive filled" % (" or ".join(CHECKPOINT_FILES), BACKUP_CONFIG_FILE))
    backup_type = parse_checkpoints(checkpoints_text).get("backup_type", "")
    if backup_type not in PREPARED_TYPES:
        return ("is not prepared (%s says backup_type = %s, expected %s); run mariadb_backup_stream with "
                "prepare=true or 'mariadb-backup --prepare --target-dir=<staging_dir>' first" % (
                    checkpoints, backup_type or "(none)", " or ".join(PREPARED_TYPES)))
    return None


# --- replication state of the source that must not travel with the copy ---------------------------------------

_STATE_FILE = re.compile(r"^(master\.info|relay-log\.info|multi-master\.info|master-.+\.info|relay-log-.+\.info)$")
_RELAY_LOG = re.compile(r"relay-bin(-.+)?\.(index|\d{6,})$")


def relay_logs_named_in(text, first_only=False):
    """Relay log file names (base names) listed in a relay log index, or with ``first_only`` in relay-log.info.

    relay-log.info names the current relay log on its first non-numeric line;
    later lines name the source's binary log, which must not be matched.
    """
    names = set()
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.isdigit():
            continue
        base = line.replace("\\", "/").rsplit("/", 1)[-1]
        if re.search(r"\.\d{6,}$", base):
            names.add(base)
            names.add(base.rsplit(".", 1)[0] + ".index")
        if first_only:
            break
    return names


def replication_state_files(names, read_text):
    """Files of a copy (top level ``names``) that carry the source's replication state, sorted.

    ``read_text(name)`` returns a file's text; the relay log index and info
    files are read so relay logs with custom names are found too.
    """
    names = set(names)
    found = {name for name in names if _STATE_FILE.match(name) or _RELAY_LOG.search(name)}
    pending = sorted(found)
    while pending:  # an index named by relay-log.info may list further relay logs
        name = pending.pop()
        if name.endswith(".index"):
            listed = relay_logs_named_in(read_text(name))
        elif name.startswith("relay-log"):
            listed = relay_logs_named_in(read_text(name), first_only=True)
        else:
            continue
        new = (listed & names) - found
        found.update(new)
        pending.extend(sorted(new))
    return sorted(found)
