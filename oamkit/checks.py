"""Compliance rules -> results, per host and interface, for schedulers (cron, systemd, Nagios).

Rules (each can be switched off and given its severities in a YAML rules file, see
`examples/checks/rules.yaml`):
  config_drift       the OAM configuration on the device equals the intent (the `diff` delta),
                     per interface (shared profiles/templates under the host)
  interface_present  every interface in the policy exists on the device
  oam_session        the OAM session is operational (IEEE discovery state)
  link_monitoring    link monitoring is on where the intent wants it
  error_rate         CRC rates judged against the configured link-monitor window and thresholds
  link_events        no new link events since the last check
  thresholds         every threshold can fire at the interface's speed, and a high threshold
                     has an action (otherwise the link stays up while degraded); from the
                     policy alone (`oamkit.detection`), the same warnings as `policy explain -i`

Statuses: OK, WARNING, CRITICAL, UNKNOWN (could not tell: unreachable, unparsable output, no
history yet) and MAINTENANCE (the host is in a maintenance window or marked down: reported,
never alerting). A host that cannot be read is UNKNOWN, never OK.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oamkit import detection, rates, ratespan, units, yamlfile
from oamkit import maintenance as _maintenance
from oamkit.engine.cli import delta_by_interface, desired, read_managed, silenced
from oamkit.collect import close_later, out_of_range_message, snapshot_with
from oamkit.errors import InputError, Problem
from oamkit.history import History, Snapshot
from oamkit.inventory import Inventory
from oamkit.parse.values import OPERATIONAL
from oamkit.policy import WINDOW_UNITS, problems_from_validation
from oamkit.render import HostPlan
from oamkit.transport.reader import open_reader
from oamkit.transport.ssh import DeviceRejected, TransportError

OK, WARNING, CRITICAL, UNKNOWN, MAINTENANCE = "OK", "WARNING", "CRITICAL", "UNKNOWN", "MAINTENANCE"
NAGIOS_CODES = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3, MAINTENANCE: 0}
# Which status wins when several apply (Nagios aggregation: CRITICAL > WARNING > UNKNOWN > OK).
RANK = {OK: 0, MAINTENANCE: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}
RULE_NAMES = ("config_drift", "interface_present", "oam_session", "link_monitoring",
              "error_rate", "link_events", "thresholds")

Severity = Literal["ok", "warning", "critical", "unknown"]


# ------------------------------------------------------------------------------ rules file
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SimpleRule(_Strict):
    enabled: bool = True
    severity: Severity = "critical"


class ErrorRateRule(_Strict):
    enabled: bool = True
    low: Severity = Field("warning", description="the rate would cross the low threshold")
    high: Severity = Field("critical", description="the rate would cross the high threshold")
    no_history: Severity = Field("unknown", description="fewer than two samples so far")
    window: float | None = Field(None, gt=0, description="seconds of history the rate is taken "
                                 "over; default: since the sample the previous check judged")
    min_interval: float = Field(1.0, ge=0, description="seconds two samples must be apart for "
                                "a rate (a collect right before a check would give a noisy one)")


class Rules(_Strict):
    config_drift: SimpleRule = SimpleRule(severity="critical")
    interface_present: SimpleRule = SimpleRule(severity="critical")
    oam_session: SimpleRule = SimpleRule(severity="critical")
    link_monitoring: SimpleRule = SimpleRule(severity="warning")
    error_rate: ErrorRateRule = ErrorRateRule()
    link_events: SimpleRule = SimpleRule(severity="warning")
    thresholds: SimpleRule = SimpleRule(severity="warning")
    # A host that cannot be read is UNKNOWN, never OK (docs/scheduling.md): a rules file may
    # make it alert harder, never silence it (its Prometheus series say UNKNOWN regardless)
    unreachable: Literal["warning", "critical", "unknown"] = Field(
        "unknown", description="status of a host that cannot be read")

    @field_validator("unreachable", mode="before")
    @classmethod
    def _never_ok(cls, value):
        if isinstance(value, str) and value.lower() == "ok":
            raise ValueError("a host that cannot be read is never OK; allowed: warning, "
                             "critical, unknown")
        return value

    @classmethod
    def load(cls, path: str | Path | None) -> "Rules":
        if path is None:
            return cls()
        if not isinstance(path, (str, Path)):   # a dict was a TypeError from Path()
            raise InputError([Problem("must be a rules file (a path) or a checks.Rules",
                                      field="--rules", value=type(path).__name__)])
        file = Path(path)
        if not file.is_file():
            raise InputError([Problem("rules file not found", file=str(file), field="--rules")])
        data = yamlfile.load(file) or {}
        if not isinstance(data, dict):
            raise InputError([Problem("must be a mapping of rule names", file=str(file))])
        data = data.get("rules", data)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InputError([Problem(p.message, file=str(file), field=p.field, value=p.value)
                              for p in problems_from_validation(exc)]) from None


# ------------------------------------------------------------------------------ result model
@dataclass
class CheckResult:
    host: str
    interface: str | None      # None: the rule is about the whole host
    rule: str
    status: str
    message: str
    perfdata: dict = field(default_factory=dict)
    # In maintenance `status` is MAINTENANCE (never alerting) and `held` is what the rule really
    # found, so a playbook `assert` or an on-call reading the JSON still sees it.
    held: str | None = None
    # Where the rule alerts, in the unit of the perfdata it names: {"crc_per_s": {"warn": ..,
    # "crit": ..}}; Nagios perfdata carries them as warn;crit.
    thresholds: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class HostCheck:
    host: str
    platform: str
    outcome: str                 # worst status of the host (what run_fleet sees)
    results: list[CheckResult] = field(default_factory=list)
    maintenance: dict | None = None
    error: str | None = None
    seconds: float = 0.0
    taken_at: str | None = None
    # interface -> raw counters as read ({"crc_errors": .., "frame_errors": .., "link_events": ..})
    # for Prometheus counters, which rate() turns into rates between scrapes
    counters: dict = field(default_factory=dict)
    # interface -> (snapshot ts, link-event count): the link-event markers this check would
    # move, written by the caller only once its report is out (`History.mark_checked_all`),
    # so a run killed before that consumes no event and overlapping runs both report them
    marks: dict = field(default_factory=dict, repr=False)
    # (interface, rule) results the host normally has but could not get (the device was not
    # read): Prometheus keeps those series, UNKNOWN, so an interface's alert does not resolve
    # because its device stopped answering
    unread: list = field(default_factory=list, repr=False)
    # the id of the snapshot this check judged: the next check's error rate runs from it, once
    # the report is out (with `marks`, `History.mark_checked_all`)
    judged: int | None = field(default=None, repr=False)

    def not_read(self) -> list[tuple[str | None, str]]:
        """The `unread` results this report has no result for: what every output format keeps
        for the host, UNKNOWN (or held, in maintenance)."""
        found = {(r.interface, r.rule) for r in self.results}
        return [key for key in self.unread if key not in found]

    def finish(self) -> "HostCheck":
        self.outcome = worst([r.status for r in self.results]) if self.results else UNKNOWN
        return self

    def as_dict(self) -> dict:
        return {"host": self.host, "platform": self.platform, "status": self.outcome,
                "maintenance": self.maintenance, "error": self.error, "seconds": self.seconds,
                "taken_at": self.taken_at, "counters": self.counters,
                "results": [r.as_dict() for r in self.results]}


def worst(statuses) -> str:
    statuses = list(statuses)
    if not statuses:
        return OK
    if all(s == MAINTENANCE for s in statuses):
        return MAINTENANCE
    return max(statuses, key=lambda s: RANK[s])


def _sev(value: str) -> str:
    return value.upper()


# ------------------------------------------------------------------------------ evaluation
Drift = dict  # interface name (None: profiles, templates, global lines) -> delta lines


class Deactivated(str):
    """A drift line that is no delta line: a statement above oamkit's part that someone
    deactivated (Junos `deactivate protocols oam`); reported on its own, not as shared lines."""


def evaluate(plan: HostPlan, snap: Snapshot, history: History | None, rules: Rules,
             drift: Drift | None, drift_error: str | None = None,
             since: int | None = None, snapshot_id: int | None = None) -> list[CheckResult]:
    """Apply the rules to one host's fresh snapshot (already stored in `history`, as
    `snapshot_id`; None: the host's newest). `since`: the id of this check's own first sample
    (`--sample`): rates start there."""
    host = plan.host.name
    out: list[CheckResult] = []
    counters_known = "counters" not in snap.role_errors
    if rules.config_drift.enabled:
        if drift is not None and rules.interface_present.enabled and counters_known:
            # an interface the device does not have is interface_present's finding alone: its
            # drift would only suggest pushing configuration to an interface that is not there
            drift = {name: lines for name, lines in drift.items()
                     if name is None or name in snap.interfaces
                     or name not in {i.intent.interface for i in plan.interfaces}}
        out.extend(_drift(host, drift, drift_error, rules))
    for itf in plan.interfaces:
        intent = itf.intent
        name = intent.interface
        sample = snap.interfaces.get(name)
        if rules.interface_present.enabled:
            if sample is None and counters_known:
                out.append(CheckResult(host, name, "interface_present",
                                       _sev(rules.interface_present.severity),
                                       "the device has no such interface"))
                continue
            if sample is None:
                out.append(CheckResult(host, name, "interface_present", UNKNOWN,
                                       f"interfaces not read: {snap.role_errors['counters']}"))
                continue
        if sample is None:
            continue
        if not intent.enabled:
            continue
        if rules.oam_session.enabled:
            out.append(_session(host, name, sample, snap, rules))
        if rules.link_monitoring.enabled and intent.link_monitoring:
            out.append(_monitoring(host, name, sample, snap, rules, drift))
        if rules.error_rate.enabled:
            out.append(_error_rate(host, name, intent, history, rules, since, snap,
                                   _frame_seconds_log(plan, snap, name), snapshot_id))
        if rules.link_events.enabled:
            out.append(_link_events(host, name, sample, snap, history, rules))
        if rules.thresholds.enabled and intent.link_monitoring and intent.events:
            out.append(_thresholds(host, name, intent, plan, rules, sample, snap))
    return out


def expected_results(plan: HostPlan, rules: Rules) -> list[tuple[str | None, str]]:
    """The (interface, rule) results `evaluate` gives this host when it can be read and has
    every interface (config_drift: the host-wide one; interface_present speaks only of an
    absent interface)."""
    out: list[tuple[str | None, str]] = [(None, "config_drift")] if rules.config_drift.enabled else []
    for itf in plan.interfaces:
        intent, name = itf.intent, itf.intent.interface
        wanted = []
        if intent.enabled:
            wanted += [("oam_session", rules.oam_session.enabled),
                       ("link_monitoring", rules.link_monitoring.enabled and intent.link_monitoring),
                       ("error_rate", rules.error_rate.enabled),
                       ("link_events", rules.link_events.enabled),
                       ("thresholds", rules.thresholds.enabled and intent.link_monitoring
                        and bool(intent.events))]
        out.extend((name, rule) for rule, on in wanted if on)
    return out


def _thresholds(host, name, intent, plan: HostPlan, rules, sample=None,
                snap: Snapshot | None = None) -> CheckResult:
    """Thresholds that can never fire at this speed, a high threshold without an action, and
    windows the device says it counts otherwise than the intent (its own show output, in IEEE
    units: a unit oamkit and the device read differently, e.g. IOS frame-period blocks)."""
    warnings = [w.message for w in detection.threshold_warnings(intent, plan.platform)]
    unreachable = len(warnings)
    warnings += _windows_differ(intent, sample)
    unread = (snap.role_errors.get("oam_status") if snap is not None else None)
    not_compared = (f"the device's own windows not compared with the intent: {unread}"
                    if unread else None)
    if warnings:
        return CheckResult(host, name, "thresholds", _sev(rules.thresholds.severity),
                           "; ".join(warnings + ([not_compared] if not_compared else [])),
                           {"thresholds_never_firing": unreachable})
    if not_compared:
        return CheckResult(host, name, "thresholds", UNKNOWN,
                           f"every threshold can fire at {units.format_speed(intent.speed_bps)}; "
                           + not_compared, {"thresholds_never_firing": 0})
    note = detection.high_threshold_note(intent, plan.platform)
    return CheckResult(host, name, "thresholds", OK,
                       f"every threshold can fire at {units.format_speed(intent.speed_bps)}"
                       + (f"; {note}" if note else ""), {"thresholds_never_firing": 0})


def _windows_differ(intent, sample) -> list[str]:
    shown = (sample.oam.get("link_events_config") or {}) if sample is not None else {}
    out = []
    for event, wanted in intent.events.items():
        device = (shown.get(event) or {}).get("window")
        if wanted.window is not None and device is not None and device != wanted.window:
            out.append(f"the device shows its {event} window as {_window(event, device)}, the "
                       f"intent is {_window(event, wanted.window)}: it counts this window in "
                       "another unit than the one oamkit sent")
    return out


def _window(event: str, value: int) -> str:
    unit = WINDOW_UNITS[event]
    return units.format_duration_ms(value * 100) if unit == "deciseconds" else f"{value:,} {unit}"


def _drift(host: str, drift: Drift | None, drift_error: str | None, rules: Rules) -> list[CheckResult]:
    """One result per interface whose OAM configuration differs (and one for the shared
    profiles/templates), naming the lines; a single OK when nothing differs."""
    if drift is None:
        return [CheckResult(host, None, "config_drift", UNKNOWN,
                            f"configuration not read: {drift_error or 'unknown reason'}")]
    if not any(drift.values()):
        return [CheckResult(host, None, "config_drift", OK, "OAM configuration matches the intent",
                            {"drift_lines": 0})]
    out = []
    for line in drift.get(None, []):
        if isinstance(line, Deactivated):
            out.append(CheckResult(host, None, "config_drift", _sev(rules.config_drift.severity),
                                   line, {"drift_lines": 1}))
    for name, lines in sorted(drift.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")):
        lines = [line for line in lines if not isinstance(line, Deactivated)]
        if not lines:
            continue
        what = "shared OAM configuration (profiles, templates)" if name is None else "OAM configuration"
        out.append(CheckResult(host, name, "config_drift", _sev(rules.config_drift.severity),
                               f"{what}: {len(lines)} line(s) differ from the intent: "
                               + "; ".join(lines[:3]) + (" ..." if len(lines) > 3 else ""),
                               {"drift_lines": len(lines)}))
    return out


def _session(host, name, sample, snap, rules) -> CheckResult:
    state = sample.discovery_state
    if state is None:
        why = snap.role_errors.get("oam_session") or snap.role_errors.get("oam_status") \
            or "the device shows no OAM session on this interface"
        status = UNKNOWN if ("oam_session" in snap.role_errors or "oam_status" in snap.role_errors) \
            else _sev(rules.oam_session.severity)
        return CheckResult(host, name, "oam_session", status, why)
    if state in OPERATIONAL:
        return CheckResult(host, name, "oam_session", OK, f"session {state}")
    return CheckResult(host, name, "oam_session", _sev(rules.oam_session.severity),
                       f"session {state}, not operational")


def _monitoring(host, name, sample, snap, rules, drift) -> CheckResult:
    if sample.link_monitoring is True:
        return CheckResult(host, name, "link_monitoring", OK, "link monitoring on")
    if sample.link_monitoring is False:
        return CheckResult(host, name, "link_monitoring", _sev(rules.link_monitoring.severity),
                           "link monitoring off")
    if drift is not None and not drift.get(name) and not drift.get(None):
        # the platform does not print it (Junos): the configuration says it
        return CheckResult(host, name, "link_monitoring", OK,
                           "link monitoring configured as intended (the device does not show it)")
    return CheckResult(host, name, "link_monitoring", UNKNOWN,
                       snap.role_errors.get("oam_status") or "the device does not show it and "
                       "the configuration was not confirmed")


def _error_rate(host, name, intent, history, rules, since: int | None = None,
                snap: Snapshot | None = None, logged: list[dict] | None = None,
                snapshot_id: int | None = None) -> CheckResult:
    """`since`: the id of this check's own first sample (`--sample`); the rate is theirs.
    Otherwise since the sample the previous check judged (`ratespan`). `snapshot_id`: this
    check's snapshot (None: the host's newest). `logged`: the device's own frame-seconds
    events (`_frame_seconds_log`; None: no log)."""
    rule = rules.error_rate
    notes = []
    if snap is not None and "version" in snap.role_errors:
        notes.append(f"uptime not read, a restart shows only as a counter drop: "
                     f"{snap.role_errors['version']}")
    shown = (snap.interfaces.get(name).oam.get("out_of_range") or {}) \
        if snap is not None and name in snap.interfaces else {}
    if "crc_errors" in shown:   # the rate's counter is no counter: say so, never "no counter"
        return CheckResult(host, name, "error_rate", UNKNOWN, out_of_range_message(
            host, name, "crc_errors", shown["crc_errors"]) + "; no error rate from this reading")
    notes += [out_of_range_message(host, name, key, value) for key, value in sorted(shown.items())]
    baseline = since if since is not None else (
        history.judged_snapshot(host) if history is not None and rule.window is None else None)
    rows = history.samples_in_order(host, name, snapshot_id, baseline) if history is not None else []
    points = [ratespan.Point(r["snapshot_id"], r["ts"], r["crc_errors"], r["uptime_s"],
                             r["platform"]) for r in rows]
    span = ratespan.choose(points, baseline_id=baseline,
                           window=None if since is not None else rule.window,
                           min_interval=0.0 if since is not None else rule.min_interval,
                           first_reading=since is not None)
    crc_rate = ratespan.rate(span, speed_bps=intent.speed_bps) if span.why is None else None
    frame_rate = ratespan.rate(span, {r["snapshot_id"]: r["frame_errors"] for r in rows},
                               intent.speed_bps) if crc_rate is not None else None
    notes += span.notes
    if crc_rate is None or crc_rate.rate is None:
        return CheckResult(host, name, "error_rate", _sev(rule.no_history),
                           "no error rate yet: " + (span.why or "the samples could not be compared")
                           + (" (" + "; ".join(notes) + ")" if notes else ""))
    perf = {"crc_per_s": round(crc_rate.rate, 6), "interval_s": round(crc_rate.seconds, 3)}
    if frame_rate is not None and frame_rate.rate is not None:
        perf["frame_errors_per_s"] = round(frame_rate.rate, 6)
    if crc_rate.kind == "reset":
        notes.append("counters were cleared or the device restarted; the rate counts since then")
    elif crc_rate.kind.startswith("wrap"):
        notes.append(f"counter wrapped ({crc_rate.kind[4:]} bit)")
    counted = _frame_seconds_counted(rows, crc_rate) if logged is None else None
    judgements = [rates.judge_frame_seconds(crc_rate, ev, intent.speed_bps, logged, counted=counted)
                  if event == "frame_seconds" else rates.judge(event, crc_rate.rate, ev)
                  for event, ev in intent.events.items()]
    judged = [j for j in judgements if j.level != "not-judged"]
    fired = [j for j in judged if j.level != "ok"]
    perf.update({f"{j.event}_per_window": j.expected for j in judged if j.event != "frame_seconds"})
    perf.update(_frame_seconds_perf(judged))
    if fired:
        fired.sort(key=lambda j: -RANK[_level_status(j.level, rule)])
        status = _level_status(fired[0].level, rule)
        message = "; ".join(j.message for j in fired) + f" ({span.describe()})"
    else:
        status = OK
        message = (f"{rates._num(crc_rate.rate)} CRC errors/s {span.describe()}"
                   + (f"; {judged[0].message}" if judged else "; no time-window threshold to judge against"))
    if notes:
        message += " (" + "; ".join(notes) + ")"
    limits = _rate_thresholds(judged, rule)
    return CheckResult(host, name, "error_rate", status, message, perf,
                       thresholds={"crc_per_s": limits} if limits else {})


def _rate_thresholds(judged, rule: ErrorRateRule) -> dict:
    """The CRC rates (errors/s) at which the rule turns WARNING / CRITICAL: each link-monitor
    threshold divided by its window, the lowest over the events judged (the first to fire)."""
    out: dict = {}
    for level, severity in (("low", rule.low), ("high", rule.high)):
        key = {"warning": "warn", "critical": "crit"}.get(severity)
        for j in judged:
            count = j.low if level == "low" else j.high
            if j.event == "frame_seconds":
                continue   # not a rate: per level, the rate above which this interval reaches it
            if key is None or not count or not j.window_ms:
                continue
            per_s = count * 1000 / j.window_ms
            out[key] = min(out.get(key, per_s), per_s)
    for j in judged:
        for level, per_s in (j.onsets or {}).items():
            key = {WARNING: "warn", CRITICAL: "crit"}.get(_level_status(level, rule))
            if key is not None:
                out[key] = min(out.get(key, per_s), per_s)
    return {k: round(v, 6) for k, v in out.items()}


def _level_status(level: str, rule: ErrorRateRule) -> str:
    """A judged level's status: a threshold the counts show may have fired (frame_seconds)
    is at most WARNING, never the certain crossing's CRITICAL."""
    if level in (rates.MAY_LOW, rates.MAY_HIGH):
        found = _sev(rule.high if level == rates.MAY_HIGH else rule.low)
        return min(found, WARNING, key=lambda s: RANK[s])
    return _sev(rule.high if level == "high" else rule.low)


