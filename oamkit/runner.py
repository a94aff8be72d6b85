"""Run per-host work across the fleet: parallel workers, a deadline per host, rollout stages.

Why not Nornir's threaded runner: it has no per-task deadline, so one hung device stalls the
run (anchors research). Nornir still loads the inventory; this runner gives each host its own
deadline (passed down to every network read), rolls out in stages (--canary, --batch-size,
--max-failures) and reports the hosts it did not attempt. Where the work runs is an executor's
business (`oamkit.executors`: threads here, or Dask distributed); stages, deadlines and
reporting stay here, so they are the same for every executor.
"""
from __future__ import annotations

import gc
import logging
import math
import queue
import signal
import sys
import threading
import time
from contextlib import contextmanager
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

from oamkit.engine.results import (ERROR, FAILED_OUTCOMES, NEEDS_ATTENTION, NOT_ATTEMPTED, UNCHANGED,
                                   HostResult)
from oamkit.errors import OamkitError
from oamkit.render import HostPlan

GRACE = 5.0  # seconds past a host's deadline before we stop waiting for its thread
MAX_TIMEOUT = 86400.0   # a day per host; `inf` (which click accepts) overflows the deadline
FLEET_GC_THRESHOLD = 100_000   # allocations between young collections while a fleet runs (see run_fleet)


@dataclass
class Rollout:
    workers: int = 20
    timeout: float = 120.0
    canary: int = 0
    batch_size: int = 0
    max_failures: int | None = None

    def __post_init__(self) -> None:
        # built by every command before the first host is contacted: bad input is exit 2 here
        from oamkit.errors import InputError, Problem, require_numbers

        if not (isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout)
                and 0 < self.timeout <= MAX_TIMEOUT):
            raise InputError([Problem(f"a deadline per host is a number of seconds, more than 0 "
                                      f"and at most {MAX_TIMEOUT:.0f}", field="--timeout",
                                      value=self.timeout)])
        # (an API caller's canary=-1 meant "all but the last host", batch_size=-1 attempted none)
        require_numbers(("--workers", self.workers, 1, None, True, False),
                        ("--canary", self.canary, 0, None, True, False),
                        ("--batch-size", self.batch_size, 0, None, True, False),
                        ("--max-failures", self.max_failures, 1, None, True, True))


INTERRUPTED = "interrupted (Ctrl-C)"   # how a `stopped` reason begins when the user pressed Ctrl-C
TERMINATED = "interrupted (SIGTERM)"   # ... when cron, systemd or a CI timeout stopped the run


def interrupted(stopped: str | None) -> bool:
    """Whether run_fleet stopped because of Ctrl-C or SIGTERM: the command then reports what it
    has and exits 130, as an interrupted program does."""
    return bool(stopped) and stopped.startswith((INTERRUPTED, TERMINATED))


