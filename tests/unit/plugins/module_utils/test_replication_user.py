"""Pure logic of mariadb_replication_user: privileges by version, grants, password hashes, statements."""

from __future__ import annotations

import pytest

from ansible_collections.replkit.mariadb.plugins.module_utils.replication_user import (
    Account, create_statements, input_errors, length_errors, native_hash, parse_grants, password_matches,
    required_privileges, update_statements)

PASSWORD = "re'pl\"pa\\ss;wd"
V10_11 = (10, 11, 6)


def params(**extra):
    base = dict(name="replkit_repl", hosts=["10.0.0.21"], password=PASSWORD, update_password="always",
                require_ssl=False, purge_hosts=False, state="present")
    base.update(extra)
    return base


def account(**extra):
    base = dict(host="10.0.0.21", plugin="mysql_native_password", auth_string=native_hash(PASSWORD), ssl_type="",
                privileges=frozenset(("REPLICATION SLAVE", "BINLOG MONITOR")))
    base.update(extra)
    return Account(**base)


def test_privileges_follow_the_version():
    assert required_privileges((10, 5, 2)) == ("REPLICATION SLAVE", "BINLOG MONITOR")
    assert required_privileges((11, 8, 0)) == ("REPLICATION SLAVE", "BINLOG MONITOR")
    assert required_privileges((10, 5, 1)) == ("REPLICATION SLAVE", "REPLICATION CLIENT")


def test_native_hash_is_what_mariadb_stores():
    # Both read back from MariaDB 10.11's mysql.user after CREATE USER ... IDENTIFIED BY.
    assert native_hash("p'a\"s\\s;w") == "*EECF0308E2795B903E0022B68C8B6D3B7D6827A8"
    assert native_hash("secret") == "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"
    assert password_matches(account(), PASSWORD)
    assert not password_matches(account(), "other")
    assert not password_matches(account(plugin="ed25519"), PASSWORD)


def test_parse_grants_canonicalises_aliases_and_separates_other_grants():
    lines = ["GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT, REPLICA MONITOR ON *.* TO `u`@`h` IDENTIFIED BY "
             "PASSWORD '*AB' REQUIRE SSL WITH GRANT OPTION",
             "GRANT SELECT ON `mysql`.* TO `u`@`h`"]
    privileges, grant_option, others = parse_grants(lines, V10_11)
    assert privileges == {"SELECT", "REPLICATION SLAVE", "BINLOG MONITOR", "SLAVE MONITOR"}
    assert grant_option is True and others == ("GRANT SELECT ON `mysql`.* TO `u`@`h`",)
    assert parse_grants(["GRANT USAGE ON *.* TO `u`@`h`"], V10_11) == (frozenset(), False, ())
    assert parse_grants(["GRANT REPLICA ON *.* TO `u`@`h`"], V10_11)[0] == {"REPLICATION SLAVE"}


def test_create_binds_user_host_and_password_and_masks_the_password():
    statements = create_statements("replkit_repl", "10.0.0.%", PASSWORD, True, required_privileges(V10_11))
    assert statements[0].params == ("replkit_repl", "10.0.0.%", PASSWORD)
    assert PASSWORD not in statements[0].sql
    assert statements[0].masked() == ("CREATE USER 'replkit_repl'@'10.0.0.%' IDENTIFIED VIA mysql_native_password "
                                      "USING PASSWORD('********') REQUIRE SSL")
    assert statements[1].masked() == "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'replkit_repl'@'10.0.0.%'"


def test_an_account_as_wanted_needs_no_statement():
    assert update_statements("replkit_repl", account(), params(), required_privileges(V10_11)) == []


def test_update_changes_password_tls_and_privileges_only_where_they_differ():
    current = account(auth_string=native_hash("old"), privileges=frozenset(("SELECT", "REPLICATION SLAVE")),
                      grant_option=True)
    statements = update_statements("replkit_repl", current, params(require_ssl=True), required_privileges(V10_11))
    assert [s.masked() for s in statements] == [
        "ALTER USER 'replkit_repl'@'10.0.0.21' IDENTIFIED VIA mysql_native_password USING PASSWORD('********')",
        "ALTER USER 'replkit_repl'@'10.0.0.21' REQUIRE SSL",
        "REVOKE SELECT ON *.* FROM 'replkit_repl'@'10.0.0.21'",
        "REVOKE GRANT OPTION ON *.* FROM 'replkit_repl'@'10.0.0.21'",
        "GRANT BINLOG MONITOR ON *.* TO 'replkit_repl'@'10.0.0.21'"]


def test_on_create_leaves_the_password_alone_and_all_privileges_are_revoked_first():
    current = account(auth_string=native_hash("old"), privileges=frozenset(("ALL PRIVILEGES",)))
    statements = update_statements("replkit_repl", current, params(update_password="on_create"),
                                   required_privileges(V10_11))
    assert [s.masked() for s in statements] == [
        "REVOKE ALL PRIVILEGES ON *.* FROM 'replkit_repl'@'10.0.0.21'",
        "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'replkit_repl'@'10.0.0.21'"]


@pytest.mark.parametrize("ssl_type, wanted, expected", [
    ("", False, []), ("ANY", True, []), ("X509", True, []),
    ("ANY", False, ["ALTER USER 'replkit_repl'@'10.0.0.21' REQUIRE NONE"]),
    ("X509", False, ["ALTER USER 'replkit_repl'@'10.0.0.21' REQUIRE NONE"]),
    ("", True, ["ALTER USER 'replkit_repl'@'10.0.0.21' REQUIRE SSL"]),
])
def test_tls_requirement(ssl_type, wanted, expected):
    statements = update_statements("replkit_repl", account(ssl_type=ssl_type), params(require_ssl=wanted),
                                   required_privileges(V10_11))
    assert [s.masked() for s in statements] == expected


def test_input_errors():
    assert input_errors(params()) == []
    assert "name is empty" in input_errors(params(name=""))[0]
    assert "hosts is empty" in input_errors(params(hosts=[]))[0]
    assert input_errors(params(hosts=[], state="absent")) == []
    assert "empty entry" in input_errors(params(hosts=[" "]))[0]
    assert "list it once" in input_errors(params(hosts=["DB1", "db1"]))[0]
    assert "password is empty" in input_errors(params(password=""))[0]
    assert "password is required with update_password=always" in input_errors(params(password=None))[0]
    assert input_errors(params(password=None, update_password="on_create")) == []


def test_length_errors_use_the_servers_limits():
    assert length_errors(params(name="u" * 81, hosts=["h" * 61]), {"user": 80, "host": 60}) == [
        "name has 81 characters; this server allows at most 80; use a shorter name.",
        "hosts: '%s' has 61 characters; this server allows at most 60; use the address or a shorter pattern." % ("h" * 61)]
    assert length_errors(params(name="u" * 81), {"user": 128, "host": 255}) == []
    assert length_errors(params(), {}) == []
