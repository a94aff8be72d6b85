"""The vendor-neutral Ethernet link OAM policy, kept in IEEE 802.3 Clause 30/57 units.

A *policy* is a named, shareable profile (YAML under `<inventory>/policies/`). Hosts and groups
reference one by name and may override any part of it per interface. Resolving a policy for one
interface of one host gives a `LinkOamIntent`: the same settings with every window converted to
IEEE units (deciseconds, frames, symbols) for that interface's link speed. Platforms then decide
whether they can express the intent (`oamkit.platforms`).

Example (the receive-CRC monitor our users ask for most):

    crc-watch:
      description: Alarm on bursts of CRC errors
      link_monitor:
        receive_crc: {window: 10s, low: 3000}

One company-wide policy for every platform: each key says what happens where a platform lacks
it. An event may name a `fallback` event (receive_crc -> frame: the IEEE errored-frame event
counts frames with FCS errors), and `on_unsupported: skip` (policy-wide or per event) leaves a
setting the platform cannot hold out of its configuration and reports it in the plan's notes;
`error` (the default) stops with exit 2, as before.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from oamkit import textcheck, units, yamlfile
from oamkit.errors import InputError, Problem

EventName = Literal["symbol_period", "frame", "frame_period", "frame_seconds",
                    "receive_crc", "transmit_crc"]
EVENTS: tuple[str, ...] = ("symbol_period", "frame", "frame_period", "frame_seconds",
                           "receive_crc", "transmit_crc")
# Windows the standard counts in time (deciseconds); the other two count frames / symbols.
TIME_WINDOW_EVENTS = frozenset({"frame", "frame_seconds", "receive_crc", "transmit_crc"})
IEEE_EVENT_NAMES = {
    "symbol_period": "Errored Symbol Period (30.3.6.1.34)",
    "frame": "Errored Frame (30.3.6.1.36)",
    "frame_period": "Errored Frame Period (30.3.6.1.38)",
    "frame_seconds": "Errored Frame Seconds Summary (30.3.6.1.40)",
    "receive_crc": "Receive CRC (Cisco extension)",
    "transmit_crc": "Transmit CRC (Cisco extension)",
}
WINDOW_UNITS = {"symbol_period": "symbols", "frame": "deciseconds", "frame_period": "frames",
                "frame_seconds": "deciseconds", "receive_crc": "deciseconds",
                "transmit_crc": "deciseconds"}

Action = Literal["error-disable-interface", "failover", "log"]
# What each neutral action means where no platform says otherwise (`Platform.link_down_actions`):
# error-disable shuts the port, failover moves its traffic away; log only reports.
LINK_DOWN_ACTIONS: tuple[str, ...] = ("error-disable-interface", "failover")
OnUnsupported = Literal["skip", "error"]
RemoteFailure = Literal["link_fault", "dying_gasp", "critical_event"]
HIGH_NONE = "none"

# libyaml when PyYAML has it (several times faster on a large inventory); duplicate keys refused
YAML_LOADER = yamlfile.UniqueKeyLoader


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventSpec(_Strict):
    """One link-monitor event as written in a policy file."""

    # Strict ints: YAML reads `low: yes` as True, which pydantic would quietly take as 1.
    window: str | StrictInt | None = Field(
        None, description="time-based events: a duration ('1s', '100ms'); frame_period and "
        "symbol_period: a count of frames/symbols, or a duration converted at the link speed")
    low: StrictInt | str | None = Field(
        None, description="low threshold: an event is sent when errors reach it; a count, or a "
        "percentage of what one window can count at line rate ('0.5%')")
    high: StrictInt | str | None = Field(
        None, description="high threshold: the high-threshold action fires; 'none' disables "
        "it; a count, or a percentage of what one window can count at line rate ('1%')")

    fallback: EventName | None = Field(
        None, description="event used instead on a platform without this one (e.g. "
        "receive_crc -> frame), with the same window and thresholds")
    on_unsupported: OnUnsupported | None = Field(
        None, description="this event where a platform lacks it (or a part of it): skip "
        "(left out, reported) or error; default: the policy's on_unsupported")

    @field_validator("low")
    @classmethod
    def _low_count_or_percent(cls, value):
        if isinstance(value, int) and value < 0:
            raise ValueError("low threshold must be at least 0")
        if isinstance(value, str):
            units.parse_percent(value)
        return value

    @field_validator("high")
    @classmethod
    def _high_positive(cls, value):
        if isinstance(value, int) and value < 1:
            raise ValueError("high threshold must be at least 1, or 'none'")
        if isinstance(value, str) and value != HIGH_NONE:
            try:
                units.parse_percent(value)
            except ValueError as exc:
                raise ValueError(str(exc).replace("a count or", "a count, 'none' or")) from None
        return value


class LinkMonitorSpec(_Strict):
    symbol_period: EventSpec | None = None
    frame: EventSpec | None = None
    frame_period: EventSpec | None = None
    frame_seconds: EventSpec | None = None
    receive_crc: EventSpec | None = None
    transmit_crc: EventSpec | None = None


class PolicySpec(_Strict):
    """A named link OAM policy profile, as written in `policies/*.yaml`."""

    description: str | None = None
    extends: str | None = Field(None, description="name of a policy this one starts from")
    enabled: bool = True
    mode: Literal["active", "passive"] | None = None
    pdu_interval: str | None = Field(None, description="how often OAMPDUs are sent, e.g. '1s'")
    pdu_max_rate: StrictInt | None = Field(None, ge=1, description="most OAMPDUs per second (IOS max-rate)")
    link_timeout: str | None = Field(None, description="session lost after this silence, e.g. '5s'")
    link_monitoring: bool = True
    link_monitor: LinkMonitorSpec = LinkMonitorSpec()
    high_threshold_action: Action | None = None
    remote_failure: dict[RemoteFailure, Literal["error-disable-interface", "log"]] | None = None
    link_fault_holdup: str | None = Field(
        None, description="after a link fault clears, keep the OAM state down this long "
        "before bringing the link back (Huawei efm holdup-timer), e.g. '20s'")
    allow_remote_loopback: bool | None = Field(
        None, description="answer a peer's remote loopback request (true) or refuse it "
        "(false); unset: the platform's default")
    on_unsupported: OnUnsupported = Field(
        "error", description="a setting a platform cannot hold: skip (left out of that "
        "platform's configuration and reported in the notes) or error (exit 2)")
    require_operational: bool = Field(
        False, description="push: the OAM session must come up (discovery operational) before "
        "the change is confirmed; otherwise it is rolled back")
    operational_wait: str = Field("30s", description="how long push waits for the session")

    @field_validator("pdu_interval", "link_timeout", "operational_wait", "link_fault_holdup")
    @classmethod
    def _duration(cls, value):
        if value is not None:
            units.parse_duration_ms(value)
        return value


class EventIntent(BaseModel):
    """One resolved event: window in IEEE units plus, when the policy gave a duration, that
    duration (so a vendor that counts time can use it exactly)."""

    model_config = ConfigDict(frozen=True)
    window: int | None = None
    window_ms: int | None = None
    window_rounded: bool = False  # time -> frames/symbols did not divide evenly (reported)
    low: int | None = None
    high: int | Literal["none"] | None = None
    fallback: str | None = None
    # The same window and thresholds resolved in the fallback event's own units.
    fallback_intent: EventIntent | None = None
    on_unsupported: OnUnsupported = "error"


class LinkOamIntent(BaseModel):
    """What one interface should run, in IEEE units: the input of every renderer."""

    model_config = ConfigDict(frozen=True)
    host: str
    interface: str
    policy: str
    speed_bps: int
    enabled: bool = True
    mode: Literal["active", "passive"] | None = None
    pdu_interval_ms: int | None = None
    pdu_max_rate: int | None = None
    link_timeout_ms: int | None = None
    link_monitoring: bool = True
    events: dict[str, EventIntent] = {}
    high_threshold_action: Action | None = None
    remote_failure: dict[str, str] = {}
    link_fault_holdup_ms: int | None = None
    allow_remote_loopback: bool | None = None
    on_unsupported: OnUnsupported = "error"
    require_operational: bool = False
    operational_wait_ms: int = 30_000
    overridden: bool = False

    def settings_fingerprint(self) -> str:
        """Short stable hash of the settings (not of host/interface), to name shared profiles."""
        data = self.model_dump(exclude={"host", "interface", "policy", "overridden",
                                        "require_operational", "operational_wait_ms"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:6]


# IEEE Clause 30 default windows (vendor notes §1.1), in IEEE units; frame_period and
# symbol_period default to what the PHY carries in 1 s (None here: depends on the speed).
IEEE_DEFAULT_WINDOWS: dict[str, int | None] = {"frame": 10, "frame_seconds": 600,
                                               "frame_period": None, "symbol_period": None}


def default_window(event: str, speed_bps: int) -> int | None:
    """The IEEE default window of `event` in its IEEE unit at `speed_bps`; None where the
    standard has none (Cisco's CRC monitors, whose documented defaults conflict, §2.2)."""
    if event == "frame_period":
        return units.frames_for_duration(1000, speed_bps)[0]
    if event == "symbol_period":
        return units.symbols_for_duration(1000, speed_bps)[0]
    return IEEE_DEFAULT_WINDOWS.get(event)


def window_capacity(event: str, window: int, speed_bps: int) -> int:
    """The most errors one window of `event` (`window` in its IEEE unit) can count on a link
    of `speed_bps`: every minimum-size frame at line rate errored (time windows), every frame
    of a frame_period window, every second of a frame_seconds window, every symbol of a
    symbol_period window."""
    if event == "frame_seconds":
        return window // 10
    if event in TIME_WINDOW_EVENTS:
        return units.frames_for_duration(window * 100, speed_bps)[0]
    return window


def deep_merge(base: dict, override: dict) -> dict:
    """Recursively merge `override` into a copy of `base` (override wins, dicts merge)."""
    merged = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _union_member(part) -> bool:
    """pydantic names the member of a union it tried last in `loc` ('str', 'int',
    "literal['none']"): not a key the user wrote."""
    return isinstance(part, str) and (part in {"str", "int", "float", "bool", "dict", "list"}
                                      or part.startswith(("literal[", "function-")))


def problems_from_validation(exc: ValidationError, **where) -> list[Problem]:
    merged: dict[str, tuple[list[str], object]] = {}
    for err in exc.errors():
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        value = err.get("input") if err["type"] != "extra_forbidden" else None
        loc = [p for p in err["loc"] if not _union_member(p)]
        field = ".".join(str(p) for p in loc)
        messages, _ = merged.setdefault(field, ([], value))
        if message not in messages:   # one line per key: "a valid string or a valid integer"
            messages.append(message.removeprefix("Input should be ") if messages else message)
    return [Problem(" or ".join(messages), field=field or None,
                    value=value if not isinstance(value, dict) else None, **where)
            for field, (messages, value) in merged.items()]


class PolicyBook:
    """All named policies of an inventory, loaded from YAML and validated up front."""

    def __init__(self, raw: dict[str, dict], sources: dict[str, str]):
        self._raw = raw
        self._sources = sources
        self._resolved: dict[str, dict] = {}
        self._specs: dict[str, PolicySpec] = {}   # validated once per policy (they are frozen)

    @classmethod
    def load(cls, *folders: Path) -> PolicyBook:
        raw: dict[str, dict] = {}
        sources: dict[str, str] = {}
        problems: list[Problem] = []
        for folder in folders:
            if folder.is_file():   # one policy file (`oamkit policy explain FILE`)
                paths = [folder]
            elif folder.is_dir():
                paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
            else:
                continue
            for path in paths:
                try:
                    content = yamlfile.load(path) or {}
                except InputError as exc:
                    problems.extend(exc.problems)
                    continue
                if not isinstance(content, dict):
                    problems.append(Problem("a policy file maps policy names to settings",
                                            file=str(path)))
                    continue
                found = textcheck.text_problems(content, str(path))
                if found:
                    problems.extend(found)
                    continue
                for name, body in content.items():
                    if not isinstance(name, str):
                        problems.append(Problem("a policy name is text", file=str(path),
                                                value=name))
                        continue
                    if name in raw:
                        problems.append(Problem(f"policy {name!r} is defined twice (also in "
                                                f"{sources[name]})", file=str(path)))
                        continue
                    raw[name] = body if isinstance(body, dict) else {"__invalid__": body}
                    sources[name] = str(path)
        book = cls(raw, sources)
        for name in raw:
            try:
                book.spec(name)
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems)
        return book

    def names(self) -> list[str]:
        return sorted(self._raw)

    def source(self, name: str) -> str | None:
        return self._sources.get(name)

    def raw(self, name: str, _chain: tuple[str, ...] = ()) -> dict:
        """The policy's settings with its `extends` chain merged in."""
        if name in self._resolved:
            return self._resolved[name]
        if name not in self._raw:
            known = ", ".join(self.names()) or "none defined"
            raise InputError([Problem(f"unknown policy {name!r} (known: {known})", field="policy",
                                      value=name)])
        if name in _chain:
            raise InputError([Problem(f"policy 'extends' loop: {' -> '.join([*_chain, name])}",
                                      file=self._sources[name])])
        body = dict(self._raw[name])
        parent = body.get("extends")
        if parent:
            if parent not in self._raw:   # the file and policy that name it, not a bare name
                known = ", ".join(self.names())
                raise InputError([Problem(f"not a policy of this inventory (known: {known})",
                                          file=self._sources.get(name),
                                          field=f"policy {name}: extends", value=parent)])
            body = deep_merge(self.raw(parent, (*_chain, name)), body)
        self._resolved[name] = body
        return body

    def spec(self, name: str, overrides: dict | None = None, **where) -> PolicySpec:
        if not overrides and name in self._specs:
            return self._specs[name]
        body = self.raw(name)
        if overrides:
            body = deep_merge(body, overrides)
        try:
            spec = PolicySpec.model_validate(body)
        except ValidationError as exc:
            file = where.pop("file", None) or (self._sources.get(name) if not overrides else None)
            prefix = "overrides." if overrides else f"policy {name}: "
            problems = problems_from_validation(exc, file=file, **where)
            raise InputError([Problem(p.message, file=p.file, host=p.host, interface=p.interface,
                                      field=f"{prefix}{p.field}" if p.field else None,
                                      value=p.value) for p in problems]) from None
        if not overrides:
            self._specs[name] = spec
        return spec