def _frame_seconds_perf(judged) -> dict:
    """frame_seconds in numbers: the fewest and most errored seconds one window can have held
    (`_min`, `_max`), and the device's logged events when it has a log (the one that decided)."""
    out: dict = {}
    for j in judged:
        if j.event == "frame_seconds":
            out["frame_seconds_per_window_min"] = j.lower
            out["frame_seconds_per_window_max"] = j.upper
            if j.logged is not None:
                out["frame_seconds_events_logged"] = j.logged
    return out


def _frame_seconds_log(plan: HostPlan, snap: Snapshot, name: str) -> list[dict] | None:
    """The interface's local frame-seconds events from the device's own event log, when the
    platform has one and this snapshot read it; None otherwise (only the counters tell)."""
    timing = plan.platform.event_timing
    if timing is None or timing.source != "log" or timing.role in snap.role_errors:
        return None
    return [e for e in snap.events if e["interface"] == name
            and e["event_type"] == "frame_seconds" and (e.get("location") or "local") == "local"]


def _frame_seconds_counted(rows: list[dict], counts: rates.Delta) -> int | None:
    """How much the device's own running count of local frame-seconds events grew between the
    two samples `counts` spans (IOS, Junos and VRP print one per event type; collect keeps it
    as `event_counts`); None when a sample lacks it, or the counters were cleared in between."""
    if counts.kind == "reset":
        return None
    at = {r["ts"]: (r["oam"].get("event_counts") or {}).get("frame_seconds") for r in rows}
    first, last = at.get(counts.start), at.get(counts.end)
    if not isinstance(first, int) or not isinstance(last, int) or last < first:
        return None
    return last - first


