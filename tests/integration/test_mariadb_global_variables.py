"""mariadb_global_variables against real servers: predict, apply, idempotence, read-only variables, refusals."""

from __future__ import annotations

from mariadb_lab import ADMIN_PASSWORD, ADMIN_USER, connection_status, wait_for

WANTED = {
    "read_only": "yes",
    "gtid_domain_id": 7,
    "auto_increment_increment": "10",
    "auto_increment_offset": 3,
    "slave_parallel_mode": "CONSERVATIVE",
    "binlog_format": "row",  # already ROW: compared ignoring case, never sent
    "gtid_ignore_duplicates": True,
    "max_binlog_size": "64M",
    "long_query_time": 2.5,
}


def current(server, *names):
    row = server.query("SELECT " + ", ".join("@@global.%s AS %s" % (name, name) for name in names))[0]
    return {name: str(value) for name, value in row.items()}


def test_check_mode_predicts_then_apply_then_nothing_to_do(mariadb_lab, run_module):
    server, = mariadb_lab.start(1)
    names = ("read_only", "gtid_domain_id", "auto_increment_increment", "auto_increment_offset", "slave_parallel_mode",
             "gtid_ignore_duplicates", "max_binlog_size", "long_query_time")
    untouched = current(server, *names)
    args = dict(server.login_args(), variables=WANTED)

    predicted = run_module("mariadb_global_variables", args, check_mode=True, diff=True)
    assert not predicted["failed"], predicted["msg"]
    assert predicted["changed"] is True
    assert sorted(predicted["queries"]) == sorted([
        "SET GLOBAL auto_increment_increment = 10", "SET GLOBAL auto_increment_offset = 3",
        "SET GLOBAL gtid_domain_id = 7", "SET GLOBAL gtid_ignore_duplicates = 'ON'",
        "SET GLOBAL long_query_time = 2.5e0", "SET GLOBAL max_binlog_size = 67108864",
        "SET GLOBAL read_only = 'ON'", "SET GLOBAL slave_parallel_mode = 'conservative'"])
    assert predicted["diff"]["before"]["read_only"] == "OFF" and predicted["diff"]["after"]["read_only"] == "ON"
    assert predicted["diff"]["after"]["binlog_format"] == "ROW"
    assert predicted["static_pending"] == [] and predicted["needs_restart"] is False
    assert current(server, *names) == untouched

    applied = run_module("mariadb_global_variables", args)
    assert not applied["failed"], applied["msg"]
    assert applied["changed"] is True and sorted(applied["queries"]) == sorted(predicted["queries"])
    assert current(server, *names) == {
        "read_only": "1", "gtid_domain_id": "7", "auto_increment_increment": "10", "auto_increment_offset": "3",
        "slave_parallel_mode": "conservative", "gtid_ignore_duplicates": "1", "max_binlog_size": "67108864",
        "long_query_time": "2.5"}

    again = run_module("mariadb_global_variables", dict(args, variables=dict(
        WANTED, read_only="ON", gtid_domain_id="7", slave_parallel_mode="conservative", max_binlog_size=67108864)))
    assert not again["failed"], again["msg"]
    assert again["changed"] is False and again["queries"] == []


def test_read_only_variables_fail_unless_allowed_and_are_reported(mariadb_lab, run_module):
    server, = mariadb_lab.start(1)
    binlog_basename = server.scalar("SELECT @@log_bin_basename")
    variables = {
        "log_slave_updates": False,  # ON in the lab, read-only at runtime
        "relay_log": "relay-bin",  # db1-relay-bin in the lab
        "log_bin": True,  # already ON
        "log_bin_basename": binlog_basename.rsplit("/", 1)[1],  # relative name matches the absolute path
        "server_id": 42,
    }
    args = dict(server.login_args(), variables=variables)

    refused = run_module("mariadb_global_variables", args)
    assert refused["failed"] and not refused.get("changed")
    assert "log_slave_updates (now ON, wanted OFF)" in refused["msg"] and "relay_log" in refused["msg"]
    assert "allow_static: true" in refused["msg"] and "Nothing was changed" in refused["msg"]
    assert server.scalar("SELECT @@server_id") == 1

    predicted = run_module("mariadb_global_variables", dict(args, allow_static=True), check_mode=True)
    assert predicted["changed"] is True and predicted["queries"] == ["SET GLOBAL server_id = 42"]
    assert predicted["static_pending"] == ["log_slave_updates", "relay_log"] and predicted["needs_restart"] is True
    assert server.scalar("SELECT @@server_id") == 1

    applied = run_module("mariadb_global_variables", dict(args, allow_static=True), diff=True)
    assert not applied["failed"], applied["msg"]
    assert applied["changed"] is True and applied["queries"] == ["SET GLOBAL server_id = 42"]
    assert applied["static_pending"] == ["log_slave_updates", "relay_log"]
    assert applied["pending_values"]["relay_log"] == {"current": "db1-relay-bin", "wanted": "relay-bin",
                                                      "reason": "read-only at runtime"}
    # The pending variables keep their running value in the diff's after.
    assert applied["diff"]["after"]["log_slave_updates"] == "ON" and applied["diff"]["after"]["server_id"] == "42"
    assert server.scalar("SELECT @@server_id") == 42 and server.scalar("SELECT @@log_slave_updates") == 1

    again = run_module("mariadb_global_variables", dict(args, allow_static=True))
    assert again["changed"] is False and again["static_pending"] == ["log_slave_updates", "relay_log"]


