"""Snapshot history in SQLite: counters per host/interface/time, OAM state, link events and the
last-check marker. Timestamps are UTC (epoch seconds plus ISO text for people reading the file).

The schema carries a version (`meta.schema_version`); opening a file written by a newer oamkit
is refused rather than guessed at. WAL mode so a `check` from cron can read while a `collect`
writes.

Fleet runs write in batches (`History.batched`): one transaction holds many snapshots and is
committed when it holds `BATCH_SNAPSHOTS` of them, when it is `BATCH_SECONDS` old (a timer, so
a quiet run does not keep other writers waiting), and when the run ends (Ctrl-C included). A
killed run loses at most the batch being written; each snapshot is all-or-nothing (a savepoint).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from oamkit import statedir
from oamkit.errors import ExitCode, InputError, OamkitError, Problem

KEEP_DAYS = 90.0   # snapshots older than this are dropped (`--keep-days`)

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 30.0   # seconds a writer waits for another process's lock
_NOT_ALL_STORED = "; this run's writes did not all reach it"
BATCH_SNAPSHOTS = 200   # snapshots per transaction in a fleet run (`History.batched`)
BATCH_SECONDS = 1.0     # ... and the longest a batch keeps the write lock before it commits
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    host TEXT NOT NULL, platform TEXT NOT NULL,
    ts REAL NOT NULL, taken_at TEXT NOT NULL,
    ok INTEGER NOT NULL, error TEXT, seconds REAL, role_errors TEXT, uptime_s REAL);
CREATE INDEX IF NOT EXISTS snapshots_host_ts ON snapshots (host, ts);
CREATE TABLE IF NOT EXISTS interfaces (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    host TEXT NOT NULL, interface TEXT NOT NULL, ts REAL NOT NULL,
    crc_errors INTEGER, frame_errors INTEGER, input_errors INTEGER,
    link_events INTEGER, discovery_state TEXT, link_monitoring INTEGER, mode TEXT,
    oam_json TEXT,
    PRIMARY KEY (snapshot_id, interface));
CREATE INDEX IF NOT EXISTS interfaces_host_if_ts ON interfaces (host, interface, ts);
CREATE TABLE IF NOT EXISTS link_events (
    host TEXT NOT NULL, interface TEXT NOT NULL, ts REAL NOT NULL, event_type TEXT NOT NULL,
    location TEXT, detail TEXT,
    UNIQUE (host, interface, ts, event_type, location));
CREATE TABLE IF NOT EXISTS last_check (
    host TEXT NOT NULL, interface TEXT NOT NULL, ts REAL NOT NULL, link_events INTEGER,
    PRIMARY KEY (host, interface));
CREATE TABLE IF NOT EXISTS check_judged (
    host TEXT PRIMARY KEY, snapshot_id INTEGER NOT NULL);
"""


# Counters are unsigned 64-bit; SQLite's INTEGER is signed 64-bit. 2^63 .. 2^64-1 are stored as
# their two's-complement negative and read back as they were (a counter is never negative, so
# a negative stored value is always one of those). A value of 2^64 or more (or below 0) is not
# a counter: it is stored as NULL, unreadable, like a counter the device does not show.
COUNTER_LIMIT = 2 ** 64
_COUNTERS = ("crc_errors", "frame_errors", "input_errors", "link_events")


def counter_or_none(value) -> int | None:
    """`value` when it can be a device counter (an int in 0 .. 2^64-1), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < COUNTER_LIMIT:
        return None
    return value


def _to_db(value) -> int | None:
    value = counter_or_none(value)
    return value - COUNTER_LIMIT if value is not None and value >= COUNTER_LIMIT // 2 else value


def _from_db(value) -> int | None:
    """A stored counter as the device showed it. Anything but an integer (a row edited by hand,
    'n/a') is None: that sample's counter is unreadable, and a rate skips it like a missing one."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value + COUNTER_LIMIT if value < 0 else value


