"""Chunked table checksums: key ranges, the row hash, position filtering, comparing, and the module's replica flow."""

from __future__ import annotations

import datetime
import decimal
from unittest import mock

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils import table_checksum as tc
from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import DomainPos, parse_gtid_pos
from ansible_collections.replkit.mariadb.plugins.modules import mariadb_table_checksum as module
from ansible_collections.replkit.mariadb.tests.unit.fake_db import Expect, StrictCursor, run_module_main

CONNECT = "ansible_collections.replkit.mariadb.plugins.module_utils.mariadb.connect"
LOGIN = dict(login_user="admin", login_password="s'e\"c\\r;et", login_host="127.0.0.1", login_port=3306)
VERSION = Expect(r"SELECT VERSION\(\) AS version", rows=[{"version": "10.11.6-MariaDB-log"}])


# ------------------------------------------------------------------ names, values, predicates


@pytest.mark.parametrize("text, expected", [
    ("db.t", ("db", "t")),
    (" db.t ", ("db", "t")),
    ("db.a.b", ("db", "a.b")),
    ("`my.db`.t", ("my.db", "t")),
    ("`a``b`.`t``x`", ("a`b", "t`x")),
    ("db.`t.1`", ("db", "t.1")),
])
def test_parse_table_name(text, expected):
    assert tc.parse_table_name(text) == expected
    assert tc.parse_table_name(tc.table_name(*expected)) == expected


def test_table_name_quotes_only_where_needed():
    assert tc.table_name("db", "t") == "db.t"
    assert tc.table_name("my.db", "t`x") == "`my.db`.`t``x`"
    assert tc.table_name("db", " t") == "db.` t`"


@pytest.mark.parametrize("text", ["db", ".t", "db.", "`db`t", "a`b.c", "`db`.`t", "", None, 5])
def test_parse_table_name_rejects(text):
    with pytest.raises(ValueError, match="DATABASE.TABLE"):
        tc.parse_table_name(text)


@pytest.mark.parametrize("value, data_type, encoded", [
    (7, "int", 7),
    ("k'1", "varchar", "k'1"),
    (b"\x00\xff'", "varbinary", "00ff27"),
    (decimal.Decimal("12345678901234567890.12345"), "decimal", "12345678901234567890.12345"),
    (datetime.datetime(2026, 1, 2, 3, 4, 5, 60), "datetime", "2026-01-02 03:04:05.000060"),
    (datetime.datetime(2026, 1, 2, 3, 4, 5), "timestamp", "2026-01-02 03:04:05"),
    (datetime.date(2026, 1, 2), "date", "2026-01-02"),
    (datetime.timedelta(days=2, seconds=3, microseconds=7), "time", "48:00:03.000007"),
    (-datetime.timedelta(hours=1, seconds=1), "time", "-1:00:01.000000"),
])
def test_key_values_round_trip_through_json(value, data_type, encoded):
    assert tc.encode_value(value) == encoded
    decoded = tc.decode_value(encoded, data_type)
    if isinstance(value, (bytes, decimal.Decimal, int)):
        assert decoded == value and type(decoded) is type(value)  # bound as exact literals, not strings
    else:
        assert decoded == encoded  # dates and times bind as text; the server converts them to the column's type


def test_range_predicate_one_column():
    assert tc.range_predicate(["id"]) == ("", [])
    assert tc.range_predicate(["id"], [5], None) == ("`id` > %s", [5])
    assert tc.range_predicate(["id"], None, [9]) == ("`id` <= %s", [9])
    assert tc.range_predicate(["id"], [5], [9]) == ("`id` > %s AND `id` <= %s", [5, 9])


def test_range_predicate_two_columns_is_the_row_comparison_expanded():
    sql, params = tc.range_predicate(["a", "b`x"], [1, "k"], [2, "m"])
    assert sql == ("(`a` > %s OR (`a` = %s AND `b``x` > %s)) AND "
                   "(`a` < %s OR (`a` = %s AND `b``x` <= %s))")
    assert params == [1, 1, "k", 2, 2, "m"]