@contextmanager
def sigterm_as_interrupt(received: list[int] | None = None):
    """cron, systemd and CI timeouts stop a run with SIGTERM: taken as Ctrl-C (KeyboardInterrupt),
    so a fleet run lets the hosts already started finish and reports, and a play runs its
    `always:` steps (SIGTERM ended a push on the spot: no report, devices left mid-change).
    Yields `received`, to which each SIGTERM is appended (and to the lists of the runs this one
    is nested in: a play's push step). Only the main thread may set a handler: elsewhere (Dask
    workers, API callers on threads) nothing changes. A handler the caller set itself (the
    exporter's, SIG_IGN) stays theirs; only the default (the process ends) or this one nested
    is taken over. The previous handler comes back afterwards."""
    received = [] if received is None else received
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.getsignal(signal.SIGTERM)
    outer = getattr(previous, "oamkit_received", None)
    if previous is not signal.SIG_DFL and outer is None:
        yield received
        return
    chain = [received, *(outer or [])]

    def _term(signum, _frame):
        for seen in chain:
            seen.append(signum)
        raise KeyboardInterrupt

    _term.oamkit_received = chain
    signal.signal(signal.SIGTERM, _term)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_fleet(plans: list[HostPlan], work: Callable[[HostPlan, float], HostResult],
              rollout: Rollout, on_done: Callable[[HostResult], None] | None = None,
              executor=None) -> tuple[list[HostResult], str | None]:
    """Returns the results in plan order and, when the rollout stopped early, why.

    `executor` (see `oamkit.executors`): None runs `work` on a thread pool of
    `rollout.workers` made for this call; an executor passed in is the caller's to close."""
    from oamkit.executors import ThreadExecutor

    _preflight_session_logs(plans)
    _fleet_gc_enter()
    results: dict[str, HostResult] = {}
    stopped: str | None = None
    failures = 0
    pool = executor or ThreadExecutor(rollout.workers)
    started: dict[Future, HostPlan] = {}
    terminated: list[int] = []
    try:
        with sigterm_as_interrupt(terminated):
            try:
                def run(stage: list[HostPlan]) -> list[HostResult]:
                    nonlocal failures
                    done = []
                    for result in _run_stage(pool, stage, work, rollout, on_done, started):
                        results[result.host] = result
                        failures += result.outcome in FAILED_OUTCOMES or result.outcome == NEEDS_ATTENTION
                        done.append(result)
                    return done

                # The canary is the first `canary` hosts the change touches: a host with nothing to
                # change is done on the way (unchanged) and does not count, so a canary of hosts
                # the policy does not concern cannot pass for a tested change.
                rest, tried = list(plans), 0
                while rollout.canary and rest and tried < rollout.canary:
                    stage, rest = rest[:rollout.canary - tried], rest[rollout.canary - tried:]
                    tried += sum(result.outcome != UNCHANGED for result in run(stage))
                if failures:
                    stopped = f"the canary stage failed on {failures} host(s)"
                    rest = []
                for stage in _batches(rest, rollout.batch_size):
                    run(stage)
                    if rollout.max_failures is not None and failures >= rollout.max_failures:
                        stopped = f"{failures} host(s) failed (--max-failures {rollout.max_failures})"
                        break
            except KeyboardInterrupt:
                # Hosts already started are mid-change: let them finish (and roll back if they
                # fail) within their deadlines, and report them; nothing new starts.
                stopped = (f"{TERMINATED if terminated else INTERRUPTED}: hosts already started "
                           "were finished and are reported")
                # Every queued host first: while we wait for one started host, a worker it frees
                # would otherwise take the next queued host and the rollout would go on.
                running = [(f, p) for f, p in started.items()
                           if p.host.name not in results and not f.cancel()]   # cancelled: not-attempted
                with _interrupts_wait(len(running)):
                    for future, plan in running:
                        try:
                            results[plan.host.name] = future.result(timeout=rollout.timeout + GRACE)
                        except Exception as exc:  # noqa: BLE001 - reported, never swallowed
                            results[plan.host.name] = HostResult(
                                plan.host.name, plan.platform.name, NEEDS_ATTENTION,
                                error=f"interrupted mid-change: {type(exc).__name__}",
                                detail="the device may hold part of the change; check it by hand")
    finally:
        if executor is None:
            pool.close()   # does not wait for a host that overran its deadline
        else:
            pool.release([f for f in started if not f.done()])
        _fleet_gc_leave()
    for plan in plans:
        if plan.host.name not in results:
            results[plan.host.name] = HostResult(plan.host.name, plan.platform.name, NOT_ATTEMPTED,
                                                 detail=stopped)
    return [results[p.host.name] for p in plans], stopped


def _preflight_session_logs(plans: list[HostPlan]) -> None:
    """With session logs on, every host's log file can be written, or InputError before any
    host is logged in to (a link planted in the folder was found after the password went)."""
    from oamkit.errors import InputError
    from oamkit.transport import sessionlog

    problems = []
    for plan in plans:
        try:
            sessionlog.check_path(plan.host.name)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)


# The collector's settings while fleets run; overlapping runs (API calls in threads) share
# them and the last one out puts back what the first one found (each putting back what it
# found left the process at 100,000 for good).
_fleet_gc_lock = threading.Lock()
_fleet_gc_runs = 0
_fleet_gc_found: tuple[int, ...] = ()


def _fleet_gc_enter() -> None:
    global _fleet_gc_runs, _fleet_gc_found
    with _fleet_gc_lock:
        _fleet_gc_runs += 1
        if _fleet_gc_runs > 1:
            return
        # What exists now (modules, the inventory, the plans) lives as long as the run. Frozen,
        # the collector's full passes during the fleet do not walk it again and again: ~6% of
        # a 200-host push's CPU. Unfrozen at the end, so a long-lived process frees it normally.
        gc.freeze()
        # Young collections after every 700 allocations are ~5% of a fleet run's CPU (SSH
        # packets, parsed output: short-lived objects by the million). Every 100,000 instead
        # while it runs: cyclic garbage waits a little longer (a few MB at most).
        _fleet_gc_found = gc.get_threshold()
        gc.set_threshold(max(_fleet_gc_found[0], FLEET_GC_THRESHOLD), *_fleet_gc_found[1:])


def _fleet_gc_leave() -> None:
    global _fleet_gc_runs
    with _fleet_gc_lock:
        _fleet_gc_runs -= 1
        if _fleet_gc_runs == 0:
            gc.set_threshold(*_fleet_gc_found)
            gc.unfreeze()


