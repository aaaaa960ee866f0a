# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of mariadb_backup_stream, checked before anything listens, connects or runs.

Every problem is reported at once, each naming the option and the fix.
"""

from __future__ import annotations

import os

from ansible_collections.replkit.mariadb.plugins.module_utils.backup_protocol import MAX_TOKEN_BYTES


def port_problem(option, value):
    if value is None or not 1 <= value <= 65535:
        return "%s is %s; give a TCP port from 1 to 65535" % (option, value)
    return None


def validate_stream_params(params):
    """Every problem with the options of mariadb_backup_stream, as messages naming the option and the fix."""
    errors = []
    mode = params.get("mode")
    token = params.get("token")
    if not token:
        errors.append("token is empty; give both sides the same secret (for example from a vault or lookup('password'))")
    elif len(token.encode("utf-8")) > MAX_TOKEN_BYTES:
        errors.append("token is longer than %d bytes; use a shorter secret" % MAX_TOKEN_BYTES)
    if params.get("timeout") is not None and params["timeout"] <= 0:
        errors.append("timeout is %s; give a positive number of seconds" % params["timeout"])
    progress_file = params.get("progress_file")
    if progress_file and not os.path.isabs(progress_file):
        errors.append("progress_file %r is relative; give an absolute path" % progress_file)
    if mode == "receive":
        for option in ("allowed_address", "staging_dir"):
            if not params.get(option):
                errors.append("%s is required with mode=receive" % option)
        problem = port_problem("listen_port", params.get("listen_port"))
        if problem:
            errors.append(problem)
        staging_dir = params.get("staging_dir")
        if staging_dir and not os.path.isabs(staging_dir):
            errors.append("staging_dir %r is relative; give an absolute path" % staging_dir)
    elif mode == "send":
        targets = params.get("target_host") or []
        if not targets or not all(targets):
            errors.append("target_host is required with mode=send and no entry may be empty; give the address of "
                          "each host running mode=receive")
        elif len(set(targets)) != len(targets):
            errors.append("target_host lists %s more than once; each receiver takes one connection"
                          % ", ".join(sorted({t for t in targets if targets.count(t) > 1})))
        problem = port_problem("target_port", params.get("target_port"))
        if problem:
            errors.append(problem)
        if params.get("connect_timeout") is not None and params["connect_timeout"] <= 0:
            errors.append("connect_timeout is %s; give a positive number of seconds" % params["connect_timeout"])
        if params.get("parallel") is not None and not 1 <= params["parallel"] <= 64:
            errors.append("parallel is %s; give the number of copy threads, 1 to 64" % params["parallel"])
    else:
        errors.append("mode is %r; use receive or send" % mode)
    return errors


def staging_dir_problem(path):
    """Why ``path`` cannot receive a copy (it must be absent or an empty directory), or None."""
    if os.path.lexists(path):
        if os.path.islink(path) or not os.path.isdir(path):
            return "staging_dir %s exists and is not a directory; choose a path that does not exist" % path
        if os.listdir(path):
            return ("staging_dir %s is not empty; remove it (an earlier, failed seeding?) or choose another path"
                    % path)
        return None
    parent = os.path.dirname(path.rstrip("/")) or "/"
    if not os.path.isdir(parent):
        return "the parent directory %s of staging_dir does not exist; create it or choose another staging_dir" % parent
    return None
