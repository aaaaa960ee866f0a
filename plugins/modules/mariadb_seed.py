#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_seed
short_description: Seed a MariaDB replica with its source's databases at an exact GTID position
version_added: 0.2.0
author: replkit.mariadb contributors (@replkit)
description:
  - Runs on the replica. Copies databases of a source into this server with C(mariadb-dump) connecting to the source
    over the network, piped straight into the local C(mariadb) client, so the data never touches the controller
    or a disk. Then merges the source's GTID position of the copy into C(gtid_slave_pos), per domain, so a
    replication connection from that source starts exactly after the copy.
  - O(method=locked_dump) is the classic procedure. C(FLUSH TABLES WITH READ LOCK) is held in the module's own
    connection to the source, C(@@gtid_binlog_pos) noted, the dump taken, then C(UNLOCK TABLES). Writes on the source
    wait for the whole dump; RV(write_block_seconds) says how long.
  - O(method=consistent_dump) dumps inside one C(START TRANSACTION WITH CONSISTENT SNAPSHOT) and takes the GTID position
    of that snapshot (C(--single-transaction --master-data=2 --gtid)), so writes on the source go on. It is only
    consistent for transactional (InnoDB) tables; see O(non_transactional).
  - The import is not written to this server's binary log (C(sql_log_bin=0)), so on a ring or master-master pair the
    imported rows do not travel back to the source under this server's domain.
  - Idempotent by what the replica holds. When every selected database already exists here, nothing is copied unless
    O(force=true). When only some exist, the module fails before copying, because the replica holds data of its
    own under those names.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  source_host:
    description: The source's address, as this replica reaches it.
    type: str
    required: true
  source_port:
    description: The source's port.
    type: int
    default: 3306
  source_user:
    description:
      - The account on the source the dump logs in with. It needs C(SELECT), C(SHOW VIEW), C(TRIGGER), C(EVENT),
        C(LOCK TABLES), C(RELOAD) and C(BINLOG MONITOR) (M(replkit.mariadb.mariadb_replication_user) with
        O(replkit.mariadb.mariadb_replication_user#module:purpose=seed) creates it).
    type: str
    required: true
  source_password:
    description:
      - The password of O(source_user). It is written to a client option file of mode 0600 in a private directory
        that is removed afterwards, never to a command line.
    type: str
  source_ssl:
    description:
      - Copy over TLS, as a replication connection with C(MASTER_SSL=1) does, also when no TLS file is given.
        O(source_ssl_ca), O(source_ssl_cert) and O(source_ssl_key) turn TLS on too.
      - C(mariadb-dump) gets C(ssl) in its client option file (never on its command line), and the module's own
        connection to the source must be encrypted; when the source offers no TLS the module fails before it
        changes anything.
      - Without O(source_ssl_verify_server_cert=true) the source's certificate is not checked, which keeps
        eavesdroppers out but not someone who can intercept the connection; verify it to stop them (the dump
        client then also refuses any connection without TLS).
      - The C(replkit.mariadb.seed) role sets it from the connection's C(ssl).
    type: bool
    default: false
    version_added: 0.4.0
  source_ssl_verify_server_cert:
    description:
      - Whether the dump checks the source's TLS certificate and that it names O(source_host)
        (C(ssl-verify-server-cert) in the client option file), as C(MASTER_SSL_VERIFY_SERVER_CERT) does for the
        replication connection. The certificate must be signed by O(source_ssl_ca), else by a CA the host trusts.
      - Unset, the client's default applies (C(mariadb-dump) before 11.4 does not check it; 11.4 and later do), and
        the module's own connection checks it only when O(source_ssl_ca) is given.
      - The C(replkit.mariadb.seed) role passes the connection's C(ssl_verify_server_cert) when set.
    type: bool
    version_added: 0.4.0
  source_ssl_ca:
    description: CA file to verify the source's TLS certificate with; enables TLS for the dump.
    type: path
  source_ssl_cert:
    description: Client certificate for the source; enables TLS for the dump.
    type: path
  source_ssl_key:
    description: Client key for the source.
    type: path
  method:
    description: How the source's data is copied consistently (see the description).
    type: str
    choices: [consistent_dump, locked_dump]
    default: consistent_dump
  databases:
    description:
      - The source's databases to copy. Default, every database of the source except C(mysql),
        C(information_schema), C(performance_schema) and C(sys).
      - Listing a system database fails unless O(allow_system_databases=true).
    type: list
    elements: str
  allow_system_databases:
    description:
      - Allow O(databases) to list C(mysql) and the other system databases. Copying C(mysql) replaces this server's
        accounts with the source's.
    type: bool
    default: false
  non_transactional:
    description:
      - What O(method=consistent_dump) does when a selected database holds a table whose engine is not InnoDB
        (MyISAM, Aria, MEMORY, ...), which a snapshot cannot copy consistently.
      - V(fail) stops before copying anything and names the tables. V(locked_dump) copies with O(method=locked_dump)
        instead, with a warning.
    type: str
    choices: [fail, locked_dump]
    default: fail
  force:
    description:
      - Copy even when this server already holds the selected databases. The dump drops and recreates each table it
        copies; tables only this server has are kept.
    type: bool
    default: false
  keep_aside_dir:
    description:
      - Before a forced copy (O(force=true), or an unfinished one redone) replaces databases this server already
        holds, dump this server's own copy of them (one snapshot, routines, triggers and events included) into a new
        file in this directory (created with mode 0700), named after O(stop_connection) and the time (UTC), mode
        0600, returned in RV(kept_aside). Nothing else happens when that dump fails.
      - The files are never removed by the collection; load one with the mariadb client to get the old data back.
    type: path
    version_added: 0.5.0
  stop_connection:
    description:
      - The name of this replica's replication connection from the source. When it runs, it is stopped before the copy
        (replicated changes must not mix with the import) and left stopped, to be started from the new position by
        M(replkit.mariadb.mariadb_multisource). Matters with O(force=true) on a replica that already replicates.
    type: str
  set_gtid_slave_pos:
    description:
      - Merge the copy's GTID position into C(gtid_slave_pos) (only the domains in it change). Running replication
        connections are stopped for that and started again.
    type: bool
    default: true
  progress_file:
    description:
      - A file the module rewrites every 2 seconds with JSON progress (C(phase), C(bytes), C(seconds), C(rate_mb_s),
        C(updated_at)), the same record as M(replkit.mariadb.mariadb_backup_stream) writes, for a play that runs the
        module asynchronously and shows how far the seed got. Mode 0600; a missing directory is created with mode
        0700.
    type: path
  replication_filters:
    description:
      - The C(replicate_*) filters of the replica's connection from the source (keys C(replicate_do_db),
        C(replicate_ignore_db), C(replicate_do_table), C(replicate_ignore_table), C(replicate_wild_do_table),
        C(replicate_wild_ignore_table), each a list), so that the copy holds exactly what the connection replicates.
      - Databases the filters never replicate are not copied (listed in O(databases), they are refused); tables of a
        copied database that the table rules keep out are left out of the dump (RV(ignored_tables)). MariaDB's rules
        are applied as the server applies them to row events.
    type: dict
    default: {}
    version_added: 0.3.0
  state_file:
    description:
      - A file on this host that records the seed durably (fsynced), under the connection's name (O(stop_connection),
        required with this option) - C(started) before anything changes on this server, C(copied) once the import
        ended, C(complete) once the position is set. An entry that is not C(complete) marks an unfinished copy.
      - With an unfinished entry for the connection, the module copies again even when the databases exist (as with
        O(force=true)), so an interrupted copy is redone, never taken for a finished one.
      - The C(replkit.mariadb.seed) role passes C(seed_work_dir/state.json); the preflight role reads it on every run.
    type: path
    version_added: 0.3.0
  dump_binary:
    description: The dump client on this host.
    type: str
    default: mariadb-dump
  client_binary:
    description: The command line client on this host that applies the dump.
    type: str
    default: mariadb
