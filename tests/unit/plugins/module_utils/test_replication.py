"""module_utils/replication.py: what a connection's status row is reported as."""

from __future__ import annotations

from ansible_collections.replkit.mariadb.plugins.module_utils.replication import compact_status


def status_row(**overrides):
    row = {
        "Connection_name": "db1", "Master_Host": "10.0.0.1", "Master_User": "repl", "Master_Port": 3306,
        "Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes", "Using_Gtid": "Slave_Pos", "Gtid_IO_Pos": "1-1-5",
        "Seconds_Behind_Master": 0, "Last_IO_Errno": 0, "Last_IO_Error": "", "Last_SQL_Errno": 0, "Last_SQL_Error": "",
        "Slave_heartbeat_period": 30.0,
    }
    row.update(overrides)
    return row


def test_compact_status():
    assert compact_status(None) == {}
    compact = compact_status(status_row())
    assert compact["connection_name"] == "db1" and compact["io_running"] == "Yes"
    assert compact["gtid_io_pos"] == "1-1-5" and compact["seconds_behind_primary"] == 0
    assert "Slave_heartbeat_period" not in compact and "heartbeat" not in str(sorted(compact))
