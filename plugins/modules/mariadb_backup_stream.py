#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_backup_stream
short_description: Stream a mariadb-backup copy from a source host straight to a replica host
version_added: 0.2.0
author: replkit.mariadb contributors (@replkit)
description:
  - Copies a running MariaDB server physically, host to host over one TCP connection; the data never passes
    through the Ansible controller.
  - With O(mode=receive) (on the replica, usually with C(async) and C(poll=0)) the module listens on
    O(listen_address):O(listen_port), accepts one connection from O(allowed_address) (connections from other
    addresses are closed and ignored), proves to the sender that it knows the shared secret O(token) and checks the
    sender's proof, extracts the stream with C(mbstream -x) into O(staging_dir) and prepares the copy with
    C(mariadb-backup --prepare).
  - With O(mode=send) (on the source, for example with C(delegate_to)) the module connects to
    O(target_host):O(target_port), checks that the receiver proves it knows O(token) and proves it in turn, and only
    then runs C(mariadb-backup --backup --stream=xbstream) and sends its output. A receiver that does not prove the
    token (a wrong token, or another program listening on that port) gets nothing of the backup. Given several
    hosts in O(target_host), it takes one backup and sends it to all of them at once
    (every replica of a source seeded in one go, one backup lock on the source). It logs in to the local server
    with the login options, written to a client defaults file (mode 0600, in a private directory removed
    afterwards), so no password ever appears on a command line.
  - The stream is framed and ends with a byte count, so a sender that dies half-way makes the receiver fail instead
    of preparing a truncated copy. After the end, the receiver confirms that C(mbstream) extracted everything.
  - Both sides write their progress to O(progress_file) while they run, so a play can show it.
  - Install the copy with M(replkit.mariadb.mariadb_backup_restore) while the replica's server is stopped.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Check mode validates the options and reports what would happen; nothing is sent or received.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  mode:
    description:
      - V(receive) listens, extracts and prepares; run it on the replica first.
      - V(send) takes the backup and streams it; run it on the source while the receiver waits.
    type: str
    required: true
    choices: [receive, send]
  token:
    description:
      - A shared secret (1 to 1024 bytes). It never crosses the network - each side proves it knows it with an
        HMAC-SHA256 over fresh random nonces of both sides (see the notes), so it cannot be read from a handshake or
        learnt by listening on the receiver's port. Give both sides the same value, for example a random password.
      - A side whose peer does not prove the same token fails, naming the peer; the sender then sends nothing of the
        backup.
    type: str
    required: true
  listen_address:
    description:
      - With O(mode=receive), the local address to listen on, or a name resolving to it. The receiver listens on each
        address of this host the name resolves to (addresses of other hosts are left out); a name that resolves to
        none of this host's addresses fails.
      - Give the address the source connects to (the C(replkit.mariadb.seed) role passes the replica's replication
        address), so nothing reaches the receiver through another interface. V(0.0.0.0) is every IPv4 address of the
        host and V(::) every IPv6 one; the default V(0.0.0.0) is kept for compatibility.
    type: str
    default: 0.0.0.0
  listen_port:
    description:
      - With O(mode=receive), the TCP port to listen on. The firewall must let O(allowed_address) reach it.
    type: int
    default: 4444
  allowed_address:
    description:
      - With O(mode=receive), the only address (an IP address or a name resolving to it) a connection is accepted
        from, that is the source host's address as the replica sees it. Required with O(mode=receive).
    type: str
  staging_dir:
    description:
      - With O(mode=receive), the directory the copy is extracted into. It must not exist or be empty; it is
        created with mode 0700. Put it on the file system of the data directory so the restore can rename it.
      - On failure the module removes what it extracted, so the task can be run again.
      - Required with O(mode=receive).
    type: path
  prepare:
    description:
      - With O(mode=receive), whether to run C(mariadb-backup --prepare) on the extracted copy. Only a prepared
        copy can be restored.
    type: bool
    default: true
  parallel:
    description:
      - With O(mode=send), how many threads C(mariadb-backup) copies data files with (C(--parallel)). Page checks
        make the copy CPU-bound; two threads roughly double its rate on a source with cores to spare.
    type: int
    default: 2
  target_host:
    description:
      - With O(mode=send), the host running O(mode=receive), or a list of such hosts; each gets the same stream,
        and the send fails (and stops the others) when one of them fails. Required with O(mode=send).
    type: list
    elements: str
    aliases: [target_hosts]
  target_port:
    description:
      - With O(mode=send), the port the receivers listen on (their O(listen_port)).
    type: int
    default: 4444
  timeout:
    description:
      - With O(mode=receive), seconds to wait for the connection and, once it is open, the longest silence on it.
      - With O(mode=send), seconds to wait for each answer of the receiver.
    type: int
    default: 600
  progress_file:
    description:
      - A file (mode 0600) rewritten at least every 2 seconds while the module runs, with one JSON object holding
        C(phase), C(bytes), C(seconds), C(rate_mb_s) and C(updated_at) (UTC). A missing directory is
        created with mode 0700.
      - The phases are V(listening), V(connecting), V(streaming), V(extracting), V(preparing), V(done) and V(failed).
    type: path
