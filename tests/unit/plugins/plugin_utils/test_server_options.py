"""The server role's option file settings: never turning a binary log off, durability, safe values."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.server_options import server_option_settings as as_filter
from ansible_collections.replkit.mariadb.plugins.plugin_utils.server_options import (
    ServerOptionsError, filter_lines, held_log_bin, server_option_settings, socket_unit_listens)

LONE = {"server_id": 1, "gtid_domain_id": 1, "read_only": False, "log_bin": False, "log_slave_updates": False,
        "gtid_ignore_duplicates": False, "auto_increment_increment": 1, "auto_increment_offset": 1,
        "slave_parallel_threads": None, "slave_parallel_mode": None, "connections": []}
PRIMARY = dict(LONE, log_bin=True)
REPLICA = dict(LONE, read_only=True, connections=[
    {"name": "db1", "source": "db1", "filters": {"replicate_do_db": ["shop", "crm"], "replicate_wild_ignore_table":
                                                 ["shop.tmp%"]}}])


def test_a_lone_server_that_never_logged_gets_no_binary_log():
    settings = server_option_settings("a", LONE)
    assert "log_bin" not in settings["file"] and "sync_binlog" not in settings["file"]


def test_a_binary_log_once_written_by_the_role_is_kept_when_the_plan_no_longer_needs_it():
    before = server_option_settings("a", PRIMARY)
    previous = ["# managed", "[mariadbd]", "log_bin = mariadb-bin", "server_id = 1"]
    after = server_option_settings("a", LONE, previous)
    assert after["file"]["log_bin"] == before["file"]["log_bin"] == "mariadb-bin"
    assert after["runtime"]["log_bin"] is True and after["runtime"]["log_bin_basename"] == "mariadb-bin"
    assert after["file"]["binlog_format"] == "ROW" and after["file"]["sync_binlog"] == 1
    assert held_log_bin(["log-bin"]) and held_log_bin(["  log_bin=x"]) and not held_log_bin(["log_bin_index = x"])


def test_crash_safe_settings_by_default_and_per_host_opt_out():
    replica = server_option_settings("r", REPLICA)
    assert replica["runtime"]["innodb_flush_log_at_trx_commit"] == 1
    assert replica["runtime"]["slave_net_timeout"] == 10
    assert "sync_binlog" not in replica["runtime"]
    assert server_option_settings("p", PRIMARY)["runtime"]["sync_binlog"] == 1
    off = server_option_settings("r", REPLICA, crash_safe=False)["runtime"]
    assert not {"innodb_flush_log_at_trx_commit", "sync_binlog", "slave_net_timeout"} & set(off)


def test_filter_lines_in_a_stable_order():
    assert filter_lines("r", REPLICA["connections"]) == [
        "db1.replicate_do_db = shop", "db1.replicate_do_db = crm", "db1.replicate_wild_ignore_table = shop.tmp%"]


@pytest.mark.parametrize("node, kwargs, what", [
    (dict(REPLICA, connections=[{"name": "db1", "source": "db1", "filters": {"replicate_do_db": ["shop\nlog_bin=0"]}}]),
     {}, "mariadb_sources[0].replicate_do_db[0]"),
    (dict(REPLICA, connections=[
        {"name": "a", "source": "a", "filters": {}},
        {"name": "b", "source": "b", "filters": {"replicate_wild_do_table": ["s.%", "s.\tx"]}}]),
     {}, "mariadb_sources[1].replicate_wild_do_table[1]"),
    (dict(REPLICA, connections=[{"name": "db\n1", "source": "db1", "filters": {"replicate_do_db": ["shop"]}}]),
     {}, "mariadb_sources[0].connection_name"),
    (PRIMARY, {"log_bin_basename": "bin\rlog"}, "server_log_bin_basename"),
    (PRIMARY, {"binlog_format": "ROW\nlog_bin=0"}, "server_binlog_format"),
    (LONE, {"relay_log": "relay\x00"}, "server_relay_log"),
    (LONE, {"relay_log": "relay\u2028x"}, "server_relay_log"),
    (LONE, {"extra": {"max_connections": "10\n[client]"}}, "server_extra_settings.max_connections"),
    (LONE, {"extra": {"max_connections": "10\x85"}}, "server_extra_settings.max_connections"),
])
def test_values_with_control_characters_are_refused_naming_host_and_variable(node, kwargs, what):
    with pytest.raises(ServerOptionsError, match="^h: " + re.escape(what) + ": .* contains .*; remove it") as caught:
        server_option_settings("h", node, **kwargs)
    assert len(caught.value.problems) == 1


def test_filter_lines_refuse_a_newline_naming_the_entry():
    with pytest.raises(ServerOptionsError, match=r"^r: mariadb_sources\[0\]\.replicate_do_db\[1\]: 'crm\\nx' contains "
                                                 r"a newline \(U\+000A\)"):
        filter_lines("r", [{"name": "db1", "source": "db1", "filters": {"replicate_do_db": ["shop", "crm\nx"]}}])


@pytest.mark.parametrize("key", ["max connections", "a=b", "[client]", "x\ny", 5])
def test_an_extra_setting_key_that_is_no_option_name_is_refused(key):
    with pytest.raises(ServerOptionsError, match=r"^h: server_extra_settings: the key .* is not an option name"):
        server_option_settings("h", LONE, extra={key: "1"})


def test_every_bad_value_is_reported_at_once():
    node = dict(REPLICA, connections=[{"name": "db1", "source": "db1", "filters": {"replicate_do_db": ["a\nb"]}}])
    with pytest.raises(ServerOptionsError) as caught:
        server_option_settings("h", node, relay_log="r\n", extra={"bad key": 1, "ok_key": "v\r"})
    assert [line.split(": ")[1] for line in caught.value.problems] == [
        "server_relay_log", "server_extra_settings", "server_extra_settings.ok_key",
        "mariadb_sources[0].replicate_do_db[0]"]
    assert str(caught.value).splitlines() == caught.value.problems


def test_plain_values_and_per_connection_option_names_pass():
    settings = server_option_settings("h", REPLICA, extra={"db1.replicate_do_db": "x", "loose-plugin_load_add": "a.so",
                                                           "innodb_buffer_pool_size": "1G", "skip_name_resolve": True})
    assert settings["file"]["loose-plugin_load_add"] == "a.so" and settings["runtime"]["skip_name_resolve"] is True


def test_filter_reads_the_previous_file_text_and_reports_errors_as_filter_errors():
    assert as_filter(LONE, "a", "[mariadbd]\nlog_bin = mariadb-bin\n")["file"]["log_bin"] == "mariadb-bin"
    with pytest.raises(AnsibleFilterError, match="expects this host's plan"):
        as_filter("x", "a")
    with pytest.raises(AnsibleFilterError, match="a: server_extra_settings must be a mapping"):
        as_filter(LONE, "a", "", extra=["x"])
    with pytest.raises(AnsibleFilterError, match="newline"):
        as_filter(LONE, "a", "", relay_log="a\nb")


def test_relay_log_only_on_replicas_and_kept_once_written():
    assert "relay_log" not in server_option_settings("p", PRIMARY)["file"]
    assert server_option_settings("r", REPLICA)["file"]["relay_log"] == "relay-bin"
    assert server_option_settings("p", PRIMARY, ["relay_log = relay-bin"])["runtime"]["relay_log"] == "relay-bin"
    assert "relay_log" not in server_option_settings("r", REPLICA, relay_log="")["file"]


def test_restart_batches_are_half_of_the_writers_or_of_the_read_only_nodes_at_least_one():
    from ansible_collections.replkit.mariadb.plugins.filter.server_options import server_restart_batch
    plan = {"m1": {"writable": True}, "m2": {"writable": True}, "m3": {"writable": True},
            "r1": {"writable": False}, "r2": {"writable": False}, "r3": {"writable": False}, "r4": {"writable": False}}
    assert server_restart_batch(plan, True) == 1 and server_restart_batch(plan, False) == 2
    assert server_restart_batch({}, True) == 1
    with pytest.raises(AnsibleFilterError, match="expects the topology plan"):
        server_restart_batch([], True)


def test_the_planned_port_is_written_and_compared_with_the_running_server():
    settings = server_option_settings("a", dict(LONE, port=3307))
    assert settings["file"]["port"] == 3307 and settings["runtime"]["port"] == 3307
    assert "port" not in server_option_settings("a", LONE)["file"]


def test_row_type_conversions_are_applied_at_runtime_where_the_plan_manages_them():
    ring_member = server_option_settings("m1", dict(REPLICA, slave_type_conversions="ALL_LOSSY,ALL_NON_LOSSY"))
    assert ring_member["file"]["slave_type_conversions"] == "ALL_LOSSY,ALL_NON_LOSSY"
    assert ring_member["runtime"]["slave_type_conversions"] == "ALL_LOSSY,ALL_NON_LOSSY"
    # The user's "none" is written and applied too (the server's default, but a former ring member reverts to it).
    none = server_option_settings("m1", dict(REPLICA, slave_type_conversions=""))
    assert none["file"]["slave_type_conversions"] == none["runtime"]["slave_type_conversions"] == ""
    # Not managed: left as the server has it (and a plan of an older planner without the key works).
    unmanaged = server_option_settings("r", dict(REPLICA, slave_type_conversions=None))
    assert "slave_type_conversions" not in unmanaged["file"]
    assert "slave_type_conversions" not in server_option_settings("r", REPLICA)["runtime"]


DEBIAN_SOCKET = ["LoadState=loaded", "Listen=@mariadb (Stream)", "Listen=/run/mysqld/mysqld.sock (Stream)",
                 "Listen=[::]:3306 (Stream)", "ActiveState=active"]


def test_debian_socket_unit_already_follows_a_plan_on_3306():
    assert socket_unit_listens(DEBIAN_SOCKET, 3306, "/run/mysqld/mysqld.sock")
    assert socket_unit_listens(DEBIAN_SOCKET, "3306", "/run/mysqld/mysqld.sock")


def test_another_port_or_socket_or_a_loopback_only_port_does_not_follow():
    assert not socket_unit_listens(DEBIAN_SOCKET, 3307, "/run/mysqld/mysqld.sock")
    assert not socket_unit_listens(DEBIAN_SOCKET, 3306, "/var/run/other.sock")
    loopback = ["Listen=/run/mysqld/mysqld.sock (Stream)", "Listen=127.0.0.1:3306 (Stream)"]
    assert not socket_unit_listens(loopback, 3306, "/run/mysqld/mysqld.sock")
    assert not socket_unit_listens(["Listen=[::]:3306 (Datagram)", "Listen=/run/mysqld/mysqld.sock (Stream)"], 3306,
                                   "/run/mysqld/mysqld.sock")
    assert not socket_unit_listens([], 3306, "/run/mysqld/mysqld.sock")


# ---------------------------------------------------------------- binary-log filters

def test_binlog_filters_become_one_line_per_database():
    node = dict(PRIMARY, binlog_filters={"do": [], "ignore": ["scratch", "mysql"]})
    settings = server_option_settings("db1", node)
    assert settings["binlog_filter_lines"] == ["binlog_ignore_db = scratch", "binlog_ignore_db = mysql"]
    # Static and not a system variable: never compared as one, never SET.
    assert not any(name.startswith("binlog_ignore") for name in settings["runtime"])
    assert not any(name.startswith("binlog_ignore") for name in settings["file"])
    assert settings["binlog_filters_changed"] is True
    do = server_option_settings("db1", dict(PRIMARY, binlog_filters={"do": ["shop"], "ignore": []}))
    assert do["binlog_filter_lines"] == ["binlog_do_db = shop"]


def test_binlog_filters_changed_compares_with_the_files_previous_lines():
    node = dict(PRIMARY, binlog_filters={"do": [], "ignore": ["scratch"]})
    same = ["[mariadbd]", "log_bin = mariadb-bin", "binlog_ignore_db = scratch"]
    assert server_option_settings("db1", node, same)["binlog_filters_changed"] is False
    assert server_option_settings("db1", node, ["binlog-ignore-db=scratch"])["binlog_filters_changed"] is True
    assert server_option_settings("db1", node, same + ["binlog_ignore_db = tmp"])["binlog_filters_changed"] is True
    # Removed from the inventory: the lines go, and a restart applies that too.
    removed = server_option_settings("db1", PRIMARY, same)
    assert removed["binlog_filter_lines"] == [] and removed["binlog_filters_changed"] is True
    # A plan from before binlog_filters existed, and a file without any: nothing to do.
    assert server_option_settings("db1", PRIMARY, ["log_bin = x"])["binlog_filters_changed"] is False


def test_binlog_filter_values_with_control_characters_are_refused():
    node = dict(PRIMARY, binlog_filters={"do": [], "ignore": ["ok", "bad\nlog_bin = off"]})
    with pytest.raises(ServerOptionsError) as caught:
        server_option_settings("db1", node)
    assert caught.value.problems == [
        "db1: mariadb_binlog_ignore_db[1]: 'bad\\nlog_bin = off' contains a newline (U+000A); remove it: the value is "
        "written to the server's option file or into SQL, where a control character breaks the line (a newline "
        "starts a line of its own)."]


def test_binlog_filters_missing_on_the_running_server():
    from ansible_collections.replkit.mariadb.plugins.filter.server_options import server_binlog_filters_pending
    node = dict(PRIMARY, binlog_filters={"do": [], "ignore": ["scratch", "tmp"]})
    running = {"log_bin": True, "binlog_do_db": [], "binlog_ignore_db": ["tmp", "mysql"]}
    # mysql comes from another option file: left alone; scratch is planned and not applied yet.
    assert server_binlog_filters_pending(node, running) == ["binlog_ignore_db = scratch"]
    assert server_binlog_filters_pending(node, dict(running, binlog_ignore_db=["scratch", "tmp"])) == []
    # Not known: no binary log yet, or no result (preflight_check_server off).
    assert server_binlog_filters_pending(node, dict(running, log_bin=False)) == []
    assert server_binlog_filters_pending(node, {}) == []
    with pytest.raises(AnsibleFilterError, match="expects this host's plan"):
        server_binlog_filters_pending(None, running)
