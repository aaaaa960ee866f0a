#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_change_master
short_description: Configure, start, stop or remove one MariaDB replication connection
version_added: 0.1.0
author: replkit.mariadb contributors (@replkit)
description:
  - Manages one replication connection of a MariaDB replica (the default connection or a named multi-source
    connection) with C(CHANGE MASTER).
  - Reads the connection's current settings first and sends C(CHANGE MASTER) only with the options that differ from
    the ones given. Options not given are left as they are.
  - MariaDB refuses C(CHANGE MASTER) while a connection runs, so a connection that needs a change is stopped, changed
    and started again (unless O(state) says otherwise). No other connection is touched.
  - All input is validated before the module connects or changes anything.
  - To manage all connections of a multi-source replica in one task, use M(replkit.mariadb.mariadb_multisource).
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  connection_name:
    description:
      - The name of the replication connection. The empty string is the default (unnamed) connection.
      - Names compare case-insensitively, as MariaDB compares them, and must be shorter than 64 characters.
    type: str
    default: ''
  state:
    description:
      - V(present) configures the connection and leaves its running state as it was. A new connection stays stopped;
        a running connection that needs a change is restarted after it.
      - V(started) configures the connection and makes sure both of its threads run.
      - V(stopped) configures the connection (when options are given) and makes sure it does not run. A connection that
        does not exist is an error, unless O(primary_host) is given to create it.
      - V(absent) stops the connection and removes it with C(RESET SLAVE 'name' ALL), relay logs included. A connection
        that does not exist is fine. The other options are ignored.
    type: str
    choices: [present, started, stopped, absent]
    default: present
  update_password:
    description:
      - V(on_change) sends O(primary_password) when the connection is created and whenever it differs from the
        password the replica stores. MariaDB shows no password through SQL; the module reads it from the replica's
        master info file in the data directory (C(master.info), C(master-<name>.info)), so rotating the replication
        password takes one run. When that file cannot be read (the server is not on this host, a custom
        C(--master-info-file), a non-ASCII connection name) the password is sent, with a warning that says why.
      - V(on_create) sends it only when the connection is created.
      - V(always) sends it on every run, so the task always reports a change (and restarts a running connection).
    type: str
    choices: [on_change, on_create, always]
    default: on_change
  primary_host:
    description:
      - The host name or address of the source (C(MASTER_HOST)). Required to create a connection.
      - The module fails when the source is this server itself, found by address and port, and by logging in to the source
        with O(primary_user) and O(primary_password) to compare its C(server_id) with the replica's. When that login
        fails (the source or the account may not exist yet), it only warns.
    type: str
    aliases: [master_host]
  primary_port:
    description: The TCP port of the source (C(MASTER_PORT)), from 1 to 65535.
    type: int
    aliases: [master_port]
  primary_user:
    description: The replication account on the source (C(MASTER_USER)).
    type: str
    aliases: [master_user]
  primary_password:
    description:
      - The password of O(primary_user) (C(MASTER_PASSWORD)). Any character works; it is bound, never pasted into SQL,
        and shown only as C(********).
      - When it is sent is decided by O(update_password).
    type: str
    aliases: [master_password]
  primary_use_gtid:
    description:
      - How the connection finds its start in the source's binary log (C(MASTER_USE_GTID)).
      - V(slave_pos) resumes from C(gtid_slave_pos), V(current_pos) from C(gtid_current_pos), V(no) from binary log
        coordinates.
    type: str
    choices: [current_pos, slave_pos, "no"]
    aliases: [master_use_gtid]
  primary_log_file:
    description:
      - The source's binary log file to start from (C(MASTER_LOG_FILE)). Needs O(primary_use_gtid=no).
      - The coordinates move while replication runs, so they are never compared. They are sent when the connection is
        created and when O(primary_host), O(primary_port) or O(primary_use_gtid) change, and ignored otherwise.
    type: str
    aliases: [master_log_file]
  primary_log_pos:
    description:
      - The position in O(primary_log_file) to start from (C(MASTER_LOG_POS)), 4 or more. Needs O(primary_log_file)
        and O(primary_use_gtid=no); sent when O(primary_log_file) is.
    type: int
    aliases: [master_log_pos]
  primary_connect_retry:
    description: Seconds between reconnection attempts (C(MASTER_CONNECT_RETRY)), 1 or more.
    type: int
    aliases: [master_connect_retry]
  primary_heartbeat_period:
    description:
      - Seconds between heartbeats from an idle source (C(MASTER_HEARTBEAT_PERIOD)), from 0 (off) to 4294967, with
        millisecond resolution.
    type: float
    aliases: [master_heartbeat_period]
  primary_delay:
    description: Seconds the replica stays behind the source (C(MASTER_DELAY)), from 0 to 2147483647.
    type: int
    aliases: [master_delay]
  primary_retry_count:
    description:
      - How many times the connection tries to reconnect before giving up (C(MASTER_RETRY_COUNT)).
      - Per connection only from MariaDB 12.0; older servers reject this option with an error before anything is
        changed (set the server option C(master_retry_count) there).
    type: int
    aliases: [master_retry_count]
  primary_ssl:
    description: Whether the connection to the source uses TLS (C(MASTER_SSL)).
    type: bool
    aliases: [master_ssl]
  primary_ssl_ca:
    description:
      - The CA certificate file (C(MASTER_SSL_CA)). An empty string clears it.
      - This and the other certificate paths are read by the replica's server, so when the module runs on the
        replica's host (O(login_unix_socket), or O(login_host) C(localhost), C(127.0.0.1) or C(::1)) it fails if they
        do not exist.
    type: path
    aliases: [master_ssl_ca]
  primary_ssl_capath:
    description: A directory of CA certificates (C(MASTER_SSL_CAPATH)).
    type: path
    aliases: [master_ssl_capath]
  primary_ssl_cert:
    description: The client certificate file (C(MASTER_SSL_CERT)).
    type: path
    aliases: [master_ssl_cert]
  primary_ssl_key:
    description: The key of O(primary_ssl_cert) (C(MASTER_SSL_KEY)).
    type: path
    aliases: [master_ssl_key]
  primary_ssl_cipher:
    description: The allowed TLS ciphers (C(MASTER_SSL_CIPHER)).
    type: str
    aliases: [master_ssl_cipher]
  primary_ssl_crl:
    description: A certificate revocation list file (C(MASTER_SSL_CRL)).
    type: path
    aliases: [master_ssl_crl]
  primary_ssl_crlpath:
    description: A directory of certificate revocation lists (C(MASTER_SSL_CRLPATH)).
    type: path
    aliases: [master_ssl_crlpath]
  primary_ssl_verify_server_cert:
    description: Whether the source's certificate must match its host name (C(MASTER_SSL_VERIFY_SERVER_CERT)).
    type: bool
    aliases: [master_ssl_verify_server_cert]
  do_domain_ids:
    description:
      - Replicate only these GTID domains (C(DO_DOMAIN_IDS)). An empty list clears the filter.
      - Cannot list domains together with O(ignore_domain_ids). Order and duplicates do not matter.
    type: list
    elements: int
  ignore_domain_ids:
    description: Skip these GTID domains (C(IGNORE_DOMAIN_IDS)). An empty list clears the filter.
    type: list
    elements: int
  ignore_server_ids:
    description: Skip events written by these server ids (C(IGNORE_SERVER_IDS)). An empty list clears the filter.
    type: list
    elements: int
