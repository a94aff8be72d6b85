"""The SQLite history: schema version, UTC timestamps, samples, last-check marker."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from oamkit.errors import InputError
from oamkit.history import SCHEMA_VERSION, History, InterfaceSample, Snapshot


def snap(ts, crc, events=0, ok=True):
    s = Snapshot("r1", "cisco_ios", ts, ok=ok, error=None if ok else "unreachable")
    if ok:
        s.interfaces["Gi0/1"] = InterfaceSample("Gi0/1", crc_errors=crc, link_events=events,
                                                discovery_state="operational", link_monitoring=True)
    return s


def test_samples_come_back_oldest_first_and_skip_failed_snapshots(tmp_path):
    with History(tmp_path / "h.db") as h:
        h.store(snap(100.0, 1))
        h.store(snap(200.0, 0, ok=False))
        h.store(snap(300.0, 7))
        rows = h.samples("r1", "Gi0/1")
        assert [(r["ts"], r["crc_errors"]) for r in rows] == [(100.0, 1), (300.0, 7)]
        assert rows[-1]["link_monitoring"] is True
        assert h.latest_snapshot("r1")["ts"] == 300.0
        taken = h.db.execute("SELECT taken_at FROM snapshots ORDER BY ts LIMIT 1").fetchone()[0]
        assert taken == "1970-01-01T00:01:40+00:00"   # UTC, always


def test_last_check_marker_and_events(tmp_path):
    with History(tmp_path / "h.db") as h:
        assert h.last_check("r1", "Gi0/1") is None
        h.mark_checked("r1", "Gi0/1", 100.0, 3)
        h.mark_checked("r1", "Gi0/1", 200.0, 5)
        assert h.last_check("r1", "Gi0/1") == {"ts": 200.0, "link_events": 5}
        s = snap(300.0, 1)
        s.events = [{"interface": "Gi0/1", "ts": 250.0, "event_type": "frame", "location": "local"}]
        h.store(s)
        h.store(s)   # the same event read twice is stored once
        assert [e["event_type"] for e in h.events_since("r1", "Gi0/1", 200.0)] == ["frame"]
        assert h.events_since("r1", "Gi0/1", 260.0) == []


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "h.db"
    History(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    db.commit()
    db.close()
    with pytest.raises(InputError, match="newer oamkit"):
        History(path)


def test_a_file_that_is_not_sqlite_is_bad_input(tmp_path):
    path = tmp_path / "h.db"
    path.write_text("not a database " * 100)
    with pytest.raises(InputError):
        History(path)


def test_prune_drops_old_snapshots_and_their_rows(tmp_path):
    with History(tmp_path / "h.db") as h:
        old = snap(100.0, 1)
        old.events = [{"interface": "Gi0/1", "ts": 90.0, "event_type": "frame"}]
        h.store(old)
        h.store(snap(300.0, 2))
        assert h.prune(200.0) == 1
        assert h.counts() == {"snapshots": 1, "interfaces": 1, "link_events": 0}


def test_sessions_close_in_the_background_and_a_hung_close_does_not_block():
    import threading
    import time as clock

    from oamkit import collect

    release = threading.Event()

    class Session:
        closed = False

        def close(self):
            release.wait(5)
            self.closed = True

    fast, slow = Session(), Session()
    release.set()
    collect.close_later(fast)
    assert collect.finish_closing(2) == 0 and fast.closed
    release.clear()
    collect.close_later(slow)
    started = clock.monotonic()
    assert collect.finish_closing(0.2) == 1       # gave up waiting, bounded
    assert clock.monotonic() - started < 1
    release.set()
    assert collect.finish_closing(2) == 0 and slow.closed


def test_many_openers_of_one_new_database_all_get_it(tmp_path):
    """Parallel checks (Nornir tasks, cron jobs) opening the same new history at once: the
    switch to WAL answers "database is locked" without waiting, which used to be reported as
    "not an oamkit history database". Every opener must get the database."""
    import threading

    from oamkit.history import History

    errors: list[str] = []
    for round_ in range(40):
        path = tmp_path / f"h{round_}.sqlite"

        def open_it(path=path):
            try:
                with History(path):
                    pass
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(str(exc))

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []


# ---------------------------------------------------------------------- batched writes
def host_snap(host, ts):
    s = snap(ts, 1)
    s.host = host
    return s


def commits_traced(history):
    statements: list[str] = []
    history.db.set_trace_callback(statements.append)
    return statements


def test_a_batch_holds_many_snapshots_in_one_transaction_and_reads_its_own_writes(tmp_path):
    with History(tmp_path / "h.db") as h:
        statements = commits_traced(h)
        with h.batched(snapshots=50, seconds=3600):
            for n in range(120):
                h.store(host_snap(f"r{n}", 100.0 + n))
                h.mark_checked(f"r{n}", "Gi0/1", 100.0 + n, 0)
                # a check judges against the snapshot it has just stored
                assert h.samples(f"r{n}", "Gi0/1")[-1]["ts"] == 100.0 + n
        assert statements.count("COMMIT") == 3   # 50 + 50 + the last 20 when the block ends
        unbatched = commits_traced(h)
        for n in range(5):
            h.store(host_snap(f"s{n}", 500.0))
        assert unbatched.count("COMMIT") == 5
    other = sqlite3.connect(tmp_path / "h.db")
    assert other.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 125
    assert other.execute("SELECT COUNT(*) FROM last_check").fetchone()[0] == 120


def test_a_write_that_fails_in_a_batch_is_undone_alone(tmp_path):
    with History(tmp_path / "h.db") as h:
        with h.batched(snapshots=50, seconds=3600):
            h.store(host_snap("good-1", 100.0))
            broken = host_snap("broken", 100.0)
            broken.events = [{"interface": "Gi0/1"}]   # no event_type: fails after its snapshot row
            with pytest.raises(KeyError):
                h.store(broken)
            h.store(host_snap("good-2", 100.0))
    other = sqlite3.connect(tmp_path / "h.db")
    assert sorted(r[0] for r in other.execute("SELECT host FROM snapshots")) == ["good-1", "good-2"]
    assert other.execute("SELECT COUNT(*) FROM interfaces").fetchone()[0] == 2


def test_an_old_batch_is_committed_by_its_timer_for_other_processes_to_see(tmp_path):
    with History(tmp_path / "h.db") as h, h.batched(snapshots=1000, seconds=0.2):
        h.store(host_snap("r1", 100.0))
        other = sqlite3.connect(tmp_path / "h.db", timeout=0)
        seen, until = 0, time.monotonic() + 10
        while not seen and time.monotonic() < until:
            seen = other.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
            time.sleep(0.05)
        assert seen == 1
        # and the write lock is free again: another process can write meanwhile
        other.execute("INSERT INTO meta VALUES ('other-writer', 'yes')")
        other.commit()


def test_ctrl_c_in_a_batch_commits_what_was_stored(tmp_path):
    with History(tmp_path / "h.db") as h:
        with pytest.raises(KeyboardInterrupt), h.batched(snapshots=1000, seconds=3600):
            h.store(host_snap("r1", 100.0))
            h.store(host_snap("r2", 100.0))
            raise KeyboardInterrupt
    assert sqlite3.connect(tmp_path / "h.db").execute(
        "SELECT COUNT(*) FROM snapshots").fetchone()[0] == 2


KILLED_MID_RUN = """
import os, signal, sys
from oamkit.history import History, InterfaceSample, Snapshot
h = History(sys.argv[1])
with h.batched(snapshots=10, seconds=3600):
    for n in range(25):
        s = Snapshot(f"r{n}", "cisco_ios", 100.0 + n, ok=True)
        s.interfaces["Gi0/1"] = InterfaceSample("Gi0/1", crc_errors=n)
        h.store(s)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_run_keeps_its_committed_batches_and_loses_only_the_current_one(tmp_path):
    db = tmp_path / "h.db"
    run = subprocess.run([sys.executable, "-c", KILLED_MID_RUN, str(db)], timeout=60)
    assert run.returncode == -signal.SIGKILL
    with History(db) as h:   # the file is whole: opened, and the batches written before are there
        assert h.counts() == {"snapshots": 20, "interfaces": 20, "link_events": 0}
