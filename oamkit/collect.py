"""Snapshots: run the platform's show commands (data in `Platform.commands`) on one host, parse
them with `oamkit.parse`, and merge the records into one `Snapshot` per host.

One SSH session per host and run, closed at the end (no long-lived sessions that an
`exec-timeout` or an AAA server would kill between polls). Every read has the host's deadline.
A command whose output does not parse does not sink the snapshot: the role is recorded as
failed (`Snapshot.role_errors`) and what depends on it is UNKNOWN later, never zero.
"""
from __future__ import annotations

import calendar
import re
import threading
import time
from dataclasses import dataclass, field

from oamkit import units
from oamkit.errors import OamkitError
from oamkit.history import InterfaceSample, Snapshot, counter_or_none
from oamkit.inventory import Inventory
from oamkit.parse import parse_output
from oamkit.parse.capture import is_device_error
from oamkit.platforms import get_platform
from oamkit.render import HostPlan
from oamkit.transport.reader import Reader, open_reader
from oamkit.transport.ssh import TransportError

COLLECT_ROLES = ("counters", "oam_status", "oam_session", "oam_events", "event_log", "version")
# Roles whose output oamkit.parse does not parse: kept as text for the snapshot to read.
TEXT_ROLES = ("version",)
OK, ERROR = "ok", "error"

# Closing a session can take seconds (netmiko's Huawei logout waits ~2.2 s for output to go
# quiet) although every byte we need is already read: sessions are closed on daemon threads,
# commands wait for them (bounded) before they exit, and a close that hangs never holds up the
# process's exit.
# A count, not the set of threads: the lock is held for a counter's update only, never while
# a thread starts (under load, starting one takes milliseconds, and every host's worker and
# every finishing close queued behind it).
_closing = 0
_closed = threading.Condition()


def close_later(session) -> None:
    global _closing
    with _closed:   # counted before it starts: finish_closing never misses a close
        _closing += 1
    try:
        threading.Thread(target=_close, args=(session,), name="oamkit-close", daemon=True).start()
    except BaseException:
        _done_closing()
        raise


def _close(session) -> None:
    try:
        session.close()
    finally:
        _done_closing()


def _done_closing() -> None:
    global _closing
    with _closed:
        _closing -= 1
        _closed.notify_all()


def finish_closing(timeout: float = 15.0) -> int:
    """Wait for sessions still closing; returns how many did not close in time."""
    with _closed:
        _closed.wait_for(lambda: _closing == 0, timeout=timeout)
        return _closing


COUNTER_KEYS = ("crc_errors", "frame_errors", "input_errors")


def counter_problems(host: str, snap: Snapshot | None) -> list[str]:
    """One line per counter value the device showed out of the 64-bit counter range."""
    if snap is None:
        return []
    return [out_of_range_message(host, name, key, value)
            for name, s in sorted(snap.interfaces.items())
            for key, value in sorted((s.oam.get("out_of_range") or {}).items())]


def out_of_range_message(host: str, interface: str, key: str, value: str) -> str:
    return (f"host {host}: interface {interface}: {key} {value} is out of the 64-bit counter "
            "range (0 to 2^64-1): a parsing or device problem, not a counter value")


@dataclass
class CollectResult:
    """What the fleet runner gets back per host (`outcome` is what run_fleet looks at)."""

    host: str
    platform: str
    outcome: str
    snapshot: Snapshot | None = None
    error: str | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        snap = self.snapshot
        return {"host": self.host, "platform": self.platform, "outcome": self.outcome,
                "error": self.error, "seconds": self.seconds,
                "taken_at": snap.taken_at if snap else None,
                "interfaces": len(snap.interfaces) if snap else 0,
                "role_errors": snap.role_errors if snap else {},
                "counter_problems": counter_problems(self.host, snap),
                **self.extra}


def commands_for(plan: HostPlan, roles=COLLECT_ROLES) -> dict[str, str]:
    """role -> command, for the roles this platform has."""
    return {role: plan.platform.commands[role] for role in roles if role in plan.platform.commands}


