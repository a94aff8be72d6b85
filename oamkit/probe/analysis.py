"""Pure analysis of a ProbeRun: loss, RTT percentiles, loss bursts and outage estimates.

Outage is reported fping -o style: lost probes x interval, with an uncertainty of one interval
(the break and the repair each fall somewhere between two probes). The "last reply before to
first reply after" gap overestimates by about one interval on average, so it is not used.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from oamkit.probe.engine import ProbeRun


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
    """The outage a slot saw around an event (a cut, a restore)."""

    lost: int
    outage_s: float
    err_s: float
    start: float | None
    end: float | None
    recovered: bool
    first_answer_after: float | None
    bursts: int
    # bounds from the actual send times: the break fell between the last answered and the
    # first lost probe, the repair between the last lost and the first answered one
    min_s: float | None = None
    max_s: float | None = None
    trusted: bool = True        # the schedule held around this outage: lost x interval is +- 1 interval

    def as_dict(self, t_ref: float = 0.0) -> dict:
        d = asdict(self)
        d["start_rel_s"] = None if self.start is None else round(self.start - t_ref, 6)
        d["end_rel_s"] = None if self.end is None else round(self.end - t_ref, 6)
        return d


def outage_around(run: ProbeRun, slot: int, t_event: float, settle_s: float = 0.5) -> EventOutage:
    """The longest loss burst that ends at or after the event (a stray loss just after the cut
    must not be taken for the outage). Recovered = the slot answered steadily for `settle_s`
    at the end of the run."""
    tx = run.tx[slot]
    answered = run.answered[slot]
    bursts = [b for b in loss_bursts(answered, tx, run.interval) if b.end >= t_event - 2 * run.interval]
    sent_idx = np.nonzero(~np.isnan(tx))[0]
    tail = [k for k in sent_idx if tx[k] >= np.nanmax(tx) - settle_s] if sent_idx.size else []
    recovered = bool(tail) and bool(answered[tail].all())
    if not bursts:
        return EventOutage(0, 0.0, run.interval, None, None, recovered, None, 0)
    worst = max(bursts, key=lambda b: b.lost)
    pos = {int(k): i for i, k in enumerate(sent_idx)}
    p_first = pos[worst.first_k]
    p_last = p_first + worst.lost - 1
    after = [k for k in sent_idx[p_last + 1:] if answered[k]]
    first_after = float(run.rx[slot][after[0]]) if after else None
    lo = float(tx[sent_idx[p_last]] - tx[sent_idx[p_first]])
    hi = (float(tx[sent_idx[p_last + 1]] - tx[sent_idx[p_first - 1]])
          if p_first > 0 and p_last + 1 < len(sent_idx) else None)
    # on schedule hi - lo is two intervals; a stall of the sender (or of the whole machine)
    # next to the break or the repair widens it and the count of lost probes stops meaning time
    tolerance = 2 * run.interval + max(0.002, 0.5 * run.interval)
    trusted = hi is None or (hi - lo) <= tolerance
    if worst.open_ended:
        trusted = bool(np.nanmax(run.late[slot][sent_idx[p_first]:]) <= max(0.005, run.interval / 2))
    return EventOutage(worst.lost, worst.lost * run.interval, run.interval, worst.start, worst.end,
                       recovered and not worst.open_ended, first_after, len(bursts),
                       round(lo, 6), None if hi is None else round(hi, 6), trusted)


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
