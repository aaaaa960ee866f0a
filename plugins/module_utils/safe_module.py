# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AnsibleModule whose invocation log never carries a secret, nested or not.

AnsibleModule logs every module's parameters to the host's journal (or syslog). For a list or dict
parameter it first renders the value as text and then looks for each no_log value in that text, but
rendering escapes quotes and backslashes, so a nested password such as ``re'pl"pa\\ss`` no longer
matches and reaches the journal in clear (``mariadb_multisource``'s ``connections``). Here the no_log
values are removed from the structure first, and only then is it rendered.
"""

from __future__ import annotations

from ansible.module_utils.basic import PASSWORD_MATCH, AnsibleModule
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_native


def sanitized_log_args(params, argument_spec, aliases, no_log_values, is_true):
    """parameter -> loggable text, with no_log parameters and every no_log value (at any depth) masked."""
    log_args = {}
    for name, value in params.items():
        options = argument_spec.get(aliases.get(name, name), {})
        no_log = options.get("no_log")
        if no_log is None and PASSWORD_MATCH.search(name):
            log_args[name] = "NOT_LOGGING_PASSWORD"
        elif is_true(no_log):
            log_args[name] = "NOT_LOGGING_PARAMETER"
        else:
            log_args[name] = to_native(remove_values(value, no_log_values))
    return log_args


class ReplkitModule(AnsibleModule):
    """The collection's modules: AnsibleModule with an invocation log that masks nested secrets."""

    def _log_invocation(self):
        log_args = sanitized_log_args(self.params, self.argument_spec, self.aliases, self.no_log_values, self.boolean)
        text = " ".join("%s=%s" % (name, value) for name, value in log_args.items())
        self.log("Invoked with %s" % text if text else "Invoked", log_args=log_args)
