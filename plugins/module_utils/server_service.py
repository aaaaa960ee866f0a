# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server on this host around a data directory swap: is one still running, and its systemd units.

For mariadb_backup_restore, which must not touch a data directory a server runs on, and which (given its
service) stops the server's units for the swap and starts them again.
"""

from __future__ import annotations

import os
import socket
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.datadir import live_server_pid


def socket_accepts(path):
    """Whether something accepts connections on the Unix socket ``path``."""
    if not path or not os.path.exists(path):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()


def running_server_problems(params, datadir):
    """Why the data directory cannot be touched now: a server still runs on it."""
    errors = []
    running = live_server_pid(datadir)
    if running:
        errors.append("the server still runs (pid %d in %s); stop it before restoring into datadir %s, or give "
                      "service to let the module stop and start it" % (running[0], running[1], datadir))
    if socket_accepts(params["login_unix_socket"]):
        errors.append("a server still accepts connections on login_unix_socket %s; stop it before restoring "
                      "(or give login_unix_socket the socket of the server that owns datadir)"
                      % params["login_unix_socket"])
    return errors


class Service:
    """The server's systemd units: stopped around the swap, its socket unit too when it was active."""

    def __init__(self, module, name):
        self.module = module
        self.name = name
        rc, _out, _err = module.run_command(["systemctl", "is-active", "--quiet", name + ".socket"])
        # Started in this order; an active socket unit would start the server again on the old data.
        self.units = ([name + ".socket"] if rc == 0 else []) + [name]

    def systemctl(self, action, units):
        rc, out, err = self.module.run_command(["systemctl", action] + units)
        if rc == 0:
            return None
        return "systemctl %s %s failed (rc=%d): %s" % (action, " ".join(units), rc, (err or out).strip())

    def stop(self):
        return self.systemctl("stop", list(reversed(self.units)))

    def start(self, socket_path, timeout):
        problem = self.systemctl("start", self.units)
        if problem:
            return problem
        deadline = time.time() + timeout
        while time.time() < deadline:
            if socket_accepts(socket_path):
                return None
            time.sleep(0.2)
        return "%s started but accepted no connection on %s within %d s" % (self.name, socket_path, timeout)
