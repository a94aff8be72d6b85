"""`oamkit run PLAYBOOK.yaml`: run a reviewed playbook (see `oamkit.playbook`, docs/playbooks.md)."""
from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from oamkit import playbook
from oamkit.textout import DataTable, data, styled
from oamkit.commands._common import (stdout_console, ExecutorOpt, InventoryOpt, SchedulerOpt, executor_for,
                                     print_diff, print_json, DebugOpt, SessionLogOpt, session_logging)

console = stdout_console()
err = Console(stderr=True)

_STYLE = {playbook.OK: "green", playbook.FAILED: "bold red", playbook.IGNORED: "yellow",
          playbook.SKIPPED: "dim"}


def run(playbook_file: Path = typer.Argument(..., metavar="PLAYBOOK.yaml", help="The playbook."),
        inventory: Path = InventoryOpt,
        check: bool = typer.Option(False, "--check", help="Dry run: push shows its diff, "
                                   "maintenance and waits are reported, not done, the DR test is "
                                   "only preflighted, collect/check keep no history. No "
                                   "configuration is sent."),
        extra_vars: list[str] = typer.Option(None, "--extra-vars", "-e", metavar="KEY=VALUE|@FILE",
                                             help="Variables over the playbook's vars: KEY=VALUE, "
                                                  "a JSON/YAML mapping, or @FILE.yaml. Repeatable."),
        executor: str = ExecutorOpt, scheduler: str = SchedulerOpt,
        workers: int = typer.Option(20, "--workers", "-w", min=1,
                                    help="Hosts at once on an embedded Dask cluster (--executor "
                                         "dask); steps set their own --workers."),
        as_json: bool = typer.Option(False, "--json", help="The play's report as JSON on stdout."),
        session_log: Path = SessionLogOpt, debug: bool = DebugOpt,
        ) -> None:
    """Run a playbook: steps (render, diff, push, collect, check, probe, drtest, wait,
    maintenance, assert) in order, on the hosts each selects. Everything is validated first
    (exit 2, nothing sent); a failing step stops the play unless it says ignore_errors; the
    `always:` steps run regardless. Exit 0 ok, 1 a step failed, 3 a host needs attention."""
    play = playbook.load(playbook_file, playbook.parse_extra_vars(extra_vars), inventory)
    session_logging(session_log, debug)
    total = len(play.book.steps) + len(play.book.always)
    started = time.monotonic()
    if not as_json:
        mode = " [yellow](check mode: dry run)[/]" if check else ""
        console.print(f"[bold]{data(play.book.name)}[/]: {len(play.book.steps)} step(s), "
                      f"{len(play.book.always)} cleanup step(s){mode}")
    seen = [0]

    def on_start(section: str, index: int, step: playbook.Step) -> None:
        seen[0] += 1
        if not as_json:
            label = "always" if section == "always" else "step"
            err.print(f"[dim]{seen[0]}/{total} {label}: {data(step.title)} ({step.type}) ...[/]")

    def on_step(outcome: playbook.StepOutcome) -> None:
        if as_json:
            return
        style = _STYLE.get(outcome.status, "")
        text = outcome.error or outcome.summary
        console.print(f"[{style}]{outcome.status:>14}[/] {data(outcome.name)} ({outcome.type}, "
                      f"{outcome.seconds:.1f} s): {data(str(text))}", highlight=False, soft_wrap=True)

    log = (lambda text: None) if as_json else (lambda text: err.print(f"[dim]    {data(text)}[/]", highlight=False))

    def on_diff(results) -> None:   # --json carries it in the step's result.hosts[].diff
        for r in results:
            print_diff(console, r, title=f"{r.host} ({r.platform})")

    with executor_for(executor, scheduler, workers) as runs_on:
        report = playbook.run(play, check_mode=check, executor=runs_on, on_start=on_start,
                              on_step=on_step, log=log, on_diff=None if as_json else on_diff)
    if as_json:
        print_json(report)
    else:
        table = DataTable(title=f"{play.book.name} ({time.monotonic() - started:.1f} s)", title_justify="left")
        for column in ("#", "step", "type", "status", "exit", "seconds"):
            table.add_column(column)
        for number, step in enumerate(report["steps"], 1):
            name = Text(step["name"])
            if step["section"] == "always":
                name.append(" (always)", style="dim")
            table.add_row(str(number), name, step["type"], styled(step["status"], _STYLE.get(step["status"], "")),
                          str(step["exit_code"]), f"{step['seconds']:.1f}")
        console.print(table)
        if report["needs_attention"]:
            err.print(f"[bold red]A host needs attention after: {data(', '.join(report['needs_attention']))} "
                      "(see the step's hosts; ignore_errors does not hide it).[/]")
        if report["stopped"]:
            cleanup = "; cleanup steps ran" if any(s["section"] == "always" for s in report["steps"]) \
                else ""   # a play without `always:` steps has none to run
            err.print(f"[yellow]Play stopped: {data(report['stopped'])}{cleanup}.[/]")
    # SystemExit, not typer.Exit: oamkit.cli runs click with standalone_mode=False
    raise SystemExit(report["exit_code"])


def register(app: typer.Typer) -> None:
    app.command("run")(run)
