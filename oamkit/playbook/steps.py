"""What each step type does when it runs: one `run_<type>(ctx, step, options)` function per
step type, returning (exit code, result, one-line summary). The fleet steps call the library
functions the CLI commands call (`oamkit.ops`: render, diff, push, collect, check), never a
subprocess; the others drive the probe engine, the DR runner, maintenance windows and the
assertions. `--check` (check mode) is handled here, per step type, because what a dry run may
do differs for each. The registry pairs these functions with their step types."""
from __future__ import annotations

import getpass
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import jinja2

from oamkit.errors import ExitCode, InputError
from oamkit.playbook.expressions import jinja_env
from oamkit.playbook.loader import relative_to_playbook
from oamkit.playbook.options import (AssertOpts, CheckOpts, CollectOpts, DiffOpts, DrtestOpts,
                                     MaintenanceOpts, ProbeOpts, PushOpts, RenderOpts, WaitOpts)

if TYPE_CHECKING:   # annotations only: the loaded play and its steps are built above this module
    from oamkit.playbook.resolve import LoadedPlay
    from oamkit.playbook.schema import Step

OK, FAILED, IGNORED, SKIPPED = "ok", "failed", "failed-ignored", "skipped"


@dataclass
class Context:
    """What a running play carries from step to step."""

    play: LoadedPlay
    check_mode: bool = False
    executor: Any = None
    log: Callable[[str], None] = lambda text: None
    result: dict = field(default_factory=dict)        # the previous step's result
    results: dict = field(default_factory=dict)       # registered results by name
    history_copies: list = field(default_factory=list)
    # diff and push steps hand the hosts with a before/after here (`HostResult`s) when done
    on_diff: Callable[[list], None] | None = None
    # maintenance windows this play opened: its `maintenance: off` ends those, not the NOC's
    windows: list[str] = field(default_factory=list)


def _hosts(ctx: Context, step: Step) -> list:
    """The step's hosts, resolved when the playbook loaded."""
    return ctx.play.hosts[id(step)]


def _fleet_result(run) -> dict:
    return {"stopped": run.stopped, "outcomes": run.outcomes, "changed": run.changed,
            "failed": run.failed, "hosts": [r.as_dict() for r in run.results]}


def _summary(counts: dict) -> str:
    return ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))


def run_render(ctx, step, opts: RenderOpts):
    from oamkit import ops

    run = ops.render(_selection(ctx, step), fmt=opts.format,
                     out=relative_to_playbook(ctx.play.file, opts.out))
    hosts = [{k: v for k, v in h.items() if k in ("host", "platform", "lines", "config", "file")
              and v is not None} for h in run.as_dict()["hosts"]]
    return 0, {"hosts": hosts}, f"{len(hosts)} host(s) rendered ({opts.format})"


def _selection(ctx, step, *, intent: bool = True, readable_only: bool = False):
    """The step's hosts (resolved and validated when the playbook loaded) as an ops Selection."""
    from oamkit import ops
    from oamkit.ops.selection import split_readable
    from oamkit.platforms import get_platform
    from oamkit.render import HostPlan, plan_hosts

    hosts = _hosts(ctx, step)
    chosen, skipped = split_readable(hosts) if readable_only else (hosts, [])
    plans = plan_hosts(ctx.play.inventory, chosen) if intent else \
        [HostPlan(h, get_platform(h.platform)) for h in chosen]
    return ops.Selection(ctx.play.inventory, plans, skipped, intent=intent, readable_only=readable_only)


def _diff_run(ctx, step, opts):
    from oamkit import ops

    run = ops.diff(_selection(ctx, step), workers=opts.workers, timeout=opts.timeout,
                   executor=ctx.executor)
    _show_diff(ctx, run)
    return run


def _show_diff(ctx, run) -> None:
    if ctx.on_diff is not None:
        ctx.on_diff([r for r in run.results if r.diff])


def run_diff(ctx, step, opts: DiffOpts):
    run = _diff_run(ctx, step, opts)
    return run.exit_code, _fleet_result(run), _summary(run.outcomes)


