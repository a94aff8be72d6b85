"""Error-counter deltas and rates from stored samples, judged against the link-monitor policy.

Pure functions, no I/O. A counter that goes down between two samples was either cleared
(`clear counters`, a reboot, a line-card reset) or wrapped at 2^32 / 2^64. It is only taken for
a wrap when the wrapped delta is physically possible: no more errors than the link could carry
frames in the elapsed time (minimum-size frames at line rate). Anything else is a reset, and the
delta is the value counted since the reset (a lower bound: the reset may have been any time in
the interval). A reboot is also recognised by the device's uptime being shorter than the
interval, even when the counter has grown past its old value again. Rates are never negative and never invented from a single sample.

Judging: a rate is turned into the count the device's own link monitor would see in its window
("at this rate the low threshold of 3000 in 10 s would have fired"). Time-window events
(errored frame, receive/transmit CRC) use CRC (FCS) errors: an errored frame fails its FCS, and
the vendors' `frame` (alignment) counter counts a subset of those, so adding it would count
frames twice; errored-frame-seconds is estimated with
the errors spread evenly. Frame-period and symbol-period windows count frames/symbols, which the
counters we read do not give, so they are not judged (reported as such, not as OK).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

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
    limit = max_errors(current.ts - previous.ts, speed_bps)
    for width in WIDTHS:
        modulus = 2 ** width
        if previous.value < modulus:
            wrapped = current.value + modulus - previous.value
            if wrapped <= limit:
                return Delta(previous.ts, current.ts, wrapped, f"wrap{width}")
            break   # a counter that fits in 32 bits and did not wrap there did not wrap at 64
    return Delta(previous.ts, current.ts, current.value, "reset")


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
    if event == "frame_seconds":   # errored seconds: every second errored once rate >= 1/s
        expected = min(1.0, rate_per_s) * ms / 1000
        what = "errored seconds"
    else:
        expected = rate_per_s * ms / 1000
        what = "errored frames"
    window = _seconds(ms) + (" (IEEE default window)" if default else "")
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
