"""MariaDB's replication filter rules in Python, and the filters that expose them to plays."""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter import replication_filter as plugin
from ansible_collections.replkit.mariadb.plugins.module_utils.replication_filter import (
    check_filters, database_replicated, replicated_tables, seed_databases_never_replicated, seedable_databases,
    split_table, table_replicated, unsupported_by_method)

REPO = Path(__file__).resolve().parents[4]


def passes(filters, name, lower_case_table_names=0):
    return table_replicated(filters, *split_table(name), lower_case_table_names=lower_case_table_names)


# ---------------------------------------------------------------- database rules

def test_no_filters_let_everything_through():
    for filters in ({}, None, {"replicate_do_db": [], "replicate_wild_ignore_table": None}):
        assert passes(filters, "shop.orders")
        assert database_replicated(filters, "shop") == "all"


def test_do_db_alone():
    filters = {"replicate_do_db": ["shop", "crm"]}
    assert passes(filters, "shop.orders") and passes(filters, "crm.contacts")
    assert not passes(filters, "scratch.t")
    assert [database_replicated(filters, name) for name in ("shop", "crm", "scratch")] == ["all", "all", "none"]


def test_ignore_db_alone():
    filters = {"replicate_ignore_db": ["scratch"]}
    assert passes(filters, "shop.orders") and not passes(filters, "scratch.t")
    assert database_replicated(filters, "scratch") == "none" and database_replicated(filters, "shop") == "all"


def test_do_db_alone_decides_and_ignore_db_is_then_not_looked_at():
    # Rpl_filter::db_ok: with a do list, the ignore list is never read; a database in both passes.
    filters = {"replicate_do_db": ["shop"], "replicate_ignore_db": ["shop", "crm"]}
    assert passes(filters, "shop.orders")
    assert not passes(filters, "crm.contacts")  # not in do_db: that is why, not the ignore list
    assert not passes(filters, "other.t")


def test_database_rules_compare_names_exactly():
    assert not passes({"replicate_do_db": ["Shop"]}, "shop.orders")
    assert passes({"replicate_ignore_db": ["Shop"]}, "shop.orders")
    assert database_replicated({"replicate_do_db": ["shop"]}, "SHOP") == "none"


def test_lower_case_table_names_lowers_the_name_compared_not_the_rule():
    # With 1 or 2 the server keeps and logs names in lower case; the rules are still compared byte for byte.
    for setting in (1, 2):
        assert passes({"replicate_do_db": ["shop"]}, "SHOP.Orders", setting)
        assert not passes({"replicate_do_db": ["Shop"]}, "Shop.orders", setting)
        assert not passes({"replicate_ignore_db": ["shop"]}, "Shop.orders", setting)
        assert database_replicated({"replicate_do_db": ["shop"]}, "Shop", setting) == "all"
    assert not passes({"replicate_do_db": ["shop"]}, "SHOP.Orders", 0)


def test_values_are_stripped_as_the_option_file_strips_them():
    assert passes({"replicate_do_db": [" shop "]}, "shop.t")
    assert not passes({"replicate_ignore_table": ["shop.t  "]}, "shop.t")


# ---------------------------------------------------------------- table rules

def test_do_table_alone_keeps_out_every_other_table_of_every_database():
    filters = {"replicate_do_table": ["shop.orders"]}
    assert passes(filters, "shop.orders")
    assert not passes(filters, "shop.customers") and not passes(filters, "crm.contacts")
    assert database_replicated(filters, "shop") == "some" and database_replicated(filters, "crm") == "none"


def test_ignore_table_alone():
    filters = {"replicate_ignore_table": ["shop.sessions"]}
    assert not passes(filters, "shop.sessions")
    assert passes(filters, "shop.orders") and passes(filters, "crm.contacts")
    assert database_replicated(filters, "shop") == "some" and database_replicated(filters, "crm") == "all"


def test_wild_do_table_alone():
    # The manual's example: foo%.bar% replicates tables whose database starts with foo and name with bar.
    filters = {"replicate_wild_do_table": ["foo%.bar%"]}
    assert passes(filters, "foo.bar") and passes(filters, "food.barrel")
    assert not passes(filters, "foo.table") and not passes(filters, "bar.bar")
    assert database_replicated(filters, "food") == "some" and database_replicated(filters, "bar") == "none"
    assert database_replicated({"replicate_wild_do_table": ["shop.%"]}, "shop") == "all"