def run_push(ctx, step, opts: PushOpts):
    from oamkit import ops

    if ctx.check_mode:   # dry run: the exact delta a push would send, nothing sent
        run = _diff_run(ctx, step, opts)
        result = _fleet_result(run) | {"check_mode": True, "change_id": None}
        return run.exit_code, result, "check mode, would change: " + (
            ", ".join(result["changed"]) or "nothing")
    run = ops.push(_selection(ctx, step), workers=opts.workers, timeout=opts.timeout,
                   canary=opts.canary, batch_size=opts.batch_size, max_failures=opts.max_failures,
                   confirm_timeout=opts.confirm_timeout, executor=ctx.executor,
                   action=f"push (playbook {ctx.play.file.name})",
                   over_unfinished=opts.over_unfinished)
    _show_diff(ctx, run)
    result = _fleet_result(run) | {"change_id": run.change_id}
    return run.exit_code, result, _summary(run.outcomes) + (
        f"; stopped: {run.stopped}" if run.stopped else "") + f"; change {run.change_id}"


def _db(ctx, value: str | None) -> Path:
    from oamkit.ops import history_path

    return relative_to_playbook(ctx.play.file, value) or history_path(os.environ.get("OAMKIT_DB"))


def _dry_db(ctx, db: Path) -> Path:
    """Check mode: a throw-away copy of the history, so nothing is recorded."""
    folder = Path(tempfile.mkdtemp(prefix="oamkit-check-"))
    ctx.history_copies.append(folder)
    copy = folder / db.name
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copy2(f"{db}{suffix}", f"{copy}{suffix}")
    return copy


def run_collect(ctx, step, opts: CollectOpts):
    from oamkit import ops

    db = _db(ctx, opts.db)
    run = ops.collect(_selection(ctx, step, intent=False, readable_only=True),
                      db=_dry_db(ctx, db) if ctx.check_mode else db, workers=opts.workers,
                      timeout=opts.timeout, keep_days=opts.keep_days, executor=ctx.executor)
    rows = run.rows
    result = {"db": None if ctx.check_mode else str(db), "failed": run.failed, "hosts": rows,
              "outcomes": {o: sum(1 for r in rows if r["outcome"] == o) for o in {r["outcome"] for r in rows}}}
    return run.exit_code, result, _summary(result["outcomes"]) + (
        " (check mode: not stored)" if ctx.check_mode else f" into {db}")


def run_check(ctx, step, opts: CheckOpts):
    from oamkit import ops

    db = _db(ctx, opts.db)
    report = ops.check(_selection(ctx, step, readable_only=True), rules=ctx.play.extras[id(step)],
                       rules_file=opts.rules, db=_dry_db(ctx, db) if ctx.check_mode else db,
                       workers=opts.workers, timeout=opts.timeout, keep_days=opts.keep_days,
                       executor=ctx.executor)
    report.db = str(db)
    result = report.as_dict()
    result["problems"] = [r.as_dict() for r in report.problems()]
    code = 130 if report.interrupted else report.exit_code(nagios=False)
    return code, result, f"{report.status}: " + _summary(report.counts())


def run_probe(ctx, step, opts: ProbeOpts):
    from oamkit.probe.analysis import run_summary, slot_stats
    from oamkit.probe.engine import ProbeEngine, Slot

    proto, interval = ctx.play.extras[id(step)]
    engine = ProbeEngine([Slot(t, proto) for t in dict.fromkeys(opts.targets)], interval, opts.count,
                         netns=opts.netns, timeout=opts.timeout)
    engine.start()
    try:
        run_ = engine.finish()
    except KeyboardInterrupt:
        engine.stop()
        engine.finish(grace=0.2)
        raise
    summary = run_summary(run_)
    stats = [slot_stats(run_, i) for i in range(len(run_.slots))]
    code = 3 if not summary["trusted"] else 1 if any(s["answered"] == 0 for s in stats) else 0
    text = "; ".join(f"{s['target']} {s['loss_pct']:.1f}% loss" for s in stats[:6])
    return code, {"engine": summary, "targets": stats}, text


def run_drtest(ctx, step, opts: DrtestOpts):
    from oamkit.dr.report import write_reports
    from oamkit.dr.runner import EXIT_FOR_VERDICT, DrRunner

    plan = ctx.play.extras[id(step)]
    if any(s.type == "action" for s in (plan.trigger, plan.restore)):
        from oamkit.dr.runner import set_action_hook
        from oamkit.dr_actions import make_action_hook

        set_action_hook(make_action_hook(ctx.play.inventory))
    runner = DrRunner(plan, realtime=opts.realtime, log=ctx.log)
    if ctx.check_mode:   # the bounds are checked, no probe and no trigger sent
        runner.preflight()
        return 0, {"check_mode": True, "plan": plan.name, "sites": len(plan.sites)}, \
            f"check mode: plan {plan.name!r} valid, {len(plan.sites)} site(s); nothing sent"
    result = runner.run()
    if opts.report:
        write_reports(result, relative_to_playbook(ctx.play.file, opts.report))
    code = EXIT_FOR_VERDICT.get(result["verdict"], 1)
    if result.get("restore_failed"):
        # the primary may still be cut: the play needs attention (3), or stops as interrupted
        # (130) when the run was; the summary line says RESTORE FAILED either way
        code = 130 if result["status"] == "aborted" else int(ExitCode.NEEDS_ATTENTION)
    return code, result, _dr_summary(result)


