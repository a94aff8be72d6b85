"""What the change engine says about each host, and what a run's exit code is.

Per host the outcome is one of:
  unchanged               nothing differed, nothing was sent
  changed                 the delta was applied, read back equal to the intent, confirmed
  failed-rolled-back      something failed; the device was put back and that was verified
  failed-needs-attention  the rollback itself failed or could not be verified: the result says
                          what state the device is in
  not-attempted           the rollout stopped before this host (canary / max-failures / Ctrl-C)
  error                   the host could not be reached or read, the device cannot take the change
                          the way oamkit makes it (a NETCONF server without :candidate), oamkit's
                          part sits under a statement someone deactivated (`Silenced`), the
                          change failed before its commit was sent and the device could not be
                          checked afterwards (running is as it was), or a push refused it because
                          its last change is unfinished (`engine.unfinished`: a killed run caught
                          it mid-change, or it ended failed-needs-attention); nothing was changed
  locked                  another oamkit run holds the host's lock (`locks`), or another session
                          holds the device's candidate (or has changed it without committing):
                          a refused NETCONF <lock>, or Junos `configure exclusive` refused;
                          nothing was sent to the configuration
  skipped                 the host is marked down in the inventory (`data.maintenance.down`):
                          not contacted, nothing sent; not a failure
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from oamkit.errors import ExitCode

UNCHANGED, CHANGED = "unchanged", "changed"
ROLLED_BACK, NEEDS_ATTENTION = "failed-rolled-back", "failed-needs-attention"
NOT_ATTEMPTED, ERROR, LOCKED = "not-attempted", "error", "locked"
SKIPPED = "skipped"
FAILED_OUTCOMES = {ROLLED_BACK, ERROR, LOCKED}


@dataclass
class HostResult:
    host: str
    platform: str
    outcome: str
    commands: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # before/after for a reviewer (`engine.review`): CLI sections or NETCONF leaves
    diff: list[dict] = field(default_factory=list)
    error: str | None = None
    device_error: str | None = None
    detail: str | None = None
    backup: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        # Shallow, by hand: dataclasses.asdict deep-copies every diff line, and at 200 hosts
        # that was a third of what `oamkit push` does after the fleet has finished.
        return {f.name: (list(value) if isinstance(value, list) else value)
                for f in _FIELDS for value in (getattr(self, f.name),)}


_FIELDS = fields(HostResult)


def exit_code(results) -> int:
    """The process exit code of a change run: 3 a host needs attention, 1 some failed or
    were not attempted, else 0."""
    outcomes = {r.outcome for r in results}
    if NEEDS_ATTENTION in outcomes:
        return ExitCode.NEEDS_ATTENTION
    if outcomes & (FAILED_OUTCOMES | {NOT_ATTEMPTED}):
        return ExitCode.FAILED
    return ExitCode.OK


class VerifyFailed(Exception):
    """The read-back (or the health gate) does not show what the change should have made."""

    def __init__(self, remaining: list[str], goal: str = "the intent", why: str | None = None):
        # goal: what the read-back was compared with (a rollback's: a backup); why: the words
        # before the list, when they are not "read-back differs from <goal>"
        self.remaining = remaining
        if why is None:
            why = ("health gate failed: " if any("not operational" in r for r in remaining)
                   else f"read-back differs from {goal}; still to change: ")
        super().__init__(why + "; ".join(remaining[:5]))


class DeviceLocked(Exception):
    """The device's own lock (a NETCONF candidate, Junos `configure exclusive`) is held by
    another session, or the candidate holds another session's uncommitted edits: the host is
    `locked`, nothing sent."""


class Silenced(Exception):
    """oamkit's part of the device sits under a statement someone deactivated (Junos
    `deactivate protocols oam`, or `inactive="inactive"` on <oam>): nothing oamkit sets there
    has effect, and activating that statement is not oamkit's call (other configuration lives
    under it). A push or diff toward the intent ends the host an `error`, nothing sent."""

    def __init__(self, statements: list[str], how: str):
        # how: the platform's words for activating one (`activate protocols oam`)
        said = ", ".join(statements)
        super().__init__(
            f"{said} {'is' if len(statements) == 1 else 'are'} deactivated on the device, above "
            "the OAM configuration oamkit manages: nothing under it has effect, oamkit's settings "
            "included. oamkit does not activate it (other configuration lives under it); nothing "
            f"was sent. Once its owner agrees, activate it ({how}) and run again")


class Unsupported(Exception):
    """The device cannot take a change the way oamkit makes it (found before anything is sent):
    the host is an `error`, nothing sent."""
