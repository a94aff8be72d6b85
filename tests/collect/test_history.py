"""The SQLite history: schema version, UTC timestamps, samples, last-check marker."""
from __future__ import annotations

import sqlite3

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