def _dr_summary(result: dict) -> str:
    """One line for the play log: the verdict, then the findings or, on a pass, the worst
    failover outage against the bound."""
    findings = "; ".join(result.get("summary") or [])[:300]
    if findings:
        return f"{result['verdict']}: {findings}"
    outages = [(site.get("failover") or {}).get("outage_s") for site in result.get("sites") or []]
    outages = [o for o in outages if o is not None]
    if not outages:
        return result["verdict"]
    return (f"{result['verdict']}: {len(outages)} site(s), worst failover outage {max(outages):.2f} s "
            f"(bound {result.get('convergence_bound_s')} s)")


def run_wait(ctx, step, opts: WaitOpts):
    if ctx.check_mode:
        return 0, {"seconds": opts.seconds, "check_mode": True}, f"check mode: would wait {opts.seconds:g} s"
    end = time.monotonic() + opts.seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))
    return 0, {"seconds": opts.seconds}, f"waited {opts.seconds:g} s"


def run_maintenance(ctx, step, opts: MaintenanceOpts):
    from oamkit import maintenance

    names = [h.name for h in _hosts(ctx, step)]
    selection = " ".join(ctx.play.book.filter + step.filter) or None
    if ctx.check_mode:
        return 0, {"check_mode": True, "state": opts.state, "hosts": names}, \
            f"check mode: would turn maintenance {opts.state} for {len(names)} host(s)"
    if opts.state == "on":
        window = maintenance.add(names, opts.until, opts.reason, who=getpass.getuser(),
                                 selection=selection)
        ctx.windows.append(window.id)
        return 0, {"state": "on", "window": window.model_dump(mode="json"), "hosts": names}, \
            f"window {window.id} for {len(names)} host(s) until {window.until.isoformat(timespec='minutes')}"
    # Off ends what this play turned on; a window someone else opened for the same hosts (a
    # NOC's alert hold) stays. A play that opened none takes the hosts out of every window.
    ended = []
    for name in names:
        for ident in ctx.windows or [None]:
            try:
                ended += [w.id for w in maintenance.remove(ident=ident, host=name)]
            except InputError:
                pass   # that host was in no such window: nothing to end
    return 0, {"state": "off", "hosts": names, "windows": sorted(set(ended))}, \
        f"maintenance off for {len(names)} host(s)" + ("" if ctx.windows else " (every window naming them)")


def _fail_msg(env, template: str | None, namespace: dict) -> str | None:
    """The assertion's fail_msg, a template over what the assertions see (its names were
    checked at load); one that cannot render is shown as written, with why."""
    if not template:
        return None
    try:
        return env.from_string(template).render(**namespace)
    except Exception as exc:  # noqa: BLE001 - the failure is still reported, in its own words
        return f"{template} (fail_msg not rendered: {type(exc).__name__}: {exc})"


def run_assert(ctx, step, opts: AssertOpts):
    env = jinja_env()
    namespace = {**ctx.play.variables, "result": ctx.result, "results": ctx.results}
    checked = []
    for expression in opts.that:
        try:
            value = bool(env.compile_expression(expression, undefined_to_none=False)(**namespace))
            checked.append({"that": expression, "ok": value})
        except jinja2.UndefinedError as exc:
            checked.append({"that": expression, "ok": False, "error": f"undefined: {exc.message}"})
        except Exception as exc:  # noqa: BLE001 - a failing assertion, reported as such
            checked.append({"that": expression, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    failed = [c for c in checked if not c["ok"]]
    if failed:
        why = _fail_msg(env, opts.fail_msg, namespace) or "assertion failed: " + "; ".join(
            c["that"] + (f" ({c['error']})" if c.get("error") else "") for c in failed)
        return 1, {"assertions": checked, "status": FAILED}, why
    return 0, {"assertions": checked, "status": OK}, f"{len(checked)} assertion(s) hold"
