"""module_utils/change_master.py: validation, row mapping, comparing and SQL building."""

from __future__ import annotations

import pytest
from pymysql.converters import escape_string

from ansible_collections.replkit.mariadb.plugins.module_utils import change_master as cm
from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import ServerInfo, render

PASSWORD = "p'a\"s\\s;wd"
INFO = ServerInfo((10, 11, 6), "10.11.6-MariaDB", True)
OLD_INFO = ServerInfo((10, 5, 0), "10.5.0-MariaDB", True)


def params(**given):
    """Module parameters as AnsibleModule hands them over: every option present, None when not given."""
    base = {name: None for name in cm.change_master_argument_spec()}
    base.update(given)
    return base


def status_row(**overrides):
    """A SHOW ALL SLAVES STATUS row as MariaDB 10.11 returns it (the columns this module reads, and a few more)."""
    row = {
        "Connection_name": "db1", "Master_Host": "10.0.0.1", "Master_User": "repl", "Master_Port": 3306,
        "Connect_Retry": 60, "Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes", "Master_SSL_Allowed": "No",
        "Master_SSL_CA_File": "", "Master_SSL_CA_Path": "", "Master_SSL_Cert": "", "Master_SSL_Cipher": "",
        "Master_SSL_Key": "", "Master_SSL_Verify_Server_Cert": "No", "Replicate_Ignore_Server_Ids": "",
        "Master_SSL_Crl": "", "Master_SSL_Crlpath": "", "Using_Gtid": "Slave_Pos", "Gtid_IO_Pos": "1-1-5",
        "Replicate_Do_Domain_Ids": "", "Replicate_Ignore_Domain_Ids": "", "SQL_Delay": 0,
        "Slave_heartbeat_period": 30.0, "Seconds_Behind_Master": 0, "Last_IO_Errno": 0, "Last_IO_Error": "",
        "Last_SQL_Errno": 0, "Last_SQL_Error": "",
    }
    row.update(overrides)
    return row


# ---------------------------------------------------------------- names and validation

@pytest.mark.parametrize("name", ["", "db1", "a/b'c", "x" * 63])
def test_valid_connection_names(name):
    assert cm.connection_name_error(name) is None


@pytest.mark.parametrize("name, fragment", [("x" * 64, "has 64 characters"), ("y" * 200, "shorter than 64"),
                                            ("a\x00b", "NUL byte"), (None, "is required")])
def test_invalid_connection_names(name, fragment):
    error = cm.connection_name_error(name)
    assert error is not None and fragment in error and "connection_name" in error


def test_valid_options_have_no_errors():
    assert cm.option_errors(params(primary_host="db1", primary_port=3306, primary_delay=0, primary_connect_retry=1,
                                   primary_heartbeat_period=0.5, do_domain_ids=[1, 2], ignore_server_ids=[0],
                                   primary_use_gtid="no", primary_log_file="b.000001", primary_log_pos=4)) == []


@pytest.mark.parametrize("given, fragment", [
    (dict(primary_delay=-1), "primary_delay must be between 0 and 2147483647 seconds, got -1"),
    (dict(primary_delay=2 ** 31), "primary_delay must be between"),
    (dict(primary_port=0), "primary_port must be between 1 and 65535"),
    (dict(primary_port=70000), "primary_port must be between 1 and 65535"),
    (dict(primary_connect_retry=0), "primary_connect_retry must be between 1"),
    (dict(primary_heartbeat_period=-0.5), "primary_heartbeat_period must be between 0 and 4294967"),
    (dict(primary_heartbeat_period=4294968.0), "primary_heartbeat_period must be between 0 and 4294967"),
    (dict(primary_log_pos=3, primary_log_file="b.1", primary_use_gtid="no"), "primary_log_pos must be between 4"),
    (dict(do_domain_ids=[1, -2]), "do_domain_ids holds [-2]"),
    (dict(ignore_server_ids=[2 ** 32]), "ignore_server_ids holds"),
    (dict(do_domain_ids=[1], ignore_domain_ids=[2]), "cannot both list domains"),
    (dict(primary_host="  "), "primary_host is empty"),
    (dict(primary_use_gtid="slave_pos", primary_log_file="b.1", primary_log_pos=4), "primary_use_gtid=slave_pos cannot be combined"),
    (dict(primary_use_gtid="current_pos", primary_log_pos=4), "cannot be combined with primary_log_pos"),
    (dict(primary_log_file="b.1"), "set primary_use_gtid=no explicitly"),
    (dict(primary_use_gtid="no", primary_log_pos=4), "primary_log_pos needs primary_log_file"),
])
def test_invalid_options(given, fragment):
    errors = cm.option_errors(params(**given))
    assert any(fragment in error for error in errors), errors


