"""mariadb_seed_progress against real asynchronous jobs: Ansible's own async_wrapper, run by ansible-playbook,
and a real seed between two lab servers followed by the seed role's progress.yml."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, wait_for

REPO = Path(__file__).resolve().parents[2]
PROGRESS_TASKS = REPO / "roles" / "seed" / "tasks" / "progress.yml"
FOLLOW_TASK = "TASK [Wait for the seed to end, showing its progress]"

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


# The seed role's progress.yml following a job that reports 1 MiB more every second for 7 s.
def follow_play(name, label, timeout):
    """The head of a playbook that follows a job as the seed role does (a format template: {progress})."""
    return ("- name: %s\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n"
            "    seed_progress_file: {progress}\n    seed_progress_label: %s\n    seed_progress_interval: 1\n"
            "    seed_timeout: %d\n  tasks:\n" % (name, label, timeout))


# The role's progress.yml, then the result saved where the test reads it ({saved}: an expression).
FOLLOW_AND_SAVE = """
    - name: Follow the job
      ansible.builtin.include_tasks: {{progress_tasks}}

    - name: Save the result
      ansible.builtin.copy:
        content: "{{{{{{{{ {saved} | to_json }}}}}}}}"
        dest: {{out}}
        mode: "0600"
"""


ROLE_PLAYBOOK = follow_play("Follow a long job as the seed role does", "db2 <- db1", 60) + """    - name: Start a job that reports progress for 7 s
      ansible.builtin.shell: |
        for step in 1 2 3 4 5 6 7; do
          record='{{"phase": "streaming", "bytes": %d, "seconds": %d, "rate_mb_s": 2.0}}'
          printf "$record\\n" $((step * 1048576)) $step > {progress}.tmp
          mv {progress}.tmp {progress}
          sleep 1
        done
      args:
        executable: /bin/bash
      async: 60
      poll: 0
      register: seed_job
      changed_when: true
""" + FOLLOW_AND_SAVE.format(saved="dict(job=seed_wait.job, jid=seed_job.ansible_job_id)")


def run_playbook(tmp_path, text, extra_vars=None):
    """ansible-playbook on localhost; returns its standard output and error (where the progress lines go)."""
    (tmp_path / "play.yml").write_text(text)
    (tmp_path / "vars.json").write_text(json.dumps(extra_vars or {}))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"),
                           "-e", "@%s" % (tmp_path / "vars.json"), str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc.stdout, proc.stderr


def test_the_seed_role_shows_progress_lines_until_the_job_ends(tmp_path):
    progress, out = tmp_path / "progress.json", tmp_path / "out.json"
    output, errors = run_playbook(tmp_path, ROLE_PLAYBOOK.format(progress=progress, out=out,
                                                                 progress_tasks=PROGRESS_TASKS))
    lines = re.findall(r"^db2 <- db1: streaming, ([0-9.]+) MB in ([0-9.]+) s, ([0-9.]+) MB/s$", errors, re.MULTILINE)
    # At most one line a second while the job runs (7 s; fewer on a busy machine: each wait also starts the
    # module), growing; none after it ended. All from one task, and on standard error: standard output
    # stays the callback's.
    assert 2 <= len(lines) <= 7, output + errors
    sizes = [float(line[0]) for line in lines]
    assert sizes == sorted(sizes) and sizes[0] >= 1.0 and lines[0][2] == "2.0"
    assert output.count(FOLLOW_TASK) == 1 and "db2 <- db1:" not in output, output
    saved = json.loads(out.read_text())
    assert saved["job"]["rc"] == 0
    # progress.yml removed the job's results file once it ended.
    assert not (Path.home() / ".ansible_async" / saved["jid"]).exists()


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


# Following gives up after its timeout, while the job still runs.
TIMEOUT_PLAYBOOK = """
- name: Follow a job longer than the timeout
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Start a job that runs 6 s
      ansible.builtin.command: sleep 6
      async: 30
      poll: 0
      register: slow_job
      changed_when: true

    - name: Follow it for 2 s at most
      block:
        - name: Follow the slow job
          replkit.mariadb.mariadb_seed_progress:
            results_file: "{{{{ slow_job.results_file }}}}"
            wait: 1
            follow: true
            label: db2 <- db1
            timeout: 2
          register: slow_wait
      rescue:
        - name: Note the timeout
          ansible.builtin.debug:
            msg: following stopped

    - name: Save what the follow returned
      ansible.builtin.copy:
        content: "{{{{ dict(wait=slow_wait, results_file=slow_job.results_file) | to_json }}}}"
        dest: {out}
        mode: "0600"
