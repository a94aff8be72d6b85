"""Error-counter deltas and rates from stored samples, judged against the link-monitor policy.

Pure functions, no I/O. A counter that goes down between two samples was either cleared
(`clear counters`, a reboot, a line-card reset) or wrapped at 2^32 / 2^64. It is only taken for
a wrap of width W when both hold (`wrap_width`):
- the previous reading was in the top half of the W-bit range (2^(W-1) <= previous < 2^W): a
  counter wraps by counting up through its top, so one that read well below it (9,096, or
  1e9 on a 32-bit counter) had far more than it had ever counted left to go, and a drop from
  there is a clear, however long the interval (the line-rate test alone admitted a 32-bit wrap
  from any value once the gap was 48 min at 1G, 4.8 min at 10G, 29 s at 100G);
- the wrapped delta is physically possible: no more errors than the link could carry frames in
  the elapsed time (minimum-size frames at line rate).
Anything else is a reset, and the delta is the value counted since the reset (a lower bound:
the reset may have been any time in the interval). A reboot is also recognised by the device's uptime being shorter than the
interval, even when the counter has grown past its old value again. Rates are never negative and never invented from a single sample.

Judging: a rate is turned into the count the device's own link monitor would see in its window
("at this rate the low threshold of 3000 in 10 s would have fired"). Time-window events
(errored frame, receive/transmit CRC) use CRC (FCS) errors: an errored frame fails its FCS, and
the vendors' `frame` (alignment) counter counts a subset of those, so adding it would count
frames twice. Errored-frame-seconds is not a rate: N errors counted over T seconds are
anywhere from 1 to min(N, T, window) errored seconds in one window (`errored_seconds_bounds`),
so it fires for certain only from the lower bound, may have fired up to the upper one, and the
device's own logged frame-seconds events, where it has a log, decide. Frame-period and
symbol-period windows count frames/symbols, which the counters we read do not give, so they
are not judged (reported as such, not as OK).
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

WIDTHS = (32, 64)
# Smallest Ethernet frame on the wire: 64 bytes + 8 preamble + 12 inter-frame gap.
MIN_FRAME_BITS = (64 + 8 + 12) * 8
DEFAULT_SPEED_BPS = 100_000_000_000   # when the link speed is unknown: the most permissive
# IEEE 802.3 Clause 30 default windows, for platforms whose windows are fixed (Junos).
IEEE_DEFAULT_WINDOW_MS = {"frame": 1000, "frame_seconds": 60_000}
TIME_EVENTS = ("frame", "receive_crc", "transmit_crc", "frame_seconds")


@dataclass(frozen=True)
class Sample:
    ts: float           # seconds since the epoch (UTC)
    value: int | None
    uptime: float | None = None   # device uptime in seconds when sampled, if known


def restarted_between(previous: Sample, current: Sample) -> bool:
    """The device came up after `previous` was taken: a reboot zeroes counters even when they
    have grown past their old value again by the next sample."""
    return current.uptime is not None and current.uptime < current.ts - previous.ts


@dataclass(frozen=True)
class Delta:
    start: float
    end: float
    delta: int | None
    kind: str           # "normal" | "wrap32" | "wrap64" | "reset" | "unknown"

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def rate(self) -> float | None:
        if self.delta is None or self.seconds <= 0:
            return None
        return self.delta / self.seconds


def max_errors(seconds: float, speed_bps: int | None) -> float:
    """Most frames (so most errored frames) a link can carry in `seconds`."""
    return (speed_bps or DEFAULT_SPEED_BPS) / MIN_FRAME_BITS * max(seconds, 0.0)


def counter_delta(previous: Sample, current: Sample, speed_bps: int | None = None) -> Delta:
    """The increase of one counter between two samples, with reset/wrap detection."""
    if previous.value is None or current.value is None or current.ts <= previous.ts:
        return Delta(previous.ts, current.ts, None, "unknown")
    if restarted_between(previous, current):
        return Delta(previous.ts, current.ts, current.value, "reset")
    if current.value >= previous.value:
        return Delta(previous.ts, current.ts, current.value - previous.value, "normal")
    width = wrap_width(previous.value, current.value, current.ts - previous.ts, speed_bps)
    if width is not None:
        return Delta(previous.ts, current.ts, current.value + 2 ** width - previous.value,
                     f"wrap{width}")
    return Delta(previous.ts, current.ts, current.value, "reset")


def wrap_width(previous: int, current: int, seconds: float, speed_bps: int | None = None) -> int | None:
    """The counter width (32 or 64) at which a drop from `previous` to `current` is a wrap, or
    None: a clear (or a restart the uptime did not show). A wrap only from the top half of the
    width's range (a counter that had not counted half-way to its top did not get past it in
    one interval), and only when the wrapped delta fits in what the link can carry in
    `seconds`. A previous value below 2^32 is never a 64-bit wrap."""
    for width in WIDTHS:
        modulus = 2 ** width
        if previous < modulus:
            if previous >= modulus // 2 and current + modulus - previous <= max_errors(seconds, speed_bps):
                return width
            return None   # a counter that fits in 32 bits and did not wrap there did not wrap at 64
    return None


def series_deltas(samples: list[Sample], speed_bps: int | None = None) -> list[Delta]:
    """Deltas between consecutive samples (sorted by time; duplicates dropped)."""
    ordered = sorted({s.ts: s for s in samples}.values(), key=lambda s: s.ts)
    return [counter_delta(a, b, speed_bps) for a, b in zip(ordered, ordered[1:])]


def rate_over(samples: list[Sample], seconds: float | None = None,
              speed_bps: int | None = None) -> Delta | None:
    """Errors per second over the last `seconds` of the series (all of it when None): the sum
    of the deltas of the intervals that end inside the window. None with fewer than 2 samples."""
    deltas = series_deltas(samples, speed_bps)
    if not deltas:
        return None
    if seconds is not None:
        end = deltas[-1].end
        deltas = [d for d in deltas if d.end > end - seconds] or deltas[-1:]
    known = [d for d in deltas if d.delta is not None]
    if not known:
        return Delta(deltas[0].start, deltas[-1].end, None, "unknown")
    kinds = {d.kind for d in known}
    kind = "reset" if "reset" in kinds else next((k for k in ("wrap64", "wrap32") if k in kinds), "normal")
    return Delta(known[0].start, known[-1].end, sum(d.delta for d in known), kind)


# ------------------------------------------------------------------------------------ judging
@dataclass(frozen=True)
class Judgement:
    event: str
    level: str                   # "ok" | "low" | "high" | "not-judged"
    expected: float | None       # errors (or errored seconds) per window at the measured rate
    window_ms: int | None
    low: int | None
    high: int | None
    rate_per_s: float | None
    message: str
    # frame_seconds only (`judge_frame_seconds`): the fewest and most errored seconds one window
    # can have held, what decided (`basis`: "lower bound", "upper bound", "device log", "device
    # count"), the device's logged (or counted) frame-seconds events (None: neither read), and
    # per level the CRC rate above which this interval reaches it (where the rule's status changes)
    lower: int | None = None
    upper: int | None = None
    basis: str | None = None
    logged: int | None = None
    onsets: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def window_ms(event: str, intent_event) -> tuple[int | None, bool]:
    """The event's window in ms from the intent (EventIntent or dict), and whether it is the
    IEEE default because the platform's window is fixed."""
    get = intent_event.get if isinstance(intent_event, dict) else lambda k: getattr(intent_event, k, None)
    if get("window_ms"):
        return int(get("window_ms")), False
    if get("window") and event in TIME_EVENTS:
        return int(get("window")) * 100, False   # deciseconds
    if event in IEEE_DEFAULT_WINDOW_MS:
        return IEEE_DEFAULT_WINDOW_MS[event], True
    return None, False


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"