def _link_events(host, name, sample, snap, history, rules) -> CheckResult:
    current = sample.link_events
    if current is None:
        return CheckResult(host, name, "link_events", UNKNOWN,
                           snap.role_errors.get("oam_events") or "the device shows no link-event counts")
    marker = history.last_check(host, name) if history is not None else None
    if marker is None or marker["link_events"] is None:
        return CheckResult(host, name, "link_events", OK,
                           f"first check: {current} link event(s) so far taken as the baseline",
                           {"link_events_new": 0})
    new = current - marker["link_events"] if current >= marker["link_events"] else current
    reset = current < marker["link_events"]
    # The count decides, not the clock: a marker dated after this reading was written before
    # the clock of the machine running oamkit stepped back; the events logged since it (by
    # time) may then be missing from the names below, never from the count
    stepped = "" if marker["ts"] <= snap.ts else (
        f" (the last check's marker is dated {ratespan.when(marker['ts'])}, after this reading "
        f"at {ratespan.when(snap.ts)}: the clock of the machine running oamkit stepped back? "
        "Counted from the device's count in the order the readings were taken)")
    if new <= 0:
        return CheckResult(host, name, "link_events", OK, "no new link events since the last check"
                           + stepped, {"link_events_new": 0})
    logged = history.events_since(host, name, marker["ts"]) if history is not None else []
    kinds = sorted({e["event_type"] for e in logged})
    return CheckResult(host, name, "link_events", _sev(rules.link_events.severity),
                       f"{new} new link event(s) since the last check"
                       + (f" ({', '.join(kinds)})" if kinds else "")
                       + (" (event counters were reset)" if reset else "") + stepped,
                       {"link_events_new": new})


