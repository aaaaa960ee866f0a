"""module_utils/backup_sender.py: the client defaults file mariadb-backup logs in with."""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_sender import client_defaults


def test_client_defaults_tcp_and_socket():
    tcp = client_defaults(dict(login_host="127.0.0.1", login_port=3307, login_user="u", login_password="p\"w",
                               login_unix_socket=None, ca_cert="/etc/ca.pem"))
    assert tcp.splitlines() == ["[client]", 'host="127.0.0.1"', 'port="3307"', 'user="u"', 'password="p\\"w"',
                                'ssl-ca="/etc/ca.pem"']
    sock = client_defaults(dict(login_host="localhost", login_port=3306, login_user=None, login_password=None,
                                login_unix_socket="/run/mysqld/mysqld.sock"), include_file="/root/.my.cnf")
    assert sock.splitlines() == ["!include /root/.my.cnf", "[client]", 'socket="/run/mysqld/mysqld.sock"']
