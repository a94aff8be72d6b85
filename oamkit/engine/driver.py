"""The contract between the change engine and a device: `ConfigDriver`.

One engine (`engine.converge`) runs every change, on every transport: read, compare, back up,
load, commit with a revert timer, read back, verify, health gate, confirm; and on any failure
abandon, restore and verify. A driver knows how its transport does each step (NAPALM's
contract-first style: the docstrings below are the semantics both drivers keep, and the tests
of the engine run against both).

The driver compares only the part of the configuration oamkit owns (`Snapshot.managed`): the
OAM settings of the interfaces in the intent and the profiles oamkit names (`OAMKIT-*`), never
another team's configuration.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable



@dataclass
class Snapshot:
    """What `read()` saw. `managed` is what deltas compare (a driver's own type); `backup` is
    the text a later `rollback --change` restores (`target_from_backup` reads it back); `full`
    is the device's whole answer, kept beside the backup for a human."""

    managed: Any
    backup: str
    full: str
    raw: Any = None          # the driver's parsed form of the whole answer, when it needs one


@runtime_checkable
class ConfigDriver(Protocol):
    """One open management session to one device, for one change."""

    form: str
    """How backups are stored: "cli" (managed configuration as text) or "netconf" (XML)."""

    self_revert: str | None
    """While a change is committed but not confirmed: what undoes it if nobody confirms
    (e.g. "its confirmed commit (120 seconds)"); None otherwise. Said to a human whenever the
    engine cannot finish the rollback itself."""

    running_touched: bool
    """Something this session sent may have reached the running configuration: a commit was
    sent (answered or not), or a line on a platform that applies each line at once. While
    False, a failure leaves running as it was: there is nothing to undo."""

    notes: list[str]
    """What the device said that a human must know: its warnings on RPCs that succeeded, and
    what it answered while the change was undone (e.g. that no confirmed commit was pending any
    more). The engine adds them to the host's detail."""

    confirmed_late: str | None
    """Set when the device showed that this change is confirmed although the reply to the
    confirm never came (NETCONF: a <cancel-commit> refused after the confirming <commit> was
    sent): what it said. Nothing is pending, nothing will undo it; the engine says that first
    when it cannot finish the rollback. Cleared (into `notes`) by a later commit."""

    def begin(self) -> None:
        """Before the backup and any edit: take the device's own lock where the transport has
        one (NETCONF candidate; Junos CLI `configure exclusive`), and refuse a device that
        cannot take the change the way it is made. Raises `DeviceLocked` (someone else holds it or has changed the candidate: nothing
        is sent, nothing of theirs is touched) or `Unsupported`."""

    def read(self) -> Snapshot:
        """Read the running configuration's managed part. Sends no configuration command."""

    def silenced(self, current: Snapshot) -> tuple[list[str], str] | None:
        """The statements above oamkit's part that someone deactivated, as the device names
        them, and how one is activated on this transport; None when there are none. Sends
        nothing."""

    def pending_commit(self) -> str | None:
        """A confirmed commit someone left pending that this driver's own commit would
        confirm ("a confirmed commit by alice via cli, rollback in 3mins"), asked where the
        platform says how (`Platform.pending_commit_show`); None otherwise. Sends no
        configuration command."""

    def target_from_intent(self) -> Any:
        """What the managed part must become for the host's intent (the rendered policy)."""

    def target_from_backup(self, text: str) -> Any:
        """What the managed part must become to equal a backup taken by `read()`."""

    def target_from_snapshot(self, snapshot: Snapshot) -> Any:
        """What the managed part must become to equal what `read()` saw (undoing a change)."""

    def delta(self, current: Snapshot, target: Any) -> list[str]:
        """The differences, as lines a human reviews (CLI commands, or NETCONF leaf changes).
        Empty when the device already holds the target."""

    def delta_notes(self, lines: list[str]) -> list[str]:
        """What a human must know about sending `lines` (a `delta()`) beyond the lines
        themselves, e.g. that a session is briefly disabled to make a change the device refuses
        otherwise. Empty when there is nothing to say."""

    def review(self, current: Snapshot, target: Any) -> list[dict]:
        """The same differences as a before/after a human reviews (`engine.review`): CLI,
        per section {section, before, after, unified}; NETCONF, per leaf {path, before,
        after}. Empty when the device already holds the target."""

    def load(self, current: Snapshot, target: Any, confirm_timeout: int) -> None:
        """Stage the change: edit the candidate (candidate platforms) or, on platforms that
        apply at once, apply it under the device's revert timer (`confirm_timeout` seconds,
        rounded up to what the device counts) where it has one. Nothing is permanent until
        `commit()` and `confirm()`."""

    def commit(self, confirm_timeout: int) -> None:
        """Commit what `load()` staged, as a confirmed commit that the device reverts by itself
        after `confirm_timeout` seconds (rounded up where the platform counts minutes) unless
        `confirm()` follows; a plain commit where the platform has no confirmed commit."""

    def confirm(self) -> None:
        """Make the committed change permanent (confirm the commit / stop the revert timer).
        With nothing pending, a no-op."""

    @property
    def pending_confirm(self) -> bool:
        """A commit or revert timer is waiting for `confirm()`."""

    def abandon(self) -> None:
        """After a failure: drop whatever this session staged and did not commit (never a
        shared candidate it does not hold the lock of: that is someone else's), and undo
        this session's own commit where the platform can do so exactly (Junos `rollback 1`).
        Best effort: errors are swallowed; `read()` afterwards tells what the device holds."""

    def cleanup_only(self, lines: list[str]) -> bool:
        """True when `lines` (a delta after a commit) only remove what the device itself left
        behind empty (a Junos presence container whose last entry we deleted): safe to send
        in a second pass."""

    def operational_states(self, interfaces: list[str]) -> dict[str, str | None]:
        """The IEEE discovery state of each interface's OAM session (None: not reported), for
        the health gate."""

    def extend_deadline(self, deadline: float) -> None:
        """Let the session's reads and writes run until `deadline` (monotonic), later than the
        one it was opened with: a restore gets the time the change was not allowed to use."""

    def close(self) -> None:
        """Release the device's locks and close the session; never raises."""

