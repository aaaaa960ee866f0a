"""mariadb_session_drain on a real server: under read_only, exactly the sessions that could still write are ended,
after the busy ones had their time; an open transaction of a killed session is rolled back; others keep working."""

from __future__ import annotations

import threading
import time

import pymysql
import pytest

from mariadb_lab import wait_for

PASSWORD = "drain'pa\"ss"
ACCOUNTS = {
    # user: global privileges; whether the account can write under read_only depends on the server version
    "drain_roadmin": "SELECT, INSERT, READ_ONLY ADMIN",
    "drain_super": "SELECT, INSERT, SUPER",
    "drain_plain": "SELECT, INSERT",
}


def session(server, user):
    return pymysql.connect(host=server.host, port=server.port, user=user, password=PASSWORD, autocommit=True)


def writes_under_read_only(server, user):
    """What the server does, not what the module thinks: can this account commit a row while read_only is on?"""
    connection = session(server, user)
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO drain.t (who) VALUES (%s)", (user + "-probe",))
        return True
    except pymysql.err.OperationalError as exc:
        assert exc.args[0] == 1290, exc  # ER_OPTION_PREVENTS_STATEMENT (read_only)
        return False
    finally:
        connection.close()


def alive(connection):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except pymysql.err.Error:
        return False


@pytest.fixture
def drained_server(mariadb_lab):
    server, = mariadb_lab.start(1)
    statements = ["CREATE DATABASE drain", "CREATE TABLE drain.t (id INT AUTO_INCREMENT PRIMARY KEY, "
                  "who VARCHAR(64) NOT NULL) ENGINE=InnoDB", "CREATE ROLE drain_writer",
                  "GRANT SELECT, INSERT, READ_ONLY ADMIN ON *.* TO drain_writer",
                  "CREATE USER drain_viarole@'%%' IDENTIFIED BY %s", "GRANT drain_writer TO drain_viarole@'%%'",
                  "SET DEFAULT ROLE drain_writer FOR drain_viarole@'%%'"]
    for user, privileges in ACCOUNTS.items():
        statements += ["CREATE USER %s@'%%%%' IDENTIFIED BY %%s" % user, "GRANT %s ON *.* TO %s@'%%%%'" % (privileges, user)]
    connection = server.connect()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, (PASSWORD,) if "%s" in statement else ())
    connection.close()
    return server


def test_privileged_sessions_are_drained_and_plain_ones_kept(drained_server, run_module):
    server = drained_server
    version = tuple(int(part) for part in server.scalar("SELECT VERSION()").split("-")[0].split("."))
    server.query("SET GLOBAL read_only = ON")
    can_write = {user: writes_under_read_only(server, user) for user in (*ACCOUNTS, "drain_viarole")}
    # The server's own answer, per version: SUPER stopped bypassing read_only in 10.11 (MDEV-29596).
    assert can_write == {"drain_roadmin": True, "drain_super": version < (10, 11, 0), "drain_plain": False,
                         "drain_viarole": True}

    sessions = {user: session(server, user) for user in can_write}
    busy = session(server, "drain_roadmin")  # a privileged writer in the middle of a transaction
    with busy.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("INSERT INTO drain.t (who) VALUES ('uncommitted')")
    ids = {user: connection.thread_id() for user, connection in sessions.items()}
    writers = sorted([ids[user] for user, writes in can_write.items() if writes] + [busy.thread_id()])

    predicted = run_module("mariadb_session_drain", dict(server.login_args(), wait_timeout=1), check_mode=True,
                           diff=True)
    assert not predicted["failed"], predicted["msg"]
    assert predicted["changed"] is True
    assert sorted(s["id"] for s in predicted["killed"]) == writers
    assert predicted["diff"]["before"]["privileged_sessions"] == writers
    assert all(alive(connection) for connection in sessions.values()) and alive(busy)

    started = time.monotonic()
    drained = run_module("mariadb_session_drain", dict(server.login_args(), wait_timeout=1))
    assert not drained["failed"], drained["msg"]
    assert drained["changed"] is True and drained["still_closing"] == []
    assert sorted(s["id"] for s in drained["killed"]) == writers and drained["interrupted"] == 1
    assert time.monotonic() - started >= 1, "the busy session did not get its wait_timeout"
    assert sorted(drained["queries"]) == sorted("KILL CONNECTION %d" % i for i in writers)
    for user, connection in sessions.items():
        assert alive(connection) is not can_write[user], user
    assert not alive(busy)
    assert server.scalar("SELECT COUNT(*) FROM drain.t WHERE who = 'uncommitted'") == 0
    # The position after the drain is final: nothing is written once the privileged sessions are gone.
    time.sleep(0.5)
    assert drained["gtid_binlog_pos"] == server.scalar("SELECT @@GLOBAL.gtid_binlog_pos") != ""

    again = run_module("mariadb_session_drain", dict(server.login_args(), wait_timeout=1))
    assert again["changed"] is False and again["killed"] == [] and again["queries"] == []


def test_a_busy_privileged_session_that_commits_within_the_wait_keeps_its_row(drained_server, run_module):
    server = drained_server
    server.query("SET GLOBAL read_only = ON")
    writer = session(server, "drain_roadmin")
    with writer.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("INSERT INTO drain.t (who) VALUES ('committed-in-time')")

    def commit_soon():
        time.sleep(0.5)
        writer.commit()

    committer = threading.Thread(target=commit_soon)
    committer.start()
    drained = run_module("mariadb_session_drain", dict(server.login_args(), wait_timeout=20))
    committer.join()
    assert not drained["failed"], drained["msg"]
    assert drained["interrupted"] == 0 and [s["busy"] for s in drained["killed"]] == [False]
    assert drained["waited"] < 10
    assert server.scalar("SELECT COUNT(*) FROM drain.t WHERE who = 'committed-in-time'") == 1
    wait_for(lambda: not alive(writer), timeout=5)
