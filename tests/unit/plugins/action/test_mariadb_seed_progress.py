"""The action plugin of mariadb_seed_progress: one module run, or with follow one per progress line."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from ansible_collections.replkit.mariadb.plugins.action.mariadb_seed_progress import ActionModule

RESULTS_FILE = "/root/.ansible_async/j42.7"
RUNNING = {"changed": False, "finished": False, "job": {},
           "progress": {"phase": "copying", "bytes": 2097152, "seconds": 4.0, "rate_mb_s": 0.5}, "waited_seconds": 2.0}
ENDED = {"changed": False, "finished": True, "job": {"changed": True, "gtid_pos": "1-1-9", "bytes": 3},
         "progress": {"phase": "done", "bytes": 3}, "waited_seconds": 0.4}


class FakeHost:
    """Answers the module runs from a script of results; each run takes the ``wait`` it was given."""

    def __init__(self, *results):
        self.results, self.waits, self.now = list(results), [], 1000.0

    def clock(self):
        return self.now

    def execute_module(self, module_name=None, module_args=None, task_vars=None, wrap_async=False):
        self.waits.append((module_args or {}).get("wait"))
        self.now += (module_args or {}).get("wait") or 0
        return dict(self.results.pop(0))


def make_action(host, **args):
    task = MagicMock()
    task.args = dict(results_file=RESULTS_FILE, progress_file="/var/tmp/p.json", **args)
    task.async_val = 0
    task.check_mode = False
    connection = MagicMock()
    connection._shell.tmpdir = None
    connection.has_native_async = False
    action = ActionModule(task, connection, MagicMock(), MagicMock(), MagicMock(), MagicMock())
    action._execute_module = host.execute_module
    action._clock = host.clock
    return action


def run(action):
    return action.run(task_vars={"inventory_hostname": "db2"})


def test_follows_until_the_seed_ended_printing_a_line_per_wait(capsys):
    host = FakeHost(RUNNING, RUNNING, ENDED)
    result = run(make_action(host, wait=2, follow=True, label="db2 <- db1"))
    assert result == ENDED
    assert host.waits == [2.0, 2.0, 2.0]
    assert capsys.readouterr().err.splitlines() == ["db2 <- db1: copying, 2.0 MB in 4.0 s, 0.5 MB/s"] * 2


def test_the_label_is_the_host_by_default(capsys):
    run(make_action(FakeHost(RUNNING, ENDED), wait=2, follow=True))
    assert capsys.readouterr().err.splitlines() == ["db2: copying, 2.0 MB in 4.0 s, 0.5 MB/s"]


def test_a_failed_seed_is_returned_as_the_module_reported_it(capsys):
    failed = dict(ENDED, failed=True, msg="the seed failed: mariadb-dump exited 2", job={"failed": True, "rc": 2})
    host = FakeHost(RUNNING, failed, ENDED)
    assert run(make_action(host, wait=1, follow=True)) == failed
    assert len(host.waits) == 2 and len(capsys.readouterr().err.splitlines()) == 1


def test_an_unreachable_host_is_returned_at_once():
    gone = {"unreachable": True, "msg": "Failed to connect to the host via ssh"}
    host = FakeHost(gone, ENDED)
    assert run(make_action(host, wait=1, follow=True)) == gone
    assert host.waits == [1.0]


def test_gives_up_after_timeout_naming_host_and_results_file(capsys):
    host = FakeHost(*[RUNNING] * 10)
    result = run(make_action(host, wait=2, follow=True, timeout=5))
    # 2 + 2 + the 1 s left; the third wait's line goes into the message, not the terminal.
    assert host.waits == [2.0, 2.0, 1.0]
    assert len(capsys.readouterr().err.splitlines()) == 2
    assert result["failed"] is True and result["finished"] is False and result["progress"] == RUNNING["progress"]
    assert result["msg"].startswith(
        "db2: the seed whose job's results file is %s has not ended after 5 s of following (timeout); its last "
        "progress: db2: copying, 2.0 MB in 4.0 s, 0.5 MB/s." % RESULTS_FILE)


def test_without_follow_the_module_runs_once_with_the_task_args(capsys):
    host = FakeHost(RUNNING, ENDED)
    action = make_action(host, wait=7.5)
    seen = []
    action._execute_module = lambda **kwargs: seen.append(kwargs) or dict(RUNNING)
    assert run(action) == RUNNING
    assert len(seen) == 1 and "module_args" not in seen[0] and not seen[0]["wrap_async"]
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("args, message", [
    (dict(follow=True, wait=0), "wait is 0: with follow it is the seconds between two progress lines"),
    (dict(follow=True, timeout=-3), "timeout is -3: give the seconds to follow the seed at most"),
    (dict(follow="maybe"), "follow"),
])
def test_bad_follow_settings_fail_before_any_module_run(args, message):
    host = FakeHost(ENDED)
    result = run(make_action(host, **args))
    assert result["failed"] is True and message in result["msg"]
    assert host.waits == []


def test_check_mode_follows_too_since_waiting_only_reads():
    host = FakeHost(RUNNING, ENDED)
    action = make_action(host, wait=1, follow=True)
    action._task.check_mode = True
    assert run(action) == ENDED and host.waits == [1.0, 1.0]


def test_follow_refuses_async():
    host = FakeHost(ENDED)
    action = make_action(host, follow=True)
    action._task.async_val = 60
    result = run(action)
    assert result["failed"] is True and "leave async out of this task" in result["msg"] and host.waits == []
