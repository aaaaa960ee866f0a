# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which replica is seeded from which source, with what, and in which order.

Pure: it reads the topology plan and what every server holds right now (its
non-system databases and its replication connections) and returns the seed
steps in rounds. A step's source is complete before the step runs: a server
seeded in round 1 can be the source of a step in round 2 (a ring filled from
the one member that has data, a site master's replicas after the master).

Rules, per planned connection (replica <- source):
- ``seed: never``: no step. ``seed: always``: a step on every run (forced).
- ``seed: auto``: no step when the connection already exists (the replica was
  set up before: never seed twice). Otherwise the databases to copy are the
  source's (those it holds now or will get from earlier steps, or the entry's
  ``seed_databases``), leaving out any the replica itself is the origin of and any
  the connection's ``replicate_do_db``/``replicate_ignore_db`` filters keep out
  (master-master: B was built from A, so A is not seeded back from B). None of
  them on the replica: a step. All of them: nothing to do. Some: a problem, the
  replica holds data of its own under those names.
- One replica must not get the same database from two origins (two primaries
  of an aggregator that both have a ``shop``): a problem.
- ``mariadb_backup`` copies the source's whole server: the replica must hold no
  database of its own (else a problem), and it gets every database.
- ``mariadb_backup`` is refused for a copy over a connection declared
  ``ssl: true`` (or with TLS files): its stream is authenticated but not
  encrypted, while the dumps connect to the source over TLS like the
  replication connection does. This holds for the default method
  (``seed_default_method``) too: it is refused, not replaced by a dump, since a
  dump copies something else (no ``mysql`` schema) and runs differently; the
  problem names the variable to change. A connection that is not copied (it
  exists already, ``seed: never``) streams nothing and is not refused.
- ``mariadb_backup`` from a source that does not log some of its databases is refused
  (it would copy them too).
- A database the source does not write to its binary log (its ``binlog_filters`` in the
  plan, from ``mariadb_binlog_ignore_db``/``mariadb_binlog_do_db``, or the running
  server's, from the facts) never receives a change on the replica: the default
  selection leaves it out and says so (``unlogged`` of the step or skipped entry), and
  ``seed_databases`` naming it is a problem. A database counts as logged only when both
  the plan and the running server log it (the server role applies the plan's at its
  restart; lists from another option file stay). A running server whose lists differ
  from the plan's gets a line in ``notes``.
- A seed the replica's state file records as unfinished (started, never
  complete: its source died, the run was killed) is redone, forced, whatever
  the replica holds now and whether or not the connection exists: a half copy
  is never taken for a finished one. With ``seed: never`` it is a problem.
- ``rebuild`` (replkit.mariadb.rebuild): every connection of that one replica is
  copied again, forced, whatever it holds and whether the connection exists
  (``seed: never`` entries excepted, and said so). Only a read-only replica is
  rebuilt: a writable host's own writes would be overwritten. A physical copy
  (``mariadb_backup``) is refused on a host other hosts replicate from: their
  positions are in the binary log it would replace; the dumps keep that log.
"""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.module_utils.binlog_filter import (
    INVENTORY_VARIABLES, SERVER_OPTIONS, binlogged, check_binlog_filters, describe, same_filters, why_unlogged)
from ansible_collections.replkit.mariadb.plugins.module_utils.replication_filter import (
    seed_databases_never_replicated, seedable_databases, table_replicated, unsupported_by_method)
from ansible_collections.replkit.mariadb.plugins.module_utils.seed_state import describe_unfinished

DEFAULT_METHOD = "consistent_dump"
# Methods whose copy crosses the network without TLS.
UNENCRYPTED_METHODS = ("mariadb_backup",)


class SeedPlanError(ValueError):
    """The seeding cannot be planned; ``problems`` lists every reason."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


def _facts_of(facts, host, problems):
    entry = facts.get(host)
    if not isinstance(entry, dict) or not isinstance(entry.get("databases"), list):
        problems.append("%s: what this server holds is unknown (no databases fact); the seeding step reads it with "
                        "replkit.mariadb.mariadb_replication_info on every host of the topology first" % host)
        return [], [], {}
    unfinished = entry.get("unfinished_seeds") or {}
    return (list(entry["databases"]), [str(name).lower() for name in entry.get("connections") or []],
            {str(name).lower(): details for name, details in unfinished.items()})


