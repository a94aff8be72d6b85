"""The change journal: what a push or rollback is doing, on disk while it happens, so that a run
killed mid-flight (SIGKILL, a power cut) is listed and can be undone.

`changes/<id>/change.jsonl` under the state folder, one JSON record a line:
  {"id", "action", "who", "when", "inventory", "state": "in-progress", "hosts": [...], "pid"}
        first (a push with --over-unfinished adds "over_unfinished": [the hosts it went over]);
        on disk (fsync, and its folder's) before any device is touched;
  {"host", "state": "changing", "when"}
        once the host's backup is durable, just before its first configuration command. Not
        synced itself: the backup record (synced) is what a crash must not lose, and a host
        whose "changing" record a power cut took lists as "backed-up";
  {"host", "state": OUTCOME, "when"}
        as each host's result comes in (unchanged, changed, failed-rolled-back, locked, ...);
  {"state": "done", "when", "stopped", "hosts": {host: outcome}}
        last, synced (which also makes every record before it durable).

The run holds an exclusive flock on the journal from its first record to its last. The kernel
drops it when the process dies, however it dies: a change with no "done" record whose lock is
free is `interrupted`, one whose lock is held is `in-progress` (no pid to trust).

`changes.jsonl` keeps one summary line per finished change, as before this journal, and old
state folders list from it alone; changes not in it (interrupted, running) are found by
their journals.
"""
from __future__ import annotations

import fcntl
import getpass
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from oamkit import backups, statedir

JOURNAL = "change.jsonl"
INDEX = "changes.jsonl"
IN_PROGRESS, INTERRUPTED, DONE = "in-progress", "interrupted", "done"
PENDING, BACKED_UP, CHANGING = "pending", "backed-up", "changing"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _line(record: dict) -> bytes:
    return (json.dumps(record) + "\n").encode()





class ChangeRun:
    """One push or rollback as it runs in this process (the process that reports it)."""

    def __init__(self, change_id: str, action: str, hosts: list[str], inventory,
                 over_unfinished: list[str] | None = None) -> None:
        self.id, self.action, self.inventory = change_id, action, str(inventory)
        self.over_unfinished = sorted(over_unfinished or [])
        self.started = _now()
        folder = statedir.change_folder(change_id)
        statedir.private_dir(folder)
        self.path = folder / JOURNAL
        self._lock = threading.Lock()
        self._fd = statedir.open_private(self.path, os.O_WRONLY | os.O_APPEND)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)   # a new id: nobody else has it
        first = {"id": change_id, "action": action, "who": getpass.getuser(), "when": self.started,
                 "inventory": self.inventory, "state": IN_PROGRESS, "hosts": list(hosts),
                 "pid": os.getpid()}
        if self.over_unfinished:
            first["over_unfinished"] = self.over_unfinished
        os.write(self._fd, _line(first))
        os.fsync(self._fd)
        for name in (folder, folder.parent):   # the new names too, not only the bytes
            backups.fsync_dir(name)

    def host_done(self, result) -> None:
        """A host's outcome, as it comes in (the runner's on_done)."""
        with self._lock:
            if self._fd >= 0:
                os.write(self._fd, _line({"host": result.host, "state": result.outcome, "when": _now()}))

    def finish(self, results, stopped: str | None = None) -> None:
        outcomes = {r.host: r.outcome for r in results}
        with self._lock:
            if self._fd < 0:
                return
            try:
                os.write(self._fd, _line({"state": DONE, "when": _now(), "stopped": stopped,
                                          "hosts": outcomes}))
                os.fsync(self._fd)
            finally:
                os.close(self._fd)   # drops the flock: the change is over
                self._fd = -1
        _running.pop(self.id, None)


_running: dict[str, ChangeRun] = {}


def begin(change_id: str, action: str, hosts: list[str], inventory,
          over_unfinished: list[str] | None = None) -> ChangeRun:
    """The change's first record, durable, before any device is touched. `over_unfinished`:
    the hosts a push goes over although their last change is unfinished (`engine.unfinished`)."""
    run = ChangeRun(change_id, action, hosts, inventory, over_unfinished)
    _running[change_id] = run
    return run