def test_wild_ignore_table_alone():
    # The manual's advice for leaving a database out safely, whatever the default database: db.%.
    filters = {"replicate_wild_ignore_table": ["scratch.%", "tmp%.%"]}
    assert not passes(filters, "scratch.t") and not passes(filters, "tmp_2024.t")
    assert passes(filters, "shop.orders")
    assert [database_replicated(filters, name) for name in ("scratch", "tmp1", "shop")] == ["none", "none", "all"]


def test_table_rules_in_order_do_ignore_wild_do_wild_ignore():
    # do_table beats ignore_table, which beats wild_do_table, which beats wild_ignore_table.
    assert passes({"replicate_do_table": ["db.t"], "replicate_ignore_table": ["db.t"]}, "db.t")
    both = {"replicate_ignore_table": ["db.t1"], "replicate_wild_do_table": ["db.%"]}
    assert not passes(both, "db.t1") and passes(both, "db.t2")
    assert database_replicated(both, "db") == "some"
    # Rpl_filter's own TODO: "all tables like abc.% except %.EFG" cannot be written, the wild do rule wins.
    wild = {"replicate_wild_do_table": ["abc.%"], "replicate_wild_ignore_table": ["%.efg"]}
    assert passes(wild, "abc.efg") and not passes(wild, "xyz.efg") and not passes(wild, "xyz.t")
    assert database_replicated(wild, "abc") == "all"


def test_do_table_beats_wild_ignore_table():
    filters = {"replicate_do_table": ["db1.t1"], "replicate_wild_ignore_table": ["db1.%"]}
    assert passes(filters, "db1.t1")
    assert not passes(filters, "db1.t2")
    assert not passes(filters, "db2.t")  # a do rule exists and none matched
    assert database_replicated(filters, "db1") == "some" and database_replicated(filters, "db2") == "none"


def test_ignore_db_beats_do_table():
    filters = {"replicate_ignore_db": ["db1"], "replicate_do_table": ["db1.t1", "db2.t1"]}
    assert not passes(filters, "db1.t1")
    assert passes(filters, "db2.t1") and not passes(filters, "db2.t2")
    assert database_replicated(filters, "db1") == "none"


def test_do_db_and_do_table_together():
    # Database rules first: a do_table rule for another database never applies, and within the
    # do_db database only the listed tables pass.
    apart = {"replicate_do_db": ["db1"], "replicate_do_table": ["db2.t1"]}
    assert not passes(apart, "db2.t1") and not passes(apart, "db1.t1")
    assert database_replicated(apart, "db1") == "none" and database_replicated(apart, "db2") == "none"
    within = {"replicate_do_db": ["db1"], "replicate_do_table": ["db1.t1"]}
    assert passes(within, "db1.t1") and not passes(within, "db1.t2") and not passes(within, "db2.t1")
    assert database_replicated(within, "db1") == "some"


def test_do_db_with_wild_ignore_table():
    filters = {"replicate_do_db": ["shop"], "replicate_wild_ignore_table": ["shop.tmp\\_%"]}
    assert passes(filters, "shop.orders") and passes(filters, "shop.tmpfile")
    assert not passes(filters, "shop.tmp_import") and not passes(filters, "crm.contacts")
    assert database_replicated(filters, "shop") == "some" and database_replicated(filters, "crm") == "none"


def test_table_rules_ignore_case_and_accents_as_utf8mb3_general_ci():
    assert passes({"replicate_do_table": ["Shop.Orders"]}, "shop.orders")
    assert not passes({"replicate_ignore_table": ["SHOP.ORDERS"]}, "shop.Orders")
    assert passes({"replicate_wild_do_table": ["SHOP.%"]}, "shop.x")
    assert passes({"replicate_do_table": ["café.menu"]}, "CAFE.MENU")
    assert database_replicated({"replicate_wild_do_table": ["SHOP.%"]}, "shop") == "all"
    assert database_replicated({"replicate_do_table": ["Shop.Orders"]}, "shop") == "some"


# ---------------------------------------------------------------- wild patterns