# ------------------------------------------------------------------------------ per host
# A check is a read (the device: configuration and show commands, one session) then a judgement
# (this machine's history: store the snapshot, evaluate; the link events are marked checked by
# the caller once the report is out, see `HostCheck.marks`). The read can run
# anywhere, e.g. on a Dask worker; the judgement runs where the history database is.
READ_OK, READ_ERROR = "ok", "error"
# A `--sample` first reading: the error counters, and the uptime that tells a reboot between
SAMPLE_ROLES = ("counters", "version")


@dataclass
class CheckReading:
    """One host read for a check; picklable (it may come back from a Dask worker). `outcome` is
    what the fleet runner looks at."""

    host: str
    platform: str
    outcome: str                       # READ_OK, or READ_ERROR: the device could not be read
    snapshot: Snapshot | None = None   # a failed snapshot (ok=False) when it could not be read
    # the delta per interface (None: shared parts); None: not read (see drift_error)
    drift: Drift | None = None
    drift_error: str | None = None
    error: str | None = None           # why the device could not be read
    seconds: float = 0.0
    # `--sample`: the counters read first, that many seconds before `snapshot`
    first: Snapshot | None = None


def read_for_check(inventory: Inventory, plan: HostPlan, deadline: float, rules: Rules,
                   sample: float = 0.0) -> CheckReading:
    """Read one host (config + show commands, one session). No history: see `judge`.
    `sample` > 0: read the counters, wait that long (within the deadline), then read
    everything, so the error rate is this check's own, over a short window (bursts)."""
    started = time.monotonic()
    first = None
    drift: Drift | None = None
    drift_error = None
    try:
        session = open_reader(inventory, plan.host, deadline)
        try:
            if rules.config_drift.enabled or rules.link_monitoring.enabled:
                try:
                    current, text = read_managed(session, plan)
                    drift = delta_by_interface(plan, current, desired(plan))
                    above = silenced(plan, text)
                    if above:   # no line of the delta: not oamkit's to activate (push refuses)
                        drift.setdefault(None, []).extend(Deactivated(
                            f"{statement} is deactivated on the device: nothing under it has effect "
                            f"(oamkit does not activate it; {above[1]})") for statement in above[0])
                except TransportError:
                    raise
                except DeviceRejected as exc:   # e.g. AAA command authorization: never drift
                    drift_error = f"the device refused {exc.command!r}: {exc.output.strip()}"
                except Exception as exc:  # noqa: BLE001 - an unreadable config is UNKNOWN, not a crash
                    drift_error = f"{type(exc).__name__}: {exc}"
            if sample > 0:   # the two counter readings back to back around the wait only
                first = snapshot_with(session, plan, SAMPLE_ROLES)
                # the second reading needs time too: never sleep past the host's deadline
                time.sleep(max(0.0, min(sample - (time.time() - first.ts),
                                        deadline - time.monotonic() - 1.0)))
            snap = snapshot_with(session, plan)
        finally:
            close_later(session)
    except TransportError as exc:
        failed = Snapshot(plan.host.name, plan.platform.name, time.time(), ok=False, error=str(exc))
        return CheckReading(plan.host.name, plan.platform.name, READ_ERROR, failed, error=str(exc),
                            seconds=round(time.monotonic() - started, 3))
    snap.seconds = round(time.monotonic() - started, 3)
    return CheckReading(plan.host.name, plan.platform.name, READ_OK, snap, drift, drift_error,
                        seconds=snap.seconds, first=first)


