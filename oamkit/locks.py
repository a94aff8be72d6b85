"""Per-device locks: one oamkit run at a time changes (or rolls back) a device.

`locks/<host>.lock` under the state folder, held with flock(LOCK_EX | LOCK_NB) on an open file
for the whole of a host's push or rollback. flock rather than a pid file: the kernel releases
it when the holding process dies, however it dies, so a dead holder never needs guessing at
(pid reuse cannot fool it). Non-blocking: the asyncssh runner runs hosts as greenlets on one
event loop, and a waiting lock would stall every host; a held lock is an immediate answer.

The file says who holds it (pid, change id, since when) for the message the loser prints. A
holder that ends normally empties it before unlocking; so a lock taken over a non-empty file
was left by a process that died mid-change, and the run says so.

Scope: processes sharing the state folder (one control host, or Dask workers on it). Workers
on other machines have their own state folders and do not see these locks.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from oamkit import statedir


class HostLocked(Exception):
    """Another live run holds the host's lock."""


@dataclass
class HeldLock:
    fd: int
    path: Path
    took_over: str | None   # what the run says about a dead holder's lock it took

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            os.ftruncate(self.fd, 0)   # an empty file: nobody died holding it
        finally:
            os.close(self.fd)   # closing the last descriptor drops the flock
            self.fd = -1


def lock_path(host: str) -> Path:
    folder = statedir.private_dir(statedir.state_dir() / "locks")
    return folder / f"{statedir.file_name_for(host)}.lock"


def _holder(fd: int) -> dict:
    try:
        text = os.pread(fd, 4096, 0).decode(errors="replace")
        return json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}


def acquire(host: str, change_id: str) -> HeldLock:
    """Take the host's lock at once, or raise HostLocked saying who holds it."""
    path = lock_path(host)
    fd = statedir.open_private(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        who = (f"pid {holder.get('pid')}, change {holder.get('change')}, since {holder.get('since')}"
               if holder else "details not written yet")
        raise HostLocked(f"locked by another oamkit run ({who}); nothing was sent to this host")
    except BaseException:
        os.close(fd)
        raise
    previous = _holder(fd)
    took_over = (f"took over the lock of dead process {previous.get('pid')} "
                 f"(change {previous.get('change')})" if previous else None)
    mine = json.dumps({"pid": os.getpid(), "change": change_id, "host": host,
                       "since": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    os.ftruncate(fd, 0)
    os.pwrite(fd, mine.encode(), 0)
    return HeldLock(fd, path, took_over)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold `path` (a 0600 lock file beside the data it guards) exclusively for a short
    read-modify-write of a state file, e.g. the maintenance windows. Blocking, unlike a host's
    lock: the holder is another oamkit command rewriting a small file, done in milliseconds, and
    waiting is the right answer (two `maintenance add` at once must both land)."""
    fd = statedir.open_private(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)   # closing drops the flock
