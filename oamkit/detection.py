"""When a degraded link is taken down: the policy's link monitors against an error rate.

For one interface's intent (IEEE units), a measured frame rate and an injected error rate,
`predict_monitors` says when each configured monitor crosses its high threshold, and
`predicted_detection_s` the earliest crossing among the monitors whose high-threshold action
takes the link out of service, plus the routing protocol's own detection (BFD interval x
multiplier). `threshold_warnings` says which thresholds can never fire at the link's speed and
when a high threshold has no action (the link stays up while degraded).

Semantics (the same for every vendor; vendors differ in units and ranges, which the intent has
already resolved, and in which actions take a link down, which is platform data):
- Windows tumble, and the errors start at a window boundary, evenly spread at a steady rate.
  How late it can be is its own figure (`latest_s`): a window is judged when it closes and
  the windows' phase is unknown (up to one window later), and errors that come at random
  (each frame errored with the same chance, as on a real link and as `errored_frames: 2%`
  injects them) can leave a window short of the threshold by chance, the more so the closer
  its mean is, or reach it although its mean is short (then it crosses by chance, at any
  window). The bound holds but for MISS_PROBABILITY of runs; counts are binomial over the
  frames when the per-frame chance is known, Poisson otherwise.
- frame, receive_crc, transmit_crc count errored frames in a time window; frame_period counts
  errored frames in a window of N frames (its length in time depends on the frame rate);
  frame_seconds counts errored seconds (a second with at least one errored frame) in a window
  of seconds, each counted when its second ends; symbol_period counts symbol (line-coding)
  errors, which dropped or errored frames do not produce (frame drops injected by nftables
  never cross it).
- A threshold is crossed when the errors counted within one window reach the high threshold;
  an evenly spaced rate that cannot reach it inside one window never crosses it, however long
  it lasts (random errors may, by chance: above).
- Reachable: the high threshold is at most what one window can count at line rate with
  minimum-size (64-byte) frames.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable

from oamkit import units
from oamkit.platforms import Platform
from oamkit.policy import (EVENTS, HIGH_NONE, LINK_DOWN_ACTIONS, TIME_WINDOW_EVENTS, EventIntent,
                           LinkOamIntent, capacity_text, default_window,
                           window_capacity)

# Cisco's CRC monitors have no IEEE default window and conflicting documented ones (vendor
# notes §2.2: 10 s per the configuration guides, 100 s per the MWR command reference).
ASSUMED_CRC_WINDOW_DS = 100

# The chance a healthy run's crossing comes later than `latest_s` with random errors: one run in
# a thousand may still be judged late (the DR verdict's bound), none in the usual twenty.
MISS_PROBABILITY = 1e-3

# Monitors whose counts random errors make random: errored frames in a window (of time, or of
# frames), and errored seconds (a second with at least one errored frame).
RANDOM_COUNTS = ("frame", "receive_crc", "transmit_crc", "frame_period", "frame_seconds")


@dataclass(frozen=True)
class MonitorPrediction:
    event: str                 # policy key: frame, frame_period, frame_seconds, symbol_period, ...
    window_s: float            # the window as time at this link's frame rate
    high: int | None           # None: no high threshold (unset or 'none')
    reachable: bool            # the high threshold can be reached at line rate, min-size frames
    crossing_s: float | None   # seconds after errors start until the high threshold is crossed
    has_action: bool           # a high-threshold action that takes the link out is configured
    reason: str                # one human line
    # when it has crossed at the latest (whatever the windows' phase; with random errors, but
    # for MISS_PROBABILITY of runs); None when crossing_s is None
    latest_s: float | None = None
    # how early it may cross: one window before crossing_s (the windows' phase), 0 for random
    # errors that reach the threshold only by chance (any window may be the one); None when
    # crossing_s is None
    earliest_s: float | None = None


@dataclass(frozen=True)
class ThresholdWarning:
    event: str | None          # None: about the interface's high thresholds as a whole
    kind: str                  # "unreachable" | "no_action"
    message: str


def line_rate_frames_per_s(speed_bps: int, frame_bytes: int = 64) -> float:
    """Frames per second a link carries at line rate, each frame taking `frame_bytes` plus 20
    bytes of preamble, start delimiter and inter-frame gap on the wire."""
    if frame_bytes < 1:
        raise ValueError("frame_bytes must be positive")
    return speed_bps / ((frame_bytes + 20) * 8)


def link_down_actions(platform: Platform | None) -> tuple[str, ...]:
    """The neutral high-threshold actions that take the link out of service on `platform`."""
    return LINK_DOWN_ACTIONS if platform is None else platform.link_down_actions


def _num(value: float) -> str:
    """5000 -> '5,000'; 0.5 -> '0.5'; 1234.5 -> '1,234.5'."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _seconds(value: float) -> str:
    if math.isinf(value):
        return "never-ending (no traffic)"
    if value >= 1 and value == int(value):
        return f"{int(value)} s"
    return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:,.2f} s"


