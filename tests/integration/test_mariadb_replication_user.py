"""mariadb_replication_user against real servers: a replica really connects; idempotence; purge; absent."""

from __future__ import annotations

import pymysql
import pytest

from mariadb_lab import connection_running, wait_for

USER = "replkit_repl"
PASSWORD = "re'pl\"pa\\ss;wd"
OTHER_PASSWORD = "an;other'\"\\one"


def grants(server, host="127.0.0.1"):
    return [next(iter(row.values())) for row in server.query("SHOW GRANTS FOR %s@%s", (USER, host))]


def hosts_of(server):
    return sorted(row["Host"] for row in server.query("SELECT Host FROM mysql.user WHERE User = %s", (USER,)))


def can_log_in(server, password):
    try:
        pymysql.connect(host=server.host, port=server.port, user=USER, password=password).close()
    except pymysql.err.OperationalError:
        return False
    return True


def replicate(source, replica, password):
    replica.query("CHANGE MASTER 'src' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
                  "MASTER_USE_GTID=slave_pos", (source.host, source.port, USER, password))
    replica.query("START SLAVE 'src'")


@pytest.fixture
def pair(mariadb_lab):
    return mariadb_lab.start(2)


def account_args(server, **extra):
    args = dict(server.login_args(), name=USER, hosts=["127.0.0.1"], password=PASSWORD)
    args.update(extra)
    return args


def test_check_mode_then_create_then_a_replica_connects_and_data_flows(pair, run_module):
    source, replica = pair
    binlog_before = source.scalar("SELECT @@gtid_binlog_pos")

    predicted = run_module("mariadb_replication_user", account_args(source), check_mode=True, diff=True)
    assert not predicted["failed"], predicted["msg"]
    assert predicted["changed"] is True and predicted["created"] == ["127.0.0.1"]
    assert predicted["queries"] == [
        "CREATE USER 'replkit_repl'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('********') "
        "REQUIRE NONE",
        "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'replkit_repl'@'127.0.0.1'"]
    assert predicted["diff"] == {"before": {}, "after": {"127.0.0.1": {
        "privileges": ["BINLOG MONITOR", "REPLICATION SLAVE"], "grant_option": False, "require_ssl": False,
        "password": "matches"}}}
    assert hosts_of(source) == []

    created = run_module("mariadb_replication_user", account_args(source))
    assert not created["failed"], created["msg"]
    assert created["changed"] is True and created["queries"] == predicted["queries"]
    assert created["privileges"] == ["REPLICATION SLAVE", "BINLOG MONITOR"]
    assert PASSWORD not in repr(created)
    assert grants(source)[0].startswith("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `replkit_repl`@`127.0.0.1`")
    # sql_log_bin=false: the account is this source's own, not replicated.
    assert source.scalar("SELECT @@gtid_binlog_pos") == binlog_before

    again = run_module("mariadb_replication_user", account_args(source), check_mode=True)
    assert again["changed"] is False and again["queries"] == []
    again = run_module("mariadb_replication_user", account_args(source))
    assert again["changed"] is False and again["queries"] == []

    source.query("CREATE DATABASE flow")
    source.query("CREATE TABLE flow.t (id INT PRIMARY KEY)")
    source.query("INSERT INTO flow.t VALUES (1), (2)")
    replicate(source, replica, PASSWORD)
    wait_for(lambda: connection_running(replica, "src"))
    wait_for(lambda: replica.query("SHOW DATABASES LIKE 'flow'") and replica.scalar("SELECT COUNT(*) FROM flow.t") == 2)
    # The monitor privilege: the account reads the source's binary log position.
    conn = pymysql.connect(host=source.host, port=source.port, user=USER, password=PASSWORD)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW BINARY LOGS")
            assert cursor.fetchall()
    finally:
        conn.close()


def test_password_is_compared_and_changed_only_when_it_differs(pair, run_module):
    source, dummy_replica = pair
    run_module("mariadb_replication_user", account_args(source))

    on_create = run_module("mariadb_replication_user", account_args(source, password=OTHER_PASSWORD,
                                                                    update_password="on_create"))
    assert on_create["changed"] is False and can_log_in(source, PASSWORD)

    predicted = run_module("mariadb_replication_user", account_args(source, password=OTHER_PASSWORD),
                           check_mode=True, diff=True)
    assert predicted["changed"] is True
    assert predicted["queries"] == ["ALTER USER 'replkit_repl'@'127.0.0.1' IDENTIFIED VIA mysql_native_password "
                                    "USING PASSWORD('********')"]
    assert predicted["diff"]["before"]["127.0.0.1"]["password"] == "differs"
    assert can_log_in(source, PASSWORD) and not can_log_in(source, OTHER_PASSWORD)

    changed = run_module("mariadb_replication_user", account_args(source, password=OTHER_PASSWORD))
    assert changed["changed"] is True and OTHER_PASSWORD not in repr(changed)
    assert can_log_in(source, OTHER_PASSWORD) and not can_log_in(source, PASSWORD)
    assert run_module("mariadb_replication_user", account_args(source, password=OTHER_PASSWORD))["changed"] is False


