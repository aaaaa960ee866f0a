#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_gtid_pos
short_description: Read, set, convert and wait for MariaDB GTID positions
version_added: 0.1.0
author: replkit.mariadb contributors (@replkit)
description:
  - Always reports the server's C(gtid_binlog_pos), C(gtid_current_pos) and C(gtid_slave_pos), as strings and per domain.
  - With O(gtid_slave_pos), sets the global C(gtid_slave_pos), the position replication connections using
    C(MASTER_USE_GTID=slave_pos) resume from. Only the domains that differ count as a change.
  - MariaDB refuses to set C(gtid_slave_pos) while a replication connection runs, so the module stops the running
    connections, sets the position and starts again exactly the threads it stopped (see O(stop_replication)).
  - With O(binlog_file) and O(binlog_pos), converts a binary log coordinate of this server into a GTID position
    with the C(BINLOG_GTID_POS) function.
  - With O(wait_for_pos), waits with the C(MASTER_GTID_WAIT) function until this server has applied a GTID position, and fails
    after O(wait_timeout) seconds, saying per domain how far behind the server is.
  - The steps run in this order when several are asked for; only setting O(gtid_slave_pos) changes anything.
extends_documentation_fragment:
  - replkit.mariadb.mariadb
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes
options:
  gtid_slave_pos:
    description:
      - The GTID position to set, as C(DOMAIN-SERVER-SEQ) entries separated by commas, for example C(0-1-100,1-2-5).
      - Spaces around entries are ignored; each domain may appear only once.
      - With O(gtid_slave_pos_mode=replace), an empty string clears the position.
      - Every GTID input is validated before the module connects.
    type: str
  gtid_slave_pos_mode:
    description:
      - V(merge) sets the domains listed in O(gtid_slave_pos) and keeps the position of every other domain.
      - V(replace) sets exactly O(gtid_slave_pos); domains it does not list are dropped.
    type: str
    choices: [merge, replace]
    default: merge
  stop_replication:
    description:
      - When V(true), running replication connections are stopped before C(gtid_slave_pos) is set and their
        threads are started again afterwards. Stopped connections stay stopped.
      - When V(false) and a connection runs, the module fails, names the running connections and changes nothing.
    type: bool
    default: true
  binlog_file:
    description:
      - The name of one of this server's binary log files, for example C(mariadb-bin.000042), to convert with
        O(binlog_pos) into a GTID position returned as RV(binlog_gtid_pos).
    type: str
  binlog_pos:
    description:
      - The byte offset in O(binlog_file). It must be the start of an event, as reported by C(SHOW MASTER STATUS)
        or C(SHOW BINLOG EVENTS).
    type: int
  wait_for_pos:
    description:
      - A GTID position this server must have applied (in C(gtid_slave_pos)) before the module returns.
      - Waiting is read-only. It also runs in check mode.
    type: str
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for_pos). V(0) checks once without waiting.
    type: int
    default: 60
  wait_counts_binlog:
    description:
      - When V(true), a domain of O(wait_for_pos) also counts as reached when this server's C(gtid_binlog_pos) has
        reached it, as with transactions it wrote itself (which come back around a ring but never enter C(gtid_slave_pos))
        and, with C(log_slave_updates), everything it applied. The module then polls both positions every 0.1 s
        instead of calling C(MASTER_GTID_WAIT).
    type: bool
    default: false
    version_added: 0.3.0
notes:
  - Check mode reports what would change, including the statements in RV(queries), and executes no write.
    Waiting and conversions, being reads, run in check mode too.
  - Diff mode shows C(gtid_slave_pos) before and after.
  - The C(MASTER_GTID_WAIT) function waits on C(gtid_slave_pos); transactions this server wrote itself are not in it
    (see O(wait_counts_binlog)).
seealso:
  - module: replkit.mariadb.mariadb_replication_info
"""

EXAMPLES = r"""
- name: Read the GTID positions
  replkit.mariadb.mariadb_gtid_pos:
    login_user: admin
    login_password: "{{ admin_password }}"
  register: gtid

- name: Start domain 2 from the source's position, keep the other domains
  replkit.mariadb.mariadb_gtid_pos:
    gtid_slave_pos: "{{ source_gtid.gtid_binlog_pos }}"
    login_user: admin
    login_password: "{{ admin_password }}"

- name: Replace the whole position, refusing to touch running replication
  replkit.mariadb.mariadb_gtid_pos:
    gtid_slave_pos: "0-1-100,2-3-40"
    gtid_slave_pos_mode: replace
    stop_replication: false
    login_user: admin
    login_password: "{{ admin_password }}"

- name: Convert the coordinates of a backup into a GTID position
  replkit.mariadb.mariadb_gtid_pos:
    binlog_file: mariadb-bin.000042
    binlog_pos: 1337
    login_user: admin
    login_password: "{{ admin_password }}"
  register: converted