def resolve_intent(spec: PolicySpec, *, host: str, interface: str, policy: str,
                   speed_bps: int, overridden: bool = False) -> LinkOamIntent:
    """Turn a validated policy into IEEE-unit intent for one interface at its link speed."""
    problems: list[Problem] = []
    events: dict[str, EventIntent] = {}
    for name in EVENTS:
        event: EventSpec | None = getattr(spec.link_monitor, name)
        if event is None:
            continue
        field = f"link_monitor.{name}.window"
        window = window_ms = None
        rounded = False
        try:
            window, window_ms, rounded = _resolve_window(name, event.window, speed_bps)
        except ValueError as exc:
            problems.append(Problem(str(exc), host=host, interface=interface, field=field,
                                    value=event.window))
        low, high = _thresholds(name, event, window, speed_bps, problems, host=host,
                                interface=interface)
        if isinstance(high, int) and low is not None and low >= high:
            problems.append(Problem("low threshold must be lower than the high threshold",
                                    host=host, interface=interface,
                                    field=f"link_monitor.{name}",
                                    value=f"low {_written(event.low, low)}, "
                                          f"high {_written(event.high, high)}"))
        fallback_intent = None
        if event.fallback is not None:
            fallback_intent = _fallback_intent(name, event, spec, speed_bps, problems,
                                               host=host, interface=interface)
        events[name] = EventIntent(window=window, window_ms=window_ms, window_rounded=rounded,
                                   low=low, high=high, fallback=event.fallback,
                                   fallback_intent=fallback_intent,
                                   on_unsupported=event.on_unsupported or spec.on_unsupported)
    if problems:
        raise InputError(problems)
    return LinkOamIntent(
        host=host, interface=interface, policy=policy, speed_bps=speed_bps,
        enabled=spec.enabled, mode=spec.mode,
        pdu_interval_ms=units.parse_duration_ms(spec.pdu_interval) if spec.pdu_interval else None,
        pdu_max_rate=spec.pdu_max_rate,
        link_timeout_ms=units.parse_duration_ms(spec.link_timeout) if spec.link_timeout else None,
        link_monitoring=spec.link_monitoring, events=events,
        high_threshold_action=spec.high_threshold_action,
        remote_failure=dict(spec.remote_failure or {}),
        link_fault_holdup_ms=(units.parse_duration_ms(spec.link_fault_holdup)
                              if spec.link_fault_holdup else None),
        allow_remote_loopback=spec.allow_remote_loopback, on_unsupported=spec.on_unsupported,
        require_operational=spec.require_operational,
        operational_wait_ms=units.parse_duration_ms(spec.operational_wait), overridden=overridden)