def test_range_predicate_three_columns():
    sql, params = tc.range_predicate(["a", "b", "c"], [1, 2, 3], None)
    assert sql == "(`a` > %s OR (`a` = %s AND (`b` > %s OR (`b` = %s AND `c` > %s))))"
    assert params == [1, 1, 2, 2, 3]


def test_range_predicate_matches_row_constructor_semantics():
    """Evaluate the generated predicate in Python against tuple comparison for every small key."""
    keys = [(a, b, c) for a in range(3) for b in range(3) for c in range(3)]
    for lower in [None, (1, 0, 2), (0, 2, 2)]:
        for upper in [None, (1, 1, 1), (2, 0, 0)]:
            sql, params = tc.range_predicate(["a", "b", "c"], lower, upper)
            expression = (sql.replace("`", "").replace(" = ", " == ").replace(" OR ", " or ").replace(" AND ", " and ")
                          .replace("%s", "{}").format(*params))
            for key in keys:
                expected = (lower is None or key > lower) and (upper is None or key <= upper)
                assert eval(expression or "True", {}, dict(zip("abc", key))) == expected, (lower, upper, key)


def test_range_predicate_rejects_a_bound_of_the_wrong_width():
    with pytest.raises(ValueError, match="1 value"):
        tc.range_predicate(["a", "b"], [1], None)


def test_boundary_statement_binds_values_and_offset():
    statement = tc.boundary_statement("d`b", "t`1", "PRIMARY", ["a", "b"], [3, "x'y"], 1000)
    assert statement.sql == ("SELECT `a`, `b` FROM `d``b`.`t``1` FORCE INDEX (`PRIMARY`) WHERE "
                             "(`a` > %s OR (`a` = %s AND `b` > %s)) ORDER BY `a`, `b` LIMIT 1 OFFSET %s")
    assert statement.params == (3, 3, "x'y", 999)
    first = tc.boundary_statement("db", "t", "uk", ["id"], None, 1)
    assert first.sql == "SELECT `id` FROM `db`.`t` FORCE INDEX (`uk`) ORDER BY `id` LIMIT 1 OFFSET %s"
    assert first.params == (0,)


def test_row_hash_quotes_identifiers_converts_other_charsets_and_flags_nulls():
    columns = [dict(name="id", charset=None), dict(name="we`ird", charset="latin1"), dict(name="t", charset="utf8mb4")]
    assert tc.row_hash_expression(columns) == (
        "CRC32(CONCAT_WS('#', `id`, CONVERT(`we``ird` USING utf8mb4), `t`, "
        "CONCAT(ISNULL(`id`), ISNULL(`we``ird`), ISNULL(`t`))))")
    with pytest.raises(ValueError):
        tc.row_hash_expression([])


def test_checksum_statement():
    statement = tc.checksum_statement("db", "t", "PRIMARY", ["id"], [dict(name="id"), dict(name="v")], [10], None)
    assert statement.sql == (
        "SELECT COUNT(*) AS row_count, COALESCE(BIT_XOR(CRC32(CONCAT_WS('#', `id`, `v`, "
        "CONCAT(ISNULL(`id`), ISNULL(`v`))))), 0) AS checksum FROM `db`.`t` FORCE INDEX (`PRIMARY`) WHERE `id` > %s")
    assert statement.params == (10,)
    whole = tc.checksum_statement("db", "t", None, ["id"], [dict(name="id")], None, None)
    assert whole.sql.endswith("FROM `db`.`t`") and whole.params == ()


def index(name, seq, column, non_unique=0, nullable="", sub_part=None):
    return dict(name=name, seq=seq, column=column, non_unique=non_unique, nullable=nullable, sub_part=sub_part)


TYPES = dict(id="int", a="int", b="varchar", f="double", e="enum", n="int", p="varchar")