notes:
  - Check mode connects to both servers, checks everything and reports what would be copied; it copies nothing.
  - Diff mode shows the replica's databases among the selected ones and its C(gtid_slave_pos), before and after.
  - The dump's own options are fixed for a faithful copy - routines, triggers, events, C(--hex-blob), utf8mb4.
  - Definers of views, triggers and routines are kept; accounts are not copied, so create them on the replica
    when the definers must exist there.
seealso:
  - module: replkit.mariadb.mariadb_gtid_pos
  - module: replkit.mariadb.mariadb_replication_user
  - module: replkit.mariadb.mariadb_multisource
"""

EXAMPLES = r"""
- name: Copy db1's databases to the aggregator without blocking db1's writes
  replkit.mariadb.mariadb_seed:
    source_host: 10.0.0.11
    source_user: replkit_seed
    source_password: "{{ seed_password }}"
    login_unix_socket: /run/mysqld/mysqld.sock

- name: The seed article's procedure, for a source with MyISAM tables
  replkit.mariadb.mariadb_seed:
    source_host: 10.0.0.12
    source_user: replkit_seed
    source_password: "{{ seed_password }}"
    method: locked_dump
    databases: [crm, crm_archive]
    login_unix_socket: /run/mysqld/mysqld.sock
  register: seeded

