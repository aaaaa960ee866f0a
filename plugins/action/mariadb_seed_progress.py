# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mariadb_seed_progress with ``follow``: one task follows a seed to its end, printing a line per interval.

The module waits on the host at most ``wait`` seconds. Following a long seed with one module call per
progress line used to take one task per line (a task file including itself, thousands of levels deep);
here the controller calls the module again after each ``wait`` and prints the progress line itself.
Without ``follow`` the module runs once, as a plain module task would.
"""

from __future__ import annotations

import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.replkit.mariadb.plugins.plugin_utils.seed_progress import (
    follow_problems, follow_timeout_message, progress_line)


def follow_argument_spec():
    """The options the action reads itself; the module checks the others (and ignores these)."""
    return dict(
        follow=dict(type="bool", default=False),
        label=dict(type="str"),
        timeout=dict(type="float", default=86400),
        wait=dict(type="float", default=5),
    )


def follow_ended(result):
    """Whether a wait's result ends the following: the seed ended (done or failed), or the host is gone."""
    return bool(result.get("finished") or result.get("failed") or result.get("unreachable"))


class ActionModule(ActionBase):
    """Runs mariadb_seed_progress once, or with ``follow`` once per progress line until the seed ended."""

    # The module only reads, and so does following it.
    _supports_check_mode = True
    _supports_async = True
    # A class attribute, so that tests can follow on a clock of their own.
    _clock = staticmethod(time.monotonic)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # no longer has any effect
        task_vars = task_vars or {}
        spec = follow_argument_spec()
        validation = ArgumentSpecValidator(spec).validate({name: self._task.args[name]
                                                           for name in spec if name in self._task.args})
        if validation.error_messages:
            return dict(result, failed=True, msg=" ".join(validation.error_messages))
        settings = validation.validated_parameters
        if not settings["follow"]:
            return self._run_once(result, task_vars)
        problems = follow_problems(settings["wait"], settings["timeout"])
        if self._task.async_val:
            problems.append("async is set: follow waits in the play itself; leave async out of this task.")
        if problems:
            return dict(result, failed=True, msg=" ".join(problems))
        result = merge_hash(result, self._follow(task_vars, settings))
        # One temporary directory served every wait (ActionBase.cleanup removes it too, should a wait raise).
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _run_once(self, result, task_vars):
        """As Ansible's own action for a module (ansible.builtin.normal): one run, async when asked."""
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _follow(self, task_vars, settings):
        """Wait ``wait`` seconds at a time, printing a progress line after each, until the seed ended (the last
        wait's result, unchanged) or ``timeout`` seconds passed (a failure naming the host and the job)."""
        host = task_vars.get("inventory_hostname", self._task.get_name())
        label = settings["label"] or host
        deadline = self._clock() + settings["timeout"]
        while True:
            wait = min(settings["wait"], max(deadline - self._clock(), 0))
            waited = self._execute_module(module_args=dict(self._task.args, wait=wait), task_vars=task_vars)
            if follow_ended(waited):
                return waited
            line = progress_line(label, waited.get("progress"))
            if self._clock() >= deadline:
                return dict(waited, failed=True, msg=follow_timeout_message(
                    host, self._task.args.get("results_file"), settings["timeout"], line))
            # Display proxies this from the worker process to the controller's terminal. On standard error, so
            # standard output stays the stdout callback's alone (ansible.posix.json output stays JSON).
            Display().display(line, stderr=True)