def _non_transactional(facts, host):
    """database -> [(table, engine)] of the host's non-transactional tables (its facts may not list them)."""
    found = {}
    for entry in (facts.get(host) or {}).get("non_transactional_tables") or []:
        database, _dot, table = str(entry["table"]).partition(".")
        found.setdefault(database, []).append((table, entry.get("engine")))
    return found


def declares_tls(connection):
    """Whether the replication connection is declared to use TLS (ssl: true, or TLS files given)."""
    return bool(connection.get("primary_ssl") or connection.get("ssl") or connection.get("primary_ssl_ca")
                or connection.get("primary_ssl_cert") or connection.get("primary_ssl_key"))


def unencrypted_copy_problem(replica, connection, method):
    """The planner problem of a copy with ``method`` (not encrypted) over a link declared ssl: true."""
    source = connection["source"]
    if connection.get("seed_method"):
        variable = ("seed_method of its mariadb_sources entry for %s (or %s's mariadb_seed_method) is %s"
                    % (source, replica, method))
        fix = "set seed_method: consistent_dump or locked_dump on that entry"
    else:
        variable = ("the default seed method, seed_default_method, is %s and the mariadb_sources entry for %s names "
                    "none" % (method, source))
        fix = "set seed_method: consistent_dump or locked_dump on that entry (or change seed_default_method)"
    return ("%s: cannot seed the connection from %s with %s: %s, but the physical copy stream is not encrypted; "
            "the link is declared ssl: true. Fix: %s - they copy over TLS, like the replication connection - or "
            "drop ssl (and its ssl_* files) from the entry if the network is trusted"
            % (replica, source, method, variable, fix))


def _running_binlog_filters(facts, host):
    """The running server's binary-log filters from its facts, or None when not known (not read, no binary log)."""
    value = (facts.get(host) or {}).get("binlog_filters")
    return check_binlog_filters(value) if value is not None else None


