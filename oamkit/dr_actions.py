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


class OamHook:
    """The degrade trigger's view of the device whose link degrades (`oamkit.dr.degrade`): what
    its policy predicts (`oamkit.detection`) and what its event log says (read over SSH,
    parsed by oamkit's own templates)."""

    def __init__(self, inventory: Inventory):
        self.inventory = inventory

    def _intent(self, device: str, interface: str):
        host = self.inventory.hosts.get(device)
        if host is None:
            raise OamkitError(f"device {device!r} is not in the inventory")
        platform = get_platform(host.platform)
        name = platform.canonical_interface(interface)
        for intent in self.inventory.intents(host):
            if platform.canonical_interface(intent.interface) == name:
                return intent
        raise OamkitError(f"{device}: interface {interface} has no OAM policy in the inventory")

    def predict(self, device: str, interface: str, *, frames_per_s: float, error_fraction: float | None,
                errors_per_s: float | None, routing_detect_s: float) -> dict:
        try:
            from oamkit import detection
        except ImportError:
            raise OamkitError("oamkit.detection is not available in this build") from None
        intent = self._intent(device, interface)
        kw = {"frames_per_s": frames_per_s, "error_fraction": error_fraction, "errors_per_s": errors_per_s,
              "platform": get_platform(self.inventory.hosts[device].platform)}
        monitors = detection.predict_monitors(intent, **kw)
        predicted, reason = detection.predicted_detection_s(intent, routing_detect_s=routing_detect_s, **kw)
        acting = [m for m in monitors if m.has_action and m.crossing_s is not None]
        first = min(acting, key=lambda m: m.crossing_s) if acting else None
        return {"predicted_s": predicted, "reason": reason, "policy": intent.policy,
                "window_s": first.window_s if first else max((m.window_s for m in monitors), default=0.0),
                "monitors": [{"event": m.event, "window_s": m.window_s, "high": m.high, "reachable": m.reachable,
                              "crossing_s": m.crossing_s, "has_action": m.has_action, "reason": m.reason}
                             for m in monitors]}

    def events(self, device: str, interface: str, since: float, timeout: float) -> list[dict]:
        from oamkit.parse.engine import parse_output
        from oamkit.transport.ssh import SshSession

        host = self.inventory.hosts[device]
        platform = get_platform(host.platform)
        command = platform.commands.get("event_log")
        if not command:
            raise OamkitError(f"{platform.display} keeps no timestamped OAM event log oamkit reads")
        try:
            session = SshSession.open(self.inventory, host, time.monotonic() + timeout)
        except TransportError as exc:
            raise OamkitError(str(exc)) from None
        try:
            text = session.show(command)
        except TransportError as exc:
            raise OamkitError(str(exc)) from None
        finally:
            session.close()
        name = platform.canonical_interface(interface)
        out = []
        for r in parse_output(host.platform, command, text).records:
            if r.get("interface") != name:
                continue
            t = _event_time(r.get("time") or "", since)
            if t is not None and t >= int(since):
                out.append({k: r.get(k) for k in ("event_type", "location", "action", "threshold", "value")}
                           | {"time": t, "logged": r.get("time")})
        return sorted(out, key=lambda r: r["time"])


def _event_time(text: str, near: float) -> float | None:
    """'Sat Dec 05 21:55:27 UTC' (XR event-log rows carry no year) -> epoch seconds."""
    import datetime

    words = text.replace(" UTC", "").split()
    if len(words) < 4:
        return None
    year = datetime.datetime.fromtimestamp(near, datetime.timezone.utc).year
    for fmt in ("%a %b %d %H:%M:%S.%f %Y", "%a %b %d %H:%M:%S %Y"):
        try:
            dt = datetime.datetime.strptime(" ".join(words[:4] + [str(year)]), fmt)
        except ValueError:
            continue
        return dt.replace(tzinfo=datetime.timezone.utc).timestamp()
    return None
