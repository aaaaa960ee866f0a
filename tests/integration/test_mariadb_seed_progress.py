"""mariadb_seed_progress against real asynchronous jobs: Ansible's own async_wrapper, run by ansible-playbook."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A job that writes a progress record, runs 1.5 s and writes its last one; and a job that fails.
PLAYBOOK = """
- name: Follow asynchronous jobs
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    progress: {progress}
  tasks:
    - name: Start a job that reports progress
      ansible.builtin.shell: |
        printf '{{"phase": "streaming", "bytes": 1}}\\n' > {progress}
        sleep 1.5
        printf '{{"phase": "done", "bytes": 2}}\\n' > {progress}
      args:
        executable: /bin/bash
      async: 60
      poll: 0
      register: job
      changed_when: true

    - name: Look at it while it runs
      replkit.mariadb.mariadb_seed_progress:
        results_file: "{{{{ job.results_file }}}}"
        progress_file: "{{{{ progress }}}}"
        wait: 0.3
      register: running

    - name: Wait for its end
      replkit.mariadb.mariadb_seed_progress:
        results_file: "{{{{ job.results_file }}}}"
        progress_file: "{{{{ progress }}}}"
        wait: 30
      register: ended

    - name: Start a job that fails
      ansible.builtin.shell: sleep 0.5; echo broken >&2; exit 3
      async: 60
      poll: 0
      register: bad_job
      changed_when: true

    - name: Follow the failing job
      block:
        - name: Wait for the failing job
          replkit.mariadb.mariadb_seed_progress:
            results_file: "{{{{ bad_job.results_file }}}}"
            wait: 30
          register: failed_wait
      rescue:
        - name: Note the failure
          ansible.builtin.debug:
            msg: the wait failed as the job did

    - name: Look for a job that does not exist
      block:
        - name: Wait for no job
          replkit.mariadb.mariadb_seed_progress:
            results_file: "{{{{ progress }}}}.no-such-job"
          register: missing_wait
      rescue:
        - name: Note the missing job
          ansible.builtin.debug:
            msg: the wait failed without a job

    - name: Save what the waits returned
      ansible.builtin.copy:
        content: "{{{{ dict(running=running, ended=ended, failed=failed_wait, missing=missing_wait) | to_json }}}}"
        dest: {out}
        mode: "0600"
"""


# The seed role's progress.yml following a job that reports 1 MiB more every 0.5 s for 3.5 s.
ROLE_PLAYBOOK = """
- name: Follow a long job as the seed role does
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    seed_progress_file: {progress}
    seed_progress_label: db2 <- db1
    seed_progress_interval: 1
  tasks:
    - name: Start a job that reports progress for 3.5 s
      ansible.builtin.shell: |
        for step in 1 2 3 4 5 6 7; do
          record='{{"phase": "streaming", "bytes": %d, "seconds": %d, "rate_mb_s": 2.0}}'
          printf "$record\\n" $((step * 1048576)) $((step / 2)) > {progress}.tmp
          mv {progress}.tmp {progress}
          sleep 0.5
        done
      args:
        executable: /bin/bash
      async: 60
      poll: 0
      register: seed_job
      changed_when: true

    - name: Follow it
      ansible.builtin.include_tasks: {progress_tasks}

    - name: Save the job's result
      ansible.builtin.copy:
        content: "{{{{ seed_wait.job | to_json }}}}"
        dest: {out}
        mode: "0600"
"""


def run_playbook(tmp_path, text):
    (tmp_path / "play.yml").write_text(text)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout


def test_the_seed_role_shows_progress_lines_until_the_job_ends(tmp_path):
    progress, out = tmp_path / "progress.json", tmp_path / "out.json"
    output = run_playbook(tmp_path, ROLE_PLAYBOOK.format(
        progress=progress, out=out, progress_tasks=REPO / "roles" / "seed" / "tasks" / "progress.yml"))
    lines = re.findall(r'"msg": "db2 <- db1: streaming, ([0-9.]+) MB in ([0-9.]+) s, ([0-9.]+) MB/s"', output)
    # One line a second while the job runs (3.5 s), growing; none after it ended.
    assert 2 <= len(lines) <= 4, output
    sizes = [float(line[0]) for line in lines]
    assert sizes == sorted(sizes) and sizes[0] >= 1.0 and lines[0][2] == "2.0"
    assert json.loads(out.read_text())["rc"] == 0


def test_waits_until_the_job_ends_and_reports_progress_and_failure(tmp_path):
    progress, out = tmp_path / "progress.json", tmp_path / "out.json"
    run_playbook(tmp_path, PLAYBOOK.format(progress=progress, out=out))
    waits = json.loads(out.read_text())

    running = waits["running"]
    assert running["finished"] is False and running["changed"] is False
    assert running["job"] == {}
    assert 0.3 <= running["waited_seconds"] < 1.4
    assert running["progress"] == {"phase": "streaming", "bytes": 1}

    ended = waits["ended"]
    assert ended["finished"] is True and ended["changed"] is False
    assert ended["job"]["rc"] == 0 and ended["job"]["changed"] is True
    assert ended["progress"] == {"phase": "done", "bytes": 2}
    # Noticed at the end of the 1.5 s job, not after the 30 s wait.
    assert ended["waited_seconds"] < 5

    failed = waits["failed"]
    assert failed["failed"] is True and failed["finished"] is True
    assert failed["job"]["rc"] == 3 and "broken" in failed["job"]["stderr"]
    assert failed["msg"].startswith("the seed failed: ")

    missing = waits["missing"]
    assert missing["failed"] is True
    assert "did not start here, or its results were cleaned up" in missing["msg"]
