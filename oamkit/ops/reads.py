"""Operations that only read devices: `collect`, `check`, `facts`.

Reads go over the device CLI: over SSH, or over NETCONF where the device runs show commands
there (Junos `<command format="text">`, `transport.reader`); a NETCONF host of any other
platform is reported, never dropped without a word. Snapshots are kept in the history
database (SQLite), pruned to `keep_days`.
"""
from __future__ import annotations

import concurrent.futures as cf
import sqlite3
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from oamkit import checks, collect, maintenance, statedir
from oamkit.engine import NEEDS_ATTENTION
from oamkit.errors import ExitCode, InputError, OamkitError, Problem, require_numbers
from oamkit.executors import HostJob
from oamkit.devicefacts import Facts, facts_host
from oamkit.history import KEEP_DAYS, History, Snapshot
from oamkit.ops.changes import OnDone
from oamkit.ops.selection import InventoryLike, select, split_down
from oamkit.report import CheckReport
from oamkit.runner import Rollout, interrupted, run_fleet

# why a host is not read (`transport.reader.readable`): its platform's device runs no show
# command over NETCONF (IOS-XR, the IEEE model), and the host is driven over NETCONF
SSH_ONLY = "reads this platform over SSH only (give the host data.transport: ssh to read it)"


def history_path(db: str | Path | None = None) -> Path:
    """The history database: `db`, else <state dir>/history.sqlite."""
    return Path(db) if db else statedir.state_dir() / "history.sqlite"


def prune(history: History, keep_days: float) -> int:
    return history.prune(time.time() - keep_days * 86400) if keep_days else 0


# ---------------------------------------------------------------------------- collect
@dataclass
class CollectRun:
    db: Path
    results: list[collect.CollectResult]
    skipped: list[dict] = field(default_factory=list)   # NETCONF hosts, said so
    pruned: int = 0
    seconds: float = 0.0
    stopped: str | None = None   # Ctrl-C: the hosts started were finished and are reported
    # `history_fallback`: why this run's snapshots are not (all) in the database
    history_problem: str | None = None

    @property
    def rows(self) -> list[dict]:
        return [r.as_dict() for r in self.results] + self.skipped

    @property
    def failed(self) -> list[str]:
        return [r.host for r in self.results if r.outcome != collect.OK]

    @property
    def exit_code(self) -> int:
        if interrupted(self.stopped):
            return 130
        if self.history_problem:   # needs attention: what was read is not (all) stored
            return int(ExitCode.NEEDS_ATTENTION)
        return 1 if self.failed else 0

    def as_dict(self) -> dict:
        return {"ok": self.exit_code == 0, "exit_code": self.exit_code, "db": str(self.db),
                "history_problem": self.history_problem, "stopped": self.stopped, "seconds": self.seconds, "pruned_snapshots": self.pruned, "failed": self.failed,
                "hosts": self.rows}