def _rate_text(frames_per_s: float, error_fraction: float | None, errors_per_s: float) -> str:
    if error_fraction is not None:
        return f"{_num(round(error_fraction * 100, 6))}% of {_num(round(frames_per_s, 3))} frames/s"
    return f"{_num(round(errors_per_s, 3))} errored frames/s"


def _effective_events(intent: LinkOamIntent,
                      platform: Platform | None) -> list[tuple[str, str, EventIntent, bool]]:
    """(policy key, event that runs, its intent, the platform holds a high threshold for it):
    on a platform without an event its fallback runs instead (same window and thresholds), and
    an event the platform lacks without a fallback does not run at all."""
    out = []
    for name in EVENTS:
        wanted = intent.events.get(name)
        if wanted is None:
            continue
        if platform is None:
            out.append((name, name, wanted, True))
            continue
        event = platform.events.get(name)
        if event is None and wanted.fallback_intent is not None \
                and wanted.fallback in platform.events:
            name_run, wanted = wanted.fallback, wanted.fallback_intent
            event = platform.events[name_run]
        elif event is None:
            continue
        else:
            name_run = name
        if event.window is None and wanted.window is not None:
            # the platform fixes this window (Junos): the policy's window is not configured
            wanted = wanted.model_copy(update={"window": None, "window_ms": None})
        out.append((name, name_run, wanted, event.high is not None))
    return out


def predict_monitors(intent: LinkOamIntent, *, frames_per_s: float,
                     error_fraction: float | None = None, errors_per_s: float | None = None,
                     platform: Platform | None = None,
                     random_errors: bool | None = None) -> list[MonitorPrediction]:
    """One prediction per configured link monitor. The error rate is `error_fraction` of
    `frames_per_s` (0.02 = 2 %) or `errors_per_s` errored frames per second (not both; neither:
    no errors). `platform`: what runs there (fallbacks, events without a high threshold, which
    actions take the link down); None: the vendor-neutral intent as written. `random_errors`:
    each frame errored by chance (the default for a fraction, as a real link and the DR
    degrade's `numgen random` make them) rather than evenly spaced (the default for a rate, as
    `limit rate` makes them): it sets how late a crossing can be (`latest_s`), and a mean per
    window short of a threshold then still crosses by chance (`_by_chance`)."""
    if error_fraction is not None and errors_per_s is not None:
        raise ValueError("give error_fraction or errors_per_s, not both")
    if frames_per_s < 0 or (error_fraction is not None and not 0 <= error_fraction <= 1) \
            or (errors_per_s is not None and errors_per_s < 0):
        raise ValueError("frames_per_s and errors_per_s must be >= 0, error_fraction in 0..1")
    if not intent.enabled or not intent.link_monitoring:
        return []
    rate = errors_per_s if errors_per_s is not None else (error_fraction or 0.0) * frames_per_s
    if error_fraction is None and errors_per_s is not None and frames_per_s > 0:
        fraction = errors_per_s / frames_per_s
    else:
        fraction = error_fraction if error_fraction is not None else 0.0
    rate_text = _rate_text(frames_per_s, error_fraction, rate)
    acts = intent.high_threshold_action in link_down_actions(platform)
    randomly = error_fraction is not None if random_errors is None else random_errors
    errors = RandomErrors(rate, frames_per_s, error_fraction)
    out = []
    for key, name, wanted, holds_high in _effective_events(intent, platform):
        high = wanted.high if holds_high and isinstance(wanted.high, int) else None
        found = _predict(key, name, wanted, high, intent.speed_bps, frames_per_s, rate,
                         fraction, rate_text, acts and high is not None, holds_high)
        counted = errors.seconds() if name == "frame_seconds" else errors
        by_chance = randomly and name in RANDOM_COUNTS and high is not None and rate > 0
        if found.crossing_s is None:
            if by_chance and found.reachable:
                found = _by_chance(found, high, counted)
        else:
            latest = (latest_crossing_s(high, counted.rate, found.window_s, below=counted.below)
                      if by_chance else found.crossing_s + found.window_s)
            found = dataclasses.replace(found, earliest_s=found.crossing_s - found.window_s,
                                        latest_s=latest)
        out.append(found)
    return out