notes:
  - Check mode reports what would change, including the statements in RV(queries), and executes no write.
  - Diff mode shows the given options and whether the connection runs, before and after; the password only as a mask.
  - Two connections of one replica cannot use the same source host and port; the module fails before changing
    anything when the new source is already used by another connection.
  - MariaDB resets the heartbeat period to its default on every C(CHANGE MASTER) that does not name it. So whenever
    the module changes a connection, it also sends the heartbeat period the connection has (or
    O(primary_heartbeat_period)), and RV(queries) shows C(MASTER_HEARTBEAT_PERIOD) next to the changed option.
seealso:
  - module: replkit.mariadb.mariadb_multisource
  - name: CHANGE MASTER TO
    description: MariaDB's reference of the statement and its options.
    link: https://mariadb.com/kb/en/change-master-to/
"""

EXAMPLES = r"""
- name: Replicate from db1 through the named connection db1, GTID based, and run it
  replkit.mariadb.mariadb_change_master:
    connection_name: db1
    primary_host: db1.example.com
    primary_user: repl
    primary_password: "{{ repl_password }}"
    primary_use_gtid: slave_pos
    primary_connect_retry: 10
    state: started
    login_user: admin
    login_password: "{{ admin_password }}"

- name: Delay the default connection by one hour; a running connection is stopped, changed and started again
  replkit.mariadb.mariadb_change_master:
    primary_delay: 3600
    login_unix_socket: /run/mysqld/mysqld.sock

- name: Start from binary log coordinates of a backup
  replkit.mariadb.mariadb_change_master:
    connection_name: legacy
    primary_host: 10.0.0.5
    primary_user: repl
    primary_password: "{{ repl_password }}"
    primary_use_gtid: "no"
    primary_log_file: mariadb-bin.000042
    primary_log_pos: 1337

- name: Stop a connection
  replkit.mariadb.mariadb_change_master:
    connection_name: db1
    state: stopped

- name: Remove a connection and its relay logs
  replkit.mariadb.mariadb_change_master:
    connection_name: db1
    state: absent
"""

RETURN = r"""
connection_name:
  description: The connection managed.
  returned: always
  type: str
  sample: db1
queries:
  description: The statements that changed the server (or would, in check mode), values inlined, the password masked.
  returned: always
  type: list
  elements: str
  sample: ["STOP REPLICA 'db1'", "CHANGE MASTER 'db1' TO MASTER_HEARTBEAT_PERIOD=30.0, MASTER_DELAY=3600",
           "START REPLICA 'db1'"]
