# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting to MariaDB, the common login options, and safe SQL statements.

One home for what every module of the collection needs: the login argument
spec (documented by the ``replkit.mariadb.mariadb`` doc fragment), a PyMySQL
connection, server version detection, identifier quoting and statements
whose values are bound and whose secrets are masked when reported.
"""

from __future__ import annotations

import os
import re
import traceback
from typing import NamedTuple

from ansible.module_utils.basic import missing_required_lib

try:
    import pymysql
    from pymysql.converters import escape_item
except ImportError:  # pragma: no cover - reported by ensure_driver()
    pymysql = None
    escape_item = None
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()
else:
    PYMYSQL_IMPORT_ERROR = None

MASK = "********"
LOCAL_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))


def mariadb_common_argument_spec():
    """The login options every module accepts (see the doc fragment)."""
    return dict(
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=3306),
        login_unix_socket=dict(type="path"),
        config_file=dict(type="path", default="~/.my.cnf"),
        connect_timeout=dict(type="int", default=30),
        ca_cert=dict(type="path", aliases=["ssl_ca"]),
        client_cert=dict(type="path", aliases=["ssl_cert"]),
        client_key=dict(type="path", aliases=["ssl_key"]),
    )


def login_description(params):
    """Where a module connects, for error messages: 'user@host:port' or the socket."""
    where = params.get("login_unix_socket") or "%s:%s" % (params.get("login_host"), params.get("login_port"))
    return "%s@%s" % (params.get("login_user") or "(default user)", where)


def is_local_login(params):
    """True when the module runs on the host of the server it manages, so its paths can be checked here."""
    return bool(params.get("login_unix_socket")) or (params.get("login_host") or "localhost") in LOCAL_HOSTS


def connection_kwargs(params):
    """PyMySQL keyword arguments from the login options; pure, so tests reach it."""
    kwargs = dict(
        connect_timeout=params["connect_timeout"],
        autocommit=True,
        charset="utf8mb4",
    )
    if params.get("login_unix_socket"):
        kwargs["unix_socket"] = params["login_unix_socket"]
    else:
        kwargs["host"] = params["login_host"]
        kwargs["port"] = params["login_port"]
    if params.get("login_user") is not None:
        kwargs["user"] = params["login_user"]
    if params.get("login_password") is not None:
        kwargs["password"] = params["login_password"]
    config_file = params.get("config_file")
    if config_file and os.path.exists(os.path.expanduser(config_file)):
        kwargs["read_default_file"] = os.path.expanduser(config_file)
    ssl = {}
    for option, key in (("ca_cert", "ca"), ("client_cert", "cert"), ("client_key", "key")):
        if params.get(option):
            ssl[key] = params[option]
    if ssl:
        kwargs["ssl"] = ssl
    return kwargs


def option_file_value(value):
    """A value quoted for a MariaDB option file, so quotes, backslashes, # and ; survive."""
    text = str(value)
    if "\x00" in text:
        raise ValueError("a client option value cannot contain a NUL byte")
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return '"%s"' % escaped


def client_option_file(options, include_file=None):
    """The text of a client option file: ``[client]`` with ``options`` (None values left out).

    ``include_file`` (an existing config_file) is included first, so the options given here win over it.
    """
    lines = ["!include %s" % include_file] if include_file else []
    lines.append("[client]")
    lines += ["%s=%s" % (key, option_file_value(value)) for key, value in options.items() if value is not None]
    return "\n".join(lines) + "\n"


def login_client_options(params):
    """The common login options as client option file keys, for the command line tools a module runs."""
    options = {}
    if params.get("login_unix_socket"):
        options["socket"] = params["login_unix_socket"]
    else:
        options["host"] = params.get("login_host")
        options["port"] = params.get("login_port")
    options["user"] = params.get("login_user")
    options["password"] = params.get("login_password")
    for option, key in (("ca_cert", "ssl-ca"), ("client_cert", "ssl-cert"), ("client_key", "ssl-key")):
        options[key] = params.get(option) or None
    return options


def write_private_file(path, text):
    """Create ``path`` with mode 0600 before any byte is written (passwords go to such files, never to argv)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return path


# Option files through a pipe stay far below a pipe's buffer (64 KiB on Linux), so writing never blocks.
MAX_OPTION_PIPE_BYTES = 32 * 1024


def option_pipe(text):
    """(read descriptor, ``/dev/fd/N`` path) of a pipe that holds an option file's ``text``.

    For a client started with ``pass_fds=(descriptor,)`` and ``--defaults-file=<path>``: the options never touch
    the disk, so a process killed mid-copy (an async timeout sends SIGKILL) leaves no password behind. Only for
    clients that read their option files once (mariadb, mariadb-dump; not mariadb-backup). The caller closes the
    descriptor once the child started.
    """
    data = text.encode("utf-8")
    if len(data) > MAX_OPTION_PIPE_BYTES:
        raise ValueError("an option file of %d bytes does not fit a pipe (at most %d)" % (len(data), MAX_OPTION_PIPE_BYTES))
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, data)
    finally:
        os.close(write_fd)
    return read_fd, "/dev/fd/%d" % read_fd


def ensure_driver(module):
    if pymysql is None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_IMPORT_ERROR)


def connect(module):
    """Open a connection with a dict cursor, or fail with what to check."""
    ensure_driver(module)
    try:
        connection = pymysql.connect(cursorclass=pymysql.cursors.DictCursor, **connection_kwargs(module.params))
    except Exception as exc:  # PyMySQL raises several unrelated types here
        module.fail_json(
            msg="Cannot connect to MariaDB as %s: %s. Check login_host, login_port, login_unix_socket, "
                "login_user and login_password (or the [client] section of config_file), and that the "
                "server is running and reachable." % (login_description(module.params), exc))
    return connection, connection.cursor()


class ServerInfo(NamedTuple):
    """What the modules need to know of the server they talk to."""

    version: tuple
    version_string: str
    is_mariadb: bool

    @property
    def replica_word(self):
        """SLAVE is understood by every supported version; REPLICA only from 10.5.1."""
        return "REPLICA" if self.is_mariadb and self.version >= (10, 5, 1) else "SLAVE"


def parse_version(version_string):
    """'10.11.6-MariaDB-0+deb12u1-log' -> ((10, 11, 6), True)."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", version_string or "")
    if not match:
        raise ValueError("unrecognised server version %r" % version_string)
    return tuple(int(part) for part in match.groups()), "mariadb" in version_string.lower()


