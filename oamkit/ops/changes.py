"""Operations that change (or would change) devices: `diff`, `push`, `rollback`.

Each takes an inventory and a selection, runs the change engine across the fleet
(`runner.run_fleet`, canary and batches included) and returns a `ChangeRun`. The CLI, the
playbook steps and Python callers all go through here, so they behave the same.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from oamkit import backups, changelog, engine, maintenance, statedir
from oamkit.engine import HostResult, unfinished
from oamkit.errors import InputError, Problem, require_numbers
from oamkit.executors import HostJob
from oamkit.ops.selection import InventoryLike, select, split_down
from oamkit.runner import MAX_TIMEOUT, Rollout, interrupted, run_fleet

OnDone = Callable[[object], None] | None


@dataclass
class ChangeRun:
    """What a diff, push or rollback did: one `HostResult` per host, in selection order."""

    action: str
    results: list[HostResult]
    change_id: str | None = None          # push and rollback: the id `rollback --change` takes
    stopped: str | None = None            # why the rollout stopped early (canary, failures, Ctrl-C)
    inventory: Path | None = None
    # host -> what its plan reports: roundings, fallbacks, keys left out (on_unsupported: skip)
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def outcomes(self) -> dict[str, int]:
        """How many hosts ended in each outcome (always what `results` says now)."""
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        return counts

    @property
    def exit_code(self) -> int:
        """As the command exits: 130 after Ctrl-C (what was done is reported all the same)."""
        if interrupted(self.stopped):
            return 130
        return int(engine.exit_code(self.results))

    @property
    def changed(self) -> list[str]:
        return [r.host for r in self.results if r.outcome == engine.CHANGED]

    @property
    def failed(self) -> list[str]:
        return [r.host for r in self.results
                if r.outcome not in (engine.CHANGED, engine.UNCHANGED, engine.SKIPPED)]

    def as_dict(self) -> dict:
        return {"ok": self.exit_code == 0, "exit_code": self.exit_code, "action": self.action,
                "change_id": self.change_id, "stopped": self.stopped, "outcomes": self.outcomes,
                "changed": self.changed, "failed": self.failed,
                "hosts": [{**r.as_dict(), "notes": self.notes.get(r.host, [])}
                          for r in self.results]}


def _plan_notes(chosen) -> dict[str, list[str]]:
    return {p.host.name: list(p.notes) for p in chosen.plans if p.notes}


def _set_aside_down(plans, notes: dict[str, list[str]]) -> tuple[list, dict[str, HostResult]]:
    """(plans to run, host -> its `skipped` result): hosts marked down in the inventory are not
    contacted; a host inside a maintenance window is worked on, with a note saying so."""
    contact, down, held = split_down(plans)
    for plan in contact:
        if held[plan.host.name]:
            notes.setdefault(plan.host.name, []).append(maintenance.in_window(held[plan.host.name]))
    return contact, {p.host.name: HostResult(p.host.name, p.platform.name, engine.SKIPPED,
                                             detail=maintenance.not_contacted(status))
                     for p, status in down}


def _in_order(plans, ran: list[HostResult], aside: dict[str, HostResult]) -> list[HostResult]:
    """Every host's result in selection order: those run and those set aside before the run."""
    if not aside:
        return ran
    by_host = {r.host: r for r in ran}
    return [aside.get(p.host.name) or by_host[p.host.name] for p in plans]


def diff(inventory: InventoryLike = None, filter: list[str] | None = None,
         limit: str | list[str] | None = None, *, workers: int = 20, timeout: float = 120.0,
         executor=None, on_done: OnDone = None) -> ChangeRun:
    """Per host, the exact commands a push would send. Sends no configuration command. A host
    whose last change is unfinished (see `engine.unfinished`) gets a warning in `notes`: a
    push would refuse it."""
    chosen = select(inventory, filter, limit)
    notes = _plan_notes(chosen)
    contact, down = _set_aside_down(chosen.plans, notes)
    left = unfinished.find(chosen.hosts)
    for result in down.values():
        if on_done:
            on_done(result)
    results, stopped = run_fleet(contact, HostJob.make("diff", chosen.inventory),
                                 Rollout(workers, timeout), on_done=on_done, executor=executor)
    results = _in_order(chosen.plans, results, down)
    for host, found in left.items():
        notes[host] = [found.warning(), *notes.get(host, [])]
    return ChangeRun("diff", results, stopped=stopped, inventory=chosen.inventory.path,
                     notes=notes)