def collect_fleet(inventory: InventoryLike = None, filter=None, limit=None, *, db=None,
                  workers: int = 20, timeout: float = 60.0, keep_days: float = KEEP_DAYS,
                  executor=None, on_done: OnDone = None,
                  history_fallback: bool = False) -> CollectRun:
    """Run the platforms' show commands and store timestamped snapshots (interface error
    counters, OAM session and link-monitoring state, link-event counts). `history_fallback`:
    a database that cannot be written or read does not end the run (see `History`): the
    hosts are still reported, and `CollectRun.history_problem` says what was not stored."""
    require_numbers(("--keep-days", keep_days, 0, None, False, False))   # -1 emptied the history
    chosen = select(inventory, filter, limit, intent=False, readable_only=True)
    plans, down, _ = split_down(chosen.plans)
    path = history_path(db)
    started = time.time()
    with History(path, fallback=history_fallback) as history, history.batched():
        # Elsewhere (Dask) the snapshots come back and are stored here, in this history.
        work = partial(_collect_one, chosen.inventory, history=history) if executor is None \
            else HostJob.make("collect", chosen.inventory)
        results, stopped = run_fleet(plans, work, Rollout(workers, timeout),
                                     on_done=on_done, executor=executor)
        collect.finish_closing()
        history.raise_if_lost()   # another process took the database: the hosts' stores failed
        if executor is not None:
            for r in results:
                if isinstance(r, collect.CollectResult):
                    history.store(r.snapshot)
        results = [r if isinstance(r, collect.CollectResult) else _runner_gave_up(r, history)
                   for r in results]
        pruned = prune(history, keep_days)
    skipped = [{"host": p.host.name, "platform": p.platform.name, "outcome": "skipped",
                "reason": "down", "error": maintenance.not_contacted(status)}
               for p, status in down]
    skipped += [{"host": h.name, "platform": h.platform, "outcome": "skipped",
                 "error": f"transport {h.transport}: collect {SSH_ONLY}"} for h in chosen.skipped]
    return CollectRun(path, results, skipped, pruned, round(time.time() - started, 3), stopped,
                      history.problem)


def _collect_one(inv, plan, deadline, *, history):
    return collect.collect_host(inv, plan, deadline, store=history.store)


def _runner_gave_up(result, history) -> collect.CollectResult:
    """run_fleet answers for a host it stopped waiting for (deadline) or whose work crashed."""
    error = result.error or result.detail or result.outcome
    history.store(Snapshot(result.host, result.platform, time.time(), ok=False, error=error))
    return collect.CollectResult(result.host, result.platform, collect.ERROR, error=error)


# ---------------------------------------------------------------------------- check
def check(inventory: InventoryLike = None, filter=None, limit=None, *, rules=None,
          rules_file: str | Path | None = None, db=None, workers: int = 20,
          timeout: float = 60.0, keep_days: float = KEEP_DAYS, executor=None,
          on_done: OnDone = None, sample: float = 0.0, mark: bool = True,
          history_fallback: bool = False) -> CheckReport:
    """Check OAM compliance per host and interface: configuration matches the intent, session
    operational, link monitoring on, error rates under the thresholds, no new link events.
    Hosts in maintenance are checked too, their results reported MAINTENANCE (never alerting)
    with what was found in `held`; hosts marked down are not contacted. `rules`: a
    `checks.Rules` (`rules_file`: where it came from, for the report), a rules file, or None
    for the defaults. `sample` > 0: each host's counters are read twice that many seconds
    apart and the error rate is taken between those two readings (bursts a scheduler's
    interval would dilute). The link events reported are marked seen (the next check reports
    only newer ones) when every host has been judged, in the run's last write; `mark=False`
    leaves that to the caller, who calls `mark_checked(report)` once the report is out (a run
    killed before then consumes no event). `history_fallback`: a history database that cannot
    be written or read (read-only, full, damaged, locked) does not end the run: the hosts are
    judged against what could be read of it, and `CheckReport.history_problem` says what."""
    Rollout(workers, timeout)   # its bounds (and words) for the deadline, before `sample` is compared with it
    require_numbers(("--keep-days", keep_days, 0, None, False, False),
                    ("--sample", sample, 0, None, False, False))
    if sample and sample >= timeout:
        raise InputError([Problem("must be shorter than the per-host deadline (--timeout "
                                  f"{timeout:g} s): both readings happen within it",
                                  field="--sample", value=sample)])
    rule_set = rules if isinstance(rules, checks.Rules) else checks.Rules.load(rules)
    chosen = select(inventory, filter, limit, readable_only=True)
    plans, inv = chosen.plans, chosen.inventory
    held = maintenance.statuses([p.host for p in plans] + chosen.skipped)
    path = history_path(db)
    started = time.time()
    with History(path, fallback=history_fallback) as history, history.batched():
        work, on = _fleet_work(inv, history=history, rules=rule_set, held=held, executor=executor,
                               sample=sample)
        results, stopped = run_fleet(plans, work, Rollout(workers, timeout), on_done=on_done,
                                     executor=on)
        collect.finish_closing()
        history.raise_if_lost()   # another process took the database: the hosts' stores failed
        hosts = settle(plans, results, history=history, rules=rule_set, held=held,
                        executor=executor)
        prune(history, keep_days)
        if mark:
            history.mark_checked_all(_marks(hosts), _judged(hosts))
            _forget_marks(hosts)
    for h in chosen.skipped:
        held_now = held[h.name]
        unread = checks.HostCheck(h.name, h.platform, checks.UNKNOWN, results=[
            checks.CheckResult(h.name, None, "reachable", checks.UNKNOWN,
                               f"transport {h.transport}: check {SSH_ONLY}")])
        hosts.append(checks.hold(unread, held_now) if held_now else unread)
    source = rules_file or (None if rules is None or isinstance(rules, checks.Rules) else rules)
    report = CheckReport(hosts, started, time.time(), str(source) if source else None, str(path),
                         history_problem=history.problem)
    if stopped:
        report.notes.append(stopped)
    report.interrupted = interrupted(stopped)
    return report


