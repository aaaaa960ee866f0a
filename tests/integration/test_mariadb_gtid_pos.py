"""mariadb_gtid_pos on real servers: two sources in GTID domains 1 and 2 replicate into one replica."""

from __future__ import annotations

import time

import pytest

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, wait_for


def threads(server, name):
    row = server.query("SHOW SLAVE %s STATUS", (name,))[0]
    return row["Slave_IO_Running"], row["Slave_SQL_Running"]


def slave_pos(server):
    return server.scalar("SELECT @@gtid_slave_pos")


class Topology:
    """Source ``a`` writes domain 1, source ``b`` domain 2; ``replica`` pulls both over named connections."""

    def __init__(self, lab):
        self.a, self.b, self.replica = lab.start(3)
        # Idempotent DDL, so moving gtid_slave_pos back and replaying is harmless.
        for source, domain, count in ((self.a, 1, 3), (self.b, 2, 2)):
            source.query("SET GLOBAL gtid_domain_id = %s", (domain,))
            for index in range(count):
                source.query(f"CREATE DATABASE IF NOT EXISTS d{domain}_{index}")
        self.replica.query("SET GLOBAL gtid_slave_pos = ''")
        for name, source in (("a", self.a), ("b", self.b)):
            self.replica.query(
                f"CHANGE MASTER '{name}' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
                "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
                (source.host, source.port, ADMIN_USER, ADMIN_PASSWORD))
            self.replica.query("START SLAVE %s", (name,))
        self.caught_up = "1-1-3,2-2-2"
        assert self.a.scalar("SELECT @@gtid_binlog_pos") == "1-1-3"
        assert self.b.scalar("SELECT @@gtid_binlog_pos") == "2-2-2"
        wait_for(lambda: slave_pos(self.replica) == self.caught_up)


@pytest.fixture
def topology(mariadb_lab):
    return Topology(mariadb_lab)


def test_read_positions(topology, run_module):
    result = run_module("mariadb_gtid_pos", topology.replica.login_args())
    assert result["failed"] is False, result.get("msg")
    assert result["changed"] is False
    assert result["gtid_slave_pos"] == "1-1-3,2-2-2"
    assert result["gtid_binlog_pos"] == topology.replica.scalar("SELECT @@gtid_binlog_pos")
    assert result["gtid_current_pos"] == topology.replica.scalar("SELECT @@gtid_current_pos")
    assert result["gtid_positions"]["slave_pos"] == {"1": {"server_id": 1, "seq_no": 3}, "2": {"server_id": 2, "seq_no": 2}}


def test_merge_restarts_only_running_connections_and_keeps_other_domain(topology, run_module):
    replica = topology.replica
    replica.query("STOP SLAVE 'a'")
    args = dict(replica.login_args(), gtid_slave_pos="1-1-1")

    predicted = run_module("mariadb_gtid_pos", args, check_mode=True, diff=True)
    assert predicted["failed"] is False, predicted.get("msg")
    assert predicted["changed"] is True
    assert predicted["stopped_connections"] == ["b"]
    assert predicted["queries"] == ["STOP REPLICA 'b'", "SET GLOBAL gtid_slave_pos = '1-1-1,2-2-2'", "START REPLICA 'b'"]
    assert predicted["diff"] == {"before": {"gtid_slave_pos": "1-1-3,2-2-2"}, "after": {"gtid_slave_pos": "1-1-1,2-2-2"}}
    assert slave_pos(replica) == "1-1-3,2-2-2"
    assert threads(replica, "b") == ("Yes", "Yes") and threads(replica, "a") == ("No", "No")

    applied = run_module("mariadb_gtid_pos", args, diff=True)
    assert applied["failed"] is False, applied.get("msg")
    assert applied["changed"] is True and applied["stopped_connections"] == ["b"]
    assert applied["gtid_slave_pos"] == "1-1-1,2-2-2"
    assert slave_pos(replica) == "1-1-1,2-2-2"  # domain 2 untouched, domain 1 moved
    wait_for(lambda: threads(replica, "b") == ("Yes", "Yes"))
    assert threads(replica, "a") == ("No", "No")  # it was stopped, so it stays stopped

    again = run_module("mariadb_gtid_pos", args)
    assert again["failed"] is False and again["changed"] is False
    assert again["queries"] == [] and again["stopped_connections"] == []

    # Real data flows from the moved position: 'a' replays domain 1 from seq 2, 'b' still replicates.
    replica.query("START SLAVE 'a'")
    wait_for(lambda: slave_pos(replica) == "1-1-3,2-2-2")
    topology.b.query("CREATE DATABASE IF NOT EXISTS after_restart")
    wait_for(lambda: slave_pos(replica) == "1-1-3,2-2-3")
    assert replica.query("SHOW DATABASES LIKE 'after_restart'")