def _num(value: float) -> str:
    """Readable counts: 4,014 rather than 4.01e+03; 0.05 rather than 0.05000001."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _window_text(ms: int, default: bool) -> str:
    """A window as messages name it: '10 s', '1 s (IEEE default window)'."""
    return _seconds(ms) + (" (IEEE default window)" if default else "")


def judge(event: str, rate_per_s: float | None, intent_event) -> Judgement:
    """Would the device's link monitor for `event` fire at `rate_per_s` (errors per second)?"""
    get = intent_event.get if isinstance(intent_event, dict) else lambda k: getattr(intent_event, k, None)
    low = get("low")
    high = get("high")
    high = high if isinstance(high, int) else None
    ms, default = window_ms(event, intent_event)
    if event not in TIME_EVENTS or ms is None:
        return Judgement(event, "not-judged", None, ms, low, high, rate_per_s,
                         f"{event}: its window counts frames/symbols, not time; not judged from "
                         "error counters")
    if rate_per_s is None:
        return Judgement(event, "not-judged", None, ms, low, high, None,
                         f"{event}: no rate yet (needs two samples)")
    if event == "frame_seconds":   # errored seconds depend on when the errors fell, not the rate
        return Judgement(event, "not-judged", None, ms, low, high, rate_per_s,
                         f"{event}: errored seconds are not known from a rate alone; "
                         "judge_frame_seconds judges the counts")
    expected = rate_per_s * ms / 1000
    what = "errored frames"
    window = _window_text(ms, default)
    level = "ok"
    if high is not None and expected >= high:
        level = "high"
    elif low is not None and low > 0 and expected >= low:
        level = "low"
    if level == "ok":
        limit = f"low threshold {low}" if low else "no low threshold"
        message = (f"{event}: {_num(rate_per_s)}/s is {_num(expected)} {what} per {window}, under "
                   f"the {limit}")
    else:
        which, value = ("high", high) if level == "high" else ("low", low)
        message = (f"{event}: at {_num(rate_per_s)}/s ({_num(expected)} {what} per {window}) the "
                   f"{which} threshold of {value} in {window} would have fired")
    return Judgement(event, level, round(expected, 3), ms, low, high, rate_per_s, message)


