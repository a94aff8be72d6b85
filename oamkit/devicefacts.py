"""Device facts: what each device says it is (platform, software, model, interfaces with speed
and OAM state), and where that disagrees with the inventory, before anything is pushed.

Mismatches reported: a host that answers like another platform than the one declared (the
`version_pattern` of every platform is tried on the output), an interface in the policy that the
device does not have, a link speed that differs from the one the policy was converted at.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field

from oamkit import collect
from oamkit.platforms import get_platform, platform_names
from oamkit.transport.reader import open_reader
from oamkit.transport.ssh import TransportError
from oamkit.units import format_speed

FACT_ROLES = ("version", "counters", "oam_status")


@dataclass
class Facts:
    host: str
    platform: str            # declared in the inventory
    outcome: str             # "ok" | "mismatch" | "error" | "skipped" (marked down)
    detected_platform: str | None = None
    version: str | None = None
    model: str | None = None
    interfaces: list[dict] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def detect_platform(text: str) -> str | None:
    found = [name for name in platform_names()
             if get_platform(name).version_pattern
             and re.search(get_platform(name).version_pattern, text, re.M)]
    return found[0] if len(found) == 1 else None


def version_and_model(platform: str, text: str) -> tuple[str | None, str | None]:
    """Software version and model from ntc-templates' show version template."""
    from ntc_templates.parse import parse_output

    command = get_platform(platform).commands.get("version")
    keys = get_platform(platform).version_fields
    if not command or not keys:
        return None, None
    try:
        rows = parse_output(platform=platform, command=command, data=text)
    except Exception:  # noqa: BLE001 - an unparsable banner is reported as unknown, not fatal
        return None, None
    if not rows:
        return None, None
    row = rows[0]
    version, model = row.get(keys[0]) or None, row.get(keys[1]) or None
    if isinstance(model, list):
        model = model[0] if model else None
    return version, model


def facts_host(inventory, plan, deadline, *, intents) -> Facts:
    started = time.monotonic()
    declared = plan.platform.name
    out = Facts(plan.host.name, declared, "ok")
    try:
        session = open_reader(inventory, plan.host, deadline)
        try:
            version_text = session.show(plan.platform.commands["version"])
            out.detected_platform = detect_platform(version_text)
            if out.detected_platform == declared:
                out.version, out.model = version_and_model(declared, version_text)
                records, errors, _ = collect.run_commands(
                    session, declared, collect.commands_for(plan, ("counters", "oam_status")))
            else:
                records, errors = {}, {}
        finally:
            collect.close_later(session)
    except TransportError as exc:
        out.outcome, out.error = "error", str(exc)
        out.seconds = round(time.monotonic() - started, 3)
        return out
    if out.detected_platform != declared:
        seen = out.detected_platform or "no platform oamkit knows"
        out.mismatches.append(f"declared {declared} but answers like {seen} "
                              f"(to {plan.platform.commands['version']!r})")
    snap = collect.build_snapshot(plan.host.name, declared, records, errors, time.time())
    for name, sample in sorted(snap.interfaces.items()):
        bps = collect.speed_bps(sample.oam.get("speed_text"))
        out.interfaces.append({"name": name, "speed": format_speed(bps) if bps else sample.oam.get("speed_text"),
                               "speed_bps": bps,
                               "oam": "enabled" if sample.oam.get("configured") else "not enabled",
                               "link_monitoring": sample.link_monitoring})
    for role, why in errors.items():
        out.mismatches.append(f"could not read {role}: {why}")
    if out.detected_platform == declared and "counters" not in errors:
        present = {i["name"]: i for i in out.interfaces}
        for intent in intents:
            found = present.get(intent.interface)
            if found is None:
                out.mismatches.append(f"{intent.interface} is in the policy but the device has no "
                                      "such interface")
            elif found["speed_bps"] and found["speed_bps"] != intent.speed_bps:
                out.mismatches.append(
                    f"{intent.interface}: the policy was converted at {format_speed(intent.speed_bps)} "
                    f"but the link runs at {found['speed']}")
    if out.mismatches:
        out.outcome = "mismatch"
    out.seconds = round(time.monotonic() - started, 3)
    return out
