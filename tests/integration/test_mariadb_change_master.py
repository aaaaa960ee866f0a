"""mariadb_change_master against real servers: predict, apply, idempotence, single-option changes, removal."""

from __future__ import annotations

import pytest

from mariadb_lab import ADMIN_PASSWORD, connection_running, connection_status, wait_for

REPL_USER = "repl"
REPL_PASSWORD = "re'pl\"pa\\ss;wd"


def create_replication_user(source):
    source.query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (REPL_USER, REPL_PASSWORD))
    source.query("GRANT REPLICATION SLAVE ON *.* TO %s@'127.0.0.1'", (REPL_USER,))


@pytest.fixture
def pair(mariadb_lab):
    source, replica = mariadb_lab.start(2)
    create_replication_user(source)
    return source, replica


def connection_args(source, replica, **extra):
    args = dict(replica.login_args(), connection_name="src", primary_host=source.host, primary_port=source.port,
                primary_user=REPL_USER, primary_password=REPL_PASSWORD, primary_use_gtid="slave_pos",
                primary_connect_retry=5, state="started")
    args.update(extra)
    return args


def test_check_mode_predicts_apply_creates_second_run_is_unchanged(pair, run_module):
    source, replica = pair
    args = connection_args(source, replica)

    predicted = run_module("mariadb_change_master", args, check_mode=True, diff=True)
    assert not predicted["failed"], predicted
    assert predicted["changed"] is True
    assert connection_status(replica, "src") is None, "check mode must not create the connection"
    assert predicted["diff"]["after"]["primary_password"] == "********"
    assert REPL_PASSWORD not in str(predicted["queries"])

    applied = run_module("mariadb_change_master", args, diff=True)
    assert not applied["failed"], applied
    assert applied["changed"] is True
    assert applied["queries"] == predicted["queries"]
    assert applied["queries"][0].startswith("CHANGE MASTER 'src' TO MASTER_HOST='127.0.0.1'")
    assert "MASTER_PASSWORD='********'" in applied["queries"][0]
    assert applied["queries"][-1] == "START REPLICA 'src'"

    # The password with ' " \ and ; reached the server intact: the I/O thread logs in with it.
    wait_for(lambda: connection_running(replica, "src"))
    source.query("CREATE DATABASE cm")
    source.query("CREATE TABLE cm.t (id INT PRIMARY KEY)")
    source.query("INSERT INTO cm.t VALUES (1)")
    wait_for(lambda: replica.query("SHOW DATABASES LIKE 'cm'") and replica.query("SELECT id FROM cm.t"))

    again = run_module("mariadb_change_master", args, check_mode=True)
    assert again["changed"] is False and again["queries"] == []
    again = run_module("mariadb_change_master", args, diff=True)
    assert not again["failed"], again
    assert again["changed"] is False and again["queries"] == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert again["status"]["io_running"] == "Yes" and again["status"]["sql_running"] == "Yes"


def test_changing_one_option_sends_only_it_and_restores_running_state(pair, run_module):
    source, replica = pair
    args = connection_args(source, replica, primary_heartbeat_period=5.5, do_domain_ids=[])
    assert run_module("mariadb_change_master", args)["changed"] is True
    wait_for(lambda: connection_running(replica, "src"))

    changed = run_module("mariadb_change_master", dict(args, primary_delay=7, state="present"), diff=True)
    assert not changed["failed"], changed
    assert changed["changed"] is True
    # The heartbeat period is re-sent: MariaDB would otherwise reset it to its default on any CHANGE MASTER.
    assert changed["queries"] == ["STOP REPLICA 'src'", "CHANGE MASTER 'src' TO MASTER_HEARTBEAT_PERIOD=5.5, MASTER_DELAY=7",
                                  "START REPLICA 'src'"]
    assert changed["diff"]["before"]["primary_delay"] == 0 and changed["diff"]["after"]["primary_delay"] == 7
    wait_for(lambda: connection_running(replica, "src"))
    assert connection_status(replica, "src")["SQL_Delay"] == 7

    # Stopped connections stay stopped under state=present.
    stopped = run_module("mariadb_change_master", dict(args, state="stopped"))
    assert stopped["queries"] == ["STOP REPLICA 'src'"]
    changed = run_module("mariadb_change_master", dict(args, primary_heartbeat_period=9, state="present"))
    assert changed["queries"] == ["CHANGE MASTER 'src' TO MASTER_HEARTBEAT_PERIOD=9.0"]
    row = connection_status(replica, "src")
    assert row["Slave_IO_Running"] == "No" and row["Slave_SQL_Running"] == "No"
    assert float(row["Slave_heartbeat_period"]) == 9.0

    # Options not given are not compared; update_password=always re-sends the password.
    always = run_module("mariadb_change_master", dict(replica.login_args(), connection_name="SRC",
                                                      primary_password=REPL_PASSWORD, update_password="always"))
    assert always["queries"] == ["CHANGE MASTER 'SRC' TO MASTER_PASSWORD='********', MASTER_HEARTBEAT_PERIOD=9.0"]


