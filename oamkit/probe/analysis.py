"""Pure analysis of a ProbeRun: loss, RTT percentiles, loss bursts and outage estimates.

Outage around an event is the time from the break to the repair. Each falls somewhere between
two probes of the site: the break between its last answered and first lost probe, the repair
between its last lost and first answered one. On its own a site pins each to the middle of
that gap (on schedule: lost probes x interval, fping -o style, within one interval). When the
event is one cut seen by many sites, `sharpen` pins it finer: the sites' gaps all hold the same
instant, their probes are sent at staggered times, so the gaps' common part is narrow (100
sites every 10 ms: ~0.1 ms). The "last reply before to first reply after" gap overestimates by
about one interval on average, so it is not used.

An outage is a run of at least OUTAGE_MIN_LOST consecutive lost probes. A lone lost probe
between answered ones is scattered loss (routers rate-limit ICMP, links drop a packet now and
then): counted and reported, never an outage, and no evidence that anything failed over. Every
outage after the event counts: a site that comes back and is lost again (a flapping failover,
routing oscillating between paths) has the sum of its outages, and `bursts` says how many.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from oamkit.probe.engine import ProbeRun

OUTAGE_MIN_LOST = 2        # consecutive lost probes that make an outage; one alone is scattered loss
RECOVERED_ANSWERED = 0.8   # answered share of the last `settle` that counts as recovered (as at baseline)


@dataclass
class Burst:
    first_k: int
    lost: int
    start: float            # send time of the first lost probe
    end: float              # send time of the last lost probe
    duration_s: float       # lost x interval
    open_ended: bool        # still losing when the run ended

    def as_dict(self, t_ref: float = 0.0) -> dict:
        d = asdict(self)
        d["start_rel_s"] = round(self.start - t_ref, 6)
        d["end_rel_s"] = round(self.end - t_ref, 6)
        return d


def loss_bursts(answered: np.ndarray, tx: np.ndarray, interval: float) -> list[Burst]:
    """Runs of consecutive lost probes among the probes that were sent."""
    sent = ~np.isnan(tx)
    ks = np.nonzero(sent)[0]
    bursts: list[Burst] = []
    start = None
    for pos, k in enumerate(ks):
        if not answered[k]:
            if start is None:
                start = pos
        elif start is not None:
            a, b = ks[start], ks[pos - 1]
            bursts.append(Burst(int(a), pos - start, float(tx[a]), float(tx[b]), (pos - start) * interval, False))
            start = None
    if start is not None:
        a, b = ks[start], ks[-1]
        bursts.append(Burst(int(a), len(ks) - start, float(tx[a]), float(tx[b]), (len(ks) - start) * interval, True))
    return bursts


def percentile(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q)) if values.size else None


def slot_stats(run: ProbeRun, slot: int, t_from: float | None = None, t_to: float | None = None) -> dict:
    tx = run.tx[slot]
    mask = ~np.isnan(tx)
    if t_from is not None:
        mask &= tx >= t_from
    if t_to is not None:
        mask &= tx < t_to
    answered = run.answered[slot] & mask
    sent = int(mask.sum())
    got = int(answered.sum())
    rtt = (run.rx[slot] - tx)[answered] * 1e3
    tx_masked = np.where(mask, tx, np.nan)
    bursts = loss_bursts(run.answered[slot], tx_masked, run.interval)
    kinds = run.kind[slot][answered]
    lost = sent - got
    return {
        "target": run.slots[slot].addr, "proto": str(run.slots[slot].proto),
        "sent": sent, "answered": got, "lost": lost,
        "loss_pct": round(100.0 * lost / sent, 3) if sent else None,
        "rtt_ms": {"min": percentile(rtt, 0), "p50": percentile(rtt, 50), "p90": percentile(rtt, 90),
                   "p99": percentile(rtt, 99), "max": percentile(rtt, 100)},
        "outage_s": round(lost * run.interval, 6), "outage_err_s": run.interval,
        "bursts": [b.as_dict(run.t0) for b in bursts],
        "answer_kinds": sorted({int(c) for c in kinds}),
        "send_errors": int(run.send_errors[slot][mask].sum()),
    }


@dataclass
class EventOutage:
    """The outage a slot saw after an event (a cut, a restore): every outage burst after it,
    added up (see the module's docstring)."""

    lost: int               # probes lost in outages (lone lost probes are in scattered_lost)
    outage_s: float         # the outages' sum
    err_s: float
    start: float | None     # send time of the first probe lost in the first outage
    end: float | None       # ... of the last probe lost in the last one
    recovered: bool
    first_answer_after: float | None
    bursts: int             # how many outages: more than one is a flap
    # bounds from the actual send times: the break fell between the last answered and the
    # first lost probe, the repair between the last lost and the first answered one
    min_s: float | None = None
    max_s: float | None = None
    trusted: bool = True        # the schedule held around this outage: lost x interval is +- 1 interval
    # the longest outage's gaps, as send times: (last answered, first lost) and (last lost,
    # first answered); None where the run has no probe on that side (`sharpen` reads them)
    break_gap: tuple[float, float] | None = None
    repair_gap: tuple[float, float] | None = None
    scattered_lost: int = 0     # lone lost probes after the event: not an outage
    # the other outages (a flap), lost x interval each, added to the longest one's estimate
    other_s: float = 0.0
    other_err_s: float = 0.0
    outages: list[tuple[float, float, int]] = field(default_factory=list)   # (start, end, lost) each
    tail_loss_pct: float | None = None      # probes lost in the last `settle` (recovered: at most 20%)

    def as_dict(self, t_ref: float = 0.0) -> dict:
        d = asdict(self)
        for key in ("break_gap", "repair_gap", "other_s", "other_err_s"):
            del d[key]
        d["start_rel_s"] = None if self.start is None else round(self.start - t_ref, 6)
        d["end_rel_s"] = None if self.end is None else round(self.end - t_ref, 6)
        d["outages"] = [{"start_rel_s": round(a - t_ref, 6), "end_rel_s": round(b - t_ref, 6), "lost": n}
                        for a, b, n in self.outages]
        return d


def outage_around(run: ProbeRun, slot: int, t_event: float, settle_s: float = 0.5) -> EventOutage:
    """Every outage (OUTAGE_MIN_LOST or more consecutive lost probes) that ends at or after the
    event, added up; loss before the event is not its outage, and lone lost probes are
    `scattered_lost`. Recovered = the last `settle_s` of the run holds no outage and at least
    RECOVERED_ANSWERED of its probes were answered."""
    tx = run.tx[slot]
    answered = run.answered[slot]
    after = [b for b in loss_bursts(answered, tx, run.interval) if b.end >= t_event - 2 * run.interval]
    outages = [b for b in after if b.lost >= OUTAGE_MIN_LOST]
    scattered = sum(b.lost for b in after if b.lost < OUTAGE_MIN_LOST)
    sent_idx = np.nonzero(~np.isnan(tx))[0]
    recovered, tail_loss = False, None
    if sent_idx.size:
        tail_from = float(np.nanmax(tx)) - settle_s
        tail = sent_idx[tx[sent_idx] >= tail_from]
        tail_loss = round(100.0 * (1.0 - float(answered[tail].mean())), 1)
        recovered = (tail_loss <= 100.0 * (1 - RECOVERED_ANSWERED) + 1e-9
                     and not any(b.end >= tail_from for b in outages))
    if not outages:
        return EventOutage(0, 0.0, run.interval, None, None, recovered, None, 0, scattered_lost=scattered,
                           tail_loss_pct=tail_loss)
    pos = {int(k): i for i, k in enumerate(sent_idx)}
    # on schedule hi - lo is two intervals; a stall of the sender (or of the whole machine)
    # next to the break or the repair widens it and the count of lost probes stops meaning time
    tolerance = 2 * run.interval + max(0.002, 0.5 * run.interval)
    lo_sum, hi_sum, trusted = 0.0, 0.0, True
    for b in outages:
        p_first = pos[b.first_k]
        p_last = p_first + b.lost - 1
        lo = float(tx[sent_idx[p_last]] - tx[sent_idx[p_first]])
        hi = (float(tx[sent_idx[p_last + 1]] - tx[sent_idx[p_first - 1]])
              if p_first > 0 and p_last + 1 < len(sent_idx) else None)
        lo_sum += lo
        hi_sum = None if hi is None or hi_sum is None else hi_sum + hi
        ok = hi is None or (hi - lo) <= tolerance
        if b.open_ended:
            ok = bool(np.nanmax(run.late[slot][sent_idx[p_first]:]) <= max(0.005, run.interval / 2))
        trusted = trusted and ok
    longest = max(outages, key=lambda b: b.lost)
    p_first = pos[longest.first_k]
    p_last = p_first + longest.lost - 1
    last = outages[-1]
    later = [k for k in sent_idx[pos[last.first_k] + last.lost:] if answered[k]]
    first_after = float(run.rx[slot][later[0]]) if later else None
    break_gap = (float(tx[sent_idx[p_first - 1]]), float(tx[sent_idx[p_first]])) if p_first > 0 else None
    repair_gap = (float(tx[sent_idx[p_last]]), float(tx[sent_idx[p_last + 1]])) \
        if p_last + 1 < len(sent_idx) and not longest.open_ended else None
    lost = sum(b.lost for b in outages)
    others = [b for b in outages if b is not longest]
    outage = EventOutage(lost, lost * run.interval, run.interval, outages[0].start, last.end,
                         recovered and not last.open_ended, first_after, len(outages),
                         round(lo_sum, 6), None if hi_sum is None else round(hi_sum, 6), trusted,
                         break_gap, repair_gap, scattered,
                         other_s=sum(b.lost for b in others) * run.interval,
                         other_err_s=len(others) * run.interval,
                         outages=[(b.start, b.end, b.lost) for b in outages], tail_loss_pct=tail_loss)
    sharpen([outage])   # alone: the middles of its own gaps
    return outage


def sharpen(outages: list[EventOutage]) -> None:
    """Outages of several sites around the same event, pinned where their gaps agree (see the
    module's docstring). Sites whose break gaps share a common part broke at one instant
    inside it (its middle is taken); the same for the repair gaps; a site whose gap meets no
    other's keeps its own gap's middle. Either way each estimate stays inside the site's own
    gaps, so within [min_s, max_s]. `err_s` is how far the truth can be from the estimate
    within those bounds (one interval for a gap's middle, up to two at its edge): what holds
    even if the sites did not in fact break or repair together, not the common part's width.
    Only a site's longest outage is pinned; its other ones (a flap) add lost x interval,
    +- one interval each. Outages without a repair (not recovered) keep lost x interval, a
    lower bound."""
    breaks = _common_instants([o.break_gap for o in outages])
    repairs = _common_instants([o.repair_gap for o in outages])
    for o, t_break, t_repair in zip(outages, breaks, repairs):
        if t_break is None or t_repair is None:
            continue
        outage = t_repair - t_break
        # the truth lies between the gaps' extremes, as lost x interval's does
        err = max(outage - (o.repair_gap[0] - o.break_gap[1]), (o.repair_gap[1] - o.break_gap[0]) - outage)
        o.outage_s = round(outage + o.other_s, 6)
        o.err_s = round(err + o.other_err_s, 6)


def _common_instants(gaps: list[tuple[float, float] | None]) -> list[float | None]:
    """Per gap, an instant inside it: gaps sorted by their start are grouped while they still
    share a common part, and a group's instant is the middle of that part."""
    out: list[float | None] = [None] * len(gaps)
    group: list[int] = []
    low = high = 0.0

    def close() -> None:
        for i in group:
            out[i] = (low + high) / 2

    for start, end, i in sorted((g[0], g[1], i) for i, g in enumerate(gaps) if g is not None):
        if group and start < high:
            low, high = max(low, start), min(high, end)
            group.append(i)
            continue
        if group:
            close()
        group, low, high = [i], start, end
    if group:
        close()
    return out


def stalls(run: ProbeRun, limit: int = 10) -> list[dict]:
    """Stretches where the sender ran late by more than max(5 ms, interval/2)."""
    late = run.late.T.ravel()          # in send order: round by round, slot by slot
    tx = run.tx.T.ravel()
    ok = ~np.isnan(late)
    late, tx = late[ok], tx[ok]
    order = np.argsort(tx)
    late, tx = late[order], tx[order]
    threshold = max(0.005, run.interval / 2)
    out, start = [], None
    for i, v in enumerate(late):
        if v > threshold and start is None:
            start = i
        elif v <= threshold and start is not None:
            out.append({"at_s": round(float(tx[start] - run.t0), 4), "max_late_ms": round(float(late[start:i].max() * 1e3), 2)})
            start = None
    if start is not None:
        out.append({"at_s": round(float(tx[start] - run.t0), 4), "max_late_ms": round(float(late[start:].max() * 1e3), 2)})
    return out[:limit]


def run_summary(run: ProbeRun) -> dict:
    ok, why = run.trusted()
    return {"stalls": stalls(run), "interval_s": run.interval, "rounds": run.rounds, "targets": len(run.slots),
            "rate_pps": round(len(run.slots) / run.interval, 1),
            "lateness": run.lateness_stats(), "scheduler": run.scheduler,
            "rx_overflow_drops": run.rx_overflow_drops, "trusted": ok, "trust_note": why,
            "diagnostics": len(run.diagnostics)}
