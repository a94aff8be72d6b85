"""Run a DR test plan: baseline -> trigger -> failover watch -> steady state (path) -> restore ->
failback watch. The restore step always runs: after a failed phase, an error or Ctrl-C.

Probing happens in-process: the engine opens its raw sockets inside the plan's source namespace
(setns on one thread), while triggers, restore and reports run where oamkit runs."""
from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import time
from collections import Counter
from typing import Any, Callable

import numpy as np

from oamkit.dr.paths import AS_EXPECTED, UNKNOWN, WRONG, PathChecker, path_verdict  # noqa: F401 (path_verdict: API)
from oamkit.dr.degrade import POLL_S as DEGRADE_POLL_S, DegradeWatch, judge_sites, link_sample
from oamkit.dr.plan import DrPlan, Step
from oamkit.dr.signals import SignalGuard
from oamkit.dr.sites import SiteState, judge_baseline, judge_outage  # noqa: F401 (SiteState: API)
from oamkit.probe.analysis import outage_around, run_summary, sharpen, slot_stats
from oamkit.probe.engine import ProbeEngine, ProbeRun, Slot, rounds_for
from oamkit.jsonout import SCHEMA_VERSION
from oamkit.probe.proto import ProbeProto
from oamkit.probe.safety import (SafetyError, check_probe_request, directed_broadcast_problems, outside_allow,
                                 refuse)

# steps live in oamkit.dr.steps; re-exported here for callers of the runner's API
from oamkit.dr.steps import (ActionHook, StepRecord, command_argv, iso, prompt_on_stderr, run_step,  # noqa: F401
                             set_action_hook, stdin_closed)


