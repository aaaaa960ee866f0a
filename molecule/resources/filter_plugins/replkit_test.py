# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Molecule scenarios expect, computed in Python (loaded beside converge.yml and verify.yml).

Test-side only: these filters are not part of the collection. Each keeps the exact values, texts and
orders the verify playbooks computed in Jinja before, including Jinja's habits they relied on:
``sort``, ``dictsort`` and ``unique`` compare strings ignoring case, and ``quote`` is ``shlex.quote``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def _folded(value):
    # Jinja's sort, dictsort and unique compare strings ignoring case.
    return value.lower() if isinstance(value, str) else value


def _sorted_items(mapping):
    return sorted(mapping.items(), key=lambda item: _folded(item[0]))


def _unique(values):
    kept, seen = [], []
    for value in values:
        if _folded(value) not in seen:
            seen.append(_folded(value))
            kept.append(value)
    return kept


def _options(name, values):
    """``--name=VALUE`` per value, shell-quoted, for a script's command line."""
    return " ".join("--%s=%s" % (name, shlex.quote(str(value))) for value in values)


def _require_mapping(value, what):
    if not isinstance(value, Mapping):
        raise AnsibleFilterError("%s must be a mapping, got %r" % (what, value))
    return value


def _require_list(value, what):
    if value is None or isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise AnsibleFilterError("%s must be a list, got %r" % (what, value))
    return list(value)


# ---------------------------------------------------------------- seeding scenarios (tasks/seed_verify.yml)

def seed_sources_here(mariadb_sources):
    """This node's sources as ``{host, ignore, do, delay}``: plain names and mappings of mariadb_sources."""
    found = []
    for source in _require_list(mariadb_sources, "mariadb_sources"):
        spec = source if isinstance(source, Mapping) else {"host": source}
        found.append({"host": spec["host"], "ignore": spec.get("replicate_ignore_db", []),
                      "do": spec.get("replicate_do_db", []), "delay": spec.get("delay", 0)})
    return found


def seed_received(sources_here, hostvars):
    """``{source, database}`` per fixture database a source holds that its connection's filters let through."""
    found = []
    for source in _require_list(sources_here, "seed_sources_here"):
        for database in hostvars[source["host"]].get("test_seed_fixture_databases", []):
            if database not in source["ignore"] and (not source["do"] or database in source["do"]):
                found.append({"source": source["host"], "database": database})
    return found


def seed_wait_targets(sources_here, hostvars, own_server_id):
    """``{host, position}`` per source whose final gtid_binlog_pos holds entries this node did not write.

    This node's own entries never enter its gtid_slave_pos, which is what is waited on. A source without a
    read (``test_seed_replication``) has nothing to wait for.
    """
    own_entry = re.compile("^[0-9]+-%s-" % (own_server_id,))
    targets = []
    for source in _require_list(sources_here, "seed_sources_here"):
        replication = hostvars[source["host"]].get("test_seed_replication", {"gtid_binlog_pos": ""})
        if "gtid_binlog_pos" not in replication:
            raise AnsibleFilterError("seed_wait_targets: %s's test_seed_replication has no gtid_binlog_pos (its read failed)"
                                     % source["host"])
        entries = [entry.strip() for entry in str(replication["gtid_binlog_pos"]).split(",")]
        position = ",".join(entry for entry in entries if entry != "" and not own_entry.match(entry))
        if position:
            targets.append({"host": source["host"], "position": position})
    return targets


def seed_snapshot_options(own_databases, received):
    """``--database=NAME`` per fixture database this node holds or receives, each once."""
    databases = list(own_databases or []) + [entry["database"] for entry in received or []]
    return _options("database", _unique(databases))


def seed_origin_options(play_hosts, hostvars):
    """``--owner=DATABASE=SERVER_ID`` per fixture database of every node of the play."""
    owners = []
    for host in _require_list(play_hosts, "ansible_play_hosts"):
        for database in hostvars[host].get("test_seed_fixture_databases", []):
            owners.append("%s=%s" % (database, hostvars[host]["test_seed_replication"]["server_id"]))
    return _options("owner", owners)