def test_a_variable_replication_holds_is_pending_while_a_connection_runs(mariadb_lab, run_module):
    source, replica = mariadb_lab.start(2)
    replica.query("CHANGE MASTER 'up' TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s, "
                  "MASTER_USE_GTID=slave_pos", (source.host, source.port, ADMIN_USER, ADMIN_PASSWORD))
    replica.query("START SLAVE 'up'")
    wait_for(lambda: connection_status(replica, "up")["Slave_SQL_Running"] == "Yes")
    # Both are dynamic, but MariaDB refuses them while a connection runs (error 1198).
    args = dict(replica.login_args(), variables={"slave_parallel_threads": 4, "gtid_ignore_duplicates": "on",
                                                 "read_only": "on"})

    refused = run_module("mariadb_global_variables", args)
    assert refused["failed"] and "SET GLOBAL gtid_ignore_duplicates = 'ON' failed" in refused["msg"]
    assert "1198" in refused["msg"] and "allow_static: true" in refused["msg"]

    deferred = run_module("mariadb_global_variables", dict(args, allow_static=True))
    assert not deferred["failed"], deferred["msg"]
    assert deferred["changed"] is True and deferred["queries"] == ["SET GLOBAL read_only = 'ON'"]
    assert deferred["static_pending"] == ["gtid_ignore_duplicates", "slave_parallel_threads"]
    assert deferred["pending_values"]["slave_parallel_threads"]["reason"] == "cannot change while replication runs"
    assert replica.scalar("SELECT @@slave_parallel_threads") == 0
    assert replica.scalar("SELECT @@gtid_ignore_duplicates") == 0
    assert replica.scalar("SELECT @@read_only") == 1


def test_bad_input_fails_before_anything_changes(mariadb_lab, run_module):
    server, = mariadb_lab.start(1)
    cases = [
        ({"read_only": True, "no_such_variable": 1}, "no_such_variable is not a system variable of this server"),
        ({"read_only": True, "identity": 3}, "identity is a session-only variable"),
        ({"read_only": True, "auto_increment_increment": "ten"}, "auto_increment_increment is a number"),
        ({"read_only": True, "slave_parallel_mode": "fast"}, "must be one of none, minimal, conservative"),
        ({"read_only": "maybe"}, "read_only is a boolean variable"),
        ({"read_only": True, "max-binlog-size": 1}, "use _ instead of -"),
        ({"read_only": True, "x; DROP TABLE t": 1}, "is not a system variable name"),
    ]
    for variables, message in cases:
        result = run_module("mariadb_global_variables", dict(server.login_args(), variables=variables))
        assert result["failed"], variables
        assert message in result["msg"], result["msg"]
        assert server.scalar("SELECT @@read_only") == 0


def test_optimizer_switch_compares_only_the_flags_given(mariadb_lab, run_module):
    server, = mariadb_lab.start(1)
    args = dict(server.login_args(), variables={"optimizer_switch": "mrr=on,index_merge=off"})
    applied = run_module("mariadb_global_variables", args)
    assert applied["changed"] is True
    assert applied["queries"] == ["SET GLOBAL optimizer_switch = 'mrr=on,index_merge=off'"]
    switches = server.scalar("SELECT @@global.optimizer_switch")
    assert "mrr=on" in switches and "index_merge=off" in switches and "semijoin=on" in switches
    assert run_module("mariadb_global_variables", args)["changed"] is False
