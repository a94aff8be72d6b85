"""`policy explain`: what each key of one policy becomes on each platform. Sends nothing.

Each key is translated and rendered on its own (with the policy's `on_unsupported`), so one
key's problem on a platform does not hide what the others become there; the commands of a key
are the lines its rendering adds to that of an empty policy. Representative mode uses one
interface per platform at one link speed; with an inventory, every interface that names the
policy, at its own speed, platform and form.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import ValidationError

from oamkit import detection, units
from oamkit.errors import InputError, Problem
from oamkit.inventory import HostSettings, Inventory, OamSettings
from oamkit.platforms import Platform, get_platform, platform_names
from oamkit.policy import (EVENTS, PolicyBook, PolicySpec, relative_threshold_notes,
                           resolve_intent)
from oamkit.render import InterfacePlan, plan_of, render_plan

# Keys that steer oamkit rather than the device, or only shape other keys.
_NOT_DEVICE_KEYS = {"description", "extends", "on_unsupported", "require_operational",
                    "operational_wait"}


@dataclass
class KeyOutcome:
    key: str                     # policy key: "allow_remote_loopback", "link_monitor.frame"
    status: str                  # configured | fallback | skipped | default | error
    commands: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)   # fallback/skip notes, error messages


@dataclass
class TargetExplanation:
    platform: str
    display: str
    interface: str
    speed: str
    form: str
    host: str | None = None
    keys: list[KeyOutcome] = field(default_factory=list)
    # Thresholds that can never fire at this speed, high thresholds without an action, and
    # what an action that only reports means (`oamkit.detection`).
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    policy: str
    source: str | None
    targets: list[TargetExplanation]

    @property
    def ok(self) -> bool:
        return all(k.status != "error" for t in self.targets for k in t.keys)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "policy": self.policy, "source": self.source,
                "targets": [asdict(t) for t in self.targets]}


def policy_keys(raw: dict) -> list[str]:
    """The device-facing keys a policy sets, events and remote failures one by one."""
    keys: list[str] = []
    for key, value in raw.items():
        if key in _NOT_DEVICE_KEYS:
            continue
        if key in ("link_monitor", "remote_failure") and isinstance(value, dict):
            order = EVENTS if key == "link_monitor" else list(value)
            keys += [f"{key}.{name}" for name in order if name in value]
        else:
            keys.append(key)
    return keys


def _only(raw: dict, key: str) -> dict:
    """The policy reduced to one key (with what that key needs to mean the same)."""
    body = {"on_unsupported": raw.get("on_unsupported", "error")}
    top, _, sub = key.partition(".")
    body[top] = {sub: raw[top][sub]} if sub else raw[top]
    if top == "link_timeout" and "pdu_interval" in raw:   # counted in PDU intervals on XR/Junos
        body["pdu_interval"] = raw["pdu_interval"]
    return body


def _without(raw: dict, key: str) -> dict:
    body = {k: v for k, v in raw.items() if k != "extends"}
    top, _, sub = key.partition(".")
    if sub:
        body[top] = {k: v for k, v in body[top].items() if k != sub}
    else:
        body.pop(top)
    return body


def _example_interface(platform: Platform, speed_bps: int) -> str:
    for prefix, speed in platform.interface_speeds.items():
        if units.parse_speed(speed) == speed_bps:
            return f"{prefix}0/0/0"   # GigabitEthernet0/0/0, ge-0/0/0: valid on each
    return "eth0"


def _render_lines(platform: Platform, host: HostSettings, intent) -> tuple[list[str], list[str], list[Problem]]:
    fmt = "cli" if any(k.startswith("cli") for k in platform.templates) else "netconf"
    vendor, problems, notes = platform.translate(intent, fmt)
    if problems:
        return [], notes, problems
    plan = plan_of(host, platform, [InterfacePlan(intent, vendor)])
    return render_plan(plan, fmt).splitlines(), notes, []


def _explain_target(raw: dict, keys: list[str], name: str, platform: Platform,
                    host: HostSettings, interface: str, speed_bps: int) -> TargetExplanation:
    def intent_of(body: dict):
        spec = PolicySpec.model_validate(body)
        return resolve_intent(spec, host=host.name, interface=interface, policy=name,
                              speed_bps=speed_bps)

    base, _, _ = _render_lines(platform, host, intent_of({"on_unsupported": "error"}))
    # In context when the whole policy renders here (Junos writes a high-threshold action only
    # next to a high threshold): a key's lines are those the policy loses without it.
    whole_intent = None
    try:
        whole_intent = intent_of(raw)
        whole, whole_notes, whole_problems = _render_lines(platform, host, whole_intent)
    except InputError:
        whole, whole_notes, whole_problems = [], [], [True]
    target = TargetExplanation(platform.name, platform.display, interface,
                               units.format_speed(speed_bps),
                               "template" if host.oam.form == "template" else "interface",
                               None if host.name == "explain" else host.name)
    for key in keys:
        try:
            lines, notes, problems = _render_lines(platform, host, intent_of(_only(raw, key)))
        except InputError as exc:   # the key is wrong whatever the platform (e.g. its window)
            lines, notes, problems = [], [], exc.problems
        if not whole_problems and not problems:
            without, _, _ = _render_lines(platform, host, intent_of(_without(raw, key)))
            commands = [line for line in whole if line not in without]
        else:
            commands = [line for line in lines if line not in base]
        if problems:
            status, details = "error", [_problem_text(p) for p in problems]
            if key.startswith("link_monitor."):
                details += _percent_notes(raw, key, speed_bps)
        else:
            details = notes
            if any(" becomes " in n for n in notes):
                status = "fallback"
            elif any(" left out on " in n for n in notes) and not commands:
                status = "skipped"
            else:
                status = "configured" if commands else "default"
            if status == "default":
                details = details + [f"nothing written: the {platform.display} default here"]
            if key.startswith("link_monitor."):
                details = _percent_notes(raw, key, speed_bps) + details
        target.keys.append(KeyOutcome(key, status, commands, details))
    if whole_intent is not None:
        target.warnings = [w.message for w in detection.threshold_warnings(whole_intent, platform)]
        note = detection.high_threshold_note(whole_intent, platform)
        # what only the keys together bring about (Junos: high thresholds sharing one action)
        together = [n for n in whole_notes if not any(n in k.details for k in target.keys)]
        target.notes = together + ([note] if note else [])
    return target


def _percent_notes(raw: dict, key: str, speed_bps: int) -> list[str]:
    """How the event's percentage thresholds become counts here ("high 1% of ... = 14881")."""
    try:
        spec = PolicySpec.model_validate(_only(raw, key))
    except ValidationError:
        return []
    return relative_threshold_notes(spec, speed_bps).get(key.partition(".")[2], [])