@pytest.mark.parametrize("rows, expected", [
    ([index("PRIMARY", 1, "id"), index("uk", 1, "a")], ("PRIMARY", ["id"])),
    ([index("uk2", 2, "b"), index("uk2", 1, "a"), index("uk1", 1, "id")], ("uk1", ["id"])),
    ([index("uk2", 1, "a"), index("uk2", 2, "b")], ("uk2", ["a", "b"])),
    ([index("uk", 1, "n", nullable="YES")], None),
    ([index("uk", 1, "p", sub_part=10)], None),
    ([index("PRIMARY", 1, "f"), index("uk", 1, "a")], ("uk", ["a"])),
    ([index("PRIMARY", 1, "e")], None),
    ([index("k", 1, "a", non_unique=1)], None),
    ([], None),
])
def test_choose_key(rows, expected):
    assert tc.choose_key(rows, TYPES) == (None if expected is None else expected)


def table_script(database, table, kind="BASE TABLE", columns=(), indexes=()):
    return [Expect(r"SELECT TABLE_TYPE AS type, ENGINE AS engine FROM information_schema.TABLES .*",
                   params=(database, table), rows=[dict(type=kind, engine="InnoDB")] if kind else []),
            ] + ([Expect(r"SELECT COLUMN_NAME AS name, .*", params=(database, table), rows=list(columns)),
                  Expect(r"SELECT INDEX_NAME AS name, .*", params=(database, table), rows=list(indexes))] if kind else [])


def test_chunk_tables_walks_keys_and_reports_missing_and_unkeyed_tables():
    columns = [dict(name="a", type="INT", charset=None), dict(name="b", type="varbinary", charset=None)]
    boundary = r"SELECT `a`, `b` FROM `d`.`t``1` FORCE INDEX \(`PRIMARY`\) %sORDER BY `a`, `b` LIMIT 1 OFFSET %%s"
    script = ([Expect(r"SET SESSION time_zone = '\+00:00', SESSION sql_mode = ''")]
              + table_script("d", "gone", kind=None)
              + table_script("d", "v", kind="VIEW", columns=[dict(name="a", type="int", charset=None)])
              + table_script("d", "t`1", columns=columns, indexes=[index("PRIMARY", 2, "b"), index("PRIMARY", 1, "a")])
              + [Expect(boundary % "", params=(1,), rows=[dict(a=2, b=b"\x01")]),
                 Expect(boundary % r"WHERE \(`a` > %s OR \(`a` = %s AND `b` > %s\)\) ", params=(2, 2, b"\x01", 1),
                        rows=[dict(a=5, b=b"")]),
                 Expect(boundary % r"WHERE \(`a` > %s OR \(`a` = %s AND `b` > %s\)\) ", params=(5, 5, b"", 1))])
    cursor = StrictCursor(script)
    result = tc.chunk_tables(cursor, ["d.gone", "d.v", "`d`.`t``1`"], 2)
    cursor.assert_done()
    assert result["missing_tables"] == ["d.gone"] and result["unkeyed_tables"] == ["d.v"]
    common = dict(table="d.`t``1`", index="PRIMARY", index_columns=["a", "b"])
    assert result["chunks"] == [dict(common, lower=None, upper=[2, "01"]), dict(common, lower=[2, "01"], upper=[5, ""]),
                                dict(common, lower=[5, ""], upper=None)]


# ------------------------------------------------------------------ positions and results


def test_filter_position_drops_ignored_and_reached_domains():
    until, dropped, ahead = tc.filter_position("0-1-10,1-2-20,2-3-30,3-4-40,4-5-50", "0-1-10,1-2-25,2-3-5",
                                               ignore_domain_ids=[3])
    assert until == {2: DomainPos(3, 30), 4: DomainPos(5, 50)}
    assert dropped == {0: "already applied (0-1-10)", 1: "already applied (1-2-25)",
                       3: "ignored by the connection (IGNORE_DOMAIN_IDS)"}
    assert ahead == [1]


