"""The fixture itself: three real servers and one real replication edge."""

from __future__ import annotations

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, wait_for


def test_three_instances_are_distinct_servers(mariadb_lab):
    servers = mariadb_lab.start(3)
    ids = {s.scalar("SELECT @@server_id") for s in servers}
    ports = {s.scalar("SELECT @@port") for s in servers}
    datadirs = {s.scalar("SELECT @@datadir") for s in servers}
    assert ids == {1, 2, 3}
    assert len(ports) == 3 and len(datadirs) == 3
    for server in servers:
        assert server.scalar("SELECT @@bind_address") == "127.0.0.1"
        assert server.scalar("SELECT @@log_bin") == 1


def test_one_replication_edge(mariadb_lab):
    source, replica, bystander = mariadb_lab.start(3)
    source.query("CREATE DATABASE edge")
    source.query("CREATE TABLE edge.t (id INT PRIMARY KEY, v VARCHAR(20))")
    source.query("INSERT INTO edge.t VALUES (1, 'before')")
    position = source.scalar("SELECT @@gtid_binlog_pos")

    replica.query("SET GLOBAL gtid_slave_pos = ''")
    replica.query(
        "CHANGE MASTER 'edge' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, "
        "MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos",
        (source.host, source.port, ADMIN_USER, ADMIN_PASSWORD),
    )
    replica.query("START SLAVE 'edge'")
    source.query("INSERT INTO edge.t VALUES (2, 'after')")

    wait_for(lambda: replica.query("SHOW TABLES FROM edge LIKE 't'")
             if replica.query("SHOW DATABASES LIKE 'edge'") else None)
    wait_for(lambda: len(replica.query("SELECT id FROM edge.t")) == 2)
    rows = replica.query("SELECT id, v FROM edge.t ORDER BY id")
    assert rows == [{"id": 1, "v": "before"}, {"id": 2, "v": "after"}]
    status = replica.query("SHOW SLAVE 'edge' STATUS")[0]
    assert status["Slave_IO_Running"] == "Yes" and status["Slave_SQL_Running"] == "Yes"
    assert replica.scalar("SELECT @@gtid_slave_pos") == source.scalar("SELECT @@gtid_binlog_pos")
    assert position != source.scalar("SELECT @@gtid_binlog_pos")
    # The third server was never wired: it has no replication connection and no data.
    assert bystander.query("SHOW ALL SLAVES STATUS") == []
    assert bystander.query("SHOW DATABASES LIKE 'edge'") == []
