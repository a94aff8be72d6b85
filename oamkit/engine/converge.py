"""The one change engine: every diff, push and rollback of one host, on every transport.

    read -> delta -> (dry run: report) -> backup -> load -> commit (confirmed) -> read back
         -> verify -> health gate -> confirm
    any failure: abandon -> read -> restore -> verify (again on a fresh session if need be)

A `ConfigDriver` (engine/driver.py) does each step its transport's way (CLI over SSH, or
NETCONF); this module decides the order, the outcome and what a human is told.
`runner.run_fleet` runs it across a fleet.
"""
from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from oamkit import backups, changelog, locks, statedir
from oamkit.engine.cli import CliDriver
from oamkit.engine.driver import ConfigDriver, Snapshot
from oamkit.engine import unfinished
from oamkit.engine.results import (CHANGED, ERROR, LOCKED, NEEDS_ATTENTION, NOT_ATTEMPTED,
                                   ROLLED_BACK, UNCHANGED, DeviceLocked, HostResult, Silenced,
                                   Unsupported, VerifyFailed)
from oamkit.inventory import Inventory
from oamkit.render import HostPlan
from oamkit.transport import greenloop, sessionlog
from oamkit.transport.base import load
from oamkit.transport.ssh import DeviceRejected, TransportError

RESTORE_CONFIRM_TIMEOUT = 120   # seconds a restore stays revertible before it is confirmed
# Of a host's deadline, what the change may not use: it is kept for putting the device back
# (a quarter, at most this many seconds). Without it a health gate that waited until the
# deadline, or a slow device, left the restore no time: "needs attention", the device holding
# the change until its own revert timer (and for good where it has none).
RESTORE_RESERVE = 30.0
Target = Callable[[ConfigDriver, Snapshot], object]   # (driver, running before) -> target


def open_driver(inventory: Inventory, plan: HostPlan, deadline: float) -> ConfigDriver:
    """The driver for the host's transport (`transport: ssh|netconf`). Raises TransportError
    when the device cannot be reached or refuses the login."""
    if plan.host.transport == "netconf":
        # here, not at the top: ncclient is only loaded by runs that use NETCONF, so the
        # start-up of every `oamkit` command (a Nagios check each minute) does not pay for it
        load("oamkit.engine.netconf")   # first import one thread at a time (see base.load)
        from oamkit.engine.netconf import NetconfDriver

        return NetconfDriver.open(inventory, plan, deadline)
    return CliDriver.open(inventory, plan, deadline)


# ---------------------------------------------------------------------------- per host
def diff_host(inventory: Inventory, plan: HostPlan, deadline: float) -> HostResult:
    """Read the device and report the exact delta. Sends no configuration command."""
    return converge(inventory, plan, deadline, _intent, change_id=None)


def push_host(inventory: Inventory, plan: HostPlan, deadline: float, change_id: str,
              confirm_timeout: int = 120, over_unfinished: str | None = None) -> HostResult:
    """Bring the host to its intent, holding its lock. `over_unfinished`: the change id of
    this host's unfinished change that the user chose to push over (--over-unfinished)."""
    return with_host_lock(plan, change_id, lambda: converge(
        inventory, plan, deadline, _intent, change_id, confirm_timeout, gate=True,
        refuse_pending=over_unfinished is None),
        if_taken_over=lambda: _unfinished_since_start(plan, over_unfinished))


def _unfinished_since_start(plan: HostPlan, allowed: str | None) -> HostResult | None:
    """The lock was left by a process that died holding it. The run's own check for
    unfinished changes (`ops.changes.push`, before any host) saw that process alive, or not
    yet started; if it died mid-change since, the device may hold part of that change and a
    revert timer of it may be pending: refuse the host, as that check would have."""
    left = greenloop.blocking(unfinished.find, [plan.host.name]).get(plan.host.name)
    if left is None or left.change_id == allowed:
        return None
    return HostResult(plan.host.name, plan.platform.name, ERROR,
                      error=f"{left.refusal()} (that change's process died while this run "
                            "was waiting to reach the host)")


