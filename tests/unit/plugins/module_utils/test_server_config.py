"""Pure logic of mariadb_global_variables: names, normalising by type, planning."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.server_config import (
    VariableInfo, input_errors, matches, normalised_names, parse_descriptions, plan_changes, set_statement, wanted_value)


def info(name, value, kind, read_only=False, scope="GLOBAL", allowed=()):
    return VariableInfo(name, value, kind, read_only, scope, tuple(allowed))


BOOL = ("OFF", "ON")
MODES = ("none", "minimal", "conservative", "optimistic", "aggressive")


@pytest.mark.parametrize("value", [True, "on", "ON", "1", 1, "yes", "true"])
def test_boolean_true_spellings_match_on(value):
    assert matches(info("read_only", "ON", "BOOLEAN", allowed=BOOL), wanted_value(info("read_only", "ON", "BOOLEAN"), value))


@pytest.mark.parametrize("value", [False, "off", "0", 0, "no", "FALSE"])
def test_boolean_false_spellings_differ_from_on(value):
    variable = info("read_only", "ON", "BOOLEAN")
    assert not matches(variable, wanted_value(variable, value))
    assert wanted_value(variable, value).bound == "OFF"


def test_boolean_rejects_other_words():
    with pytest.raises(ValueError, match="boolean"):
        wanted_value(info("read_only", "ON", "BOOLEAN"), "maybe")


@pytest.mark.parametrize("value, number", [(10, 10), ("10", 10), (" 10 ", 10), ("64M", 64 * 1024 ** 2), ("1k", 1024),
                                           (10.0, 10), ("-1", -1)])
def test_integers_accept_digit_strings_and_size_suffixes(value, number):
    wanted = wanted_value(info("x", "0", "BIGINT UNSIGNED"), value)
    assert wanted.bound == number and wanted.shown == str(number)
    assert matches(info("x", str(number), "BIGINT UNSIGNED"), wanted)


@pytest.mark.parametrize("value", ["ten", True, "1.5", "10X"])
def test_integers_reject_non_numbers(value):
    with pytest.raises(ValueError, match="number"):
        wanted_value(info("x", "0", "INT UNSIGNED"), value)


def test_doubles_compare_numerically():
    variable = info("long_query_time", "2.500000", "DOUBLE")
    assert matches(variable, wanted_value(variable, "2.5"))
    assert not matches(variable, wanted_value(variable, 3))
    with pytest.raises(ValueError):
        wanted_value(variable, "slow")


def test_enums_ignore_case_accept_an_index_and_send_the_servers_spelling():
    variable = info("slave_parallel_mode", "optimistic", "ENUM", allowed=MODES)
    assert matches(variable, wanted_value(variable, "OPTIMISTIC"))
    assert wanted_value(variable, "Conservative").bound == "conservative"
    assert wanted_value(variable, 1).bound == "minimal"
    with pytest.raises(ValueError, match="must be one of none, minimal"):
        wanted_value(variable, "fast")
    assert matches(info("binlog_format", "ROW", "ENUM", allowed=("MIXED", "STATEMENT", "ROW")),
                   wanted_value(info("binlog_format", "ROW", "ENUM", allowed=("MIXED", "STATEMENT", "ROW")), "row"))


def test_sets_ignore_order_and_case():
    variable = info("sql_mode", "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION", "SET",
                    allowed=("STRICT_TRANS_TABLES", "NO_ENGINE_SUBSTITUTION", "ANSI_QUOTES"))
    assert matches(variable, wanted_value(variable, "no_engine_substitution, strict_trans_tables"))
    assert not matches(variable, wanted_value(variable, "STRICT_TRANS_TABLES"))
    with pytest.raises(ValueError, match="unknown members BOGUS"):
        wanted_value(variable, "BOGUS")


def test_flagsets_compare_only_the_flags_given():
    variable = info("optimizer_switch", "index_merge=on,mrr=off,semijoin=on", "FLAGSET")
    assert matches(variable, wanted_value(variable, "mrr=off"))
    assert not matches(variable, wanted_value(variable, "mrr=on,semijoin=on"))
    with pytest.raises(ValueError, match="flag=on/off"):
        wanted_value(variable, "mrr")


def test_strings_match_exactly_or_as_a_relative_name_of_an_absolute_path():
    basename = info("log_bin_basename", "/var/lib/mysql/mariadb-bin", "VARCHAR", read_only=True)
    assert matches(basename, wanted_value(basename, "mariadb-bin"))
    assert matches(basename, wanted_value(basename, "/var/lib/mysql/mariadb-bin"))
    assert not matches(basename, wanted_value(basename, "bin"))  # only a whole path component
    assert not matches(basename, wanted_value(basename, "/other/mariadb-bin"))
    assert not matches(info("relay_log", None, "VARCHAR"), wanted_value(info("relay_log", None, "VARCHAR"), "relay-bin"))
    assert matches(info("relay_log", "", "VARCHAR"), wanted_value(info("relay_log", "", "VARCHAR"), ""))


def test_input_errors_name_each_problem():
    errors = input_errors({"read_only": True, "READ_ONLY": False, "max-binlog-size": 1, "9x": 1, "a; DROP": 1,
                           "server_id": None, "auto_increment_offset": [1]})
    text = " ".join(errors)
    assert "'read_only' and 'READ_ONLY' are the same variable" in text
    assert "use _ instead of -" in text
    assert "'9x' is not a system variable name" in text and "'a; DROP' is not a system variable name" in text
    assert "server_id has the value None" in text and "auto_increment_offset has the value [1]" in text
    assert input_errors({}) == ["variables is empty: give at least one global system variable, for example "
                                "{read_only: true}."]
    assert input_errors({"Read_Only": "on"}) == []


def test_normalised_names_are_lower_case_and_sorted():
    assert list(normalised_names({"Server_ID": 1, "gtid_domain_id": 2})) == ["gtid_domain_id", "server_id"]


def test_parse_descriptions_reads_the_columns():
    infos = parse_descriptions([{"VARIABLE_NAME": "LOG_BIN", "GLOBAL_VALUE": "ON", "VARIABLE_TYPE": "BOOLEAN",
                                 "READ_ONLY": "YES", "VARIABLE_SCOPE": "GLOBAL", "ENUM_VALUE_LIST": "OFF,ON"}])
    assert infos == {"log_bin": VariableInfo("log_bin", "ON", "BOOLEAN", True, "GLOBAL", ("OFF", "ON"))}


def test_plan_changes_lists_only_differences_and_marks_static_ones():
    infos = {
        "read_only": info("read_only", "OFF", "BOOLEAN"),
        "server_id": info("server_id", "3", "BIGINT UNSIGNED"),
        "log_bin": info("log_bin", "OFF", "BOOLEAN", read_only=True),
        "identity": info("identity", None, "BIGINT UNSIGNED", scope="SESSION ONLY"),
    }
    changes, errors = plan_changes({"log_bin": True, "read_only": "on", "server_id": "3"}, infos)
    assert errors == []
    assert [(c.name, c.before, c.after, c.static, c.statement.sql, c.statement.params) for c in changes] == [
        ("log_bin", "OFF", "ON", True, "SET GLOBAL log_bin = %s", ("ON",)),
        ("read_only", "OFF", "ON", False, "SET GLOBAL read_only = %s", ("ON",))]
    dummy, errors = plan_changes({"identity": 1, "nosuch": 1, "server_id": "x"}, infos)
    assert len(errors) == 3
    assert "session-only" in errors[0] and "nosuch is not a system variable" in errors[1] and "number" in errors[2]


def test_set_statement_refuses_an_unvalidated_name():
    with pytest.raises(ValueError):
        set_statement("read_only = 0; DROP", wanted_value(info("x", "", "VARCHAR"), "y"))
