"""`oamkit collect`: snapshots of counters and OAM state into the history database."""
from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from functools import partial
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from oamkit import collect
from oamkit.statedir import state_dir
from oamkit.commands._common import (ExecutorOpt, FilterOpt, InventoryOpt, JsonOpt, LimitOpt,
                                     SchedulerOpt, executor_for, load_inventory, print_json)
from oamkit.executors import HostJob
from oamkit.errors import InputError, Problem
from oamkit.history import History
from oamkit.platforms import get_platform
from oamkit.render import HostPlan, plan_hosts
from oamkit.runner import Rollout, run_fleet

console = Console()
err = Console(stderr=True)

WorkersOpt = typer.Option(20, "--workers", "-w", min=1, help="Hosts read at once.")
TimeoutOpt = typer.Option(60.0, "--timeout", min=1, help="Deadline per host, in seconds.")
DbOpt = typer.Option(None, "--db", metavar="PATH", envvar="OAMKIT_DB", show_envvar=True,
                     help="History database (SQLite). Default: history.sqlite in the state dir "
                          "(OAMKIT_STATE_DIR).")


KeepOpt = typer.Option(90.0, "--keep-days", min=0,
                       help="Drop snapshots older than this many days (0: keep everything).")


def prune(history: History, keep_days: float) -> int:
    return history.prune(time.time() - keep_days * 86400) if keep_days else 0


def db_path(db: Path | None) -> Path:
    return Path(db) if db else state_dir() / "history.sqlite"


def select_plans(inventory: Path | None, filter, limit, *, need_intent: bool = True):
    """Inventory, plans for the SSH hosts selected, and the hosts we cannot read over SSH."""
    inv = load_inventory(inventory)
    hosts = inv.select(filter, limit)
    if not hosts:
        raise InputError([Problem("no host matches the selection", field="--filter/--limit")])
    ssh = [h for h in hosts if h.transport == "ssh"]
    skipped = [h for h in hosts if h.transport != "ssh"]
    inv.require_credentials(ssh)
    if need_intent:
        plans = plan_hosts(inv, ssh)
    else:
        plans = [HostPlan(h, get_platform(h.platform)) for h in ssh]
    return inv, plans, skipped


def run_with_progress(plans, work, rollout, quiet: bool, title: str, executor=None):
    show = not quiet and sys.stderr.isatty()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=True) if show else None
    with progress or nullcontext():
        task = progress.add_task(title, total=len(plans)) if progress else None
        results, _ = run_fleet(plans, work, rollout,
                               on_done=(lambda r: progress.advance(task)) if progress else None,
                               executor=executor)
    return results


def collect_cmd(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
                db: Path = DbOpt, workers: int = WorkersOpt, timeout: float = TimeoutOpt,
                keep_days: float = KeepOpt, as_json: bool = JsonOpt,
                executor: str = ExecutorOpt, scheduler: str = SchedulerOpt) -> None:
    """Run the platform's show commands on the selected hosts and store timestamped snapshots
    (interface error counters, OAM session and link-monitoring state, link-event counts)."""
    inv, plans, skipped = select_plans(inventory, filter, limit, need_intent=False)
    started = time.time()
    with History(db_path(db)) as history, executor_for(executor, scheduler, workers) as runs_on:
        # Elsewhere (Dask) the snapshots come back and are stored here, in this history.
        work = partial(_collect_one, inv, history=history) if runs_on is None \
            else HostJob.make("collect", inv)
        results = run_with_progress(plans, work, Rollout(workers, timeout), as_json, "collect",
                                    runs_on)
        collect.finish_closing()
        if runs_on is not None:
            for r in results:
                if isinstance(r, collect.CollectResult):
                    history.store(r.snapshot)
        results = [r if isinstance(r, collect.CollectResult)
                   else _runner_gave_up(r, history) for r in results]
        pruned = prune(history, keep_days)
    rows = [r.as_dict() for r in results] + [
        {"host": h.name, "platform": h.platform, "outcome": "skipped",
         "error": f"transport {h.transport}: collect reads over SSH only"} for h in skipped]
    failed = sum(1 for r in rows if r["outcome"] != collect.OK)
    code = 1 if failed else 0
    if as_json:
        print_json({"ok": not failed, "exit_code": code, "db": str(db_path(db)),
                    "seconds": round(time.time() - started, 3), "pruned_snapshots": pruned,
                    "hosts": rows})
        raise typer.Exit(code)
    table = Table(title=f"Collected into {db_path(db)}")
    for column in ("host", "platform", "outcome", "interfaces", "seconds", "detail"):
        table.add_column(column, overflow="fold")
    for r in rows:
        detail = r.get("error") or "; ".join(f"{k}: {v}" for k, v in (r.get("role_errors") or {}).items())
        style = "green" if r["outcome"] == collect.OK else "red"
        table.add_row(r["host"], r["platform"], f"[{style}]{r['outcome']}[/]",
                      str(r.get("interfaces", "")), f"{r.get('seconds', 0):.2f}", detail)
    console.print(table)
    raise typer.Exit(code)


def _collect_one(inv, plan, deadline, *, history):
    return collect.collect_host(inv, plan, deadline, store=history.store)


def _runner_gave_up(result, history) -> collect.CollectResult:
    """run_fleet answers for a host it stopped waiting for (deadline) or whose work crashed."""
    from oamkit.history import Snapshot

    error = result.error or result.detail or result.outcome
    history.store(Snapshot(result.host, result.platform, time.time(), ok=False, error=error))
    return collect.CollectResult(result.host, result.platform, collect.ERROR, error=error)


def register(app: typer.Typer) -> None:
    app.command("collect")(collect_cmd)
