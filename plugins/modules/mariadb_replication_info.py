#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_replication_info
short_description: Report the replication state of a MariaDB server
version_added: 0.1.0
author: replkit.mariadb contributors (@replkit)
description:
  - Reports every replication connection of the server (C(SHOW ALL SLAVES STATUS)) with normalised, typed keys that
    are the same on MariaDB 10.5, 10.11 and 11.8, plus a RV(connections[].healthy) verdict per connection.
  - Reports the server's GTID positions, the variables that matter for replication, and its databases.
  - Read-only; never changes anything.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes.read_only
options:
  connection_name:
    description:
      - Report only the replication connection of this name (compared case-insensitively, as MariaDB does).
        V('') is the default, unnamed connection.
      - When no connection has that name, RV(connections) is empty.
    type: str
  seed_state_file:
    description:
      - The seed state file on this host (written by M(replkit.mariadb.mariadb_seed) and
        M(replkit.mariadb.mariadb_backup_restore) with their O(replkit.mariadb.mariadb_seed#module:state_file)). Its
        seeds that started and never completed are returned in RV(unfinished_seeds). A missing file means none.
    type: path
    version_added: 0.3.0
notes:
  - Supports check mode; it behaves the same as a normal run.
seealso:
  - module: replkit.mariadb.mariadb_gtid_pos
"""

EXAMPLES = r"""
- name: Read the replication state
  replkit.mariadb.mariadb_replication_info:
    login_user: admin
    login_password: "{{ admin_password }}"
  register: replication

- name: Fail when a connection is broken
  ansible.builtin.assert:
    that: replication.connections | rejectattr('healthy') | list | length == 0
    fail_msg: "{{ replication.connections | rejectattr('healthy') | map(attribute='connection_name') | list }} broken"

- name: Read one connection
  replkit.mariadb.mariadb_replication_info:
    connection_name: source_a
    login_user: admin
    login_password: "{{ admin_password }}"
  register: source_a
"""

RETURN = r"""
unfinished_seeds:
  description:
    - Connection name (lower case) -> the entry of O(seed_state_file) of every seed that started and never completed
      (C(phase), C(source), C(method), C(databases), C(started_at)). Empty without O(seed_state_file).
  returned: always
  type: dict
  sample: {"db1": {"phase": "started", "source": "10.0.0.11", "method": "consistent_dump", "databases": ["shop"]}}
  version_added: 0.3.0
gtid_slave_pos_engine:
  description:
    - The storage engine of C(mysql.gtid_slave_pos), where a replica records the position it applied. Only a
      transactional engine (InnoDB) records it in the same transaction as the applied rows, so a crash never leaves the
      position out of step with the data.
  returned: always
  type: str
  sample: InnoDB
  version_added: 0.3.0
non_transactional_tables:
  description:
    - The base tables of RV(databases) whose engine is not transactional (anything but InnoDB, for example MyISAM,
      Aria or MEMORY), as C(database.table) with the engine. A consistent snapshot cannot copy them consistently,
      so the seeding is planned (and refused) knowing them, before any server changes.
  returned: always
  type: list
  elements: dict
  sample: [{"table": "shop.legacy_log", "engine": "MyISAM"}]
  version_added: 0.3.0
databases:
  description:
    - The server's databases except C(mysql), C(information_schema), C(performance_schema) and C(sys), sorted as the
      server lists them. The seeding step reads them to decide which replica still needs its source's data.
  returned: always
  type: list
  elements: str
  sample: [shop, shop_audit]
  version_added: 0.2.0
connections:
  description:
    - One entry per replication connection, sorted by name.
    - Keys use the collection's primary/replica wording, as the modules' options and the topology plan do
      (C(primary_host), C(io_running), C(seconds_behind_primary)); MariaDB's own column names
      (C(Master_Host), C(Slave_IO_Running)) are kept in RV(connections[].raw). Before 0.5.0 the keys were
      C(master_host), C(slave_io_running) and so on.
  returned: always
  type: list
  elements: dict
  contains:
    connection_name:
      description: The connection's name; V('') for the default connection.
      type: str
      sample: source_a
    healthy:
      description: V(true) when both threads run and neither reports an error.
      type: bool
      sample: true
    primary_host:
      description: The source's host.
      type: str
      sample: db1.example.com
    primary_port:
      description: The source's port.
      type: int
      sample: 3306
    primary_user:
      description: The user the connection logs in to the source as.
      type: str
      sample: repl
    primary_server_id:
      description: The server_id of the source, V(0) until the connection first reached it.
      type: int
      sample: 1
    io_running:
      description: State of the IO thread, V(Yes), V(No) or V(Connecting).
      type: str
      sample: "Yes"
    sql_running:
      description: State of the SQL thread, V(Yes) or V(No).
      type: str
      sample: "Yes"
    io_state:
      description: What the IO thread is doing, in the server's words.
      type: str
      sample: Waiting for master to send event
    sql_state:
      description: What the SQL thread is doing, in the server's words.
      type: str
      sample: Slave has read all relay log; waiting for more updates
    seconds_behind_primary:
      description: The server's estimate of the lag in seconds; V(null) when the SQL or IO thread does not run.
      type: int
      sample: 0
    last_io_errno:
      description: The last IO thread error number, V(0) when none.
      type: int
      sample: 2003
    last_io_error:
      description: The last IO thread error message, empty when none.
      type: str
      sample: ""
    last_sql_errno:
      description: The last SQL thread error number, V(0) when none.
      type: int
      sample: 0
    last_sql_error:
      description: The last SQL thread error message, empty when none.
      type: str
      sample: ""
    using_gtid:
      description: How the connection positions itself, lower case, V(no), V(slave_pos) or V(current_pos).
      type: str
      sample: slave_pos
    gtid_io_pos:
      description: The GTID position the IO thread has received up to.
      type: str
      sample: "1-1-100"
    primary_log_file:
      description: The source's binary log file the IO thread reads.
      type: str
      sample: mariadb-bin.000003
    read_primary_log_pos:
      description: The offset in RV(connections[].primary_log_file) the IO thread has read up to.
      type: int
      sample: 743
    relay_primary_log_file:
      description: The source's binary log file of the last event the SQL thread executed.
      type: str
      sample: mariadb-bin.000003
    exec_primary_log_pos:
      description: The offset in RV(connections[].relay_primary_log_file) the SQL thread has executed up to.
      type: int
      sample: 743
    connect_retry:
      description: Seconds between connection attempts.
      type: int
      sample: 60
    sql_delay:
      description: The configured delay (C(MASTER_DELAY)) in seconds.
      type: int
      sample: 0
    sql_remaining_delay:
      description: Seconds left before the SQL thread applies the next delayed event, V(null) when not waiting.
      type: int
      sample: null
    replicate_do_domain_ids:
      description: The domain ids the connection replicates exclusively (C(DO_DOMAIN_IDS)).
      type: list
      elements: int
      sample: []
    replicate_ignore_domain_ids:
      description: The domain ids the connection skips (C(IGNORE_DOMAIN_IDS)).
      type: list
      elements: int
      sample: [2]
    replicate_ignore_server_ids:
      description: The server ids whose events the connection skips (C(IGNORE_SERVER_IDS)).
      type: list
      elements: int
      sample: []
    primary_ssl_allowed:
      description: Whether the connection uses TLS.
      type: bool
      sample: false
    parallel_mode:
      description: The connection's parallel replication mode.
      type: str
      sample: optimistic
    raw:
      description:
        - The full row as the server reported it, column names unchanged. Columns differ between MariaDB versions;
          values that are not strings, numbers or null are converted to strings.
      type: dict
      sample: {"Connection_name": "source_a", "Slave_IO_Running": "Yes"}
gtid_binlog_pos:
  description: The server's C(gtid_binlog_pos).
  returned: always
  type: str
  sample: "0-1-100"
gtid_current_pos:
  description: The server's C(gtid_current_pos).
  returned: always
  type: str
  sample: "0-1-100,1-2-5"
gtid_slave_pos:
  description: The server's C(gtid_slave_pos).
  returned: always
  type: str
  sample: "1-2-5"
server_id:
  description: The server's C(server_id).
  returned: always
  type: int
  sample: 1
gtid_domain_id:
  description: The GTID domain id of transactions this server writes.
  returned: always
  type: int
  sample: 0
gtid_strict_mode:
  description: Whether C(gtid_strict_mode) is on.
  returned: always
  type: bool
  sample: false
read_only:
  description: Whether C(read_only) is on (any value but C(OFF) counts as on).
  returned: always
  type: bool
  sample: false
log_bin:
  description: Whether the binary log is enabled.
  returned: always
  type: bool
  sample: true
binlog_do_db:
  description:
    - The databases this server alone writes to its binary log (C(binlog_do_db), read from C(SHOW MASTER STATUS), as
      MariaDB has no system variable for it). Empty when it logs every database, or when the binary log is off.
    - Changes to other databases never reach a replica of this server.
  returned: always
  type: list
  elements: str
  sample: []
  version_added: 0.5.0
binlog_ignore_db:
  description:
    - The databases this server keeps out of its binary log (C(binlog_ignore_db), from C(SHOW MASTER STATUS)), as
      seed 000's masters set it. Empty when none, or when the binary log is off. Changes to them never reach a
      replica of this server. MariaDB ignores this list when RV(binlog_do_db) is not empty.
  returned: always
  type: list
  elements: str
  sample: [scratch]
  version_added: 0.5.0
log_slave_updates:
  description: Whether replicated transactions are written to this server's binary log.
  returned: always
  type: bool
  sample: true
version:
  description: The server's version string.
  returned: always
  type: str
  sample: 10.11.6-MariaDB-0+deb12u1-log
"""

from ansible_collections.replkit.mariadb.plugins.module_utils.binlog_filter import parse_master_status
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    fetch_global_variables, mariadb_common_argument_spec, open_session)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import find_connection, show_all_connections
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.seed import SYSTEM_DATABASES
from ansible_collections.replkit.mariadb.plugins.module_utils.seed_state import read_seed_state, unfinished_seeds

SERVER_VARIABLES = ("gtid_binlog_pos", "gtid_current_pos", "gtid_slave_pos", "server_id", "gtid_domain_id",
                    "gtid_strict_mode", "read_only", "log_bin", "log_slave_updates", "log_replica_updates")

# Normalised key -> server column(s), first present wins (REPLICA spellings guard against renamed columns).
TEXT_COLUMNS = (
    ("connection_name", ("Connection_name",)),
    ("primary_host", ("Master_Host", "Source_Host")),
    ("primary_user", ("Master_User", "Source_User")),
    ("io_running", ("Slave_IO_Running", "Replica_IO_Running")),
    ("sql_running", ("Slave_SQL_Running", "Replica_SQL_Running")),
    ("io_state", ("Slave_IO_State", "Replica_IO_State")),
    ("sql_state", ("Slave_SQL_State", "Slave_SQL_Running_State", "Replica_SQL_Running_State")),
    ("last_io_error", ("Last_IO_Error",)),
    ("last_sql_error", ("Last_SQL_Error",)),
    ("gtid_io_pos", ("Gtid_IO_Pos",)),
    ("primary_log_file", ("Master_Log_File", "Source_Log_File")),
    ("relay_primary_log_file", ("Relay_Master_Log_File", "Relay_Source_Log_File")),
    ("parallel_mode", ("Parallel_Mode",)),
)
INT_COLUMNS = (
    ("primary_port", ("Master_Port", "Source_Port")),
    ("primary_server_id", ("Master_Server_Id", "Source_Server_Id")),
    ("last_io_errno", ("Last_IO_Errno",)),
    ("last_sql_errno", ("Last_SQL_Errno",)),
    ("read_primary_log_pos", ("Read_Master_Log_Pos", "Read_Source_Log_Pos")),
    ("exec_primary_log_pos", ("Exec_Master_Log_Pos", "Exec_Source_Log_Pos")),
    ("connect_retry", ("Connect_Retry",)),
    ("sql_delay", ("SQL_Delay",)),
)
NULLABLE_INT_COLUMNS = (
    ("seconds_behind_primary", ("Seconds_Behind_Master", "Seconds_Behind_Source")),
    ("sql_remaining_delay", ("SQL_Remaining_Delay",)),
)
ID_LIST_COLUMNS = (
    ("replicate_do_domain_ids", ("Replicate_Do_Domain_Ids",)),
    ("replicate_ignore_domain_ids", ("Replicate_Ignore_Domain_Ids",)),
    ("replicate_ignore_server_ids", ("Replicate_Ignore_Server_Ids",)),
)


def _column(row, names):
    for name in names:
        if name in row:
            return row[name]
    return None


def to_int(value, default=None):
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def to_bool(value):
    """Server switches arrive as ON/OFF, Yes/No, 1/0 or, for read_only on 11.x, an enum name."""
    if value is None:
        return False
    return str(value).strip().upper() not in ("", "0", "OFF", "NO", "FALSE")


def to_id_list(value):
    """'1,2' or '2 1,3' (the server's list formats) -> [1, 2, 3]."""
    return sorted({int(part) for part in str(value or "").replace(",", " ").split() if part.isdigit()})


def json_safe(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def normalize_connection(row):
    """One SHOW ALL SLAVES STATUS row -> the documented, typed keys plus ``raw``."""
    entry = {key: str(_column(row, names) or "") for key, names in TEXT_COLUMNS}
    entry.update({key: to_int(_column(row, names), 0) for key, names in INT_COLUMNS})
    entry.update({key: to_int(_column(row, names)) for key, names in NULLABLE_INT_COLUMNS})
    entry.update({key: to_id_list(_column(row, names)) for key, names in ID_LIST_COLUMNS})
    entry["using_gtid"] = str(_column(row, ("Using_Gtid",)) or "No").lower()
    entry["primary_ssl_allowed"] = to_bool(_column(row, ("Master_SSL_Allowed", "Source_SSL_Allowed")))
    entry["healthy"] = (entry["io_running"] == "Yes" and entry["sql_running"] == "Yes"
                        and entry["last_io_errno"] == 0 and entry["last_sql_errno"] == 0)
    entry["raw"] = {key: json_safe(value) for key, value in row.items()}
    return entry


def server_facts(variables, info):
    """The top-level return values from the global variables."""
    log_updates = variables.get("log_slave_updates", variables.get("log_replica_updates"))
    return dict(
        gtid_binlog_pos=variables.get("gtid_binlog_pos") or "",
        gtid_current_pos=variables.get("gtid_current_pos") or "",
        gtid_slave_pos=variables.get("gtid_slave_pos") or "",
        server_id=to_int(variables.get("server_id"), 0),
        gtid_domain_id=to_int(variables.get("gtid_domain_id"), 0),
        gtid_strict_mode=to_bool(variables.get("gtid_strict_mode")),
        read_only=to_bool(variables.get("read_only")),
        log_bin=to_bool(variables.get("log_bin")),
        log_slave_updates=to_bool(log_updates),
        version=info.version_string,
    )


def main():
    spec = mariadb_common_argument_spec()
    spec.update(connection_name=dict(type="str"), seed_state_file=dict(type="path"))
    module = ReplkitModule(argument_spec=spec, supports_check_mode=True)
    try:
        unfinished = unfinished_seeds(read_seed_state(module.params["seed_state_file"]))
    except (OSError, ValueError) as exc:
        module.fail_json(msg="Cannot read seed_state_file: %s" % exc)
    connection, cursor, info = open_session(module)
    try:
        try:
            variables = fetch_global_variables(cursor, SERVER_VARIABLES)
            rows = show_all_connections(cursor, info)
            cursor.execute("SHOW DATABASES")
            databases = [row["Database"] for row in cursor.fetchall()
                         if row["Database"].lower() not in SYSTEM_DATABASES]
            cursor.execute("SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES "
                           "WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE IS NOT NULL AND ENGINE <> 'InnoDB' "
                           "ORDER BY TABLE_SCHEMA, TABLE_NAME")
            non_transactional = [{"table": "%s.%s" % (row["db"], row["name"]), "engine": row["engine"]}
                                 for row in cursor.fetchall() if row["db"].lower() not in SYSTEM_DATABASES]
            cursor.execute("SELECT ENGINE AS engine FROM information_schema.TABLES "
                           "WHERE TABLE_SCHEMA = 'mysql' AND TABLE_NAME = 'gtid_slave_pos'")
            engines = [row["engine"] for row in cursor.fetchall()]
            # No variable holds the binary-log filters (@@binlog_ignore_db is unknown on 10.11); no row: no binlog.
            cursor.execute("SHOW MASTER STATUS")
            binlog_filters = parse_master_status(cursor.fetchone()) or {"do": [], "ignore": []}
        except Exception as exc:  # PyMySQL raises several unrelated types
            module.fail_json(msg="Cannot read the replication state of the server: %s. The login user needs the "
                                 "REPLICATION MONITOR and BINLOG MONITOR (or REPLICATION CLIENT / SUPER) privileges." % exc)
        name = module.params["connection_name"]
        if name is not None:
            row = find_connection(rows, name)
            rows = [row] if row is not None else []
        connections = sorted((normalize_connection(row) for row in rows), key=lambda entry: entry["connection_name"])
        module.exit_json(changed=False, connections=connections, databases=databases,
                         non_transactional_tables=non_transactional, unfinished_seeds=unfinished,
                         gtid_slave_pos_engine=engines[0] if engines else "",
                         binlog_do_db=binlog_filters["do"], binlog_ignore_db=binlog_filters["ignore"],
                         **server_facts(variables, info))
    finally:
        connection.close()


if __name__ == "__main__":
    main()
