"""Path checks of a DR test: which hop each site's traffic takes, within the hop routers'
ICMP budgets. A hop that did not answer (`*`) is *unknown*, never a wrong path: routers
rate-limit time-exceeded messages, and a healthy failover must not FAIL because of it. Only a
positively observed other hop (or an ICMP error at the hop, or the target reached before
it) makes a path wrong."""
from __future__ import annotations

from oamkit.dr.plan import DrPlan, PathExpect
from oamkit.probe.engine import Slot
from oamkit.probe.trace import IcmpBudget, Tracer

DEFAULT_MAX_TTL = 8           # a path expectation without a ttl: look for the hop up to here

AS_EXPECTED, WRONG, UNKNOWN = "as expected", "wrong", "unknown"


def _labelled(addr: str, labels: dict[str, str]) -> str:
    return f"{addr} ({labels[addr]})" if addr in labels else addr


def path_verdict(trace: dict, expect: PathExpect, labels: dict[str, str] | None = None) -> dict:
    """`match`: True (seen where expected), False (positively something else) or None
    (unknown: the hop did not answer). `status` says the same in words."""
    labels = labels or {}
    hops = trace["hops"]
    reached = trace.get("reached_at")
    if expect.ttl:
        where = f"hop {expect.ttl}"
        seen = hops[expect.ttl - 1] if len(hops) >= expect.ttl else "*"
        if reached is not None and reached < expect.ttl:
            seen = trace["target"]            # the target answered before the expected hop
        if seen == expect.hop:
            status = AS_EXPECTED
        elif seen in ("*", "-"):
            status = UNKNOWN
        else:
            status = WRONG
    else:
        where = "path"
        seen = ",".join(hops)
        if expect.hop in hops:
            status = AS_EXPECTED
        elif any(h.startswith("!") for h in hops) or (reached is not None and "*" not in hops):
            status = WRONG        # every hop up to the target seen (or an error): the hop is not on it
        else:
            status = UNKNOWN
    label = f" ({expect.label})" if expect.label else ""
    shown = _labelled(seen, labels) if "," not in seen else ",".join(_labelled(h, labels) for h in hops)
    if status == AS_EXPECTED:
        note = "as expected"
    elif status == UNKNOWN:
        note = f"unknown: no answer from {where} (expected {expect.hop}{label}); ICMP rate-limited or filtered"
    else:
        note = f"expected {expect.hop}{label} at {where}, saw {shown}"
    return {"hops": hops, "expected": expect.hop, "expected_label": expect.label, "ttl": expect.ttl,
            "seen": seen, "seen_label": labels.get(seen), "match": {AS_EXPECTED: True, WRONG: False}.get(status),
            "status": status, "note": note, "probes_sent": trace.get("probes_sent", 0),
            "probes_answered": trace.get("probes_answered", 0)}


def path_labels(plan: DrPlan) -> dict[str, str]:
    """hop address -> its label in the plan ("wan1 (primary)")."""
    out: dict[str, str] = {}
    exps = [plan.paths.normal, plan.paths.failover]
    for s in plan.sites:
        if s.paths:
            exps += [s.paths.normal, s.paths.failover]
    for e in exps:
        if e is not None and e.label and e.hop:
            out.setdefault(e.hop, e.label)
    return out


class PathChecker:
    """Runs the path checks of one DR test with one set of ICMP budgets (routers' buckets refill
    with time, not per check) and counts the probes sent and answered per phase."""

    def __init__(self, plan: DrPlan, *, netns: str | None, allowed: set[str] | None,
                 source: str | None = None, device: str | None = None, allow: list | None = None):
        self.plan = plan
        self.labels = path_labels(plan)
        budget = IcmpBudget(burst=plan.icmp_budget.burst, per_second=plan.icmp_budget.per_second)
        self.tracer = Tracer(netns=netns, allowed=allowed, budget=budget, timeout=plan.trace_timeout,
                             source=source, device=device, allow=allow)
        self.stats: dict[str, dict] = {}

    def max_time(self, n_probes: int) -> float:
        """Bound of one check: the budget's pace for every probe and its retries, plus slack."""
        b = self.plan.icmp_budget
        return min(600.0, 5.0 + (self.tracer.retries + 1) * max(0, n_probes - b.burst) / b.per_second
                   + (self.tracer.retries + 1) * self.plan.trace_timeout)

    def check(self, phase_name: str, sites: list[tuple[str, str, Slot, PathExpect]],
              max_time: float | None = None) -> dict[str, dict]:
        """sites: (site name, target, slot, expectation). Returns site name -> verdict."""
        if not sites:
            return {}
        ttls: dict[int, list[int]] = {}
        hints: dict[int, dict[int, str]] = {}
        for i, (_n, _t, _slot, exp) in enumerate(sites):
            # only the TTL the verdict needs: every extra probe spends a router's ICMP budget
            ttls[i] = [exp.ttl] if exp.ttl else list(range(1, DEFAULT_MAX_TTL + 1))
            hints[i] = {exp.ttl: exp.hop} if exp.ttl else {}
        n_probes = sum(len(v) for v in ttls.values())
        bound = self.max_time(n_probes) if max_time is None else max(0.5, min(max_time, self.max_time(n_probes)))
        paths = self.tracer.trace([s[2] for s in sites], ttls, hints=hints, max_time=bound)
        max_ttl = max(max(v) for v in ttls.values())
        out = {}
        st = self.stats.setdefault(phase_name, {"sent": 0, "answered": 0, "checks": 0})
        st["checks"] += 1
        for (name, _t, _slot, exp), p in zip(sites, paths):
            out[name] = path_verdict(p.as_dict(max_ttl), exp, self.labels)
            st["sent"] += p.sent
            st["answered"] += p.answered
        return out