def test_least_privilege_tls_and_purge(pair, run_module):
    source, dummy_replica = pair
    source.query("CREATE USER %s@'10.9.9.9' IDENTIFIED BY 'x'", (USER,))
    source.query("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (USER, PASSWORD))
    source.query("GRANT SELECT, REPLICATION SLAVE, SLAVE MONITOR ON *.* TO %s@'127.0.0.1' WITH GRANT OPTION", (USER,))

    args = account_args(source, hosts=["127.0.0.1", "10.0.0.%"], require_ssl=True, purge_hosts=True)
    result = run_module("mariadb_replication_user", args, diff=True)
    assert not result["failed"], result["msg"]
    assert result["created"] == ["10.0.0.%"] and result["dropped"] == ["10.9.9.9"]
    assert "ALTER USER 'replkit_repl'@'127.0.0.1' REQUIRE SSL" in result["queries"]
    assert "REVOKE SELECT, SLAVE MONITOR ON *.* FROM 'replkit_repl'@'127.0.0.1'" in result["queries"]
    assert "REVOKE GRANT OPTION ON *.* FROM 'replkit_repl'@'127.0.0.1'" in result["queries"]
    assert result["diff"]["before"]["127.0.0.1"]["privileges"] == ["REPLICATION SLAVE", "SELECT", "SLAVE MONITOR"]
    assert hosts_of(source) == ["10.0.0.%", "127.0.0.1"]
    for host in ("127.0.0.1", "10.0.0.%"):
        assert grants(source, host)[0].startswith("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO")
        assert "REQUIRE SSL" in grants(source, host)[0] and "GRANT OPTION" not in grants(source, host)[0]
    assert run_module("mariadb_replication_user", args)["changed"] is False

    plain = run_module("mariadb_replication_user", dict(args, require_ssl=False))
    assert plain["changed"] is True
    assert source.query("SELECT DISTINCT ssl_type FROM mysql.user WHERE User = %s", (USER,)) == [{"ssl_type": ""}]


def test_absent_and_bad_input(pair, run_module):
    source, dummy_replica = pair
    run_module("mariadb_replication_user", account_args(source, hosts=["127.0.0.1", "10.0.0.5"]))

    missing_password = run_module("mariadb_replication_user", account_args(source, hosts=["10.0.0.6"], password=None,
                                                                           update_password="on_create"))
    assert missing_password["failed"] and "password is not given to create them" in missing_password["msg"]
    empty = run_module("mariadb_replication_user", account_args(source, password=""))
    assert empty["failed"] and "password is empty" in empty["msg"]
    duplicate = run_module("mariadb_replication_user", account_args(source, hosts=["DB.example", "db.example"]))
    assert duplicate["failed"] and "list it once" in duplicate["msg"]
    host_limit = source.scalar("SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                               "'mysql' AND TABLE_NAME = 'global_priv' AND COLUMN_NAME = 'Host'")  # 60 on 10.5, 255 later
    too_long = run_module("mariadb_replication_user", account_args(source, hosts=["h" * (host_limit + 1)]))
    assert too_long["failed"] and "this server allows at most %d" % host_limit in too_long["msg"]
    assert hosts_of(source) == ["10.0.0.5", "127.0.0.1"]

    one = run_module("mariadb_replication_user", dict(source.login_args(), name=USER, hosts=["10.0.0.5"], state="absent"),
                     check_mode=True)
    assert one["changed"] is True and one["queries"] == ["DROP USER 'replkit_repl'@'10.0.0.5'"]
    assert hosts_of(source) == ["10.0.0.5", "127.0.0.1"]
    all_hosts = run_module("mariadb_replication_user", dict(source.login_args(), name=USER, state="absent"))
    assert all_hosts["changed"] is True and all_hosts["dropped"] == ["10.0.0.5", "127.0.0.1"]
    assert hosts_of(source) == []
    assert run_module("mariadb_replication_user", dict(source.login_args(), name=USER, state="absent"))["changed"] is False
