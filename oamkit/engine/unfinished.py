"""A host whose last change oamkit never finished, found in the change log before the host is
touched again.

A push killed while a host was `changing`, or a host that ended `failed-needs-attention`, may
hold part of a change with a revert timer or confirmed commit still pending. A new push that
read such a device would find it equal to the intent (`unchanged`, and the device reverts a
few minutes later), or confirm the pending commit and back up the half state as if it were
what the device should go back to. So a push refuses such a host (nothing is sent), and a
diff warns about it; `rollback --change ID` (which restores that change's backup) or a push
with --over-unfinished (a human checked the device) resolves it.

Per host, the change log is read newest first; what counts is the most recent change that did
something to the host:
  - a change still running in another process (its journal lock is held) is skipped: the
    host locks deal with it;
  - an outcome that sent nothing (error, locked, not-attempted, pending), or a change that took
    no backup of the host (its backup is on disk before the first configuration command: a
    push that found it `unchanged` confirmed nothing) is skipped, unless that push went over
    the host with --over-unfinished (its journal says so): a human settled it;
  - a rollback that failed and put the device back (`failed-rolled-back`) left the host as it
    was before that rollback: skipped too;
  - `changing`/`backed-up` in a change whose process died, and `failed-needs-attention`, are
    unfinished;
  - anything else (changed, unchanged, a push's failed-rolled-back: a push only runs over a
    finished host or with --over-unfinished) is finished.
This runs in the process that starts the fleet run, where the state folder is; not in the
workers (Dask), which may not see it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from oamkit import backups, changelog, statedir
from oamkit.engine.results import ERROR, LOCKED, NEEDS_ATTENTION, NOT_ATTEMPTED, ROLLED_BACK, SKIPPED
from oamkit.errors import InputError

OVERRIDE = "--over-unfinished"
_SENT_NOTHING = {ERROR, LOCKED, NOT_ATTEMPTED, SKIPPED, changelog.PENDING}
_CAUGHT = {changelog.CHANGING, changelog.BACKED_UP}


@dataclass(frozen=True)
class Unfinished:
    """A host's most recent change, left unfinished."""

    host: str
    change_id: str
    action: str
    state: str              # the host's state in it: changing, backed-up, failed-needs-attention
    undo: str               # the change `rollback --change` should take to put the host back
    detail: str | None = None   # what that change's report said about the host

    @property
    def known(self) -> str:
        if self.state in _CAUGHT:
            return (f"caught mid-change by a killed run (its process died while the host was "
                    f"{self.state}); the device may hold part of the change, and a revert timer "
                    "or confirmed commit may be pending")
        said = f": {_short(self.detail)}" if self.detail else ""
        return f"it ended {self.state}{said}"

    @property
    def way_out(self) -> str:
        return (f"put it back to that change's backup with `oamkit rollback --change {self.undo} "
                f"--limit {self.host}`, or, once you have checked the device by hand, push it "
                f"with {OVERRIDE}")

    def refusal(self) -> str:
        return (f"{self.host}: its last change {self.change_id} ({self.action}) is unfinished: "
                f"{self.known}. Nothing was sent to this host. To go on, {self.way_out}")

    def warning(self) -> str:
        return (f"its last change {self.change_id} ({self.action}) is unfinished: {self.known}. "
                f"A push refuses this host until you {self.way_out}")


def find(hosts, entries: list[dict] | None = None) -> dict[str, Unfinished]:
    """host -> its unfinished last change, for the hosts whose last change is unfinished."""
    wanted = set(hosts)
    if not wanted:
        return {}
    entries = changelog.list_changes() if entries is None else entries
    found: dict[str, Unfinished] = {}
    settled: set[str] = set()
    taken: dict[str, set[str]] = {}
    for entry in reversed(entries):   # newest first
        if settled >= wanted:
            break
        if entry.get("state") == changelog.IN_PROGRESS:
            continue
        change_id = str(entry.get("id") or "")
        for host, state in (entry.get("hosts") or {}).items():
            if host not in wanted or host in settled or state in _SENT_NOTHING:
                continue
            rollback = not changelog.is_push(entry)
            if rollback and state == ROLLED_BACK:
                continue
            if change_id not in taken:
                taken[change_id] = _backed_up(change_id)
            backed_up = host in taken[change_id]
            if not backed_up and host not in (entry.get("over_unfinished") or ()):
                continue
            settled.add(host)
            if backed_up and (state in _CAUGHT or state == NEEDS_ATTENTION):
                action = str(entry.get("action") or "change")
                undo = action.split(" ")[1] if rollback and action.startswith("rollback ") \
                    and statedir.CHANGE_ID.fullmatch(action.split(" ")[1]) else change_id
                found[host] = Unfinished(host, change_id, action, state, undo,
                                         _detail(change_id, host))
    return found


def _backed_up(change_id: str) -> set[str]:
    try:
        folder = statedir.change_folder(change_id)
    except InputError:   # an index line with no valid id: no backup of ours
        return set()
    return set(backups.read(folder)) if folder.is_dir() else set()


def _detail(change_id: str, host: str) -> str | None:
    """What the change's report said about the host (results.json), if it got that far."""
    path: Path = statedir.change_folder(change_id) / "results.json"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    for result in results if isinstance(results, list) else []:
        if isinstance(result, dict) and result.get("host") == host:
            said = "; ".join(str(result[k]).strip().rstrip(".")
                             for k in ("error", "detail") if result.get(k))
            return said or None
    return None


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