def push(inventory: InventoryLike = None, filter: list[str] | None = None,
         limit: str | list[str] | None = None, *, workers: int = 20, timeout: float = 120.0,
         canary: int = 0, batch_size: int = 0, max_failures: int | None = None,
         confirm_timeout: int = 120, executor=None, on_done: OnDone = None,
         action: str = "push", over_unfinished: bool = False) -> ChangeRun:
    """Back up, apply only the delta, commit (confirmed where the platform can), read back,
    verify, health gate, confirm; any failure rolls that host back and verifies it. The change
    is journalled (`changelog`) before the first device is touched.

    A host whose last change is unfinished (a killed run caught it mid-change, or it ended
    failed-needs-attention: see `engine.unfinished`) is refused, outcome `error`, and nothing
    is sent to it, unless `over_unfinished` (a human checked the device by hand)."""
    # it becomes part of a device command (`commit confirmed N`, `revert timer N`)
    require_numbers(("--confirm-timeout", confirm_timeout, 30, MAX_TIMEOUT, True, False))
    chosen = select(inventory, filter, limit)
    inv = chosen.inventory
    left = unfinished.find(chosen.hosts)   # here, where the state folder is, not in a worker
    notes = _plan_notes(chosen)
    # set aside before the run, nothing sent: hosts marked down, and (below) unfinished ones
    contact, aside = _set_aside_down(chosen.plans, notes)
    for plan in contact:
        found = left.get(plan.host.name)
        if found is None:
            continue
        if over_unfinished:
            notes.setdefault(found.host, []).append(
                f"pushed over its unfinished change {found.change_id} ({found.state}): "
                f"{unfinished.OVERRIDE}")
        else:
            aside[found.host] = HostResult(found.host, plan.platform.name, engine.ERROR,
                                           error=found.refusal())
    change_id = engine.new_change_id()
    job = HostJob.make("push", inv, change_id=change_id, confirm_timeout=confirm_timeout,
                       over_unfinished=tuple(sorted((h, f.change_id) for h, f in left.items()
                                                    if h not in aside)))
    journal = changelog.begin(change_id, action, chosen.hosts, inv.path,
                              [h for h in left if h not in aside])
    for result in aside.values():
        _both(journal.host_done, on_done)(result)
    results, stopped = run_fleet([p for p in chosen.plans if p.host.name not in aside], job,
                                 Rollout(workers, timeout, canary, batch_size, max_failures),
                                 on_done=_both(journal.host_done, on_done), executor=executor)
    results = _in_order(chosen.plans, results, aside)
    engine.record_change(change_id, action, results, inv.path, stopped)
    return ChangeRun(action, results, change_id, stopped, inv.path, notes=notes)


def find_change(change: str, entries: list[dict] | None = None) -> dict:
    """The change a user named: an id oamkit made, or `last` (the most recent push that backed
    up a device: a re-push that found nothing to do has nothing to restore). Exit 2 naming the
    value otherwise: nothing is sent and no path is built from it."""
    if not isinstance(change, str):   # a number was a TypeError deep in the id check
        raise InputError([Problem("must be a change id (a string) or 'last'", field="--change",
                                  value=repr(change))])
    entries = engine.list_changes() if entries is None else entries
    if change == "last":
        pushes = [e for e in entries if changelog.is_push(e)]
        for entry in reversed(pushes):
            folder = engine.change_folder(entry["id"], "--change")
            if folder.is_dir() and backups.read(folder):
                return entry
        raise InputError([Problem("no push has changed a device yet (see `oamkit changes`)"
                                  if pushes else "no push recorded yet (see `oamkit changes`)",
                                  field="--change", value=change)])
    if not statedir.CHANGE_ID.fullmatch(change or ""):
        raise InputError([Problem("not a change id (like 20240131T235959Z-1a2b3c) or 'last'",
                                  field="--change", value=change)])
    found = {e.get("id"): e for e in entries}.get(change)
    if found is None:
        found = changelog.read(engine.change_folder(change, "--change"))
    if found is None and not backups.read(engine.change_folder(change, "--change")):
        raise InputError([Problem("unknown change id (see `oamkit changes`)", field="--change",
                                  value=change)])
    return found or {"id": change, "action": "unknown", "inventory": None, "hosts": {}}


