"""A source's binary-log filters: which databases reach its binary log (MariaDB's binlog_do_db/binlog_ignore_db)."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.binlog_filter import (
    INVENTORY_VARIABLES, binlogged, check_binlog_filters, describe, parse_master_status, same_filters, split_list,
    why_unlogged)


def test_without_filters_every_database_is_logged():
    assert binlogged("shop", {}) and binlogged("shop", None) and binlogged("shop", {"do": [], "ignore": []})


def test_ignore_db_keeps_the_listed_databases_out():
    filters = {"ignore": ["scratch", "tmp"]}
    assert not binlogged("scratch", filters) and not binlogged("tmp", filters)
    assert binlogged("shop", filters)


def test_do_db_logs_only_the_listed_databases():
    filters = {"do": ["shop"]}
    assert binlogged("shop", filters)
    assert not binlogged("crm", filters)


def test_do_db_wins_and_the_ignore_list_is_not_looked_at():
    filters = {"do": ["shop", "scratch"], "ignore": ["scratch"]}
    # MariaDB: with binlog_do_db set, binlog_ignore_db is not consulted (a database in both is logged).
    assert binlogged("scratch", filters) and binlogged("shop", filters) and not binlogged("crm", filters)


def test_names_are_compared_byte_for_byte():
    assert binlogged("Scratch", {"ignore": ["scratch"]})
    assert not binlogged("Shop", {"do": ["shop"]})


def test_values_are_stripped_as_the_option_file_is():
    assert check_binlog_filters({"ignore": [" scratch "]}) == {"do": [], "ignore": ["scratch"]}
    assert not binlogged("scratch", {"ignore": [" scratch "]})


@pytest.mark.parametrize("bad, message", [
    ("scratch", "must be a mapping"),
    ({"ignore": "scratch"}, "not a list"),
    ({"ignore": [""]}, "not a database name"),
    ({"ignore": [3]}, "not a database name"),
    ({"skip": ["x"]}, "unknown key(s) skip"),
])
def test_bad_filters_are_refused_naming_the_key(bad, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        binlogged("shop", bad)


def test_database_must_be_a_name():
    with pytest.raises(ValueError, match="non-empty string"):
        binlogged("", {})


def test_descriptions_name_the_deciding_list():
    assert describe({"ignore": ["a", "b"]}) == "binlog_ignore_db: a, b"
    assert describe({}) == "none"
    assert describe({"do": ["shop"]}, INVENTORY_VARIABLES) == "mariadb_binlog_do_db: shop"
    assert why_unlogged("scratch", {"ignore": ["scratch"]}) == "binlog_ignore_db lists it"
    assert why_unlogged("crm", {"do": ["shop"]}, INVENTORY_VARIABLES) == "mariadb_binlog_do_db is shop and does not list it"
    assert why_unlogged("shop", {"do": ["shop"]}) == ""


def test_master_status_row_is_parsed():
    row = {"File": "b.000001", "Position": 4, "Binlog_Do_DB": "", "Binlog_Ignore_DB": "scratch,tmp2"}
    assert parse_master_status(row) == {"do": [], "ignore": ["scratch", "tmp2"]}
    assert parse_master_status(None) is None and parse_master_status({}) is None
    assert split_list(None) == [] and split_list("a") == ["a"]


def test_same_filters_ignores_order_and_repeats():
    assert same_filters({"ignore": ["a", "b"]}, {"ignore": ["b", "a", "a"], "do": []})
    assert not same_filters({"ignore": ["a"]}, {})
    assert not same_filters({"do": ["a"]}, {"ignore": ["a"]})