def rollback_host(inventory: Inventory, plan: HostPlan, deadline: float, change_id: str,
                  new_change_id: str) -> HostResult:
    """Restore the backup a past change took of this host, if the device differs from it (a
    device equal to its backup is `unchanged`: nothing is sent, so running it twice is safe)."""
    backup = backups.read(change_folder(change_id)).get(plan.host.name)
    if backup is None:
        return HostResult(plan.host.name, plan.platform.name, NOT_ATTEMPTED,
                          error=f"change {change_id} took no backup of this host")
    wanted_form = "netconf" if plan.host.transport == "netconf" else "cli"
    if backup.form != wanted_form:   # the inventory now drives the host another way
        return HostResult(plan.host.name, plan.platform.name, NOT_ATTEMPTED,
                          error=f"change {change_id} backed this host up over {backup.form}, and "
                                f"the inventory now drives it over {plan.host.transport}; "
                                "nothing was sent")
    text = backup.running if backup.form == "netconf" else backup.managed
    if backup.interfaces:   # what the change managed, though the inventory may no longer name it
        gone = sorted(set(backup.interfaces) - plan.managed_interfaces)
        plan = dataclasses.replace(plan, also_managed=(*plan.also_managed, *gone))
    return with_host_lock(plan, new_change_id, lambda: converge(
        inventory, plan, deadline, lambda driver, _: driver.target_from_backup(text),
        new_change_id, goal=f"change {change_id}'s backup"))


def _intent(driver: ConfigDriver, before: Snapshot):
    """The intent, unless oamkit's part sits under a statement someone deactivated: then
    neither the delta nor a push would make the device do what the policy says (`Silenced`).
    A rollback restores its backup all the same: that puts back text, not behaviour."""
    silenced = driver.silenced(before)
    if silenced:
        raise Silenced(*silenced)
    return driver.target_from_intent()


def with_host_lock(plan: HostPlan, change_id: str, work: Callable[[], HostResult],
                   if_taken_over: Callable[[], HostResult | None] | None = None) -> HostResult:
    """`work()` holding the host's lock (see `locks`); a host another live run holds is
    `locked` and nothing is sent to it. A lock left by a dead process first asks
    `if_taken_over()`: a result from it ends the host there, with nothing sent."""
    try:
        held = locks.acquire(plan.host.name, change_id)
    except locks.HostLocked as exc:
        return HostResult(plan.host.name, plan.platform.name, LOCKED, error=str(exc))
    try:
        refused = if_taken_over() if held.took_over and if_taken_over is not None else None
        result = refused or work()
    finally:
        held.release()
    if held.took_over:
        result.detail = "; ".join(x for x in (held.took_over, result.detail) if x)
    return result


