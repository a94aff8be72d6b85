"""`CliDriver`: the change engine's driver for device CLIs over SSH (netmiko or asyncssh).

How each platform configures is data (`Platform.config`, a `ConfigSyntax`): indented blocks
(IOS, IOS-XR, Huawei VRP) or `set` lines (Junos); changes applied at once under a revert timer
(IOS `configure terminal revert timer`), or a candidate committed as a confirmed commit. The
managed part is compared as a tree (or set lines) by `configtext`.
"""
from __future__ import annotations

import re

from oamkit import configtext
from oamkit.engine import review
from oamkit.engine.driver import Snapshot
from oamkit.engine.results import DeviceLocked
from oamkit.inventory import Inventory
from oamkit.render import HostPlan, render_plan
from oamkit.transport.reader import Reader
from oamkit.transport.ssh import ConfigurationLocked, DeviceRejected, SshSession, TransportError


# ---------------------------------------------------------------------------- comparing
def read_managed(session: Reader, plan: HostPlan):
    """The part of the device's configuration oamkit owns, as a tree (or set lines), and the
    device's whole answer. `session`: an `SshSession`, or what `check` reads a NETCONF host
    through (`transport.reader`)."""
    syntax = plan.platform.config
    text = session.show(syntax.show_running)
    refused = refusal(text, syntax.error_pattern)
    if refused is not None:
        # compared as configuration, the error text would be an empty one: every intended
        # line would look missing, a check would report drift and a push resend it all
        raise DeviceRejected(plan.host.name, syntax.show_running, refused)
    interfaces = plan.managed_interfaces
    if syntax.style == "set":
        return configtext.managed_set_lines(configtext.parse_set(text), syntax, interfaces), text
    return configtext.managed_from_text(text, syntax, interfaces), text


# A refusal is the whole reply (after an echo caret or a header line or two); configuration
# further down that happens to match (an IOS banner line starting with '%') is content.
_REPLY_HEAD = 5


def refusal(text: str, error_pattern: str) -> str | None:
    """The device's error line when `text` is its refusal of the command (AAA command
    authorization, a command it does not have) rather than the output asked for; None when
    it is output. `error_pattern`: the platform's (`ConfigSyntax.error_pattern`)."""
    head = [line for line in text.splitlines() if line.strip()][:_REPLY_HEAD]
    for line in head:
        if re.search(error_pattern, line):
            return line.strip()
    return None


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


def silenced(plan: HostPlan, text: str) -> tuple[list[str], str] | None:
    """`ConfigDriver.silenced` over the CLI, for the engine and `check`: the statements above
    oamkit's part someone deactivated, in the device's answer to `show_running` (set-style
    platforms print `deactivate <statement>`)."""
    syntax = plan.platform.config
    if syntax.style != "set":
        return None
    above = configtext.deactivated_above(configtext.parse_set(text), syntax)
    return (above, " and ".join(f"`activate {s}`" for s in above) + " in configuration mode, "
            "then commit") if above else None


def from_text(plan: HostPlan, text: str):
    if plan.platform.config.style == "set":
        return configtext.parse_set(text)
    return configtext.parse_indented(text)