class _WrittenByNewer(InputError):
    """A file of a newer schema: bad input whatever `History(fallback=True)` says (a newer
    oamkit's history is never written over, nor judged as if understood)."""


class HistoryNotWritten(OamkitError):
    """The history database cannot be written (read-only, disk full, an I/O error): the run
    stores and judges nothing, or not all it read. Exit 3 (`--format nagios`: UNKNOWN), as for
    a report that could not be written: exit 1 would read as "findings" to a scheduler that
    accepts it (the systemd unit's SuccessExitStatus=1), and it is not bad input (2). The
    message names the file and the OS's or SQLite's reason."""

    exit_code = ExitCode.NEEDS_ATTENTION


# SQLite's error names (Python 3.11+ `sqlite_errorname`) that say the file or its disk cannot
# be written, rather than that the file is not a history database
_UNWRITABLE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM")


def _unwritable(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    return name.startswith(_UNWRITABLE) or any(
        w in text for w in ("readonly", "read-only", "disk is full", "disk I/O error", "unable to open"))


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


@dataclass
class InterfaceSample:
    interface: str
    crc_errors: int | None = None
    frame_errors: int | None = None
    input_errors: int | None = None
    link_events: int | None = None        # local + remote link-event records, running total
    discovery_state: str | None = None
    link_monitoring: bool | None = None
    mode: str | None = None
    oam: dict = field(default_factory=dict)   # the normalised OAM records, for reports


@dataclass
class Snapshot:
    host: str
    platform: str
    ts: float
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    interfaces: dict[str, InterfaceSample] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)   # {interface, ts, event_type, location, detail}
    role_errors: dict[str, str] = field(default_factory=dict)   # role -> why it did not parse
    uptime_s: float | None = None   # device uptime when read (reboot detection)

    @property
    def taken_at(self) -> str:
        return utc_iso(self.ts)


