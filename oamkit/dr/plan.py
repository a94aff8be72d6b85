"""DR test plans, validated with pydantic before anything is sent (bad plan: InputError, exit 2,
naming the file and the key)."""
from __future__ import annotations

import ipaddress
import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from oamkit import yamlfile
from oamkit.errors import InputError, Problem
from oamkit.probe.proto import ProbeProto, bare_number, parse_interval
from oamkit.probe.safety import NETNS_NAME, non_unicast


def _duration(value: Any, *, interval: bool = False) -> float:
    """A plan's duration in seconds. A bare number is seconds (documented: 'did you mean
    3000ms?' says so where it makes a run too long), except for an `interval` (the probes',
    BFD's): parse_interval refuses it there, as `oamkit probe --interval` does."""
    try:
        seconds = float(value) if bare_number(value) and not interval else parse_interval(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    if seconds != seconds or seconds == float("inf"):   # NaN passes `<= 0`; inf never ends
        raise ValueError("must be a finite duration")
    if seconds <= 0:
        raise ValueError("must be positive")
    return seconds


STEP_TIMEOUT_S = 30.0
MANUAL_TIMEOUT_S = 300.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PathExpect(_Model):
    """Traffic passes `hop` (at `ttl` if given, else anywhere on the path). `next_hop: X` is
    short for `hop: X, ttl: 1` (the gateway the source host uses)."""

    hop: str | None = None
    ttl: int | None = Field(default=None, ge=1, le=30)
    next_hop: str | None = None
    label: str | None = None

    @field_validator("hop", "next_hop")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        return None if v is None else str(ipaddress.IPv4Address(v))

    @model_validator(mode="after")
    def _one(self) -> "PathExpect":
        if self.next_hop and (self.hop or self.ttl):
            raise ValueError("give either next_hop, or hop (with an optional ttl)")
        if self.next_hop:
            self.hop, self.ttl, self.next_hop = self.next_hop, 1, None
        if not self.hop:
            raise ValueError("a path expectation needs hop or next_hop")
        return self


class Paths(_Model):
    normal: PathExpect | None = None
    failover: PathExpect | None = None


class Site(_Model):
    name: str = Field(min_length=1, max_length=64)
    target: str
    proto: str = "icmp"
    fallback: str | None = None       # e.g. tcp:443: tells "ICMP filtered" apart from "down"
    paths: Paths | None = None        # overrides the plan-wide expectation

    @field_validator("target")
    @classmethod
    def _ip(cls, v: str) -> str:
        why = non_unicast(ipaddress.IPv4Address(v))
        if why is not None:
            raise ValueError(f"target {v} is {why}, not one host: a site is a unicast address")
        return str(ipaddress.IPv4Address(v))

    @field_validator("proto", "fallback")
    @classmethod
    def _proto(cls, v: str | None) -> str | None:
        return None if v is None else str(ProbeProto.parse(v))


_IFNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:-]{0,14}")
_ERRORED = re.compile(r"^(\d+(?:\.\d+)?)\s*(%|/s)$")


def parse_errored_frames(value: Any) -> tuple[float | None, float | None]:
    """'2%' -> (0.02, None); '50/s' -> (None, 50.0); 0 -> (0.0, None) (no errors)."""
    if re.fullmatch(r"0+(\.0*)?\s*(%|/s)?", str(value).strip()):
        return 0.0, None
    m = _ERRORED.match(str(value).strip())
    if not m:
        raise ValueError(f"errored_frames is a fraction of frames ('2%') or a rate ('50/s'), or 0 (got {value!r})")
    n = float(m.group(1))
    if m.group(2) == "%":
        if not 0 <= n <= 100:
            raise ValueError(f"errored_frames: a percentage is 0-100% (got {value!r})")
        return n / 100.0, None
    if n > 1_000_000:
        raise ValueError(f"errored_frames: at most 1000000/s (got {value!r})")
    return None, n


