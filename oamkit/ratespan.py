"""Which stored samples a check's error rate is taken over (pure, no I/O).

By default a check judges everything since the sample the previous check run judged (the
history records it, `History.judged_snapshot`), so the errors between two scheduled checks are
all judged whatever `collect` stored in between: every sample in between splits the interval
into pieces, each judged for a clear or a wrap on its own (`rates.rate_over`). Without a
previous check it is the newest earlier sample (the first run has none: UNKNOWN).

Samples are taken in insertion order (snapshot ids), never sorted by their timestamps: a sample
dated after a later one (the clock of the machine running oamkit stepped back) ends the span,
and so does a sample of another platform (another device under the same name): no rate is
invented across either, and the check says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from oamkit import rates


@dataclass(frozen=True)
class Point:
    snapshot_id: int      # insertion order
    ts: float
    value: int | None
    uptime: float | None = None
    platform: str | None = None


@dataclass
class Span:
    points: list[Point] = field(default_factory=list)   # judged: ts strictly increasing
    why: str | None = None        # no rate: the reason
    origin: str = ""              # what the first judged point is, e.g. "the previous check"
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """'over 300 s since the previous check's sample at 2026-12-07T10:05:00Z'."""
        first, last = self.points[0], self.points[-1]
        return f"over {last.ts - first.ts:.0f} s since {self.origin} at {when(first.ts)}"


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


NEEDS_TWO = ("a rate needs two (run check again after the interval, or use check --sample 10s)")


def choose(points: list[Point], *, baseline_id: int | None, window: float | None,
           min_interval: float, first_reading: bool = False) -> Span:
    """The span to judge, ending at `points[-1]` (this check's own sample). `baseline_id`: the
    snapshot the previous check judged (or this check's first `--sample` reading, with
    `first_reading`); `window`: seconds (error_rate.window) instead; neither: the newest
    earlier sample. `min_interval`: the span is at least that long, or there is no rate."""
    if not points:
        return Span(why="no sample of this interface yet; " + NEEDS_TWO)
    this = points[-1]
    if this.value is None:
        return Span(why="the device showed no CRC counter for this interface in this reading")
    tail, stop = [this], None
    for p in reversed(points[:-1]):
        if p.value is None:
            continue   # the counters span it: the pieces around it are one piece
        if p.platform and this.platform and p.platform != this.platform:
            stop = (f"the samples before {when(tail[-1].ts)} are of platform {p.platform}, "
                    f"this one {this.platform} (another device under this name?): a new baseline")
            break
        if p.ts >= tail[-1].ts:
            stop = (f"the sample dated {when(p.ts)} is dated after the one that followed it "
                    f"({when(tail[-1].ts)}): the clock of the machine running oamkit stepped "
                    "back? Not used for a rate")
            break
        tail.append(p)
    tail.reverse()
    if len(tail) < 2:
        return Span(why=stop + "; the next check has a rate" if stop else
                    "only one readable sample of this interface so far; " + NEEDS_TWO)
    if window is not None:
        older = [p for p in tail if p.ts <= this.ts - window]
        start, origin = (older[-1] if older else tail[0]), "the sample"
        reached = bool(older)
    elif baseline_id is not None:
        older = [p for p in tail if p.snapshot_id <= baseline_id]
        start = older[-1] if older else tail[0]
        origin = "this check's first reading" if first_reading else "the previous check's sample"
        reached = bool(older)
        if older and start.snapshot_id != baseline_id and not first_reading:
            origin = "the sample before the previous check's"   # its own had no CRC counter
        if not reached:
            origin = "the sample"
    else:
        start, origin, reached = tail[-2], "the previous sample", True
    if this.ts - start.ts < min_interval:
        earlier = [p for p in tail if this.ts - p.ts >= min_interval]
        if not earlier:
            age = this.ts - tail[-2].ts
            return Span(why=f"the previous sample is only {age:.1f} s old, under "
                        f"error_rate.min_interval ({min_interval:g} s): a collect right before "
                        "this check? Run check later, or use check --sample 10s for a rate of "
                        "its own")
        start, origin = earlier[-1], "the sample"
    span = Span(tail[tail.index(start):], origin=origin)
    if stop and not reached:
        span.notes.append(f"judged only from {when(tail[0].ts)}: {stop}")
    return span


def rate(span: Span, values: dict[int, int | None] | None = None,
         speed_bps: int | None = None) -> rates.Delta | None:
    """The span's rate (pieces judged one by one for a clear or a wrap); `values`: another
    counter's values by snapshot id (the frame counter) instead of the span's own."""
    samples = [rates.Sample(p.ts, p.value if values is None else values.get(p.snapshot_id),
                            p.uptime) for p in span.points]
    return rates.rate_over(samples, None, speed_bps)