def mark_checked(report: CheckReport) -> int:
    """Mark the link events `report` found as seen (the history's last-check markers), for a
    `check(..., mark=False)` whose report is now out; once only. Returns how many markers."""
    marks, judged = _marks(report.hosts), _judged(report.hosts)
    if report.history_problem:   # its snapshots are not (all) in the file: the next check
        marks, judged = [], []   # reports these events again and rates from the last stored
    if (marks or judged) and report.db:
        try:
            with History(report.db) as history:   # locked (open or write): InputError naming the file
                history.mark_checked_all(marks, judged)
        except sqlite3.OperationalError as exc:   # a disk full, a damaged file
            raise OamkitError(f"{report.db}: the link events were not marked seen: {exc}") from None
    _forget_marks(report.hosts)
    return len(marks)


def _marks(hosts) -> list[tuple]:
    return [(h.host, name, ts, count) for h in hosts for name, (ts, count) in h.marks.items()]


def _judged(hosts) -> list[tuple]:
    """(host, snapshot id) of the snapshots judged: the next check's error rates run from them."""
    return [(h.host, h.judged) for h in hosts if h.judged is not None]


def _forget_marks(hosts) -> None:
    for h in hosts:
        h.marks, h.judged = {}, None


def _fleet_work(inventory, *, history: History, rules, held: dict, executor=None,
                sample: float = 0.0):
    """(work, executor) to hand `run_fleet` for a check; `held`: host name -> its maintenance.

    Threads (executor None or a thread executor): `check_host` per host, read and judged in
    this process, as the results arrive. Elsewhere (Dask): the hosts are read on the executor
    (action "check-read") and `settle` judges the readings here, against this machine's
    history; hosts marked down are judged here at once and never sent to the executor."""
    if getattr(executor, "name", "threads") == "threads":
        return partial(_check_one, inventory, history=history, rules=rules, held=held,
                       sample=sample), executor
    job = HostJob.make("check-read", inventory, rules=rules.model_dump_json(), sample=sample)
    return job, _HeldHere(executor, lambda plan: checks.judge(plan, None, history, rules,
                                                              held[plan.host.name]), held)


def _check_one(inventory, plan, deadline, *, history, rules, held, sample=0.0):
    return checks.check_host(inventory, plan, deadline, history=history, rules=rules,
                             maintenance=held.get(plan.host.name), sample=sample)


