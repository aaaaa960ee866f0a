"""The pure GTID library: parsing, formatting, comparing, merging and lag."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.gtid import (
    MAX_DOMAIN_ID, MAX_SEQ_NO, MAX_SERVER_ID, DomainPos, GtidError, describe_behind, format_gtid_pos, gtid_behind,
    merge_gtid_pos, normalize_gtid_pos, parse_gtid_pos, positions_by_domain, same_gtid_pos)


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("   ", {}),
    ("\n\t", {}),
    (None, {}),
    ("0-1-100", {0: (1, 100)}),
    ("0-1-100,1-2-5", {0: (1, 100), 1: (2, 5)}),
    ("1-2-5,0-1-100", {0: (1, 100), 1: (2, 5)}),
    ("  0-1-100 ,\n 1-2-5  ", {0: (1, 100), 1: (2, 5)}),
    ("0-0-0", {0: (0, 0)}),
    ("007-01-0100", {7: (1, 100)}),
    ("%d-%d-%d" % (MAX_DOMAIN_ID, MAX_SERVER_ID, MAX_SEQ_NO), {MAX_DOMAIN_ID: (MAX_SERVER_ID, MAX_SEQ_NO)}),
])
def test_parse_valid(text, expected):
    parsed = parse_gtid_pos(text)
    assert parsed == expected
    assert all(isinstance(pos, DomainPos) for pos in parsed.values())


@pytest.mark.parametrize("text, message", [
    ("0-1", "has 2 part(s)"),
    ("0-1-2-3", "has 4 part(s)"),
    ("garbage", "has 1 part(s)"),
    ("0-1-100,", "entry 2 of GTID position '0-1-100,' is empty"),
    (",0-1-100", "entry 1 of GTID position ',0-1-100' is empty"),
    ("0-1-100,,1-2-5", "entry 2"),
    ("-1-1-1", "negative number"),
    ("0--1-1", "negative number"),
    ("0-1--5", "negative number"),
    ("a-1-1", "domain_id 'a' is not a non-negative decimal integer"),
    ("0-b-1", "server_id 'b' is not"),
    ("0-1-c", "seq_no 'c' is not"),
    ("0-1-+5", "seq_no '+5' is not"),
    ("0-1-0x10", "seq_no '0x10' is not"),
    ("0-1-1.5", "seq_no '1.5' is not"),
    ("0-1- 5", "seq_no ' 5' is not"),
    ("0-1-\u00b2", "seq_no"),
    ("0-1-", "seq_no '' is not"),
    ("%d-1-1" % (MAX_DOMAIN_ID + 1), "domain_id 4294967296 is out of range (0 to 4294967295)"),
    ("0-%d-1" % (MAX_SERVER_ID + 1), "server_id 4294967296 is out of range"),
    ("0-1-%d" % (MAX_SEQ_NO + 1), "seq_no 18446744073709551616 is out of range (0 to 18446744073709551615)"),
    ("0-1-5,0-2-6", "lists domain 0 twice (0-1-5 and 0-2-6)"),
    ("0-1-5, 00-1-5", "lists domain 0 twice"),
])
def test_parse_invalid_names_the_part(text, message):
    with pytest.raises(GtidError) as raised:
        parse_gtid_pos(text)
    assert message in str(raised.value)


@pytest.mark.parametrize("value", [5, ["0-1-1"], b"0-1-1"])
def test_parse_rejects_non_strings(value):
    with pytest.raises(GtidError, match="must be a string"):
        parse_gtid_pos(value)


def test_gtid_error_is_a_value_error():
    assert issubclass(GtidError, ValueError)


@pytest.mark.parametrize("position, text", [
    ({}, ""),
    ({0: DomainPos(1, 100)}, "0-1-100"),
    ({5: (1, 2), 0: (3, 4), 10: (1, 1)}, "0-3-4,5-1-2,10-1-1"),
    ({MAX_DOMAIN_ID: (MAX_SERVER_ID, MAX_SEQ_NO)}, "%d-%d-%d" % (MAX_DOMAIN_ID, MAX_SERVER_ID, MAX_SEQ_NO)),
])
def test_format_sorts_by_domain_numerically(position, text):
    assert format_gtid_pos(position) == text


@pytest.mark.parametrize("text, normal", [
    ("", ""),
    (" 10-1-1 , 2-1-1 ", "2-1-1,10-1-1"),
    ("007-01-0100", "7-1-100"),
])
def test_normalize(text, normal):
    assert normalize_gtid_pos(text) == normal


@pytest.mark.parametrize("text", ["0-1-100", "0-1-100,1-2-5,7-7-7", "", "4294967295-4294967295-18446744073709551615"])
def test_parse_format_round_trip(text):
    assert format_gtid_pos(parse_gtid_pos(text)) == text


@pytest.mark.parametrize("one, other, same", [
    ("0-1-100,1-2-5", "1-2-5,0-1-100", True),
    ("0-1-100,1-2-5", " 1-2-5 , 0-1-100 ", True),
    ("", "", True),
    ("", None, True),
    ("0-1-100", "0-1-101", False),
    ("0-1-100", "0-2-100", False),
    ("0-1-100", "0-1-100,1-2-5", False),
    ("0-1-100", "", False),
    ({0: DomainPos(1, 100)}, "0-1-100", True),
    ({0: (1, 100)}, {0: DomainPos(1, 100)}, True),
])
def test_same_gtid_pos(one, other, same):
    assert same_gtid_pos(one, other) is same
    assert same_gtid_pos(other, one) is same


@pytest.mark.parametrize("current, wanted, mode, expected", [
    ("0-1-100,1-2-5", "1-2-9", "merge", "0-1-100,1-2-9"),
    ("0-1-100,1-2-5", "2-3-1", "merge", "0-1-100,1-2-5,2-3-1"),
    ("0-1-100,1-2-5", "", "merge", "0-1-100,1-2-5"),
    ("", "1-2-9", "merge", "1-2-9"),
    ("0-1-100,1-2-5", "1-2-3", "merge", "0-1-100,1-2-3"),
    ("0-1-100,1-2-5", "1-2-9", "replace", "1-2-9"),
    ("0-1-100,1-2-5", "", "replace", ""),
    ("", "", "replace", ""),
])
def test_merge(current, wanted, mode, expected):
    assert format_gtid_pos(merge_gtid_pos(current, wanted, mode)) == expected


def test_merge_defaults_to_merge_and_does_not_modify_inputs():
    current = parse_gtid_pos("0-1-100,1-2-5")
    wanted = parse_gtid_pos("1-2-9")
    merged = merge_gtid_pos(current, wanted)
    assert format_gtid_pos(merged) == "0-1-100,1-2-9"
    assert current == {0: (1, 100), 1: (2, 5)}
    assert wanted == {1: (2, 9)}


def test_merge_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode must be"):
        merge_gtid_pos("", "", "append")


@pytest.mark.parametrize("applied, target, expected", [
    ("0-1-100", "0-1-100", {0: 0}),
    ("0-1-100", "0-1-90", {0: 0}),
    ("0-1-90", "0-1-100", {0: 10}),
    ("", "0-1-100", {0: 100}),
    ("0-1-100", "", {}),
    ("0-1-100,5-5-5", "1-2-7", {1: 7}),
    ("0-1-100,1-2-3", "0-1-100,1-2-10", {0: 0, 1: 7}),
    ("0-9-90", "0-1-100", {0: 10}),
    ("0-1-0", "0-1-%d" % MAX_SEQ_NO, {0: MAX_SEQ_NO}),
])
def test_gtid_behind(applied, target, expected):
    assert gtid_behind(applied, target) == expected


def test_describe_behind_lists_only_lagging_domains():
    text = describe_behind("0-1-100,1-2-3", "0-1-100,1-2-10,2-3-4")
    assert text == ("domain 1: 7 transaction(s) behind (at 1-2-3, target 1-2-10); "
                    "domain 2: 4 transaction(s) behind (at nothing applied, target 2-3-4)")
    assert describe_behind("0-1-100", "0-1-50") == ""


def test_positions_by_domain():
    assert positions_by_domain("1-2-5,0-1-100") == {
        "0": {"server_id": 1, "seq_no": 100}, "1": {"server_id": 2, "seq_no": 5}}
    assert positions_by_domain("") == {}
    assert list(positions_by_domain("10-1-1,2-1-1")) == ["2", "10"]