def test_empty_domain_lists_on_both_sides_are_fine():
    assert cm.option_errors(params(do_domain_ids=[], ignore_domain_ids=[])) == []


def test_retry_count_needs_mariadb_12():
    given = params(primary_retry_count=5)
    assert cm.option_errors(given) == []  # unknown version: checked again after connecting
    assert "needs MariaDB 12.0" in cm.option_errors(given, (11, 8, 2))[0]
    assert "11.8.2" in cm.option_errors(given, (11, 8, 2))[0]
    assert cm.option_errors(given, (12, 0, 1)) == []


def test_missing_ssl_files_are_named():
    existing = {"/etc/ca.pem"}
    errors = cm.missing_ssl_files(params(primary_ssl_ca="/etc/ca.pem", primary_ssl_key="/nope/key.pem", primary_ssl_cert=""),
                                  exists=existing.__contains__)
    assert len(errors) == 1 and errors[0].startswith("primary_ssl_key: /nope/key.pem does not exist")


# ---------------------------------------------------------------- reading and comparing

def test_current_options_map_the_status_columns():
    row = status_row(Master_SSL_Allowed="Ignored", Master_SSL_Verify_Server_Cert="Yes", Using_Gtid="Current_Pos",
                     Replicate_Do_Domain_Ids="2, 1", Replicate_Ignore_Server_Ids="9", Slave_heartbeat_period=7.5,
                     Master_SSL_CA_File="/etc/ca.pem")
    current = cm.current_options(row)
    assert current["primary_host"] == "10.0.0.1" and current["primary_port"] == 3306
    assert current["primary_use_gtid"] == "current_pos"
    assert current["primary_ssl"] is True and current["primary_ssl_verify_server_cert"] is True
    assert current["do_domain_ids"] == [1, 2] and current["ignore_server_ids"] == [9] and current["ignore_domain_ids"] == []
    assert current["primary_heartbeat_period"] == 7.5 and current["primary_ssl_ca"] == "/etc/ca.pem"
    assert "primary_retry_count" not in current, "10.11 has no Master_Retry_Count column"
    assert "primary_password" not in current and "primary_log_file" not in current
    assert cm.current_options(dict(row, Master_Retry_Count=10))["primary_retry_count"] == 10


def test_desired_options_are_normalised_and_skip_uncompared():
    desired = cm.desired_options(params(primary_host="h", do_domain_ids=[3, 1, 3], primary_heartbeat_period=0.0015,
                                        primary_password=PASSWORD, primary_log_file="b.1", primary_log_pos=4))
    assert desired == {"primary_host": "h", "do_domain_ids": [1, 3], "primary_heartbeat_period": 0.002}


def test_parse_id_list():
    assert cm.parse_id_list("7, 8, 9") == [7, 8, 9]
    assert cm.parse_id_list("") == [] and cm.parse_id_list(None) == []


def test_new_connection_sets_every_given_option_and_the_password():
    changes = cm.changed_options(None, params(primary_host="h", primary_user="repl", primary_password=PASSWORD,
                                              primary_use_gtid="no", primary_log_file="b.1", primary_log_pos=4),
                                 True)
    assert changes == {"primary_host": "h", "primary_user": "repl", "primary_password": PASSWORD,
                       "primary_use_gtid": "no", "primary_log_file": "b.1", "primary_log_pos": 4}


def test_matching_connection_needs_no_change():
    given = params(primary_host="10.0.0.1", primary_port=3306, primary_user="repl", primary_password=PASSWORD,
                   primary_use_gtid="slave_pos", primary_heartbeat_period=30, primary_ssl=False, do_domain_ids=[])
    assert cm.changed_options(status_row(), given, False) == {}


