"""DR-test actions on inventory devices: how a DR plan's `type: action` step reaches a router.

    trigger: {type: action, action: interface-shutdown, device: edge-1,
              args: {interface: GigabitEthernet0/0/0/0}}

The action goes through the same SSH transport and commit model as `oamkit push` (host keys
verified, deadline, device errors raised with the device's text). Which lines shut or open an
interface is platform data (`Platform.interface_disable` / `interface_enable`).
"""
from __future__ import annotations

import time

from oamkit.change import _apply, _confirm
from oamkit.errors import OamkitError
from oamkit.inventory import Inventory
from oamkit.platforms import get_platform
from oamkit.render import HostPlan
from oamkit.transport.ssh import DeviceRejected, SshSession, TransportError

ACTIONS = {"interface-shutdown": "interface_disable", "interface-no-shutdown": "interface_enable"}


def make_action_hook(inventory: Inventory):
    """A hook for `oamkit.dr.runner.set_action_hook`: (action, device, args, timeout) -> text."""

    def hook(action: str, device: str, args: dict, timeout: float) -> str:
        if action not in ACTIONS:
            raise OamkitError(f"unknown DR action {action!r}; known: {', '.join(ACTIONS)}")
        if device not in inventory.hosts:
            raise OamkitError(f"DR action {action}: {device!r} is not in the inventory")
        host = inventory.hosts[device]
        platform = get_platform(host.platform)
        template = getattr(platform, ACTIONS[action])
        interface = args.get("interface")
        if not template or not interface:
            raise OamkitError(f"DR action {action} on {device}: needs args.interface and a "
                              f"platform that defines it ({platform.display})")
        lines = [line.format(interface=platform.canonical_interface(str(interface))) for line in template]
        deadline = time.monotonic() + timeout
        try:
            session = SshSession.open(inventory, host, deadline)
        except TransportError as exc:
            raise OamkitError(str(exc)) from None
        try:
            plan = HostPlan(host, platform)
            # A DR cut must not revert by itself mid-test: commit plainly, no confirm timer.
            _apply(session, plan, lines, confirm_timeout=max(60, int(timeout) * 10))
            _confirm(session, plan)
        except (DeviceRejected, TransportError) as exc:
            raise OamkitError(f"DR action {action} on {device}: {exc}") from None
        finally:
            session.close()
        return f"{device}: " + "; ".join(lines)

    return hook
