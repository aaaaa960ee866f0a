"""The seed role's one line per finished mariadb_backup copy, on the replica and on the source."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.seed_plan import FilterModule, seed_backup_text

JOB = {"bytes": 123456789, "seconds": 12.5, "rate_mb_s": 9.4, "prepare_seconds": 3.25, "gtid_pos": "0-1-42,1-2-7"}
STEP = {"source": "db1", "connection": "db1", "replica": "r1"}
RESTORE = {"gtid_slave_pos": "0-1-42,1-2-7", "previous_datadir": "/var/lib/mysql.replkit-old"}


def test_filter_is_registered():
    assert FilterModule().filters()["seed_backup_text"] is seed_backup_text


def test_a_replica_says_what_it_received_prepared_and_where_the_old_data_is():
    assert seed_backup_text(JOB, "r1", STEP, [], RESTORE) == (
        "r1 <- db1 (mariadb_backup): 117.7 MB streamed in 12.5 s (9.4 MB/s) and prepared in 3.25 s, at GTID "
        "0-1-42,1-2-7; gtid_slave_pos now 0-1-42,1-2-7; the previous data directory is kept at "
        "/var/lib/mysql.replkit-old")


def test_a_source_names_every_replica_it_sent_its_one_backup_to():
    assert seed_backup_text(JOB, "db1", None, ["r1", "r2"], {"skipped": True}) == (
        "db1 -> r1, r2 (mariadb_backup): one backup, 117.7 MB sent to each in 12.5 s (9.4 MB/s), at GTID 0-1-42,1-2-7")


def test_an_empty_copy_shows_zero_and_a_missing_position_as_nothing():
    job = {"bytes": 0, "seconds": 0, "rate_mb_s": 0.0, "gtid_pos": None}
    assert seed_backup_text(job, "db1", None, ["r1"]) == (
        "db1 -> r1 (mariadb_backup): one backup, 0.0 MB sent to each in 0 s (0.0 MB/s), at GTID ")


@pytest.mark.parametrize("job, step, targets, restore, message", [
    (None, None, ["r1"], None, "expects the ended mariadb_backup_stream job as input, with bytes, seconds"),
    (JOB, STEP, [], {"skipped": True}, "the mariadb_backup_restore result \\(with gtid_slave_pos, previous_datadir\\)"),
    ({k: v for k, v in JOB.items() if k != "prepare_seconds"}, STEP, [], RESTORE, "with prepare_seconds"),
    (JOB, {"connection": "db1"}, [], RESTORE, "expects the replica's seed step \\(with its source\\)"),
    (JOB, None, "r1", None, "on a source expects the list of replicas it sent to, got 'r1'"),
])
def test_wrong_inputs_are_refused(job, step, targets, restore, message):
    with pytest.raises(AnsibleFilterError, match=message):
        seed_backup_text(job, "h", step, targets, restore)
