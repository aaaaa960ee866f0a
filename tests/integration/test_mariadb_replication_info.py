"""mariadb_replication_info on real servers: a healthy and a broken named connection."""

from __future__ import annotations

import socket

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, wait_for


def closed_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def add_connection(replica, name, host, port):
    replica.query(
        f"CHANGE MASTER '{name}' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
        "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
        (host, port, ADMIN_USER, ADMIN_PASSWORD))
    replica.query("START SLAVE %s", (name,))


def test_reports_healthy_and_broken_connections(mariadb_lab, run_module):
    source, replica = mariadb_lab.start(2)
    source.query("SET GLOBAL gtid_domain_id = 4")
    source.query("CREATE DATABASE info_db")
    dead_port = closed_port()
    add_connection(replica, "live", source.host, source.port)
    add_connection(replica, "dead", "127.0.0.1", dead_port)
    wait_for(lambda: replica.scalar("SELECT @@gtid_slave_pos") == "4-1-1")
    wait_for(lambda: replica.query("SHOW SLAVE 'dead' STATUS")[0]["Last_IO_Errno"])
    replica.query("SET GLOBAL read_only = 1")
    replica.query("SET GLOBAL gtid_domain_id = 7")

    for check_mode in (False, True):
        result = run_module("mariadb_replication_info", replica.login_args(), check_mode=check_mode)
        assert result["failed"] is False, result.get("msg")
        assert result["changed"] is False
        assert [c["connection_name"] for c in result["connections"]] == ["dead", "live"]
        dead, live = result["connections"]

        assert live["healthy"] is True
        assert (live["io_running"], live["sql_running"]) == ("Yes", "Yes")
        assert live["primary_host"] == "127.0.0.1" and live["primary_port"] == source.port
        assert live["primary_user"] == ADMIN_USER and live["primary_server_id"] == 1
        assert live["seconds_behind_primary"] == 0 and live["last_io_errno"] == 0 and live["last_sql_errno"] == 0
        assert live["using_gtid"] == "slave_pos" and live["gtid_io_pos"] == "4-1-1"
        assert live["connect_retry"] == 1 and live["sql_delay"] == 0
        assert live["raw"]["Connection_name"] == "live"

        assert dead["healthy"] is False
        assert dead["io_running"] == "Connecting" and dead["sql_running"] == "Yes"
        assert dead["last_io_errno"] == 2003 and str(dead_port) in dead["last_io_error"]
        assert dead["seconds_behind_primary"] is None and dead["primary_port"] == dead_port

        assert result["gtid_slave_pos"] == "4-1-1" and result["gtid_binlog_pos"] == "4-1-1"
        assert result["server_id"] == 2 and result["gtid_domain_id"] == 7
        assert result["read_only"] is True and result["log_bin"] is True and result["log_slave_updates"] is True
        assert result["gtid_strict_mode"] is False
        assert result["version"] == replica.scalar("SELECT VERSION()")

    filtered = run_module("mariadb_replication_info", dict(replica.login_args(), connection_name="LIVE"))
    assert [c["connection_name"] for c in filtered["connections"]] == ["live"]
    none = run_module("mariadb_replication_info", dict(replica.login_args(), connection_name="other"))
    assert none["failed"] is False and none["connections"] == []
    # Reading changed nothing: both connections still in the state they were.
    rows = {row["Connection_name"]: row for row in replica.query("SHOW ALL SLAVES STATUS")}
    assert rows["live"]["Slave_SQL_Running"] == "Yes" and rows["dead"]["Slave_IO_Running"] == "Connecting"


def test_server_without_connections(mariadb_lab, run_module):
    (server,) = mariadb_lab.start(1)
    result = run_module("mariadb_replication_info", server.login_args())
    assert result["failed"] is False, result.get("msg")
    assert result["connections"] == [] and result["gtid_slave_pos"] == "" and result["read_only"] is False
    assert result["server_id"] == 1


def test_reports_the_engine_of_gtid_slave_pos(mariadb_lab, run_module):
    (server,) = mariadb_lab.start(1)
    assert run_module("mariadb_replication_info", server.login_args())["gtid_slave_pos_engine"] == "InnoDB"
    server.query("ALTER TABLE mysql.gtid_slave_pos ENGINE=MyISAM")
    # The verify role refuses such a replica: its position could drift from its data after a crash.
    assert run_module("mariadb_replication_info", server.login_args())["gtid_slave_pos_engine"] == "MyISAM"


def test_reports_the_unfinished_seeds_of_the_state_file(mariadb_lab, run_module, tmp_path):
    (server,) = mariadb_lab.start(1)
    state_file = tmp_path / "seed" / "state.json"
    args = dict(server.login_args(), seed_state_file=str(state_file))
    assert run_module("mariadb_replication_info", args)["unfinished_seeds"] == {}, "no file, no unfinished seed"
    state_file.parent.mkdir()
    state_file.write_text('{"db1": {"phase": "started", "source": "s1"}, "crm": {"phase": "complete"}}')
    assert run_module("mariadb_replication_info", args)["unfinished_seeds"] == {"db1": {"phase": "started", "source": "s1"}}
    state_file.write_text("{broken")
    broken = run_module("mariadb_replication_info", args)
    assert broken["failed"] and "Cannot read seed_state_file" in broken["msg"] and "is not JSON" in broken["msg"]
