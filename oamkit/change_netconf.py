"""The change engine over NETCONF: the same outcomes as over SSH, with the platform's
datastores doing the work: lock the candidate, edit-config (replace on the subtrees oamkit
owns), validate, commit confirmed, read running back, compare leaf by leaf, confirm, unlock.
Any failure discards the candidate, cancels a pending confirmed commit, and verifies that
running is what it was."""
from __future__ import annotations

import time

from lxml import etree

from oamkit import xmlcompare
from oamkit.change import (CHANGED, NEEDS_ATTENTION, ROLLED_BACK, UNCHANGED, HostResult,
                           VerifyFailed, _error, _write_backup, with_host_lock)
from oamkit.inventory import Inventory
from oamkit.render import HostPlan, render_plan
from oamkit.transport.netconf import NetconfSession
from oamkit.transport.ssh import DeviceRejected, TransportError


def _payload(plan: HostPlan):
    text = render_plan(plan, "netconf")
    return text, etree.fromstring(text.encode())


def _owned(plan: HostPlan, root) -> dict[str, str]:
    model = plan.platform.netconf
    return xmlcompare.owned(xmlcompare.flatten(root, model), model,
                            {i.intent.interface for i in plan.interfaces})


def _read(session: NetconfSession, plan: HostPlan, filter_xml: str):
    data = session.get_config("running", filter_xml)
    return data, _owned(plan, data)


def diff_host_netconf(inventory: Inventory, plan: HostPlan, deadline: float) -> HostResult:
    started = time.monotonic()
    result = HostResult(plan.host.name, plan.platform.name, UNCHANGED)
    _, payload = _payload(plan)
    try:
        session = NetconfSession.open(inventory, plan.host, deadline)
    except TransportError as exc:
        return _error(result, exc, started)
    try:
        _, current = _read(session, plan, xmlcompare.filter_for(payload))
        result.commands = xmlcompare.delta(current, _owned(plan, payload))
        result.outcome = CHANGED if result.commands else UNCHANGED
    except (TransportError, DeviceRejected) as exc:
        return _error(result, exc, started)
    finally:
        session.close()
    result.seconds = round(time.monotonic() - started, 3)
    return result


def push_host_netconf(inventory: Inventory, plan: HostPlan, deadline: float, change_id: str,
                      confirm_timeout: int = 120) -> HostResult:
    text, payload = _payload(plan)
    wanted = _owned(plan, payload)

    def target(before_root):
        stale = xmlcompare.stale_profiles(before_root, wanted, plan.platform.netconf)
        return [text, *stale], wanted

    return with_host_lock(plan, change_id, lambda: _converge(
        inventory, plan, deadline, change_id, confirm_timeout, xmlcompare.filter_for(payload), target))


def restore_host_netconf(inventory: Inventory, plan: HostPlan, deadline: float, backup_xml: str,
                         change_id: str, confirm_timeout: int = 120) -> HostResult:
    """Put oamkit's part of running back to a backup a NETCONF change took (`rollback
    --change`; the caller holds the host's lock): the same lock / edit / commit confirmed /
    verify / confirm as a push."""
    backup_root = etree.fromstring(backup_xml.encode(), etree.XMLParser(remove_blank_text=True))
    interfaces = {i.intent.interface for i in plan.interfaces}
    wanted = _owned(plan, backup_root)

    def target(before_root):
        return xmlcompare.restore_edits(backup_root, before_root, plan.platform.netconf, interfaces), wanted

    return _converge(inventory, plan, deadline, change_id, confirm_timeout,
                     xmlcompare.filter_for(_payload(plan)[1]), target)


def _converge(inventory: Inventory, plan: HostPlan, deadline: float, change_id: str,
              confirm_timeout: int, filter_xml: str, target) -> HostResult:
    """Bring oamkit's part of running (what `filter_xml` reads) to what `target(running
    before)` says: (the edit-config payloads that do it, the owned leaves running must then
    hold)."""
    started = time.monotonic()
    result = HostResult(plan.host.name, plan.platform.name, UNCHANGED)
    try:
        session = NetconfSession.open(inventory, plan.host, deadline)
    except TransportError as exc:
        return _error(result, exc, started)
    locked = confirmed = False
    try:
        try:
            before_root, before = _read(session, plan, filter_xml)
        except (TransportError, DeviceRejected) as exc:
            return _error(result, exc, started)
        edits, wanted = target(before_root)
        result.commands = xmlcompare.delta(before, wanted)
        if not result.commands:
            result.seconds = round(time.monotonic() - started, 3)
            return result
        result.backup = str(_write_backup(change_id, plan, etree.tostring(before_root, pretty_print=True).decode(),
                                          etree.tostring(before_root).decode(), form="netconf"))
        try:
            session.lock("candidate")
            locked = True
            session.discard()  # start from running, not from someone's leftovers
            for edit in edits:
                session.edit_config(edit)
            if session.supports("validate"):
                session.validate()
            confirmed = session.supports("confirmed-commit")
            session.commit(confirm_timeout if confirmed else None)
            _, after = _read(session, plan, filter_xml)
            remaining = xmlcompare.delta(after, wanted)
            if remaining:
                raise VerifyFailed(remaining)
            if confirmed:
                session.commit()
                confirmed = False
            result.outcome = CHANGED
        except (DeviceRejected, TransportError, VerifyFailed) as exc:
            result.error = str(exc)
            if isinstance(exc, DeviceRejected):
                result.device_error = exc.output
            _restore(inventory, plan, session, before, filter_xml, confirmed, deadline, result)
    finally:
        if locked:
            try:
                session.unlock("candidate")
            except (TransportError, DeviceRejected):
                pass
        session.close()
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _restore(inventory, plan, session, before, filter_xml, confirmed, deadline, result) -> None:
    def put_back(s: NetconfSession) -> list[str]:
        try:
            if confirmed:
                s.cancel_commit()
        except (TransportError, DeviceRejected):
            pass
        try:
            s.discard()
        except (TransportError, DeviceRejected):
            pass
        _, now = _read(s, plan, filter_xml)
        return xmlcompare.delta(now, before)

    try:
        left = put_back(session)
    except (TransportError, DeviceRejected):
        # The session is gone: a confirmed commit reverts by itself when its session ends
        # (RFC 6241 8.4); check on a fresh session.
        try:
            fresh = NetconfSession.open(inventory, plan.host, deadline)
            try:
                _, now = _read(fresh, plan, filter_xml)
                left = xmlcompare.delta(now, before)
            finally:
                fresh.close()
        except Exception as exc:  # noqa: BLE001 - a human must look
            result.outcome = NEEDS_ATTENTION
            result.detail = f"could not reconnect to verify the rollback: {exc}"
            return
    if left:
        result.outcome = NEEDS_ATTENTION
        result.detail = "running differs from the backup by: " + "; ".join(left[:10])
    else:
        result.outcome = ROLLED_BACK