def seed_keepup_options(sources_here, play_hosts, hostvars):
    """``--expect=SOURCE=TABLE`` per source of this node still in the play (failed ones are not waited for)."""
    return _options("expect", ["%s=%s" % (source["host"], hostvars[source["host"]]["test_seed_keepup_table"])
                               for source in _require_list(sources_here, "seed_sources_here")
                               if source["host"] in play_hosts])


def _connection_problems(here, connections, sources_here):
    problems = []
    if len(connections) < len(sources_here):
        problems.append("%s: has %d replication connection(s), expected one per source of %s"
                        % (here, len(connections), [source["host"] for source in sources_here]))
    for connection in connections:
        if not connection["healthy"]:
            problems.append(("%s: replication connection '%s' from %s:%s is broken: io %s, sql %s,"
                             " io error %s %s, sql error %s %s") % (
                here, connection["connection_name"], connection["primary_host"], connection["primary_port"],
                connection["io_running"], connection["sql_running"], connection["last_io_errno"],
                connection["last_io_error"], connection["last_sql_errno"], connection["last_sql_error"]))
    return problems


def _wait_problems(here, wait):
    problems = []
    for waited in wait.get("results", []):
        if not waited.get("skipped", False) and ("behind" in waited or "msg" in waited):
            problems.append("%s: has not applied %s's final position %s within 60 s: behind per domain %s (%s)" % (
                here, waited["item"]["host"], waited["item"]["position"], waited.get("behind", {}),
                waited.get("msg", "")))
    return problems


def _received_problems(here, received, hostvars, snapshot):
    problems = []
    for entry in received:
        database, source = entry["database"], entry["source"]
        there = hostvars[source].get("test_seed_snapshot", {"databases": {}})["databases"].get(database, "unknown")
        mine = snapshot["databases"][database]
        if there == "unknown":
            problems.append("%s: cannot compare %s with its source %s, which failed before its snapshot"
                            % (here, database, source))
        elif there is None:
            problems.append("%s: the source %s has no database %s (prepare did not create it?)"
                            % (here, source, database))
        elif mine is None:
            problems.append("%s: database %s is missing; %s holds it with %d tables, %d rows (not seeded?)" % (
                here, database, source, len(there["tables"]), sum(table["rows"] for table in there["tables"].values())))
        else:
            problems += _database_problems(here, database, source, there, mine)
    return problems


def _database_problems(here, database, source, there, mine):
    problems = []
    for table, want in _sorted_items(there["tables"]):
        got = mine["tables"].get(table)
        if got is None:
            problems.append("%s: table %s.%s is missing; on %s: COUNT(*) %d, CHECKSUM TABLE %s"
                            % (here, database, table, source, want["rows"], want["checksum"]))
        elif got["rows"] != want["rows"] or got["checksum"] != want["checksum"]:
            problems.append("%s: table %s.%s differs: COUNT(*) %s %d, %s %d; CHECKSUM TABLE %s %s, %s %s" % (
                here, database, table, source, want["rows"], here, got["rows"], source, want["checksum"], here,
                got["checksum"]))
    for table in mine["tables"]:
        if table not in there["tables"]:
            problems.append("%s: table %s.%s is here but not on its source %s" % (here, database, table, source))
    for kind in ("views", "triggers", "routines", "calls"):
        for name, want in _sorted_items(there[kind]):
            got = mine[kind].get(name, "missing")
            if got != want:
                problems.append("%s: %s %s.%s differs: %s %s, %s %s"
                                % (here, kind, database, name, source, want, here, got))
    return problems


def _fixture_problems(here, snapshot, own_databases):
    problems = []
    for database, found in _sorted_items(snapshot["databases"]):
        if found is None:
            continue
        for table, rows in _sorted_items(found["manifest"]):
            if found["tables"].get(table, {"rows": -1})["rows"] != rows:
                problems.append("%s: table %s.%s holds %s rows, prepare created %d (applied twice or lost rows)"
                                % (here, database, table, found["tables"].get(table, {"rows": "no"})["rows"], rows))
        if found["calls"].get("trigger_rows", 1) != 1:
            problems.append("%s: trigger %s.items_audit wrote %s audit rows for one INSERT, 1 expected"
                            % (here, database, found["calls"]["trigger_rows"]))
    for database in own_databases:
        if database in snapshot["databases"] and snapshot["databases"][database] is None:
            problems.append("%s: its own fixture database %s is missing" % (here, database))
    return problems


