"""TTL-limited path discovery, paced within each hop router's ICMP budget.

Routers police the ICMP errors they send: Linux allows a burst of 6 time-exceeded (or
unreachable) messages per destination, then one per `icmp_ratelimit` (1 s), on by default.
Sending one probe per site per hop at once made sites 4-6 behind one hop come back `*`, so
probes here draw from a token bucket per hop router, shared by every site behind it. The
router a probe will reach is predicted (the caller's expectation for that TTL, else the router
last seen there, else one shared "unknown router at this TTL"); when another router answers,
the prediction is refunded and the router that answered is charged. One distinct probe per TTL
(identical probes let replies pair with the wrong TTL). No answer is `*`: unknown, not a hop."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from oamkit.probe.engine import ProbeEngine, Slot
from oamkit.probe.safety import check_probe_request

LINUX_ICMP_BURST = 6          # XRLIM_BURST_FACTOR
LINUX_ICMP_PER_SECOND = 1.0   # 1 / net.ipv4.icmp_ratelimit (1000 ms)
MAX_TTL_SLOTS = 256           # k = attempt * 256 + ttl


@dataclass
class IcmpBudget:
    """Token buckets per hop router, as the router keeps them for our source address."""

    burst: float = LINUX_ICMP_BURST
    per_second: float = LINUX_ICMP_PER_SECOND
    # the router refills from the arrival of the last probe it answered, in jiffies: count the
    # refill from `lag_s` later, or a probe sent on the dot arrives a few ms early and is dropped
    lag_s: float = 0.1
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)   # key -> (tokens, at)

    def tokens(self, key: str, now: float) -> float:
        tokens, at = self.buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + max(0.0, now - at - self.lag_s) * self.per_second)

    def take(self, key: str, now: float) -> bool:
        t = self.tokens(key, now)
        if t < 1.0:
            return False
        self.buckets[key] = (t - 1.0, now)
        return True

    def adjust(self, key: str, now: float, delta: float) -> None:
        """Refund (+1) a wrong prediction, or charge (-1, may go into debt) the real router."""
        self.buckets[key] = (min(self.burst, self.tokens(key, now) + delta), now)


@dataclass
class TracePath:
    addr: str
    proto: str
    hops: dict[int, str] = field(default_factory=dict)     # ttl -> reporting address
    notes: dict[int, str] = field(default_factory=dict)    # ttl -> e.g. "net unreachable from X"
    reached_at: int | None = None                          # ttl at which the target answered
    traced: set[int] = field(default_factory=set)          # TTLs probed at all
    sent: int = 0
    answered: int = 0

    def hop_list(self, max_ttl: int) -> list[str]:
        """Per TTL: the reporting router, "!note", the target, "*" (probed, no answer: unknown)
        or "-" (not probed: not needed for the check)."""
        out = []
        for ttl in range(1, max_ttl + 1):
            if ttl in self.hops:
                out.append(self.hops[ttl])
            elif ttl in self.notes:
                out.append("!" + self.notes[ttl])
            elif self.reached_at is not None and ttl >= self.reached_at:
                out.append(self.addr)
                break
            else:
                out.append("*" if ttl in self.traced else "-")
        return out

    def as_dict(self, max_ttl: int) -> dict:
        return {"target": self.addr, "proto": self.proto, "hops": self.hop_list(max_ttl),
                "reached_at": self.reached_at, "notes": {str(k): v for k, v in self.notes.items()},
                "probes_sent": self.sent, "probes_answered": self.answered}


class Tracer:
    """Path discovery that remembers its budgets and the routers it saw between calls (the
    routers' buckets refill with time, not per call)."""

    def __init__(self, *, netns: str | None = None, allowed: set[str] | None = None,
                 budget: IcmpBudget | None = None, timeout: float = 0.5, retries: int = 2,
                 source: str | None = None, device: str | None = None, allow: list | None = None):
        self.netns, self.allowed, self.allow = netns, allowed, allow
        self.budget = budget or IcmpBudget()
        self.timeout, self.retries = timeout, retries
        self.source, self.device = source, device
        self.seen: dict[tuple[str, int], str] = {}     # (target, ttl) -> router last seen there
        self.seen_at_ttl: dict[int, str] = {}           # ttl -> router last seen there, any target

    def _key(self, addr: str, ttl: int, hints: dict[int, str]) -> str:
        """The router this probe will most likely reach: sites usually share their first hops,
        so a router seen at this TTL for another site is a better guess than a fresh bucket."""
        return (hints.get(ttl) or self.seen.get((addr, ttl)) or self.seen_at_ttl.get(ttl)
                or f"unknown router at ttl {ttl}")

    def trace(self, slots: list[Slot], ttls: list[int] | dict[int, list[int]], *,
              hints: dict[int, dict[int, str]] | None = None, max_time: float = 120.0) -> list[TracePath]:
        """Trace each slot at the given TTLs (one list for all, or per slot index). `hints`:
        slot index -> {ttl: router expected there}. Bounded: at most len(ttls)*(retries+1)
        probes per slot, and `max_time` seconds."""
        per_slot = ttls if isinstance(ttls, dict) else {i: list(ttls) for i in range(len(slots))}
        hints = hints or {}
        check_probe_request([s.addr for s in slots], max(0.002 * len(slots), 0.001), 1, self.netns,
                            allowed=self.allowed, allow=self.allow)
        paths = [TracePath(s.addr, str(s.proto)) for s in slots]
        if not any(per_slot.values()):
            return paths
        engine = ProbeEngine(slots, 1.0, 1, netns=self.netns, check=False, realtime=False,
                             timeout=self.timeout, source=self.source, device=self.device)
        attempts: dict[tuple[int, int], int] = {(i, t): 0 for i, ts in per_slot.items() for t in ts}
        inflight: dict[tuple[int, int], tuple[int, float, str]] = {}   # (slot, k) -> (ttl, sent, key)
        done: set[tuple[int, int]] = set()
        seen_rx: set[tuple[int, int]] = set()
        n_diag = 0
        deadline = time.time() + max_time
        try:
            while time.time() < deadline:
                now = time.time()
                # answers first: they settle in-flight probes and refund or charge budgets
                for (slot, k) in [x for x in list(engine._rx) if x not in seen_rx]:
                    seen_rx.add((slot, k))
                    ttl = k % MAX_TTL_SLOTS
                    p = paths[slot]
                    if p.reached_at is None or ttl < p.reached_at:
                        p.reached_at = ttl
                    p.notes.pop(ttl, None)
                    info = inflight.pop((slot, k), None)
                    if info:
                        p.answered += 1
                        self.budget.adjust(info[2], now, +1)   # the target answered: no router's ICMP
                    done.update((slot, t) for t in per_slot.get(slot, []) if t >= ttl)
                diags = list(engine._diag)
                for d in diags[n_diag:]:
                    if not 0 <= d.slot < len(paths) or d.k < 0:
                        continue
                    ttl = d.k % MAX_TTL_SLOTS
                    p = paths[d.slot]
                    info = inflight.pop((d.slot, d.k), None)
                    if info:
                        p.answered += 1
                        if info[2] != d.reporter:
                            self.budget.adjust(info[2], now, +1)
                            self.budget.adjust(d.reporter, now, -1)
                    if d.icmp_type == 11:
                        p.hops[ttl] = d.reporter
                        self.seen[(p.addr, ttl)] = self.seen_at_ttl[ttl] = d.reporter
                    else:
                        p.notes[ttl] = d.describe()
                    done.add((d.slot, ttl))
                n_diag = len(diags)
                for (slot, k), (ttl, sent, _key) in list(inflight.items()):
                    if now - sent > self.timeout:
                        del inflight[(slot, k)]             # `*` unless a retry gets an answer
                busy = {(slot, ttl) for (slot, _k), (ttl, _s, _key) in inflight.items()}
                todo = [(i, t) for (i, t), n in attempts.items()
                        if (i, t) not in done and (i, t) not in busy and n <= self.retries]
                if not todo and not inflight:
                    break
                for i, ttl in todo:
                    if paths[i].reached_at is not None and ttl >= paths[i].reached_at:
                        done.add((i, ttl))
                        continue
                    key = self._key(slots[i].addr, ttl, hints.get(i, {}))
                    if not self.budget.take(key, time.time()):
                        continue
                    k = attempts[(i, ttl)] * MAX_TTL_SLOTS + ttl
                    attempts[(i, ttl)] += 1
                    paths[i].traced.add(ttl)
                    paths[i].sent += 1
                    try:
                        engine.send_one(i, k, ttl=ttl)
                        inflight[(i, k)] = (ttl, time.time(), key)
                    except OSError as exc:
                        paths[i].notes.setdefault(ttl, f"send failed: {exc.strerror}")
                        done.add((i, ttl))
                    time.sleep(0.001)
                time.sleep(0.02)
        finally:
            engine.close()
        for p in paths:   # hops at or beyond the target's own TTL are the target
            if p.reached_at is not None:
                for ttl in [t for t in p.hops if t >= p.reached_at]:
                    del p.hops[ttl]
        return paths


def trace_paths(slots: list[Slot], ttls: list[int], *, netns: str | None = None,
                allowed: set[str] | None = None, timeout: float = 0.5, retries: int = 2,
                budget: IcmpBudget | None = None, max_time: float = 120.0, **kw) -> list[TracePath]:
    """One-shot trace of every slot at the given TTLs (see Tracer)."""
    return Tracer(netns=netns, allowed=allowed, budget=budget, timeout=timeout, retries=retries,
                  **kw).trace(slots, ttls, max_time=max_time)
