"""What the two copy paths share: client option files (passwords never on argv), progress files, output tails."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import (
    client_option_file, login_client_options, option_file_value, option_pipe, write_private_file)
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import (
    async_job_outcome, format_progress, make_work_dir, progress_file_problem, progress_record, rate_mib_s, read_progress,
    remove_dead_work_dirs, tail, wait_for_async_job, write_progress_file)


def test_option_values_survive_quotes_backslashes_comments_and_control_characters():
    assert option_file_value('adm\'in"pa\\ss;#word') == '"adm\'in\\"pa\\\\ss;#word"'
    assert option_file_value("a#b\tc\nd") == '"a#b\\tc\\nd"'
    with pytest.raises(ValueError):
        option_file_value("nul\x00byte")


def test_client_option_file_leaves_out_none_and_includes_first():
    text = client_option_file({"host": "10.0.0.1", "port": 3306, "user": "u", "password": None}, "/root/.my.cnf")
    assert text == '!include /root/.my.cnf\n[client]\nhost="10.0.0.1"\nport="3306"\nuser="u"\n'


def test_login_client_options_socket_or_tcp_with_tls():
    socket = login_client_options(dict(login_unix_socket="/run/mysqld/mysqld.sock", login_host="localhost",
                                       login_port=3306, login_user=None, login_password=None))
    assert {key: value for key, value in socket.items() if value is not None} == {"socket": "/run/mysqld/mysqld.sock"}
    tcp = login_client_options(dict(login_unix_socket=None, login_host="db1", login_port=3307, login_user="u",
                                    login_password="p", ca_cert="/ca.pem"))
    assert tcp == {"host": "db1", "port": 3307, "user": "u", "password": "p", "ssl-ca": "/ca.pem",
                   "ssl-cert": None, "ssl-key": None}


def test_private_file_is_0600_and_never_overwritten(tmp_path):
    path = write_private_file(str(tmp_path / "client.cnf"), "[client]\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_private_file(path, "again")


def test_progress_record_file_and_parse(tmp_path):
    record = progress_record("streaming", 50 * 1024 * 1024, 4.0, now=0)
    assert record == {"phase": "streaming", "bytes": 52428800, "seconds": 4.0, "rate_mb_s": 12.5,
                      "updated_at": "1970-01-01T00:00:00Z"}
    assert format_progress(record).endswith("}\n") and json.loads(format_progress(record)) == record
    assert progress_record("listening", 0, 0.0)["rate_mb_s"] == 0.0
    assert rate_mib_s(3 * 1024 * 1024, 2) == 1.5
    path = str(tmp_path / "progress.json")
    write_progress_file(path, record)
    assert json.loads(open(path).read()) == record
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    write_progress_file(None, record)  # no path: nothing to write, no error


def test_tail():
    assert tail("a\nb\nc\n", lines=2) == "b\nc"
    assert tail(None) == ""


def test_async_job_outcome_reads_the_results_file_as_async_status_does():
    assert async_job_outcome('{"started": true, "finished": false, "ansible_job_id": "j1"}') == (False, None)
    assert async_job_outcome('{"started": 1, "finished": 0}') == (False, None)
    assert async_job_outcome("") == (False, None)  # being written
    assert async_job_outcome("[1]") == (False, None)
    assert async_job_outcome('{"changed": true, "gtid_pos": "1-1-9"}') == (True, {"changed": True, "gtid_pos": "1-1-9"})
    assert async_job_outcome('{"failed": 1, "msg": "Timeout exceeded"}') == (True, {"failed": 1, "msg": "Timeout exceeded"})
    assert async_job_outcome('{"started": 1, "finished": 1, "rc": 0}') == (True, {"started": 1, "finished": 1, "rc": 0})


class FakeClock:
    """time.monotonic and time.sleep over a fake time line; ``on_sleep`` runs after each sleep."""

    def __init__(self, on_sleep=None):
        self.now, self.sleeps, self.on_sleep = 100.0, [], on_sleep

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds
        if self.on_sleep:
            self.on_sleep(self.now)


def test_wait_for_async_job_returns_as_soon_as_the_job_ended(tmp_path):
    results = tmp_path / "job"
    results.write_text('{"started": true, "finished": false}')

    def job_ends_at_100_35(now):
        if now >= 100.35:
            results.write_text('{"changed": true, "bytes": 5}')

    fake = FakeClock(job_ends_at_100_35)
    ended, result = wait_for_async_job(str(results), 5, clock=fake.clock, sleep=fake.sleep)
    assert (ended, result) == (True, {"changed": True, "bytes": 5})
    assert fake.sleeps == [0.1, 0.1, 0.1, 0.1]  # noticed at the first look after the end


def test_wait_for_async_job_gives_up_after_the_wait(tmp_path):
    results = tmp_path / "job"
    results.write_text('{"started": true, "finished": false}')
    fake = FakeClock()
    assert wait_for_async_job(str(results), 0.25, clock=fake.clock, sleep=fake.sleep) == (False, None)
    assert fake.sleeps == [0.1, 0.1, 0.05]  # never past the wait
    fake = FakeClock()
    assert wait_for_async_job(str(results), 0, clock=fake.clock, sleep=fake.sleep) == (False, None)
    assert fake.sleeps == []


def test_wait_for_async_job_without_a_job_raises(tmp_path):
    with pytest.raises(OSError):
        wait_for_async_job(str(tmp_path / "missing"), 1)


def test_read_progress_is_empty_until_a_record_is_written(tmp_path):
    path = tmp_path / "progress.json"
    assert read_progress(str(path)) == {}
    path.write_text("{}\n")
    assert read_progress(str(path)) == {}
    path.write_text("[]")
    assert read_progress(str(path)) == {}
    write_progress_file(str(path), progress_record("streaming", 2 * 1048576, 1.0, now=0))
    assert read_progress(str(path))["rate_mb_s"] == 2.0


def test_progress_file_directory_is_made_private_when_missing(tmp_path):
    path = tmp_path / "seed" / "progress.json"
    write_progress_file(str(path), progress_record("listening", 0, 0, now=0))
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_progress(str(path))["phase"] == "listening"


def test_progress_file_problem_only_for_a_file_in_the_way(tmp_path):
    (tmp_path / "plain").write_text("x")
    assert progress_file_problem(None) is None
    assert progress_file_problem(str(tmp_path / "missing" / "deeper" / "p.json")) is None  # made when written
    assert progress_file_problem(str(tmp_path / "plain" / "sub" / "p.json")) == (
        "progress_file %s lies under %s, which is not a directory; choose another path"
        % (tmp_path / "plain" / "sub" / "p.json", tmp_path / "plain"))


def test_a_work_dir_is_private_and_named_after_its_process(tmp_path):
    path = make_work_dir("replkit-test-", str(tmp_path))
    assert os.path.basename(path).startswith("replkit-test-%d-" % os.getpid())
    assert os.stat(path).st_mode & 0o777 == 0o700


def test_only_work_dirs_of_dead_processes_are_removed(tmp_path):
    for name in ("replkit-test-111-a", "replkit-test-222-b", "replkit-test-x-c", "other-111-d"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "client.cnf").write_text("[client]\npassword=secret\n")
    (tmp_path / "replkit-test-333-file").write_text("not a directory")
    removed = remove_dead_work_dirs("replkit-test-", str(tmp_path), alive=lambda pid: pid == 222)
    assert removed == [str(tmp_path / "replkit-test-111-a")]
    assert sorted(os.listdir(tmp_path)) == ["other-111-d", "replkit-test-222-b", "replkit-test-333-file", "replkit-test-x-c"]


def test_the_current_process_keeps_its_work_dir(tmp_path):
    path = make_work_dir("replkit-test-", str(tmp_path))
    assert remove_dead_work_dirs("replkit-test-", str(tmp_path)) == []
    assert os.path.isdir(path)


def test_an_option_pipe_hands_the_text_to_a_child_and_nothing_to_the_disk():
    text = client_option_file({"user": "repl", "password": "se'cr\"et"})
    descriptor, path = option_pipe(text)
    try:
        assert path == "/dev/fd/%d" % descriptor
        assert stat.S_ISFIFO(os.fstat(descriptor).st_mode)
        child = subprocess.run(["cat", path], pass_fds=(descriptor,), capture_output=True, text=True, check=True)
    finally:
        os.close(descriptor)
    assert child.stdout == text


def test_an_option_pipe_refuses_what_would_not_fit():
    with pytest.raises(ValueError, match="does not fit a pipe"):
        option_pipe("x" * (64 * 1024))