class DrRunner:
    def __init__(self, plan: DrPlan, *, input_fn: Callable[[str], str] = prompt_on_stderr,
                 action_hook: ActionHook | None = None, log: Callable[[str], None] = lambda s: None,
                 realtime: bool = True):
        self.plan = plan
        self.input_fn = input_fn
        self.action_hook = action_hook
        self.log = log
        self.realtime = realtime
        self.netns = plan.source.netns
        # named and hashed in the report: the file load_plan() read (a caller may override it)
        self.plan_file: str | None = plan._file
        # the operator's allow-list (plan key and --allow): None means loopback/lab only
        self.allow = None if plan.allow is None else [ipaddress.IPv4Network(a) for a in plan.allow]
        self.paths = PathChecker(plan, netns=self.netns, allowed={s.target for s in plan.sites}, allow=self.allow, source=plan.source.address,
                                 device=plan.source.interface)
        self._want_path: set[str] = set()
        self._path_seen: dict[str, dict] = {}
        self.allowed = {s.target for s in plan.sites}
        self.states = [SiteState(s, ProbeProto.parse(s.proto)) for s in plan.sites]
        self.steps: dict[str, StepRecord] = {}
        self.phases: list[dict] = []
        self.runs: dict[str, dict] = {}
        self.timeline: dict[str, Any] = {"sites": {}}
        self.windows: dict[str, dict] = {}     # per watch: was the whole window after the step probed?
        self.t_ref: float | None = None
        self.status = "running"
        self.error: str | None = None
        self._engines: list[ProbeEngine] = []
        self.degrade: DegradeWatch | None = None
        if plan.trigger.type == "degrade":
            bfd = plan.bfd
            self.degrade = DegradeWatch(plan.trigger, routing_detect_s=bfd.interval * bfd.multiplier if bfd else 0.0)

    # ------------------------------------------------------------------ safety, up front
    def preflight(self) -> None:
        """Refuse before anything is sent: targets from the plan only, rate, count, duration."""
        too_long = self.plan.run_length_problems()
        if too_long:     # named by the plan's keys, before they become a probe count
            raise SafetyError(too_long)
        longest = max(self._watch_duration(self.plan.trigger, self.plan.convergence_bound),
                      self._watch_duration(self.plan.restore, self.plan.failback_bound))
        if self.allow is not None:
            # targets (their fallbacks probe the same address) and every expected path hop
            hops = [e.hop for st in self.states for ph in ("normal", "failover")
                    if (e := self.plan.expect(st.site, ph)) is not None]
            outside = outside_allow([st.site.target for st in self.states] + hops, self.allow)
            if outside:
                raise refuse("outside the allow-list (plan key allow: or --allow CIDR); nothing was sent",
                             field="allow", value=", ".join(outside))
        # a subnet's last address, where the kernel (or the allow-list) knows the subnet: named by site
        sites = {st.site.target: (f"sites.{i}.target", f"site {st.site.name}") for i, st in enumerate(self.states)}
        broadcasts = directed_broadcast_problems(list(sites), self.netns, self.allow, where=sites.get,
                                                 file=self.plan_file)
        if broadcasts:
            raise SafetyError(broadcasts)
        check_probe_request([st.site.target for st in self.states], self.plan.interval,
                            rounds_for(longest, self.plan.interval), self.netns, allowed=self.allowed,
                            max_rate_pps=self.plan.max_rate_pps, allow=self.allow,
                            max_target_pps=self.plan.max_target_pps)
        for name, step in (("trigger", self.plan.trigger), ("restore", self.plan.restore)):
            program = _missing_program(step)
            if program is not None:   # found out at the trigger, after the baseline had run
                raise refuse("no such program (not on PATH, or not an executable file); nothing "
                             "was sent", field=f"{name}.command", value=program)
            if step.type == "manual" and self.input_fn is prompt_on_stderr and (why := stdin_closed()):
                # found out at the trigger, after the baseline (and at the restore, again)
                raise refuse(f"a manual step needs an operator to press Enter, but {why}; nothing was sent",
                             field=f"{name}.type", value="manual")
        if self.degrade is not None:
            t = self.plan.trigger
            if link_sample(t.netns or "", t.interface or "") is None:
                raise refuse("the degrade trigger's interface cannot be read (no such namespace or interface); "
                             "nothing was sent", field="trigger.netns/interface", value=f"{t.netns}/{t.interface}")
        slots = self._baseline_slots()
        iv = self._baseline_interval(len(slots))
        check_probe_request([s.addr for s in slots], iv, rounds_for(self.plan.baseline, iv), self.netns,
                            allowed=self.allowed, max_rate_pps=self.plan.max_rate_pps, allow=self.allow,
                            max_target_pps=self.plan.max_target_pps)

    def _watch_duration(self, step: Step, bound: float) -> float:
        """The longest a watch may probe (DrPlan.watch_duration): the step's whole timeout,
        then its window."""
        return self.plan.watch_duration(step, bound)

    def _baseline_interval(self, n_slots: int) -> float:
        # the baseline also probes ICMP and the fallback of every site: slow down to stay in the
        # total rate, and in the per-target one (up to three protocols to the same address)
        per_target = max(Counter(s.addr for s in self._baseline_slots()).values(), default=1)
        return max(self.plan.interval, n_slots / self.plan.max_rate_pps, per_target / self.plan.max_target_pps)

    def _baseline_slots(self) -> list[Slot]:
        slots = []
        for st in self.states:
            protos = [st.measure]
            if st.measure.kind != "icmp":
                protos.append(ProbeProto("icmp"))
            if st.site.fallback and ProbeProto.parse(st.site.fallback) not in protos:
                protos.append(ProbeProto.parse(st.site.fallback))
            slots += [Slot(st.site.target, p) for p in protos]
        return slots

    def _engine(self, slots: list[Slot], duration: float, interval: float | None = None) -> ProbeEngine:
        iv = interval or self.plan.interval
        e = ProbeEngine(slots, iv, rounds_for(duration, iv), netns=self.netns,
                        allowed=self.allowed, realtime=self.realtime, max_rate_pps=self.plan.max_rate_pps,
                        allow=self.allow, max_target_pps=self.plan.max_target_pps,
                        timeout=max(0.5, 3 * self.plan.interval), source=self.plan.source.address,
                        device=self.plan.source.interface)
        self._engines.append(e)
        return e

    def _phase(self, name: str, ok: bool, note: str = "", **extra) -> None:
        self.phases.append({"phase": name, "ok": ok, "note": note, "t": time.time(), **extra})
        self.log(f"{name}: {'ok' if ok else 'FAILED'}{' - ' + note if note else ''}")

    # ------------------------------------------------------------------ paths
    def _check_paths(self, phase: str, only: set[str] | None = None, max_time: float | None = None,
                     stats_as: str | None = None) -> dict[str, dict]:
        todo = []
        for st in self.states:
            exp = self.plan.expect(st.site, phase)
            if exp is not None and st.classification != "down" and (only is None or st.site.name in only):
                todo.append((st.site.name, st.site.target, Slot(st.site.target, st.measure), exp))
        return self.paths.check(stats_as or phase, todo, max_time=max_time)

    def _judge_path(self, st: SiteState, verdict: dict, what: str, wrong_reason: str) -> str:
        """-> the verdict's status; a wrong path fails the site, an unknown one only when the
        plan says `paths_unknown: fail`."""
        if verdict["status"] == WRONG:
            st.reasons.append(f"{wrong_reason}: {verdict['note']}")
        elif verdict["status"] == UNKNOWN:
            text = f"{what}: path {verdict['note']}"
            (st.reasons if self.plan.paths_unknown == "fail" else st.notes).append(text)
        return verdict["status"]

    def _path_note(self, statuses: dict[str, str], wrong_text: str) -> tuple[list[str], bool]:
        wrong = [n for n, v in statuses.items() if v == WRONG]
        unknown = [n for n, v in statuses.items() if v == UNKNOWN]
        note = []
        if wrong:
            note.append(f"{len(wrong)} sites {wrong_text}: {', '.join(wrong)}")
        if unknown:
            note.append(f"{len(unknown)} sites' path unknown (no ICMP answer from the hop; "
                        f"paths_unknown: {self.plan.paths_unknown}): {', '.join(unknown)}")
        return note, not wrong and not (unknown and self.plan.paths_unknown == "fail")

    # ------------------------------------------------------------------ phases
    def baseline(self) -> bool:
        slots = self._baseline_slots()
        e = self._engine(slots, self.plan.baseline, self._baseline_interval(len(slots)))
        e.start()
        run = e.finish()
        self.runs["baseline"] = run_summary(run)
        by_key = {(s.addr, str(s.proto)): i for i, s in enumerate(slots)}
        for st in self.states:
            stats = {p: slot_stats(run, i) for (addr, p), i in by_key.items() if addr == st.site.target}
            main = judge_baseline(st, stats)
            st.rtt_before_ms = stats.get(main, {}).get("rtt_ms", {}).get("p50") if main in stats else None
            for d in run.diagnostics:
                if 0 <= d.slot < len(slots) and slots[d.slot].addr == st.site.target and len(st.diagnostics) < 5:
                    st.diagnostics.append(f"baseline: {d.describe()}")
        paths = self._check_paths("normal", stats_as="baseline")
        statuses = {}
        for st in self.states:
            if st.site.name in paths:
                st.path_before = paths[st.site.name]
                statuses[st.site.name] = self._judge_path(st, st.path_before, "baseline", "baseline path")
        down = [st.site.name for st in self.states if st.classification == "down"]
        note = []
        if down:
            note.append(f"{len(down)} of {len(self.states)} sites unreachable before the trigger: {', '.join(down)}")
        path_note, paths_ok = self._path_note(statuses, "not on the normal path")
        # reachability does not depend on timing: a late engine here is reported, not fatal
        ok_all = not down and paths_ok
        note += path_note
        self._phase("baseline", ok_all, "; ".join(note))
        return ok_all

    def _watch(self, name: str, step_name: str, step: Step, bound: float, until_path: str | None = None) -> ProbeRun:
        """Probe continuously, run the step after `pre`, watch until `bound` + `settle` have
        passed since the step returned. Both watches last that whole window, even when every
        site looks steady sooner: a cut (or a restore) that lands after the command returned
        (a backgrounded job, a device that commits late) must fall inside it, and an outage
        that comes back after a first recovery (a flap) must be seen. With `until_path`, the
        sites are checked back on that path while the watch goes on, once every site has
        answered steadily for `settle` (at least `min_watch` after the step). The probe
        schedule covers the step's whole timeout, so a slow trigger (or a late operator) is
        watched; probing that still ends before the window was observed is recorded and makes
        the run INVALID."""
        plan = self.plan
        slots = [Slot(st.site.target, st.measure) for st in self.states]
        dw = self.degrade if step_name == "trigger" else None
        if dw is not None:      # polled event counters: the first read before any error
            dw.arm(max_s=self._watch_duration(step, bound) + 20.0)
        e = self._engine(slots, self._watch_duration(step, bound))
        e.start()
        if self.t_ref is None:
            self.t_ref = e.t0
        if dw is not None:
            dw.start()
        time.sleep(max(0.0, e.t0 + plan.pre - time.time()))
        rec = run_step(step, step_name, self.input_fn, self.action_hook)
        self.steps[step_name] = rec
        self.log(f"{step_name}: {'ok' if rec.ok else 'FAILED: ' + str(rec.error)}")
        t_step = rec.ended or time.time()
        if dw is not None and rec.ok:
            dw.triggered(rec.started or t_step, t_step, max_watch_s=step.timeout)
            p = dw.prediction.get("predicted_s")
            self.log(f"degrading {step.link}: {dw.frames_per_s or 0:.0f} frames/s, predicted detection "
                     + (f"{p:.2f} s" if p is not None else f"never ({dw.prediction.get('reason', 'no prediction')})"))
        paths_done = False
        reason = "probing ended early"
        while e.sending():
            now = time.time()
            if dw is not None and rec.ok and dw.t_down is None:
                # degraded, not yet taken down: the convergence watch starts when the link goes
                state = dw.poll(now)
                if state is None:
                    time.sleep(DEGRADE_POLL_S)
                    continue
                if state == "deadline":
                    reason = "never taken down"
                    break
                t_step = dw.t_down or now
                self.log(f"{step.link} went down {t_step - (dw.t_trigger or t_step):.2f} s after the errors began")
                continue
            elapsed = now - t_step
            if elapsed >= bound + plan.settle:
                reason = "window"
                break
            if (until_path is not None and not paths_done and elapsed >= plan.min_watch
                    and self._all_steady(e, now)):
                # only sites not yet seen back on the path: each trace spends ICMP budget
                pending = {n for n in self._want_path if n not in self._path_seen
                           or self._path_seen[n]["status"] != "as expected"}
                res = self._check_paths(until_path, only=pending, stats_as=name,
                                        max_time=bound + plan.settle - (time.time() - t_step))
                self._path_seen.update(res)
                paths_done = all(self._path_seen.get(n, {}).get("status") == "as expected" for n in self._want_path)
            time.sleep(0.1 if until_path is None or paths_done else 0.4)
        decided = time.time()
        e.stop()
        if dw is not None:
            dw.disarm()
        run = e.finish()
        self.runs[name] = run_summary(run)
        last_tx = float(np.nanmax(run.tx)) if np.isfinite(run.tx).any() else run.t0
        # complete: the loop ended for a reason of its own, and probes went out after the step
        complete = reason != "probing ended early" and last_tx >= t_step
        t_ref = self.t_ref
        self.windows[name] = {
            "complete": complete, "ended_by": reason, "step_returned_rel_s": round(t_step - t_ref, 4),
            "probed_until_rel_s": round(last_tx - t_ref, 4),
            "required_until_rel_s": round((decided if complete else t_step + bound + plan.settle) - t_ref, 4)}
        if not complete:
            self.log(f"{name}: probing ended {last_tx - t_step:+.2f} s after the {step_name} returned, before the "
                     f"window after it was observed")
        return run

    def _all_steady(self, e: ProbeEngine, now: float) -> bool:
        lag = min(e.timeout, 0.15)      # answers still in flight are not losses yet
        lo, hi = now - self.plan.settle - lag, now - lag
        rx = e._rx
        for i in range(len(e.slots)):
            tx = e.tx[i]
            ks = np.nonzero((tx >= lo) & (tx < hi))[0]
            if ks.size == 0 or any((i, int(k)) not in rx for k in ks):
                return False
        return True

    def failover(self) -> bool:
        run = self._watch("failover", "trigger", self.plan.trigger, self.plan.convergence_bound)
        rec = self.steps["trigger"]
        self._record_watch("failover", run, rec)
        lost = []
        slow = []
        reasons_before = sum(len(st.reasons) for st in self.states)
        degraded = self._judge_degrade(run) if self.degrade is not None and rec.ok else None
        degrade_failed = sum(len(st.reasons) for st in self.states) > reasons_before
        t_trigger_rel = (rec.started or run.t0) - (self.t_ref or run.t0)
        for i, st in enumerate(self.states):
            o = st.failover
            if degraded is not None and self.degrade.t_down is None:
                st.reachable_after = False      # judged by _judge_degrade: never taken down
                continue
            verdict = judge_outage(st, o, after="the trigger", bound=self.plan.convergence_bound,
                                   bound_key="convergence_bound", settle=self.plan.settle, t_step_rel=t_trigger_rel)
            if verdict == "lost":
                lost.append(st.site.name)
            elif verdict == "slow":
                slow.append(st.site.name)
            st.reachable_after = o["recovered"]
            tail = slot_stats(run, i, t_from=float(np.nanmax(run.tx[i])) - self.plan.settle)
            st.rtt_after_ms = tail["rtt_ms"]["p50"]
        note = []
        if not rec.ok:
            note.append(f"trigger failed: {rec.error}")
        if lost:
            what = f" ({self.plan.trigger.description})" if self.plan.trigger.description else ""
            note.append(f"{len(lost)} of {len(self.states)} sites lost connectivity after the trigger{what} and did "
                        f"not recover within {self.plan.convergence_bound:g} s: {', '.join(lost)}")
        if slow:
            note.append(f"{len(slow)} sites recovered too slowly: {', '.join(slow)}")
        if degraded:
            note.insert(0, degraded)
        ok = rec.ok and not lost and not slow and not degrade_failed
        self._phase("failover", ok, "; ".join(note))
        return ok

    def _failover_evidence(self, st: SiteState) -> list[str]:
        """What shows that a site failed over: "path" (seen on the failover hop after the
        trigger), "outage" (it lost connectivity after the trigger: at least one outage, not
        only scattered loss). Neither: its PASS would rest on nothing, as for a trigger that
        did nothing or a cut that landed after the watch."""
        evidence = []
        if (st.path_after or {}).get("status") == AS_EXPECTED:
            evidence.append("path")
        if (st.failover or {}).get("bursts"):
            evidence.append("outage")
        return evidence

    def _unproven_text(self, st: SiteState) -> str:
        o = st.failover or {}
        loss = "no outage after the trigger"
        if o.get("scattered_lost"):
            loss += f" (only {o['scattered_lost']} lone lost probe(s))"
        expect = self.plan.expect(st.site, "failover")
        if expect is None:
            path = "the plan names no failover path (paths: failover) to check"
        elif (st.path_after or {}).get("status") == UNKNOWN:
            path = f"the failover hop {expect.hop} did not answer the path check"
        else:
            path = "its path after the trigger was not checked"
        return f"failover not demonstrated: {loss}, and {path}"

    def _judge_degrade(self, run: ProbeRun) -> str:
        """Per site: the degradation (loss, RTT), predicted vs measured detection; the phase note."""
        dw = self.degrade
        assert dw is not None
        dw.read_events()
        t_ref = self.t_ref or run.t0
        self.timeline["degrade"] = dw.as_dict(t_ref)
        return judge_sites(dw, run, self.states, t_ref)

    def steady(self) -> bool:
        # sites that lost connectivity already fail: no ICMP budget spent on them
        paths = self._check_paths("failover", only={st.site.name for st in self.states if st.reachable_after},
                                  stats_as="steady")
        statuses = {}
        for st in self.states:
            if st.site.name in paths:
                st.path_after = paths[st.site.name]
                statuses[st.site.name] = self._judge_path(st, st.path_after, "after failover", "path after failover")
        note, ok = self._path_note(statuses, "not on the failover path")
        self._phase("steady", ok, "; ".join(note))
        return ok

    def failback(self) -> bool:
        has_normal = any(self.plan.expect(st.site, "normal") for st in self.states)
        self._want_path = {st.site.name for st in self.states
                           if self.plan.expect(st.site, "normal") and st.classification != "down"}
        self._path_seen: dict[str, dict] = {}
        run = self._watch("failback", "restore", self.plan.restore, self.plan.failback_bound,
                          until_path="normal" if has_normal else None)
        rec = self.steps["restore"]
        self._record_watch("failback", run, rec)
        paths = self._paths_at_the_end(dict(self._path_seen)) if has_normal else {}
        unreachable, slow = [], []
        statuses = {}
        t_restore_rel = (rec.started or run.t0) - (self.t_ref or run.t0)
        for st in self.states:
            # judged as the failover is: every outage in the restore's whole window counts
            verdict = judge_outage(st, st.failback, after="the restore", bound=self.plan.failback_bound,
                                   bound_key="failback_bound", settle=self.plan.settle, t_step_rel=t_restore_rel)
            if verdict == "lost":
                unreachable.append(st.site.name)
            elif verdict == "slow":
                slow.append(st.site.name)
            elif st.failback["bursts"]:
                st.notes.append(failback_outage_note(st.failback))
            if st.site.name in paths:
                st.path_failback = paths[st.site.name]
                statuses[st.site.name] = self._judge_path(st, st.path_failback, "after failback",
                                                          "did not fail back to the normal path")
        note = []
        if not rec.ok:
            note.append(restore_failed_note(rec))
        if unreachable:
            note.append(f"{len(unreachable)} sites unreachable after the restore (not recovered within "
                        f"{self.plan.failback_bound:g} s): {', '.join(unreachable)}")
        if slow:
            note.append(f"{len(slow)} sites lost connectivity after the restore for longer than the failback "
                        f"bound ({self.plan.failback_bound:g} s): {', '.join(slow)}")
        path_note, paths_ok = self._path_note(statuses, "not back on the normal path")
        note += path_note
        ok = rec.ok and not unreachable and not slow and paths_ok
        self._phase("failback", ok, "; ".join(note))
        return ok

    def _paths_at_the_end(self, seen: dict[str, dict]) -> dict[str, dict]:
        """Every site once more when the failback watch is over, not only those not yet seen
        back during it: a site back on the normal path early can be moved to the failover path
        again without losing a probe (a restore made under a revert timer nobody confirmed, a
        route preference put back), and it did not fail back. Seen there at the end, it is
        judged there; a hop that does not answer at the end leaves what the watch saw."""
        paths = dict(seen)
        final = self._check_paths("normal", only=set(self._want_path), stats_as="failback")
        for name, verdict in final.items():
            early = seen.get(name, {}).get("status")
            if verdict["status"] == WRONG and early == AS_EXPECTED:
                paths[name] = {**verdict, "note": verdict["note"] + " at the end of the failback watch, "
                               "after it had been seen back on the normal path"}
            elif verdict["status"] != UNKNOWN or early is None:
                paths[name] = verdict
        return paths

    def _record_watch(self, name: str, run: ProbeRun, rec: StepRecord) -> None:
        t_event = rec.started or run.t0
        if name == "failover" and self.degrade is not None and self.degrade.t_down is not None:
            t_event = self.degrade.t_down      # the outage is the failover after the link went down
        t_ref = self.t_ref or run.t0
        outages = [outage_around(run, i, t_event, self.plan.settle) for i in range(len(self.states))]
        sharpen(outages)   # one event for every site: where their gaps agree, it is pinned finer
        for i, (st, o) in enumerate(zip(self.states, outages)):
            d = o.as_dict(t_ref)
            d["proto"] = str(st.measure)
            setattr(st, name, d)
            stats = slot_stats(run, i)
            tl = self.timeline["sites"].setdefault(st.site.name, {})
            tl[name] = {"start_rel_s": round(float(np.nanmin(run.tx[i])) - t_ref, 4),
                        "end_rel_s": round(float(np.nanmax(run.tx[i])) - t_ref, 4),
                        "bursts": [[b["start_rel_s"] - (t_ref - run.t0), b["end_rel_s"] - (t_ref - run.t0) + run.interval]
                                   for b in stats["bursts"]]}
            for dg in run.diagnostics:
                if dg.slot == i and len(st.diagnostics) < 10:
                    st.diagnostics.append(f"{name} +{dg.ts - t_ref:.3f}s: {dg.describe()}")

    # ------------------------------------------------------------------ the whole test
    def run(self) -> dict:
        self.preflight()
        started = time.time()
        restored = False
        # the first SIGINT/SIGTERM aborts; a second one, or one during the restore, only logs
        guard = SignalGuard(self.log).install()
        try:
            if self.baseline():
                self.failover()
                self.steady()
                restored = True
                self.failback()          # runs the restore step inside its watch
            self.status = "done"
        except KeyboardInterrupt:
            self.status = "aborted"
            self.error = f"interrupted ({guard.received or 'Ctrl-C'})"
            self._phase("aborted", False, self.error)
        except Exception as exc:
            self.status = "error"
            self.error = f"{type(exc).__name__}: {exc}"
            self._phase("error", False, self.error)
        finally:
            guard.shield()
            try:
                for e in self._engines:
                    e.stop()
                if "restore" not in self.steps or not restored or not self.steps["restore"].started:
                    # the restore step always runs (its command in a session of its own: a
                    # terminal's Ctrl-C does not reach it)
                    self.log("restore: running the restore step")
                    rec = run_step(self.plan.restore, "restore", self.input_fn, self.action_hook)
                    self.steps["restore"] = rec
                    self._phase("restore", rec.ok, restore_failed_note(rec) if not rec.ok
                                else "restore step run after an early end")
                if not self.steps["restore"].ok:
                    self.log("RESTORE FAILED: the primary may still be cut")
                for e in self._engines:
                    e.close()
            finally:
                guard.uninstall()

        return self.result(started)

    # ------------------------------------------------------------------ verdict
    def _provenance(self, started: float) -> dict:
        """Who ran which plan when, with which oamkit: an audit trail for the change record."""
        import getpass
        import hashlib
        import os

        from oamkit import __version__

        digest = None
        if self.plan_file and self.plan_file == self.plan._file:
            digest = self.plan._sha256
        elif self.plan_file:
            try:
                with open(self.plan_file, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                pass
        try:
            operator = os.environ.get("SUDO_USER") or getpass.getuser()
        except (KeyError, OSError):
            operator = str(os.getuid())
        when = datetime.datetime.fromtimestamp(started).astimezone().isoformat(timespec="seconds")
        return {"started_iso": when, "operator": operator, "plan_file": self.plan_file,
                "plan_sha256": digest, "oamkit_version": __version__}

    def result(self, started: float) -> dict:
        t_ref = self.t_ref or started
        sites = []
        unproven: list[str] = []
        for st in self.states:
            evidence = self._failover_evidence(st)
            verdict = "FAIL" if st.reasons or st.classification == "down" else "PASS"
            if verdict == "PASS" and st.failover is None:
                verdict = "NOT RUN"
            elif verdict == "PASS" and not evidence:
                verdict = "INCONCLUSIVE"
                unproven.append(st.site.name)
            rtt_change = (None if st.rtt_before_ms is None or st.rtt_after_ms is None
                          else round(st.rtt_after_ms - st.rtt_before_ms, 4))
            sites.append({"name": st.site.name, "target": st.site.target, "proto": st.site.proto,
                          "measured_with": str(st.measure), "classification": st.classification,
                          "reachable_before": st.reachable_before, "reachable_after": st.reachable_after,
                          "failover": st.failover, "failback": st.failback,
                          "degradation": st.degradation,
                          "path_before": st.path_before, "path_after": st.path_after,
                          "path_failback": st.path_failback,
                          "rtt_before_ms": st.rtt_before_ms, "rtt_after_ms": st.rtt_after_ms,
                          "rtt_change_ms": rtt_change, "baseline": st.baseline,
                          "diagnostics": st.diagnostics, "reasons": st.reasons,
                          "notes": st.notes + ([self._unproven_text(st)] if verdict == "INCONCLUSIVE" else []),
                          "failover_evidence": evidence, "verdict": verdict})
        failed = [s["name"] for s in sites if s["verdict"] == "FAIL"]
        # the engine fell behind: flagged always; the outcome is INVALID when a stall touched a
        # measured outage (lost x interval no longer means time there)
        untrusted_sites = [s["name"] for s in sites for w in ("failover", "failback")
                           if s[w] and s[w]["lost"] and not s[w]["trusted"]]
        trusted = not untrusted_sites
        engine_notes = []
        for phase, r in self.runs.items():
            if not r.get("trusted", True):
                where = ", ".join(f"+{x['at_s']:.2f} s ({x['max_late_ms']:.0f} ms)" for x in r.get("stalls", [])[:3])
                engine_notes.append(f"probe engine fell behind in the {phase} phase ({r['trust_note']}; stalls at {where})")
        if untrusted_sites:
            engine_notes.append("outage not trusted (engine stalled next to the break or repair): "
                                + ", ".join(sorted(set(untrusted_sites))))
        unobserved = [w for w, v in self.windows.items() if not v["complete"]]
        for w in unobserved:
            v = self.windows[w]
            engine_notes.append(
                f"the {w} watch did not observe the whole window after the "
                f"{'trigger' if w == 'failover' else 'restore'}: probing ended at +{v['probed_until_rel_s']:.2f} s, "
                f"the step returned at +{v['step_returned_rel_s']:.2f} s and the window lasts until "
                f"+{v['required_until_rel_s']:.2f} s; the verdicts of that phase are not measurements: rerun")
        if self.status == "aborted":
            overall = "ABORTED"
        elif unobserved:
            # what a site did after the step was not (fully) seen: neither PASS nor FAIL is known
            overall = "INVALID"
        elif failed or self.status == "error" or any(not p["ok"] for p in self.phases):
            overall = "FAIL"
        elif not trusted:
            overall = "INVALID"
        elif unproven:
            # nothing seen to go wrong, nothing seen to fail over: no evidence either way
            overall = "INCONCLUSIVE"
        else:
            overall = "PASS"
        restore = self.steps.get("restore")
        if restore is not None and not restore.ok:
            overall = RESTORE_FAILED      # louder than any other outcome: someone must act now
        summary = [p["note"] for p in self.phases if not p["ok"] and p["note"]] + engine_notes
        if unproven:
            pathless = sum(1 for st in self.states if st.site.name in unproven
                           and self.plan.expect(st.site, "failover") is None)
            why = ("the plan names no failover path (`paths: failover`), which alone proves a hitless failover"
                   if pathless == len(unproven) else "the failover hop did not answer or was not checked"
                   if not pathless else "no failover path in the plan, or its hop did not answer")
            summary.append(f"failover not demonstrated for {len(unproven)} of {len(sites)} sites (no outage after "
                           f"the trigger, and not seen on the failover path: {why}; did the trigger act, or land "
                           f"after the watch?): {', '.join(unproven)}")
        flapped = [f"{s['name']} ({len(s['failover']['outages'])} outages)" for s in sites
                   if len((s["failover"] or {}).get("outages") or []) > 1]
        if flapped:
            summary.append(f"connectivity flapped after the trigger (lost, back, lost again; each site's "
                           f"outages are added up): {', '.join(flapped)}")
        failback_lost = [f"{s['name']} ({s['failback']['outage_s'] * 1e3:.0f} ms"
                         + (f" in {s['failback']['bursts']} outages)" if s['failback']['bursts'] > 1 else ")")
                         for s in sites if (s["failback"] or {}).get("bursts")]
        if failback_lost:
            summary.append(f"connectivity lost after the restore (the failback was not hitless): "
                           f"{', '.join(failback_lost)}")
        filtered = [s["name"] for s in sites if s["classification"] == "icmp_filtered"]
        if filtered:
            summary.append(f"ICMP filtered (reachable by TCP/UDP, not down): {', '.join(filtered)}")
        for e in ("trigger", "restore"):
            if e in self.steps:
                self.timeline[e] = self.steps[e].as_dict(t_ref)
        finished = time.time()
        return {
            "schema_version": SCHEMA_VERSION,
            **self._provenance(started),
            "plan": self.plan.name, "verdict": overall, "status": self.status, "error": self.error,
            "restore_failed": overall == RESTORE_FAILED,
            "summary": summary, "started": started, "finished": finished, "t_ref": t_ref,
            # the epoch floats stay for the scripts that read them; the ISO 8601 twins
            # (started_iso: the provenance's, local time with its offset, as finished_iso) are
            # what people and log tools read
            "finished_iso": datetime.datetime.fromtimestamp(finished).astimezone().isoformat(timespec="seconds"),
            "t_ref_iso": iso(t_ref),
            "interval_s": self.plan.interval, "convergence_bound_s": self.plan.convergence_bound,
            "source_netns": self.netns, "phases": [{**{k: v for k, v in p.items() if k != "t"}, "t_rel_s": round(p["t"] - t_ref, 4)}
                                               for p in self.phases],
            "steps": {k: v.as_dict(t_ref) for k, v in self.steps.items()},
            "engine": self.runs, "measurement_trusted": trusted and not unobserved, "sites": sites,
            "timeline": self.timeline, "watch_windows": self.windows,
            "degrade": self.timeline.get("degrade"),
            "path_probes": self.paths.stats, "paths_unknown": self.plan.paths_unknown,
        }


# INCONCLUSIVE shares INVALID's 3 (oamkit's "needs attention"): neither is a measured failure
# of the network (1), both say this run proves nothing yet: look, fix the plan or rerun
EXIT_FOR_VERDICT = {"PASS": 0, "FAIL": 1, "INVALID": 3, "INCONCLUSIVE": 3, "RESTORE FAILED": 4,
                    "ABORTED": 130}
RESTORE_FAILED = "RESTORE FAILED"      # the verdict whenever the restore step failed, whatever else happened


def failback_outage_note(o: dict) -> str:
    """A failback outage within its bound: not a failure, but the failback was not hitless."""
    times = f" in {o['bursts']} outages" if o["bursts"] > 1 else ""
    return f"lost connectivity after the restore: {o['outage_s'] * 1e3:.0f} ms{times} (the failback was not hitless)"


def restore_failed_note(rec: StepRecord) -> str:
    return f"restore failed: {rec.error} — the primary may still be cut"


def _missing_program(step: Step) -> str | None:
    """The program a command step would run, when it cannot be found (as subprocess looks:
    a name on PATH, a path from the working folder); None when it can, or for other steps."""
    if step.type != "command":
        return None
    argv = command_argv(step)
    if not argv:
        return None
    program = argv[0]
    if "/" in program:
        return None if os.path.isfile(program) and os.access(program, os.X_OK) else program
    return None if shutil.which(program) else program
