"""The safe change engine: diff, push (backup -> delta -> commit -> read back -> confirm), and
rollback, one host at a time; `runner.run_fleet` runs it across the fleet.

Per host the outcome is one of:
  unchanged               nothing differed, nothing was sent
  changed                 the delta was applied, read back equal to the intent, confirmed
  failed-rolled-back      something failed; the device was put back and that was verified
  failed-needs-attention  the rollback itself failed or could not be verified: the result says
                          what state the device is in
  not-attempted           the rollout stopped before this host (canary / max-failures / Ctrl-C)
  error                   the host could not be reached or read; nothing was changed
  locked                  another oamkit run holds the host's lock (`locks`); nothing was sent
"""
from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from oamkit import backups, changelog, configtext, locks, statedir
from oamkit.inventory import Inventory
from oamkit.render import HostPlan, render_plan
from oamkit.transport import greenloop
from oamkit.transport.ssh import DeviceRejected, SshSession, TransportError

UNCHANGED, CHANGED = "unchanged", "changed"
ROLLED_BACK, NEEDS_ATTENTION = "failed-rolled-back", "failed-needs-attention"
NOT_ATTEMPTED, ERROR, LOCKED = "not-attempted", "error", "locked"
FAILED_OUTCOMES = {ROLLED_BACK, ERROR, LOCKED}


def exit_code(results) -> int:
    """The process exit code of a change run: 3 a host needs attention, 1 some failed or
    were not attempted, else 0."""
    from oamkit.errors import ExitCode

    outcomes = {r.outcome for r in results}
    if NEEDS_ATTENTION in outcomes:
        return ExitCode.NEEDS_ATTENTION
    if outcomes & (FAILED_OUTCOMES | {NOT_ATTEMPTED}):
        return ExitCode.FAILED
    return ExitCode.OK


@dataclass
class HostResult:
    host: str
    platform: str
    outcome: str
    commands: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    error: str | None = None
    device_error: str | None = None
    detail: str | None = None
    backup: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


state_dir = statedir.state_dir   # private (0700); callers elsewhere import it from here


def new_change_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


# ---------------------------------------------------------------------------- reading
def read_managed(session: SshSession, plan: HostPlan):
    """The part of the device's configuration oamkit owns, as a tree (or set lines)."""
    syntax = plan.platform.config
    text = session.show(syntax.show_running)
    interfaces = {i.intent.interface for i in plan.interfaces}
    if syntax.style == "set":
        return configtext.managed_set_lines(configtext.parse_set(text), syntax, interfaces), text
    return configtext.managed_tree(configtext.parse_indented(text), syntax, interfaces), text


def desired(plan: HostPlan):
    syntax = plan.platform.config
    rendered = render_plan(plan, "cli")
    if syntax.style == "set":
        return configtext.parse_set(rendered)
    return configtext.desired_tree(rendered, syntax)


def delta(plan: HostPlan, current, wanted) -> list[str]:
    syntax = plan.platform.config
    if syntax.style == "set":
        return configtext.delta_set(current, wanted, syntax)
    return configtext.delta_indented(current, wanted, syntax)


def delta_by_interface(plan: HostPlan, current, wanted) -> dict[str | None, list[str]]:
    """The delta per interface, and under None for what the interfaces share (profiles,
    templates): what `check` reports, so that drift names the interface at fault. Only
    parts that differ are present."""
    syntax = plan.platform.config
    have = configtext.split_by_interface(current, syntax)
    want = configtext.split_by_interface(wanted, syntax)
    empty = [] if syntax.style == "set" else configtext.Node("")
    parts = {}
    for key in [*want, *(k for k in have if k not in want)]:
        lines = delta(plan, have.get(key, empty), want.get(key, empty))
        if lines:
            parts[key] = lines
    return parts


def as_text(plan: HostPlan, managed) -> str:
    if isinstance(managed, list):
        return "\n".join(managed) + "\n"
    return "\n".join(managed.lines()) + "\n"


