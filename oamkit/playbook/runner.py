"""Running a loaded play: the steps in order, stopping at the first failure (unless the step
says `ignore_errors: true`), then every `always:` step whatever happened (cleanup, like a DR
test's restore), then the play's report and exit code."""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from typing import Callable

from oamkit.errors import ExitCode, OamkitError
from oamkit.jsonout import stamp
from oamkit.playbook.registry import STEPS
from oamkit.playbook.resolve import LoadedPlay
from oamkit.playbook.schema import Step
from oamkit.playbook.steps import FAILED, IGNORED, OK, SKIPPED, Context
from oamkit.runner import sigterm_as_interrupt


@dataclass
class StepOutcome:
    """What one step did: its status, exit code, summary line and result."""

    name: str
    type: str
    section: str
    status: str                       # ok | failed | failed-ignored | skipped
    exit_code: int = 0
    seconds: float = 0.0
    summary: str = ""
    result: dict = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "section": self.section,
                "status": self.status, "exit_code": self.exit_code, "seconds": self.seconds,
                "summary": self.summary, "error": self.error, "result": self.result}


def run(play: LoadedPlay, *, check_mode: bool = False, executor=None,
        on_step: Callable[[StepOutcome], None] | None = None,
        on_start: Callable[[str, int, Step], None] | None = None,
        log: Callable[[str], None] = lambda text: None,
        on_diff: Callable[[list], None] | None = None) -> dict:
    """Run the steps in order, stop at the first failure (unless ignore_errors), then run every
    `always:` step. Returns the play's report (exit_code: 0 ok, 1 failed, 3 needs attention,
    130 interrupted)."""
    ctx = Context(play, check_mode, executor, log, on_diff=on_diff)
    started = time.time()
    outcomes: list[StepOutcome] = []
    stopped: str | None = None
    interrupted = False
    # SIGTERM (cron, systemd) interrupts the play as Ctrl-C does: the `always:` steps still run
    with sigterm_as_interrupt() as terminated:
        try:
            for index, step in enumerate(play.book.steps):
                if stopped:
                    outcomes.append(StepOutcome(step.title, step.type, "steps", SKIPPED,
                                                summary=f"not run: {stopped}"))
                    if on_step:
                        on_step(outcomes[-1])
                    continue
                if on_start:
                    on_start("steps", index, step)
                outcome = _run_step(ctx, step, "steps")
                outcomes.append(outcome)
                if on_step:
                    on_step(outcome)
                if outcome.exit_code == 130:   # the step's fleet run caught the Ctrl-C and reported
                    raise KeyboardInterrupt
                if outcome.status == FAILED:
                    stopped = f"step {index + 1} ({step.title}) failed"
        except KeyboardInterrupt:
            interrupted = True
            stopped = "interrupted (SIGTERM)" if terminated else "interrupted (Ctrl-C)"
            done = len(outcomes)
            for step in play.book.steps[done:]:
                outcomes.append(StepOutcome(step.title, step.type, "steps", SKIPPED, summary=stopped))
        for index, step in enumerate(play.book.always):   # cleanup: every one of them, always
            if on_start:
                on_start("always", index, step)
            try:
                outcome = _run_step(ctx, step, "always")
                interrupted = interrupted or outcome.exit_code == 130
            except KeyboardInterrupt:
                interrupted = True
                outcome = StepOutcome(step.title, step.type, "always", FAILED, 130,
                                      error="interrupted during cleanup")
            outcomes.append(outcome)
            if on_step:
                on_step(outcome)
    for copy in ctx.history_copies:
        shutil.rmtree(copy, ignore_errors=True)
    failed = [o for o in outcomes if o.status == FAILED]
    # ignore_errors lets the play go on past a failure; it must not hide a device left in an
    # unknown state (a push it could not roll back): that is still the play's exit 3
    needs_attention = [o.name for o in outcomes if o.status in (FAILED, IGNORED)
                       and o.exit_code == ExitCode.NEEDS_ATTENTION]
    if interrupted:
        code = 130
    elif needs_attention:
        code = int(ExitCode.NEEDS_ATTENTION)
    elif failed:
        code = int(ExitCode.FAILED)
    else:
        code = int(ExitCode.OK)
    return {"ok": code == 0, "exit_code": code, "playbook": str(play.file), "name": play.book.name,
            "check_mode": check_mode, "stopped": stopped, "needs_attention": needs_attention,
            "executor": getattr(executor, "name", "threads"),
            "seconds": round(time.time() - started, 3),
            "steps": [o.as_dict() for o in outcomes]}


def _run_step(ctx: Context, step: Step, section: str) -> StepOutcome:
    started = time.monotonic()
    outcome = StepOutcome(step.title, step.type, section, OK)
    try:
        code, result, summary = STEPS[step.type].run(ctx, step, step.options)
        outcome.exit_code, outcome.result, outcome.summary = int(code), result, summary
    except OamkitError as exc:
        outcome.exit_code, outcome.error = int(exc.exit_code), str(exc)
    except Exception as exc:  # noqa: BLE001 - a step's bug must not skip the cleanup steps
        outcome.exit_code, outcome.error = int(ExitCode.FAILED), f"internal error: {type(exc).__name__}: {exc}"
    if outcome.exit_code:
        outcome.status = IGNORED if step.ignore_errors else FAILED
    outcome.seconds = round(time.monotonic() - started, 3)
    ctx.result = outcome.result | {"exit_code": outcome.exit_code, "status": outcome.result.get(
        "status", outcome.status)} if outcome.result else {"exit_code": outcome.exit_code,
                                                           "status": outcome.status}
    if step.register_:
        ctx.results[step.register_] = ctx.result
    return outcome


def to_json(report: dict) -> str:
    """The play's report as `oamkit run --json` prints it."""
    return json.dumps(stamp(report), indent=2, default=str)