class _Planner:
    def __init__(self, plan, facts, default_method, non_transactional="fail", rebuild=None):
        self.problems = []
        self.plan = plan
        self.rebuild = rebuild
        self.notes = []
        # host -> (the plan's binary-log filters, the running server's or None).
        self.binlog = {host: (check_binlog_filters(plan[host].get("binlog_filters")), _running_binlog_filters(facts, host))
                       for host in plan}
        for host in sorted(plan):
            planned, running = self.binlog[host]
            if running is not None and not same_filters(planned, running):
                self.notes.append(
                    "%s: the running server's binary-log filters (%s) differ from the inventory's (%s); the server "
                    "role writes the inventory's and a restart applies them, lists from another option file stay. "
                    "Seeding counts a database as logged only when both log it"
                    % (host, describe(running), describe(planned, INVENTORY_VARIABLES)))
        self.default_method = default_method
        self.non_transactional_policy = non_transactional
        self.non_transactional = {host: _non_transactional(facts, host) for host in plan}
        # host -> {database: origin host}; grows as steps are planned.
        self.holds = {}
        self.connections = {}
        # replica -> {database: origin} brought by planned steps.
        self.imports = {}
        # replica -> {connection (lower case): state entry} of seeds that started and never completed.
        self.unfinished = {}
        for host in sorted(plan):
            databases, connections, unfinished = _facts_of(facts, host, self.problems)
            self.holds[host] = {name: host for name in databases}
            self.connections[host] = connections
            self.imports[host] = {}
            self.unfinished[host] = unfinished
        self.edges = []
        for host in sorted(plan):
            for connection in plan[host].get("connections", []):
                self.edges.append((host, connection))
        self.round_into = {host: 0 for host in plan}
        self.steps, self.skipped = [], []
        # (replica, connection) -> databases of the source left out because it does not log them.
        self.left_out = {}

    def unlogged(self, source, database):
        """Why ``source`` does not write ``database`` to its binary log ("" when it does)."""
        planned, running = self.binlog.get(source, ({}, None))
        if not binlogged(database, planned):
            return why_unlogged(database, planned, {key: "%s's %s" % (source, name)
                                                    for key, name in INVENTORY_VARIABLES.items()})
        if running is not None and not binlogged(database, running):
            return why_unlogged(database, running, {key: "the running server's %s (SHOW MASTER STATUS on %s)"
                                                         % (name, source) for key, name in SERVER_OPTIONS.items()})
        return ""

    def wanted(self, replica, connection):
        """The databases this edge would copy, or None after reporting a problem."""
        source = connection["source"]
        held = self.holds.get(source, {})
        listed = connection.get("seed_databases")
        self.left_out[(replica, connection["name"])] = []
        if listed:
            unlogged = [(name, self.unlogged(source, name)) for name in listed if self.unlogged(source, name)]
            if unlogged:
                self.problems.append(
                    "%s: mariadb_sources entry for %s lists seed_databases %s, which %s does not write to its binary "
                    "log (%s): the copy would never receive a change; remove them from seed_databases, or make %s log "
                    "them (mariadb_binlog_ignore_db/mariadb_binlog_do_db on %s, or the server's own option files)"
                    % (replica, source, ", ".join(name for name, _why in unlogged), source,
                       "; ".join("%s: %s" % item for item in unlogged), source, source))
                return None
            missing = [name for name in listed if name not in held]
            if missing:
                self.problems.append(
                    "%s: mariadb_sources entry for %s lists seed_databases %s, which %s does not hold (it holds: %s); "
                    "fix the list" % (replica, source, ", ".join(missing), source, ", ".join(sorted(held)) or "none"))
                return None
            never = seed_databases_never_replicated(connection.get("filters") or {}, listed)
            if never:
                self.problems.append(
                    "%s: mariadb_sources entry for %s lists seed_databases %s, which its replicate_* filters never "
                    "replicate: the copy would never be kept up to date; remove them from seed_databases or change "
                    "the filters" % (replica, source, ", ".join(never)))
                return None
            return list(listed)
        # What the connection's filters keep out must not arrive by the seed either (MariaDB's rules; tables
        # of a database the table rules split are left out by the seed module, which gets the filters).
        candidates = seedable_databases(connection.get("filters") or {},
                                        [name for name, origin in held.items() if origin != replica])
        # Nor what the source never writes to its binary log: a copy of it would never change again.
        left_out = sorted(name for name in candidates if self.unlogged(source, name))
        self.left_out[(replica, connection["name"])] = left_out
        return sorted(name for name in candidates if name not in left_out)

    def decide(self, replica, connection):
        source, name = connection["source"], connection["name"]
        mode = connection.get("seed") or "auto"
        method = connection.get("seed_method") or self.default_method
        base = {"replica": replica, "source": source, "connection": name}
        if mode != "never":
            for reason in unsupported_by_method(connection.get("filters") or {}, method):
                self.problems.append("%s: cannot seed the connection from %s with %s: %s; choose consistent_dump or "
                                     "locked_dump (seed_method on the mariadb_sources entry)" % (replica, source, method,
                                                                                                 reason))
                return
        unfinished = self.unfinished[replica].get(name.lower())
        if unfinished is not None:
            if mode == "never":
                self.problems.append(
                    "%s: %s, so %s holds a partial copy, and the mariadb_sources entry for %s says seed: never. Set seed: "
                    "auto (or remove seed: never) to redo the copy, or, once you repaired the data yourself, remove the "
                    "entry '%s' from the seed state file (seed_work_dir/state.json) on %s"
                    % (replica, describe_unfinished(name, unfinished), replica, source, name.lower(), replica))
                return
            mode = "redo"
        if mode == "never":
            self.skipped.append(dict(base, reason="seed: never" + (" (not rebuilt)" if replica == self.rebuild else "")))
            return
        if replica == self.rebuild:
            if method == "mariadb_backup" and self.replicated_from(replica):
                self.problems.append(
                    "%s: mariadb_rebuild_host cannot be copied with mariadb_backup from %s: %s replicate(s) from it, "
                    "and their positions are in the binary log a physical copy replaces; set seed_method: "
                    "consistent_dump (or locked_dump) on its mariadb_sources entry for %s (or -e "
                    "seed_default_method=consistent_dump), which keeps that log"
                    % (replica, source, ", ".join(self.replicated_from(replica)), source))
                return
            mode = "rebuild"
        if mode == "auto" and name.lower() in self.connections[replica]:
            self.skipped.append(dict(base, reason="the connection exists already (set up before)"))
            return
        databases = self.wanted(replica, connection)
        if databases is None:
            return
        left_out = self.left_out.get((replica, name)) or []
        if method == "mariadb_backup" and left_out:
            self.problems.append(
                "%s: cannot seed the connection from %s with mariadb_backup: it copies the whole server, but %s does "
                "not write %s to its binary log (%s), so the replica would hold copies that never receive a change; "
                "use consistent_dump or locked_dump (seed_method on the mariadb_sources entry), which leave them out"
                % (replica, source, source, ", ".join(left_out),
                   "; ".join("%s: %s" % (db, self.unlogged(source, db)) for db in left_out)))
            return
        if not databases and mode in ("auto", "redo"):
            self.skipped.append(dict(base, reason="%s holds no database to copy" % source))
            return
        present = [db for db in databases if db in self.holds[replica]]
        clashes = [db for db in present if db in self.imports[replica]
                   and self.imports[replica][db] != self.holds[source].get(db)]
        if clashes:
            self.problems.append(
                "%s: would get database(s) %s both from %s and from %s (an earlier source); give each source of this "
                "replica its own databases, or set seed_databases (or seed: never) on one of the mariadb_sources "
                "entries" % (replica, ", ".join(clashes), source,
                             ", ".join(sorted({self.imports[replica][db] for db in clashes}))))
            return
        if mode == "auto":
            own = sorted(db for db in self.holds[replica] if db not in databases)
            if method == "mariadb_backup" and own:
                self.problems.append(
                    "%s: seed_method mariadb_backup replaces the whole server with %s's copy, but %s holds databases of "
                    "its own (%s); use consistent_dump, or set seed: never on the entry and copy by hand"
                    % (replica, source, replica, ", ".join(own)))
                return
            if len(present) == len(databases):
                self.skipped.append(dict(base, reason="%s already holds %s" % (replica, ", ".join(databases))))
                return
            if present:
                self.problems.append(
                    "%s: holds %s but not %s of what it would copy from %s, so a copy would mix with data of its own; "
                    "compare with %s and remove what is stale, or set seed_databases, or seed: always to overwrite, "
                    "or seed: never on the mariadb_sources entry"
                    % (replica, ", ".join(present), ", ".join(db for db in databases if db not in present), source,
                       source))
                return
        if method in UNENCRYPTED_METHODS and declares_tls(connection):
            self.problems.append(unencrypted_copy_problem(replica, connection, method))
            return
        if method == "consistent_dump":
            method = self.snapshot_or_locked(replica, source, connection, databases)
            if method is None:
                return
        step_round = self.round_into[source] + 1
        for db in databases:
            origin = self.holds[source].get(db, source)
            self.holds[replica][db] = origin
            self.imports[replica][db] = origin
        self.round_into[replica] = max(self.round_into[replica], step_round)
        step = dict(base, round=step_round, method=method, force=mode in ("always", "redo", "rebuild"),
                    databases=None if method == "mariadb_backup" else databases,
                    filters=dict(connection.get("filters") or {}))
        if unfinished is not None:
            step["redo"] = describe_unfinished(name, unfinished)
        if mode == "rebuild":
            step["rebuild"] = True
        self.steps.append(step)

    def snapshot_or_locked(self, replica, source, connection, databases):
        """consistent_dump, or locked_dump for non-transactional tables (seed_non_transactional), or None (refused)."""
        filters = connection.get("filters") or {}
        found = []
        for database in databases:
            origin = self.holds[source].get(database, source)
            for table, engine in self.non_transactional.get(origin, {}).get(database, []):
                if table_replicated(filters, database, table):
                    found.append("%s.%s (%s)" % (database, table, engine))
        if not found:
            return "consistent_dump"
        if self.non_transactional_policy == "locked_dump":
            return "locked_dump"
        self.problems.append(
            "%s: consistent_dump from %s cannot copy the non-transactional table(s) %s consistently; convert them to "
            "InnoDB on %s, or set seed_method: locked_dump on the mariadb_sources entry (writes on %s are blocked "
            "for the copy), or seed_non_transactional: locked_dump"
            % (replica, source, ", ".join(sorted(found)), source, source))
        return None

    def replicated_from(self, host):
        return sorted({replica for replica, connection in self.edges if connection["source"] == host})

    def rebuild_problems(self, plan):
        host = self.rebuild
        if host not in plan:
            return ["mariadb_rebuild_host=%s is not a host of the topology (%s); name the replica to rebuild with -e "
                    "mariadb_rebuild_host=HOST" % (host, ", ".join(sorted(plan)))]
        if not plan[host].get("connections"):
            return ["%s: mariadb_rebuild_host names a host without sources (mariadb_sources is empty), so there is "
                    "nothing to rebuild it from; name a replica" % host]
        if plan[host].get("writable"):
            return ["%s: mariadb_rebuild_host is writable (mariadb_writable: true): a rebuild overwrites its data with "
                    "its sources' copy, so what was written on it would be lost; move its writes away first "
                    "(replkit.mariadb.switchover) and set mariadb_writable: false, then rebuild it" % host]
        return []

    def run(self):
        if self.rebuild is not None:
            problems = self.rebuild_problems(self.plan)
            if problems:
                raise SeedPlanError(problems)
        pending = list(self.edges)
        while pending:
            incoming = {replica for replica, _connection in pending}
            # Ready: the source's own seeding is decided. In a cycle nothing is: take the edge whose source
            # holds the most data (the one a ring or pair is built from), ties by name.
            ready = [edge for edge in pending if edge[1]["source"] not in incoming]
            if not ready:
                ready = [max(pending, key=lambda edge: (len(self.holds.get(edge[1]["source"], {})),
                                                        [-ord(c) for c in edge[1]["source"]]))]
            edge = ready[0]
            pending.remove(edge)
            self.decide(*edge)
        if self.problems:
            raise SeedPlanError(sorted(set(self.problems)))
        for entry in self.steps + self.skipped:
            left_out = self.left_out.get((entry["replica"], entry["connection"]))
            if left_out:
                entry["unlogged"] = left_out
        rounds = max([step["round"] for step in self.steps] or [0])
        return {"steps": self.steps, "skipped": self.skipped, "rounds": rounds, "notes": self.notes}