def _problem_text(problem: Problem) -> str:
    text = f"{problem.field}: {problem.message}" if problem.field else problem.message
    if problem.value is not None:
        text += f" (got {problem.value!r})"
    return text + (f"; allowed: {problem.allowed}" if problem.allowed else "")


def load_policy(policy: str, inventory: Inventory | None) -> tuple[str, dict, str | None]:
    """(name, settings with `extends` merged, source file) of POLICY: a policy file (one
    policy, or FILE:NAME) or a policy name in the inventory."""
    path_text, _, wanted = policy.rpartition(":") if ":" in policy else (policy, "", "")
    path = Path(path_text)
    if path.is_file():
        book = PolicyBook.load(path)
        names = [wanted] if wanted else book.names()
        if len(names) != 1:
            raise InputError([Problem("the file holds several policies; name one as FILE:NAME",
                                      file=str(path), value=", ".join(names))])
        name = names[0]
    elif inventory is not None:
        book, name = inventory.policies, policy
    else:
        raise InputError([Problem("not a policy file, and no inventory to look the name up in "
                                  "(-i)", field="POLICY", value=policy)])
    book.spec(name)   # validated (raises naming the file and key)
    return name, book.raw(name), book.source(name)


def explain_policy(policy: str, inventory: Inventory | None = None, *,
                   platforms: list[str] | None = None, speed: str = "1G",
                   per_interface: bool = False) -> Explanation:
    """What each key of `policy` becomes per platform (`platforms`; default: all), at `speed`;
    `per_interface`: on every inventory interface that uses the policy instead."""
    name, raw, source = load_policy(policy, inventory)
    keys = policy_keys(raw)
    wanted: list[Platform] = []
    for platform_name in platforms or platform_names():
        try:
            wanted.append(get_platform(platform_name))
        except KeyError:
            raise InputError([Problem("unknown platform", field="--platform", value=platform_name,
                                      allowed=", ".join(platform_names()))]) from None
    allowed = {p.name for p in wanted}
    targets: list[TargetExplanation] = []
    if per_interface:
        if inventory is None:
            raise InputError([Problem("per interface needs an inventory", field="-i")])
        for host in inventory.hosts.values():
            if host.platform not in allowed and get_platform(host.platform).name not in allowed:
                continue
            platform = get_platform(host.platform)
            for intent in inventory.intents(host):
                if intent.policy == name:
                    targets.append(_explain_target(raw, keys, name, platform, host,
                                                   intent.interface, intent.speed_bps))
        if not targets:
            raise InputError([Problem(f"no interface in the inventory uses policy {name!r}"
                                      + (" on the chosen platform(s)" if platforms else ""),
                                      field="POLICY", value=name)])
    else:
        speed_bps = units.parse_speed(speed)
        for platform in wanted:
            host = HostSettings(name="explain", hostname="127.0.0.1", platform=platform.name,
                                oam=OamSettings())
            targets.append(_explain_target(raw, keys, name, platform, host,
                                           _example_interface(platform, speed_bps), speed_bps))
    return Explanation(name, source, targets)