def _by_chance(found: MonitorPrediction, high: int,
               errors: "RandomErrors | ErroredSeconds") -> MonitorPrediction:
    """Random errors whose mean per window is short of `high`: a window still counts it by
    chance. It crosses when half the runs have (`crossing_s`), at any window (`earliest_s` 0),
    and by `latest_s` but for MISS_PROBABILITY of runs; unchanged ("never crosses") when not
    even then within 10,000 windows."""
    window = found.window_s
    latest = latest_crossing_s(high, errors.rate, window, below=errors.below)
    if latest is None:
        return found
    chance = 1.0 - errors.below(high, window)
    typical = median_crossing_s(high, window, errors.below)
    reason = found.reason.replace(": never crosses", (
        f", but random errors reach it in {_percent(chance)} of windows: half the runs cross "
        f"within {_seconds(typical)}, all but 1 in {round(1 / MISS_PROBABILITY):,} within "
        f"{_seconds(latest)}"), 1)
    return dataclasses.replace(found, crossing_s=typical, latest_s=latest, earliest_s=0.0,
                               reason=reason)


def _percent(chance: float) -> str:
    """0.37 -> '37%', 0.0042 -> '0.42%', 0.9996 -> 'over 99%' (not a rounded 100%)."""
    percent = chance * 100
    if 99.5 <= percent < 100:
        return "over 99%"
    return f"{percent:.0f}%" if percent >= 10 else f"{percent:.2g}%"


@dataclass(frozen=True)
class RandomErrors:
    """Errors that come by chance at `rate`/s: each of `frames_per_s` frames errored with
    `fraction` (binomial counts, as on a link and as the DR degrade's `numgen random` makes
    them), or, without a frame rate, a Poisson stream."""
    rate: float
    frames_per_s: float = 0.0
    fraction: float | None = None

    def below(self, k: int, seconds: float) -> float:
        """P(fewer than `k` errors in `seconds`)."""
        if self.fraction is not None and self.frames_per_s > 0:
            return _binomial_below(k, round(self.frames_per_s * seconds), self.fraction)
        return _poisson_below(k, self.rate * seconds)

    def seconds(self) -> "ErroredSeconds":
        """The errored seconds these errors make (each second errored by chance)."""
        if self.fraction is not None and self.frames_per_s > 0:
            chance = -math.expm1(self.frames_per_s * math.log1p(-min(self.fraction, 1 - 1e-12)))
        else:
            chance = -math.expm1(-self.rate)
        return ErroredSeconds(chance)


@dataclass(frozen=True)
class ErroredSeconds:
    """Seconds each errored with `rate` (a chance per second: also the errored seconds per
    second), counted when they end: whole seconds only (a window's part second counts none:
    on the late side)."""
    rate: float

    def below(self, k: int, seconds: float) -> float:
        return _binomial_below(k, math.floor(seconds + 1e-9), self.rate)