def _writer_problems(here, writer, min_rows, snapshot):
    problems = []
    if writer["exit"] != "signal" or writer["committed"] < min_rows or writer["reconnects"] < 1:
        problems.append(("%s: the writer into %s committed %d rows (at least %d expected), reconnected %d"
                         " times (at least once expected: the converge restarts MariaDB), exit %s, last error %s;"
                         " see journalctl -u replkit-seed-writer") % (
            here, writer["table"], writer["committed"], min_rows, writer["reconnects"],
            writer["exit"] or "none (it died)", writer["last_error"]))
    database, table = writer["table"].split(".")[0], writer["table"].split(".")[1]
    written = (snapshot["databases"].get(database) or {"tables": {}})["tables"].get(table, {"rows": -1})
    baseline = writer.get("baseline") or 0
    if (written["rows"] < baseline + writer["committed"]
            or written["rows"] > baseline + writer["committed"] + writer["errors"]):
        problems.append(("%s: %s holds %d rows, the writer committed %d on top of %d it found"
                         " (plus at most %d unacknowledged): committed rows were lost") % (
            here, writer["table"], written["rows"], writer["committed"], baseline, writer["errors"]))
    return problems


def seed_problems(here, checks):
    """Every problem of one node's seeded data, one line each naming host, table and both values.

    ``checks`` holds this node's facts under the names seed_verify.yml gives them: ``replication``
    (mariadb_replication_info), ``sources_here``, ``wait`` (the looped mariadb_gtid_pos result),
    ``received``, ``hostvars``, ``snapshot`` (seed_check.py snapshot), ``own_databases``,
    ``expected_markers``, ``writer`` (None without a writer) and ``writer_min_rows``.
    """
    _require_mapping(checks, "seed_problems' checks")
    snapshot = _require_mapping(checks["snapshot"], "seed_problems' snapshot")
    sources_here = _require_list(checks["sources_here"], "seed_problems' sources_here")
    problems = _connection_problems(here, checks["replication"]["connections"], sources_here)
    problems += _wait_problems(here, checks["wait"])
    problems += _received_problems(here, _require_list(checks["received"], "seed_problems' received"),
                                   checks["hostvars"], snapshot)
    problems += _fixture_problems(here, snapshot, list(checks["own_databases"]))
    # A mariadb_backup copy is the whole source server, mysql.user included: such a node names the
    # source's marker in test_seed_expected_markers.
    if snapshot["markers"] != checks["expected_markers"]:
        problems.append(("%s: mysql.user has marker users for %s, expected %s:"
                         " a seed copied another node's system tables over this node's")
                        % (here, snapshot["markers"], checks["expected_markers"]))
    if checks.get("writer") is not None:
        problems += _writer_problems(here, checks["writer"], checks["writer_min_rows"], snapshot)
    return problems


# ---------------------------------------------------------------- topology scenarios (verify.yml)

def checksum_groups(play_hosts, receivers, long_delayed):
    """Nodes that receive the same writers must hold the same table: label (writers, sorted) -> hosts."""
    groups = {}
    for host in _require_list(play_hosts, "ansible_play_hosts"):
        if host not in long_delayed:
            label = ",".join(sorted(receivers[host], key=_folded))
            groups[label] = groups.get(label, []) + [host]
    return groups


def writer_rows_sql(database, writer, run, rows):
    """One INSERT per row into DATABASE.shared, numbered from 0: one transaction each."""
    return "".join("INSERT INTO %s.shared (writer, run, n) VALUES ('%s', '%s', %d);\n" % (database, writer, run, number)
                   for number in range(int(rows)))