def from_text(plan: HostPlan, text: str):
    if plan.platform.config.style == "set":
        return configtext.parse_set(text)
    return configtext.parse_indented(text)


# ---------------------------------------------------------------------------- per host
def diff_host(inventory: Inventory, plan: HostPlan, deadline: float) -> HostResult:
    """Read the device and report the exact delta. Sends no configuration command."""
    return converge(inventory, plan, deadline, lambda: desired(plan), change_id=None)


def push_host(inventory: Inventory, plan: HostPlan, deadline: float, change_id: str,
              confirm_timeout: int = 120) -> HostResult:
    return with_host_lock(plan, change_id, lambda: converge(
        inventory, plan, deadline, lambda: desired(plan), change_id, confirm_timeout))


def with_host_lock(plan: HostPlan, change_id: str, work) -> HostResult:
    """`work()` holding the host's lock (see `locks`); a host another live run holds is
    `locked` and nothing is sent to it."""
    try:
        held = locks.acquire(plan.host.name, change_id)
    except locks.HostLocked as exc:
        return HostResult(plan.host.name, plan.platform.name, LOCKED, error=str(exc))
    try:
        result = work()
    finally:
        held.release()
    if held.took_over:
        result.detail = "; ".join(x for x in (held.took_over, result.detail) if x)
    return result


def converge(inventory: Inventory, plan: HostPlan, deadline: float, target, change_id: str | None,
             confirm_timeout: int = 120) -> HostResult:
    """Bring the managed part of one device to `target()` (a tree or set lines).

    With no change id this is a dry run: the delta is reported and nothing is sent. Otherwise:
    back up, apply the delta, commit (confirmed where possible), read back, confirm; on any
    failure restore the backup and verify it."""
    started = time.monotonic()
    result = HostResult(plan.host.name, plan.platform.name, UNCHANGED)
    try:
        session = SshSession.open(inventory, plan.host, deadline)
    except TransportError as exc:
        return _error(result, exc, started)
    try:
        try:
            before, full_text = read_managed(session, plan)
        except TransportError as exc:
            return _error(result, exc, started)
        wanted = target()
        result.commands = delta(plan, before, wanted)
        if not result.commands or change_id is None:
            result.outcome = CHANGED if result.commands else UNCHANGED
            result.seconds = round(time.monotonic() - started, 3)
            return result
        result.backup = str(_write_backup(change_id, plan, as_text(plan, before), full_text))
        try:
            _apply(session, plan, result.commands, confirm_timeout)
            after, _ = read_managed(session, plan)
            remaining = delta(plan, after, wanted)
            if remaining and _only_emptied_containers(plan, remaining):
                # Our deletes emptied a presence container; shown bare, it holds nothing of
                # anyone else's, so it goes too (within the same confirm window).
                _apply(session, plan, remaining, confirm_timeout)
                result.commands += remaining
                after, _ = read_managed(session, plan)
                remaining = delta(plan, after, wanted)
            if remaining:
                raise VerifyFailed(remaining)
            wait_operational(session, plan, deadline)
            _confirm(session, plan)
            result.outcome = CHANGED
        except Exception as exc:  # noqa: BLE001 - whatever broke, the device goes back first
            result.error = str(exc) if isinstance(exc, (DeviceRejected, TransportError, VerifyFailed)) \
                else f"internal error: {type(exc).__name__}: {exc}"
            if isinstance(exc, DeviceRejected):
                result.device_error = exc.output
            _restore(inventory, plan, session, before, deadline, result)
    finally:
        session.close()
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _only_emptied_containers(plan: HostPlan, lines: list[str]) -> bool:
    containers = {f"{plan.platform.config.negate} {c}" for c in plan.platform.config.presence_containers}
    return bool(containers) and all(line in containers for line in lines)