def _poisson_below(k: int, mean: float) -> float:
    """P(N < k), N ~ Poisson(mean)."""
    if k <= 0:
        return 0.0
    if mean <= 0:
        return 1.0
    if k > 400:   # many terms: the normal approximation (continuity-corrected) is close enough
        return NormalDist().cdf((k - 0.5 - mean) / math.sqrt(mean))
    log_term, log_mean, total = -mean, math.log(mean), 0.0
    for i in range(k):
        total += math.exp(log_term)
        log_term += log_mean - math.log(i + 1)
    return min(1.0, total)


def _binomial_below(k: int, n: int, p: float) -> float:
    """P(N < k), N ~ Binomial(n, p): fewer than k of n frames errored."""
    if k <= 0:
        return 0.0
    if n < k or p <= 0:
        return 1.0
    if p >= 1:
        return 0.0
    if k > 400:
        return NormalDist().cdf((k - 0.5 - n * p) / math.sqrt(n * p * (1 - p)))
    log_term, log_odds, total = n * math.log1p(-p), math.log(p) - math.log1p(-p), 0.0
    for i in range(k):
        total += math.exp(log_term)
        log_term += math.log(n - i) - math.log(i + 1) + log_odds
    return min(1.0, total)


Below = Callable[[int, float], float]   # P(fewer than k errors in t seconds)


def _first_time(reached: Callable[[float], bool], low: float, high: float, steps: int = 60) -> float:
    """The least t in (low, high] where `reached(t)` holds (it must hold at `high` and, once it
    holds, stay so): bisection."""
    for _ in range(steps):
        mid = (low + high) / 2
        low, high = (low, mid) if reached(mid) else (mid, high)
    return high


def _time_to_reach(k: int, below: Below, chance: float, limit: float) -> float:
    """The time t <= `limit` by which `k` errors have come but for `chance`:
    below(k, t) = chance (`limit` if not even then)."""
    if below(k, limit) > chance:
        return limit
    return _first_time(lambda t: below(k, t) <= chance, 0.0, limit)


def latest_crossing_s(high: int, rate: float, window_s: float,
                      miss: float = MISS_PROBABILITY, below: Below | None = None) -> float | None:
    """Seconds after random errors (`rate`/s; `below` their counts, Poisson by default) begin
    by which a monitor counting them in tumbling windows of `window_s` has judged a window to
    hold `high`, but for `miss` of runs, whatever the windows' phase. A window is judged when it
    closes (the event is logged then, on the devices and in the lab). The window running when
    the errors begin closes b (<= one window) later and holds what came in b: it may miss by
    chance, more likely the shorter b is; each whole window after it misses with the chance q
    of counting fewer than `high`. A run is judged at b + m windows or later only when the
    window closing at b and the m - 1 whole ones after it all missed: P(fewer than `high` in b)
    x q^(m - 1). The bound over every b is m windows plus the b at which that chance is `miss`
    (a gamma quantile), with m the least for which that b fits in a window. Evenly spaced
    errors give one window plus the crossing time the same way. None when not even reached
    within 10,000 windows."""
    if rate <= 0 or not window_s or math.isinf(window_s) or math.isnan(window_s):
        return None
    below = below or RandomErrors(rate).below
    q = below(high, window_s)
    before = 1.0   # the chance every whole window so far missed
    for m in range(1, 10_001):
        if before * q <= miss:
            return window_s * m + _time_to_reach(high, below, miss / before, window_s)
        before *= q
    return None


def median_crossing_s(high: int, window_s: float, below: Below, phases: int = 64) -> float:
    """When half the runs have judged a window to hold `high` (random errors; `below` their
    counts), over windows of a uniformly random phase: the first window closes b after the
    errors begin (b in (0, window]) and the run is judged at b + j windows with
    P(fewer in b) x q^j still missing."""
    q = below(high, window_s)
    firsts = [(i + 0.5) / phases * window_s for i in range(phases)]
    short = [below(high, b) for b in firsts]

    def done(t: float) -> float:
        return sum(1.0 - miss * q ** math.floor((t - b) / window_s + 1e-9)
                   for b, miss in zip(firsts, short) if t >= b) / phases

    low, high_t = 0.0, window_s
    while done(high_t) < 0.5:
        low, high_t = high_t, high_t * 2
    return _first_time(lambda t: done(t) >= 0.5, low, high_t, steps=50)