def converge(inventory: Inventory, plan: HostPlan, deadline: float, target: Target,
             change_id: str | None, confirm_timeout: int = 120, gate: bool = False,
             refuse_pending: bool = False, goal: str = "the intent") -> HostResult:
    """Bring oamkit's part of one device to `target(driver, running before)`.

    With no change id this is a dry run: the delta is reported and nothing is sent. Otherwise:
    back up, load, commit (confirmed where possible), read back, verify, health gate (`gate`:
    the intent's; a rollback, which may remove OAM, has none), confirm; on any failure abandon,
    restore what was there and verify it. `refuse_pending`: a confirmed commit someone left
    pending on the device (our commit would confirm it) ends the host before anything is sent.
    `goal` names the target in a read-back that differs from it (a rollback's is a backup)."""
    started = time.monotonic()
    result = HostResult(plan.host.name, plan.platform.name, UNCHANGED)
    change_deadline = deadline if change_id is None else \
        deadline - min(RESTORE_RESERVE, max(0.0, deadline - started) / 4)
    try:
        driver = open_driver(inventory, plan, change_deadline)
    except TransportError as exc:
        return _error(result, exc, started)
    try:
        try:
            before = driver.read()
        except (TransportError, DeviceRejected) as exc:
            return _error(result, exc, started)
        try:
            wanted = target(driver, before)
        except Silenced as exc:
            _error(result, exc, started).error = f"{plan.host.name}: {exc}"
            return result
        result.commands = driver.delta(before, wanted)
        result.diff = driver.review(before, wanted) if result.commands else []
        # e.g. a session briefly disabled for the change: said by diff, push and rollback alike
        result.detail = "; ".join(driver.delta_notes(result.commands)) or None
        if not result.commands or change_id is None:
            result.outcome = CHANGED if result.commands else UNCHANGED
            result.seconds = round(time.monotonic() - started, 3)
            return result
        if _refused_before_change(driver, plan, result, refuse_pending):
            result.seconds = round(time.monotonic() - started, 3)
            return result
        result.backup = str(_write_backup(change_id, plan, driver.form, before))
        try:
            _change(driver, plan, before, wanted, result, change_deadline, deadline, confirm_timeout,
                    gate, goal)
            result.outcome = CHANGED
        except Exception as exc:  # noqa: BLE001 - whatever broke, the device goes back first
            result.error = str(exc) if isinstance(exc, (DeviceRejected, TransportError, VerifyFailed)) \
                else f"internal error: {type(exc).__name__}: {exc}"
            if isinstance(exc, DeviceRejected):
                result.device_error = exc.output
            _restore(inventory, plan, driver, before, deadline, result)
    finally:
        # e.g. a device's warnings on a commit that succeeded; once, where _restore has not
        notes = [n for n in driver.notes if n not in (result.detail or "")]
        result.detail = "; ".join(x for x in (result.detail, *notes) if x) or None
        driver.close()
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _refused_before_change(driver: ConfigDriver, plan: HostPlan, result: HostResult,
                           refuse_pending: bool) -> bool:
    """Before the backup and anything sent: someone else's confirmed commit pending (our
    commit would confirm it), then the device's own lock and what it must offer
    (`driver.begin`). True when the host ends here; `result` says why."""
    try:
        pending = driver.pending_commit() if refuse_pending else None
        if pending:
            result.outcome = ERROR
            result.error = (f"{plan.host.name}: {pending} is pending on the device, not made by "
                            "this push: committing would confirm it (on this platform any commit "
                            "confirms a pending one). Nothing was sent. Push again once its owner "
                            "has confirmed it or it has rolled back")
            return True
        driver.begin()
    except DeviceLocked as exc:
        result.outcome, result.error = LOCKED, str(exc)
        return True
    except (TransportError, DeviceRejected, Unsupported) as exc:
        result.outcome, result.error = ERROR, str(exc)
        return True
    return False


def _change(driver: ConfigDriver, plan: HostPlan, before: Snapshot, wanted, result: HostResult,
            change_deadline: float, deadline: float, confirm_timeout: int, gate: bool,
            goal: str = "the intent") -> None:
    began = time.monotonic()
    # the device undoes the change by itself once its confirm window (from the load: an IOS
    # revert timer starts there) is over: confirming later would report a change it no longer holds
    confirm_by = began + confirm_timeout - _confirm_margin(confirm_timeout)
    cleanup, remaining, after = _apply(driver, before, wanted, confirm_timeout)
    result.commands += cleanup
    if remaining:
        raise VerifyFailed(remaining, goal)
    silenced = driver.silenced(after) if gate else None
    if silenced:
        # NETCONF shows a deactivated <oam> only once something oamkit reads lies under it:
        # a first push under another team's deactivated OAM (CFM) found it only here
        raise VerifyFailed([], why=f"the read-back shows {', '.join(silenced[0])} deactivated above "
                                   "the OAM configuration oamkit manages (the device did not show it "
                                   "before, when nothing of oamkit's was under it): the change would "
                                   "have no effect, and activating it is not oamkit's call (other "
                                   f"configuration lives under it). Once its owner agrees, {silenced[1]}, "
                                   "and push again")
    if gate:
        # undoing it sends about what the change sent: the gate leaves the restore that long,
        # and half again; and it ends within the confirm window
        wait_operational(driver, plan, min(change_deadline, confirm_by,
                                           deadline - 1.5 * (time.monotonic() - began)))
    if driver.pending_confirm and time.monotonic() > confirm_by:
        raise VerifyFailed([f"not confirmed within its {confirm_timeout} s confirm window (less "
                            f"{_confirm_margin(confirm_timeout):g} s to confirm in): the device "
                            "undoes the change by itself"], why="")
    driver.confirm()


