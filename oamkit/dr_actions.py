"""DR-test actions on inventory devices: how a DR plan's `type: action` step reaches a router.

    trigger: {type: action, action: interface-shutdown, device: edge-1,
              args: {interface: GigabitEthernet0/0/0/0}}

The action goes through the same SSH transport and commit model as `oamkit push` (host keys
verified, deadline, device errors raised with the device's text). Which lines shut or open an
interface is platform data (`Platform.interface_disable` / `interface_enable`).
"""
from __future__ import annotations

import threading
import time

from oamkit import detection, maintenance
from oamkit.engine.cli import CliDriver
from oamkit.errors import OamkitError, Problem
from oamkit.inventory import Inventory
from oamkit.parse.engine import parse_output
from oamkit.platforms import get_platform
from oamkit.render import HostPlan
from oamkit.transport.reader import open_reader
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
    marks = maintenance.inventory_problems([host])
    if marks:
        return marks
    status = maintenance.status_for(host)
    if not maintenance.contacted(status):
        # as every command leaves a host marked down alone; the cut would time out mid-test
        return [Problem(f"marked down in the inventory ({status['reason']}): a DR step cannot act "
                        "on it (lift the mark, or name another device)", host=device,
                        field=f"{where}.device", value=device)]
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
    its policy predicts (`oamkit.detection`) and when it logged link events (read as `check`
    reads it, `transport.reader`: over SSH, or over NETCONF for a Junos host on it; parsed by
    oamkit's own templates: its timestamped event log, or its event counters polled during the
    degradation, as `Platform.event_timing` says)."""

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
        intent = self._intent(device, interface)
        monitors = detection.predict_monitors(
            intent, frames_per_s=frames_per_s, error_fraction=error_fraction, errors_per_s=errors_per_s,
            platform=get_platform(self.inventory.hosts[device].platform))
        predicted, reason = detection.detection_from(intent, monitors, routing_detect_s)
        first = detection.earliest_link_down(monitors)
        # the first acting monitor to cross takes the link down: it is down by the earliest of
        # their latest crossings
        acting = [m for m in monitors if m.has_action and m.crossing_s is not None]
        bounds = [m.latest_s for m in acting if m.latest_s is not None]
        latest = min(bounds) + routing_detect_s if predicted is not None and bounds else None
        # and not before the earliest of their earliest crossings
        earliest = min(m.earliest_s for m in acting) + routing_detect_s \
            if predicted is not None and acting else None
        return {"predicted_s": predicted, "reason": reason, "policy": intent.policy,
                "window_s": first.window_s if first else max((m.window_s for m in monitors), default=0.0),
                "earliest_s": earliest, "latest_s": latest, "random_errors": error_fraction is not None,
                "monitors": [{"event": m.event, "window_s": m.window_s, "high": m.high, "reachable": m.reachable,
                              "crossing_s": m.crossing_s, "earliest_s": m.earliest_s, "latest_s": m.latest_s,
                              "has_action": m.has_action,
                              "reason": m.reason}
                             for m in monitors]}

    def event_source(self, device: str) -> dict:
        """Where this device's event times come from (platform data, `Platform.event_timing`)."""
        platform = get_platform(self.inventory.hosts[device].platform)
        timing = platform.event_timing
        if timing is None:
            return {"source": None, "command": None, "resolution_s": None}
        return {"source": timing.source, "command": platform.commands.get(timing.role),
                "resolution_s": timing.resolution_s if timing.source == "log" else None,
                "poll_s": timing.poll_s if timing.source == "counter" else None}

    def watch_events(self, device: str, interface: str, max_s: float) -> "EventCounterPoll | None":
        """Start polling the device's link-event counters, for a platform whose events are timed
        that way; None for one with a timestamped log (read afterwards by `events`)."""
        host = self.inventory.hosts[device]
        platform = get_platform(host.platform)
        timing = platform.event_timing
        if timing is None or timing.source != "counter":
            return None
        return EventCounterPoll(self.inventory, host, platform.canonical_interface(interface), max_s)

    def events(self, device: str, interface: str, since: float, timeout: float,
               watch: "EventCounterPoll | None" = None) -> list[dict]:
        """The link events the device logged since `since`, earliest first. Each has `time` (epoch)
        and `resolution_s`: it happened in [time, time + resolution_s]."""
        host = self.inventory.hosts[device]
        platform = get_platform(host.platform)
        timing = platform.event_timing
        if timing is None:
            raise OamkitError(f"{platform.display} shows no link-event times or counts oamkit reads")
        if timing.source == "counter":
            if watch is None:
                raise OamkitError(f"{platform.display}: its event counters were not polled")
            watch.stop()
            return watch.increments(since)
        command = platform.commands[timing.role]
        try:
            session = open_reader(self.inventory, host, time.monotonic() + timeout)
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
                           | {"time": t, "logged": r.get("time"), "resolution_s": timing.resolution_s,
                              "source": "log"})
        return sorted(out, key=lambda r: r["time"])