def test_filter_position_keeps_only_do_domains():
    until, dropped, ahead = tc.filter_position(parse_gtid_pos("0-1-10,1-2-20"), {}, do_domain_ids=[1])
    assert until == {1: DomainPos(2, 20)}
    assert dropped == {0: "not replicated by the connection (DO_DOMAIN_IDS)"} and ahead == []
    assert tc.filter_position("", "0-1-5") == ({}, {}, [])


def test_parse_domain_ids():
    assert tc.parse_domain_ids("1,2, 30") == [1, 2, 30]
    assert tc.parse_domain_ids("") == [] and tc.parse_domain_ids(None) == []


def result(rows, checksum, lower=None, upper=None, **extra):
    return dict(table="db.t", index="PRIMARY", index_columns=["id"], lower=lower, upper=upper, rows=rows,
                checksum=checksum, **extra)


def test_compare_results():
    source = [result(10, 5, None, [10]), result(10, 6, [10], [20]), result(10, 7, [20], [30]),
              result(3, 8, [30], None), result(None, None, reason="table missing"), result(4, 1)]
    replica = [dict(rows=10, checksum=5), dict(rows=10, checksum=9), dict(rows=9, checksum=7),
               dict(rows=None, checksum=None, reason="table missing"), dict(rows=None, checksum=None),
               dict(rows=None, checksum=None, reason="key column(s) id missing")]
    differences, equal = tc.compare_results(source, replica)
    assert equal == 2  # the first chunk, and the table missing on both sides
    assert differences == [
        dict(table="db.t", lower=[10], upper=[20], source_rows=10, replica_rows=10, reason="checksum differs"),
        dict(table="db.t", lower=[20], upper=[30], source_rows=10, replica_rows=9, reason="row count differs"),
        dict(table="db.t", lower=[30], upper=None, source_rows=3, replica_rows=None, reason="table missing on replica"),
        dict(table="db.t", lower=None, upper=None, source_rows=4, replica_rows=None,
             reason="key column(s) id missing on replica"),
    ]
    assert tc.compare_results([result(None, None)], [dict(rows=0, checksum=0)])[0][0]["reason"] == \
        "table missing on source"
    with pytest.raises(ValueError):
        tc.compare_results([result(1, 1)], [])


def test_input_errors():
    base = dict(action="replica", tables=None, chunk_rows=10000, chunks=None, until_gtid_position=None, results=None,
                wait_timeout=300)
    assert tc.input_errors(base) == ["action=replica needs option until_gtid_position.",
                                     "action=replica needs option results."]
    errors = tc.input_errors(dict(base, until_gtid_position="0-1", results=[dict(table="x")], chunk_rows=0,
                                  wait_timeout=-1, tables=["nodot"]))
    assert any("tables: table name 'nodot'" in error for error in errors)
    assert "chunk_rows is 0; give 1 or more." in errors and "wait_timeout is -1; give 0 or more seconds." in errors
    assert any(error.startswith("until_gtid_position is not a GTID position") for error in errors)
    assert "results[0] lacks index, index_columns, lower, upper, rows, checksum." in errors
    bad = dict(table="db.t", index="PRIMARY", index_columns=["a", "b"], lower=[1], upper=None)
    assert tc.chunk_errors("chunks", [bad]) == ["chunks[0]: lower and upper must be null or lists of 2 value(s)."]
    assert tc.chunk_errors("chunks", [dict(bad, index_columns=[])])[0].endswith("non-empty list of column names.")