def rollback(change: str, inventory: InventoryLike = None, filter: list[str] | None = None,
             limit: str | list[str] | None = None, *, workers: int = 20, timeout: float = 120.0,
             on_done: OnDone = None) -> ChangeRun:
    """Restore the backups a past change took: every host it backed up (changed, needing
    attention, or caught mid-change by a killed run) whose configuration now differs from its
    backup. A host equal to its backup is left alone, so running it twice is safe. Without an
    inventory, the one the change was made with."""
    entry = find_change(change)
    change_id = entry["id"]
    taken = backups.read(engine.change_folder(change_id))
    recorded = entry.get("inventory")
    if inventory is None and recorded:
        if not Path(recorded).is_dir():
            raise InputError([Problem(f"change {change_id} was made with inventory {recorded}, "
                                      "which is gone; name one with -i", field="--inventory",
                                      value=recorded)])
        inventory = Path(recorded)
    chosen = select(inventory, filter, limit)
    inv = chosen.inventory
    plans = [p for p in chosen.plans if p.host.name in taken]
    contact, down = _set_aside_down(plans, {})
    new_id = engine.new_change_id()
    action = f"rollback {change_id}"
    journal = changelog.begin(new_id, action, [p.host.name for p in plans], inv.path)
    for result in down.values():
        _both(journal.host_done, on_done)(result)
    results, stopped = run_fleet(
        contact, lambda plan, deadline: engine.rollback_host(inv, plan, deadline, change_id, new_id),
        Rollout(workers, timeout), on_done=_both(journal.host_done, on_done))
    results = _in_order(plans, results, down)
    if not filter and not limit:   # backed up, but the inventory no longer has them
        results += [HostResult(host, taken[host].platform, engine.ERROR,
                               error=f"not in the inventory {inv.path}; nothing was sent",
                               detail=f"its backup: oamkit changes --change {change_id} --host {host}")
                    for host in sorted(set(taken) - set(inv.hosts))]
    results += _backups_not_here(entry, taken, chosen, filter or limit)
    engine.record_change(new_id, action, results, inv.path, stopped)
    return ChangeRun(action, results, new_id, stopped, inv.path)


# What a change recorded for a host whose device it touched (or may have).
_TOUCHED = (engine.CHANGED, engine.NEEDS_ATTENTION)


def _backups_not_here(entry: dict, taken: dict, chosen, selected) -> list[HostResult]:
    """Hosts the change recorded as changed (or needing attention) whose backup is not in this
    state folder: a push on Dask workers with their own OAMKIT_STATE_DIR wrote it there. Such
    a host was silently left out (`hosts: []`, exit 0) although it was changed: now it is
    failed-needs-attention (exit 3), nothing sent."""
    recorded = entry.get("hosts") if isinstance(entry.get("hosts"), dict) else {}
    names = {p.host.name: p for p in chosen.plans}
    out = []
    for host, outcome in sorted(recorded.items()):
        if outcome not in _TOUCHED or host in taken or (selected and host not in names):
            continue
        platform = names[host].platform.name if host in names else "unknown"
        out.append(HostResult(
            host, platform, engine.NEEDS_ATTENTION,
            error=f"{host} was {'changed' if outcome == engine.CHANGED else 'left ' + outcome} "
                  f"by change {entry['id']} but its backup is not in "
                  f"{statedir.state_dir()}: it was written where the push ran (a Dask worker "
                  "with its own OAMKIT_STATE_DIR?); nothing was sent",
            detail="run the rollback where that backup is, or with OAMKIT_STATE_DIR pointing at it"))
    return out


def _both(first, second):
    if second is None:
        return first

    def done(result) -> None:
        first(result)
        second(result)
    return done