def _fallback_intent(name: str, event: EventSpec, spec: PolicySpec, speed_bps: int,
                     problems: list[Problem], **where) -> EventIntent | None:
    """The fallback event's intent: the same window (in the fallback's IEEE unit) and thresholds.
    A fallback to an event the policy also sets would configure that event twice, differently."""
    target = event.fallback
    field = f"link_monitor.{name}.fallback"
    if target == name:
        problems.append(Problem("an event cannot fall back to itself", field=field, value=target,
                                **where))
        return None
    if getattr(spec.link_monitor, target) is not None:
        problems.append(Problem(f"link_monitor.{target} is set too: on a platform without {name} "
                                f"the two would configure {target} twice; drop one or use "
                                "on_unsupported: skip", field=field, value=target, **where))
        return None
    try:
        window, window_ms, rounded = _resolve_window(target, event.window, speed_bps)
    except ValueError as exc:
        problems.append(Problem(f"as a {target} window: {exc}", field=field, value=event.window,
                                **where))
        return None
    # the event's own resolution reports a percentage without a window
    low, high = _thresholds(target, event, window, speed_bps, [], **where)
    return EventIntent(window=window, window_ms=window_ms, window_rounded=rounded, low=low,
                       high=high, on_unsupported=event.on_unsupported or spec.on_unsupported)