- name: Wait until the replica has caught up with the source
  replkit.mariadb.mariadb_gtid_pos:
    wait_for_pos: "{{ source_gtid.gtid_binlog_pos }}"
    wait_timeout: 120
    login_user: admin
    login_password: "{{ admin_password }}"
"""

RETURN = r"""
gtid_binlog_pos:
  description: The server's C(gtid_binlog_pos), after any change.
  returned: always
  type: str
  sample: "0-1-100,1-2-5"
gtid_current_pos:
  description: The server's C(gtid_current_pos), after any change.
  returned: always
  type: str
  sample: "0-1-100,1-2-5"
gtid_slave_pos:
  description:
    - The server's C(gtid_slave_pos), after any change.
    - In check mode the server is unchanged, so this is the value before; the diff shows the predicted one.
  returned: always
  type: str
  sample: "1-2-5"
gtid_positions:
  description:
    - The three positions per domain. Keys C(binlog_pos), C(current_pos) and C(slave_pos) map a domain id
      (as a string) to its last C(server_id) and C(seq_no).
  returned: always
  type: dict
  sample: {"binlog_pos": {"0": {"server_id": 1, "seq_no": 100}}, "current_pos": {"0": {"server_id": 1, "seq_no": 100}},
           "slave_pos": {"1": {"server_id": 2, "seq_no": 5}}}
binlog_gtid_pos:
  description: The GTID position of O(binlog_file) at O(binlog_pos).
  returned: when O(binlog_file) is set
  type: str
  sample: "0-1-100"
stopped_connections:
  description:
    - The replication connections stopped to set C(gtid_slave_pos) (or that would be, in check mode).
    - Each was started again afterwards, with the threads that had been running.
  returned: always
  type: list
  elements: str
  sample: ["source_a"]
queries:
  description: The statements that changed the server (or would, in check mode), values inlined.
  returned: always
  type: list
  elements: str
  sample: ["STOP REPLICA 'source_a'", "SET GLOBAL gtid_slave_pos = '0-1-100,1-2-5'", "START REPLICA 'source_a'"]
behind:
  description:
    - When O(wait_for_pos) timed out, per domain of O(wait_for_pos) (as a string) how many seq_nos C(gtid_slave_pos)
      still lacks (V(0) when that domain was reached).
  returned: when waiting timed out
  type: dict
  sample: {"1": 7}
