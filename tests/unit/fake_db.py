"""A strict fake cursor and a runner for module main() functions.

The fake answers only the queries a test scripts, in order; an unexpected
query (or a scripted one that never came) fails the test. That proves exactly
which SQL a module sends, and that check mode sends no write.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from unittest import mock

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19: modules read their arguments from basic._ANSIBLE_ARGS
    import contextlib

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """ansible-core 2.19's patch_module_args, for the older versions the collection supports."""
        payload = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


@dataclass
class Expect:
    """One expected query: ``sql`` is a regular expression matched against the whole statement."""

    sql: str
    params: tuple | None = None
    rows: list = field(default_factory=list)
    error: Exception | None = None


class StrictCursor:
    def __init__(self, script):
        self.script = list(script)
        self.executed = []
        self._rows = []
        self.description = None

    def execute(self, sql, params=None):
        statement = " ".join(sql.split())
        if not self.script:
            pytest.fail("unexpected query (script exhausted): %s %r" % (statement, params))
        expected = self.script.pop(0)
        if not re.fullmatch(expected.sql, statement, re.IGNORECASE | re.DOTALL):
            pytest.fail("unexpected query:\n  got:      %s\n  expected: %s" % (statement, expected.sql))
        if expected.params is not None and tuple(params or ()) != tuple(expected.params):
            pytest.fail("query %s got params %r, expected %r" % (statement, params, expected.params))
        self.executed.append((statement, params))
        if expected.error is not None:
            raise expected.error
        self._rows = list(expected.rows)
        self.description = [("col",)] if expected.rows or statement.upper().startswith(("SELECT", "SHOW")) else None
        return len(self._rows)

    def fetchall(self):
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self):
        return self._rows.pop(0) if self._rows else None

    def close(self):
        pass

    def assert_done(self):
        if self.script:
            pytest.fail("scripted queries never sent: %s" % [e.sql for e in self.script])


class _Exit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def run_module_main(module, args, script, connect_target):
    """Run ``module.main()`` with ``args`` against a StrictCursor; returns (result, cursor).

    ``connect_target`` is the dotted path of the ``connect`` to patch (module_utils.mariadb.connect).
    """
    cursor = StrictCursor(script)
    connection = mock.MagicMock()
    connection.cursor.return_value = cursor

    def exit_json(self, **kwargs):
        kwargs.setdefault("failed", False)
        raise _Exit(kwargs)

    def fail_json(self, **kwargs):
        kwargs["failed"] = True
        raise _Exit(kwargs)

    with patch_module_args(args), \
            mock.patch(connect_target, return_value=(connection, cursor)), \
            mock.patch("ansible.module_utils.basic.AnsibleModule.exit_json", exit_json), \
            mock.patch("ansible.module_utils.basic.AnsibleModule.fail_json", fail_json):
        with pytest.raises(_Exit) as raised:
            module.main()
    result = json.loads(json.dumps(raised.value.result, default=str))
    if not result["failed"]:
        cursor.assert_done()
    return result, cursor


def master_info_text(host, user, password, port=3306):
    """A master info file as MariaDB 10.11 writes it, for modules that read a connection's stored password."""
    return "33\n\n4\n%s\n%s\n%s\n%d\n60\n0\n" % (host, user, password, port) + "\n" * 22 + (
        "using_gtid=2\ndo_domain_ids=0\nignore_domain_ids=0\nEND_MARKER\n")