def running(change_id: str) -> ChangeRun | None:
    return _running.get(change_id)


def mark(change_folder: Path, host: str, state: str) -> None:
    """A host's state from the per-host engine (possibly in a Dask worker process)."""
    backups.append(change_folder / JOURNAL, _line({"host": host, "state": state, "when": _now()}),
                   durable=False)


def finish(change_id: str, action: str, results, inventory, stopped: str | None = None) -> None:
    """The change is over: its last journal record, results.json and its line in the index."""
    folder = statedir.change_folder(change_id)
    backups.close(folder)
    run = _running.get(change_id)
    if run is not None:
        run.finish(results, stopped)
    elif (folder / JOURNAL).is_file():   # hosts were marked, though nobody called begin()
        backups.append(folder / JOURNAL, _line({"state": DONE, "when": _now(), "stopped": stopped,
                                                "hosts": {r.host: r.outcome for r in results}}))
        backups.close(folder)
    statedir.private_dir(folder)
    statedir.write_private(folder / "results.json", json.dumps([r.as_dict() for r in results], indent=2))
    entry = {"id": change_id, "action": action, "who": getpass.getuser(),
             "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "inventory": str(inventory), "hosts": {r.host: r.outcome for r in results}}
    if run is not None:
        entry["started"] = run.started
        if run.over_unfinished:
            entry["over_unfinished"] = run.over_unfinished
    fd = statedir.open_private(statedir.state_dir() / INDEX, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, _line(entry))
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- reading
def _still_running(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def read(folder: Path) -> dict | None:
    """One change's journal summed up: the index entry's fields plus `state` and each host's
    last known state; None when the change has no journal (made before it)."""
    path = folder / JOURNAL
    if not path.is_file():
        return None
    entry: dict = {"id": folder.name, "action": "unknown", "who": None, "when": None,
                   "inventory": None, "hosts": {}}
    done = None
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue   # a torn last line
        if "id" in record:
            entry.update({k: record.get(k) for k in ("id", "action", "who", "when", "inventory")})
            entry["started"] = record.get("when")
            entry["pid"] = record.get("pid")
            if record.get("over_unfinished"):
                entry["over_unfinished"] = record["over_unfinished"]
            entry["hosts"] = {h: PENDING for h in record.get("hosts", [])} | entry["hosts"]
        elif "host" in record:
            entry["hosts"][record["host"]] = record["state"]
        elif record.get("state") == DONE:
            done = record
    if done is not None:
        entry["hosts"].update(done.get("hosts", {}))
        entry.update(state=DONE, stopped=done.get("stopped"))
        return entry
    entry["state"] = IN_PROGRESS if _still_running(path) else INTERRUPTED
    for host in backups.read(folder):   # durable even where a "changing" record was lost
        if entry["hosts"].get(host, PENDING) == PENDING:
            entry["hosts"][host] = BACKED_UP
    return entry


def _started(entry: dict) -> datetime:
    for key in ("started", "when"):
        try:
            value = datetime.fromisoformat(entry[key])
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        except (KeyError, TypeError, ValueError):
            continue
    return datetime.min.replace(tzinfo=timezone.utc)


def list_changes() -> list[dict]:
    """Every change, oldest first: finished ones from the index, the rest (interrupted,
    running) from their journals."""
    root = statedir.state_dir()
    entries: list[dict] = []
    index = root / INDEX
    if index.is_file():
        for line in index.read_text(errors="replace").splitlines():
            try:
                entries.append({"state": DONE, **json.loads(line)})
            except ValueError:
                continue
    listed = {e.get("id") for e in entries}
    changes = root / "changes"
    if changes.is_dir():
        for folder in sorted(changes.iterdir()):
            if folder.name in listed or not statedir.CHANGE_ID.fullmatch(folder.name):
                continue
            entry = read(folder)
            if entry is not None:
                entries.append(entry)
    return sorted(entries, key=_started)   # stable: the index's order among equals


def is_push(entry: dict) -> bool:
    """A push (the command's or a playbook's), as opposed to a rollback."""
    return str(entry.get("action", "")).split(" ")[0] == "push"