def run_commands(session: Reader, platform: str, commands: dict[str, str]
                 ) -> tuple[dict[str, list[dict]], dict[str, str], dict[str, str]]:
    """Each distinct command once. Returns (records by role, errors by role, raw text by command)."""
    texts: dict[str, str] = {}
    records: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    parsed: dict[str, list[dict] | Exception] = {}
    for role, command in commands.items():
        if command not in texts:
            texts[command] = session.show(command)   # TransportError propagates: host unreachable
        refused = _refusal(texts[command])
        if refused is not None:
            # also for text roles, which nothing parses: `show version` refused had no uptime,
            # and reboot detection went without it unsaid
            errors[role] = f"the device refused {command!r}: {refused}"
            continue
        if role in TEXT_ROLES:
            records[role] = [{"text": texts[command]}]
            continue
        if command not in parsed:
            try:
                parsed[command] = [{k: v for k, v in r.items() if k not in ("raw", "template")} | {
                    "_raw": r.get("raw", {})} for r in parse_output(platform, command, texts[command]).records]
            except OamkitError as exc:   # ParseError / UnsupportedCommand
                parsed[command] = exc
        outcome = parsed[command]
        if isinstance(outcome, Exception):
            errors[role] = f"{command!r}: {outcome}"
        else:
            records[role] = outcome
    return records, errors, texts


def _refusal(text: str) -> str | None:
    """The device's error line when it refused the command (AAA command authorization, a
    command it does not have): the lines `oamkit.parse` refuses to parse as output."""
    return next((line.strip() for line in text.splitlines() if is_device_error(line)), None)


def _event_total(record: dict) -> int | None:
    """Running total of link-event records on an interface, whatever the platform prints."""
    values: list[int] = []
    for key in ("local_event_records", "remote_event_records", "local_fault_records"):
        block = record.get(key)
        if isinstance(block, dict):
            values += [v for v in block.values() if isinstance(v, int)]
    if isinstance(record.get("event_running_total"), int):
        values.append(record["event_running_total"])
    for key in ("link_events", "remote_link_events"):   # Junos detail: per-event `events`
        block = record.get(key)
        if isinstance(block, dict):
            values += [e["events"] for e in block.values() if isinstance(e, dict)
                       and isinstance(e.get("events"), int)]
    return sum(values) if values else None


_XR_TIME = re.compile(r"^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})")
_MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}


def _event_time(text: str | None, now: float) -> float | None:
    """XR prints no year: the most recent such time not in the future."""
    match = _XR_TIME.match(text or "")
    if not match or match.group(1) not in _MONTHS:
        return None
    month, day, hh, mm, ss = _MONTHS[match.group(1)], *(int(g) for g in match.groups()[1:])
    year = time.gmtime(now).tm_year
    for candidate in (year, year - 1):
        try:
            ts = calendar.timegm((candidate, month, day, hh, mm, ss, 0, 0, 0))
        except ValueError:
            continue
        if ts <= now + 60:
            return float(ts)
    return None