# ---------------------------------------------------------------------------- the driver
class CliDriver:
    """`ConfigDriver` over an `SshSession` (see `engine.driver` for each method's contract)."""

    form = "cli"

    def __init__(self, session: SshSession, plan: HostPlan):
        self.session, self.plan = session, plan
        self.syntax = plan.platform.config
        self._last_delta: tuple | None = None   # (managed, target, lines) of the last delta()
        self.running_touched = False   # a commit, or a line applied at once, was sent
        self.notes: list[str] = []
        self.confirmed_late: str | None = None   # a CLI confirm's output is read in order

    def begin(self) -> None:
        """Where entering configuration mode takes the device's lock (Junos `configure
        exclusive`), enter it now, before the backup: refused because another session holds
        the configuration or has changed it, the host is `locked` and nothing else is sent (no
        `rollback 0` on a database we never held: what is in it is theirs). The session stays
        in configuration mode, holding the lock, for `load`."""
        if not self.syntax.config_locked:
            return
        try:
            self.session.enter_config()
        except ConfigurationLocked as exc:
            said = " ".join(line.strip() for line in exc.output.splitlines() if line.strip())
            raise DeviceLocked(f"{self.plan.host.name}: {exc.command!r} refused: {said}; nothing "
                               "was sent to the configuration: another session's lock or "
                               "uncommitted edits are left as they are") from None

    @classmethod
    def open(cls, inventory: Inventory, plan: HostPlan, deadline: float) -> "CliDriver":
        return cls(SshSession.open(inventory, plan.host, deadline), plan)

    @property
    def self_revert(self) -> str | None:
        return self.session.self_revert

    @property
    def pending_confirm(self) -> bool:
        return self.session.revert_armed

    def read(self) -> Snapshot:
        managed, text = read_managed(self.session, self.plan)
        return Snapshot(managed, configtext.as_text(managed), text)

    def silenced(self, current: Snapshot) -> tuple[list[str], str] | None:
        return silenced(self.plan, current.full)

    def pending_commit(self) -> str | None:
        show = self.plan.platform.pending_commit_show
        return self.plan.platform.pending_commit(self.session.show(show)) if show else None

    def target_from_intent(self):
        return desired(self.plan)

    def target_from_backup(self, text: str):
        return from_text(self.plan, text)

    def target_from_snapshot(self, snapshot: Snapshot):
        return snapshot.managed

    def delta(self, current: Snapshot, target) -> list[str]:
        # the engine asks twice for the same pair (to report it, then to send it)
        if self._last_delta is not None and self._last_delta[0] is current.managed \
                and self._last_delta[1] is target:
            return list(self._last_delta[2])
        lines = delta(self.plan, current.managed, target)
        self._last_delta = (current.managed, target, lines)
        return list(lines)

    def delta_notes(self, lines: list[str]) -> list[str]:
        return configtext.delta_notes(lines, self.syntax)

    def review(self, current: Snapshot, target) -> list[dict]:
        return review.cli_sections(self.syntax, current.managed, target, current.backup)

    def load(self, current: Snapshot, target, confirm_timeout: int) -> None:
        self.send(self.delta(current, target), confirm_timeout, stage_only=True)

    def commit(self, confirm_timeout: int) -> None:
        platform, syntax, session = self.plan.platform, self.syntax, self.session
        if platform.commit_model == "immediate":
            return   # applied line by line by `load`, under the revert timer where there is one
        if syntax.confirmed_commit and platform.confirmed_commit_unit:
            unit = platform.confirmed_commit_unit
            value = confirm_timeout if unit == "seconds" else _minutes(confirm_timeout)
            self.running_touched = True
            session.command_in_config(syntax.confirmed_commit.format(value=value))
            session.self_revert = f"its confirmed commit ({value} {unit})"
        else:
            self.running_touched = True
            session.command_in_config(syntax.commit_command)
        session.committed = True
        session.leave_config()

    def confirm(self) -> None:
        platform, syntax, session = self.plan.platform, self.syntax, self.session
        if session.revert_armed:
            session.exec_command(syntax.revert_confirm)
            session.revert_armed = False
        elif platform.commit_model != "immediate" and syntax.confirmed_commit \
                and platform.confirmed_commit_unit:
            session.command_in_config(syntax.commit_command)
            session.leave_config()
        session.self_revert = None

    def abandon(self) -> None:
        syntax, session = self.syntax, self.session
        if self.plan.platform.commit_model != "immediate" and syntax.discard_command:
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

    def cleanup_only(self, lines: list[str]) -> bool:
        containers = {f"{self.syntax.negate} {c}" for c in self.syntax.presence_containers}
        return bool(containers) and all(line in containers for line in lines)

    def operational_states(self, interfaces: list[str]) -> dict[str, str | None]:
        # here, not at the top: only the health gate parses show output (TextFSM and the
        # parse templates), and a push whose policy asks for no gate never loads them
        from oamkit.collect import snapshot_with

        snapshot = snapshot_with(self.session, self.plan, roles=("oam_session",))
        return {name: getattr(snapshot.interfaces.get(name), "discovery_state", None)
                for name in interfaces}

    def extend_deadline(self, deadline: float) -> None:
        self.session.deadline = max(self.session.deadline, deadline)

    def close(self) -> None:
        self.session.close()

    # -------------------------------------------------------------- lines, for DR actions
    def send(self, lines: list[str], confirm_timeout: int = 120, stage_only: bool = False) -> None:
        """Apply configuration lines: staged in the candidate (`stage_only`, then `commit`),
        or committed at once with a revert timer that `confirm()` stops. On platforms that
        apply each line at once, the device's revert timer is armed first where it has one."""
        platform, syntax, session = self.plan.platform, self.syntax, self.session
        if platform.commit_model == "immediate":
            if syntax.revert_enter and not session.revert_armed:
                # The device undoes the change by itself if we vanish before confirming;
                # without the archive feature the device refuses and we rely on our inverse.
                minutes = _minutes(confirm_timeout)
                try:
                    session.enter_config(syntax.revert_enter.format(value=minutes))
                    session.revert_armed = True
                    session.self_revert = f"its revert timer ({minutes} min)"
                except DeviceRejected:
                    session.enter_config()
            # the read-back that follows rides in the same write as the change
            self.running_touched = True
            session.configure(lines, stay_in_config=False, read_after=syntax.show_running)
            return
        session.configure(lines, stay_in_config=True)
        if not stage_only:
            self.commit(confirm_timeout)


def _minutes(seconds: int) -> int:
    """A confirm window in whole minutes (IOS revert timer, Junos `commit confirmed`)."""
    return max(1, -(-seconds // 60))