class EventCounterPoll:
    """Times link events on a device that keeps no timestamped event log: a thread reads its
    parsed event counters over one session (SSH, or NETCONF for a Junos host on it) every
    `poll_s` (bounded by `max_s`), and an event is placed between the last read that did not
    count it and the first that did."""

    def __init__(self, inventory: Inventory, host, interface: str, max_s: float):
        self.platform = get_platform(host.platform)
        self.command = self.platform.commands[self.platform.event_timing.role]
        self.interface = interface
        self.samples: list[tuple[float, float, dict[str, int]]] = []   # (sent, answered, counts)
        self.error: str | None = None
        self.ready = threading.Event()        # the first read is in, or the poll failed
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(inventory, host, time.monotonic() + max_s),
                                        name=f"event-poll-{host.name}", daemon=True)
        self._thread.start()

    def _run(self, inventory: Inventory, host, deadline: float) -> None:
        try:
            session = open_reader(inventory, host, deadline)
        except (TransportError, OamkitError) as exc:
            self.error = str(exc)
            self.ready.set()
            return
        try:
            while not self._stopping.is_set() and time.monotonic() < deadline:
                sent = time.time()
                text = session.show(self.command)
                answered = time.time()
                counts = self.platform.event_counts(parse_output(host.platform, self.command, text).records,
                                      self.interface)
                if not counts:
                    raise OamkitError(f"`{self.command}` shows no link-event counts for {self.interface}")
                self.samples.append((sent, answered, counts))
                self.ready.set()
                self._stopping.wait(max(0.0, self.platform.event_timing.poll_s - (answered - sent)))
        except (TransportError, OamkitError, ValueError) as exc:
            self.error = str(exc)
        finally:
            session.close()
            self.ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def increments(self, since: float) -> list[dict]:
        """Every rise of an event count after the first read: it happened after the previous
        read was sent (and not before `since`, when the errors began) and before this one was
        answered. Raises OamkitError when the counters could not be read."""
        if self.error and len(self.samples) < 2:
            raise OamkitError(f"event counters not polled: {self.error}")
        return counter_increments(self.samples, since)


def counter_increments(samples: list[tuple[float, float, dict[str, int]]], since: float) -> list[dict]:
    """Events from successive counter reads (sent, answered, {event: count}): each rise happened
    after the previous read was sent, not before `since` (the errors began), and before the read
    that shows it was answered: `time` is that lower bound, `resolution_s` the span."""
    if not samples or samples[0][0] > since:
        raise OamkitError("event counters were first read after the errors began")
    out = []
    for (sent, _, before), (_, answered, after) in zip(samples, samples[1:]):
        for event, count in after.items():
            if count > before.get(event, count):
                start = max(sent, since)
                out.append({"event_type": event, "count": count, "previous": before[event],
                            "time": start, "resolution_s": round(answered - start, 3), "source": "counter"})
    return out


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
