"""`oamkit diff | push | rollback | changes`: the safe change engine on the command line."""
from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from oamkit import backups, changelog, engine, statedir
from oamkit.commands._common import (ExecutorOpt, FilterOpt, InventoryOpt, JsonOpt, LimitOpt,
                                     SchedulerOpt, executor_for, load_inventory, print_json)
from oamkit.executors import HostJob
from oamkit.errors import InputError, Problem
from oamkit.render import plan_hosts
from oamkit.runner import Rollout, run_fleet

console = Console()
err = Console(stderr=True)

WorkersOpt = typer.Option(20, "--workers", "-w", min=1, help="Hosts worked on at once.")
TimeoutOpt = typer.Option(120.0, "--timeout", min=1, help="Deadline per host, in seconds.")

_STYLE = {"unchanged": "dim", "changed": "green", "failed-rolled-back": "yellow",
          "failed-needs-attention": "bold red", "not-attempted": "dim", "error": "red",
          "locked": "red", "changing": "bold red", "backed-up": "bold red", "pending": "dim"}


def _select(inventory, filter, limit):
    inv = load_inventory(inventory)
    hosts = inv.select(filter, limit)
    if not hosts:
        raise InputError([Problem("no host matches the selection", field="--filter/--limit")])
    plans = plan_hosts(inv, hosts)
    inv.require_credentials(hosts)
    no_form = [p.host.name for p in plans if p.host.transport == "netconf" and p.platform.netconf is None]
    if no_form:
        raise InputError([Problem(f"transport netconf is not available for: {', '.join(no_form)}",
                                  field="transport")])
    return inv, plans


def _run(plans, work, rollout, as_json, title, executor=None, journal=None):
    """`journal`: the change's ChangeRun, which records each host's outcome as it comes in."""
    show_progress = not as_json and sys.stderr.isatty()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True) if show_progress else None
    with progress or nullcontext():
        task = progress.add_task(title, total=len(plans)) if progress else None

        def done(result) -> None:
            if journal is not None:
                journal.host_done(result)
            if progress:
                progress.advance(task)

        results, stopped = run_fleet(plans, work, rollout, on_done=done, executor=executor)
    return results, stopped


def _report(results, stopped, as_json, change_id=None, show_commands=True, title="") -> None:
    code = engine.exit_code(results)
    if as_json:
        print_json({"ok": code == 0, "exit_code": int(code), "change_id": change_id,
                    "stopped": stopped, "hosts": [r.as_dict() for r in results]})
        raise typer.Exit(int(code))
    if show_commands:
        for r in results:
            if r.commands:
                console.rule(f"[bold]{r.host}[/] ({r.platform})")
                console.print("\n".join(r.commands), highlight=False, markup=False)
    table = Table(title=title)
    for column in ("host", "platform", "outcome", "lines", "seconds", "detail"):
        table.add_column(column)
    for r in results:
        detail = "\n".join(x for x in (r.error, r.device_error and f"device said: {r.device_error}",
                                       r.detail) if x)
        table.add_row(r.host, r.platform, f"[{_STYLE.get(r.outcome, '')}]{r.outcome}[/]",
                      str(len(r.commands)), f"{r.seconds:.2f}", detail)
    console.print(table)
    if stopped:
        err.print(f"[yellow]Rollout stopped: {stopped}.[/] Hosts marked not-attempted were left untouched.")
    if change_id:
        console.print(f"change id: [bold]{change_id}[/] (oamkit rollback --change {change_id})")
    raise typer.Exit(int(code))


def diff(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
         workers: int = WorkersOpt, timeout: float = TimeoutOpt, as_json: bool = JsonOpt,
         executor: str = ExecutorOpt, scheduler: str = SchedulerOpt) -> None:
    """Show, per host, the exact commands a push would send. Sends no configuration command."""
    inv, plans = _select(inventory, filter, limit)
    with executor_for(executor, scheduler, workers) as runs_on:
        results, stopped = _run(plans, HostJob.make("diff", inv), Rollout(workers, timeout),
                                as_json, "diff", runs_on)
    _report(results, stopped, as_json, title="Delta between devices and intent")


def push(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
         workers: int = WorkersOpt, timeout: float = TimeoutOpt,
         canary: int = typer.Option(0, "--canary", min=0, help="Change this many hosts first; stop if any fails."),
         batch_size: int = typer.Option(0, "--batch-size", min=0, help="Hosts per stage after the canary."),
         max_failures: int = typer.Option(None, "--max-failures", min=1, help="Stop the rollout after this many failures."),
         confirm_timeout: int = typer.Option(120, "--confirm-timeout", min=30,
                                             help="Seconds before an unconfirmed commit reverts by itself."),
         as_json: bool = JsonOpt, executor: str = ExecutorOpt, scheduler: str = SchedulerOpt) -> None:
    """Back up, apply only the delta, commit (confirmed where the platform can), read back and
    verify, then confirm. Any failure rolls that host back and verifies the restoration."""
    inv, plans = _select(inventory, filter, limit)
    change_id = engine.new_change_id()
    work = HostJob.make("push", inv, change_id=change_id, confirm_timeout=confirm_timeout)
    with executor_for(executor, scheduler, workers) as runs_on:
        journal = changelog.begin(change_id, "push", [p.host.name for p in plans], inv.path)
        results, stopped = _run(plans, work, Rollout(workers, timeout, canary, batch_size, max_failures),
                                as_json, "push", runs_on, journal)
    engine.record_change(change_id, "push", results, inv.path, stopped)
    _report(results, stopped, as_json, change_id, title=f"Push {change_id}")