class Step(_Model):
    """A trigger or restore step."""

    type: Literal["command", "action", "manual", "degrade"]
    command: str | list[str] | None = None      # type command: argv list, or a string split shell-style (no shell)
    action: str | None = None                   # type action: an oamkit action, e.g. interface-shutdown
    device: str | None = None                   # type action: inventory host
    args: dict[str, Any] = Field(default_factory=dict)
    prompt: str | None = None                   # type manual
    # type degrade: errored frames toward the receiving end of `link` (netdev ingress drops on
    # `interface` in `netns`); `device`/`device_interface`: the inventory device whose
    # interface it is (its link monitors; the restore re-enables it there)
    link: str | None = None
    netns: str | None = None
    interface: str | None = None
    errored_frames: str | None = None
    device_interface: str | None = None
    description: str | None = None
    # the probe schedule covers the step's whole timeout: a step that outlasted it would leave
    # the window after it unobserved. Default 30 s; 300 s for an operator (manual)
    timeout: float = None  # type: ignore[assignment]

    @field_validator("timeout", mode="before")
    @classmethod
    def _t(cls, v: Any) -> float:
        return _duration(v)

    @field_validator("errored_frames", mode="before")
    @classmethod
    def _ef(cls, v: Any) -> str | None:
        return None if v is None else str(v).strip()

    @model_validator(mode="after")
    def _fields(self) -> "Step":
        if self.type == "command" and not self.command:
            raise ValueError("type command needs 'command'")
        if self.type == "action" and not (self.action and self.device):
            raise ValueError("type action needs 'action' and 'device'")
        if self.type == "degrade":
            if not (self.link and self.netns):
                raise ValueError("type degrade needs 'link' and 'netns' (where the link's receiving interface is)")
            self.interface = self.interface or self.link
            if not _IFNAME.fullmatch(self.interface):
                raise ValueError(f"not an interface name: {self.interface!r}")
            if not NETNS_NAME.fullmatch(self.netns):
                raise ValueError(f"not a namespace name: {self.netns!r}")
            if self.errored_frames is None:
                raise ValueError("type degrade needs 'errored_frames' (e.g. 2%, 50/s, or 0 to clear)")
            parse_errored_frames(self.errored_frames)
            if self.device_interface and not self.device:
                raise ValueError("device_interface needs device")
        if self.type == "manual" and not self.prompt:
            self.prompt = self.description or "perform the step now, then press Enter"
        if self.timeout is None:
            self.timeout = MANUAL_TIMEOUT_S if self.type == "manual" else STEP_TIMEOUT_S
        return self


class Source(_Model):
    """Where probes leave from: a namespace, or (no netns) this machine's own network stack;
    optionally pinned to a source address or an interface (every probe, path probes too)."""

    netns: str | None = None          # the namespace to probe from; None: where oamkit runs
    address: str | None = None        # bind every probe to this local address
    interface: str | None = None      # send every probe out of this interface (SO_BINDTODEVICE)

    @field_validator("address")
    @classmethod
    def _addr(cls, v: str | None) -> str | None:
        return None if v is None else str(ipaddress.IPv4Address(v))

    @field_validator("interface")
    @classmethod
    def _ifname(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.@:-]{0,14}", v):
            raise ValueError("not an interface name (1-15 letters, digits, '_.@:-')")
        return v


class IcmpBudget(_Model):
    """What one hop router answers to TTL-limited probes from us: a burst, then a steady
    rate. Linux defaults: burst 6, one per icmp_ratelimit (1 s)."""

    burst: int = Field(default=6, ge=1, le=1000)
    per_second: float = Field(default=1.0, gt=0, le=10000)


class Bfd(_Model):
    """The routing's failure detection (BFD interval x multiplier): part of the predicted
    detection time of a degrade trigger."""

    interval: float
    multiplier: int = Field(default=3, ge=1, le=255)

    @field_validator("interval", mode="before")
    @classmethod
    def _iv(cls, v: Any) -> float:
        return _duration(v, interval=True)


