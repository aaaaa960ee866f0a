#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mariadb_seed_progress
short_description: Wait for a running seed to end, at most a given time, and read its progress
version_added: 0.2.0
author: replkit.mariadb contributors (@replkit)
description:
  - Follows a seed started as an asynchronous task (C(async) set, C(poll) V(0)) of M(replkit.mariadb.mariadb_seed) or
    M(replkit.mariadb.mariadb_backup_stream). It waits on the host until the job ends or O(wait) seconds have passed,
    whichever comes first, then returns whether it ended, the seed's last progress record and, once it ended, the
    seed's result.
  - The waiting happens on the host, which looks at the job's results file ten times a second. A play therefore
    notices the end of a seed within a fraction of a second. It also runs one wait per progress line, instead of
    an M(ansible.builtin.async_status) poll every second on every host while the copy competes for the CPU.
  - With O(follow), one task follows the seed to its end. The collection's action plugin of the same name runs the
    module again every O(wait) seconds and prints a progress line on the controller after each wait
    (O(label), the seed's phase, MB copied, seconds, MB/s), then returns the last wait's result as the module
    returned it.
  - Fails when the seed failed, with the seed's own message, like M(ansible.builtin.async_status) does.
  - Changes nothing, so it never reports a change.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - replkit.mariadb.attributes.read_only
options:
  results_file:
    description:
      - The job's results file, RV(ansible.builtin.async_status#module:results_file) of the registered asynchronous
        task.
    type: path
    required: true
  progress_file:
    description:
      - The seed's progress file (the module's C(progress_file) option). Without it, RV(progress) is empty.
    type: path
  wait:
    description:
      - Seconds to wait at most for the seed to end. V(0) only looks.
      - With O(follow), the seconds between two progress lines (more than V(0)).
    type: float
    default: 5
  follow:
    description:
      - Wait until the seed ended, printing a progress line every O(wait) seconds, instead of waiting once.
      - The action plugin does the following, on the controller; the module itself ignores this option.
      - Not with C(async) on this task.
    type: bool
    default: false
  label:
    description:
      - With O(follow), the start of each progress line, for example V(db2 <- db1); the host's name by default.
      - The module itself ignores this option.
    type: str
  timeout:
    description:
      - With O(follow), the longest time to follow the seed, in seconds. After it the task fails, naming the host
        and the job's results file; the job itself runs on until its own async limit.
      - The module itself ignores this option.
    type: float
    default: 86400
notes:
  - Check mode and diff mode change nothing either; the module only reads, also with O(follow).
  - With O(follow), each wait is a run of the module on the host, and its result is registered only once the
    following ended; RV(waited_seconds) is then the last wait's.
  - The progress lines go to the controller's standard error, so that standard output stays the stdout callback's
    alone (the output of a machine-readable callback such as C(ansible.posix.json) stays parseable).
  - The job's results file stays in place, as with M(ansible.builtin.async_status) in its status mode.
seealso:
  - module: replkit.mariadb.mariadb_seed
  - module: replkit.mariadb.mariadb_backup_stream
  - module: ansible.builtin.async_status
"""

EXAMPLES = r"""
- name: Copy the source's databases, in the background
  replkit.mariadb.mariadb_seed:
    source_host: db1.example.com
    source_user: seed
    source_password: "{{ vault_seed_password }}"
    progress_file: /var/lib/replkit-seed/db2.json
  async: 7200
  poll: 0
  register: seed_job

- name: Wait for the copy, printing its progress every 10 seconds, for two hours at most
  replkit.mariadb.mariadb_seed_progress:
    results_file: "{{ seed_job.results_file }}"
    progress_file: /var/lib/replkit-seed/db2.json
    wait: 10
    follow: true
    label: db2 <- db1
    timeout: 7200
  register: seed_progress

- name: Show where the copy ended
  ansible.builtin.debug:
    msg: "{{ seed_progress.job.gtid_pos }}"

- name: Look once whether the copy ended, waiting 2 seconds at most
  replkit.mariadb.mariadb_seed_progress:
    results_file: "{{ seed_job.results_file }}"
    progress_file: /var/lib/replkit-seed/db2.json
    wait: 2
  register: seed_look
"""

RETURN = r"""
finished:
  description: Whether the seed's job has ended.
  returned: always
  type: bool
  sample: false
progress:
  description:
    - The seed's last progress record (phase, bytes, seconds since the copy began, rate in MiB/s, update time);
      empty before the seed wrote one or without O(progress_file).
  returned: always
  type: dict
  sample: {"phase": "streaming", "bytes": 734003200, "seconds": 3.2, "rate_mb_s": 218.75,
           "updated_at": "2026-01-01T12:00:03Z"}
job:
  description: The seed's result, as the seed's module returned it; empty while it runs.
  returned: always
  type: dict
  sample: {"changed": true, "gtid_pos": "1-1-856", "bytes": 1208856376, "seconds": 3.66}
waited_seconds:
  description: How long the module waited; with O(follow), in its last wait.
  returned: always
  type: float
  sample: 1.3
"""

import time

from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import read_progress, wait_for_async_job


def main():
    module = ReplkitModule(
        argument_spec=dict(
            results_file=dict(type="path", required=True),
            progress_file=dict(type="path"),
            wait=dict(type="float", default=5),
            # Read by the action plugin of this name, which follows the seed; accepted and ignored here.
            follow=dict(type="bool", default=False),
            label=dict(type="str"),
            timeout=dict(type="float", default=86400),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["wait"] < 0:
        module.fail_json(msg="wait is %s: give 0 (only look) or more seconds." % params["wait"])
    started = time.monotonic()
    try:
        finished, job = wait_for_async_job(params["results_file"], params["wait"])
    except OSError as error:
        module.fail_json(msg="cannot read the seed's job at %s (%s): the asynchronous task did not start here, or its "
                             "results were cleaned up." % (params["results_file"], error.strerror or error))
    result = dict(changed=False, finished=finished, job=job or {},
                  progress=read_progress(params["progress_file"]) if params["progress_file"] else {},
                  waited_seconds=round(time.monotonic() - started, 2))
    for warning in (job or {}).get("warnings") or []:
        module.warn("the seed: %s" % warning)
    if finished and job.get("failed"):
        module.fail_json(msg="the seed failed: %s" % job.get("msg", "no message"), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
