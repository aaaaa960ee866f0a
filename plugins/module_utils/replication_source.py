# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The source a replication connection points at, checked before CHANGE MASTER points it there.

MariaDB refuses a second connection to a source host and port, and happily
replicates a server from itself (it only fails later, confusingly). So before
a connection is created or repointed, mariadb_change_master and
mariadb_multisource look at the other connections and at the source itself:
by address first, then by logging in to it with the replication account and
comparing its server_id with the replica's.
"""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.module_utils import mariadb as mariadb_utils
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import LOCAL_HOSTS


def source_endpoint(row, params):
    """(host, port) the connection will replicate from after the change."""
    host = params.get("primary_host") or (row or {}).get("Master_Host") or ""
    port = params.get("primary_port") or (row or {}).get("Master_Port") or 3306
    return host, int(port)


def conflicting_connection(rows, name, host, port):
    """The name of another connection already replicating from host:port (MariaDB refuses a second one)."""
    for row in rows:
        if (row.get("Connection_name") or "").lower() == name.lower():
            continue
        if (row.get("Master_Host") or "").lower() == host.lower() and int(row.get("Master_Port") or 0) == port:
            return row.get("Connection_name") or ""
    return None


def looks_like_self(host, port, replica):
    """Without connecting: a loopback or own-hostname source on the replica's own port is the replica itself."""
    own_names = LOCAL_HOSTS | {str(replica.get("hostname") or "").lower()}
    return host.lower() in own_names and port == int(replica.get("port") or 0)


def probe_source(host, port, params, timeout):
    """Log in to the source with the replication account; returns (server_id, None) or (None, reason)."""
    if mariadb_utils.pymysql is None:
        return None, "PyMySQL is missing"
    kwargs = dict(host=host, port=port, user=params.get("primary_user") or "", password=params.get("primary_password") or "",
                  connect_timeout=timeout, cursorclass=mariadb_utils.pymysql.cursors.DictCursor)
    if params.get("primary_ssl"):
        files = (("ca", "primary_ssl_ca"), ("cert", "primary_ssl_cert"), ("key", "primary_ssl_key"))
        kwargs["ssl"] = {key: params[name] for key, name in files if params.get(name)} or {"check_hostname": False}
    try:
        connection = mariadb_utils.pymysql.connect(**kwargs)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT @@server_id AS server_id")
                return int(cursor.fetchone()["server_id"]), None
        finally:
            connection.close()
    except Exception as exc:  # any failure only means the check could not run
        return None, str(exc)


def replica_identity(cursor):
    cursor.execute("SELECT @@server_id AS server_id, @@port AS port, @@hostname AS hostname")
    return cursor.fetchone()


def self_replication_error(cursor, row, params, name, warn=None):
    """A message when the source is this very server; unreachable sources only warn (they may come later)."""
    host, port = source_endpoint(row, params)
    replica = replica_identity(cursor)
    what = "connection %r: primary_host %s, primary_port %s" % (name, host, port)
    if looks_like_self(host, port, replica):
        return "%s is this server itself (server_id %s); a server cannot replicate from itself. Point it at the source." % (
            what, replica["server_id"])
    if params.get("primary_user") is None or params.get("primary_password") is None:
        return None
    source_id, reason = probe_source(host, port, params, min(int(params.get("connect_timeout") or 10), 10))
    if source_id is None:
        if warn is not None:
            warn("%s: could not log in to the source as %r to check it is not this server (%s). Configured anyway; "
                 "replication starts once the source accepts the account." % (what, params.get("primary_user"), reason))
        return None
    if source_id == int(replica["server_id"]):
        return "%s reaches a server with server_id %s, the replica's own server_id: it is this server (or a clone " \
               "with the same server_id). Point it at the real source, or give each server a unique server_id." % (
                   what, source_id)
    return None