def test_stop_replication_false_fails_and_changes_nothing(topology, run_module):
    replica = topology.replica
    result = run_module("mariadb_gtid_pos", dict(replica.login_args(), gtid_slave_pos="1-1-1", stop_replication=False))
    assert result["failed"] is True
    assert "'a', 'b'" in result["msg"] and "stop_replication" in result["msg"]
    assert slave_pos(replica) == "1-1-3,2-2-2"
    assert threads(replica, "a") == ("Yes", "Yes") and threads(replica, "b") == ("Yes", "Yes")


def test_replace_drops_other_domains(topology, run_module):
    replica = topology.replica
    replica.query("STOP ALL SLAVES")
    args = dict(replica.login_args(), gtid_slave_pos="1-1-3", gtid_slave_pos_mode="replace")
    result = run_module("mariadb_gtid_pos", args)
    assert result["failed"] is False, result.get("msg")
    assert result["changed"] is True and result["stopped_connections"] == []
    assert slave_pos(replica) == "1-1-3"
    assert threads(replica, "a") == ("No", "No") and threads(replica, "b") == ("No", "No")
    assert run_module("mariadb_gtid_pos", args)["changed"] is False


def test_invalid_position_changes_nothing(topology, run_module):
    replica = topology.replica
    result = run_module("mariadb_gtid_pos", dict(replica.login_args(), gtid_slave_pos="1-1-3,1-1-4"))
    assert result["failed"] is True and "lists domain 1 twice" in result["msg"]
    assert slave_pos(replica) == "1-1-3,2-2-2" and threads(replica, "a") == ("Yes", "Yes")


def test_binlog_gtid_pos_matches_gtid_binlog_pos(topology, run_module):
    source = topology.a
    source.query("CREATE DATABASE IF NOT EXISTS more")
    status = source.query("SHOW MASTER STATUS")[0]
    args = dict(source.login_args(), binlog_file=status["File"], binlog_pos=status["Position"])
    for check_mode in (True, False):
        result = run_module("mariadb_gtid_pos", args, check_mode=check_mode)
        assert result["failed"] is False, result.get("msg")
        assert result["binlog_gtid_pos"] == source.scalar("SELECT @@gtid_binlog_pos") == "1-1-4"
        assert result["changed"] is False

    missing = run_module("mariadb_gtid_pos", dict(source.login_args(), binlog_file="nope-bin.000001", binlog_pos=4))
    assert missing["failed"] is True and "returned NULL" in missing["msg"]


def test_wait_for_pos_reached_and_timeout(topology, run_module):
    replica = topology.replica
    topology.a.query("CREATE DATABASE IF NOT EXISTS waited")
    target = topology.a.scalar("SELECT @@gtid_binlog_pos")
    reached = run_module("mariadb_gtid_pos", dict(replica.login_args(), wait_for_pos=target, wait_timeout=30))
    assert reached["failed"] is False, reached.get("msg")
    assert reached["changed"] is False
    assert replica.query("SHOW DATABASES LIKE 'waited'")

    started = time.monotonic()
    late = run_module("mariadb_gtid_pos", dict(replica.login_args(), wait_for_pos="1-1-14,2-2-2", wait_timeout=1))
    assert time.monotonic() - started >= 1
    assert late["failed"] is True
    assert "domain 1: 10 transaction(s) behind (at 1-1-4, target 1-1-14)" in late["msg"]
    assert late["behind"] == {"1": 10, "2": 0}


def test_wait_counts_binlog_accepts_own_writes_that_never_enter_gtid_slave_pos(topology, run_module):
    replica = topology.replica
    # The replica's own write, in its own domain: in its binary log, never in its gtid_slave_pos.
    replica.query("SET GLOBAL gtid_domain_id = 7")
    replica.query("CREATE DATABASE IF NOT EXISTS own_write")
    own = replica.scalar("SELECT @@gtid_binlog_pos")
    topology.a.query("CREATE DATABASE IF NOT EXISTS later")
    target = ",".join(part for part in own.split(",") if part.startswith("7-")) + "," + \
        topology.a.scalar("SELECT @@gtid_binlog_pos")

    plain = run_module("mariadb_gtid_pos", dict(replica.login_args(), wait_for_pos=target, wait_timeout=1))
    assert plain["failed"] is True, plain
    assert plain["behind"]["7"] == 1, "MASTER_GTID_WAIT looks at gtid_slave_pos only"

    counted = run_module("mariadb_gtid_pos", dict(replica.login_args(), wait_for_pos=target, wait_timeout=30,
                                                  wait_counts_binlog=True))
    assert counted["failed"] is False, counted.get("msg")
    assert counted["changed"] is False
    assert replica.query("SHOW DATABASES LIKE 'later'"), "the source's domain was waited for, not just counted"

    started = time.monotonic()
    late = run_module("mariadb_gtid_pos", dict(replica.login_args(), wait_for_pos="1-1-999", wait_timeout=1,
                                               wait_counts_binlog=True))
    assert time.monotonic() - started >= 1
    assert late["failed"] is True and late["behind"]["1"] > 0
    assert "neither gtid_slave_pos" in late["msg"] and "domain 1:" in late["msg"]
