# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The password a replica stores for a connection, read from its master info file.

MariaDB never shows a connection's password through SQL, but it keeps it in
a plain-text file in the data directory: ``master.info`` for the default
connection and ``master-<name>.info`` for a named one, the name lowercased
and encoded like a table name on disk (``a-b`` becomes ``a@002db``). Reading
it lets a rotated replication password be sent exactly when it differs,
instead of never (replicas fail at their next reconnect) or on every run.

The file's first line is its line count; then come the binary log file and
position, host, user, password and port, one per line. A file that does not
look like that, or names another host, user or port than the connection's
status row (the server may have been started with a custom
``--master-info-file``), is not trusted: the caller then cannot tell and
sends the password.
"""

from __future__ import annotations

import os

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import is_local_login

# The first fields of a master info file, after its line count (0-based line numbers).
HOST_LINE, USER_LINE, PASSWORD_LINE, PORT_LINE = 3, 4, 5, 6
# Characters a table-name-to-file-name conversion leaves as they are (ASCII letters are lowercased first).
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def master_info_file_name(connection_name):
    """The file name MariaDB keeps ``connection_name``'s settings in, or None when it cannot be told (non-ASCII)."""
    if connection_name == "":
        return "master.info"
    encoded = []
    for char in connection_name.lower():
        if char in _PLAIN:
            encoded.append(char)
        elif ord(char) < 128:
            encoded.append("@%04x" % ord(char))
        else:  # non-ASCII letters have charset-specific short codes; not worth guessing
            return None
    return "master-%s.info" % "".join(encoded)


def parse_master_info(text):
    """{'host', 'user', 'password', 'port'} of a master info file's text; ValueError when it is not one."""
    lines = text.split("\n")
    try:
        count = int(lines[0])
        port = int(lines[PORT_LINE])
    except (IndexError, ValueError):
        raise ValueError("not a master info file (no line count or port where MariaDB writes them)")
    if count <= PORT_LINE or len(lines) <= PORT_LINE:
        raise ValueError("not a master info file (%d lines announced, at least %d expected)" % (count, PORT_LINE + 1))
    return {"host": lines[HOST_LINE], "user": lines[USER_LINE], "password": lines[PASSWORD_LINE], "port": port}


def matches_status(stored, row):
    """True when the file describes the connection of this SHOW SLAVE STATUS row (same host, user and port)."""
    try:
        port = int(row.get("Master_Port"))
    except (TypeError, ValueError):
        return False
    return stored["host"] == row.get("Master_Host") and stored["user"] == row.get("Master_User") and stored["port"] == port


def stored_password(datadir, row):
    """(password, None) as the replica stores it for the connection of ``row``, or (None, why it cannot be read)."""
    name = row.get("Connection_name") or ""
    file_name = master_info_file_name(name)
    if file_name is None:
        return None, "connection name %r has non-ASCII characters, so its master info file is not located" % name
    path = os.path.join(datadir, file_name)
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # newline="": keep a \r in a password
            stored = parse_master_info(handle.read())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, "cannot read %s: %s" % (path, exc)
    if not matches_status(stored, row):
        return None, ("%s names another source than the connection's status (was the server started with "
                      "--master-info-file?)" % path)
    return stored["password"], None


def stored_password_reader(cursor, params):
    """read_stored for change_master.password_to_send(): the replica's master info file, when this host runs the server."""
    datadir = []  # looked up once, on first use

    def read_stored(row):
        if not is_local_login(params):
            return None, "the server is not on this host (login_host %s)" % params.get("login_host")
        if not datadir:
            cursor.execute("SELECT @@datadir AS datadir")
            datadir.append(cursor.fetchone()["datadir"])
        return stored_password(datadir[0], row)
    return read_stored