def _find_change(change_id: str, entries: list[dict] | None = None) -> dict:
    """The change a user named: an id oamkit made, or `last` (the most recent push). Exit 2
    naming the value otherwise: nothing is sent and no path is built from it."""
    entries = engine.list_changes() if entries is None else entries
    if change_id == "last":
        pushes = [e for e in entries if changelog.is_push(e)]
        if not pushes:
            raise InputError([Problem("no push recorded yet (see `oamkit changes`)",
                                      field="--change", value=change_id)])
        return pushes[-1]
    if not statedir.CHANGE_ID.fullmatch(change_id or ""):
        raise InputError([Problem("not a change id (like 20240131T235959Z-1a2b3c) or 'last'",
                                  field="--change", value=change_id)])
    found = {e.get("id"): e for e in entries}.get(change_id)
    if found is None:
        found = changelog.read(engine.change_folder(change_id, "--change"))
    if found is None and not backups.read(engine.change_folder(change_id, "--change")):
        raise InputError([Problem("unknown change id (see `oamkit changes`)", field="--change",
                                  value=change_id)])
    return found or {"id": change_id, "action": "unknown", "inventory": None, "hosts": {}}


def rollback(change_id: str = typer.Option(..., "--change",
                                           help="The change to undo: its id, or 'last' (the most recent push)."),
             inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
             workers: int = WorkersOpt, timeout: float = TimeoutOpt, as_json: bool = JsonOpt) -> None:
    """Restore the backups a past change took: every host it backed up (changed, needing
    attention, or caught mid-change by a killed run) whose configuration now differs from its
    backup. A host equal to its backup is left alone, so running it twice is safe. Without -i,
    the inventory the change was made with."""
    entry = _find_change(change_id)
    change_id = entry["id"]
    taken = backups.read(engine.change_folder(change_id))
    recorded = entry.get("inventory")
    if inventory is None and recorded:
        if not Path(recorded).is_dir():
            raise InputError([Problem(f"change {change_id} was made with inventory {recorded}, "
                                      "which is gone; name one with -i", field="--inventory",
                                      value=recorded)])
        inventory = Path(recorded)
    inv, plans = _select(inventory, filter, limit)
    plans = [p for p in plans if p.host.name in taken]
    new_id = engine.new_change_id()
    work = lambda plan, deadline: engine.rollback_host(inv, plan, deadline, change_id, new_id)  # noqa: E731
    journal = changelog.begin(new_id, f"rollback {change_id}", [p.host.name for p in plans], inv.path)
    results, stopped = _run(plans, work, Rollout(workers, timeout), as_json, "rollback", journal=journal)
    if not filter and not limit:   # backed up, but the inventory no longer has them
        results += [engine.HostResult(host, taken[host].platform, engine.ERROR,
                                      error=f"not in the inventory {inv.path}; nothing was sent",
                                      detail=f"its backup: oamkit changes --change {change_id} --host {host}")
                    for host in sorted(set(taken) - set(inv.hosts))]
    engine.record_change(new_id, f"rollback {change_id}", results, inv.path, stopped)
    _report(results, stopped, as_json, new_id, title=f"Rollback of {change_id}")


def changes(change_id: str = typer.Option(None, "--change",
                                          help="Show one change's backups: its id, or 'last' (the most recent push)."),
            host: str = typer.Option(None, "--host", help="With --change: print this host's backup."),
            as_json: bool = JsonOpt) -> None:
    """List past changes: id, action, state (done, in-progress, or interrupted: its process
    died), who, when, and each host's outcome or last known state; with --change, the backups
    it took."""
    entries = engine.list_changes()
    if host and not change_id:
        raise InputError([Problem("--host needs --change", field="--host", value=host)])
    if change_id:
        _show_backups(_find_change(change_id, entries)["id"], host, as_json)
        return
    if as_json:
        print_json(entries)
        return
    table = Table(title=f"{len(entries)} change(s) in {statedir.state_dir()}")
    for column in ("id", "action", "state", "who", "when", "hosts", "outcome"):
        table.add_column(column)
    for e in entries:
        counts: dict[str, int] = {}
        for outcome in e["hosts"].values():
            counts[outcome] = counts.get(outcome, 0) + 1
        outcome = ", ".join(f"{n} [{_STYLE.get(o, '')}]{o}[/]" for o, n in sorted(counts.items()))
        caught = sorted(h for h, s in e["hosts"].items()
                        if s in (changelog.CHANGING, changelog.BACKED_UP))
        if caught and e.get("state") != changelog.DONE:
            outcome += f"\nmid-change: {escape(', '.join(caught))}"
        state = e.get("state", changelog.DONE)
        table.add_row(e["id"], e["action"], f"[bold red]{state}[/]" if state == changelog.INTERRUPTED
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
        else:
            sys.stdout.write(backup.managed if backup.managed.endswith("\n") else backup.managed + "\n")
        return
    if as_json:
        print_json([{k: v for k, v in b.__dict__.items() if k not in ("managed", "running")}
                    for b in taken.values()])
        return
    table = Table(title=f"Backups of change {change_id} in {folder}")
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
