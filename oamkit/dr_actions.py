"""DR-test actions on inventory devices: how a DR plan's `type: action` step reaches a router.

    trigger: {type: action, action: interface-shutdown, device: edge-1,
              args: {interface: GigabitEthernet0/0/0/0}}

The action goes through the same SSH transport and commit model as `oamkit push` (host keys
verified, deadline, device errors raised with the device's text). Which lines shut or open an
interface is platform data (`Platform.interface_disable` / `interface_enable`).
"""
from __future__ import annotations

import time

from oamkit.engine.cli import CliDriver
from oamkit.errors import OamkitError, Problem
from oamkit.inventory import Inventory
from oamkit.platforms import get_platform
from oamkit.render import HostPlan
from oamkit.transport.ssh import DeviceRejected, TransportError

ACTIONS = {"interface-shutdown": "interface_disable", "interface-no-shutdown": "interface_enable"}


def action_problems(inventory: Inventory, action: str | None, device: str | None, args: dict,
                    where: str) -> list[Problem]:
    """Why a plan's `type: action` step cannot run, found before the DR test starts: the lines
    it sends are built from the plan's strings, so they are checked like an inventory's."""
    if action not in ACTIONS:
        return [Problem(f"unknown DR action; known: {', '.join(ACTIONS)}", field=f"{where}.action",
                        value=action)]
    if device not in inventory.hosts:
        return [Problem("not in the inventory", field=f"{where}.device", value=device)]
    host = inventory.hosts[device]
    platform = get_platform(host.platform)
    interface = (args or {}).get("interface")
    if not getattr(platform, ACTIONS[action]) or not isinstance(interface, str) or not interface:
        return [Problem(f"needs args.interface and a platform that defines {action} "
                        f"({platform.display})", host=device, field=f"{where}.args.interface",
                        value=interface)]
    unfit = platform.names.problem("interface", platform.canonical_interface(interface))
    if unfit:
        return [Problem(f"{unfit} on {platform.display}", host=device,
                        field=f"{where}.args.interface", value=interface)]
    return inventory.credential_problems([host])


def make_action_hook(inventory: Inventory):
    """A hook for `oamkit.dr.runner.set_action_hook`: (action, device, args, timeout) -> text."""

    def hook(action: str, device: str, args: dict, timeout: float) -> str:
        problems = action_problems(inventory, action, device, args, "action")
        if problems:
            raise OamkitError(f"DR action {action} on {device}: {problems[0]}")
        host = inventory.hosts[device]
        platform = get_platform(host.platform)
        template = getattr(platform, ACTIONS[action])
        interface = platform.canonical_interface(args["interface"])
        lines = [line.format(interface=interface) for line in template]
        deadline = time.monotonic() + timeout
        try:
            driver = CliDriver.open(inventory, HostPlan(host, platform), deadline)
        except TransportError as exc:
            raise OamkitError(str(exc)) from None
        try:
            # A DR cut must not revert by itself mid-test: committed and confirmed at once.
            driver.send(lines, confirm_timeout=max(60, int(timeout) * 10))
            driver.confirm()
        except (DeviceRejected, TransportError) as exc:
            raise OamkitError(f"DR action {action} on {device}: {exc}") from None
        finally:
            driver.close()
        return f"{device}: " + "; ".join(lines)

    return hook