- name: Show how long writes on the source were blocked
  ansible.builtin.debug:
    msg: "{{ seeded.write_block_seconds }} s at {{ seeded.gtid_pos }}"
"""

RETURN = r"""
removed_work_dirs:
  description:
    - Work directories of earlier copies whose process is gone (killed, for example by an async timeout), removed
      before this copy started. They held only the tools' error output; the login options go through pipes.
  returned: when a copy ran
  type: list
  elements: str
  sample: [/tmp/replkit-seed-4242-k2j3h4]
  version_added: 0.4.0
method:
  description: The method used (or that would be); V(locked_dump) after a fallback from V(consistent_dump).
  returned: always
  type: str
  sample: consistent_dump
databases:
  description: The databases selected for copying.
  returned: always
  type: list
  elements: str
  sample: [shop, shop_audit]
skipped_reason:
  description: Why nothing was copied, when nothing was.
  returned: when nothing was copied
  type: str
  sample: "the replica already holds shop, shop_audit"
ignored_tables:
  description: Tables of the copied databases left out because the connection's filters never replicate them.
  returned: when a copy ran or would run
  type: list
  elements: str
  sample: [shop.tmp_import]
  version_added: 0.3.0
kept_aside:
  description: The file this server's replaced copy was dumped into (O(keep_aside_dir)).
  returned: when O(keep_aside_dir) is set and the copy replaced databases this server held
  type: str
  sample: /var/lib/mysql.replkit-rebuilt/db1-20261201T101500Z.sql
  version_added: 0.5.0
redone:
  description: The unfinished seed of O(stop_connection) that O(state_file) recorded, which this run copies again.
  returned: when O(state_file) held an unfinished entry for the connection
  type: str
  sample: "the seed of connection 'db1' from 10.0.0.1 (consistent_dump of shop) started at 2026-11-30T10:00:00Z and stopped at phase 'started'"
  version_added: 0.3.0
gtid_pos:
  description: The source's GTID position the copy corresponds to.
  returned: when a copy ran
  type: str
  sample: "1-11-4031"
binlog_file:
  description: The source's binary log file of the copy (consistent_dump).
  returned: when a copy ran with consistent_dump
  type: str
  sample: mariadb-bin.000003
binlog_pos:
  description: The offset in RV(binlog_file) of the copy.
  returned: when a copy ran with consistent_dump
  type: int
  sample: 1337
gtid_slave_pos:
  description: This server's C(gtid_slave_pos) after the merge (before it, in check mode).
  returned: always
  type: str
  sample: "1-11-4031,2-12-880"
bytes:
  description: Bytes of dump streamed from the source.
  returned: when a copy ran
  type: int
  sample: 104857600