def test_only_differing_options_change_and_the_heartbeat_period_is_kept():
    changes = cm.changed_options(status_row(Slave_heartbeat_period=7.5),
                                 params(primary_host="10.0.0.1", primary_delay=60), False)
    assert changes == {"primary_delay": 60, "primary_heartbeat_period": 7.5}


def test_password_is_sent_only_when_asked():
    given = params(primary_host="10.0.0.1", primary_password=PASSWORD)
    assert cm.changed_options(status_row(), given, False) == {}
    assert cm.changed_options(status_row(), given, True) == {
        "primary_password": PASSWORD, "primary_heartbeat_period": 30.0}


def test_coordinates_are_sent_only_when_the_stream_changes():
    row = status_row(Using_Gtid="No")
    given = params(primary_use_gtid="no", primary_log_file="b.000002", primary_log_pos=400, primary_delay=5)
    assert "primary_log_file" not in cm.changed_options(row, given, False)
    moved = cm.changed_options(row, dict(given, primary_host="10.0.0.2"), False)
    assert moved["primary_log_file"] == "b.000002" and moved["primary_log_pos"] == 400


@pytest.mark.parametrize("row, has_changes, running, expected", [
    (status_row(), True, "keep", (True, True, False)),
    (status_row(), False, "keep", (False, False, False)),
    (status_row(Slave_IO_Running="No", Slave_SQL_Running="No"), True, "keep", (False, False, False)),
    (None, True, "keep", (False, False, False)),
    (None, True, "start", (False, True, False)),
    (status_row(), False, "start", (False, False, False)),
    (status_row(Slave_IO_Running="Connecting"), False, "start", (False, False, False)),
    (status_row(Slave_SQL_Running="No"), False, "start", (False, True, False)),
    (status_row(), False, "stop", (False, False, True)),
    (status_row(), True, "stop", (True, False, False)),
    (status_row(Slave_IO_Running="No", Slave_SQL_Running="No"), False, "stop", (False, False, False)),
])
def test_run_steps(row, has_changes, running, expected):
    assert cm.run_steps(row, has_changes, running) == expected


def test_diff_view_shows_given_options_and_a_masked_password():
    given = params(primary_host="10.0.0.2", primary_delay=5, primary_password=PASSWORD)
    changes = cm.changed_options(status_row(), given, True)
    before, after = cm.diff_view(status_row(), given, changes, True)
    assert before == {"primary_host": "10.0.0.1", "primary_delay": 0, "running": True}
    assert after == {"primary_host": "10.0.0.2", "primary_delay": 5, "primary_password": "********", "running": True}
    assert PASSWORD not in str(after)
    assert cm.diff_view(None, given, changes, False)[0] == {}


def _never_read(row):
    raise AssertionError("the stored password was read for %r" % row)


@pytest.mark.parametrize("policy", ["on_change", "on_create", "always"])
def test_a_new_connection_always_gets_the_password(policy):
    assert cm.password_to_send(None, params(primary_password=PASSWORD), policy, _never_read) == (True, None)


def test_no_password_given_sends_none():
    assert cm.password_to_send(status_row(), params(), "always", _never_read) == (False, None)


def test_on_create_and_always_do_not_read_the_stored_password():
    given = params(primary_password=PASSWORD)
    assert cm.password_to_send(status_row(), given, "on_create", _never_read) == (False, None)
    assert cm.password_to_send(status_row(), given, "always", _never_read) == (True, None)


def test_on_change_sends_a_rotated_password_only():
    given = params(primary_password=PASSWORD)
    assert cm.password_to_send(status_row(), given, "on_change", lambda row: (PASSWORD, None)) == (False, None)
    assert cm.password_to_send(status_row(), given, "on_change", lambda row: ("old", None)) == (True, None)
    assert cm.password_to_send(status_row(), given, "on_change", lambda row: ("", None)) == (True, None)


def test_on_change_sends_and_warns_when_the_stored_password_cannot_be_read():
    send, warning = cm.password_to_send(status_row(Connection_name="db1"), params(primary_password=PASSWORD),
                                        "on_change", lambda row: (None, "cannot read /d/master-db1.info: gone"))
    assert send is True
    assert warning == ("connection 'db1': the stored password cannot be compared (cannot read /d/master-db1.info: "
                       "gone), so it is sent.")
    assert PASSWORD not in warning


