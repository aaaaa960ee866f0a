"""Pure parts of logical seeding: option files, command lines, the position in the dump stream, selection."""

from __future__ import annotations


import pytest

import ssl

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import client_option_file
from ansible_collections.replkit.mariadb.plugins.module_utils.seed import (
    PositionScanner, dump_command, import_command, keep_aside_command, keep_aside_name, local_client_options,
    non_transactional, presence, select_databases, source_client_options, source_ssl_context, source_tls_wanted)

HEADER = (b"-- MariaDB dump\n-- CHANGE MASTER TO MASTER_LOG_FILE='mariadb-bin.000003', MASTER_LOG_POS=1337;\n"
          b"CREATE TABLE t (x int);\nINSERT INTO t VALUES (1);\n"
          b"-- Preferably use GTID to start replication from GTID position:\n\n"
          b"-- SET GLOBAL gtid_slave_pos='1-11-4031,2-12-880';\n")


@pytest.mark.parametrize("size", [1, 7, 50, len(HEADER)])
def test_scanner_finds_the_position_whatever_the_chunking(size):
    scanner = PositionScanner()
    for start in range(0, len(HEADER), size):
        scanner.feed(HEADER[start:start + size])
    assert scanner.gtid_pos == "1-11-4031,2-12-880"
    assert (scanner.binlog_file, scanner.binlog_pos) == ("mariadb-bin.000003", 1337)


def test_scanner_ignores_a_position_that_is_data_and_accepts_an_empty_one():
    scanner = PositionScanner()
    scanner.feed(b"INSERT INTO t VALUES ('-- SET GLOBAL gtid_slave_pos=''9-9-9'';');\n")
    assert scanner.gtid_pos is None
    scanner.feed(b"-- SET GLOBAL gtid_slave_pos='';\n")
    assert scanner.gtid_pos == ""


def test_local_login_uses_the_socket_or_tcp():
    socket = local_client_options({"login_unix_socket": "/run/mysqld/mysqld.sock", "login_user": None,
                                   "login_password": None})
    assert {key: value for key, value in socket.items() if value is not None} == {"socket": "/run/mysqld/mysqld.sock"}
    tcp = local_client_options({"login_unix_socket": None, "login_host": "127.0.0.1", "login_port": 3307,
                                "login_user": "admin", "login_password": "x"})
    assert tcp["protocol"] == "tcp" and tcp["port"] == 3307
    source = source_client_options({"source_host": "10.0.0.1", "source_port": 3306, "source_user": "seed",
                                    "source_password": "x", "source_ssl_ca": "/ca.pem", "connect_timeout": 30})
    assert {key: value for key, value in source.items() if value is not None} == {
        "host": "10.0.0.1", "port": 3306, "user": "seed", "password": "x", "ssl-ca": "/ca.pem"}


def test_commands_carry_no_secret_and_fit_each_method():
    consistent = dump_command("mariadb-dump", "/tmp/d/source.cnf", "consistent_dump", ["shop"])
    assert consistent[1] == "--defaults-file=/tmp/d/source.cnf"
    assert {"--single-transaction", "--master-data=2", "--gtid", "--routines", "--triggers", "--events"} <= set(consistent)
    locked = dump_command("mariadb-dump", "/tmp/d/source.cnf", "locked_dump", ["shop", "crm"])
    assert "--single-transaction" not in locked and "--skip-lock-tables" in locked
    assert locked[2:5] == ["--databases", "shop", "crm"]
    importer = import_command("mariadb", "/tmp/d/local.cnf")
    assert importer[1] == "--defaults-file=/tmp/d/local.cnf"
    assert "--init-command=SET SESSION sql_log_bin=0" in importer
    assert not any("password" in arg for arg in consistent + locked + importer)


def test_database_selection():
    available = ["crm", "information_schema", "mysql", "performance_schema", "shop", "sys"]
    assert select_databases(available, None, False) == (["crm", "shop"], [])
    selected, problems = select_databases(available, ["shop", "mysql", "gone", "shop"], False)
    assert selected == ["shop"] and len(problems) == 2
    assert select_databases(available, ["mysql"], True) == (["mysql"], [])