class _HeldHere:
    """Wraps an executor: a host marked down gets its (already done) answer from this
    process; every other host goes to the executor. One run_fleet either way, so progress and
    result order are those of the threaded run."""

    def __init__(self, executor, answer, held: dict) -> None:
        self.executor, self.answer, self.held = executor, answer, held
        self.name = executor.name

    @property
    def concurrency(self) -> int:
        return self.executor.concurrency

    def submit(self, work, plan, clock) -> cf.Future:
        if checks.contacted(self.held.get(plan.host.name)):
            return self.executor.submit(work, plan, clock)
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(self.answer(plan))
        except Exception as exc:  # noqa: BLE001 - reported for this host by run_fleet
            future.set_exception(exc)
        return future

    def release(self, futures) -> None:
        self.executor.release(futures)


def settle(plans, results: list, *, history: History, rules, held: dict,
            executor=None) -> list[checks.HostCheck]:
    """`run_fleet`'s results (in plan order) -> one HostCheck per host. Readings from
    elsewhere are judged here (storing their snapshots). A host the runner gave up on is
    UNKNOWN, as with threads. Elsewhere, a host it stopped waiting for (deadline) also gets
    the failed snapshot its read would have stored (a thread stores it itself once its read
    gives up); a crashed read stores nothing, as with threads."""
    remote = getattr(executor, "name", "threads") != "threads"
    by_name = {p.host.name: p for p in plans}
    out: list[checks.HostCheck] = []
    for r in results:
        if isinstance(r, checks.HostCheck):
            out.append(r)
        elif isinstance(r, checks.CheckReading):
            try:
                out.append(checks.judge(by_name[r.host], r, history, rules, held.get(r.host)))
            except Exception as exc:  # noqa: BLE001 - as run_fleet reports a crashed host
                out.append(checks.unreachable(r.host, r.platform,
                                              f"internal error: {type(exc).__name__}: {exc}", rules,
                                              by_name[r.host]))
        else:
            error = r.error or r.detail or r.outcome
            if remote and r.outcome == NEEDS_ATTENTION:
                history.store(Snapshot(r.host, r.platform, time.time(), ok=False, error=error))
            gone = checks.unreachable(r.host, r.platform, error, rules, by_name.get(r.host))
            out.append(checks.hold(gone, held[r.host]) if held.get(r.host) else gone)
    return out


# ---------------------------------------------------------------------------- facts
@dataclass
class FactsRun:
    results: list[Facts]
    stopped: str | None = None   # Ctrl-C: the hosts started were finished and are reported

    @property
    def exit_code(self) -> int:
        if interrupted(self.stopped):
            return 130
        return 0 if all(r.outcome in ("ok", "skipped") for r in self.results) else 1

    def as_dict(self) -> dict:
        return {"ok": self.exit_code == 0, "exit_code": self.exit_code, "stopped": self.stopped,
                "hosts": [r.as_dict() for r in self.results]}


def facts(inventory: InventoryLike = None, filter=None, limit=None, *, workers: int = 20,
          timeout: float = 60.0, on_done: OnDone = None) -> FactsRun:
    """Each device's platform, software version, model and interfaces (speed, OAM state),
    and where the inventory disagrees with the device. Read-only."""
    chosen = select(inventory, filter, limit, intent=False, readable_only=True)
    inv = chosen.inventory
    plans, down, _ = split_down(chosen.plans)
    intents = {}
    for plan in plans:
        try:
            intents[plan.host.name] = inv.intents(plan.host)
        except InputError:
            intents[plan.host.name] = []
    results, stopped = run_fleet(plans, lambda plan, deadline: facts_host(
        inv, plan, deadline, intents=intents[plan.host.name]), Rollout(workers, timeout),
        on_done=on_done)
    collect.finish_closing()
    results = [r if isinstance(r, Facts) else Facts(r.host, r.platform, "error", error=r.error or r.detail)
               for r in results]
    results += [Facts(p.host.name, p.platform.name, "skipped",
                      error=maintenance.not_contacted(status)) for p, status in down]
    results += [Facts(h.name, h.platform, "error", error=f"transport {h.transport}: facts "
                      f"{SSH_ONLY}") for h in chosen.skipped]
    return FactsRun(results, stopped)
