"""`NetconfDriver`: the change engine's driver for NETCONF (RFC 6241) over ncclient.

The platform's datastores do the work: lock the candidate, discard leftovers, edit-config
(replace on the subtrees oamkit owns), validate, commit confirmed, confirm, unlock. The managed
part is compared leaf by leaf (`xmlcompare`), limited to what the platform's `NetconfModel`
says oamkit owns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lxml import etree

from oamkit import xmlcompare
from oamkit.engine.cli import CliDriver
from oamkit.engine import review
from oamkit.engine.driver import Snapshot
from oamkit.inventory import Inventory
from oamkit.render import HostPlan, render_plan
from oamkit.engine.results import DeviceLocked, Unsupported
from oamkit.transport.netconf import NetconfSession, RpcRejected
from oamkit.transport.ssh import DeviceRejected, TransportError

# what a device answers <lock> with when another session holds the datastore or has changed
# the candidate without committing it (RFC 6241 7.5: lock-denied; in-use from some servers)
LOCK_REFUSED = ("lock-denied", "in-use")
CAPABILITY = "urn:ietf:params:netconf:capability:"


# Servers that answer <ok/> to <validate> and <commit> but leave running as it was when the
# candidate was validated first: yuma123's netconfd 2.13 (Debian bookworm), recognised by its
# own yuma123 modules in the hello. oamkit's read-back catches the lost change and rolls back,
# so with the separate step such a server could never be pushed to.
VALIDATE_LOSES_CHANGE = ("http://yuma123.org/ns/yuma123-system",)


@dataclass
class Target:
    wanted: dict[str, str]                      # owned leaves running must hold afterwards
    edits: Callable[[etree._Element], list[str]]  # running before -> the edit-config payloads


class NetconfDriver:
    """`ConfigDriver` over a `NetconfSession` (see `engine.driver` for each method's contract)."""

    form = "netconf"

    def __init__(self, session: NetconfSession, plan: HostPlan, inventory: Inventory, deadline: float):
        self.session, self.plan = session, plan
        self.inventory, self.deadline = inventory, deadline
        self.payload_text = render_plan(plan, "netconf")
        self.payload = etree.fromstring(self.payload_text.encode())
        self.filter_xml = xmlcompare.filter_for(self.payload, plan.platform.netconf, plan.managed_interfaces)
        self.interfaces = plan.managed_interfaces
        self.self_revert: str | None = None
        self._locked = self._confirmed = False
        self.running_touched = False   # a <commit> was sent (replied to or not)
        # what the device said that a human must know: its warnings (the session's list) and
        # what `abandon` heard
        self.notes: list[str] = session.warnings
        self._confirm_sent = False
        self.confirmed_late: str | None = None   # see ConfigDriver.confirmed_late

    @classmethod
    def open(cls, inventory: Inventory, plan: HostPlan, deadline: float) -> "NetconfDriver":
        return cls(NetconfSession.open(inventory, plan.host, deadline), plan, inventory, deadline)

    @property
    def pending_confirm(self) -> bool:
        return self._confirmed

    def _owned(self, root) -> dict[str, str]:
        model = self.plan.platform.netconf
        return xmlcompare.owned(xmlcompare.flatten(root, model), model, self.interfaces)

    def read(self) -> Snapshot:
        root = self.session.get_config("running", self.filter_xml)
        return Snapshot(self._owned(root), etree.tostring(root, pretty_print=True).decode(),
                        etree.tostring(root).decode(), raw=root)

    def silenced(self, current: Snapshot) -> tuple[list[str], str] | None:
        above = xmlcompare.deactivated_above(current.raw, self.plan.platform.netconf)
        # Junos: an edit without the attribute leaves the statement inactive; `active="active"`
        # (or the CLI's `activate`) activates it
        return (above, 'send that element with active="active" in an edit-config (on the CLI: '
                'activate it), then commit') if above else None

    def pending_commit(self) -> str | None:
        show = self.plan.platform.pending_commit_show
        return self.plan.platform.pending_commit(self.session.command_text(show) or "") if show else None

    def target_from_intent(self) -> Target:
        wanted = self._owned(self.payload)
        model = self.plan.platform.netconf
        return Target(wanted, lambda before: [self.payload_text,
                                              *xmlcompare.stale_profiles(before, wanted, model)])

    def target_from_backup(self, text: str) -> Target:
        return self._restore_target(etree.fromstring(
            text.encode(), etree.XMLParser(remove_blank_text=True)))

    def target_from_snapshot(self, snapshot: Snapshot) -> Target:
        return self._restore_target(snapshot.raw)

    def _restore_target(self, backup_root) -> Target:
        model = self.plan.platform.netconf
        return Target(self._owned(backup_root), lambda before: xmlcompare.restore_edits(
            backup_root, before, model, self.interfaces))

    def delta(self, current: Snapshot, target: Target) -> list[str]:
        return xmlcompare.delta(current.managed, target.wanted)

    def review(self, current: Snapshot, target: Target) -> list[dict]:
        return review.netconf_leaves(current.managed, target.wanted)

    def begin(self) -> None:
        """Lock the candidate. Refused because someone else holds it or has changed it:
        `DeviceLocked`, and nothing else is sent (their edits are theirs). A device without
        :candidate (only :writable-running) is refused first: `Unsupported`."""
        if self._locked:
            return
        if not self.session.supports("candidate"):
            offers = sorted({":" + c[len(CAPABILITY):].split(":")[0]
                             for c in self.session.capabilities if c.startswith(CAPABILITY)})
            raise Unsupported(
                f"{self.plan.host.name}: needs the NETCONF :candidate capability (oamkit edits "
                f"the candidate and commits it); the device offers "
                f"{', '.join(offers) or 'no capability beyond the base protocol'}. Nothing was "
                "sent to its configuration")
        try:
            self.session.lock("candidate")
        except RpcRejected as exc:
            if not set(exc.tags) & set(LOCK_REFUSED):
                raise
            who = f" (the device names session {exc.session_id} as the holder)" \
                if exc.session_id not in (None, "0") else ""
            raise DeviceLocked(f"{exc}{who}; nothing was sent to the candidate: another "
                               "session's uncommitted edits or lock are left as they are") from None
        self._locked = True

    def load(self, current: Snapshot, target: Target, confirm_timeout: int) -> None:
        self.begin()
        self.session.discard()   # start from running, not from someone's leftovers
        for edit in target.edits(current.raw):
            self.session.edit_config(edit)
        if self.separate_validate():
            self.session.validate()

    def separate_validate(self) -> bool:
        """Whether to send `<validate>` before `<commit>` (`netconf.validate`). It only reports
        errors earlier: `<commit>` validates the candidate anyway (RFC 6241 8.3; a server must
        not commit an invalid one), so skipping it loses no check."""
        setting = self.plan.host.netconf.validate_
        if setting != "auto":
            return setting == "always"
        caps = self.session.capabilities
        return self.session.supports("validate") and not any(
            c.startswith(VALIDATE_LOSES_CHANGE) for c in caps)

    def commit(self, confirm_timeout: int) -> None:
        confirmed = self.session.supports("confirmed-commit")
        self.running_touched = True
        if self.confirmed_late and confirmed:
            # the restore's commit, answered or not, stays only once confirmed: until then
            # the change is what the device keeps (RFC 6241 8.4: a confirmed commit not
            # confirmed is undone when its timeout passes or the session that sent it ends)
            self.confirmed_late += (
                "; the rollback's own confirmed commit that followed, never confirmed, the "
                "device undoes by itself (when its timeout passes or this session ends), "
                "which leaves the change")
        elif self.confirmed_late:
            self._no_longer_known()
        self.session.commit(confirm_timeout if confirmed else None)
        if confirmed:
            self._confirmed = True
            self.self_revert = f"its confirmed commit ({confirm_timeout} seconds)"

    def _no_longer_known(self) -> None:
        """A commit (or confirm) of the restore was sent after `confirmed_late` was learnt:
        the device may now hold part of the restore. What was true before stays said."""
        self.notes.append(self.confirmed_late)
        self.confirmed_late = None

    def confirm(self) -> None:
        if self.confirmed_late:
            self._no_longer_known()
        if self._confirmed:
            self._confirm_sent = True
            self.session.commit()
            self._confirmed = False
        self.self_revert = None

    def abandon(self) -> None:
        if self._confirmed:
            try:
                self.session.cancel_commit()
                self._confirmed = False
                self.self_revert = None
            except RpcRejected as exc:
                if self._confirm_sent:
                    # a session's RPCs are answered in the order sent (RFC 6241): our confirming
                    # <commit> went first, so nothing of ours is pending any more: the change
                    # was confirmed (or its window had already run out); nothing reverts it
                    self._confirmed, self.self_revert = False, None
                    self.confirmed_late = (
                        "the confirming commit had been sent and its reply was late; asked to "
                        f"cancel the confirmed commit, the device said {exc.output.strip()!r}: "
                        "none is pending, and the device will not undo the change by itself")
                else:
                    self.notes.append(f"asked to cancel its confirmed commit, the device said "
                                      f"{exc.output.strip()!r}")
            except (TransportError, DeviceRejected):
                pass
        if not self._locked:
            return   # the candidate is shared: without our lock, what it holds is not ours
        try:
            self.session.discard()
        except (TransportError, DeviceRejected):
            pass

    def cleanup_only(self, lines: list[str]) -> bool:
        return False

    def delta_notes(self, lines: list[str]) -> list[str]:
        return []   # one edit-config, checked as a whole: no line waits for another

    def operational_states(self, interfaces: list[str]) -> dict[str, str | None]:
        """Read over the device's CLI: the OAM session state is operational data that the
        configuration models oamkit writes do not carry."""
        if self.plan.platform.config is None:
            raise TransportError(f"{self.plan.host.name}: {self.plan.platform.display} has no CLI "
                                 "to read OAM session states from (require_operational)")
        cli = CliDriver.open(self.inventory, self.plan, self.deadline)
        try:
            return cli.operational_states(interfaces)
        finally:
            cli.close()

    def extend_deadline(self, deadline: float) -> None:
        self.deadline = self.session.deadline = max(self.session.deadline, deadline)

    def close(self) -> None:
        if self._locked:
            try:
                self.session.unlock("candidate")
            except (TransportError, DeviceRejected):
                pass
            self._locked = False
        self.session.close()