def test_wait_until_reports_why_it_did_not_reach_the_position(monkeypatch):
    monkeypatch.setattr(tc.time, "sleep", lambda seconds: None)
    until = parse_gtid_pos("1-1-10")

    def cursor(*positions):
        return StrictCursor([Expect(r"SELECT @@GLOBAL.gtid_slave_pos AS pos", rows=[{"pos": p}]) for p in positions])

    rows = iter([dict(Slave_SQL_Running="Yes"), dict(Slave_SQL_Running="No", Last_SQL_Errno=0)])
    assert tc.wait_until(cursor("1-1-10"), lambda: next(rows), until, 5) >= 0
    with pytest.raises(tc.Failure, match="stopped with error 1062 before the position: Duplicate"):
        tc.wait_until(cursor(), lambda: dict(Slave_SQL_Running="No", Last_SQL_Errno=1062,
                                             Last_SQL_Error="Duplicate"), until, 5)
    with pytest.raises(tc.Failure, match=r"stopped at 1-1-4, before the position \(domain 1: 6 transaction"):
        tc.wait_until(cursor("1-1-4"), lambda: dict(Slave_SQL_Running="No", Last_SQL_Errno=0), until, 5)
    with pytest.raises(tc.Failure, match="I/O thread stopped with error 1236: purged"):
        tc.wait_until(cursor(), lambda: dict(Slave_SQL_Running="Yes", Slave_IO_Running="No", Last_IO_Errno=1236,
                                             Last_IO_Error="purged"), until, 5)
    with pytest.raises(tc.Failure, match="did not reach 1-1-10 within -1 s"):
        tc.wait_until(cursor("1-1-2"), lambda: dict(Slave_SQL_Running="Yes"), until, -1)


# ------------------------------------------------------------------ the module against a strict fake cursor


def status(sql="No", io="Yes", gtid="Slave_Pos", until="None", **extra):
    return dict(Connection_name="c1", Slave_IO_Running=io, Slave_SQL_Running=sql, Using_Gtid=gtid,
                Until_Condition=until, Replicate_Ignore_Domain_Ids="", Replicate_Do_Domain_Ids="",
                Last_SQL_Errno=0, Last_SQL_Error="", Last_IO_Errno=0, Last_IO_Error="", **extra)


def show(*rows):
    return Expect(r"SHOW ALL REPLICAS STATUS", rows=list(rows))


def slave_pos(position):
    return Expect(r"SELECT @@GLOBAL.gtid_slave_pos AS pos", rows=[{"pos": position}])


def run(args, script, check_mode=False, second=None):
    args = dict(LOGIN, _ansible_check_mode=check_mode, **args)
    data = mock.MagicMock()
    data.cursor.return_value = second or StrictCursor([])
    with mock.patch.object(module.pymysql, "connect", return_value=data):
        return run_module_main(module, args, script, CONNECT)


def test_pause_stops_the_sql_thread_and_check_mode_does_not():
    result, cursor = run(dict(action="pause", connection_name="c1"),
                         [VERSION, show(status(sql="Yes")), Expect(r"STOP REPLICA %s SQL_THREAD", params=("c1",)),
                          slave_pos("1-1-5")])
    assert result["changed"] is True and result["gtid_position"] == "1-1-5"
    assert result["queries"] == ["STOP REPLICA 'c1' SQL_THREAD"]
    result, cursor = run(dict(action="pause", connection_name="c1"), [VERSION, show(status(sql="Yes")),
                                                                      slave_pos("1-1-5")], check_mode=True)
    assert result["changed"] is True and "would be stopped" in result["msg"]
    result, cursor = run(dict(action="pause", connection_name="c1"), [VERSION, show(status(gtid="No"))])
    assert result["failed"] and "does not replicate with GTID" in result["msg"]


def test_sql_errors_fail_the_module_clearly():
    result, cursor = run(dict(action="chunks", tables=["d.t"]), [
        VERSION, Expect(r"SHOW MASTER STATUS", rows=[]), Expect(r"SET SESSION .*"),
        Expect(r"SELECT TABLE_TYPE .*", error=module.pymysql.err.OperationalError(1142, "SELECT command denied"))])
    assert result["failed"]
    assert result["msg"] == "action=chunks failed on admin@127.0.0.1:3306: (1142, 'SELECT command denied')"