seconds:
  description: Wall time of the copy, dump and import together.
  returned: when a copy ran
  type: float
  sample: 12.4
rate_mb_s:
  description: RV(bytes) in MiB per second of RV(seconds).
  returned: when a copy ran
  type: float
  sample: 8.06
write_block_seconds:
  description:
    - How long the module blocked writes on the source (locked_dump, from C(FLUSH TABLES WITH READ LOCK) to
      C(UNLOCK TABLES)). V(0) for consistent_dump, which takes no lock.
  returned: when a copy ran
  type: float
  sample: 11.9
queries:
  description: The statements sent to either server that change or lock something, passwords never included.
  returned: always
  type: list
  elements: str
  sample: ["FLUSH TABLES WITH READ LOCK", "UNLOCK TABLES", "SET GLOBAL gtid_slave_pos = '1-11-4031,2-12-880'"]
"""

import shutil
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import GtidError, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.module_utils.gtid_state import merge_into_slave_pos, read_positions
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    Statement, connection_kwargs, execute_or_fail, fail_on_input_errors, mariadb_common_argument_spec, open_session,
    pymysql)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import (
    find_connection, is_running, show_all_connections, stop_connection)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication_filter import (
    check_filters, seed_databases_never_replicated, seedable_databases, table_replicated)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.seed import (
    METHODS, non_transactional, presence, select_databases, source_login, source_ssl_context)
from ansible_collections.replkit.mariadb.plugins.module_utils.seed_state import (
    describe_unfinished, read_seed_state, record_seed_phase, unfinished_seeds)
from ansible_collections.replkit.mariadb.plugins.module_utils.seed_transfer import DumpPipe, keep_aside
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import (
    make_work_dir, progress_file_problem, progress_record, rate_mib_s, remove_dead_work_dirs, write_progress_file)

# The copy's private work directory (the tools' error output) in the system's temporary directory.
WORK_DIR_PREFIX = "replkit-seed-"

# What a user does after a failed copy, whether they run the roles or the module alone.
REDO_HINT = ("with replkit.mariadb.site, nothing to set - the seed's state_file records the copy as unfinished and the "
             "next run redoes it; calling this module yourself, pass the same state_file, or force: true (the dump "
             "recreates each table it copies).")
LOCK = Statement("FLUSH TABLES WITH READ LOCK")
UNLOCK = Statement("UNLOCK TABLES")


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        source_host=dict(type="str", required=True),
        source_port=dict(type="int", default=3306),
        source_user=dict(type="str", required=True),
        source_password=dict(type="str", no_log=True),
        source_ssl=dict(type="bool", default=False),
        source_ssl_verify_server_cert=dict(type="bool"),
        source_ssl_ca=dict(type="path"),
        source_ssl_cert=dict(type="path"),
        source_ssl_key=dict(type="path"),
        method=dict(type="str", choices=list(reversed(METHODS)), default="consistent_dump"),
        databases=dict(type="list", elements="str"),
        allow_system_databases=dict(type="bool", default=False),
        non_transactional=dict(type="str", choices=["fail", "locked_dump"], default="fail"),
        force=dict(type="bool", default=False),
        keep_aside_dir=dict(type="path"),
        stop_connection=dict(type="str"),
        set_gtid_slave_pos=dict(type="bool", default=True),
        progress_file=dict(type="path"),
        state_file=dict(type="path"),
        replication_filters=dict(type="dict", default={}),
        dump_binary=dict(type="str", default="mariadb-dump"),
        client_binary=dict(type="str", default="mariadb"),
    )
    return spec


def input_errors(params):
    errors = []
    try:
        check_filters(params["replication_filters"])
    except ValueError as exc:
        errors.append("replication_filters: %s." % exc)
    if not (params["source_host"] or "").strip():
        errors.append("source_host is empty: give the source's address as this replica reaches it.")
    if not 1 <= params["source_port"] <= 65535:
        errors.append("source_port is %d: give the source's TCP port (1-65535)." % params["source_port"])
    if not (params["source_user"] or "").strip():
        errors.append("source_user is empty: give the seeding account on the source.")
    for name in params["databases"] or []:
        if not name or "\x00" in name:
            errors.append("databases has an empty name or one with a NUL byte: list the source's database names.")
    for option in ("source_host", "source_user", "source_password", "login_user", "login_password"):
        value = params.get(option)
        if value is not None and "\x00" in value:
            errors.append("%s contains a NUL byte, which a client option file cannot carry." % option)
    problem = progress_file_problem(params["progress_file"])
    if problem:
        errors.append(problem + ".")
    for option in ("dump_binary", "client_binary"):
        if not shutil.which(params[option]):
            errors.append("%s %r is not an executable on this host's PATH: install the MariaDB client "
                          "(package mariadb-client) or give its path." % (option, params[option]))
    return errors


def connect_source(module):
    params = module.params
    kwargs = connection_kwargs(source_login(params))
    try:
        context = source_ssl_context(params)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        module.fail_json(msg="Cannot set up TLS for the source with source_ssl_ca, source_ssl_cert and source_ssl_key: "
                             "%s. Nothing was changed." % exc)
    if context is not None:
        kwargs["ssl"] = context
    try:
        connection = pymysql.connect(cursorclass=pymysql.cursors.DictCursor, **kwargs)
    except Exception as exc:  # PyMySQL raises several unrelated types here
        module.fail_json(msg="Cannot log in to the source %s:%s as %r: %s. Check source_host and source_port, that the "
                             "source listens on the network, and that the seeding account exists there for this "
                             "replica's address with source_password (replkit.mariadb.mariadb_replication_user "
                             "purpose=seed)%s. Nothing was changed."
                             % (params["source_host"], params["source_port"], params["source_user"], exc,
                                "; with TLS (source_ssl), that the source offers TLS and, when it is verified, that "
                                "its certificate is signed by source_ssl_ca and names source_host"
                                if context is not None else ""))
    if context is not None:
        require_encrypted(module, connection)
    return connection


def require_encrypted(module, connection):
    """Fail unless the session to the source is encrypted (older PyMySQL goes on in plain text without TLS)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
            row = cursor.fetchone()
    except Exception as exc:  # PyMySQL raises several unrelated types here
        connection.close()
        module.fail_json(msg="Cannot check that the connection to the source %s is encrypted: %s. Nothing was changed."
                             % (module.params["source_host"], exc))
    if not row or not row.get("Value"):
        connection.close()
        module.fail_json(msg="The connection to the source %s:%s is not encrypted, but TLS was asked for (source_ssl, "
                             "or a source_ssl_* file; the link is declared ssl: true): the source offers no TLS. "
                             "Configure TLS on the source (ssl_cert, ssl_key), or drop ssl from the link. Nothing "
                             "was copied or changed." % (module.params["source_host"], module.params["source_port"]))