def wait_operational(session: SshSession, plan: HostPlan, deadline: float) -> None:
    """The health gate: interfaces whose policy requires it must reach an operational OAM
    session before the change is confirmed. Polls the platform's session command."""
    from oamkit.checks import OPERATIONAL
    from oamkit.collect import snapshot_with

    wanted = [i.intent for i in plan.interfaces if i.intent.enabled and i.intent.require_operational]
    if not wanted:
        return
    until = min(deadline - 1, time.monotonic() + max(i.operational_wait_ms for i in wanted) / 1000)
    while True:
        snapshot = snapshot_with(session, plan, roles=("oam_session",))
        states = {i.interface: getattr(snapshot.interfaces.get(i.interface), "discovery_state", None)
                  for i in wanted}
        down = {name: state for name, state in states.items() if state not in OPERATIONAL}
        if not down:
            return
        if time.monotonic() >= until:
            raise VerifyFailed([f"{name}: OAM session {state or 'not reported'}, not operational"
                                for name, state in down.items()])
        greenloop.sleep(1.0)


class VerifyFailed(Exception):
    def __init__(self, remaining: list[str]):
        self.remaining = remaining
        what = ("health gate failed: " if any("not operational" in r for r in remaining)
                else "read-back differs from the intent; still to change: ")
        super().__init__(what + "; ".join(remaining[:5]))


