# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Login options shared by every replkit.mariadb module."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_user:
    description:
      - The user to log in as.
      - When omitted, the user from O(config_file) is used, or the server's default for the OS user.
    type: str
  login_password:
    description:
      - The password of O(login_user). It is never logged and never put on a command line.
      - When omitted, the password from O(config_file) is used.
    type: str
  login_host:
    description:
      - The host of the server to manage. Ignored when O(login_unix_socket) is set.
    type: str
    default: localhost
  login_port:
    description:
      - The TCP port of the server to manage.
    type: int
    default: 3306
  login_unix_socket:
    description:
      - The path of the server's Unix socket. When set, it is used instead of O(login_host) and O(login_port).
    type: path
  config_file:
    description:
      - A client option file whose C([client]) section supplies defaults for the login options.
      - Ignored when the file does not exist.
    type: path
    default: ~/.my.cnf
  connect_timeout:
    description:
      - Seconds to wait for the connection to open.
    type: int
    default: 30
  ca_cert:
    description:
      - A CA certificate to verify the server's TLS certificate with. Setting it enables TLS.
    type: path
    aliases: [ssl_ca]
  client_cert:
    description:
      - A client certificate for TLS.
    type: path
    aliases: [ssl_cert]
  client_key:
    description:
      - The key of O(client_cert).
    type: path
    aliases: [ssl_key]
requirements:
  - PyMySQL >= 0.9 on the managed host.
notes:
  - Supports MariaDB 10.5 to 11.8. Where MariaDB renamed SLAVE to REPLICA, the modules pick the wording the server speaks.
"""
