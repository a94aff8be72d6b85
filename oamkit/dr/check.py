"""`oamkit drtest --check`: what a run would do, with nothing sent and no step run.

For each target: the source address, outgoing interface and next hop the kernel would use
(`ip route get`, a lookup that sends nothing), and the probe budget of the whole run."""
from __future__ import annotations

import json
import subprocess
from collections import Counter

from oamkit.dr.plan import DrPlan
from oamkit.probe.engine import rounds_for


def route_get(target: str, netns: str | None = None, source: str | None = None,
              device: str | None = None) -> dict:
    args = ["ip"] + (["-n", netns] if netns else []) + ["-j", "-4", "route", "get", target]
    if source:
        args += ["from", source]
    if device:
        args += ["oif", device]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": str(exc)}
    if p.returncode != 0:
        return {"error": p.stderr.strip() or f"ip route get failed ({p.returncode})"}
    try:
        r = (json.loads(p.stdout) or [{}])[0]
    except ValueError:
        return {"error": "unreadable ip route get output"}
    return {"source": r.get("prefsrc") or source, "interface": r.get("dev"),
            "next_hop": r.get("gateway") or "direct"}


def probe_budget(runner) -> dict:
    """Upper bounds of what the run sends: per phase rate, packets and duration."""
    plan: DrPlan = runner.plan
    n = len(plan.sites)
    base_slots = runner._baseline_slots()
    base_iv = runner._baseline_interval(len(base_slots))
    base_rounds = rounds_for(plan.baseline, base_iv)
    fo = runner._watch_duration(plan.trigger, plan.convergence_bound)
    fb = runner._watch_duration(plan.restore, plan.failback_bound)
    path_sites = [s for s in plan.sites if plan.expect(s, "normal") or plan.expect(s, "failover")]
    ttls = max([1] + [(plan.expect(s, ph).ttl and 1) or 8 for s in path_sites for ph in ("normal", "failover")
                      if plan.expect(s, ph)])
    # baseline, steady and failback checks; each probe retried at most twice
    path_probes = 3 * 3 * len(path_sites) * ttls
    phases = {
        "baseline": {"pps": round(len(base_slots) / base_iv, 1), "packets": len(base_slots) * base_rounds,
                     "max_duration_s": round(base_rounds * base_iv, 2)},
        "failover watch": {"pps": round(n / plan.interval, 1), "packets": n * rounds_for(fo, plan.interval),
                           "max_duration_s": round(fo, 2)},
        "failback watch": {"pps": round(n / plan.interval, 1), "packets": n * rounds_for(fb, plan.interval),
                           "max_duration_s": round(fb, 2)},
    }
    b = plan.icmp_budget
    path_s = 3 * runner.paths.max_time(len(path_sites) * ttls) if path_sites else 0.0
    # the most packets per second any one address gets (same target in two sites, baseline protocols)
    watch_per_target = max(Counter(s.target for s in plan.sites).values()) / plan.interval
    base_per_target = max(Counter(s.addr for s in base_slots).values()) / base_iv
    return {"phases": phases, "per_target_pps": round(max(watch_per_target, base_per_target), 1),
            "max_total_pps": max(p["pps"] for p in phases.values()),
            "path_probes_max": path_probes,
            "path_probe_pace": f"burst {b.burst}, then {b.per_second:g}/s per hop router",
            "total_packets_max": sum(p["packets"] for p in phases.values()) + path_probes,
            "max_duration_s": round(sum(p["max_duration_s"] for p in phases.values()) + path_s, 1)}


def check_plan(runner) -> dict:
    """runner.preflight() has passed: the bounds hold. Describe the run."""
    plan = runner.plan
    src = plan.source
    targets = []
    for s in plan.sites:
        r = route_get(s.target, src.netns, src.address, src.interface)
        targets.append({"site": s.name, "target": s.target, "proto": s.proto, "fallback": s.fallback, **r})
    return {"plan": plan.name, "netns": src.netns or "(this machine's network stack)",
            "pinned_source": src.address, "pinned_interface": src.interface,
            "allow": plan.allow, "targets": targets, "budget": probe_budget(runner),
            "trigger": plan.trigger.description or plan.trigger.type,
            "restore": plan.restore.description or plan.restore.type,
            "sent": 0}