def test_a_change_keeps_every_option_not_given(pair, run_module, tmp_path):
    source, replica = pair
    ca = tmp_path / "ca.pem"
    ca.write_text("not used: the connection is never started\n")
    args = connection_args(source, replica, state="present", primary_use_gtid="current_pos", primary_connect_retry=11,
                           primary_heartbeat_period=4.25, primary_delay=3, primary_ssl=True, primary_ssl_ca=str(ca),
                           primary_ssl_cipher="AES256-SHA", primary_ssl_verify_server_cert=True,
                           ignore_domain_ids=[5, 3, 3], ignore_server_ids=[9, 8])
    assert run_module("mariadb_change_master", args)["changed"] is True
    assert run_module("mariadb_change_master", args)["changed"] is False
    changed = run_module("mariadb_change_master", dict(replica.login_args(), connection_name="src", primary_connect_retry=12))
    assert changed["queries"] == ["CHANGE MASTER 'src' TO MASTER_CONNECT_RETRY=12, MASTER_HEARTBEAT_PERIOD=4.25"]
    assert run_module("mariadb_change_master", dict(args, primary_connect_retry=12))["changed"] is False
    row = connection_status(replica, "src")
    assert row["Replicate_Ignore_Domain_Ids"] == "3, 5" and row["Replicate_Ignore_Server_Ids"] == "8, 9"
    assert row["Master_SSL_CA_File"] == str(ca) and row["Using_Gtid"] == "Current_Pos"


def test_absent_removes_and_absent_again_is_unchanged(pair, run_module):
    source, replica = pair
    assert run_module("mariadb_change_master", connection_args(source, replica))["changed"] is True
    wait_for(lambda: connection_running(replica, "src"))
    absent = dict(replica.login_args(), connection_name="src", state="absent")

    predicted = run_module("mariadb_change_master", absent, check_mode=True)
    assert predicted["changed"] is True and connection_status(replica, "src") is not None
    removed = run_module("mariadb_change_master", absent, diff=True)
    assert removed["queries"] == ["STOP REPLICA 'src'", "RESET REPLICA 'src' ALL"]
    assert removed["diff"]["after"] == {} and removed["diff"]["before"]["primary_host"] == "127.0.0.1"
    assert connection_status(replica, "src") is None
    again = run_module("mariadb_change_master", absent)
    assert not again["failed"] and again["changed"] is False and again["queries"] == []


def test_bad_input_fails_with_nothing_changed(pair, run_module, tmp_path):
    source, replica = pair
    stop_unknown = run_module("mariadb_change_master", dict(replica.login_args(), connection_name="nope", state="stopped"))
    assert stop_unknown["failed"] and "'nope' does not exist" in stop_unknown["msg"]
    cases = [
        (dict(connection_name="x" * 64), "shorter than 64"),
        (dict(primary_log_file="b.000001", primary_log_pos=4), "cannot be combined"),
        (dict(primary_delay=-1), "primary_delay must be between 0"),
        (dict(primary_ssl=True, primary_ssl_ca=str(tmp_path / "missing-ca.pem")), "missing-ca.pem does not exist"),
        (dict(primary_retry_count=3), "needs MariaDB 12.0"),
        (dict(do_domain_ids=[1], ignore_domain_ids=[2]), "cannot both list domains"),
    ]
    for extra, message in cases:
        result = run_module("mariadb_change_master", connection_args(source, replica, **extra))
        assert result["failed"], extra
        assert message in result["msg"], (extra, result["msg"])
    assert replica.query("SHOW ALL SLAVES STATUS") == []

    unreachable = run_module("mariadb_change_master", dict(connection_args(source, replica), login_port=1, connect_timeout=3))
    assert unreachable["failed"] and "Cannot connect to MariaDB" in unreachable["msg"]


def test_same_server_source_is_rejected(pair, run_module):
    source, replica = pair
    create_replication_user(replica)
    # Loopback address and own port: caught without connecting.
    direct = run_module("mariadb_change_master", connection_args(replica, replica))
    assert direct["failed"] and "is this server itself" in direct["msg"]
    # '127.1' is another spelling of 127.0.0.1: only logging in and comparing server_id catches it.
    disguised = run_module("mariadb_change_master", dict(connection_args(replica, replica), primary_host="127.1"))
    assert disguised["failed"] and "the replica's own server_id" in disguised["msg"], disguised
    assert replica.query("SHOW ALL SLAVES STATUS") == []


def test_unreachable_source_only_warns(pair, run_module):
    source, replica = pair
    args = connection_args(source, replica, primary_password="wrong", state="present")
    result = run_module("mariadb_change_master", args)
    assert not result["failed"], result
    assert result["changed"] is True
    assert any("could not log in to the source" in str(warning) for warning in result.get("warnings", []))
    assert connection_status(replica, "src")["Master_User"] == REPL_USER


def test_binlog_coordinates_and_admin_password(pair, run_module):
    source, replica = pair
    binlog = source.query("SHOW MASTER STATUS")[0]
    args = dict(replica.login_args(), connection_name="coords", primary_host=source.host, primary_port=source.port,
                primary_user="replkit_admin", primary_password=ADMIN_PASSWORD, primary_use_gtid="no",
                primary_log_file=binlog["File"], primary_log_pos=binlog["Position"], state="started")
    created = run_module("mariadb_change_master", args)
    assert not created["failed"], created
    assert "MASTER_USE_GTID=no, MASTER_LOG_FILE='%s', MASTER_LOG_POS=%d" % (binlog["File"], binlog["Position"]) in created["queries"][0]
    wait_for(lambda: connection_running(replica, "coords"))
    # The coordinates moved on; they are not compared, so nothing changes.
    source.query("CREATE DATABASE coords_moved")
    wait_for(lambda: replica.query("SHOW DATABASES LIKE 'coords_moved'"))
    assert run_module("mariadb_change_master", args)["changed"] is False