notes:
  - With O(mode=send), O(connect_timeout) also bounds how long the module retries connecting to
    O(target_host):O(target_port) (the receiver may still be starting, for example when one task runs
    O(mode=receive) on the replica and O(mode=send) on the source at the same time). The login options only matter with
    O(mode=send); C(mariadb-backup) must run on the host of the server it copies.
  - The C(--defaults-file) given to C(mariadb-backup) holds the login options only (plus O(config_file) when it exists);
    C(mariadb-backup) reads the data directory and InnoDB settings from the running server.
  - "The handshake (protocol C(RKXB2)): the sender sends a magic string and a 32-byte random nonce; the receiver
    answers with its own nonce and HMAC-SHA256(token, receiver label + magic + both nonces); the sender checks it
    (constant-time) before it writes anything derived from the token or a byte of the backup, then answers with
    HMAC-SHA256(token, sender label + magic + both nonces), which the receiver checks before it extracts anything.
    The labels differ per direction, so a proof cannot be reflected; fresh nonces make a recorded handshake useless.
    A peer running an older version of this collection (protocol C(RKXB1), which sent the token itself) is refused
    with a message saying so: run the same version on both hosts."
  - The stream itself is not encrypted, and the handshake cannot stop someone able to relay the whole connection
    between the two hosts. Use it on a trusted network or a tunnel. The C(replkit.mariadb.seed) role refuses this
    method on a link declared C(ssl=true) and names C(consistent_dump) and C(locked_dump), which copy over TLS.
  - Check mode validates the options and reports what would happen (C(changed) predicted V(true)) without
    listening, connecting or running anything.
  - Works with the C(mariadb-backup) and C(mbstream) of MariaDB 10.5 to 11.8 (C(mariabackup) is used when
    C(mariadb-backup) is absent).
requirements:
  - C(mariadb-backup) (or C(mariabackup)) on both hosts and C(mbstream) on the receiving host.
seealso:
  - module: replkit.mariadb.mariadb_backup_restore
"""

EXAMPLES = r"""
- name: Wait for the copy from the source (in the background)
  replkit.mariadb.mariadb_backup_stream:
    mode: receive
    listen_address: "{{ ansible_host }}"
    allowed_address: "{{ hostvars[seed_source].ansible_host }}"
    token: "{{ seed_token }}"
    staging_dir: /var/lib/mysql.replkit-staging
    progress_file: /run/replkit-seed-progress.json
  async: 7200
  poll: 0
  register: receiver

- name: Stream a backup of the source to the replica
  replkit.mariadb.mariadb_backup_stream:
    mode: send
    target_host: "{{ ansible_host }}"
    token: "{{ seed_token }}"
    login_unix_socket: /run/mysqld/mysqld.sock
  delegate_to: "{{ seed_source }}"

- name: Wait until the copy is extracted and prepared
  ansible.builtin.async_status:
    jid: "{{ receiver.ansible_job_id }}"
  register: received
  until: received.finished
  retries: 720
  delay: 10