def plan_seeding(plan, facts, default_method=DEFAULT_METHOD, non_transactional="fail", rebuild=None):
    """``{"steps": [...], "skipped": [...], "rounds": N}`` for the topology ``plan`` and the servers' ``facts``.

    ``facts``: host -> {"databases": [names, system ones left out], "connections": [connection names]}, and
    optionally "binlog_filters" ({"do": [...], "ignore": [...]}: the running server's; absent when not known).
    ``rebuild``: the one replica whose every connection is copied again (replkit.mariadb.rebuild), or None.
    Each step: replica, source, connection, round (1..N), method, force, databases (None: the whole server),
    ``rebuild`` (true on the rebuilt replica's steps) and ``unlogged`` (the source's databases left out because it does not log them) where there are any.
    ``notes``: lines about running servers whose binary-log filters differ from the plan's.
    Raises SeedPlanError listing every problem.
    """
    if non_transactional not in ("fail", "locked_dump"):
        raise SeedPlanError(["seed_non_transactional is %r; it is fail or locked_dump" % (non_transactional,)])
    return _Planner(plan, facts, default_method, non_transactional, rebuild).run()


def _shown(value):
    # As a template shows a value inside text: null as nothing.
    return "" if value is None else str(value)


def backup_copy_text(host, step, targets, job, restore):
    """One line for a finished mariadb_backup copy, for the play's output.

    On a replica (``step`` is its seed step): what it received, prepared and restored, from the
    ``mariadb_backup_stream`` job and the ``mariadb_backup_restore`` result. On a source (``step`` is
    None): the one backup it sent to each of ``targets``.
    """
    megabytes = round(job["bytes"] / 1048576, 1)
    if step:
        return ("%s <- %s (mariadb_backup): %s MB streamed in %s s (%s MB/s) and prepared in %s s, at GTID %s; "
                "gtid_slave_pos now %s; the previous data directory is kept at %s" % tuple(_shown(value) for value in (
                    host, step["source"], megabytes, job["seconds"], job["rate_mb_s"], job["prepare_seconds"],
                    job["gtid_pos"], restore["gtid_slave_pos"], restore["previous_datadir"])))
    receivers = ", ".join(str(target) for target in targets)
    return ("%s -> %s (mariadb_backup): one backup, %s MB sent to each in %s s (%s MB/s), at GTID %s" % tuple(
        _shown(value) for value in (host, receivers, megabytes, job["seconds"], job["rate_mb_s"], job["gtid_pos"])))