@pytest.mark.parametrize("pattern, table, expected", [
    ("db.t_", "db.t1", True),
    ("db.t_", "db.t12", False),
    ("db.t_", "db.t", False),
    ("db.%", "db.anything", True),
    ("db.%", "db2.t", False),
    ("%.%", "any.thing", True),
    ("%b.t%", "db.t", True),
    ("d%.%t", "db.t", True),
    ("d%.%t", "db.ts", False),
    # _ and % match the dot too: the pattern is matched against the whole db.table.
    ("shop_x.%", "shop.x.y", True),
    ("shop_x.%", "shopAx.t", True),
    # A backslash makes the next character literal.
    ("shop\\_x.%", "shop_x.t", True),
    ("shop\\_x.%", "shopAx.t", False),
    ("shop\\_x.%", "shop.x.y", False),
    ("my\\_own\\%db.%", "my_own%db.t", True),
    ("my\\_own\\%db.%", "myXownYdb.t", False),
    ("my\\_own\\%db.%", "my_ownXYZdb.t", False),
    ("db.\\a", "db.a", True),
    ("db.t\\", "db.t\\", True),
    ("db.t\\", "db.t", False),
])
def test_like_semantics(pattern, table, expected):
    assert passes({"replicate_wild_do_table": [pattern]}, table) is expected
    assert passes({"replicate_wild_ignore_table": [pattern]}, table) is not expected


@pytest.mark.parametrize("patterns, verdict", [
    (["shop.%"], "all"),
    (["s%.%"], "all"),
    (["%.%"], "all"),
    (["%p.%"], "all"),
    (["shop.a%"], "some"),
    (["shop.orders"], "some"),
    (["shop._", "shop.__%"], "all"),       # one character, or two and more: every name
    (["shop._", "shop.___%"], "some"),     # names of two characters are left out
    (["shop._%"], "all"),
    (["shop.%_"], "all"),
    (["sho_.%"], "all"),
    (["shop%.%x"], "some"),
    (["crm.%"], "none"),
    (["shop\\%.%"], "none"),
])
def test_database_verdict_of_wild_do_patterns(patterns, verdict):
    assert database_replicated({"replicate_wild_do_table": patterns}, "shop") == verdict


def test_database_verdict_mixing_exact_and_wild_rules():
    assert database_replicated({"replicate_do_table": ["shop.a"], "replicate_wild_do_table": ["shop.%"]}, "shop") == "all"
    assert database_replicated({"replicate_wild_ignore_table": ["%.%"], "replicate_do_table": ["shop.a"]}, "shop") == "some"
    assert database_replicated({"replicate_wild_ignore_table": ["%.%"], "replicate_do_table": ["shop.a"]}, "crm") == "none"
    # An ignore rule for the only name a wild do pattern matches: nothing of the database passes.
    assert database_replicated({"replicate_ignore_table": ["shop.a"], "replicate_wild_do_table": ["shop.a"]},
                               "shop") == "none"
    assert database_replicated({"replicate_ignore_table": ["shop.a"], "replicate_wild_do_table": ["shop._"]},
                               "shop") == "some"
    # A rule for a table of another database whose name starts like this one's changes nothing here.
    assert database_replicated({"replicate_ignore_table": ["shopping.t"]}, "shop") == "all"


def _names(alphabet, longest):
    for length in range(1, longest + 1):
        for letters in itertools.product(alphabet, repeat=length):
            yield "".join(letters)


def _word(chooser, letters, shortest, longest):
    return "".join(chooser.choice(letters) for _count in range(chooser.randint(shortest, longest)))