def _written(value, resolved) -> str:
    return f"{value} = {resolved}" if units.is_percent(value) else str(value)


def _thresholds(event: str, spec: EventSpec, window: int | None, speed_bps: int,
                problems: list[Problem], **where) -> tuple[int | None, int | str | None]:
    """(low, high) as counts: a percentage is of what one window can count at line rate
    (`window_capacity`), rounded up, at least 1."""
    out = []
    for level in ("low", "high"):
        value = getattr(spec, level)
        if units.is_percent(value):
            if window is None:
                problems.append(Problem("a percentage threshold needs the event's window (what "
                                        "one window can count depends on it)",
                                        field=f"link_monitor.{event}.{level}", value=value,
                                        **where))
                value = None
            else:
                share = units.parse_percent(value) * window_capacity(event, window, speed_bps)
                value = max(1, math.ceil(share))
        out.append(value)
    return out[0], out[1]


def relative_threshold_notes(spec: PolicySpec, speed_bps: int) -> dict[str, list[str]]:
    """Per event, how each percentage threshold becomes a count at `speed_bps` (for `policy
    explain`): "high 1% of 1488095 frames the 1G link can carry in 1s = 14881"."""
    notes: dict[str, list[str]] = {}
    for name in EVENTS:
        event: EventSpec | None = getattr(spec.link_monitor, name)
        if event is None:
            continue
        for level in ("low", "high"):
            value = getattr(event, level)
            if not units.is_percent(value):
                continue
            try:
                window = _resolve_window(name, event.window, speed_bps)[0]
            except ValueError:
                continue
            if window is None:
                continue
            capacity = window_capacity(name, window, speed_bps)
            count = max(1, math.ceil(units.parse_percent(value) * capacity))
            notes.setdefault(name, []).append(
                f"{level} {value.strip()} of {capacity_text(name, window, capacity, speed_bps)} "
                f"= {count}")
    return notes