# ------------------------------------------------------------------ errored frame seconds
# Levels of a frame_seconds judgement beside ok/low/high: the counts allow the crossing but do
# not prove it (the errors may all have fallen into fewer seconds than the threshold).
MAY_LOW, MAY_HIGH = "may-low", "may-high"
_DETAIL = re.compile(r"threshold (?P<threshold>\d+) value (?P<value>\d+)")


def errored_seconds_bounds(errors: int | None, seconds: float, window_s: float,
                           speed_bps: int | None = None, exact: bool = True) -> tuple[int, int]:
    """The fewest and the most errored seconds (seconds with at least one errored frame) that
    one window of `window_s` of the device's frame-seconds monitor can have counted, knowing
    only that `errors` errored frames were counted in an interval of `seconds`.

    Most: no more than the errors, the device seconds the interval touches (ceil(T) + 1: it
    need not start on a second) or the window's seconds. Fewest: the errors can all have fallen
    into one second, unless there are more than a second of line rate carries; those seconds
    can be spread over every window the interval overlaps (ceil(T / W) + 1). `exact=False`: the
    count is a lower bound (counters cleared in the interval), so it does not cap the most."""
    if not errors or errors <= 0:
        return 0, 0
    touched = math.ceil(max(seconds, 0.0)) + 1
    per_second = max(1, math.floor(max_errors(1.0, speed_bps)))
    needed = min(touched, math.ceil(errors / per_second))
    windows = math.ceil(max(seconds, 0.0) / window_s) + 1
    fewest = max(1, math.ceil(needed / windows))
    most = min(touched, math.ceil(window_s)) if not exact else min(errors, touched, math.ceil(window_s))
    return fewest, max(fewest, most)


def _onset(level_count: int, seconds: float, window_s: float, speed_bps: int | None,
           certain: bool) -> float | None:
    """The CRC rate over `seconds` above which the lower (certain) or upper bound reaches
    `level_count` errored seconds; None when no count of errors in this interval can."""
    touched = math.ceil(max(seconds, 0.0)) + 1
    if seconds <= 0 or level_count > min(touched, math.ceil(window_s)):
        return None
    if not certain:   # the most: as many errors as the threshold
        return (level_count - 1) / seconds
    windows = math.ceil(seconds / window_s) + 1
    if (level_count - 1) * windows + 1 > touched:
        return None
    per_second = max(1, math.floor(max_errors(1.0, speed_bps)))
    return (level_count - 1) * windows * per_second / seconds


