# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeding a replica with a logical dump of its source: the pure parts.

Which databases to copy, whether a consistent dump is possible, the client
options that log in to both servers, the command lines, and reading the
GTID position mariadb-dump writes into its output. No database is needed here,
so the unit tests reach all of it.
"""

from __future__ import annotations

import re
import ssl

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import login_client_options

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


def source_login(params):
    """The source's login in the shape of the common login options, so one piece of code logs in everywhere.

    No option file is read for it: the replica's ~/.my.cnf holds the replica's own login, not the source's.
    """
    return dict(login_host=params["source_host"], login_port=params["source_port"], login_user=params["source_user"],
                login_password=params["source_password"] or "", login_unix_socket=None, config_file=None,
                connect_timeout=params["connect_timeout"], ca_cert=params.get("source_ssl_ca"),
                client_cert=params.get("source_ssl_cert"), client_key=params.get("source_ssl_key"))


def source_client_options(params):
    """The client options that log in to the source (password included: only ever written to a 0600 file).

    ``source_ssl`` asks for TLS (``ssl``), ``source_ssl_verify_server_cert`` sets ``ssl-verify-server-cert``
    either way when given (left out, the client's default holds). A client verifying the certificate refuses
    a server without TLS.
    """
    options = login_client_options(source_login(params))
    if params.get("source_ssl"):
        options["ssl"] = 1
    verify = params.get("source_ssl_verify_server_cert")
    if verify is not None:
        options["ssl-verify-server-cert"] = 1 if verify else 0
    return options


def source_tls_wanted(params):
    """Whether the connections to the source must be encrypted: source_ssl, or any TLS file given."""
    return bool(params.get("source_ssl") or params.get("source_ssl_ca") or params.get("source_ssl_cert")
                or params.get("source_ssl_key"))


def source_ssl_context(params):
    """The TLS context of the module's own connection to the source, or None without TLS.

    Verification as mariadb-dump does it: ``source_ssl_verify_server_cert`` true checks the chain and the
    host name, false checks nothing; unset, the chain and host name are checked when a CA is given (as
    before this option existed), else nothing.
    """
    if not source_tls_wanted(params):
        return None
    ca = params.get("source_ssl_ca")
    context = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    # Self-signed certificates the server generates do not pass the strict X.509 checks of Python 3.13.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    verify = params.get("source_ssl_verify_server_cert")
    if verify is None:
        verify = bool(ca)
    context.check_hostname = verify
    context.verify_mode = ssl.CERT_REQUIRED if verify else ssl.CERT_NONE
    if params.get("source_ssl_cert"):
        context.load_cert_chain(params["source_ssl_cert"], keyfile=params.get("source_ssl_key"))
    return context


def local_client_options(params):
    """The client options that log in to this (the replica's) server, from the common login options.

    Over TCP the protocol is named, so a login_host of localhost means TCP, as it does for the module's own login.
    """
    options = login_client_options(params)
    if "socket" not in options:
        options["protocol"] = "tcp"
    return options


def dump_command(binary, defaults_file, method, databases, ignore_tables=()):
    """mariadb-dump's argv: no secret in it, --defaults-file first as the client requires.

    ``ignore_tables`` (``(database, table)`` pairs) are left out: the tables a connection's replication
    filters never replicate.
    """
    command = [binary, "--defaults-file=%s" % defaults_file, "--databases"] + list(databases) + [
        "--routines", "--triggers", "--events", "--hex-blob", "--default-character-set=utf8mb4",
        "--max-allowed-packet=1G", "--quick"]
    command += ["--ignore-table=%s.%s" % (database, table) for database, table in ignore_tables]
    if method == "consistent_dump":
        # One consistent snapshot, and the GTID position of that very snapshot, written as a comment.
        command += ["--single-transaction", "--master-data=2", "--gtid"]
    else:
        # The module holds FLUSH TABLES WITH READ LOCK itself, so the dump must not lock tables on its own.
        command += ["--skip-lock-tables"]
    return command


def keep_aside_command(binary, defaults_file, databases):
    """mariadb-dump of this server's own copy of ``databases``, one snapshot, before a forced copy replaces them."""
    return [binary, "--defaults-file=%s" % defaults_file, "--databases"] + list(databases) + [
        "--routines", "--triggers", "--events", "--hex-blob", "--default-character-set=utf8mb4",
        "--max-allowed-packet=1G", "--quick", "--single-transaction"]


def keep_aside_name(connection, stamp):
    """The file a replaced copy is kept in: the connection's name (``default`` for '') and a UTC time stamp."""
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", connection or "") or "default"
    return "%s-%s.sql" % (label, stamp)


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
