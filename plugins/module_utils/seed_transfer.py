# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The process side of logical seeding: mariadb-dump piped into the mariadb client through this process.

Through, not shell-piped, so the bytes can be counted for progress and the GTID position comment read as
it passes. Kept out of the module because the stream needs Popen, which run_command cannot give.
"""

from __future__ import annotations

import os
import subprocess
import time

from ansible_collections.replkit.mariadb.plugins.module_utils.mariadb import client_option_file, option_pipe
from ansible_collections.replkit.mariadb.plugins.module_utils.seed import (
    PositionScanner, dump_command, import_command, keep_aside_command, keep_aside_name, local_client_options,
    source_client_options)
from ansible_collections.replkit.mariadb.plugins.module_utils.transfer import progress_record, tail, write_progress_file

CHUNK = 1 << 20
PROGRESS_EVERY = 2.0


class DumpPipe:
    """Runs mariadb-dump into the mariadb client, counting bytes and reading the position on the way."""

    def __init__(self, params, method, databases, workdir, ignore_tables=()):
        self.params = params
        self.method = method
        self.databases = databases
        self.ignore_tables = list(ignore_tables)
        self.workdir = workdir
        self.scanner = PositionScanner()
        self.bytes = 0

    def run(self):
        params = self.params
        # The clients read their options (passwords included) from pipes: nothing secret is ever on disk.
        source_fd, source_cnf = option_pipe(client_option_file(source_client_options(params)))
        local_fd, local_cnf = option_pipe(client_option_file(local_client_options(params)))
        dump_err = open(os.path.join(self.workdir, "dump.err"), "w+")
        import_err = open(os.path.join(self.workdir, "import.err"), "w+")
        started = time.time()
        self.progress("copying", started)
        try:
            importer = subprocess.Popen(import_command(params["client_binary"], local_cnf), stdin=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, stderr=import_err, pass_fds=(local_fd,))
            dumper = subprocess.Popen(dump_command(params["dump_binary"], source_cnf, self.method, self.databases,
                                                   self.ignore_tables),
                                      stdout=subprocess.PIPE, stderr=dump_err, pass_fds=(source_fd,))
        finally:
            os.close(source_fd)
            os.close(local_fd)
        broken = False
        last = started
        try:
            while True:
                chunk = dumper.stdout.read1(CHUNK)
                if not chunk:
                    break
                self.scanner.feed(chunk)
                try:
                    importer.stdin.write(chunk)
                except BrokenPipeError:
                    broken = True
                    dumper.kill()
                    break
                self.bytes += len(chunk)
                now = time.time()
                if now - last >= PROGRESS_EVERY:
                    self.progress("copying", started)
                    last = now
        finally:
            dump_rc = dumper.wait()
            try:
                importer.stdin.close()
            except BrokenPipeError:
                broken = True
            import_rc = importer.wait()
        seconds = time.time() - started
        self.progress("copied", started)
        failures = []
        if dump_rc != 0 and not broken:
            failures.append("mariadb-dump from %s exited %d: %s" % (params["source_host"], dump_rc, self._read(dump_err)))
        if import_rc != 0 or broken:
            failures.append("the import into this server exited %d: %s" % (import_rc, self._read(import_err)))
        return seconds, failures

    def progress(self, phase, started):
        write_progress_file(self.params["progress_file"], progress_record(phase, self.bytes, time.time() - started))

    @staticmethod
    def _read(handle):
        handle.seek(0)
        return tail(handle.read()) or "(no message)"


def keep_aside(params, databases, directory, connection, now=None):
    """Dump this server's ``databases`` into a new 0600 file in ``directory`` (0700); returns (path, failure or None).

    The file is created before mariadb-dump starts and never overwritten; on a failure it is removed (it would hold
    a partial copy) and nothing else has changed.
    """
    os.makedirs(directory, mode=0o700, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    path = os.path.join(directory, keep_aside_name(connection, stamp))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    local_fd, local_cnf = option_pipe(client_option_file(local_client_options(params)))
    with os.fdopen(descriptor, "wb") as output:
        try:
            run = subprocess.run(keep_aside_command(params["dump_binary"], local_cnf, databases), stdout=output,
                                 stderr=subprocess.PIPE, pass_fds=(local_fd,), check=False)
        finally:
            os.close(local_fd)
        output.flush()
        os.fsync(output.fileno())
    if run.returncode != 0:
        os.unlink(path)
        return None, "mariadb-dump of this server's %s exited %d: %s" % (
            ", ".join(databases), run.returncode, tail(run.stderr.decode("utf-8", "replace")) or "(no message)")
    return path, None
