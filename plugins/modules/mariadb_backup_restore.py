#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_backup_restore
short_description: Install a prepared mariadb-backup copy as a stopped server's data directory
version_added: 0.2.0
author: replkit.mariadb contributors (@replkit)
description:
  - Replaces the data directory of a stopped MariaDB server with a copy prepared by
    M(replkit.mariadb.mariadb_backup_stream) in its receive mode.
  - The current data directory is moved aside to C(<datadir>.replkit-<UTC timestamp>) and never deleted; its path is
    returned as RV(previous_datadir). Remove it yourself once the replica runs well.
  - The copy is renamed into place when it is on the same file system, else copied (and the staging copy removed).
    When O(datadir) is a mount point, its entries are moved instead of the directory itself.
  - With O(set_gtid_slave_pos), once the server runs on the copy, the copy's GTID position is merged into its
    C(gtid_slave_pos) per domain (the other domains keep their positions), so replication can start from exactly
    the copy. This saves the separate M(replkit.mariadb.mariadb_gtid_pos) task.
  - Files that carry the source's own replication state (C(master.info), C(relay-log.info), C(multi-master.info),
    C(master-*.info), C(relay-log-*.info), relay logs and their index) are removed from the copy, so the new
    replica does not replicate from where the source did. Set up replication afterwards from RV(gtid_pos).
  - The data directory is then owned by O(owner):O(group) recursively and gets the mode the old one had.
  - Without O(service), the module refuses to run while the server runs (a live process in C(<datadir>/*.pid) or a
    socket at O(login_unix_socket) accepting connections). It refuses when O(staging_dir) is not a prepared full
    backup, or when O(datadir) is missing. With O(service) it stops and starts the server itself.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  staging_dir:
    description:
      - The directory holding the prepared copy, the O(replkit.mariadb.mariadb_backup_stream#module:staging_dir) of
        M(replkit.mariadb.mariadb_backup_stream).
    type: path
    required: true
  datadir:
    description:
      - The data directory of the stopped server (its C(datadir) setting).
    type: path
    default: /var/lib/mysql
  owner:
    description:
      - The user the server runs as; every file of the new data directory is given to it.
    type: str
    default: mysql
  group:
    description:
      - The group of the new data directory's files.
    type: str
    default: mysql
  login_unix_socket:
    description:
      - The server's Unix socket. When something accepts connections on it, the server still runs and the module
        refuses to touch the data directory. With O(service), the module waits for the started server on it, and
        O(set_gtid_slave_pos) logs in through it.
    type: path
    default: /run/mysqld/mysqld.sock
  service:
    description:
      - The systemd service of the server, for example V(mariadb). When given, the module stops it (and its socket
        unit, when that is active) just before the swap, starts it again right after, and waits until it accepts
        connections on O(login_unix_socket). If the swap fails, the server is started again on the old data.
      - When not given, the server must be stopped before the task and started after it.
    type: str
    version_added: 0.2.0
  start_timeout:
    description: With O(service), seconds to wait for the started server to accept connections.
    type: int
    default: 300
  set_gtid_slave_pos:
    description:
      - With O(service), after the server started on the copy, merge the copy's position RV(gtid_pos) into its
        C(gtid_slave_pos) per domain, logging in with the login options. Needs O(service) and a copy with a GTID
        position; both are checked before anything is moved.
    type: bool
    default: false
    version_added: 0.2.0
  state_file:
    description:
      - A file on this host that records the seed durably (fsynced), under O(state_connection) - C(started) just before
        the server is stopped for the swap, C(complete) once the copy runs and its position is set. An entry left at
        C(started) marks a copy that never completed; the C(replkit.mariadb.seed) role redoes it on the next run.
    type: path
    version_added: 0.3.0
  state_connection:
    description: The replication connection the copy seeds, the key of its entry in O(state_file).
    type: str
    version_added: 0.3.0
notes:
  - Check mode runs every check and reports RV(previous_datadir), RV(removed_files) and RV(gtid_pos) as they would
    be, without moving anything. Diff mode shows the data directory before and after.
  - Not idempotent by nature, since the staging copy is consumed. Run it only when seeding.
seealso:
  - module: replkit.mariadb.mariadb_backup_stream
"""

EXAMPLES = r"""
- name: Stop the replica's server
  ansible.builtin.service:
    name: mariadb
    state: stopped

- name: Install the prepared copy as its data directory
  replkit.mariadb.mariadb_backup_restore:
    staging_dir: /var/lib/mysql.replkit-staging
    datadir: /var/lib/mysql
  register: restored

- name: Start the replica's server on the copy
  ansible.builtin.service:
    name: mariadb
    state: started

# Or in one task: stop, swap, start, and take the copy's position.
- name: Install the prepared copy and merge its GTID position into gtid_slave_pos
  replkit.mariadb.mariadb_backup_restore:
    staging_dir: /var/lib/mysql.replkit-staging
    service: mariadb
    set_gtid_slave_pos: true
  register: restored
"""

RETURN = r"""
previous_datadir:
  description: Where the old data directory was moved (or would be, in check mode). Nothing in it was deleted.
  returned: always
  type: str
  sample: /var/lib/mysql.replkit-20260101T120000Z
gtid_pos:
  description: The source's GTID position the copy corresponds to (from its binary log info file); empty when unknown.
  returned: always
  type: str
  sample: "0-1-1042"
binlog_file:
  description: The source's binary log file the copy corresponds to; null when unknown.
  returned: always
  type: str
  sample: mariadb-bin.000042
binlog_pos:
  description: The position in RV(binlog_file); null when unknown.
  returned: always
  type: int
  sample: 1337
removed_files:
  description: Replication state files of the source removed from the copy (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["master.info", "relay-log.info"]
moved_by:
  description: V(rename) when the copy was renamed into place, V(copy) when it had to be copied across file systems.
  returned: always
  type: str
  sample: rename
stopped_units:
  description: With O(service), the units stopped for the swap and started again, in start order.
  returned: when O(service) is given and not in check mode
  type: list
  elements: str
  sample: [mariadb.socket, mariadb]
gtid_slave_pos:
  description: With O(set_gtid_slave_pos), the server's C(gtid_slave_pos) after the merge.
  returned: when O(set_gtid_slave_pos) is true and not in check mode
  type: str
  sample: "0-1-1042,2-2-77"
queries:
  description: With O(set_gtid_slave_pos), the statements run to set the position.
  returned: when O(set_gtid_slave_pos) is true and not in check mode
  type: list
  elements: str
  sample: ["SET GLOBAL gtid_slave_pos = '0-1-1042'"]
datadir:
  description: The data directory now holding the copy.
  returned: always
  type: str
  sample: /var/lib/mysql
"""

import grp
import os
import pwd
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_files import (
    BINLOG_INFO_FILES, CHECKPOINT_FILES, BackupFileError, first_present, parse_binlog_info, prepared_backup_problem,
    replication_state_files)
from ansible_collections.replkit.mariadb.plugins.module_utils.datadir import (
    InstallError, install_copy, is_within, previous_datadir_path, read_text, same_filesystem)
from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import GtidError, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.module_utils.gtid_state import merge_into_slave_pos
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    fail_on_input_errors, mariadb_common_argument_spec, open_session)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.seed_state import record_seed_phase
from ansible_collections.replkit.mariadb.plugins.module_utils.server_service import Service, running_server_problems


def validate(module):
    params = module.params
    datadir = params["datadir"].rstrip("/") or "/"
    staging_dir = params["staging_dir"].rstrip("/") or "/"
    errors = []
    for option, value in (("datadir", datadir), ("staging_dir", staging_dir)):
        if not os.path.isabs(value):
            errors.append("%s %r is relative; give an absolute path" % (option, value))
    if errors:
        return errors
    if not os.path.isdir(datadir):
        errors.append("datadir %s does not exist; give the stopped server's data directory (its datadir setting)"
                      % datadir)
    elif not params["service"]:
        errors += running_server_problems(params, datadir)
    if not os.path.isdir(staging_dir):
        errors.append("staging_dir %s does not exist; run mariadb_backup_stream mode=receive first" % staging_dir)
    else:
        names = os.listdir(staging_dir)
        checkpoints = first_present(names, CHECKPOINT_FILES)
        problem = prepared_backup_problem(
            names, read_text(os.path.join(staging_dir, checkpoints)) if checkpoints else "")
        if problem:
            errors.append("staging_dir %s %s" % (staging_dir, problem))
        if os.path.isdir(datadir) and (is_within(staging_dir, datadir) or is_within(datadir, staging_dir)):
            errors.append("staging_dir %s and datadir %s overlap; put the staging copy beside the data directory, "
                          "not inside it" % (staging_dir, datadir))
    if params["set_gtid_slave_pos"] and not params["service"]:
        errors.append("set_gtid_slave_pos needs service: the server must run on the copy to take the position; give "
                      "service, or set the position with mariadb_gtid_pos after starting the server yourself")
    for option, lookup in (("owner", pwd.getpwnam), ("group", grp.getgrnam)):
        try:
            lookup(params[option])
        except KeyError:
            errors.append("%s %r does not exist on this host; give the account the server runs as" % (
                option, params[option]))
    return errors


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec["login_unix_socket"]["default"] = "/run/mysqld/mysqld.sock"
    spec.update(
        staging_dir=dict(type="path", required=True),
        datadir=dict(type="path", default="/var/lib/mysql"),
        owner=dict(type="str", default="mysql"),
        group=dict(type="str", default="mysql"),
        service=dict(type="str"),
        start_timeout=dict(type="int", default=300),
        set_gtid_slave_pos=dict(type="bool", default=False),
        state_file=dict(type="path"),
        state_connection=dict(type="str"),
    )
    return spec


def copy_position(module, gtid_pos):
    """The copy's position, parsed; fails before anything moved when there is none to set."""
    try:
        wanted = parse_gtid_pos(gtid_pos)
    except GtidError as exc:
        module.fail_json(msg="The copy's GTID position %r cannot be read: %s. Nothing was moved." % (gtid_pos, exc))
    if not wanted:
        module.fail_json(msg="set_gtid_slave_pos is true, but the copy has no GTID position (its binary log info is "
                             "missing or empty: does the source write a binary log with GTIDs?). Nothing was moved.")
    return wanted


def set_copy_position(module, wanted, result):
    connection, cursor, info = open_session(module)
    try:
        result["gtid_slave_pos"], result["queries"] = merge_into_slave_pos(module, cursor, info, wanted)
    finally:
        connection.close()


def main():
    module = ReplkitModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_together=[("state_file", "state_connection")],
    )
    fail_on_input_errors(module, validate(module))
    datadir = module.params["datadir"].rstrip("/")
    staging_dir = module.params["staging_dir"].rstrip("/")
    names = os.listdir(staging_dir)
    removed = replication_state_files(names, lambda name: read_text(os.path.join(staging_dir, name)))
    result = dict(changed=True, datadir=datadir, removed_files=removed, gtid_pos="", binlog_file=None,
                  binlog_pos=None)
    info_file = first_present(names, BINLOG_INFO_FILES)
    if info_file:
        try:
            result.update(parse_binlog_info(read_text(os.path.join(staging_dir, info_file))))
        except BackupFileError as exc:
            module.warn("%s: %s" % (info_file, exc))
    wanted = copy_position(module, result["gtid_pos"]) if module.params["set_gtid_slave_pos"] else None
    previous = previous_datadir_path(datadir, time.time(), os.path.lexists)
    result["previous_datadir"] = previous
    target = datadir if os.path.ismount(datadir) else os.path.dirname(datadir)
    result["moved_by"] = "rename" if same_filesystem(staging_dir, target) else "copy"
    if module._diff:
        result["diff"] = dict(
            before="datadir %s: the current data\n" % datadir,
            after="datadir %s: the copy from %s (GTID %s)\n%s: the previous data\n" % (
                datadir, staging_dir, result["gtid_pos"] or "unknown", previous))
    if not module.check_mode:
        record_seed_phase(module.params["state_file"], module.params["state_connection"], "started",
                          method="mariadb_backup", databases=None, gtid_pos=result["gtid_pos"])
        service = Service(module, module.params["service"]) if module.params["service"] else None
        if service:
            problem = service.stop()
            problems = [problem] if problem else running_server_problems(module.params, datadir)
            if problems:
                # Whatever stopped comes back on the untouched data.
                service.start(module.params["login_unix_socket"], module.params["start_timeout"])
                module.fail_json(msg="Cannot restore into %s: %s. Nothing was moved." % (datadir, "; ".join(problems)))
            result["stopped_units"] = service.units
        try:
            result["moved_by"] = install_copy(datadir, staging_dir, previous, removed,
                                              pwd.getpwnam(module.params["owner"]).pw_uid,
                                              grp.getgrnam(module.params["group"]).gr_gid)
        except InstallError as exc:
            # The old data is back in place: bring the server up on it.
            if service:
                service.start(module.params["login_unix_socket"], module.params["start_timeout"])
            module.fail_json(msg=str(exc), previous_datadir=None)
        if service:
            problem = service.start(module.params["login_unix_socket"], module.params["start_timeout"])
            if problem:
                module.fail_json(msg="The copy is in place in %s (the previous data is in %s), but %s. Check the "
                                     "server's error log." % (datadir, previous, problem), **result)
        if wanted:
            set_copy_position(module, wanted, result)
        record_seed_phase(module.params["state_file"], module.params["state_connection"], "complete")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
