"""A fleet check writes its history in batches: few transactions for many hosts, observed in
the database's write-ahead log (one commit frame per transaction), over real SSH."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oamkit import history as history_module
from oamkit import ops
from oamkit.history import History
from oamkit.lab.server import Lab, set_ssh_driver


def wal_commits(wal: Path) -> int:
    """Transactions in a SQLite WAL file: frames whose header carries the database size after
    the commit (https://www.sqlite.org/fileformat.html#wal_file_format); frames left from an
    earlier generation of the log (another salt) are not counted."""
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return 0
    page_size, salt = int.from_bytes(data[8:12], "big"), data[16:24]
    commits, offset = 0, 32
    while offset + 24 + page_size <= len(data):
        header = data[offset:offset + 24]
        if header[8:16] != salt:
            break
        commits += int.from_bytes(header[4:8], "big") != 0
        offset += 24 + page_size
    return commits


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    running = Lab(devices=8, time_scale=0.01).start()
    try:
        yield running, running.write_inventory(tmp_path_factory.mktemp("fleet") / "inventory")
    finally:
        running.stop()


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_a_fleet_check_stores_every_host_in_one_transaction(fleet, driver, tmp_path, monkeypatch):
    lab, inventory = fleet
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    # batches committed by size or at the end only, so the count does not depend on the
    # machine's speed (the timer is tested in tests/collect/test_history.py)
    monkeypatch.setattr(history_module, "BATCH_SECONDS", 3600.0)
    set_ssh_driver(inventory, driver)
    db = tmp_path / "h.sqlite"
    History(db).close()
    keeper = sqlite3.connect(db)   # stays open: the check's close does not fold the log away
    keeper.execute("SELECT 1 FROM meta").fetchall()
    report = ops.check(inventory, db=db, workers=8, timeout=60)
    assert len(report.hosts) == 8 and not [h.host for h in report.hosts if h.error]
    assert keeper.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 8
    # the schema check on open, then every snapshot and link-event marker of the run
    assert wal_commits(db.with_name(db.name + "-wal")) == 2