def writer_count_sql(tables, run):
    """``writer:rows`` of this run over every table, ordered by writer, as the wait compares them."""
    counted = " UNION ALL ".join("SELECT writer, COUNT(*) AS rows_of_writer FROM %s WHERE run = '%s' GROUP BY writer"
                                 % (table, run) for table in _require_list(tables, "test_tables"))
    return ("SELECT IFNULL(GROUP_CONCAT(CONCAT(writer, ':', rows_of_writer) ORDER BY writer), '') FROM (%s) AS counted"
            % counted)


# ---------------------------------------------------------------- day-2 operations (day2.yml)

STEP_EXTRA_VARS = {"candidate": "mariadb_candidate", "failed": "mariadb_failed_host", "host": "mariadb_rejoin_host",
                   "accept_errant": "mariadb_rejoin_accept_errant"}


def day2_extra_vars(step, change_file):
    """The -e arguments of one operation step; switchover and failover also write their inventory change (as an
    inventory directory: scenarios keep their topology variables in host_vars files)."""
    _require_mapping(step, "a day-2 step")
    arguments = []
    for key, variable in STEP_EXTRA_VARS.items():
        if key in step:
            value = step[key]
            arguments.append("--extra-vars=%s=%s" % (variable, str(value).lower() if isinstance(value, bool) else value))
    if step.get("operation") in ("switchover", "failover"):
        arguments.append("--extra-vars=mariadb_operation_change_dir=%s" % change_file)
    return arguments


def day2_addresses(hosts, hostvars):
    """The address a client reaches each host at: mariadb_replication_host, else ansible_host, else its name."""
    return [hostvars[host].get("mariadb_replication_host") or hostvars[host].get("ansible_host") or host
            for host in hosts]


def day2_report_lines(stdout):
    """The lines of an operation's report (its last debug message), or its last lines when there is none."""
    lines = str(stdout).splitlines()
    start = max((index for index, line in enumerate(lines) if '"msg": [' in line), default=None)
    if start is None:
        return lines[-15:]
    end = next((index for index in range(start, len(lines)) if lines[index].strip() == "]"), len(lines))
    return [line.strip().rstrip(",").strip('"') for line in lines[start + 1:end]]


def recap_changed(stdout):
    """The sum of changed= over the hosts of a PLAY RECAP."""
    return sum(int(found) for found in re.findall(r"\bchanged=(\d+)", str(stdout).rsplit("PLAY RECAP", maxsplit=1)[-1]))


def follow_writer_report(count, rows_by_host):
    """Every acknowledged number of files/follow_writer.py on every node exactly once (``n count`` lines)."""
    _require_mapping(count, "the writer's count")
    committed = set(count["committed"])
    uncertain = set(count["uncertain"])
    problems = []
    if not count.get("done"):
        problems.append("the writer did not finish")
    if not committed:
        problems.append("the writer committed nothing")
    for host, lines in sorted(rows_by_host.items()):
        rows = {}
        for line in lines:
            number, copies = line.split()
            rows[int(number)] = int(copies)
        missing = sorted(committed - set(rows))
        twice = sorted(number for number, copies in rows.items() if copies > 1)
        unknown = sorted(set(rows) - committed - uncertain)
        for what, numbers in (("acknowledged rows missing", missing), ("rows held more than once", twice),
                              ("rows the writer never wrote", unknown)):
            if numbers:
                problems.append("%s: %d %s: %s" % (host, len(numbers), what, numbers[:20]))
    return {"problems": problems, "committed": len(committed), "longest_gap": round(count["longest_gap"], 3),
            "switches": len(count["switches"]) - 1}


class FilterModule:
    """The Molecule scenarios' expectations."""

    def filters(self):
        return {"seed_sources_here": seed_sources_here, "seed_received": seed_received,
                "seed_wait_targets": seed_wait_targets, "seed_snapshot_options": seed_snapshot_options,
                "seed_origin_options": seed_origin_options, "seed_keepup_options": seed_keepup_options,
                "seed_problems": seed_problems, "checksum_groups": checksum_groups,
                "writer_rows_sql": writer_rows_sql, "writer_count_sql": writer_count_sql,
                "day2_extra_vars": day2_extra_vars, "day2_report_lines": day2_report_lines,
                "day2_addresses": day2_addresses,
                "recap_changed": recap_changed, "follow_writer_report": follow_writer_report}
