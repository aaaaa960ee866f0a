# -*- coding: utf-8 -*-
# Copyright: (c) 2026, replkit.mariadb contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replkit.mariadb.table_replicated, replicated_tables and database_replicated filters.

Their documentation is in table_replicated.yml, replicated_tables.yml and database_replicated.yml next to
this file; the rules are in module_utils/replication_filter.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.module_utils import replication_filter


def _ask(name, question, *args):
    try:
        return question(*args)
    except ValueError as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc)) from None


def table_replicated(table, filters, lower_case_table_names=0):
    """Whether a change to ``table`` (``database.table``) passes a connection's ``filters``."""
    def question():
        database, name = replication_filter.split_table(table)
        return replication_filter.table_replicated(filters, database, name, lower_case_table_names)
    return _ask("table_replicated", question)


def replicated_tables(tables, filters, lower_case_table_names=0):
    """The ``database.table`` names of ``tables`` whose changes pass a connection's ``filters``."""
    if not isinstance(tables, (str, bytes, Mapping)) and hasattr(tables, "__iter__"):
        tables = list(tables)  # a generator from map() or select()
    return _ask("replicated_tables", replication_filter.replicated_tables, filters, tables, lower_case_table_names)


def database_replicated(database, filters, lower_case_table_names=0):
    """``all``, ``none`` or ``some``: how much of ``database`` a connection's ``filters`` let through."""
    return _ask("database_replicated", replication_filter.database_replicated, filters, database,
                lower_case_table_names)


class FilterModule:
    """replkit.mariadb replication filter rules."""

    def filters(self):
        return {"table_replicated": table_replicated, "replicated_tables": replicated_tables,
                "database_replicated": database_replicated}
