"""TTL-limited path discovery: one distinct probe per TTL (identical probes let replies pair
with the wrong TTL), paced and retried because routers rate-limit time-exceeded messages."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from oamkit.probe.engine import ProbeEngine, Slot
from oamkit.probe.safety import check_probe_request


@dataclass
class TracePath:
    addr: str
    proto: str
    hops: dict[int, str] = field(default_factory=dict)     # ttl -> reporting address
    notes: dict[int, str] = field(default_factory=dict)    # ttl -> e.g. "net unreachable from X"
    reached_at: int | None = None                          # ttl at which the target answered

    def hop_list(self, max_ttl: int) -> list[str]:
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
                out.append("*")
            if self.reached_at is not None and ttl >= self.reached_at:
                break
        return out

    def as_dict(self, max_ttl: int) -> dict:
        return {"target": self.addr, "proto": self.proto, "hops": self.hop_list(max_ttl),
                "reached_at": self.reached_at, "notes": {str(k): v for k, v in self.notes.items()}}


def trace_paths(slots: list[Slot], ttls: list[int], *, netns: str | None = None,
                allowed: set[str] | None = None, timeout: float = 0.5, retries: int = 2,
                pause: float = 0.3, spacing: float = 0.002) -> list[TracePath]:
    """Trace each slot at the given TTLs. Bounded: len(slots)*len(ttls)*(retries+1) probes."""
    check_probe_request([s.addr for s in slots], max(spacing * len(slots), 0.001), 1, netns, allowed=allowed)
    engine = ProbeEngine(slots, 1.0, 1, netns=netns, check=False, realtime=False, timeout=timeout)
    paths = [TracePath(s.addr, str(s.proto)) for s in slots]
    try:
        for attempt in range(retries + 1):
            pending = [(i, ttl) for i, p in enumerate(paths) for ttl in ttls
                       if ttl not in p.hops and ttl not in p.notes
                       and (p.reached_at is None or ttl < p.reached_at)]
            if not pending:
                break
            if attempt:
                time.sleep(pause)
            for i, ttl in pending:
                try:
                    engine.send_one(i, attempt * 256 + ttl, ttl=ttl)
                except OSError as exc:
                    paths[i].notes.setdefault(ttl, f"send failed: {exc.strerror}")
                time.sleep(spacing)
            deadline = time.time() + timeout
            while time.time() < deadline:   # until every probe of this attempt got some answer
                got = {(slot, k) for (slot, k) in list(engine._rx)}
                got |= {(d.slot, d.k) for d in list(engine._diag)}
                if all((i, attempt * 256 + ttl) in got for i, ttl in pending):
                    break
                time.sleep(0.02)
            for (slot, k) in list(engine._rx):
                ttl = k % 256
                p = paths[slot]
                if p.reached_at is None or ttl < p.reached_at:
                    p.reached_at = ttl
                p.notes.pop(ttl, None)
            for d in list(engine._diag):
                if not 0 <= d.slot < len(paths) or d.k < 0:
                    continue
                ttl = d.k % 256
                if d.icmp_type == 11:
                    paths[d.slot].hops[ttl] = d.reporter
                else:
                    paths[d.slot].notes[ttl] = d.describe()
    finally:
        engine.close()
    for p in paths:   # hops at or beyond the target's own TTL are the target
        if p.reached_at is not None:
            for ttl in [t for t in p.hops if t >= p.reached_at]:
                del p.hops[ttl]
    return paths