def _apply(session: SshSession, plan: HostPlan, commands: list[str], confirm_timeout: int) -> None:
    syntax = plan.platform.config
    model = plan.platform.commit_model
    minutes = max(1, -(-confirm_timeout // 60))   # for timers counted in whole minutes
    if model == "immediate":
        if syntax.revert_enter and not session.revert_armed:
            # The device undoes the change by itself if we vanish before confirming; without
            # the archive feature the device refuses and we rely on our computed inverse.
            try:
                session.enter_config(syntax.revert_enter.format(value=minutes))
                session.revert_armed = True
                session.self_revert = f"its revert timer ({minutes} min)"
            except DeviceRejected:
                session.enter_config()
        # the read-back that follows rides in the same write as the change
        session.configure(commands, stay_in_config=False, read_after=syntax.show_running)
        return
    session.configure(commands, stay_in_config=True)
    if syntax.confirmed_commit and plan.platform.confirmed_commit_unit:
        unit = plan.platform.confirmed_commit_unit
        value = confirm_timeout if unit == "seconds" else minutes
        session.command_in_config(syntax.confirmed_commit.format(value=value))
        session.self_revert = f"its confirmed commit ({value} {unit})"
    else:
        session.command_in_config(syntax.commit_command)
    session.committed = True
    session.leave_config()


def _confirm(session: SshSession, plan: HostPlan) -> None:
    """Confirm a confirmed commit once the read-back gate has passed."""
    syntax = plan.platform.config
    if session.revert_armed:
        session.exec_command(syntax.revert_confirm)
        session.revert_armed = False
    elif plan.platform.commit_model != "immediate" and syntax.confirmed_commit and plan.platform.confirmed_commit_unit:
        session.command_in_config(syntax.commit_command)
        session.leave_config()
    session.self_revert = None


def _restore(inventory, plan: HostPlan, session: SshSession, before, deadline: float,
             result: HostResult) -> None:
    """Put the device back to `before` and verify it; decide rolled-back vs needs-attention."""
    syntax = plan.platform.config
    try:
        if plan.platform.commit_model != "immediate" and syntax.discard_command:
            try:
                session.command_in_config(syntax.discard_command, leaves_config=True)
            except (DeviceRejected, TransportError):
                pass
            session.leave_config()
        if session.committed and syntax.rollback_last:
            # Undo our commit exactly (an inverse delta would leave e.g. the bare Junos
            # `link-fault-management` presence statement behind).
            session.configure(list(syntax.rollback_last), stay_in_config=True)
            session.command_in_config(syntax.commit_command)
            session.leave_config()
        now, _ = read_managed(session, plan)
        back = delta(plan, now, before)
        if back:
            result.removed = back
            _apply(session, plan, back, confirm_timeout=120)
        if back or session.revert_armed:
            _confirm(session, plan)  # also disarms an IOS revert timer: running is restored
        now, _ = read_managed(session, plan)
        if delta(plan, now, before):
            raise VerifyFailed(delta(plan, now, before))
        result.outcome = ROLLED_BACK
    except (DeviceRejected, TransportError, VerifyFailed) as first:
        # The session may be gone (dropped mid-change): try once more on a fresh one.
        try:
            fresh = SshSession.open(inventory, plan.host, deadline)
            try:
                now, _ = read_managed(fresh, plan)
                back = delta(plan, now, before)
                if back:
                    _apply(fresh, plan, back, confirm_timeout=120)
                    _confirm(fresh, plan)
                now, _ = read_managed(fresh, plan)
                left = delta(plan, now, before)
            finally:
                fresh.close()
            if not left:
                result.outcome = ROLLED_BACK
                return
            result.detail = "device differs from its backup by: " + "; ".join(left)
        except Exception as second:  # noqa: BLE001 - every failure here needs a human
            undo = (f" Unless someone confirms it, the device undoes the change by itself: "
                    f"{session.self_revert}." if session.self_revert else "")
            result.detail = (f"rollback failed ({first}); reconnect failed ({second}). The device "
                             f"may hold part of the change.{undo} Its backup: oamkit changes "
                             f"--change {Path(result.backup).parent.name} --host {plan.host.name}")
        result.outcome = NEEDS_ATTENTION


def _error(result: HostResult, exc: Exception, started: float) -> HostResult:
    result.outcome = ERROR
    result.error = str(exc)
    result.seconds = round(time.monotonic() - started, 3)
    return result


# ---------------------------------------------------------------------------- state
change_folder = statedir.change_folder


def _write_backup(change_id: str, plan: HostPlan, managed: str, full: str, form: str = "cli") -> Path:
    """On disk before the device is touched (see `backups`): a control host that loses power
    mid-push must still hold what `rollback --change` restores. Then the change journal says
    the host is changing (see `changelog`)."""
    def backup_then_mark() -> Path:
        folder = change_folder(change_id)
        path = backups.record(folder, plan.host.name, plan.platform.name, form, managed, full)
        changelog.mark(folder, plan.host.name, changelog.CHANGING)
        return path

    return greenloop.blocking(backup_then_mark)


def record_change(change_id: str, action: str, results: list[HostResult], inventory: Path,
                  stopped: str | None = None) -> None:
    """The change is over (see `changelog.finish`)."""
    changelog.finish(change_id, action, results, inventory, stopped)


list_changes = changelog.list_changes


def rollback_host(inventory: Inventory, plan: HostPlan, deadline: float, change_id: str,
                  new_change_id: str) -> HostResult:
    """Restore the backup a past change took of this host, if the device differs from it (a
    device equal to its backup is `unchanged`: nothing is sent, so running it twice is safe)."""
    backup = backups.read(change_folder(change_id)).get(plan.host.name)
    if backup is None:
        return HostResult(plan.host.name, plan.platform.name, NOT_ATTEMPTED,
                          error=f"change {change_id} took no backup of this host")
    return with_host_lock(plan, new_change_id,
                          lambda: _restore_backup(inventory, plan, deadline, backup, change_id,
                                                  new_change_id))


def _restore_backup(inventory, plan, deadline, backup, change_id, new_change_id) -> HostResult:
    if backup.form == "netconf":
        from oamkit.change_netconf import restore_host_netconf

        if plan.platform.netconf is None:   # the inventory now names another platform
            return HostResult(plan.host.name, plan.platform.name, NOT_ATTEMPTED,
                              error=f"change {change_id} backed this host up over NETCONF, and "
                                    f"{plan.platform.name} has no NETCONF form; nothing was sent")
        return restore_host_netconf(inventory, plan, deadline, backup.running, new_change_id)
    return converge(inventory, plan, deadline, lambda: from_text(plan, backup.managed),
                    new_change_id)