class DrPlan(_Model):
    name: str = "DR test"
    source: Source = Field(default_factory=Source)
    interval: float = 0.01
    sites: list[Site] = Field(min_length=1, max_length=1000)
    paths: Paths = Field(default_factory=Paths)
    trigger: Step
    restore: Step
    convergence_bound: float = 3.0      # max outage per site after the trigger
    baseline: float = 1.0               # seconds of baseline probing
    pre: float = 0.5                    # probing before the trigger / restore
    settle: float = 0.5                 # steady answers needed to call a site recovered
    # the restore's path check waits at least this long after the step. Both watches always
    # last until the step returned + their bound + settle (a cut or a restore that lands late,
    # a flap, must be seen)
    min_watch: float = 1.5
    failback_bound: float = 15.0        # time allowed to get back onto the normal path; also the
                                        # most outage allowed after the restore
    max_rate_pps: float = 10000
    trace_timeout: float = 0.5
    icmp_budget: IcmpBudget = Field(default_factory=IcmpBudget)   # per hop router
    allow: list[str] | None = None      # CIDRs or addresses every target and hop must be in
    max_target_pps: float = Field(default=1000, gt=0, le=2000)
    bfd: Bfd | None = None

    @field_validator("allow")
    @classmethod
    def _allow(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        out = []
        for item in v:
            try:
                out.append(str(ipaddress.IPv4Network(str(item).strip(), strict=True)))
            except ValueError as exc:
                raise ValueError(f"not an IPv4 address or CIDR: {exc}") from None
        return out
    paths_unknown: Literal["fail", "warn"] = "warn"   # a site whose hop never answered
    # where the plan was loaded from and the SHA-256 of the bytes validated: every caller
    # (CLI, playbook step, demo) gets them into the report without passing the path along
    _file: str | None = PrivateAttr(default=None)
    _sha256: str | None = PrivateAttr(default=None)
    _raw: dict = PrivateAttr(default_factory=dict)     # the mapping as read: errors quote its values

    @field_validator("convergence_bound", "baseline", "pre", "settle", "min_watch",
                     "failback_bound", "trace_timeout", mode="before")
    @classmethod
    def _d(cls, v: Any) -> float:
        return _duration(v)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval_unit(cls, v: Any) -> float:
        return _duration(v, interval=True)

    @field_validator("interval")
    @classmethod
    def _iv(cls, v: float) -> float:
        if not 0.001 <= v <= 1.0:
            raise ValueError("interval must be between 1ms and 1s")
        return v

    @model_validator(mode="after")
    def _unique(self) -> "DrPlan":
        names = [s.name for s in self.sites]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate site names: {', '.join(dup)}")
        return self

    @model_validator(mode="after")
    def _degrade(self) -> "DrPlan":
        if self.restore.type == "degrade" and self.trigger.type != "degrade":
            raise ValueError("restore: type degrade clears a degrade trigger; the trigger is not one")
        if self.trigger.type == "degrade":
            fraction, _ = parse_errored_frames(self.trigger.errored_frames)
            if fraction == 0:
                raise ValueError("trigger.errored_frames: a degrade trigger needs errors (e.g. 2%)")
            r = self.restore
            if r.type == "degrade" and (r.netns, r.interface) != (self.trigger.netns, self.trigger.interface):
                raise ValueError("restore: type degrade must name the trigger's netns and interface")
            if r.type == "degrade" and parse_errored_frames(r.errored_frames)[0] != 0:
                raise ValueError("restore.errored_frames: a degrade restore clears the errors: 0")
        return self

    def watch_duration(self, step: Step, bound: float) -> float:
        """The longest a watch may probe: the step may take its whole timeout, and the window
        after it (bound + settle) must still be observed."""
        return self.pre + step.timeout + bound + self.settle + 1.0

    def run_length_problems(self) -> list[Problem]:
        """Watches and the baseline over the probe engine's ceilings, named by the plan keys
        that make them long, with their values as written (not the probe count they become)."""
        out = []
        for step, bound in (("trigger", "convergence_bound"), ("restore", "failback_bound")):
            terms = {"pre": self.pre, f"{step}.timeout": getattr(self, step).timeout,
                     bound: getattr(self, bound), "settle": self.settle}
            total = self.watch_duration(getattr(self, step), getattr(self, bound))
            out += self._length_problem(terms, total, f"the {step} watch", 1.0)
        out += self._length_problem({"baseline": self.baseline}, self.baseline, "the baseline", 0.0)
        return out

    def _length_problem(self, terms: dict[str, float], total: float, what: str, margin: float) -> list[Problem]:
        from oamkit.probe.safety import MAX_DURATION_S, MAX_PROBES_PER_TARGET

        probes = math.ceil(total / self.interval)
        if total <= MAX_DURATION_S and probes <= MAX_PROBES_PER_TARGET:
            return []
        key = max(terms, key=terms.__getitem__)       # the one that makes it long
        raw = self._raw_value(key)
        said = f"{raw} s (a bare number is seconds; did you mean {raw}ms?)" if bare_number(raw) \
            else str(raw) if isinstance(raw, str) else f"{terms[key]:g} s" + ("" if raw is not None else " (default)")
        parts = "" if len(terms) == 1 else \
            " (" + " + ".join(f"{k} {v:g} s" for k, v in terms.items()) + (f" + {margin:g} s" if margin else "") + ")"
        if total > MAX_DURATION_S:
            why = (f"makes {what} last {total:.0f} s{parts}, over the maximum {MAX_DURATION_S:.0f} s")
        else:
            why = (f"makes {what} send {probes} probes per site at interval {self.interval * 1e3:g} ms"
                   f"{parts}, over the maximum {MAX_PROBES_PER_TARGET}; shorten it or raise interval")
        return [Problem(f"{said} {why}", file=self._file, field=key, value=raw if raw is not None else terms[key])]

    def _raw_value(self, key: str) -> Any:
        node: Any = self._raw
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return None if isinstance(node, (dict, list)) else node

    def expect(self, site: Site, phase: str) -> PathExpect | None:
        if site.paths is not None and getattr(site.paths, phase) is not None:
            return getattr(site.paths, phase)
        return getattr(self.paths, phase)


def load_plan(path: str | Path) -> DrPlan:
    import hashlib

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(f"cannot read: {exc.strerror or exc}", file=str(path))]) from None
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise InputError([Problem(f"cannot read: {exc}", file=str(path))]) from None
    # hashed from the very bytes parsed: a file edited during the test cannot change the record
    plan = parse_plan(yamlfile.load_text(text, path), str(path))
    plan._file, plan._sha256 = str(path), hashlib.sha256(raw).hexdigest()
    return plan


def parse_plan(data: Any, file: str | None = None) -> DrPlan:
    if not isinstance(data, dict):
        raise InputError([Problem("a plan must be a mapping", file=file)])
    try:
        plan = DrPlan.model_validate(data)
        plan._raw = data
        return plan
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            value = err.get("input") if not isinstance(err.get("input"), (dict, list)) else None
            problems.append(Problem(msg, file=file, field=loc or None, value=value))
        raise InputError(problems) from None