def test_resume_clears_a_left_over_until_condition():
    result, cursor = run(dict(action="resume", connection_name="c1"), [
        VERSION, show(status(sql="Yes", until="Gtid")), Expect(r"STOP REPLICA %s", params=("c1",)),
        Expect(r"START REPLICA %s", params=("c1",))])
    assert result["changed"] is True and result["queries"] == ["STOP REPLICA 'c1'", "START REPLICA 'c1'"]
    result, cursor = run(dict(action="resume", connection_name="c1"), [VERSION, show(status(sql="Yes"))])
    assert result["changed"] is False and result["queries"] == []


def test_replica_with_a_bad_position_still_starts_the_connection_again():
    result, cursor = run(dict(action="replica", connection_name="c1", until_gtid_position="1-x-5", results=[]), [
        VERSION, show(status()), show(status()), Expect(r"START REPLICA %s", params=("c1",))])
    assert result["failed"] and "until_gtid_position is not a GTID position" in result["msg"]
    assert result["msg"].endswith("The connection runs again.")
    assert result["queries"] == ["START REPLICA 'c1'"]


def test_replica_refuses_to_compare_when_the_sql_thread_was_not_paused():
    result, cursor = run(dict(action="replica", connection_name="c1", until_gtid_position="1-1-5", results=[]), [
        VERSION, show(status(sql="Yes")), show(status(sql="Yes"))])
    assert result["failed"] and "run action=pause" in result["msg"] and result["queries"] == []


def test_replica_waits_opens_the_snapshot_restarts_then_compares():
    chunk = dict(table="db.t", index="PRIMARY", index_columns=["id"], lower=None, upper=[10], rows=10, checksum=77)
    reader = StrictCursor([
        Expect(r"SET SESSION time_zone = '\+00:00', SESSION sql_mode = ''"),
        Expect(r"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
        Expect(r"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"),
        Expect(r"SELECT TABLE_TYPE AS type, ENGINE AS engine FROM information_schema.TABLES .*", params=("db", "t"),
               rows=[dict(type="BASE TABLE", engine="InnoDB")]),
        Expect(r"SELECT COLUMN_NAME AS name, .*", rows=[dict(name="id", type="int", charset=None)]),
        Expect(r"SELECT INDEX_NAME AS name, .*", rows=[index("PRIMARY", 1, "id")]),
        Expect(r"SELECT COUNT\(\*\) AS row_count, .* FROM `db`.`t` FORCE INDEX \(`PRIMARY`\) WHERE `id` <= %s",
               params=(10,), rows=[dict(row_count=10, checksum=78)]),
        Expect(r"COMMIT"),
    ])
    script = [VERSION, show(status()), slave_pos("0-1-1,1-1-3"), Expect(r"STOP REPLICA %s", params=("c1",)),
              Expect(r"START REPLICA %s UNTIL master_gtid_pos = %s", params=("c1", "1-1-5")),
              show(status(io="No")), slave_pos("1-1-5"), slave_pos("1-1-5"),
              show(status(io="No")), Expect(r"START REPLICA %s", params=("c1",))]
    result, cursor = run(dict(action="replica", connection_name="c1", until_gtid_position="0-1-1,1-1-5",
                              results=[chunk]), script, second=reader)
    reader.assert_done()
    assert not result["failed"], result
    assert result["changed"] is False and result["until_gtid_position"] == "1-1-5"
    assert result["dropped_domains"] == {"0": "already applied (0-1-1)"} and result["gtid_position"] == "1-1-5"
    assert result["differences"] == [dict(table="db.t", lower=None, upper=[10], source_rows=10, replica_rows=10,
                                          reason="checksum differs")]
    assert result["queries"] == ["STOP REPLICA 'c1'", "START REPLICA 'c1' UNTIL master_gtid_pos = '1-1-5'",
                                 "START REPLICA 'c1'"]