def databases_of(module, cursor, where):
    return [row["Database"] for row in execute_or_fail(module, cursor, Statement("SHOW DATABASES"), "list the databases " + where)]


def filtered_out_tables(module, cursor, databases, filters):
    """(database, table) of every table and view of ``databases`` that ``filters`` never replicate."""
    if not databases:
        return []
    placeholders = ", ".join(["%s"] * len(databases))
    rows = execute_or_fail(module, cursor, Statement(
        "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (%s) "
        "ORDER BY TABLE_SCHEMA, TABLE_NAME" % placeholders, tuple(databases)), "list the source's tables")
    return [(row["db"], row["name"]) for row in rows if not table_replicated(filters, row["db"], row["name"])]


def base_tables(module, cursor, databases):
    placeholders = ", ".join(["%s"] * len(databases))
    return execute_or_fail(module, cursor, Statement(
        "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES "
        "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (%s) ORDER BY TABLE_SCHEMA, TABLE_NAME" % placeholders,
        tuple(databases)), "list the source's tables")


def choose_method(module, source_cursor, databases):
    """The method to run; consistent_dump only when every table is transactional (or fails, or falls back)."""
    params = module.params
    if params["method"] != "consistent_dump":
        return params["method"]
    unsafe = non_transactional(base_tables(module, source_cursor, databases))
    if not unsafe:
        return "consistent_dump"
    if params["non_transactional"] == "locked_dump":
        module.warn("Seeding from %s with locked_dump instead of consistent_dump: %s are not transactional, so writes "
                    "on the source wait for the whole dump." % (params["source_host"], ", ".join(unsafe)))
        return "locked_dump"
    module.fail_json(msg="consistent_dump cannot copy %s from %s consistently: %s are not transactional tables, which "
                         "a snapshot does not cover. Convert them to InnoDB, or choose method locked_dump (it blocks "
                         "writes on the source for the whole dump), or set non_transactional: locked_dump to fall back "
                         "by itself (in an inventory: the source entry's seed_method, or mariadb_seed_method). Nothing "
                         "was changed." % (", ".join(databases), params["source_host"], ", ".join(unsafe)))
    return None