def _apply(driver: ConfigDriver, current: Snapshot, target, confirm_timeout: int
           ) -> tuple[list[str], list[str], Snapshot]:
    """Load and commit what brings `current` to `target`; read back. -> (the cleanup lines also
    sent, what still differs, the read-back). Our deletes may empty a presence container the device keeps
    (Junos `protocols oam ethernet link-fault-management`): shown bare, it holds nothing of
    anyone else's, so it goes too, in a second pass within the same confirm window."""
    driver.load(current, target, confirm_timeout)
    driver.commit(confirm_timeout)
    after = driver.read()
    remaining = driver.delta(after, target)
    if not (remaining and driver.cleanup_only(remaining)):
        return [], remaining, after
    driver.load(after, target, confirm_timeout)
    driver.commit(confirm_timeout)
    again = driver.read()
    return remaining, driver.delta(again, target), again


def _confirm_margin(confirm_timeout: int) -> float:
    """Seconds of the confirm window kept for the confirm itself to reach the device."""
    return min(10.0, confirm_timeout / 4)


def wait_operational(driver: ConfigDriver, plan: HostPlan, deadline: float) -> None:
    """The health gate: interfaces whose policy requires it must reach an operational OAM
    session before the change is confirmed (over either transport)."""
    wanted = [i.intent for i in plan.interfaces if i.intent.enabled and i.intent.require_operational]
    if not wanted:
        return
    from oamkit.parse.values import OPERATIONAL   # the parsers load only when a gate is asked for
    until = min(deadline - 1, time.monotonic() + max(i.operational_wait_ms for i in wanted) / 1000)
    while True:
        states = driver.operational_states([i.interface for i in wanted])
        down = {name: state for name, state in states.items() if state not in OPERATIONAL}
        if not down:
            return
        if time.monotonic() >= until:
            raise VerifyFailed([f"{name}: OAM session {state or 'not reported'}, not operational"
                                for name, state in down.items()])
        greenloop.sleep(1.0)


def _restore(inventory: Inventory, plan: HostPlan, driver: ConfigDriver, before: Snapshot,
             deadline: float, result: HostResult) -> None:
    """Put the device back to `before` and verify it; decide rolled-back vs needs-attention.
    It has the whole deadline: the reserve the change could not use is for this."""
    driver.extend_deadline(deadline)
    try:
        driver.abandon()
        left = _put_back(driver, before, result)
        if left:
            raise VerifyFailed(left, "its backup (the state before this change)")
        result.outcome = ROLLED_BACK
        return
    except (DeviceRejected, TransportError, VerifyFailed) as first:
        # The session may be gone (dropped mid-change): try once more on a fresh one.
        self_revert, touched = driver.self_revert, driver.running_touched
        try:
            fresh = open_driver(inventory, plan, deadline)
            try:
                left = _put_back(fresh, before, result)
            finally:
                fresh.close()
            if not left:
                result.outcome = ROLLED_BACK
                return
            result.detail = "device differs from its backup by: " + "; ".join(left[:10])
        except Exception as second:  # noqa: BLE001 - every failure here needs a human
            if not touched:
                # nothing that reaches running was sent: it is as it was, nothing to undo
                result.outcome = ERROR
                result.detail = (f"nothing was committed: the change stopped before its commit "
                                 f"was sent, so running is as it was. The check afterwards "
                                 f"failed ({first}; reconnect: {second})")
                return
            result.detail = _unfinished_detail(driver, plan, result, f"rollback failed ({first}); "
                                               f"reconnect failed ({second})", self_revert)
    result.outcome = NEEDS_ATTENTION


