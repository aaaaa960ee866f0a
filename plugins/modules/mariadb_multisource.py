#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_multisource
short_description: Manage all replication connections of a MariaDB multi-source replica in one task
version_added: 0.1.0
author: replkit.mariadb contributors (@replkit)
description:
  - Brings the named replication connections of one replica to the list given in O(connections) -
    adds missing connections, changes only the options that differ, and with O(purge) removes connections not listed
    (with O(purge_user), only those made with that replication account - the connections a tool created, not the ones
    made by hand).
  - Every connection is compared like M(replkit.mariadb.mariadb_change_master) compares one; a connection that needs a
    change is stopped, changed and (when it ran, or O(state=started)) started again. Unchanged connections are not
    touched.
  - Validates all connections before changing anything - names (unique regardless of case, shorter than 64
    characters), options, sources used by two connections, sources that are this server - and fails with nothing
    changed when one is wrong.
  - O(skip_events) skips events of one connection that stopped on an error, and returns what it skips (the
    connection's SQL error and the event groups, read from its relay log). It is an explicit action and always
    reports a change; in check mode it returns what would be skipped, skipping nothing.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  connections:
    description:
      - The replication connections of the replica. Each entry takes the options of
        M(replkit.mariadb.mariadb_change_master) (with the same aliases) and a O(connections[].name).
      - Options an entry does not give are left as they are on the server.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The connection name; the empty string is the default connection. Names compare case-insensitively
            and must be unique in the list regardless of case.
        type: str
        required: true
      primary_host:
        description: The source host (C(MASTER_HOST)). Required for a connection that does not exist yet.
        type: str
        aliases: [master_host]
      primary_port:
        description: The source port (C(MASTER_PORT)), 1 to 65535.
        type: int
        aliases: [master_port]
      primary_user:
        description: The replication account on the source (C(MASTER_USER)).
        type: str
        aliases: [master_user]
      primary_password:
        description: The password of O(connections[].primary_user); sent as O(update_password) says, shown masked.
        type: str
        aliases: [master_password]
      primary_use_gtid:
        description: C(MASTER_USE_GTID).
        type: str
        choices: [current_pos, slave_pos, "no"]
        aliases: [master_use_gtid]
      primary_log_file:
        description:
          - C(MASTER_LOG_FILE); needs O(connections[].primary_use_gtid=no). Never compared; sent when the connection
            is created or its host, port or GTID mode changes.
        type: str
        aliases: [master_log_file]
      primary_log_pos:
        description: C(MASTER_LOG_POS), 4 or more; needs O(connections[].primary_log_file).
        type: int
        aliases: [master_log_pos]
      primary_connect_retry:
        description: C(MASTER_CONNECT_RETRY) in seconds, 1 or more.
        type: int
        aliases: [master_connect_retry]
      primary_heartbeat_period:
        description: C(MASTER_HEARTBEAT_PERIOD) in seconds, 0 to 4294967, millisecond resolution.
        type: float
        aliases: [master_heartbeat_period]
      primary_delay:
        description: C(MASTER_DELAY) in seconds, 0 to 2147483647.
        type: int
        aliases: [master_delay]
      primary_retry_count:
        description: C(MASTER_RETRY_COUNT); MariaDB 12.0 or newer.
        type: int
        aliases: [master_retry_count]
      primary_ssl:
        description: C(MASTER_SSL).
        type: bool
        aliases: [master_ssl]
      primary_ssl_ca:
        description: C(MASTER_SSL_CA); must exist when the module runs on the replica's host.
        type: path
        aliases: [master_ssl_ca]
      primary_ssl_capath:
        description: C(MASTER_SSL_CAPATH).
        type: path
        aliases: [master_ssl_capath]
      primary_ssl_cert:
        description: C(MASTER_SSL_CERT).
        type: path
        aliases: [master_ssl_cert]
      primary_ssl_key:
        description: C(MASTER_SSL_KEY).
        type: path
        aliases: [master_ssl_key]
      primary_ssl_cipher:
        description: C(MASTER_SSL_CIPHER).
        type: str
        aliases: [master_ssl_cipher]
      primary_ssl_crl:
        description: C(MASTER_SSL_CRL).
        type: path
        aliases: [master_ssl_crl]
      primary_ssl_crlpath:
        description: C(MASTER_SSL_CRLPATH).
        type: path
        aliases: [master_ssl_crlpath]
      primary_ssl_verify_server_cert:
        description: C(MASTER_SSL_VERIFY_SERVER_CERT).
        type: bool
        aliases: [master_ssl_verify_server_cert]
      do_domain_ids:
        description: C(DO_DOMAIN_IDS); an empty list clears it. Not together with O(connections[].ignore_domain_ids).
        type: list
        elements: int
      ignore_domain_ids:
        description: C(IGNORE_DOMAIN_IDS); an empty list clears it.
        type: list
        elements: int
      ignore_server_ids:
        description: C(IGNORE_SERVER_IDS); an empty list clears it.
        type: list
        elements: int
  purge:
    description:
      - When V(true), named connections that O(connections) does not list are stopped and removed with
        C(RESET SLAVE 'name' ALL) - all of them, or with O(purge_user) only those that log in to their source as that
        user.
      - C(RESET SLAVE 'name' ALL) removes that connection's settings and relay logs only. C(gtid_slave_pos), which
        holds the applied position of every GTID domain for all connections, is never changed, so the other
        connections, and a connection created later for the same domain, go on from where they were.
      - The default connection (empty name) is never purged; remove it with M(replkit.mariadb.mariadb_change_master)
        and O(replkit.mariadb.mariadb_change_master#module:state=absent).
      - The unlisted connections left in place are returned in RV(unmanaged_connections).
    type: bool
    default: false
  purge_user:
    description:
      - With O(purge=true), only unlisted named connections whose replication user (C(Master_User) in
        C(SHOW ALL SLAVES STATUS)) is exactly this user are removed; unlisted connections of any other user are left
        alone and returned in RV(unmanaged_connections).
      - Meant for the account a tool wires every connection with (the C(replkit.mariadb.topology) role passes
        C(mariadb_replication_user)) - the connections it created go when it no longer lists them, connections made
        by hand with another account stay. A connection made by hand with this very account counts as the tool's and
        is removed.
      - Compared exactly, case included, as MariaDB compares user names. Must not be empty. No effect without
        O(purge=true).
    type: str
  state:
    description:
      - V(started) makes every listed connection run at the end - with one C(START ALL SLAVES) when several need a
        start and the replica has no connection besides the listed ones, otherwise one C(START SLAVE 'name') each.
      - V(present) leaves running states as they were; a running connection that needs a change is restarted after it,
        new connections stay stopped.
    type: str
    choices: [started, present]
    default: started
  update_password:
    description:
      - V(on_change) sends a connection's password when the connection is created and whenever it differs from the
        password the replica stores. MariaDB shows no password through SQL; the module reads it from the replica's
        master info file in the data directory (C(master.info), C(master-<name>.info)), so rotating the replication
        password takes one run. When that file cannot be read (the server is not on this host, a custom
        C(--master-info-file), a non-ASCII connection name) the password is sent, with a warning that says why.
      - V(on_create) sends it only when the connection is created.
      - V(always) sends it on every run, which always reports a change.
      - Sending a password restarts a running connection (MariaDB refuses CHANGE MASTER on a running one).
    type: str
    choices: [on_change, on_create, always]
    default: on_change
  skip_events:
    description:
      - Skip events of one connection, typically one that stopped on an error. Runs after the connections are
        configured - C(STOP SLAVE 'name'), C(SET @@default_master_connection='name'),
        C(SET GLOBAL sql_slave_skip_counter=N), C(START SLAVE 'name') - so the connection runs afterwards. No other
        connection is stopped.
      - Before anything changes, the module reads what will be skipped from the connection's relay log
        (C(SHOW RELAYLOG 'name' EVENTS IN 'file' FROM position), at the connection's C(Relay_Log_File) and
        C(Relay_Log_Pos); a GTID connection restarts after its C(gtid_slave_pos), so groups it holds are left out) and
        returns it in RV(skipped_events).
      - A GTID connection that applies in parallel on a replica whose C(gtid_slave_pos) has several domains (a
        multi-source aggregator) cannot take the skip counter (MariaDB error 1966). Its own C(slave_parallel_mode)
        is set to V(none) for the skip, and set back once the skip is done, which stops its SQL thread once more for
        a moment.
      - Skipped events are lost on this replica. Always reports a change; never done unless asked.
    type: dict
    suboptions:
      connection:
        description: The name of the connection, which must be listed in O(connections) or exist on the replica.
        type: str
        required: true
      count:
        description:
          - How many events to skip (the C(sql_slave_skip_counter)), 1 or more. MariaDB finishes the event group the
            count ends in, so V(1) skips one whole group (a transaction, or a stand-alone statement such as DDL).
          - Without O(skip_events.count) and O(skip_events.groups), V(1).
        type: int
      groups:
        description:
          - How many event groups to skip, 1 or more, instead of O(skip_events.count). The module counts the events of
            the groups in the relay log and sets the counter that skips exactly these groups.
          - More than one needs the groups before the last in the relay log; when they are not there (the source has
            not sent them yet) the module fails, with nothing changed.
        type: int
        version_added: 0.5.0
      timeout:
        description:
          - Seconds to wait after the connection started for the skip to be done (its skip counter back to 0) or its
            SQL thread to stop. The module fails when the skip is not done by then (it still happens once the events
            arrive), or when the SQL thread stopped before it was done.
          - V(0) returns at once; not allowed when the connection's parallel mode has to be set back.
        type: int
        default: 60
        version_added: 0.5.0
notes:
  - Check mode reports what would change, including the statements in RV(queries), and executes no write; with
    O(skip_events), RV(skipped_events) shows what would be skipped.
  - Diff mode shows, per connection, the given options and whether it runs, before and after; passwords as masks.
  - MariaDB allows one connection per source host and port; two entries with the same source are rejected.
  - A changed connection also gets its current heartbeat period re-sent, as MariaDB would otherwise reset it (see
    M(replkit.mariadb.mariadb_change_master)).
seealso:
  - module: replkit.mariadb.mariadb_change_master
  - name: Multi-source replication
    description: MariaDB's description of named replication connections.
    link: https://mariadb.com/kb/en/multi-source-replication/
"""

EXAMPLES = r"""
- name: Aggregate two sources, each writing its own GTID domain, and remove any other named connection
  replkit.mariadb.mariadb_multisource:
    connections:
      - name: db1
        primary_host: db1.example.com
        primary_user: repl
        primary_password: "{{ repl_password }}"
        primary_use_gtid: slave_pos
      - name: db2
        primary_host: db2.example.com
        primary_user: repl
        primary_password: "{{ repl_password }}"
        primary_use_gtid: slave_pos
        primary_delay: 600
    purge: true
    login_user: admin
    login_password: "{{ admin_password }}"

- name: Remove only the connections made with the account repl that are no longer listed; keep hand-made ones
  replkit.mariadb.mariadb_multisource:
    connections:
      - name: db1
        primary_host: db1.example.com
        primary_user: repl
        primary_password: "{{ repl_password }}"
        primary_use_gtid: slave_pos
    purge: true
    purge_user: repl
    login_user: admin
    login_password: "{{ admin_password }}"
  register: wiring

- name: Name the connections that were left alone
  ansible.builtin.debug:
    msg: "{{ wiring.unmanaged_connections | map(attribute='name') | list }}"
  when: wiring.unmanaged_connections | length > 0

- name: Skip the one event that stopped connection db2 with a duplicate-key error
  replkit.mariadb.mariadb_multisource:
    connections:
      - name: db1
      - name: db2
    skip_events:
      connection: db2
      count: 1
    login_user: admin
    login_password: "{{ admin_password }}"

- name: Show the two transactions a skip on connection db2 would skip, touching no other connection
  replkit.mariadb.mariadb_multisource:
    connections: []
    state: present
    skip_events:
      connection: db2
      groups: 2
    login_unix_socket: /run/mysqld/mysqld.sock
  check_mode: true
  register: db2_skip

- name: Print the events
  ansible.builtin.debug:
    msg: "{{ db2_skip.skipped_events.event_groups | map(attribute='events') | flatten | map(attribute='info') | list }}"
"""

RETURN = r"""
queries:
  description: The statements that changed the server (or would, in check mode), values inlined, passwords masked.
  returned: always
  type: list
  elements: str
  sample: ["CHANGE MASTER 'db1' TO MASTER_HOST='db1.example.com', MASTER_USER='repl', MASTER_PASSWORD='********'",
           "START ALL REPLICAS"]
connections:
  description:
    - Per listed or purged connection - C(name), C(action) (V(created), V(updated), V(unchanged) or V(removed)),
      C(changed), the C(options) that were set (passwords masked) and its C(status) after the task (in check mode,
      before it), with the keys described for RV(replkit.mariadb.mariadb_change_master#module:status).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "db1", "action": "created", "changed": true, "options": {"primary_host": "db1.example.com"},
            "status": {"connection_name": "db1", "io_running": "Yes", "sql_running": "Yes"}}]
unmanaged_connections:
  description:
    - The connections of the replica that O(connections) does not list and that the task leaves in place - every
      unlisted one without O(purge); with O(purge), the default connection and, with O(purge_user), those of other
      users. Nothing is done to them (none is stopped or started).
    - Each with C(name), C(primary_host), C(primary_port) and C(primary_user), as the task found them.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "reporting", "primary_host": "olap.example.com", "primary_port": 3306, "primary_user": "etl"}]
