"""The invocation log (the host's journal) never carries a secret, whatever its characters or nesting."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.replkit.mariadb.plugins.module_utils.safe_module import ReplkitModule, sanitized_log_args
from ansible_collections.replkit.mariadb.plugins.modules import (
    mariadb_change_master, mariadb_multisource, mariadb_replication_user, mariadb_seed)

SECRET = "re'pl\"pa\\ss;`$(x)\n%s{{x}}marker-7f3a"


def forms(secret):
    """The secret as text, and as Python and JSON would render it inside a structure."""
    return {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], secret.replace("'", "\\'")}


def logged_invocation(monkeypatch, module, args):
    captured = []
    monkeypatch.setattr(basic.AnsibleModule, "log", lambda self, msg, log_args=None: captured.append((msg, log_args)))
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
    # ansible-core 2.19 reads the serialization profile here; older versions have none.
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    with pytest.raises(SystemExit):
        module.main()
    return captured


@pytest.mark.parametrize("module, args", [
    (mariadb_multisource, {"connections": [{"name": "a", "primary_host": "h", "primary_user": "u",
                                            "primary_password": SECRET}]}),
    (mariadb_change_master, {"connection_name": "a", "primary_host": "h", "primary_user": "u",
                             "primary_password": SECRET}),
    (mariadb_replication_user, {"name": "repl", "password": SECRET, "hosts": ["10.0.0.1"]}),
    (mariadb_seed, {"source_host": "h", "source_user": "u", "source_password": SECRET, "login_password": SECRET}),
])
def test_no_form_of_a_secret_reaches_the_invocation_log(monkeypatch, module, args):
    captured = logged_invocation(monkeypatch, module, dict(args, login_unix_socket="/nonexistent/socket"))
    assert captured and captured[0][0].startswith("Invoked with ")
    for message, log_args in captured:
        text = message + json.dumps(log_args, default=str)
        for form in forms(SECRET):
            assert form not in text, "a form of the secret reached the log: %r" % form
        assert "marker-7f3a" not in text


def test_sanitized_log_args_masks_nested_values_and_password_named_options():
    spec = {"connections": {"type": "list"}, "password": {"no_log": True}, "db_pass": {}, "name": {}}
    params = {"connections": [{"pw": "a'b", "deep": {"x": ["a'b"]}}], "password": "a'b", "db_pass": "z", "name": "n"}
    log_args = sanitized_log_args(params, spec, {}, {"a'b"}, bool)
    assert "a'b" not in str(log_args) and "a\\'b" not in str(log_args)
    assert log_args["password"] == "NOT_LOGGING_PARAMETER" and log_args["db_pass"] == "NOT_LOGGING_PASSWORD"
    assert log_args["name"] == "n"
    assert issubclass(ReplkitModule, basic.AnsibleModule)