"""

import time

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import (
    GtidError, describe_behind, format_gtid_pos, gtid_behind, highest_gtid_pos, normalize_gtid_pos, parse_gtid_pos,
    positions_by_domain)
from ansible_collections.replkit.mariadb.plugins.module_utils.gtid_state import (
    POSITION_VARIABLES, apply_slave_pos, plan_slave_pos, read_positions, set_global_gtid_slave_pos)
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    Statement, execute_or_fail, mariadb_common_argument_spec, open_session)
from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule

MAX_BINLOG_POS = 2 ** 64 - 1
POLL_SECONDS = 0.1


def argument_spec():
    spec = mariadb_common_argument_spec()
    spec.update(
        gtid_slave_pos=dict(type="str"),
        gtid_slave_pos_mode=dict(type="str", choices=["merge", "replace"], default="merge"),
        stop_replication=dict(type="bool", default=True),
        binlog_file=dict(type="str"),
        binlog_pos=dict(type="int"),
        wait_for_pos=dict(type="str"),
        wait_timeout=dict(type="int", default=60),
        wait_counts_binlog=dict(type="bool", default=False),
    )
    return spec


def validate(module):
    """Check every input before connecting; returns the parsed GTID options."""
    params = module.params
    parsed = {}
    for option in ("gtid_slave_pos", "wait_for_pos"):
        if params[option] is None:
            continue
        try:
            parsed[option] = parse_gtid_pos(params[option])
        except GtidError as exc:
            module.fail_json(msg="Option %s is not a valid GTID position: %s. Write it as DOMAIN-SERVER-SEQ entries "
                                 "separated by commas, for example 0-1-100,1-2-5." % (option, exc))
    if params["binlog_file"] is not None and not params["binlog_file"].strip():
        module.fail_json(msg="Option binlog_file is empty. Give the name of a binary log file of this server, "
                             "for example mariadb-bin.000042 (see SHOW BINARY LOGS).")
    if params["binlog_pos"] is not None and not 0 <= params["binlog_pos"] <= MAX_BINLOG_POS:
        module.fail_json(msg="Option binlog_pos is %d; it must be a byte offset between 0 and %d, as shown by "
                             "SHOW MASTER STATUS." % (params["binlog_pos"], MAX_BINLOG_POS))
    if params["wait_timeout"] < 0:
        module.fail_json(msg="Option wait_timeout is %d; give the number of seconds to wait, 0 or more."
                             % params["wait_timeout"])
    return parsed


def binlog_gtid_pos(module, cursor):
    params = module.params
    statement = Statement("SELECT BINLOG_GTID_POS(%s, %s) AS pos", (params["binlog_file"], params["binlog_pos"]))
    rows = execute_or_fail(module, cursor, statement, "convert the binary log coordinate",
                           "Check binlog_file and binlog_pos.")
    position = rows[0]["pos"] if rows else None
    if position is None:
        module.fail_json(
            msg="BINLOG_GTID_POS(%r, %d) returned NULL: the file is not one of this server's binary logs (see SHOW "
                "BINARY LOGS) or position %d is not the start of an event in it (see SHOW BINLOG EVENTS IN %r). "
                "Fix binlog_file or binlog_pos." % (params["binlog_file"], params["binlog_pos"], params["binlog_pos"],
                                                    params["binlog_file"]))
    return normalize_gtid_pos(position)


def wait_for_held_pos(module, cursor, target, result):
    """Poll until gtid_slave_pos or gtid_binlog_pos holds every domain of ``target`` (wait_counts_binlog)."""
    deadline = time.monotonic() + module.params["wait_timeout"]
    while True:
        texts, parsed = read_positions(module, cursor)
        held = highest_gtid_pos(parsed["gtid_slave_pos"], parsed["gtid_binlog_pos"])
        if not any(gtid_behind(held, target).values()):
            result.update(texts, gtid_positions=positions_of(parsed))
            return
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    result.update(texts, gtid_positions=positions_of(parsed))
    module.fail_json(
        msg="neither gtid_slave_pos %r nor gtid_binlog_pos %r reached wait_for_pos %r within %d s: %s. Check the "
            "replication connections (mariadb_replication_info shows their errors) or raise wait_timeout."
            % (texts["gtid_slave_pos"], texts["gtid_binlog_pos"], format_gtid_pos(target),
               module.params["wait_timeout"], describe_behind(held, target)),
        behind={str(domain): lag for domain, lag in gtid_behind(held, target).items()}, **result)


def wait_for_pos(module, cursor, target, result):
    if module.params["wait_counts_binlog"]:
        return wait_for_held_pos(module, cursor, target, result)
    timeout = module.params["wait_timeout"]
    target_text = format_gtid_pos(target)
    statement = Statement("SELECT MASTER_GTID_WAIT(%s, %s) AS result", (target_text, timeout))
    rows = execute_or_fail(module, cursor, statement, "wait for the GTID position",
                           "Check wait_for_pos and the server's privileges.")
    outcome = rows[0]["result"] if rows else None
    if outcome is not None and int(outcome) == 0:
        return
    texts, parsed = read_positions(module, cursor)
    result.update(texts, gtid_positions=positions_of(parsed))
    behind = {str(domain): lag for domain, lag in gtid_behind(parsed["gtid_slave_pos"], target).items()}
    module.fail_json(
        msg="gtid_slave_pos %r did not reach wait_for_pos %r within %d s (MASTER_GTID_WAIT returned %s): %s. Check the "
            "replication connections (mariadb_replication_info shows their errors) or raise wait_timeout."
            % (texts["gtid_slave_pos"], target_text, timeout, outcome,
               describe_behind(parsed["gtid_slave_pos"], target) or "every domain reached"),
        behind=behind, **result)


def positions_of(parsed):
    return {name[len("gtid_"):]: positions_by_domain(parsed[name]) for name in POSITION_VARIABLES}


def main():
    module = ReplkitModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_together=[("binlog_file", "binlog_pos")])
    parsed = validate(module)
    connection, cursor, info = open_session(module)
    try:
        texts, positions = read_positions(module, cursor)
        result = dict(changed=False, queries=[], stopped_connections=[])
        if "gtid_slave_pos" in parsed:
            plan = plan_slave_pos(module, cursor, info, positions["gtid_slave_pos"], parsed["gtid_slave_pos"],
                                  module.params["gtid_slave_pos_mode"], module.params["stop_replication"])
            desired = plan["desired"] if plan else texts["gtid_slave_pos"]
            if module._diff:
                result["diff"] = dict(before={"gtid_slave_pos": texts["gtid_slave_pos"]}, after={"gtid_slave_pos": desired})
            if plan:
                statements = plan["stops"] + [set_global_gtid_slave_pos(desired)] + plan["starts"]
                result.update(changed=True, stopped_connections=plan["names"], queries=[s.masked() for s in statements])
                if not module.check_mode:
                    apply_slave_pos(module, cursor, plan)
                    texts, positions = read_positions(module, cursor)
        result.update(texts, gtid_positions=positions_of(positions))
        if module.params["binlog_file"] is not None:
            result["binlog_gtid_pos"] = binlog_gtid_pos(module, cursor)
        if "wait_for_pos" in parsed:
            wait_for_pos(module, cursor, parsed["wait_for_pos"], result)
        module.exit_json(**result)
    finally:
        connection.close()


if __name__ == "__main__":
    main()