def _predict(key: str, name: str, wanted: EventIntent, high: int | None, speed_bps: int,
             frames_per_s: float, rate: float, fraction: float, rate_text: str,
             has_action: bool, holds_high: bool) -> MonitorPrediction:
    label = key if key == name else f"{key} (as {name})"
    window = wanted.window
    assumed = ""
    if window is None:
        window = default_window(name, speed_bps)
        if window is None:
            window = ASSUMED_CRC_WINDOW_DS
            assumed = " (window not set: assumed 10 s, the documented defaults conflict)"
        else:
            assumed = " (window not set or fixed by the platform: the IEEE default)"
    capacity = window_capacity(name, window, speed_bps)
    if name in TIME_WINDOW_EVENTS:
        window_s = window / 10
    elif name == "frame_period":
        window_s = window / frames_per_s if frames_per_s > 0 else math.inf
    else:
        try:
            window_s = window / units.symbol_rate(speed_bps)
        except ValueError:
            window_s = math.nan
    reachable = high is not None and high <= capacity

    def result(crossing: float | None, reason: str) -> MonitorPrediction:
        return MonitorPrediction(key, window_s, high, reachable, crossing, has_action,
                                 f"{label}: {reason}{assumed}")

    if high is None:
        why = ("no high threshold on this platform" if not holds_high
               else "high threshold 'none'" if wanted.high == HIGH_NONE else "no high threshold")
        return result(None, f"{why}: never fires an action")
    what = {"frame_seconds": "errored seconds", "symbol_period": "symbol errors"}.get(
        name, "errored frames")
    window_text = (f"{_num(window)} frames" if name == "frame_period"
                   else f"{_num(window)} symbols" if name == "symbol_period"
                   else _seconds(window_s))
    needed = f"{_num(high)} {what} in {window_text}"
    if not reachable:
        unit = {"frame_seconds": "seconds", "symbol_period": "symbols"}.get(name, "frames")
        return result(None, f"{needed}: more than the {_num(capacity)} {unit} one window can "
                            f"hold at {units.format_speed(speed_bps)}: never crosses")
    if name == "symbol_period":
        return result(None, f"{needed}: counts line-coding errors, which dropped or errored "
                            "frames (nftables drops) do not produce: never crosses")
    if rate <= 0:
        return result(None, f"{needed}: no errors at {rate_text}: never crosses")
    if name == "frame_seconds":
        per_second = min(rate, 1.0)
        # the high-th errored second ends at high / (errored seconds per second), whole seconds
        crossing = float(math.ceil(high / per_second - 1e-9))
        counted = math.floor(window_s) if rate >= 1 else math.floor(rate * window_s + 1e-9)
        every = " (every second errored)" if rate >= 1 else ""
        if crossing <= window_s + 1e-9:
            return result(crossing, f"{needed} at {rate_text}{every}: crosses after "
                                    f"{crossing:.1f} s")
        return result(None, f"at {rate_text} only {_num(counted)} of {_num(high)} errored "
                            f"seconds needed per window: never crosses")
    if name == "frame_period":
        per_window = fraction * window
    else:
        per_window = rate * window_s
    if per_window + 1e-9 >= high:
        crossing = high / rate
        return result(crossing, f"{needed} at {rate_text}: crosses after {crossing:.1f} s")
    return result(None, f"at {rate_text} only {_num(round(per_window, 3))} of {_num(high)} "
                        f"{what} needed per window: never crosses")


def predicted_detection_s(intent: LinkOamIntent, *, frames_per_s: float,
                          error_fraction: float | None = None, errors_per_s: float | None = None,
                          routing_detect_s: float = 0.0,
                          platform: Platform | None = None) -> tuple[float | None, str]:
    """Seconds from the start of the errors until the traffic has moved: the earliest crossing
    among the monitors whose high-threshold action takes the link down, plus the routing
    protocol's detection (`routing_detect_s`, e.g. BFD interval x multiplier). (None, why)
    when the link would never be taken down."""
    monitors = predict_monitors(intent, frames_per_s=frames_per_s, error_fraction=error_fraction,
                                errors_per_s=errors_per_s, platform=platform)
    return detection_from(intent, monitors, routing_detect_s)