def build_snapshot(host: str, platform: str, records: dict[str, list[dict]],
                   errors: dict[str, str], ts: float) -> Snapshot:
    snap = Snapshot(host, platform, ts, ok=True, role_errors=dict(errors))
    ifaces: dict[str, InterfaceSample] = {}

    def sample(name: str) -> InterfaceSample:
        return ifaces.setdefault(name, InterfaceSample(name))

    for rec in records.get("counters", []):
        s = sample(rec["interface"])
        for key in COUNTER_KEYS:
            value = rec.get(key)
            counted = counter_or_none(value)
            setattr(s, key, counted)
            if value is not None and counted is None:
                # 2^64 or more (or a negative) is no device counter: garbled output or a parser
                # fault. Kept, as the text the device printed, so the check and collect say
                # so rather than "no CRC counter" as for one the device does not show
                s.oam.setdefault("out_of_range", {})[key] = str(value)
        raw = rec.get("_raw") or {}
        speed = raw.get("SPEED") or raw.get("BANDWIDTH")
        if speed:
            s.oam.setdefault("speed_text", speed)
    for rec in records.get("oam_status", []):
        s = sample(rec["interface"])
        s.mode = rec.get("mode") or s.mode
        s.link_monitoring = rec.get("link_monitoring") if rec.get("link_monitoring") is not None else s.link_monitoring
        s.discovery_state = rec.get("discovery_state") or s.discovery_state
        s.oam["configured"] = True
        s.oam["link_events_config"] = {k: {f: v.get(f) for f in ("window", "window_unit", "low_threshold", "high_threshold")}
                                       for k, v in (rec.get("link_events") or {}).items()}
        for key in ("admin_state", "status", "efm_enabled", "high_threshold_action"):
            if rec.get(key) is not None:
                s.oam[key] = rec[key]
    for rec in records.get("oam_session", []):
        s = sample(rec["interface"])
        s.discovery_state = rec.get("discovery_state") or s.discovery_state
        if rec.get("session_state"):
            s.oam["session_state"] = rec["session_state"]
        if rec.get("link_monitoring") is not None and s.link_monitoring is None:
            s.link_monitoring = rec["link_monitoring"]
    totals: dict[str, int] = {}
    by_interface: dict[str, list[dict]] = {}
    for rec in records.get("oam_events", []):
        by_interface.setdefault(rec["interface"], []).append(rec)
        total = _event_total(rec)
        if total is not None:
            totals[rec["interface"]] = totals.get(rec["interface"], 0) + total
    for name, total in totals.items():
        sample(name).link_events = total
    # per event type, where the platform prints running counts (frame_seconds is judged by them)
    platform_data = get_platform(platform)
    for name, recs in by_interface.items():
        counts = platform_data.event_counts(recs, name)
        if counts:
            sample(name).oam["event_counts"] = counts
    for rec in records.get("event_log", []):
        when = _event_time(rec.get("time"), ts)
        if when is None:
            continue
        snap.events.append({"interface": rec["interface"], "ts": when,
                            "event_type": rec.get("event_type") or "unknown",
                            "location": rec.get("location"),
                            "detail": f"threshold {rec.get('threshold')} value {rec.get('value')}"})
    snap.interfaces = ifaces
    for rec in records.get("version", []):
        snap.uptime_s = uptime_seconds(rec["text"])
    return snap


_UPTIME = re.compile(r"uptime is (?P<text>[^\n]+)", re.I)
_UPTIME_UNITS = {"year": 365 * 86400, "week": 7 * 86400, "day": 86400, "hour": 3600,
                 "minute": 60, "second": 1}


def uptime_seconds(text: str) -> float | None:
    """'ios-1 uptime is 1 year, 2 weeks, 3 days, 4 hours, 5 minutes' -> seconds (None if the
    output has no uptime line, e.g. Junos `show version`)."""
    match = _UPTIME.search(text or "")
    if not match:
        return None
    total = 0
    found = False
    for number, unit in re.findall(r"(\d+)\s+(year|week|day|hour|minute|second)s?", match.group("text"), re.I):
        total += int(number) * _UPTIME_UNITS[unit.lower()]
        found = True
    return float(total) if found else None


def snapshot_with(session: Reader, plan: HostPlan, roles=COLLECT_ROLES) -> Snapshot:
    ts = time.time()
    records, errors, _ = run_commands(session, plan.platform.name, commands_for(plan, roles))
    return build_snapshot(plan.host.name, plan.platform.name, records, errors, ts)


def collect_host(inventory: Inventory, plan: HostPlan, deadline: float, store=None) -> CollectResult:
    """Open, snapshot, close; store the snapshot (also a failed one: that is history too)."""
    started = time.monotonic()
    result = CollectResult(plan.host.name, plan.platform.name, OK)
    try:
        session = open_reader(inventory, plan.host, deadline)
        try:
            result.snapshot = snapshot_with(session, plan)
        finally:
            close_later(session)
    except TransportError as exc:
        result.outcome, result.error = ERROR, str(exc)
        result.snapshot = Snapshot(plan.host.name, plan.platform.name, time.time(), ok=False,
                                   error=str(exc))
    result.seconds = round(time.monotonic() - started, 3)
    result.snapshot.seconds = result.seconds
    if store is not None:
        store(result.snapshot)
    return result


def speed_bps(text: str | None) -> int | None:
    """'1000Mb/s', '1Gbps', '1000000 Kbit', '10Gbps' -> bits per second (None if unreadable)."""
    if not text:
        return None
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:b|bit|bps|b/s)?", text.strip(), re.I)
    if not match:
        return None
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}[match.group(2).lower()]
    if text.strip().lower().endswith("mbps") and not match.group(2):
        scale = 10**6
    try:
        value = int(float(match.group(1)) * scale)
        return units.parse_speed(value) if value > 0 else None
    except ValueError:
        return None