# In a play over the source (db1) and its new replicas (db2, db3): one task, both sides at once (the
# sender retries until the receivers listen), one backup sent to both replicas.
- name: Stream one backup of db1 to db2 and db3
  replkit.mariadb.mariadb_backup_stream:
    mode: "{{ 'send' if inventory_hostname == 'db1' else 'receive' }}"
    token: "{{ hostvars['db1'].seed_token }}"
    target_host: "{{ ['db2', 'db3'] | map('extract', hostvars, 'ansible_host') | list }}"
    listen_address: "{{ ansible_host }}"
    allowed_address: "{{ hostvars['db1'].ansible_host }}"
    staging_dir: /var/lib/mysql.replkit-staging
  async: 7200
  poll: 0
  register: stream_job
"""

RETURN = r"""
removed_work_dirs:
  description:
    - Work directories of earlier sends whose process is gone (killed, for example by an async timeout), removed
      before this one started. The option file with the login is removed from a running send as soon as
      C(mariadb-backup) connected, so only a send killed within its first moment leaves one there.
  returned: with O(mode=send), not in check mode
  type: list
  elements: str
  sample: [/tmp/replkit-backup-4242-k2j3h4]
  version_added: 0.4.0
mode:
  description: The mode the module ran in.
  returned: always
  type: str
  sample: receive
bytes:
  description: Bytes of C(xbstream) data sent or received.
  returned: success, not in check mode
  type: int
  sample: 17611490
seconds:
  description: Seconds the transfer took, from the accepted connection to the end of the stream.
  returned: success, not in check mode
  type: float
  sample: 1.4
rate_mb_s:
  description: The average transfer rate in MiB per second.
  returned: success, not in check mode
  type: float
  sample: 112.3
gtid_pos:
  description:
    - The source's GTID position the copy corresponds to (C(gtid_binlog_pos) when the backup ended), from
      C(mariadb_backup_binlog_info) or C(xtrabackup_binlog_info) (receive) or the log of C(mariadb-backup) (send).
    - Empty when the source had written no GTID or the version wrote none; convert RV(binlog_file) and
      RV(binlog_pos) on the source then.
  returned: success, not in check mode
  type: str
  sample: "0-1-1042"
binlog_file:
  description: The source's binary log file at the end of the backup; null when its binary log is off.
  returned: success, not in check mode
  type: str
  sample: mariadb-bin.000042
binlog_pos:
  description: The position in RV(binlog_file); null when the source's binary log is off.
  returned: success, not in check mode
  type: int
  sample: 1337
staging_dir:
  description: Where the copy was extracted (O(mode=receive)).
  returned: when O(mode=receive)
  type: str
  sample: /var/lib/mysql.replkit-staging
prepare_seconds:
  description: Seconds C(mariadb-backup --prepare) took; V(0) with O(prepare=false).
  returned: when O(mode=receive), not in check mode
  type: float
  sample: 3.2
peer_address:
  description: The address of the other side of the connection (with O(mode=send), of the first receiver).
  returned: success, not in check mode
  type: str
  sample: 192.0.2.10
peer_addresses:
  description: The addresses of all receivers, in the order of O(target_host).
  returned: when O(mode=send), success, not in check mode
  type: list
  elements: str
  sample: ["192.0.2.10", "192.0.2.11"]
listen_addresses:
  description: The addresses the receiver listened on (those of O(listen_address) on this host).
  returned: when O(mode=receive) and the receiver listened, not in check mode
  type: list
  elements: str
  sample: ["192.0.2.10"]
  version_added: 0.4.0
ignored_connections:
  description: Addresses whose connections the receiver closed because they were not O(allowed_address).
  returned: when O(mode=receive), not in check mode
  type: list
  elements: str
  sample: ["192.0.2.99"]
command:
  description: The C(mariadb-backup) command line the sender runs (it holds no secret).
  returned: when O(mode=send)
  type: list
  elements: str
  sample: ["/usr/bin/mariadb-backup", "--defaults-file=/tmp/replkit-backup-x/client.cnf", "--backup",
           "--stream=xbstream", "--log-copy-interval=100", "--target-dir=/tmp/replkit-backup-x/target"]