status:
  description:
    - The connection's status after the task (in check mode, before it); empty when the connection does not exist.
    - Keys C(connection_name), C(primary_host), C(primary_port), C(primary_user), C(using_gtid), C(io_running),
      C(sql_running), C(seconds_behind_primary), C(gtid_io_pos), C(last_io_errno), C(last_io_error),
      C(last_sql_errno) and C(last_sql_error).
  returned: always
  type: dict
  sample: {"connection_name": "db1", "primary_host": "db1.example.com", "primary_port": 3306, "primary_user": "repl",
           "using_gtid": "Slave_Pos", "io_running": "Yes", "sql_running": "Yes", "seconds_behind_primary": 0,
           "gtid_io_pos": "1-1-42", "last_io_errno": 0, "last_io_error": "", "last_sql_errno": 0, "last_sql_error": ""}
"""

from ansible_collections.replkit.mariadb.plugins.module_utils.change_master import (
    change_master_argument_spec, changed_options, connection_name_error, connection_statements, current_options,
    diff_view, missing_ssl_files, option_errors, password_to_send, removal_statements)
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    execute, fail_on_input_errors, is_local_login, login_description, mariadb_common_argument_spec, open_session,
    run_statements)
from ansible_collections.replkit.mariadb.plugins.module_utils.master_info import stored_password_reader
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import (
    compact_status, find_connection, is_running, show_all_connections, start_connection, with_heartbeat)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication_source import (
    conflicting_connection, self_replication_error, source_endpoint)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule

RUNNING_BY_STATE = {"present": "keep", "started": "start", "stopped": "stop"}


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(change_master_argument_spec())
    spec.update(
        connection_name=dict(type="str", default=""),
        state=dict(type="str", choices=["present", "started", "stopped", "absent"], default="present"),
        update_password=dict(type="str", choices=["on_change", "on_create", "always"], default="on_change", no_log=False),
    )
    return spec


def input_errors(params):
    """Everything wrong with the input that is knowable before connecting."""
    errors = [error for error in [connection_name_error(params["connection_name"])] if error]
    if params["state"] != "absent":
        errors += option_errors(params)
        if is_local_login(params):
            errors += missing_ssl_files(params)
    return errors


def running_after(row, running):
    if running == "start":
        return True
    if running == "stop":
        return False
    return is_running(row)


def plan(module, cursor, info, rows, row):
    """(statements, diff) that bring the connection to what the parameters ask for."""
    params = module.params
    name = params["connection_name"]
    if params["state"] == "absent":
        if row is None:
            return [], {"before": {}, "after": {}}
        before = dict(current_options(row), running=is_running(row))
        return removal_statements(info, name, row), {"before": before, "after": {}}
    if row is None and not params.get("primary_host"):
        module.fail_json(msg="Connection %r does not exist on %s, and primary_host is not given to create it. Give "
                             "primary_host (and the other source options), or check connection_name." % (
                                 name, login_description(params)))
    row = with_heartbeat(cursor, row, params)
    send_password, warning = password_to_send(row, params, params["update_password"], stored_password_reader(cursor, params))
    if warning:
        module.warn(warning)
    changes = changed_options(row, params, send_password)
    if row is None or {"primary_host", "primary_port"} & set(changes):
        host, port = source_endpoint(row, params)
        other = conflicting_connection(rows, name, host, port)
        if other is not None:
            module.fail_json(msg="Connection %r already replicates from %s:%s; MariaDB allows one connection per source. "
                                 "Remove or repoint %r first, or manage this source through it." % (other, host, port, other))
        error = self_replication_error(cursor, row, params, name, warn=module.warn)
        if error:
            module.fail_json(msg=error)
    running = RUNNING_BY_STATE[params["state"]]
    statements = connection_statements(info, name, row, changes, running)
    before, after = diff_view(row, params, changes, running_after(row, running))
    return statements, {"before": before, "after": after}


def restarter(module, cursor, info, row):
    """After a failed change: start the connection again if this run stopped it and it should run."""
    def recover(executed):
        stopped = any(statement.sql.startswith("STOP") for statement in executed)
        if not stopped or module.params["state"] == "stopped" or not is_running(row):
            return None
        try:
            execute(cursor, start_connection(info, module.params["connection_name"]))
        except Exception as exc:  # report, don't mask the original failure
            return "Starting the connection again failed too (%s); it is stopped." % exc
        return "The connection was started again with its previous settings."
    return recover


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    fail_on_input_errors(module, input_errors(params))

    connection, cursor, info = open_session(module)
    if params["state"] != "absent":
        fail_on_input_errors(module, option_errors(params, info.version))
    name = params["connection_name"]
    rows = show_all_connections(cursor, info)
    row = find_connection(rows, name)
    statements, diff = plan(module, cursor, info, rows, row)

    if statements and not module.check_mode:
        run_statements(module, cursor, statements, recover=restarter(module, cursor, info, row))
        row = find_connection(show_all_connections(cursor, info), name)
    connection.close()
    module.exit_json(changed=bool(statements), connection_name=name, queries=[s.masked() for s in statements],
                     diff=diff, status=compact_status(row))


if __name__ == "__main__":
    main()