def seed(module, source_connection, method, databases, result, ignore_tables=()):
    """Copy; returns the GTID position of the copy. The read lock of locked_dump lives in ``source_connection``."""
    params = module.params
    result["removed_work_dirs"] = remove_dead_work_dirs(WORK_DIR_PREFIX)
    workdir = make_work_dir(WORK_DIR_PREFIX)
    cursor = source_connection.cursor()
    locked_at = None
    try:
        if method == "locked_dump":
            result["queries"].append(LOCK.sql)
            locked_at = time.time()
            execute_or_fail(module, cursor, LOCK, "lock the source for the dump")
            rows = execute_or_fail(module, cursor, Statement("SELECT @@GLOBAL.gtid_binlog_pos AS pos"),
                                   "read the source's position")
            position = rows[0]["pos"] or ""
        seeder = DumpPipe(module.params, method, databases, workdir, ignore_tables)
        seconds, failures = seeder.run()
    finally:
        if locked_at is not None:
            execute_or_fail(module, cursor, UNLOCK, "unlock the source")
            result["queries"].append(UNLOCK.sql)
            result["write_block_seconds"] = round(time.time() - locked_at, 3)
        shutil.rmtree(workdir, ignore_errors=True)
    if method == "consistent_dump":
        result["write_block_seconds"] = 0.0
        position = seeder.scanner.gtid_pos
        result.update(binlog_file=seeder.scanner.binlog_file, binlog_pos=seeder.scanner.binlog_pos)
    result.update(bytes=seeder.bytes, seconds=round(seconds, 3), rate_mb_s=rate_mib_s(seeder.bytes, seconds))
    if failures:
        module.fail_json(msg="Seeding %s from %s failed: %s. The replica may hold part of these databases now; fix the "
                             "cause and run again: %s" % (", ".join(databases), params["source_host"],
                                                          " ".join(failures), REDO_HINT), **result)
    if position is None:
        module.fail_json(msg="mariadb-dump wrote no GTID position for the copy from %s: is the binary log enabled on the "
                             "source (log_bin)? The data was copied, gtid_slave_pos was not set; enable the binary log "
                             "and run again: %s" % (params["source_host"], REDO_HINT), **result)
    return position