def _unfinished_detail(driver: ConfigDriver, plan: HostPlan, result: HostResult, failure: str,
                       self_revert: str | None) -> str:
    """What a human must know of a host whose rollback could not finish: first what is known
    to be true of the device, then why the rollback failed, what the device said, the way out."""
    change, host = Path(result.backup).parent.name, plan.host.name
    said = "".join(f" {note}." for note in driver.notes)
    backup = f" Its backup: oamkit changes --change {change} --host {host}"
    if driver.confirmed_late:
        # the confirm is sent only once the read-back equals the target: the change is whole
        return (f"The change is confirmed and stays on the device: {driver.confirmed_late}. "
                f"Then the {failure}.{said} Check it with oamkit diff --limit {host}; to undo "
                f"it: oamkit rollback --change {change} --limit {host}.{backup}")
    undo = (f" Unless someone confirms it, the device undoes the change by itself: "
            f"{self_revert}." if self_revert else "")
    return f"{failure}. The device may hold part of the change.{said}{undo}{backup}"


def _put_back(driver: ConfigDriver, before: Snapshot, result: HostResult) -> list[str]:
    """Send what brings the device back to `before`, confirm it; what still differs after."""
    target = driver.target_from_snapshot(before)
    now = driver.read()
    back = driver.delta(now, target)
    if back:
        cleanup, _, _ = _apply(driver, now, target, RESTORE_CONFIRM_TIMEOUT)
        result.removed = back + cleanup
    if back or driver.pending_confirm:
        driver.confirm()   # also stops an IOS revert timer: running is restored
    return driver.delta(driver.read(), target)


def _error(result: HostResult, exc: Exception, started: float) -> HostResult:
    result.outcome = ERROR
    result.error = str(exc)
    result.seconds = round(time.monotonic() - started, 3)
    return result


# ---------------------------------------------------------------------------- records
change_folder = statedir.change_folder
list_changes = changelog.list_changes


def new_change_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def _write_backup(change_id: str, plan: HostPlan, form: str, before: Snapshot) -> Path:
    """On disk before the device is touched (see `backups`): a control host that loses power
    mid-push must still hold what `rollback --change` restores. Then the change journal says
    the host is changing (see `changelog`)."""
    # the whole running configuration is kept for a human: the secrets we know are masked
    # (`username admin password 0 ...`); what a rollback restores is the managed part
    return _backups_then_marks((change_id, plan.host.name, plan.platform.name, form, before.backup,
                                sessionlog.mask(before.full), sorted(plan.managed_interfaces)))


def _write_backups(items: list[tuple]) -> list[Path]:
    """Several hosts' backups (one change each), durable together: one sync per journal."""
    by_change: dict[str, list[tuple]] = {}
    for change_id, *entry in items:
        by_change.setdefault(change_id, []).append(tuple(entry))
    journals = {}
    for change_id, entries in by_change.items():
        folder = change_folder(change_id)
        journals[change_id] = backups.record_many(folder, entries)
        for host, *_ in entries:
            changelog.mark(folder, host, changelog.CHANGING)
    return [journals[change_id] for change_id, *_ in items]


# hosts on the asyncssh loop back up in batches (one worker-thread hand-off and one fsync per
# batch); a host on a thread writes its own, sharing syncs with the others (`backups`)
_backups_then_marks = greenloop.Batched(_write_backups)


def record_change(change_id: str, action: str, results: list[HostResult], inventory: Path,
                  stopped: str | None = None) -> None:
    """The change is over (see `changelog.finish`)."""
    changelog.finish(change_id, action, results, inventory, stopped)