def _like_regex(pattern):
    """An independent reading of a LIKE pattern: a regular expression for the whole string."""
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            index += 1
            parts.append(re.escape(pattern[index]))
        else:
            parts.append({"%": ".*", "_": "."}.get(char) or re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def test_like_patterns_agree_with_regular_expressions():
    chooser = random.Random(7)
    names = ["a.b", "ab.ba", "a_b.%", "a\\b.c", "%.%", "b.ab_a", "a..b", "ba.b%"]
    for _round in range(500):
        pattern = _word(chooser, "ab.%_\\", 1, 6)
        if "." not in pattern:
            continue
        regex = _like_regex(pattern)
        for name in names:
            expected = regex.fullmatch(name) is not None
            assert passes({"replicate_wild_do_table": [pattern]}, name) is expected, (pattern, name)


def test_database_verdict_agrees_with_every_short_table_name():
    """The verdict over every possible name matches checking names one by one, for many random rule sets.

    The names are checked by an independent reading of the rules (regular expressions), and names
    with a dot count too: ``__.a`` matches the table ``.a`` of the database ``a``.
    """
    chooser = random.Random(20260101)
    databases = ["a", "b", "ab"]
    tables = list(_names("ab.z", 5))  # longer than any pattern's part after the database

    def pattern():
        return _word(chooser, "ab%_", 1, 2) + "." + _word(chooser, "ab%_", 1, 2)

    def exact():
        return chooser.choice(databases) + "." + _word(chooser, "ab", 1, 2)

    def some(make, most):
        return [make() for _count in range(chooser.randint(0, most))]

    for _round in range(150):
        filters = {"replicate_do_table": some(exact, 1), "replicate_ignore_table": some(exact, 1),
                   "replicate_wild_do_table": some(pattern, 2), "replicate_wild_ignore_table": some(pattern, 2)}
        wild_do = [_like_regex(rule).fullmatch for rule in filters["replicate_wild_do_table"]]
        wild_ignore = [_like_regex(rule).fullmatch for rule in filters["replicate_wild_ignore_table"]]
        unmatched = not (filters["replicate_do_table"] or filters["replicate_wild_do_table"])

        def verdict(key):
            if key in filters["replicate_do_table"]:
                return True
            if key in filters["replicate_ignore_table"]:
                return False
            if any(match(key) for match in wild_do):
                return True
            if any(match(key) for match in wild_ignore):
                return False
            return unmatched

        for database in databases:
            seen = {verdict(database + "." + table) for table in tables}
            expected = "all" if seen == {True} else "none" if seen == {False} else "some"
            assert database_replicated(filters, database) == expected, (filters, database)
            sample = [database + "." + table for table in tables[:60]]
            assert replicated_tables(filters, sample) == [key for key in sample if verdict(key)]


# ---------------------------------------------------------------- lists

def test_replicated_tables_keeps_the_order():
    filters = {"replicate_do_db": ["shop"], "replicate_wild_ignore_table": ["shop.tmp\\_%"]}
    tables = ["shop.orders", "crm.contacts", "shop.tmp_import", "shop.customers"]
    assert replicated_tables(filters, tables) == ["shop.orders", "shop.customers"]
    assert replicated_tables(filters, ("shop.a",)) == ["shop.a"]
    assert replicated_tables({}, []) == []


def test_seedable_databases_and_those_never_replicated():
    filters = {"replicate_ignore_db": ["scratch"], "replicate_wild_do_table": ["shop.%", "crm.contacts"]}
    databases = ["shop", "crm", "scratch", "audit"]
    assert [database_replicated(filters, name) for name in databases] == ["all", "some", "none", "none"]
    assert seedable_databases(filters, databases) == ["shop", "crm"]
    assert seed_databases_never_replicated(filters, databases) == ["scratch", "audit"]
    assert seed_databases_never_replicated({}, databases) == []
    assert seed_databases_never_replicated({"replicate_do_db": ["shop"]}, ["SHOP"], 1) == []


def test_unsupported_by_method():
    for method in ("consistent_dump", "locked_dump", "mariadb_backup"):
        assert unsupported_by_method({}, method) == []
        assert unsupported_by_method(None, method) == []
    filters = {"replicate_do_db": ["shop"], "replicate_ignore_db": [], "replicate_wild_ignore_table": ["tmp%.%"]}
    assert unsupported_by_method(filters, "consistent_dump") == []
    assert unsupported_by_method(filters, "locked_dump") == []
    assert unsupported_by_method(filters, "mariadb_backup") == [
        "mariadb_backup copies the source's whole server, but the connection's filters (replicate_do_db: shop; "
        "replicate_wild_ignore_table: tmp%.%) keep part of it out, so the replica would hold data this connection "
        "never replicates; use consistent_dump or locked_dump, which copy only what the filters let through"]


# ---------------------------------------------------------------- input checks

@pytest.mark.parametrize("filters, message", [
    (["shop"], "replication filters must be a mapping of replicate_do_db, replicate_ignore_db, replicate_do_table, "
               "replicate_ignore_table, replicate_wild_do_table, replicate_wild_ignore_table to lists, got list ['shop']"),
    ({"replicate_do_tables": ["a.b"], "seed": "auto"},
     "replication filters: unknown key(s) replicate_do_tables, seed; the keys are replicate_do_db, replicate_ignore_db, "
     "replicate_do_table, replicate_ignore_table, replicate_wild_do_table, replicate_wild_ignore_table"),
    ({"replicate_do_db": "shop"}, "replicate_do_db: 'shop' is not a list; give a list, for example [shop]"),
    ({"replicate_ignore_db": ["shop", 5]}, "replicate_ignore_db: 5 is not a non-empty string; every item must be one"),
    ({"replicate_wild_do_table": ["  "]},
     "replicate_wild_do_table: '  ' is not a non-empty string; every item must be one"),
    ({"replicate_do_table": ["shop.customers", "orders"]},
     "replicate_do_table: orders has no database part; write each table as database.table"),
    ({"replicate_wild_ignore_table": ["tmp%"]},
     "replicate_wild_ignore_table: tmp% has no database part; write each table as database.table"),
])
def test_bad_filters_are_refused_naming_the_key(filters, message):
    with pytest.raises(ValueError) as caught:
        check_filters(filters)
    assert str(caught.value) == message
    for question in (lambda: table_replicated(filters, "a", "b"), lambda: database_replicated(filters, "a"),
                     lambda: replicated_tables(filters, []), lambda: seedable_databases(filters, []),
                     lambda: seed_databases_never_replicated(filters, []),
                     lambda: unsupported_by_method(filters, "consistent_dump")):
        with pytest.raises(ValueError) as again:
            question()
        assert str(again.value) == message


@pytest.mark.parametrize("setting", [3, -1, True, "1", None])
def test_lower_case_table_names_must_be_0_1_or_2(setting):
    with pytest.raises(ValueError, match=r"^lower_case_table_names must be 0, 1 or 2 \(the servers' setting\), got "):
        table_replicated({}, "a", "b", setting)


def test_bad_names_are_refused():
    with pytest.raises(ValueError, match=r"^the database must be a non-empty string, got ''$"):
        table_replicated({}, "", "t")
    with pytest.raises(ValueError, match=r"^the table must be a non-empty string, got None$"):
        table_replicated({}, "db", None)
    with pytest.raises(ValueError, match=r"^the database must be a non-empty string, got 5$"):
        database_replicated({}, 5)
    with pytest.raises(ValueError, match=r"^orders has no database part; write each table as database.table$"):
        replicated_tables({}, ["shop.a", "orders"])
    with pytest.raises(ValueError, match=r"^shop\. has an empty database or table name; write each table as "):
        replicated_tables({}, ["shop."])
    with pytest.raises(ValueError, match=r"^\.t has an empty database or table name"):
        replicated_tables({}, [".t"])
    with pytest.raises(ValueError, match=r"^the tables must be a list of names, got 'shop.a'$"):
        replicated_tables({}, "shop.a")
    with pytest.raises(ValueError, match=r"^every item of the databases must be a non-empty string, got None$"):
        seedable_databases({}, ["shop", None])
    with pytest.raises(ValueError, match=r"^seed_databases must be a list of names, got 'shop'$"):
        seed_databases_never_replicated({}, "shop")
    with pytest.raises(ValueError, match=r"^unknown seed method 'rsync'; the methods are locked_dump, consistent_dump, "
                                         r"mariadb_backup$"):
        unsupported_by_method({}, "rsync")


def test_split_table_splits_at_the_first_dot():
    assert split_table("shop.orders") == ("shop", "orders")
    assert split_table("shop.a.b") == ("shop", "a.b")


# ---------------------------------------------------------------- the verify role's former Jinja macro

# roles/verify/vars/main.yml (verify_reach's macro "passes") had the same order of rules; these are the
# cases where it answered differently from MariaDB. The macro: do_db and ignore_db both applied, names and
# patterns compared case-sensitively, patterns turned into regular expressions without escapes.
@pytest.mark.parametrize("filters, table, macro_said, mariadb", [
    ({"replicate_do_db": ["shop"], "replicate_ignore_db": ["shop"]}, "shop.t", False, True),
    ({"replicate_do_table": ["shop.Orders"]}, "shop.orders", False, True),
    ({"replicate_ignore_table": ["shop.Orders"]}, "shop.orders", True, False),
    ({"replicate_wild_ignore_table": ["SHOP.%"]}, "shop.orders", True, False),
    ({"replicate_wild_do_table": ["shop.tmp\\_%"]}, "shop.tmp_1", False, True),
    ({"replicate_wild_ignore_table": ["shop.tmp\\_%"]}, "shop.tmp_1", True, False),
])
def test_where_the_old_macro_was_wrong(filters, table, macro_said, mariadb):
    assert passes(filters, table) is mariadb is not macro_said


@pytest.mark.parametrize("filters, table, expected", [
    ({"replicate_do_db": ["shop"]}, "shop.t", True),
    ({"replicate_do_db": ["shop"]}, "crm.t", False),
    ({"replicate_ignore_db": ["shop"]}, "shop.t", False),
    ({"replicate_ignore_db": ["shop"], "replicate_do_table": ["shop.t"]}, "shop.t", False),
    ({"replicate_do_table": ["shop.t"], "replicate_wild_ignore_table": ["shop.%"]}, "shop.t", True),
    ({"replicate_ignore_table": ["shop.t"], "replicate_wild_do_table": ["shop.%"]}, "shop.t", False),
    ({"replicate_wild_do_table": ["shop.%"], "replicate_wild_ignore_table": ["shop.t%"]}, "shop.t1", True),
    ({"replicate_wild_ignore_table": ["tmp%.%"]}, "tmp1.t", False),
    ({"replicate_wild_ignore_table": ["tmp%.%"]}, "shop.t", True),
    ({"replicate_do_table": ["crm.x"]}, "shop.t", False),
    ({"replicate_wild_do_table": ["shop._"]}, "shop.ab", False),
])
def test_where_the_old_macro_was_right(filters, table, expected):
    assert passes(filters, table) is expected


# ---------------------------------------------------------------- the filter plugin

def test_filters_are_registered():
    assert plugin.FilterModule().filters() == {"table_replicated": plugin.table_replicated,
                                               "replicated_tables": plugin.replicated_tables,
                                               "database_replicated": plugin.database_replicated}


def test_filters_take_the_name_as_input_and_the_filters_as_argument():
    filters = {"replicate_do_db": ["shop"], "replicate_wild_ignore_table": ["shop.tmp\\_%"]}
    assert plugin.table_replicated("shop.orders", filters) is True
    assert plugin.table_replicated("shop.tmp_x", filters) is False
    assert plugin.table_replicated("SHOP.orders", filters, lower_case_table_names=1) is True
    assert plugin.replicated_tables(iter(["shop.a", "crm.b"]), filters) == ["shop.a"]
    assert plugin.database_replicated("shop", filters) == "some"
    assert plugin.database_replicated("crm", filters) == "none"


def test_filter_errors_name_the_filter():
    with pytest.raises(AnsibleFilterError, match=r"^table_replicated: orders has no database part; write each table "):
        plugin.table_replicated("orders", {})
    with pytest.raises(AnsibleFilterError, match=r"^replicated_tables: replicate_do_db: 'shop' is not a list"):
        plugin.replicated_tables(["shop.a"], {"replicate_do_db": "shop"})
    with pytest.raises(AnsibleFilterError, match=r"^database_replicated: lower_case_table_names must be 0, 1 or 2"):
        plugin.database_replicated("shop", {}, lower_case_table_names=4)


def test_a_play_uses_the_filters(tmp_path):
    playbook = tmp_path / "filters.yml"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  vars:\n"
        "    filters:\n"
        "      replicate_do_db: [shop]\n"
        "      replicate_wild_ignore_table: ['shop.tmp\\_%']\n"
        "    tables: [shop.orders, shop.tmp_import, crm.contacts]\n"
        "  tasks:\n"
        "    - name: Ask\n"
        "      ansible.builtin.copy:\n"
        "        content: >-\n"
        "          {{ {'table': 'shop.orders' | replkit.mariadb.table_replicated(filters),\n"
        "              'tables': tables | replkit.mariadb.replicated_tables(filters),\n"
        "              'mapped': tables | map('replkit.mariadb.table_replicated', filters) | list,\n"
        "              'databases': ['shop', 'crm'] | map('replkit.mariadb.database_replicated', filters) | list}\n"
        "             | to_json }}\n"
        "        dest: \"" + str(tmp_path / "answers.json") + "\"\n"
        "        mode: '0644'\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=" + sys.executable, str(playbook)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "answers.json").read_text()) == {
        "table": True, "tables": ["shop.orders"], "mapped": [True, False, False], "databases": ["some", "none"]}