def judge_frame_seconds(counts: Delta | None, intent_event, speed_bps: int | None = None,
                        logged: list[dict] | None = None, resolution_s: float = 1.0,
                        counted: int | None = None) -> Judgement:
    """Would the device's errored-frame-seconds monitor have fired, from the errors counted in
    `counts` (an interval, not a rate: the errors' spread in it is unknown)?

    `logged`: the device's own local frame-seconds events (`ts`, `detail` "threshold T value
    V") when the snapshot has its event log (None: it has none); they are the truth, and an
    interval without one is OK (a window still open at the sample is the next check's).
    `counted`: where the device keeps no such log but a running count of those events (IOS,
    Junos, VRP), how much it grew between the samples (None: not known). It says that a
    threshold fired, not which: the high one only when the counters alone prove it."""
    get = intent_event.get if isinstance(intent_event, dict) else lambda k: getattr(intent_event, k, None)
    low = get("low")
    high = get("high")
    high = high if isinstance(high, int) else None
    ms, default = window_ms("frame_seconds", intent_event)
    rate = counts.rate if counts is not None else None
    if ms is None or counts is None or counts.delta is None or rate is None:
        return Judgement("frame_seconds", "not-judged", None, ms, low, high, rate,
                         "frame_seconds: no rate yet (needs two samples)")
    window_s = ms / 1000
    window = _window_text(ms, default)
    exact = counts.kind != "reset"
    lower, upper = errored_seconds_bounds(counts.delta, counts.seconds, window_s, speed_bps, exact)
    span = (f"{counts.delta:,} error(s) over {counts.seconds:.1f} s are {lower} to {upper} "
            f"errored second(s) in one {window} window"
            + ("" if exact else " (counters cleared in between: the count is a lower bound)"))
    onsets = {}
    for level, count, certain in (("low", low, True), (MAY_LOW, low, False),
                                  ("high", high, True), (MAY_HIGH, high, False)):
        if count:
            onset = _onset(count, counts.seconds, window_s, speed_bps, certain)
            if onset is not None:
                onsets[level] = onset

    def result(level, expected, basis, message, logged_count=None):
        # the device's log decides whatever the rate: no rate at which the status changes
        return Judgement("frame_seconds", level, expected, ms, low, high, rate, message,
                         lower, upper, basis, logged_count, {} if logged_count is not None else onsets)

    if logged is not None:
        seen = [e for e in logged if counts.start - resolution_s < e["ts"] <= counts.end]
        values = [_DETAIL.search(e.get("detail") or "") for e in seen]
        crossed_high = high is not None and any(
            m and (int(m["value"]) >= high or int(m["threshold"]) == high) for m in values)
        if not seen:
            return result("ok", 0, "device log",
                          f"frame_seconds: the device logged no errored-frame-seconds event "
                          f"between the samples (its own count; {span} from the counters alone)", 0)
        which, value = ("high", high) if crossed_high else ("low", low)
        threshold = f"the {which} threshold of {value} in {window}" if value else "its threshold"
        return result(which, len(seen), "device log",
                      f"frame_seconds: the device logged {len(seen)} errored-frame-seconds "
                      f"event(s) between the samples: {threshold} "
                      f"fired (the device's own count; {span} from the counters)", len(seen))
    if counted is not None:
        if not counted:
            return result("ok", 0, "device count",
                          f"frame_seconds: the device counted no errored-frame-seconds event "
                          f"between the samples (its own count; {span} from the counters alone)", 0)
        which, value = ("high", high) if high is not None and lower >= high else ("low", low)
        threshold = f"the {which} threshold of {value} in {window}" if value else "its threshold"
        also = (f"; the high threshold of {high} may have fired too (upper bound {upper}; the "
                "count does not say which)" if which == "low" and high is not None and upper >= high else "")
        return result(which, counted, "device count",
                      f"frame_seconds: the device counted {counted} errored-frame-seconds "
                      f"event(s) between the samples: {threshold} fired{also} (the device's own "
                      f"count; {span} from the counters)", counted)
    if high is not None and lower >= high:
        return result("high", lower, "lower bound",
                      f"frame_seconds: the high threshold of {high} in {window} would have fired: "
                      f"{span}, at least {lower} (lower bound)")
    if low and lower >= low:
        also = (f"; the high threshold of {high} may have fired too (upper bound {upper})"
                if high is not None and upper >= high else "")
        return result("low", lower, "lower bound",
                      f"frame_seconds: the low threshold of {low} in {window} would have fired: "
                      f"{span}, at least {lower} (lower bound){also}")
    if (high is not None and upper >= high) or (low and upper >= low):
        level, (which, value) = ((MAY_HIGH, ("high", high)) if high is not None and upper >= high
                                 else (MAY_LOW, ("low", low)))
        return result(level, upper, "upper bound",
                      f"frame_seconds: the {which} threshold of {value} in {window} may have "
                      f"fired: {span}, at most {upper} (upper bound; when the errors fell "
                      "is not known from the counters)")
    limit = f"low threshold {low}" if low else "no low threshold"
    return result("ok", upper, "upper bound",
                  f"frame_seconds: {span}, at most {upper} (upper bound), under the {limit}")
