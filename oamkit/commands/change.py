"""`oamkit diff | push | rollback | changes`: the safe change engine on the command line."""
from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from oamkit import backups, changelog, engine, ops, statedir
from oamkit.commands._common import (stdout_console, ExecutorOpt, FilterOpt, InventoryOpt, JsonOpt, LimitOpt,
                                     SchedulerOpt, DebugOpt, SessionLogOpt, executor_for, print_diff, print_json,
                                     progress, session_logging)
from oamkit.errors import InputError, Problem
from oamkit.textout import DataTable, data, styled

console = stdout_console()
err = Console(stderr=True)

WorkersOpt = typer.Option(20, "--workers", "-w", min=1, help="Hosts worked on at once.")
TimeoutOpt = typer.Option(120.0, "--timeout", min=1, help="Deadline per host, in seconds, from when its work starts.")

_STYLE = {"unchanged": "dim", "changed": "green", "failed-rolled-back": "yellow",
          "failed-needs-attention": "bold red", "not-attempted": "dim", "error": "red",
          "locked": "red", "changing": "bold red", "backed-up": "bold red", "pending": "dim",
          "skipped": "dim"}


def _report(results, stopped, as_json, change_id=None, show_commands=True, title="",
            notes: dict[str, list[str]] | None = None) -> None:
    # Ctrl-C: what was done is reported all the same, then the exit of an interrupted program
    code = 130 if ops.interrupted(stopped) else engine.exit_code(results)
    notes = notes or {}
    if as_json:
        print_json({"ok": code == 0, "exit_code": int(code), "change_id": change_id,
                    "stopped": stopped, "hosts": [{**r.as_dict(), "notes": notes.get(r.host, [])}
                                                  for r in results]})
        raise typer.Exit(int(code))
    if show_commands:
        for r in results:
            if r.commands:
                console.rule(f"[bold]{data(r.host)}[/] ({r.platform})")
                print_diff(console, r)
                # as sent, unindented: a reviewer can paste them
                console.print("commands:", style="bold", highlight=False)
                console.print("\n".join(r.commands), highlight=False, markup=False)
    table = DataTable(title=title)
    for column in ("host", "platform", "outcome", "lines", "seconds", "detail"):
        table.add_column(column)
    for r in results:
        # the engine's error often quotes the device already: its text once, not twice
        said = (r.device_error and r.device_error.strip() not in (r.error or "")
                and f"device said: {r.device_error}")
        detail = "\n".join(x for x in (r.error, said, r.detail, *notes.get(r.host, [])) if x)
        table.add_row(r.host, r.platform, styled(r.outcome, _STYLE.get(r.outcome, "")),
                      str(len(r.commands)), f"{r.seconds:.2f}", detail)
    console.print(table)
    if stopped:
        err.print(f"[yellow]Rollout stopped: {data(stopped)}.[/] Hosts marked not-attempted were left untouched.")
    if change_id:   # the way back only where the change backed up a device to go back to
        undo = f" (oamkit rollback --change {change_id})" if any(r.backup for r in results) else ""
        console.print(f"change id: [bold]{change_id}[/]{undo}")
        if undo:   # where they are, for a human who must restore one without oamkit at hand
            console.print(f"backups: {data(str(engine.change_folder(change_id)))} "
                          f"(oamkit changes --change {change_id})", soft_wrap=True)
    raise typer.Exit(int(code))


def diff(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
         workers: int = WorkersOpt, timeout: float = TimeoutOpt, as_json: bool = JsonOpt,
         executor: str = ExecutorOpt, scheduler: str = SchedulerOpt,
         session_log: Path = SessionLogOpt, debug: bool = DebugOpt) -> None:
    """Show, per host, what a push would change (before/after) and the exact commands it would
    send. Sends no configuration command. Warns about a host whose last change is unfinished
    (a push would refuse it)."""
    session_logging(session_log, debug)
    chosen = ops.select(inventory, filter, limit)   # bad input stops before an executor starts
    with executor_for(executor, scheduler, workers) as runs_on, progress("diff", as_json) as tick:
        run = ops.diff(chosen, workers=workers, timeout=timeout, executor=runs_on,
                       on_done=tick)
    _report(run.results, run.stopped, as_json, title="Delta between devices and intent",
            notes=run.notes)


def push(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
         workers: int = WorkersOpt, timeout: float = TimeoutOpt,
         canary: int = typer.Option(0, "--canary", min=0,
                                   help="Change this many hosts first (hosts with nothing to change do not "
                                        "count); stop if any fails."),
         batch_size: int = typer.Option(0, "--batch-size", min=0, help="Hosts per stage after the canary."),
         max_failures: int = typer.Option(None, "--max-failures", min=1, help="Stop the rollout after this many failures."),
         confirm_timeout: int = typer.Option(120, "--confirm-timeout", min=30,
                                             help="Seconds before an unconfirmed commit reverts by itself."),
         over_unfinished: bool = typer.Option(
             False, "--over-unfinished",
             help="Push hosts whose last change is unfinished (a killed run caught them mid-change, "
                  "or they ended failed-needs-attention) after you have checked them by hand, a "
                  "pending revert timer or confirmed commit included: oamkit pushes the device as it "
                  "finds it. Without "
                  "it such a host is refused (error, nothing sent); `oamkit rollback --change ID "
                  "--limit HOST` resolves it instead."),
         as_json: bool = JsonOpt, executor: str = ExecutorOpt, scheduler: str = SchedulerOpt,
         session_log: Path = SessionLogOpt, debug: bool = DebugOpt) -> None:
    """Back up, apply only the delta, commit (confirmed where the platform can), read back and
    verify, then confirm. Any failure rolls that host back and verifies the restoration. A host
    whose last change is unfinished (killed mid-change, or failed-needs-attention) is refused
    with nothing sent: roll that change back, or use --over-unfinished."""
    session_logging(session_log, debug)
    chosen = ops.select(inventory, filter, limit)   # bad input stops before an executor starts
    with executor_for(executor, scheduler, workers) as runs_on, progress("push", as_json) as tick:
        run = ops.push(chosen, workers=workers, timeout=timeout, canary=canary,
                       batch_size=batch_size, max_failures=max_failures,
                       confirm_timeout=confirm_timeout, executor=runs_on, on_done=tick,
                       over_unfinished=over_unfinished)
    _report(run.results, run.stopped, as_json, run.change_id, title=f"Push {run.change_id}",
            notes=run.notes)