def server_info(cursor):
    cursor.execute("SELECT VERSION() AS version")
    version_string = cursor.fetchone()["version"]
    version, is_mariadb = parse_version(version_string)
    return ServerInfo(version, version_string, is_mariadb)


def require_mariadb(module, info, minimum=(10, 5, 0)):
    if not info.is_mariadb or info.version < minimum:
        module.fail_json(
            msg="%s runs %s; replkit.mariadb needs MariaDB %s or newer." % (
                login_description(module.params), info.version_string, ".".join(str(v) for v in minimum)))


def open_session(module, minimum=(10, 5, 0)):
    """Connect and check the server is a supported MariaDB; returns (connection, cursor, info)."""
    connection, cursor = connect(module)
    info = server_info(cursor)
    require_mariadb(module, info, minimum)
    return connection, cursor, info


def fail_on_input_errors(module, errors):
    """Stop before touching any server when validation found problems; one message lists them all."""
    if errors:
        module.fail_json(msg=" ".join(errors))


def quote_identifier(name):
    """Quote a database, table or user-visible identifier with backticks."""
    if "\x00" in name:
        raise ValueError("identifier %r contains a NUL byte" % name)
    return "`%s`" % name.replace("`", "``")


class Statement(NamedTuple):
    """A SQL statement with bound values; ``secret`` holds the indexes of values to mask."""

    sql: str
    params: tuple = ()
    secret: frozenset = frozenset()

    def masked(self):
        """The statement as it is reported: values inlined and escaped, secrets masked."""
        return render(self.sql, tuple(
            _MaskedValue() if index in self.secret else value for index, value in enumerate(self.params)))


class _MaskedValue:
    """Renders as a quoted mask where a secret value stood."""


def _literal(value):
    if isinstance(value, _MaskedValue):
        return "'%s'" % MASK
    if escape_item is not None:
        return escape_item(value, "utf8mb4")
    # Only for reporting when PyMySQL is absent (unit tests of pure logic).
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'%s'" % str(value).replace("\\", "\\\\").replace("'", "\\'")


def render(sql, params):
    return sql % tuple(_literal(value) for value in params) if params else sql


def execute(cursor, statement):
    """Run a Statement; PyMySQL escapes the bound values client-side."""
    cursor.execute(statement.sql, statement.params or None)
    return cursor.fetchall() if cursor.description else []


def execute_or_fail(module, cursor, statement, what, hint=""):
    """Run a Statement; on an error, fail the module saying what it was doing, the statement (masked) and the fix."""
    try:
        return execute(cursor, statement)
    except Exception as exc:  # PyMySQL raises several unrelated types
        module.fail_json(msg=("Failed to %s (%s): %s. %s" % (what, statement.masked(), exc, hint)).strip())
    return None


def run_statements(module, cursor, statements, recover=None):
    """Execute statements in order; on a server error, call ``recover(executed)`` and fail saying what was done.

    ``recover`` returns a sentence about what it repaired (or None); the failure names the statement, the
    server's error and the statements that had already run, so the user knows the server's state.
    """
    executed = []
    for statement in statements:
        try:
            execute(cursor, statement)
        except Exception as exc:  # PyMySQL raises several unrelated types
            repaired = recover(executed) if recover is not None else None
            module.fail_json(
                msg="%s failed on %s: %s. %sStatements already executed: %s. Fix the cause the server names and "
                    "run the task again." % (statement.masked(), login_description(module.params), exc,
                                             (repaired + " ") if repaired else "",
                                             "; ".join(s.masked() for s in executed) or "none"),
                queries=[s.masked() for s in executed])
        executed.append(statement)
    return executed


def fetch_global_variables(cursor, names):
    """Read global variables by name into a dict (missing ones are absent)."""
    placeholders = ", ".join(["%s"] * len(names))
    cursor.execute("SELECT VARIABLE_NAME AS name, VARIABLE_VALUE AS value "
                   "FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME IN (%s)" % placeholders,
                   tuple(name.upper() for name in names))
    return {row["name"].lower(): row["value"] for row in cursor.fetchall()}
