"""The seed state file: durable phases per connection, unfinished entries, filters that read it."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.replkit.mariadb.plugins.filter.seed_plan import (
    seed_facts, seed_step_text, unfinished_seed_connections)
from ansible_collections.replkit.mariadb.plugins.module_utils.seed_state import (
    describe_unfinished, read_seed_state, record_seed_phase, unfinished_seeds)


def test_phases_are_recorded_per_connection_in_lower_case_and_restart_on_started(tmp_path):
    path = str(tmp_path / "seed" / "state.json")
    assert read_seed_state(path) == {}
    record_seed_phase(path, "DB1", "started", now=0, source="10.0.0.1", method="consistent_dump", databases=["shop"])
    record_seed_phase(path, "db1", "copied", now=60, gtid_pos="1-1-5")
    state = read_seed_state(path)
    assert state["db1"] == {"started_at": "1970-01-01T00:00:00Z", "updated_at": "1970-01-01T00:01:00Z",
                            "phase": "copied", "source": "10.0.0.1", "method": "consistent_dump",
                            "databases": ["shop"], "gtid_pos": "1-1-5"}
    assert list(unfinished_seeds(state)) == ["db1"]
    record_seed_phase(path, "db1", "complete", now=61)
    record_seed_phase(path, "crm", "started", now=62, source="s2")
    assert list(unfinished_seeds(read_seed_state(path))) == ["crm"]
    # A new start forgets the details of the earlier run.
    record_seed_phase(path, "db1", "started", now=63, source="other")
    assert read_seed_state(path)["db1"] == {"started_at": "1970-01-01T00:01:03Z", "updated_at": "1970-01-01T00:01:03Z",
                                            "phase": "started", "source": "other"}
    assert (tmp_path / "seed").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "seed" / "state.json").stat().st_mode & 0o777 == 0o600
    assert not list((tmp_path / "seed").glob("*.tmp"))


def test_bad_inputs_and_files(tmp_path):
    assert record_seed_phase(None, "db1", "started") is None
    with pytest.raises(ValueError, match="phase must be one of started, copied, complete"):
        record_seed_phase(str(tmp_path / "s.json"), "db1", "done")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="is not JSON"):
        read_seed_state(str(broken))
    broken.write_text("[1]")
    with pytest.raises(ValueError, match="does not hold a mapping"):
        read_seed_state(str(broken))
    assert unfinished_seeds(None) == {} and unfinished_seeds({"x": "junk"}) == {}


def test_filters_read_state_and_name_unfinished_connections():
    state = {"db1": {"phase": "copied", "source": "s1", "method": "locked_dump", "databases": ["a", "b"],
                     "started_at": "T"}, "crm": {"phase": "complete"}}
    lines = unfinished_seed_connections(state, [{"name": "DB1"}, {"name": "crm"}, {"name": "other"}])
    assert lines == [describe_unfinished("DB1", state["db1"])]
    assert lines[0] == ("the seed of connection 'DB1' from s1 (locked_dump of a, b) started at T and stopped at phase "
                        "'copied'")
    assert unfinished_seed_connections(None, [{"name": "db1"}]) == []
    with pytest.raises(AnsibleFilterError, match="expects a seed state"):
        unfinished_seed_connections([], [])
    host_vars = {"r": {"info": {"databases": ["shop"], "connections": [{"connection_name": "db1"}],
                                "unfinished_seeds": json.loads(json.dumps(state))}},
                 "s": {"info": {"databases": [], "connections": []}}}
    assert seed_facts(host_vars, ["r", "s"], "info") == {
        "r": {"databases": ["shop"], "non_transactional_tables": [], "connections": ["db1"],
              "unfinished_seeds": {"db1": state["db1"]}},
        "s": {"databases": [], "non_transactional_tables": [], "connections": [], "unfinished_seeds": {}}}
    with pytest.raises(AnsibleFilterError, match="x has no info result .* --limit"):
        seed_facts({"x": {}}, ["x"], "info")
    step = {"replica": "r", "source": "s", "connection": "db1", "round": 1, "method": "consistent_dump",
            "force": True, "databases": ["shop"], "redo": "the seed ..."}
    assert seed_step_text(step) == "r <- s (connection 'db1') - round 1, consistent_dump (forced) of shop - redo: the seed ..."