LAST = "'last' (the most recent push that changed a device; a Nornir run makes one change per host)"


def rollback(change_id: str = typer.Option(..., "--change", help=f"The change to undo: its id, or {LAST}."),
             inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
             workers: int = WorkersOpt, timeout: float = TimeoutOpt, as_json: bool = JsonOpt,
             session_log: Path = SessionLogOpt, debug: bool = DebugOpt) -> None:
    """Restore the backups a past change took: every host it backed up (changed, needing
    attention, or caught mid-change by a killed run) whose configuration now differs from its
    backup. A host equal to its backup is left alone, so running it twice is safe. Without -i,
    the inventory the change was made with."""
    session_logging(session_log, debug)
    with progress("rollback", as_json) as tick:
        run = ops.rollback(change_id, inventory, filter, limit, workers=workers, timeout=timeout,
                           on_done=tick)
    _report(run.results, run.stopped, as_json, run.change_id,
            title=f"Rollback of {run.action.removeprefix('rollback ')}")


def changes(change_id: str = typer.Option(None, "--change",
                                          help=f"Show one change's backups: its id, or {LAST}."),
            host: str = typer.Option(None, "--host", help="With --change: print this host's backup."),
            as_json: bool = JsonOpt) -> None:
    """List past changes: id, action, state (done, in-progress, or interrupted: its process
    died), who, when, and each host's outcome or last known state; with --change, the backups
    it took."""
    entries = engine.list_changes()
    if host and not change_id:
        raise InputError([Problem("--host needs --change", field="--host", value=host)])
    if change_id:
        _show_backups(ops.find_change(change_id, entries)["id"], host, as_json)
        return
    if as_json:
        print_json(entries)
        return
    table = DataTable(title=f"{len(entries)} change(s) in {statedir.state_dir()}")
    for column in ("id", "action", "state", "who", "when", "hosts", "outcome"):
        table.add_column(column)
    for e in entries:
        counts: dict[str, int] = {}
        for outcome in e["hosts"].values():
            counts[outcome] = counts.get(outcome, 0) + 1
        outcome = Text(", ").join(Text.assemble(f"{n} ", (o, _STYLE.get(o, "")))
                                  for o, n in sorted(counts.items()))
        caught = sorted(h for h, s in e["hosts"].items()
                        if s in (changelog.CHANGING, changelog.BACKED_UP))
        if caught and e.get("state") != changelog.DONE:
            outcome.append(f"\nmid-change: {', '.join(caught)}")
        state = e.get("state", changelog.DONE)
        table.add_row(e["id"], e["action"], styled(state, "bold red") if state == changelog.INTERRUPTED
                      else state, e.get("who") or "", e.get("when") or "", str(len(e["hosts"])), outcome)
    console.print(table)
    if any(e.get("state") == changelog.INTERRUPTED for e in entries):
        err.print("[yellow]An interrupted change's process died mid-run; its hosts may hold part "
                  "of it.[/] Restore them: oamkit rollback --change ID")


def _show_backups(change_id: str, host: str | None, as_json: bool) -> None:
    folder = engine.change_folder(change_id)
    taken = backups.read(folder) if folder.is_dir() else {}
    if host is not None:
        backup = taken.get(host)
        if backup is None:
            raise InputError([Problem(f"change {change_id} took no backup of this host "
                                      f"(it backed up: {', '.join(sorted(taken)) or 'none'})",
                                      field="--host", value=host)])
        if as_json:
            print_json(backup.__dict__)
        elif not backup.managed.strip():   # said, not a blank line: a rollback removes it all
            err.print(f"{host}: the backup holds no configuration oamkit manages (there was none "
                      f"before change {change_id}; rolling it back removes what the change added)")
        else:
            sys.stdout.write(backup.managed if backup.managed.endswith("\n") else backup.managed + "\n")
        return
    if as_json:
        print_json([{k: v for k, v in b.__dict__.items() if k not in ("managed", "running")}
                    for b in taken.values()])
        return
    table = DataTable(title=f"Backups of change {change_id} in {folder}")
    for column in ("host", "platform", "form", "taken", "lines"):
        table.add_column(column)
    for b in taken.values():
        table.add_row(b.host, b.platform, b.form, b.taken, str(len(b.managed.splitlines())))
    console.print(table)
    console.print("Print one: oamkit changes --change ID --host HOST")


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)
    app.command("push")(push)
    app.command("rollback")(rollback)
    app.command("changes")(changes)
