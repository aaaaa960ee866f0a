"""The progress line a play prints while it follows a seed, and the refusals of following."""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.plugin_utils.seed_progress import (
    follow_problems, follow_timeout_message, progress_line)


def test_progress_line_shows_phase_mib_seconds_and_rate():
    record = {"phase": "copying", "bytes": 13107200, "seconds": 3.2, "rate_mb_s": 3.91, "updated_at": "x"}
    assert progress_line("db2 <- db1", record) == "db2 <- db1: copying, 12.5 MB in 3.2 s, 3.91 MB/s"
    assert progress_line("db2", {"phase": "copied", "bytes": 1048576, "seconds": 1, "rate_mb_s": 1.0}) == (
        "db2: copied, 1.0 MB in 1 s, 1.0 MB/s")


def test_progress_line_before_the_first_record_or_with_a_damaged_one():
    assert progress_line("db2", {}) == "db2: starting, 0.0 MB in 0 s, 0 MB/s"
    assert progress_line("db2", None) == "db2: starting, 0.0 MB in 0 s, 0 MB/s"
    damaged = {"phase": None, "bytes": "12", "seconds": True, "rate_mb_s": None}
    assert progress_line("db2", damaged) == "db2: starting, 0.0 MB in 0 s, 0 MB/s"


def test_timeout_message_names_host_results_file_last_progress_and_fix():
    message = follow_timeout_message("db2", "/root/.ansible_async/j1.2", 86400.0,
                                     "db2 <- db1: copying, 1.0 MB in 2 s, 0.5 MB/s")
    assert message.startswith("db2: the seed whose job's results file is /root/.ansible_async/j1.2 has not ended after "
                              "86400 s of following (timeout); its last progress: db2 <- db1: copying, 1.0 MB in 2 s, "
                              "0.5 MB/s.")
    assert "give a larger timeout (in the seed role, seed_timeout" in message
    assert "after 2.5 s" in follow_timeout_message("db2", "/f", 2.5, "db2: starting, 0.0 MB in 0 s, 0 MB/s")


def test_follow_needs_a_positive_interval_and_timeout():
    assert follow_problems(5, 86400) == []
    assert follow_problems(0.0, -1.0) == [
        "wait is 0: with follow it is the seconds between two progress lines; give more than 0.",
        "timeout is -1: give the seconds to follow the seed at most, more than 0."]