# ---------------------------------------------------------------- statements

def test_change_master_binds_values_and_masks_the_password():
    statement = cm.build_change_master("db'1", {"primary_host": "h", "primary_port": 3307, "primary_password": PASSWORD,
                                                "primary_user": "repl"})
    assert statement.sql == "CHANGE MASTER %s TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, MASTER_PASSWORD=%s"
    assert statement.params == ("db'1", "h", 3307, "repl", PASSWORD)
    assert statement.secret == frozenset({4})
    masked = statement.masked()
    assert masked == "CHANGE MASTER 'db\\'1' TO MASTER_HOST='h', MASTER_PORT=3307, MASTER_USER='repl', MASTER_PASSWORD='********'"
    assert PASSWORD not in masked
    # What PyMySQL sends: the password escaped inside one literal, its ; harmless.
    sent = render(statement.sql, statement.params)
    assert "MASTER_PASSWORD='%s'" % escape_string(PASSWORD) in sent
    assert sent.endswith("MASTER_PASSWORD='p\\'a\\\"s\\\\s;wd'")


def test_change_master_formats_keywords_lists_and_booleans():
    statement = cm.build_change_master("", {"ignore_server_ids": [9, 2, 2], "do_domain_ids": [], "primary_ssl": True,
                                            "primary_ssl_verify_server_cert": False, "primary_use_gtid": "current_pos",
                                            "primary_heartbeat_period": 7.25, "primary_delay": 0})
    assert statement.sql == ("CHANGE MASTER %s TO MASTER_USE_GTID=current_pos, MASTER_HEARTBEAT_PERIOD=%s, MASTER_DELAY=%s, "
                             "MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0, DO_DOMAIN_IDS=(), IGNORE_SERVER_IDS=(2,9)")
    assert statement.masked() == ("CHANGE MASTER '' TO MASTER_USE_GTID=current_pos, MASTER_HEARTBEAT_PERIOD=7.25, "
                                  "MASTER_DELAY=0, MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0, DO_DOMAIN_IDS=(), "
                                  "IGNORE_SERVER_IDS=(2,9)")


def test_change_master_without_options_is_a_bug():
    with pytest.raises(ValueError):
        cm.build_change_master("x", {})


def test_every_option_has_an_argument_spec_entry_with_a_master_alias():
    spec = cm.change_master_argument_spec()
    assert set(spec) == {option.name for option in cm.OPTIONS}
    assert spec["primary_password"]["no_log"] is True
    assert spec["primary_ssl_verify_server_cert"]["aliases"] == ["master_ssl_verify_server_cert"]
    assert "aliases" not in spec["do_domain_ids"]


@pytest.mark.parametrize("info, word", [(INFO, "REPLICA"), (OLD_INFO, "SLAVE")])
def test_version_wording(info, word):
    assert cm.reset_connection(info, "db1").masked() == "RESET %s 'db1' ALL" % word
    assert cm.start_all(info).masked() == "START ALL %sS" % word
    assert [s.masked() for s in cm.removal_statements(info, "db1", status_row())] == [
        "STOP %s 'db1'" % word, "RESET %s 'db1' ALL" % word]
    assert [s.masked() for s in cm.removal_statements(info, "db1", status_row(Slave_IO_Running="No", Slave_SQL_Running="No"))] == [
        "RESET %s 'db1' ALL" % word]


def test_connection_statements_compose_stop_change_start():
    statements = cm.connection_statements(INFO, "db1", status_row(), {"primary_delay": 5}, "keep")
    assert [s.masked() for s in statements] == ["STOP REPLICA 'db1'", "CHANGE MASTER 'db1' TO MASTER_DELAY=5",
                                                "START REPLICA 'db1'"]
    assert cm.connection_statements(INFO, "db1", status_row(), {}, "keep") == []
    assert [s.masked() for s in cm.connection_statements(INFO, "db1", status_row(), {}, "stop")] == ["STOP REPLICA 'db1'"]