def test_non_transactional_tables_and_presence():
    rows = [{"db": "shop", "name": "items", "engine": "InnoDB"}, {"db": "shop", "name": "legacy", "engine": "MyISAM"},
            {"db": "shop", "name": "cache", "engine": "MEMORY"}]
    assert non_transactional(rows) == ["shop.legacy (MyISAM)", "shop.cache (MEMORY)"]
    assert presence(["shop"], ["shop", "crm"]) == "partial"
    assert presence([], ["shop"]) == "absent"
    assert presence(["crm", "shop", "x"], ["shop", "crm"]) == "present"


SOURCE = {"source_host": "10.0.0.1", "source_port": 3306, "source_user": "seed", "source_password": "x",
          "connect_timeout": 30}


@pytest.mark.parametrize("tls, expected", [
    ({}, {}),
    # ssl: true without files: the dump is still told to use TLS
    ({"source_ssl": True}, {"ssl": 1}),
    ({"source_ssl": True, "source_ssl_verify_server_cert": True}, {"ssl": 1, "ssl-verify-server-cert": 1}),
    ({"source_ssl": True, "source_ssl_verify_server_cert": False}, {"ssl": 1, "ssl-verify-server-cert": 0}),
    ({"source_ssl": False, "source_ssl_ca": "/ca.pem", "source_ssl_verify_server_cert": True},
     {"ssl-ca": "/ca.pem", "ssl-verify-server-cert": 1}),
])
def test_source_tls_reaches_the_dump_through_its_option_file(tls, expected):
    options = source_client_options(dict(SOURCE, **tls))
    assert {key: value for key, value in options.items() if value is not None} == dict(
        {"host": "10.0.0.1", "port": 3306, "user": "seed", "password": "x"}, **expected)
    text = client_option_file(options)
    for key, value in expected.items():
        assert '%s="%s"' % (key, value) in text


def test_source_ssl_context_matches_what_the_dump_checks():
    assert source_tls_wanted(dict(SOURCE)) is False and source_ssl_context(dict(SOURCE)) is None
    plain = source_ssl_context(dict(SOURCE, source_ssl=True))
    assert isinstance(plain, ssl.SSLContext)
    assert plain.verify_mode == ssl.CERT_NONE and not plain.check_hostname
    verified = source_ssl_context(dict(SOURCE, source_ssl=True, source_ssl_verify_server_cert=True))
    assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname
    assert source_tls_wanted(dict(SOURCE, source_ssl_key="/key.pem"))


class _Failed(Exception):
    pass


class _Module:
    params = dict(SOURCE)

    def fail_json(self, **result):
        raise _Failed(result["msg"])


class _Connection:
    """Answers SHOW SESSION STATUS LIKE 'Ssl_cipher' with ``cipher``."""

    def __init__(self, cipher):
        self.cipher, self.closed = cipher, False

    def cursor(self):
        connection = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc_info):
                return False

            def execute(self, sql):
                assert sql == "SHOW SESSION STATUS LIKE 'Ssl_cipher'"

            def fetchone(self):
                return {"Variable_name": "Ssl_cipher", "Value": connection.cipher}

        return Cursor()

    def close(self):
        self.closed = True


def test_a_source_connection_left_in_plain_text_is_refused():
    """Older PyMySQL goes on without TLS when the server offers none; mariadb_seed checks the session itself."""
    from ansible_collections.replkit.mariadb.plugins.modules.mariadb_seed import require_encrypted
    require_encrypted(_Module(), _Connection("TLS_AES_256_GCM_SHA384"))
    plain = _Connection("")
    with pytest.raises(_Failed, match="The connection to the source 10.0.0.1:3306 is not encrypted, but TLS was asked "
                                      "for .* Nothing was copied or changed"):
        require_encrypted(_Module(), plain)
    assert plain.closed


def test_keep_aside_dumps_this_servers_copy_in_one_snapshot_with_no_secret_on_the_command_line():
    command = keep_aside_command("mariadb-dump", "/dev/fd/5", ["shop", "crm"])
    assert command[:5] == ["mariadb-dump", "--defaults-file=/dev/fd/5", "--databases", "shop", "crm"]
    assert "--single-transaction" in command and "--routines" in command and "--triggers" in command
    assert not any("password" in word for word in command) and not any("master-data" in word for word in command)


@pytest.mark.parametrize("connection, expected", [
    ("db1", "db1-20261201T101500Z.sql"), ("", "default-20261201T101500Z.sql"),
    ("../etc/x y", ".._etc_x_y-20261201T101500Z.sql")])
def test_keep_aside_file_names_stay_in_their_directory(connection, expected):
    assert keep_aside_name(connection, "20261201T101500Z") == expected