def earliest_link_down(monitors: list[MonitorPrediction]) -> MonitorPrediction | None:
    """The monitor whose action takes the link down first, or None when none ever does."""
    crossing = [m for m in monitors if m.has_action and m.crossing_s is not None]
    return min(crossing, key=lambda m: m.crossing_s) if crossing else None


def detection_from(intent: LinkOamIntent, monitors: list[MonitorPrediction],
                   routing_detect_s: float = 0.0) -> tuple[float | None, str]:
    """`predicted_detection_s` from monitors already predicted (`predict_monitors`)."""
    if not intent.enabled or not intent.link_monitoring:
        return None, ("link OAM is off" if not intent.enabled else "link monitoring is off") \
            + ": the link is never taken down"
    if not monitors:
        return None, "no link monitor configured: the link is never taken down"
    acting = [m for m in monitors if m.has_action]
    if not acting:
        action = intent.high_threshold_action
        why = ("no high threshold" if all(m.high is None for m in monitors)
               else f"high_threshold_action {action} does not take the link down" if action
               else "no high_threshold_action")
        return None, f"{why}: the link stays up while degraded"
    first = earliest_link_down(acting)
    if first is None:
        return None, "no monitor with a link-down action crosses: " + "; ".join(
            m.reason for m in acting)
    total = first.crossing_s + routing_detect_s
    reason = first.reason
    if routing_detect_s:
        reason += f"; + routing detection {routing_detect_s:g} s = {total:.1f} s"
    return total, reason


def threshold_warnings(intent: LinkOamIntent,
                       platform: Platform | None = None) -> list[ThresholdWarning]:
    """Thresholds that can never fire at this interface's speed, and high thresholds without
    an action that takes the link down (the link would stay up while degraded)."""
    out: list[ThresholdWarning] = []
    monitors = predict_monitors(intent, frames_per_s=line_rate_frames_per_s(intent.speed_bps),
                                platform=platform)
    for key, name, wanted, holds_high in _effective_events(intent, platform):
        if not intent.enabled or not intent.link_monitoring:
            break
        window = wanted.window if wanted.window is not None else default_window(name, intent.speed_bps)
        if window is None:
            continue   # no known window: nothing to compare with
        capacity = window_capacity(name, window, intent.speed_bps)
        label = key if key == name else f"{key} (as {name})"
        what = capacity_text(name, window, capacity, intent.speed_bps)
        for level, value in (("high", wanted.high if holds_high else None), ("low", wanted.low)):
            if isinstance(value, int) and value > capacity:
                out.append(ThresholdWarning(key, "unreachable",
                                            f"{label}: {level} {value} > {what}: never fires"))
    action = intent.high_threshold_action
    held = action is not None and (platform is None or action in platform.high_threshold_actions)
    if any(m.high is not None for m in monitors) and not held:
        # An action the policy chose that only reports (log) is a decision, not an oversight:
        # `high_threshold_note` says what it means instead.
        detail = (f" (high_threshold_action {action} has no form on {platform.display})"
                  if action is not None and platform is not None else "")
        out.append(ThresholdWarning(None, "no_action", "high threshold has no action: link "
                                    f"stays up while degraded{detail}"))
    return out


def high_threshold_note(intent: LinkOamIntent, platform: Platform | None = None) -> str | None:
    """A line when the high thresholds only report (an action such as `log`): the link stays
    up while degraded, as the policy chose."""
    monitors = predict_monitors(intent, frames_per_s=0.0, platform=platform)
    action = intent.high_threshold_action
    if action is None or not any(m.high is not None for m in monitors) \
            or any(m.has_action for m in monitors):
        return None
    return (f"high thresholds only {action} (high_threshold_action {action}): the link stays "
            "up while degraded")
