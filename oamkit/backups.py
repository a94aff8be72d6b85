"""Backups a change takes before it touches a device: one append-only journal per change
(`changes/<id>/backups.jsonl` under the state folder), a JSON record per host.

Durable before the device is touched: `append` returns only once the record is on disk
(fdatasync), so a control host that loses power mid-push still holds what `rollback --change`
restores. Concurrent hosts share their syncs (group commit, as a database's write-ahead log
does): whoever finds no sync under way syncs everything written so far, and the others wait
for that sync instead of issuing their own. A file and three fsyncs per host (the layout before
this journal) cost about a quarter of a 200-device push's time on this machine's disk; the
journal costs one fsync per batch of hosts that reach this point together.

A crash can leave a torn last line. Its host was not touched yet (the device is only touched
after the record is durable), so readers skip a line that does not parse.

Several processes (Dask workers on one machine) may append to the same journal: each record is
one write() to a file opened with O_APPEND, and each process syncs its own records.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from oamkit import statedir

JOURNAL = "backups.jsonl"


@dataclass(frozen=True)
class Backup:
    host: str
    platform: str
    form: str        # "cli" (the managed configuration as text) or "netconf" (XML)
    taken: str       # ISO time, UTC
    managed: str     # what a rollback restores
    running: str     # the device's whole answer, for a human
    # the interfaces oamkit managed on the host then (None: a backup taken before this was
    # kept); a rollback restores them even if the inventory no longer names them
    interfaces: list[str] | None = None


class Journal:
    """One change's backup journal in this process."""

    def __init__(self, path: Path):
        self.path = path
        created = not path.exists()
        statedir.private_dir(path.parent)
        self._fd = statedir.open_private(path, os.O_WRONLY | os.O_APPEND)
        if created:   # the new names too, not only the bytes: the journal, its change folder
            for folder in (path.parent, path.parent.parent):
                fsync_dir(folder)
        self._state = threading.Condition()
        self._written = self._synced = 0
        self._syncing = False

    def append(self, data: bytes, durable: bool = True) -> None:
        """Write one record (one write(): whole even with other processes appending); when
        `durable`, return once it is on disk (possibly by another thread's sync)."""
        with self._state:
            os.write(self._fd, data)
            self._written += 1
            if not durable:
                return
            mine = self._written
            while self._synced < mine:
                if self._syncing:
                    self._state.wait()
                    continue
                self._syncing, through, synced = True, self._written, False
                self._state.release()
                try:
                    os.fdatasync(self._fd)
                    synced = True
                finally:   # a failed sync: its error is this caller's; a waiter tries anew
                    self._state.acquire()
                    self._syncing = False
                    if synced:
                        self._synced = max(self._synced, through)
                    self._state.notify_all()

    def close(self) -> None:
        with self._state:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new files, renames) durable, not only the files' bytes."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_journals: dict[Path, Journal] = {}
_writers: dict[Path, int] = {}   # appends under way per journal
_journals_lock = threading.Lock()
# A long-lived process (a Dask worker of an external cluster) sees change after change and
# never hears that one ended: beyond this many open journals, idle ones are closed (an append
# to a closed one opens it again).
OPEN_JOURNALS = 8


def record(change_folder: Path, host: str, platform: str, form: str, managed: str,
           running: str, interfaces: list[str] | None = None) -> Path:
    """Append a host's backup to the change's journal, durably; -> the journal's path."""
    return record_many(change_folder, [(host, platform, form, managed, running, interfaces)])


def record_many(change_folder: Path, entries: list[tuple]) -> Path:
    """Append hosts' backups, each (host, platform, form, managed, running[, interfaces]), to
    the change's journal; return once all are durable (one sync: the last append's covers the
    file)."""
    path = change_folder / JOURNAL
    taken = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for n, (host, platform, form, managed, running, *interfaces) in enumerate(entries, 1):
        backup = Backup(host, platform, form, taken, managed, running,
                        interfaces[0] if interfaces else None)
        append(path, (json.dumps(backup.__dict__) + "\n").encode(), durable=n == len(entries))
    return path


def append(path: Path, data: bytes, durable: bool = True) -> None:
    """Append one record to a journal of this process's open set (any journal in a change
    folder: the backups, the change journal of `changelog`)."""
    with _journals_lock:
        journal = _journals.get(path)
        if journal is None:
            journal = _journals[path] = Journal(path)
            for idle in [p for p in _journals if p != path and not _writers.get(p)]:
                if len(_journals) <= OPEN_JOURNALS:
                    break
                _journals.pop(idle).close()
        _writers[path] = _writers.get(path, 0) + 1
    try:
        journal.append(data, durable)
    finally:
        with _journals_lock:
            _writers[path] -= 1
            if not _writers[path]:
                del _writers[path]


def close(change_folder: Path) -> None:
    """The change is over in this process: release its journals."""
    with _journals_lock:
        closing = [_journals.pop(p) for p in list(_journals) if p.parent == change_folder]
    for journal in closing:
        journal.close()


def read(change_folder: Path) -> dict[str, Backup]:
    """Every host's backup in a change (the first record of a host wins: it is the state
    before the change touched it). Changes made before the journal kept a file per host
    (`backups/<host>.cfg` and `.running.txt`); those are read too."""
    found: dict[str, Backup] = {}
    path = change_folder / JOURNAL
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                entry = Backup(**json.loads(line))
            except (ValueError, TypeError):
                continue   # a torn last line: that host was not touched
            found.setdefault(entry.host, entry)
    legacy = change_folder / "backups"
    if legacy.is_dir():
        for file in sorted(legacy.glob("*.cfg")):
            managed, running = file.read_text(), file.with_name(f"{file.stem}.running.txt")
            form = "netconf" if managed.lstrip().startswith("<") else "cli"
            found.setdefault(file.stem, Backup(file.stem, "", form, "", managed,
                                               running.read_text() if running.is_file() else ""))
    return found