def stop_before_copy(module, cursor, info):
    """The statement stopping O(stop_connection) when it runs, else None."""
    name = module.params["stop_connection"]
    if name is None:
        return None
    row = find_connection(show_all_connections(cursor, info), name)
    return stop_connection(info, name) if is_running(row) else None


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_by={"state_file": "stop_connection"})
    params = module.params
    fail_on_input_errors(module, input_errors(params))
    try:
        unfinished = unfinished_seeds(read_seed_state(params["state_file"])).get((params["stop_connection"] or "").lower())
    except (OSError, ValueError) as exc:
        module.fail_json(msg="Cannot read state_file: %s. Nothing was changed." % exc)
    connection, cursor, info = open_session(module)
    source_connection = connect_source(module)
    try:
        source_cursor = source_connection.cursor()
        selected, problems = select_databases(databases_of(module, source_cursor, "of the source"),
                                              params["databases"], params["allow_system_databases"])
        fail_on_input_errors(module, ["Seeding from %s: %s. Nothing was changed." % (params["source_host"], problem)
                                      for problem in problems])
        filters = params["replication_filters"]
        if params["databases"]:
            never = seed_databases_never_replicated(filters, selected)
            fail_on_input_errors(module, ["databases %s: replication_filters never replicate them, so a copy would never "
                                          "be kept up to date; leave them out. Nothing was changed." % ", ".join(never)]
                                 if never else [])
        selected = seedable_databases(filters, selected)
        ignored = filtered_out_tables(module, source_cursor, selected, filters)
        texts, positions = read_positions(module, cursor)
        held_names = databases_of(module, cursor, "of this replica")
        held = presence(held_names, selected)
        result = dict(changed=False, method=params["method"], databases=selected, queries=[],
                      gtid_slave_pos=texts["gtid_slave_pos"], ignored_tables=["%s.%s" % pair for pair in ignored])
        before = dict(databases=[name for name in selected if held != "absent"], gtid_slave_pos=texts["gtid_slave_pos"])
        if not selected:
            module.exit_json(skipped_reason="the source has no databases to copy", **result)
        redo = params["force"] or unfinished is not None
        if unfinished is not None:
            result["redone"] = describe_unfinished(params["stop_connection"], unfinished)
        if held == "present" and not redo:
            module.exit_json(skipped_reason="the replica already holds %s" % ", ".join(selected), **result)
        if held == "partial" and not redo:
            module.fail_json(msg="This replica already holds some of the databases to seed from %s (%s) but not all: "
                                 "they would be overwritten or mixed. Compare them with the source and drop what is "
                                 "stale, restrict databases, or set force: true to overwrite. Nothing was changed."
                                 % (params["source_host"], ", ".join(selected)), **result)
        method = choose_method(module, source_cursor, selected)
        result.update(changed=True, method=method)
        if module._diff:
            predicted = dict(databases=selected, gtid_slave_pos="(the source's position of the copy, merged)")
            result["diff"] = dict(before=before, after=predicted)
        running = stop_before_copy(module, cursor, info)
        if running:
            result["queries"].append(running.masked())
        if module.check_mode:
            module.exit_json(**result)
        replaced = [name for name in selected if name in held_names]
        if params["keep_aside_dir"] and replaced:
            result["kept_aside"], failure = keep_aside(params, replaced, params["keep_aside_dir"],
                                                       params["stop_connection"])
            if failure:
                module.fail_json(msg="Keeping this server's copy aside before it is replaced failed: %s. Nothing was "
                                     "changed; fix the cause (space in keep_aside_dir, the login user's privileges) "
                                     "and run again." % failure, **result)
        record = dict(source=params["source_host"], method=method, databases=selected)
        record_seed_phase(params["state_file"], params["stop_connection"], "started", **record)
        if running:
            execute_or_fail(module, cursor, running, "stop the connection %r before the copy" % params["stop_connection"])
        position = seed(module, source_connection, method, selected, result, ignored)
        record_seed_phase(params["state_file"], params["stop_connection"], "copied", gtid_pos=position)
        result["gtid_pos"] = position
        if params["set_gtid_slave_pos"]:
            try:
                wanted = parse_gtid_pos(position)
            except GtidError as exc:
                module.fail_json(msg="The copy's GTID position %r cannot be read: %s" % (position, exc), **result)
            result["gtid_slave_pos"], queries = merge_into_slave_pos(module, cursor, info, wanted)
            result["queries"] += queries
        if module._diff:
            result["diff"]["after"] = dict(databases=selected, gtid_slave_pos=result["gtid_slave_pos"])
        record_seed_phase(params["state_file"], params["stop_connection"], "complete")
        write_progress_file(params["progress_file"], progress_record("done", result["bytes"], result["seconds"]))
        module.exit_json(**result)
    finally:
        source_connection.close()
        connection.close()


if __name__ == "__main__":
    main()