@contextmanager
def _interrupts_wait(hosts: int):
    """While the hosts already started finish, a further Ctrl-C (or SIGTERM, where
    `sigterm_as_interrupt` took it over) says so and is otherwise ignored: it ended the wait,
    the process exited with no report, hosts on the asyncssh loop were cut mid-change, and the
    change log said 'interrupted' about hosts that then finished. (SIGKILL still ends the
    process; `rollback --change` undoes what it leaves.)"""
    if threading.current_thread() is not threading.main_thread() or not hosts:
        yield
        return

    def note(_signum, _frame) -> None:
        sys.stderr.write(f"oamkit: {hosts} host(s) already started are finishing first, each "
                         "within its deadline (a device may be mid-change); then the run stops "
                         "and reports\n")

    signals = [signal.SIGINT]
    if hasattr(signal.getsignal(signal.SIGTERM), "oamkit_received"):
        signals.append(signal.SIGTERM)
    previous = {signum: signal.signal(signum, note) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _batches(plans: list[HostPlan], batch_size: int) -> list[list[HostPlan]]:
    """The stages after the canary: `batch_size` hosts each, or all at once."""
    size = batch_size or len(plans) or 1
    return [plans[i:i + size] for i in range(0, len(plans), size)]


def _run_stage(pool, stage, work, rollout, on_done, started):
    """Run one stage; yield each host's result as it comes.

    Each host's deadline starts when its work does (`HostClock`). The runner's own net, for
    work that overruns its deadline anyway (a bug, a read that ignores it): a started host gets
    GRACE past its deadline, then is reported as not answering (the device may be mid-change);
    a host still queued when the stage has had all the time its hosts could honestly use
    (ceil(hosts / concurrency) deadlines) is not started at all."""
    from oamkit.executors import HostClock

    # Finished futures arrive through a queue: wait(pending, FIRST_COMPLETED) would visit
    # (and lock) every pending future each time one finishes, quadratic in the stage's size
    # (1,000 hosts: a million lock round trips on the thread that reports progress).
    finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
    futures: dict[Future, tuple[HostPlan, HostClock]] = {}
    concurrency = max(1, getattr(pool, "concurrency", rollout.workers))
    latest = time.monotonic() + math.ceil(len(stage) / concurrency) * rollout.timeout + GRACE
    for plan in stage:
        clock = HostClock(rollout.timeout)
        try:
            future = pool.submit(work, plan, clock)
        except Exception as exc:  # noqa: BLE001 - e.g. the scheduler went away: this host only
            future = Future()
            future.set_exception(exc)
        futures[future] = (plan, clock)
        started[future] = plan
        future.add_done_callback(finished.put)
    pending = set(futures)
    next_look = time.monotonic() + _LOOK_EVERY
    while pending:
        try:
            future = finished.get(timeout=max(0.05, next_look - time.monotonic()))
        except queue.Empty:
            future = None
        if time.monotonic() >= next_look:
            for result in _overdue(futures, pending, latest, rollout.timeout):
                _notify(on_done, result)
                yield result
            next_look = time.monotonic() + _LOOK_EVERY
        if future is None or future not in pending:
            continue
        pending.discard(future)
        plan = futures[future][0]
        try:
            result = future.result()
        except Exception as exc:  # a bug must not hide the other hosts' results
            result = HostResult(plan.host.name, plan.platform.name, ERROR,
                                error=str(exc) if isinstance(exc, OamkitError)   # says what
                                else f"internal error: {type(exc).__name__}: {exc}")
        _notify(on_done, result)
        yield result


_LOOK_EVERY = 1.0   # s between looks for hosts past their deadline (one pass over the pending)


def _overdue(futures, pending: set, latest: float, timeout: float) -> list[HostResult]:
    """The pending hosts the runner stops waiting for now (see `_run_stage`), in plan order;
    they leave `pending`. Work whose clock runs elsewhere (a Dask worker's) is waited for
    until the stage's time is up."""
    now, out = time.monotonic(), []
    for future in [f for f in futures if f in pending]:
        plan, clock = futures[future]
        if clock.deadline is not None:
            if now <= clock.deadline + GRACE:
                continue
        elif now <= latest:
            continue
        elif future.cancel():   # still queued: it never starts
            pending.discard(future)
            out.append(HostResult(plan.host.name, plan.platform.name, NOT_ATTEMPTED,
                                  detail="never started: every worker was still busy when the "
                                         "stage's time was up"))
            continue
        pending.discard(future)
        took = now - (clock.deadline - timeout) if clock.deadline is not None else 0.0
        out.append(HostResult(plan.host.name, plan.platform.name, NEEDS_ATTENTION,
                              error=f"no answer within the {timeout:g} s deadline",
                              detail="the device may be mid-change; check it by hand",
                              seconds=round(took, 3)))
    return out


def _notify(on_done, result: HostResult) -> None:
    """The caller's per-host callback (progress, the change journal). One that raises is a
    bug of its own: logged with its traceback, and the fleet goes on, so that every started
    host is still reported and the change recorded (it ended ops.push after the first host,
    its hosts still committing on the workers, the change left 'interrupted')."""
    if on_done is None:
        return
    try:
        on_done(result)
    except Exception:  # noqa: BLE001 - see the docstring
        logging.getLogger("oamkit").exception("the on_done callback failed for %s; the run goes on",
                                              result.host)