def capacity_text(event: str, window: int, capacity: int, speed_bps: int) -> str:
    """What one window of `event` can count at line rate, in words."""
    if event == "frame_seconds":
        return f"{capacity} seconds in its {units.format_duration_ms(window * 100)} window"
    if event == "frame_period":
        return f"the {window} frames of its window"
    if event == "symbol_period":
        return f"the {window} symbols of its window"
    return (f"{capacity} frames the {units.format_speed(speed_bps)} link can carry in "
            f"{units.format_duration_ms(window * 100)}")


def _resolve_window(event: str, value: str | int | None, speed_bps: int):
    """-> (window in IEEE units, the duration in ms if one was given, rounded?)."""
    if value is None:
        return None, None, False
    if event in TIME_WINDOW_EVENTS:
        ms = units.parse_duration_ms(value)
        if ms % 100:
            raise ValueError(f"{value!r} is not a whole number of 100 ms (IEEE counts this "
                             "window in deciseconds)")
        return ms // 100, ms, False
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError("window must be at least 1")
        return value, None, False
    text = str(value).strip()
    if text.isdigit():
        return int(text), None, False
    ms = units.parse_duration_ms(text)
    convert = units.frames_for_duration if event == "frame_period" else units.symbols_for_duration
    count, exact = convert(ms, speed_bps)
    return count, ms, not exact