def contacted(maintenance: dict | None) -> bool:
    """Hosts in maintenance are checked (their findings held, not hidden); a host marked down
    is not (`maintenance.contacted`, the rule every command follows)."""
    return _maintenance.contacted(maintenance)


def judge(plan: HostPlan, reading: CheckReading | None, history: History, rules: Rules,
          maintenance: dict | None = None) -> HostCheck:
    """Store the reading's snapshot in `history` and evaluate. The link events seen are not
    marked checked here: `HostCheck.marks` says what to mark once the report is out. A host
    in maintenance is judged the same; its results are then held: status MAINTENANCE (never
    alerting), `held` what was found. A host marked down has no reading (not contacted)."""
    result = _judged(plan, reading, history, rules, maintenance)
    return hold(result, maintenance) if maintenance else result.finish()


def hold(result: HostCheck, maintenance: dict) -> HostCheck:
    """A host in maintenance: every result MAINTENANCE (never alerting), `held` what it found,
    after one result saying why."""
    for r in result.results:
        if r.status != MAINTENANCE:
            r.held, r.status = r.status, MAINTENANCE
    result.maintenance = maintenance
    result.results.insert(0, CheckResult(
        result.host, None, "maintenance", MAINTENANCE,
        f"{maintenance['kind']}: {maintenance['reason']}"
        + (f" (until {maintenance['until']})" if maintenance.get("until") else "")
        + ("" if contacted(maintenance) else "; not contacted")))
    result.outcome = MAINTENANCE
    return result


