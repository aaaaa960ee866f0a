# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a play prints while it follows a running seed, and why it stops following one that runs too long.

Pure: both read a progress record as the seed's module wrote it (``phase``, ``bytes``, ``seconds``,
``rate_mb_s``), or ``{}`` before the seed wrote its first one.
"""

from __future__ import annotations

MIB = 1048576


def _number(value):
    """A number of the record; 0 when it is missing or not a number (a record from another version)."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _seconds_text(value):
    """86400.0 -> '86400', 2.5 -> '2.5': seconds as an operator wrote them."""
    return "%d" % value if float(value).is_integer() else "%s" % value


def progress_line(label, progress):
    """One progress line, ``db2 <- db1: copying, 12.5 MB in 3.2 s, 3.9 MB/s``; ``starting`` before the first record."""
    record = progress if isinstance(progress, dict) else {}
    return "%s: %s, %s MB in %s s, %s MB/s" % (
        label, record.get("phase") or "starting", round(_number(record.get("bytes")) / MIB, 1),
        _number(record.get("seconds")), _number(record.get("rate_mb_s")))


def follow_timeout_message(host, results_file, timeout, last_line):
    """Why following a seed stopped after ``timeout`` seconds, what still runs and what to change."""
    return ("%s: the seed whose job's results file is %s has not ended after %s s of following (timeout); its last "
            "progress: %s. The job itself was not stopped: its async limit ends it. If copies of this size take that "
            "long, give a larger timeout (in the seed role, seed_timeout, which is also the job's async limit); "
            "otherwise look at why the copy stalled on %s." % (host, results_file, _seconds_text(timeout), last_line,
                                                               host))


def follow_problems(wait, timeout):
    """What is wrong with following every ``wait`` seconds for at most ``timeout`` seconds; [] when nothing."""
    problems = []
    if wait <= 0:
        problems.append("wait is %s: with follow it is the seconds between two progress lines; give more than 0."
                        % _seconds_text(wait))
    if timeout <= 0:
        problems.append("timeout is %s: give the seconds to follow the seed at most, more than 0."
                        % _seconds_text(timeout))
    return problems