"""


def test_following_stops_after_its_timeout_naming_host_and_job(tmp_path):
    out = tmp_path / "out.json"
    errors = run_playbook(tmp_path, TIMEOUT_PLAYBOOK.format(out=out))[1]
    saved = json.loads(out.read_text())
    wait = saved["wait"]
    assert wait["failed"] is True and wait["finished"] is False
    assert wait["msg"].startswith("localhost: the seed whose job's results file is %s has not ended after 2 s of "
                                  "following (timeout); its last progress: db2 <- db1: starting, 0.0 MB in 0 s, 0 MB/s."
                                  % saved["results_file"]), wait["msg"]
    assert "seed_timeout" in wait["msg"]
    # A line per wait but the last, which is in the message: two waits at most in 2 s.
    assert errors.count("db2 <- db1: starting, 0.0 MB in 0 s, 0 MB/s") <= 1, errors


# A real seed (mariadb_seed, consistent_dump) from the lab's source into its replica, as the seed role's
# dump.yml starts it, followed by the role's own progress.yml.
SEED_PLAYBOOK = follow_play("Seed a replica and follow it as the seed role does", "replica <- source", 120) + """
    - name: Copy the source's databases into the replica
      replkit.mariadb.mariadb_seed:
        login_host: 127.0.0.1
        login_port: {replica_port}
        login_user: "{{{{ admin_user }}}}"
        login_password: "{{{{ admin_password }}}}"
        source_host: 127.0.0.1
        source_port: {source_port}
        source_user: "{{{{ admin_user }}}}"
        source_password: "{{{{ admin_password }}}}"
        databases: [shop]
        progress_file: "{{{{ seed_progress_file }}}}"
      async: "{{{{ seed_timeout | int }}}}"
      poll: 0
      register: seed_job
""" + FOLLOW_AND_SAVE.format(saved="seed_wait")


@pytest.fixture
def source_and_replica(mariadb_lab):
    source, replica = mariadb_lab.start(2)
    source.query("CREATE DATABASE shop")
    source.query("CREATE TABLE shop.items (id INT PRIMARY KEY, note VARCHAR(200)) ENGINE=InnoDB")
    source.query("INSERT INTO shop.items SELECT seq, REPEAT('x', 200) FROM shop.seq_1_to_20000")
    return source, replica


def test_the_seed_role_follows_a_real_seed_for_several_intervals(tmp_path, source_and_replica):
    source, replica = source_and_replica
    progress, out = tmp_path / "progress.json", tmp_path / "out.json"
    # The dump's read of shop.items waits for this table lock: held until the copy has been running 4 s, so
    # the seed takes several progress intervals whatever the machine's speed.
    lock = source.connect()
    with lock.cursor() as cursor:
        cursor.execute("LOCK TABLES shop.items WRITE")

    played = threading.Event()

    def release():
        try:
            wait_for(lambda: progress.exists() or played.is_set(), timeout=120)
            if not played.is_set():
                time.sleep(4)
        finally:
            with lock.cursor() as cursor:
                cursor.execute("UNLOCK TABLES")

    releaser = threading.Thread(target=release, daemon=True)
    releaser.start()
    try:
        playbook = SEED_PLAYBOOK.format(progress=progress, out=out, progress_tasks=PROGRESS_TASKS,
                                        replica_port=replica.port, source_port=source.port)
        output, errors = run_playbook(tmp_path, playbook, dict(admin_user=ADMIN_USER, admin_password=ADMIN_PASSWORD))
    finally:
        played.set()
        releaser.join(130)
        lock.close()
    lines = re.findall(r"^replica <- source: (starting|copying|copied|done), [0-9.]+ MB in [0-9.]+ s, [0-9.]+ MB/s$",
                       errors, re.MULTILINE)
    assert len(lines) >= 2, output + errors
    assert output.count(FOLLOW_TASK) == 1, output
    wait = json.loads(out.read_text())
    assert wait["finished"] is True and wait["changed"] is False
    job = wait["job"]
    assert job["changed"] is True and job["databases"] == ["shop"] and job["method"] == "consistent_dump"
    assert job["bytes"] > 1000000 and job["seconds"] >= 3 and job["gtid_pos"]
    assert replica.scalar("SELECT COUNT(*) FROM shop.items") == 20000