def _judged(plan, reading, history, rules, maintenance) -> HostCheck:
    result = HostCheck(plan.host.name, plan.platform.name, UNKNOWN, maintenance=maintenance)
    if reading is None:
        if not contacted(maintenance):
            return result
        raise ValueError(f"{plan.host.name}: nothing read to judge")
    if reading.outcome != READ_OK:
        result.error = reading.error
        history.store(reading.snapshot)
        result.results.append(CheckResult(plan.host.name, None, "reachable", _sev(rules.unreachable),
                                          f"cannot read the device: {reading.error}"))
        result.unread = expected_results(plan, rules)
        result.seconds = reading.seconds
        return result
    snap = reading.snapshot
    result.taken_at = snap.taken_at
    result.counters = {name: {"crc_errors": s.crc_errors, "frame_errors": s.frame_errors,
                              "link_events": s.link_events}
                       for name, s in snap.interfaces.items()}
    since = history.store(reading.first) if reading.first is not None else None
    result.judged = history.store(snap)
    result.results = evaluate(plan, snap, history, rules, reading.drift, reading.drift_error, since,
                              result.judged)
    result.marks = {name: (snap.ts, sample.link_events) for name, sample in snap.interfaces.items()
                    if sample.link_events is not None}
    result.seconds = reading.seconds
    return result


def check_host(inventory: Inventory, plan: HostPlan, deadline: float, *, history: History,
               rules: Rules, maintenance: dict | None = None,
               sample: float = 0.0) -> HostCheck:
    """Read one host (config + show commands, one session), store the snapshot, evaluate. A
    host marked down is not contacted."""
    reading = read_for_check(inventory, plan, deadline, rules, sample) \
        if contacted(maintenance) else None
    return judge(plan, reading, history, rules, maintenance)


def unreachable(host: str, platform: str, error: str, rules: Rules,
                plan: HostPlan | None = None) -> HostCheck:
    """A host the runner gave up on (deadline, internal error); `plan`: its intent, for the
    results it could not get (`HostCheck.unread`)."""
    return HostCheck(host, platform, UNKNOWN, error=error, results=[
        CheckResult(host, None, "reachable", _sev(rules.unreachable), error)],
        unread=expected_results(plan, rules) if plan is not None else []).finish()