class History:
    """One SQLite file. Safe to share between the runner's threads (one lock, one connection)."""

    def __init__(self, path: str | Path, *, fallback: bool = False):
        """`fallback`: a file that cannot be written or read (read-only, a full disk, an I/O
        error, damaged, locked by another process past BUSY_TIMEOUT), at the open or in the
        middle of the run, does not end the run: it goes on in memory, on a copy of what could
        be read of the file, and `problem` says what happened (the run reports it beside its
        results). Without it, those raise (HistoryNotWritten, InputError)."""
        self.path = Path(path)
        self.problem: str | None = None   # fallback: why the run's writes are not in the file
        self._fallback = fallback
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)   # private, as the state folder
        except OSError as exc:   # a file where a folder of the path should be
            raise InputError([Problem(f"cannot make the database's folder: {exc.strerror}",
                                      file=str(self.path), field="--db")]) from None
        if self.path.exists() and not self.path.is_file():
            # /dev/null, a fifo, a folder: SQLite failed at the first commit, after the reads,
            # with a traceback (and left /dev/null-journal behind)
            raise InputError([Problem("not a regular file: the history database is a file",
                                      file=str(self.path), field="--db")])
        # Made 0600 before SQLite opens it: SQLite gives its -wal/-shm/-journal files the
        # database file's mode, and would otherwise create all of them umask-readable.
        # (An existing file keeps the mode its owner gave it.)
        if not self.path.exists():
            os.close(statedir.open_private(self.path, os.O_RDONLY))
        # re-entrant: raise_if_lost moves the run to memory under it, called with it held
        # (a write) or not (the run's end), while the batch timer's thread may want it too
        self._lock = threading.RLock()
        self._batch: _Batch | None = None
        # a write of the run found the database locked past BUSY_TIMEOUT (None: still opening)
        self._lost: bool | None = None
        # a write of the run could not be made (read-only, disk full): the error the run ends on
        self._failed: HistoryNotWritten | None = None
        self.db: sqlite3.Connection | None = None
        try:
            self._open_file()
        except _WrittenByNewer:
            raise
        except (InputError, HistoryNotWritten) as exc:   # locked, damaged; read-only, disk full
            if not fallback:
                raise
            self._go_on_in_memory(exc, "nothing of this run is stored")
        self._lost = False

    def _open_file(self) -> None:
        try:
            # isolation_level None: transactions are begun and ended here (`_write`), so a
            # batch can hold many snapshots and a failed one is undone alone
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=BUSY_TIMEOUT,
                                      isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise (self._unwritten(exc) if _unwritable(exc) else self._not_history(exc)) from None
        found = self._open()
        if found is not None and found > SCHEMA_VERSION:
            self.db.close()
            raise _WrittenByNewer([Problem(f"written by a newer oamkit (schema {found}; this one "
                                           f"reads up to {SCHEMA_VERSION})", file=str(self.path),
                                           field="--db")])
        # A write on every open, even when the schema is there: another process holding the
        # database is found here, before a check contacts any device, not at its first store.
        try:
            with self._lock, self._write():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                                (str(SCHEMA_VERSION),))
        except (InputError, HistoryNotWritten):   # locked (_begin); read-only, disk full (_write)
            self.db.close()
            raise

    def _open(self) -> int | None:
        """Set the connection up and read the schema version. Switching a new file to WAL takes
        an exclusive lock that SQLite's busy timeout does not wait for: several processes or
        threads opening the same new database at once (parallel checks, Nornir tasks) see
        "database is locked" at once, so that is retried within the same time budget, and never
        reported as a file that is not a history database."""
        until = time.monotonic() + BUSY_TIMEOUT
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a crash never corrupts the file; a power cut may lose the last snapshot
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                return self._schema_version()
            except sqlite3.OperationalError as exc:
                if _unwritable(exc):   # read-only, disk full: not "not a history database"
                    self.db.close()
                    raise self._unwritten(exc) from None
                if not _is_locked(exc):
                    raise self._not_history(exc) from None
                if time.monotonic() >= until:
                    self.db.close()
                    raise self._locked() from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                raise self._not_history(exc) from None

    def _locked(self, lost: str = "") -> InputError:
        return InputError([Problem(f"the history database is locked by another process (waited "
                                   f"{BUSY_TIMEOUT:.0f} s for it){lost}; try again when that "
                                   "process is done", file=str(self.path), field="--db")])

    def _begin(self) -> None:
        """BEGIN IMMEDIATE: the write lock, waited for up to BUSY_TIMEOUT. Another process
        holding it longer than that in the middle of a run fails this write, and every later
        one of the run at once (a fleet's hosts would each wait the whole timeout again), with
        the error the run ends on: InputError naming the file, as when the open found it locked."""
        self.raise_if_lost()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
            if self._lost is None:   # the open's write: nothing of the run yet
                raise self._locked() from None
            self._lost = True
            raise self._locked(_NOT_ALL_STORED) from None

    def raise_if_lost(self) -> None:
        """The error the run ends on when a write of it found the database locked (see _begin)
        or could not be written (read-only, disk full: `_write`); the hosts' own writes failed
        in their threads."""
        if self._failed is None and not self._lost:
            return
        error = self._failed if self._failed is not None else self._locked(_NOT_ALL_STORED)
        if not self._fallback:
            raise error
        with self._lock:
            self._go_on_in_memory(error, "the rest of it is not stored")

    def _go_on_in_memory(self, error: Exception, lost: str) -> None:
        """`fallback`: the file failed (`error`); the run goes on in an in-memory database, a
        copy of the file's committed contents when they can be read (a batch not committed is
        not in it: its hosts were judged already), else empty. `problem` names the file, the
        error and what the run's results rest on."""
        if self.db is not None:
            try:
                self.db.close()   # rolls back a transaction it could not commit
            except sqlite3.Error:
                pass
        memory, why_not = self._copy_of_file()
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                memory.execute(statement)
        memory.execute("PRAGMA foreign_keys=ON")
        self.db = memory
        if self._batch is not None:
            self._batch.cancel_timer()
            self._batch.snapshots = 0
        self._failed, self._lost = None, False
        base = f"{error}" if str(self.path) in str(error) else f"{self.path}: {error}"
        earlier = ("earlier samples as read from it" if why_not is None
                   else f"no earlier samples (they could not be read: {why_not})")
        if self.problem is None:
            self.problem = f"{base}; {lost}; judged with {earlier}"

    def _copy_of_file(self) -> tuple[sqlite3.Connection, str | None]:
        """An in-memory copy of the file, opened read-only (a reader is not kept out by another
        process's write lock in WAL mode, nor by a read-only file or a full disk), and None; or
        an empty in-memory database and why the file could not be read (damaged, missing)."""
        why_not = "not tried"
        # mode=ro reads the WAL too, but needs the -shm file (created, or mapped larger: a full
        # disk refuses that); immutable=1 reads the main file alone, which holds everything
        # once the last writer closed it (a checkpoint)
        for how in ("mode=ro", "immutable=1"):
            memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            try:
                source = sqlite3.connect(f"{self.path.resolve().as_uri()}?{how}", uri=True,
                                         timeout=1.0)
                try:
                    source.backup(memory)
                finally:
                    source.close()
                memory.execute("SELECT COUNT(*) FROM snapshots").fetchone()   # a history, readable
                return memory, None
            except sqlite3.Error as exc:
                memory.close()
                why_not = why_not if how != "mode=ro" else str(exc)
        return sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None), why_not

    def _unwritten(self, exc: sqlite3.Error) -> HistoryNotWritten:
        """The error naming the file and why it cannot be written; once the run has begun
        (not the open's write), also the one the run ends on (`raise_if_lost`)."""
        name = getattr(exc, "sqlite_errorname", None)
        text = f"{exc}" + (f" ({name})" if name and name not in str(exc) else "")
        if "readonly" in str(exc) or (name or "").startswith(("SQLITE_READONLY", "SQLITE_PERM")):
            why = (f"it is read-only ({text}); every run stores a snapshot in it: make the file, "
                   "its folder and its -wal/-shm files writable by this user")
        else:
            why = text + self._why_unwritable(text, name)
        error = HistoryNotWritten(f"{self.path}: the history database cannot be written: {why}"
                                  + (_NOT_ALL_STORED if self._lost is not None else ""))
        if self._lost is not None:
            self._failed = error
        return error

    def _why_unwritable(self, text: str, name: str | None) -> str:
        """What to add to SQLite's own words: the free space when the disk is (nearly) full,
        the usual causes when SQLite says full or I/O error and the disk is not."""
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError:
            free = None
        if free is not None and free < 1 << 20:
            return f"; its disk is full ({free:,} bytes free)"
        if "full" in text or "I/O" in text or (name or "").startswith(("SQLITE_IOERR", "SQLITE_FULL")):
            return "; a full disk, a file size limit (ulimit -f) or a failing disk"
        return ""

    def _not_history(self, exc: Exception) -> InputError:
        return InputError([Problem(f"not an oamkit history database: {exc}", file=str(self.path),
                                   field="--db")])

    def _schema_version(self) -> int | None:
        has_meta = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not has_meta:
            return None
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else None

    def close(self) -> None:
        with self._lock:
            try:
                self._end_batch()
            finally:
                self.db.close()   # a transaction it could not commit is rolled back

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    @contextmanager
    def batched(self, snapshots: int | None = None, seconds: float | None = None):
        """Within this block, writes share transactions of up to `snapshots` snapshots (default
        BATCH_SNAPSHOTS), each committed at the latest `seconds` (BATCH_SECONDS) after it
        began; the last one when the block ends,
        however it ends (an exception, Ctrl-C). This connection reads its own uncommitted
        writes, so a check judges against the snapshot it has just stored; other processes see
        a batch once it is committed."""
        with self._lock:
            if self._batch is not None:   # already batching: the outer block decides
                outer = True
            else:
                outer = False
                self._batch = _Batch(max(1, snapshots or BATCH_SNAPSHOTS),
                                     BATCH_SECONDS if seconds is None else seconds)
        try:
            yield self
        finally:
            if not outer:
                with self._lock:
                    self._end_batch()

    def flush(self) -> None:
        """Commit the batch being written now (a no-op outside a batch)."""
        with self._lock:
            self._commit_batch()

    def _end_batch(self) -> None:
        try:
            self._commit_batch()
        except (HistoryNotWritten, sqlite3.DatabaseError) as exc:
            if not self._fallback:
                raise
            self._go_on_in_memory(exc, "the last batch of this run's writes did not reach it")
        finally:
            self._batch = None

    def _commit_batch(self, only: "_Batch | None" = None, opened: float | None = None) -> None:
        batch = self._batch
        if batch is None or (only is not None and (batch is not only or batch.opened != opened)):
            return   # a timer for a batch already committed
        batch.cancel_timer()
        batch.snapshots = 0
        if self.db.in_transaction:
            try:
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                if not _unwritable(exc):
                    raise
                raise self._unwritten(exc) from None

    def _commit_when_old(self, batch: "_Batch", opened: float) -> None:
        with self._lock:
            try:
                self._commit_batch(batch, opened)
            except HistoryNotWritten:   # kept in _failed: the run ends on it (raise_if_lost)
                pass

    @contextmanager
    def _write(self, snapshot: bool = False):
        """One write (the caller holds `_lock`): outside a batch its own transaction; inside,
        a savepoint of the batch's transaction, so a write that fails is undone alone. BEGIN
        IMMEDIATE takes the write lock up front, waiting up to BUSY_TIMEOUT for another
        process (then "database is locked", as before batching). A file that cannot be written
        (read-only, disk full, I/O error) is HistoryNotWritten naming it, not a traceback."""
        self.raise_if_lost()
        try:
            with self._writing(snapshot):
                yield
        except sqlite3.OperationalError as exc:
            if not _unwritable(exc):
                raise
            raise self._unwritten(exc) from None

    @contextmanager
    def _writing(self, snapshot: bool):
        batch = self._batch
        if batch is None:
            self._begin()
            try:
                yield
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            return
        if not self.db.in_transaction:
            self._begin()
            batch.start_timer(self._commit_when_old)
        self.db.execute("SAVEPOINT oamkit_write")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO oamkit_write")
            self.db.execute("RELEASE oamkit_write")
            raise
        self.db.execute("RELEASE oamkit_write")
        batch.snapshots += snapshot
        if batch.snapshots >= batch.size:
            self._commit_batch()

    def _retried(self, write, snapshot: bool = False):
        """Run `write()` (statements on self.db) as one write. With `fallback`, a write the file
        refuses (read-only, full, I/O error, locked past BUSY_TIMEOUT, damaged) moves the run to
        memory (`_go_on_in_memory`) and is made there."""
        with self._lock:
            try:
                with self._write(snapshot):
                    return write()
            except (HistoryNotWritten, InputError, sqlite3.DatabaseError) as exc:
                if not self._fallback:
                    raise
                self._go_on_in_memory(exc, "this run's writes did not all reach it")
            with self._write(snapshot):
                return write()

    def store(self, snap: Snapshot) -> int:
        return self._retried(partial(self._store, snap), snapshot=True)

    def _store(self, snap: Snapshot) -> int:
        cur = self.db.execute(
            "INSERT INTO snapshots (host, platform, ts, taken_at, ok, error, seconds, role_errors, "
            "uptime_s) VALUES (?,?,?,?,?,?,?,?,?)",
            (snap.host, snap.platform, snap.ts, snap.taken_at, int(snap.ok), snap.error,
             snap.seconds, json.dumps(snap.role_errors) if snap.role_errors else None,
             snap.uptime_s))
        sid = cur.lastrowid
        self.db.executemany(
            "INSERT INTO interfaces VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(sid, snap.host, i.interface, snap.ts, _to_db(i.crc_errors), _to_db(i.frame_errors),
              _to_db(i.input_errors), _to_db(i.link_events), i.discovery_state,
              None if i.link_monitoring is None else int(i.link_monitoring), i.mode,
              json.dumps(i.oam, default=str) if i.oam else None)
             for i in snap.interfaces.values()])
        self.db.executemany(
            "INSERT OR IGNORE INTO link_events VALUES (?,?,?,?,?,?)",
            [(snap.host, e["interface"], e.get("ts", snap.ts), e["event_type"],
              e.get("location"), e.get("detail")) for e in snap.events])
        return sid

    def mark_checked(self, host: str, interface: str, ts: float, link_events: int | None) -> None:
        self.mark_checked_all([(host, interface, ts, link_events)])

    def mark_checked_all(self, marks, judged=()) -> None:
        """Move the link-event markers, `(host, interface, ts, link_events)` each, and record
        the snapshots the check judged, `(host, snapshot_id)` each (the next check's error rate
        runs from it: `judged_snapshot`), in one write. Both only move forward, in the order
        the readings were stored (snapshot ids), whatever the clock said: two overlapping checks
        that both reported the same events leave the newer reading's count, whichever finishes
        last, and a marker dated in the future by a run before the clock stepped back is moved
        by the next check (by time, it stayed: every check until the clock caught up reported
        the same events again). A marker of a host without a judged snapshot here moves by
        time."""
        self._retried(partial(self._mark, list(marks), list(judged)))

    def _mark(self, marks, judged) -> None:
        order = dict(judged)   # host -> the snapshot id this check judged
        # markers first: check_judged still holds the previous check's snapshot, the one to beat
        self.db.executemany(
            "INSERT INTO last_check VALUES (?,?,?,?) ON CONFLICT (host, interface) DO UPDATE "
            "SET ts = excluded.ts, link_events = excluded.link_events "
            "WHERE CASE WHEN ? IS NULL THEN excluded.ts >= last_check.ts ELSE NOT EXISTS ("
            "SELECT 1 FROM check_judged j WHERE j.host = excluded.host AND j.snapshot_id > ?) END",
            [(host, name, ts, _to_db(count), order.get(host), order.get(host))
             for host, name, ts, count in marks])
        self.db.executemany(
            "INSERT INTO check_judged VALUES (?,?) ON CONFLICT (host) DO UPDATE SET "
            "snapshot_id = excluded.snapshot_id WHERE excluded.snapshot_id > "
            "check_judged.snapshot_id", list(judged))

    def judged_snapshot(self, host: str) -> int | None:
        """The id of the snapshot the last check run of `host` judged (None: none recorded)."""
        with self._lock:
            row = self.db.execute("SELECT snapshot_id FROM check_judged WHERE host = ?",
                                  (host,)).fetchone()
        return row[0] if row else None

    def prune(self, older_than_ts: float) -> int:
        def delete() -> int:
            self.db.execute("DELETE FROM link_events WHERE ts < ?", (older_than_ts,))
            return self.db.execute("DELETE FROM snapshots WHERE ts < ?", (older_than_ts,)).rowcount
        return self._retried(delete)

    # ------------------------------------------------------------------ reading
    def samples(self, host: str, interface: str, since_ts: float | None = None,
                limit: int | None = None) -> list[dict]:
        """Rows of one interface, oldest first (only from snapshots that succeeded)."""
        sql = ("SELECT i.ts, i.crc_errors, i.frame_errors, i.input_errors, i.link_events, "
               "i.discovery_state, i.link_monitoring, i.mode, i.oam_json, s.uptime_s FROM interfaces i "
               "JOIN snapshots s ON s.id = i.snapshot_id WHERE s.ok = 1 AND i.host = ? "
               "AND i.interface = ?")
        args: list = [host, interface]
        if since_ts is not None:
            sql += " AND i.ts >= ?"
            args.append(since_ts)
        sql += " ORDER BY i.ts DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            rows = self.db.execute(sql, args).fetchall()
        keys = ("ts", "crc_errors", "frame_errors", "input_errors", "link_events",
                "discovery_state", "link_monitoring", "mode", "oam", "uptime_s")
        out = []
        for row in reversed(rows):
            item = dict(zip(keys, row))
            item.update({k: _from_db(item[k]) for k in _COUNTERS})
            item["oam"] = json.loads(item["oam"]) if item["oam"] else {}
            item["link_monitoring"] = None if item["link_monitoring"] is None else bool(item["link_monitoring"])
            out.append(item)
        return out

    def samples_in_order(self, host: str, interface: str, upto_id: int | None = None,
                         from_id: int | None = None, before: int = 500) -> list[dict]:
        """Rows of one interface in insertion order (snapshot ids, not timestamps: a clock
        that stepped back does not reorder them), each with its `snapshot_id` and `platform`:
        every row from snapshot `from_id` to `upto_id`, and the `before` rows preceding them."""
        base = ("SELECT s.id, s.platform, i.ts, i.crc_errors, i.frame_errors, i.oam_json, "
                "s.uptime_s FROM interfaces i JOIN snapshots s ON s.id = i.snapshot_id "
                "WHERE s.ok = 1 AND i.host = ? AND i.interface = ? AND s.id <= ?")
        upto = upto_id if upto_id is not None else 2 ** 62
        with self._lock:
            rows = []
            if from_id is not None:
                rows = self.db.execute(base + " AND s.id >= ? ORDER BY s.id",
                                       (host, interface, upto, from_id)).fetchall()
                upto = from_id - 1
            rows = self.db.execute(base + f" ORDER BY s.id DESC LIMIT {int(before)}",
                                   (host, interface, upto)).fetchall()[::-1] + rows
        keys = ("snapshot_id", "platform", "ts", "crc_errors", "frame_errors", "oam", "uptime_s")
        out = []
        for row in rows:
            item = dict(zip(keys, row))
            item.update({k: _from_db(item[k]) for k in ("crc_errors", "frame_errors")})
            item["oam"] = json.loads(item["oam"]) if item["oam"] else {}
            out.append(item)
        return out

    def latest_snapshot(self, host: str) -> dict | None:
        with self._lock:
            row = self.db.execute("SELECT id, ts, ok, error FROM snapshots WHERE host = ? "
                                  "ORDER BY ts DESC LIMIT 1", (host,)).fetchone()
        return dict(zip(("id", "ts", "ok", "error"), row)) if row else None

    def last_check(self, host: str, interface: str) -> dict | None:
        with self._lock:
            row = self.db.execute("SELECT ts, link_events FROM last_check WHERE host=? AND "
                                  "interface=?", (host, interface)).fetchone()
        return {"ts": row[0], "link_events": _from_db(row[1])} if row else None

    def events_since(self, host: str, interface: str, since_ts: float) -> list[dict]:
        with self._lock:
            rows = self.db.execute("SELECT ts, event_type, location, detail FROM link_events "
                                   "WHERE host=? AND interface=? AND ts > ? ORDER BY ts",
                                   (host, interface, since_ts)).fetchall()
        return [dict(zip(("ts", "event_type", "location", "detail"), r)) for r in rows]

    def hosts(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT DISTINCT host FROM snapshots ORDER BY host")]

    def counts(self) -> dict:
        with self._lock:
            return {t: self.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("snapshots", "interfaces", "link_events")}


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class _Batch:
    """The batch being written: how many snapshots it holds, and the timer that commits it
    once it is `seconds` old."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self.snapshots = 0
        self.opened = 0.0
        self._timer: threading.Timer | None = None

    def start_timer(self, commit) -> None:
        self.opened = time.monotonic()
        self._timer = threading.Timer(self.seconds, commit, (self, self.opened))
        self._timer.daemon = True
        self._timer.start()

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