skipped_events:
  description:
    - What O(skip_events) skipped (in check mode, would skip), read before anything changed.
  returned: when O(skip_events) is set
  type: dict
  contains:
    connection:
      description: The connection, as O(skip_events.connection) names it.
      type: str
      sample: db2
    count:
      description: The skip counter set (C(sql_slave_skip_counter)).
      type: int
      sample: 1
    groups:
      description: O(skip_events.groups), V(null) when the skip was given as a count.
      type: int
      sample: 1
      version_added: 0.5.0
    last_sql_errno:
      description: The connection's SQL error number before the skip, V(0) when none.
      type: int
      sample: 1062
      version_added: 0.5.0
    last_sql_error:
      description: The connection's SQL error before the skip, empty when none.
      type: str
      sample: "Could not execute Write_rows_v1 event on table shop.orders; Duplicate entry '100' for key 'PRIMARY'"
      version_added: 0.5.0
    relay_log_file:
      description: The relay log file the reading started in (the connection's C(Relay_Log_File)).
      type: str
      sample: backup-relay-bin-db2.000002
      version_added: 0.5.0
    relay_log_pos:
      description: The position the reading started at (the connection's C(Relay_Log_Pos)).
      type: int
      sample: 1131
      version_added: 0.5.0
    event_groups:
      description:
        - The event groups the counter reaches, in order, as read from the relay log (empty when it could not be
          read; a warning says why).
      type: list
      elements: dict
      version_added: 0.5.0
      contains:
        gtid:
          description: The group's GTID, V(null) for a group from a source without GTIDs.
          type: str
          sample: 1-1-4
        relay_log_file:
          description: The relay log file of the group's first event.
          type: str
          sample: backup-relay-bin-db2.000002
        relay_log_pos:
          description: The position of the group's first event.
          type: int
          sample: 1131
        event_count:
          description: The events of the group read (all of them when RV(skipped_events.event_groups[].complete)).
          type: int
          sample: 5
        complete:
          description: Whether the group was read to its end (its C(Xid), C(COMMIT) or stand-alone statement).
          type: bool
          sample: true
        events:
          description:
            - The group's events as C(SHOW RELAYLOG EVENTS) shows them, the server's columns in lower case -
              C(log_name), C(pos), C(event_type), C(server_id), C(end_log_pos) (in the source's binary log),
              C(info).
            - At most 20 - the first 19 and the last; RV(skipped_events.event_groups[].events_omitted) says how many
              are left out.
          type: list
          elements: dict
          sample: [{"log_name": "backup-relay-bin-db2.000002", "pos": 1268, "event_type": "Write_rows_v1",
                    "server_id": 1, "end_log_pos": 1013, "info": "table_id: 18 flags: STMT_END_F"}]
        events_omitted:
          description: How many events of the group RV(skipped_events.event_groups[].events) leaves out.
          type: int
          sample: 0
    complete:
      description: Whether every skipped group was read whole from the relay log.
      type: bool
      sample: true
      version_added: 0.5.0
    pending_events:
      description:
        - The part of the counter beyond the groups in the relay log (it skips groups the source has not sent yet),
          V(null) when unknown.
      type: int
      sample: 0
      version_added: 0.5.0
    parallel_mode:
      description:
        - The connection's C(slave_parallel_mode), set to V(none) for the skip and back after it (the module did that
          when this is not V(null)).
      type: str
      sample: optimistic
      version_added: 0.5.0
    done:
      description:
        - Whether the skip was done within O(skip_events.timeout); V(false) in check mode and with a timeout of V(0).
      type: bool
      sample: true
      version_added: 0.5.0
    status:
      description:
        - The connection's status after the skip (in check mode, before it), with the keys described for
          RV(replkit.mariadb.mariadb_change_master#module:status).
      type: dict
      sample: {"connection_name": "db2", "io_running": "Yes", "sql_running": "Yes", "last_sql_errno": 0}
      version_added: 0.5.0
  sample: {"connection": "db2", "count": 1, "groups": 1, "last_sql_errno": 1062, "complete": true, "done": true}
"""

from ansible_collections.replkit.mariadb.plugins.module_utils.change_master import (
    build_change_master, change_master_argument_spec, changed_options, connection_name_error, current_options,
    diff_view, missing_ssl_files, option_errors, password_to_send, removal_statements, run_steps, start_all)
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    MASK, fail_on_input_errors, is_local_login, login_description, mariadb_common_argument_spec, open_session,
    run_statements)
from ansible_collections.replkit.mariadb.plugins.module_utils.master_info import stored_password_reader
from ansible_collections.replkit.mariadb.plugins.module_utils.replication import (
    compact_status, find_connection, is_running, show_all_connections, start_connection, stop_connection,
    with_heartbeat)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication_source import (
    conflicting_connection, self_replication_error, source_endpoint)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.skip_events import (
    preview, read_skip_settings, restore_statements, serial_mode_to_restore, skip_statements, wait_for_skip)

MAX_SKIP = 2 ** 32 - 1


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        connections=dict(type="list", elements="dict", required=True,
                         options=dict(name=dict(type="str", required=True), **change_master_argument_spec())),
        purge=dict(type="bool", default=False),
        purge_user=dict(type="str"),
        state=dict(type="str", choices=["started", "present"], default="started"),
        update_password=dict(type="str", choices=["on_change", "on_create", "always"], default="on_change", no_log=False),
        skip_events=dict(type="dict", options=dict(connection=dict(type="str", required=True), count=dict(type="int"),
                                                   groups=dict(type="int"), timeout=dict(type="int", default=60)),
                         mutually_exclusive=[["count", "groups"]]),
    )
    return spec


def label(index, entry):
    return "connections[%d] (name %r)" % (index, entry.get("name"))


def input_errors(params, server_version=None):
    """Everything wrong with the list as a whole and with each entry; the server version adds version checks."""
    errors, seen, sources = [], {}, {}
    for index, entry in enumerate(params["connections"]):
        name_error = connection_name_error(entry["name"], "name")
        if name_error:
            errors.append("%s: %s" % (label(index, entry), name_error))
        key = entry["name"].lower()
        if key in seen:
            errors.append("%s and connections[%d] (name %r) are the same connection: MariaDB compares connection names "
                          "regardless of case. Give each connection a distinct name." % (
                              label(index, entry), seen[key], params["connections"][seen[key]]["name"]))
        seen.setdefault(key, index)
        errors += ["%s: %s" % (label(index, entry), error) for error in option_errors(entry, server_version)]
        if server_version is None and is_local_login(params):
            errors += ["%s: %s" % (label(index, entry), error) for error in missing_ssl_files(entry)]
        if entry.get("primary_host"):
            source = (entry["primary_host"].lower(), entry.get("primary_port") or 3306)
            if source in sources:
                errors.append("%s and connections[%d] both replicate from %s:%s; MariaDB allows one connection per "
                              "source. Remove one of them." % (label(index, entry), sources[source], *source))
            sources.setdefault(source, index)
    if params.get("purge_user") == "":
        errors.append("purge_user is empty; give the replication user whose unlisted connections purge removes, or "
                      "leave purge_user out to purge every unlisted named connection.")
    skip = params.get("skip_events") or {}
    for option in ("count", "groups"):
        if skip.get(option) is not None and not 1 <= skip[option] <= MAX_SKIP:
            errors.append("skip_events.%s must be between 1 and %d, got %s." % (option, MAX_SKIP, skip[option]))
    if skip and skip["timeout"] < 0:
        errors.append("skip_events.timeout must be 0 or more seconds, got %s." % skip["timeout"])
    return errors


class Skip:
    """The skip of O(skip_events): its counter, the parallel mode to restore, and what it skips."""

    def __init__(self, name, counter, serial_mode, report):
        self.name, self.counter, self.serial_mode, self.report = name, counter, serial_mode, report


def plan_skip(module, cursor, rows):
    """Read what the skip skips before anything changes; fails, with nothing changed, when it cannot be done."""
    params = module.params
    skip = params["skip_events"]
    name = skip["connection"]
    row = find_connection(rows, name)
    settings = read_skip_settings(cursor, name)
    count = None if skip["groups"] is not None else skip["count"] or 1
    report, counter, problem = preview(cursor, name, row, settings, skip["groups"], count)
    where = "connection %r of %s" % (name, login_description(params))
    if counter is None:
        fail_on_input_errors(module, ["skip_events.groups=%d cannot be counted on %s: %s. The source has not sent them "
                                      "yet, or the relay log cannot be read: skip fewer groups, or give "
                                      "skip_events.count." % (skip["groups"], where, problem)])
    if problem:
        module.warn("The events to skip on %s are not shown: %s." % (where, problem))
    serial_mode = serial_mode_to_restore(row, settings)
    if serial_mode and skip["timeout"] == 0:
        fail_on_input_errors(module, ["skip_events.timeout=0 cannot be used on %s: it applies in parallel "
                                      "(slave_parallel_mode=%s), which MariaDB does not skip in, so the module sets it "
                                      "to none for the skip and must wait to set it back. Give a timeout of 1 or more "
                                      "seconds." % (where, serial_mode)])
    report.update(connection=name, count=counter, groups=skip["groups"], parallel_mode=serial_mode, done=False)
    return Skip(name, counter, serial_mode, report)


def finish_skip(module, cursor, info, skip, executed):
    """Wait for the skip, set the parallel mode back, and fail when it was not done; returns the statements run."""
    timeout = module.params["skip_events"]["timeout"]
    if timeout == 0 and not skip.serial_mode:
        return []
    left, row = wait_for_skip(cursor, info, skip.name, timeout)
    running = row is not None and row.get("Slave_SQL_Running") == "Yes"
    skip.report["done"] = left == 0
    if left == 0:
        return run_statements(module, cursor, restore_statements(info, skip.name, skip.serial_mode, running))
    state = "its SQL thread stopped (%s %s)" % (row.get("Last_SQL_Errno"), row.get("Last_SQL_Error")) if (
        row is not None and not running) else "%d event(s) are still to skip after %d s" % (left, timeout)
    mode = (" Its slave_parallel_mode stays none while the skip is pending; once it is done, set it back: STOP SLAVE "
            "'%s' SQL_THREAD; SET @@default_master_connection = '%s'; SET GLOBAL slave_parallel_mode = '%s'; START "
            "SLAVE '%s' SQL_THREAD." % (skip.name, skip.name, skip.serial_mode, skip.name)) if skip.serial_mode else ""
    module.fail_json(msg="The skip on connection %r of %s was not done: %s. The skip counter stays set, so the events are "
                         "skipped when the SQL thread reaches them; look at the connection's IO state (its source may not "
                         "have sent them yet).%s" % (skip.name, login_description(module.params), state, mode),
                     skipped_events=skip.report, queries=[s.masked() for s in executed])
    return []


class Plan:
    """What the module will do to one connection, and what it reports about it."""

    def __init__(self, name, row, entry=None, changes=None, action="unchanged"):
        self.name, self.row, self.entry = name, row, entry
        self.changes = changes or {}
        self.action = action
        self.statements = []


def purged(params, row):
    """Whether purge removes this unlisted connection: a named one, and with purge_user only that user's."""
    if not params["purge"] or not row.get("Connection_name"):
        return False
    return params.get("purge_user") is None or row.get("Master_User") == params["purge_user"]


def kept_reason(params, row):
    """Why an unlisted connection stays, for the message that refuses a second connection to its source."""
    if not row.get("Connection_name"):
        return "purge never removes the default connection; remove it with mariadb_change_master state=absent"
    if not params["purge"]:
        return "set purge to remove it"
    return "purge leaves it: its primary_user %r is not purge_user %r; remove it yourself if it is not needed" % (
        row.get("Master_User"), params["purge_user"])


def split_unlisted(params, rows):
    """(removed plans, kept rows): the unlisted connections purge removes, and those it leaves in place."""
    listed = {entry["name"].lower() for entry in params["connections"]}
    unlisted = [row for row in rows if (row.get("Connection_name") or "").lower() not in listed]
    removed = [Plan(row["Connection_name"], row, action="removed") for row in unlisted if purged(params, row)]
    return removed, [row for row in unlisted if not purged(params, row)]


def plan_connections(module, cursor, rows):
    """The plans of the listed and purged connections, the rows not purged and the unlisted rows kept.

    Fails, with nothing changed, on any problem.
    """
    params = module.params
    listed = {entry["name"].lower() for entry in params["connections"]}
    removed, kept = split_unlisted(params, rows)
    removed_names = {plan.name.lower() for plan in removed}
    remaining_rows = [row for row in rows if (row.get("Connection_name") or "").lower() not in removed_names]
    plans, errors = [], []
    read_stored = stored_password_reader(cursor, params)
    for index, entry in enumerate(params["connections"]):
        row = with_heartbeat(cursor, find_connection(rows, entry["name"]), entry)
        if row is None and not entry.get("primary_host"):
            errors.append("%s does not exist on %s and has no primary_host to create it; give primary_host." % (
                label(index, entry), login_description(params)))
            continue
        send_password, warning = password_to_send(row, entry, params["update_password"], read_stored)
        if warning:
            module.warn(warning)
        changes = changed_options(row, entry, send_password)
        plan = Plan(entry["name"], row, entry, changes, "created" if row is None else "updated" if changes else "unchanged")
        if row is None or {"primary_host", "primary_port"} & set(changes):
            host, port = source_endpoint(row, entry)
            other = conflicting_connection(kept, entry["name"], host, port)
            if other is not None:
                reason = kept_reason(params, find_connection(kept, other))
                errors.append("%s: connection %r already replicates from %s:%s and is not listed (%s); MariaDB "
                              "allows one connection per source." % (label(index, entry), other, host, port, reason))
            error = self_replication_error(cursor, row, entry, entry["name"], warn=module.warn)
            if error:
                errors.append("%s: %s" % (label(index, entry), error))
        plans.append(plan)
    endpoints = {}
    for plan in plans:  # a listed entry that keeps its source may collide with another entry's new one
        host, port = source_endpoint(plan.row, plan.entry)
        endpoint = (host.lower(), port)
        if endpoint in endpoints:
            errors.append("connections %r and %r would both replicate from %s:%s; MariaDB allows one connection per "
                          "source. Point one of them elsewhere." % (endpoints[endpoint], plan.name, host, port))
        endpoints.setdefault(endpoint, plan.name)
    skip = params.get("skip_events")
    if skip and skip["connection"].lower() not in listed | {
            (row.get("Connection_name") or "").lower() for row in remaining_rows}:
        errors.append("skip_events.connection %r is neither listed in connections nor a connection of %s (after "
                      "purge); name an existing connection." % (skip["connection"], login_description(params)))
    fail_on_input_errors(module, errors)
    return plans, removed, remaining_rows, kept


def build_statements(module, info, plans, removed, remaining_rows, skip=None):
    """Removals, then changes, then the explicit skip, then starts; returns the statements in order."""
    params = module.params
    mode = "start" if params["state"] == "started" else "keep"
    for plan in removed:
        plan.statements = removal_statements(info, plan.name, plan.row)
    to_start = []
    for plan in plans:
        stop_first, start_after = run_steps(plan.row, bool(plan.changes), mode)[:2]
        plan.statements = [stop_connection(info, plan.name)] if stop_first else []
        if plan.changes:
            plan.statements.append(build_change_master(plan.name, plan.changes))
        if start_after:
            to_start.append(plan)
    statements = [s for plan in removed + plans for s in plan.statements]
    if skip:
        skipping = skip_statements(info, skip.name, skip.counter, skip.serial_mode)
        statements += skipping
        for plan in plans:
            if plan.name.lower() == skip.name.lower():
                plan.statements += skipping
        to_start = [plan for plan in to_start if plan.name.lower() != skip.name.lower()]
    listed = {plan.name.lower() for plan in plans}
    on_server = {(row.get("Connection_name") or "").lower() for row in remaining_rows} | listed
    if len(to_start) > 1 and on_server == listed:
        statements.append(start_all(info))
    else:
        statements += [start_connection(info, plan.name) for plan in to_start]
    for plan in to_start:
        plan.statements.append(start_connection(info, plan.name))
    return statements


def diffs(module, plans, removed):
    skip = (module.params.get("skip_events") or {}).get("connection", "").lower()
    before, after = {}, {}
    for plan in plans:
        running = True if module.params["state"] == "started" or plan.name.lower() == skip else is_running(plan.row)
        before[plan.name], after[plan.name] = diff_view(plan.row, plan.entry, plan.changes, running)
    for plan in removed:
        before[plan.name] = dict(current_options(plan.row), running=is_running(plan.row))
    return {"before": before, "after": after}


def report(plans, removed, rows):
    results = []
    for plan in removed + plans:
        options = {name: MASK if name == "primary_password" else value for name, value in plan.changes.items()}
        results.append(dict(name=plan.name, action=plan.action, changed=bool(plan.statements), options=options,
                            status=compact_status(find_connection(rows, plan.name))))
    return results


def unmanaged(kept):
    """The unlisted connections left in place, as returned in unmanaged_connections."""
    return [dict(name=row.get("Connection_name") or "", primary_host=row.get("Master_Host"),
                 primary_port=int(row["Master_Port"]) if row.get("Master_Port") is not None else None,
                 primary_user=row.get("Master_User")) for row in kept]


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    fail_on_input_errors(module, input_errors(params))

    connection, cursor, info = open_session(module)
    fail_on_input_errors(module, input_errors(params, info.version))
    rows = show_all_connections(cursor, info)
    plans, removed, remaining_rows, kept = plan_connections(module, cursor, rows)
    skip = plan_skip(module, cursor, rows) if params.get("skip_events") else None
    statements = build_statements(module, info, plans, removed, remaining_rows, skip)

    if statements and not module.check_mode:
        run_statements(module, cursor, statements)
        if skip:
            statements += finish_skip(module, cursor, info, skip, statements)
        rows = show_all_connections(cursor, info)
    elif skip:  # check mode: the parallel mode would be set back too
        statements += restore_statements(info, skip.name, skip.serial_mode)
    connection.close()
    result = dict(changed=bool(statements), queries=[s.masked() for s in statements], diff=diffs(module, plans, removed),
                  connections=report(plans, removed, rows), unmanaged_connections=unmanaged(kept))
    if skip:
        result["skipped_events"] = dict(skip.report, status=compact_status(find_connection(rows, skip.name)))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