"""

import os
import shutil

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_protocol import BackupStreamError
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_receiver import cleanup_staging, run_receive
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_sender import run_send
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_stream_options import staging_dir_problem, validate_stream_params
from ansible_collections.replkit.mariadb.plugins.module_utils.backup_transfer import Progress, StreamFailure, backup_binary
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    fail_on_input_errors, mariadb_common_argument_spec)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import (
    make_work_dir, progress_file_problem, remove_dead_work_dirs)

# The sender's private work directory (mariadb-backup's option file while it starts, its log, its target).
WORK_DIR_PREFIX = "replkit-backup-"


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        mode=dict(type="str", required=True, choices=["receive", "send"]),
        token=dict(type="str", required=True, no_log=True),
        listen_address=dict(type="str", default="0.0.0.0"),
        listen_port=dict(type="int", default=4444),
        allowed_address=dict(type="str"),
        staging_dir=dict(type="path"),
        prepare=dict(type="bool", default=True),
        parallel=dict(type="int", default=2),
        target_host=dict(type="list", elements="str", aliases=["target_hosts"]),
        target_port=dict(type="int", default=4444),
        timeout=dict(type="int", default=600),
        progress_file=dict(type="path"),
    )
    return spec


def main():
    module = ReplkitModule(
        argument_spec=argument_spec(),
        required_if=[("mode", "receive", ("allowed_address", "staging_dir")), ("mode", "send", ("target_host",))],
        supports_check_mode=True,
    )
    params = module.params
    mode = params["mode"]
    errors = validate_stream_params(params)
    if mode == "receive" and params["staging_dir"] and os.path.isabs(params["staging_dir"]):
        problem = staging_dir_problem(params["staging_dir"])
        if problem:
            errors.append(problem)
    problem = progress_file_problem(params["progress_file"])
    if problem:
        errors.append(problem)
    if not backup_binary(module):
        errors.append("neither mariadb-backup nor mariabackup is installed on this host; install the "
                      "mariadb-backup package")
    if mode == "receive" and not module.get_bin_path("mbstream"):
        errors.append("mbstream is not installed on this host; install the mariadb-backup package")
    fail_on_input_errors(module, errors)

    result = dict(changed=True, mode=mode)
    if mode == "receive":
        result.update(staging_dir=params["staging_dir"], ignored_connections=[], prepare_seconds=0.0,
                      gtid_pos="", binlog_file=None, binlog_pos=None)
    else:
        result.update(gtid_pos="", binlog_file=None, binlog_pos=None)
    if module.check_mode:
        if mode == "receive":
            result["msg"] = ("would listen on %s:%s for one connection from %s, extract the copy into %s%s" % (
                params["listen_address"], params["listen_port"], params["allowed_address"], params["staging_dir"],
                " and prepare it" if params["prepare"] else ""))
        else:
            result["msg"] = "would run mariadb-backup --backup and stream it to %s (port %s)" % (
                ", ".join(params["target_host"]), params["target_port"])
        for key in ("gtid_pos", "binlog_file", "binlog_pos", "ignored_connections", "prepare_seconds"):
            result.pop(key, None)
        module.exit_json(**result)

    progress = Progress(params["progress_file"])
    staging_existed = mode == "receive" and os.path.isdir(params["staging_dir"])
    private_dir = None
    if mode == "send":
        result["removed_work_dirs"] = remove_dead_work_dirs(WORK_DIR_PREFIX)
        private_dir = make_work_dir(WORK_DIR_PREFIX)
    try:
        if mode == "receive":
            run_receive(module, progress, result)
        else:
            run_send(module, progress, private_dir, result)
    except (StreamFailure, BackupStreamError, OSError) as exc:
        progress.finish("failed")
        if mode == "receive":
            cleanup_staging(params["staging_dir"], staging_existed)
        else:
            shutil.rmtree(private_dir, ignore_errors=True)
        result.pop("changed")
        module.fail_json(msg=str(exc), **result)
    progress.finish("done")
    if private_dir:
        shutil.rmtree(private_dir, ignore_errors=True)
    result["msg"] = "%s %d bytes in %.1f s (%.1f MiB/s)" % (
        "received" if mode == "receive" else "sent", result["bytes"], result["seconds"], result["rate_mb_s"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
