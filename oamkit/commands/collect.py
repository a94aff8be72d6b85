"""`oamkit collect`: snapshots of counters and OAM state into the history database."""
from __future__ import annotations

import sys
from pathlib import Path

import typer
from oamkit.textout import DataTable, styled

from oamkit import collect, ops
from oamkit.commands._common import (stdout_console, DbOpt, ExecutorOpt, FilterOpt, InventoryOpt, JsonOpt, KeepOpt,
                                     LimitOpt, ReadTimeoutOpt, ReadWorkersOpt, SchedulerOpt,
                                     executor_for, print_json, progress, DebugOpt, SessionLogOpt,
                                     session_logging)

console = stdout_console()


def collect_cmd(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
                db: Path = DbOpt, workers: int = ReadWorkersOpt, timeout: float = ReadTimeoutOpt,
                keep_days: float = KeepOpt, as_json: bool = JsonOpt,
                executor: str = ExecutorOpt, scheduler: str = SchedulerOpt,
                session_log: Path = SessionLogOpt, debug: bool = DebugOpt) -> None:
    """Run the platform's show commands on the selected hosts and store timestamped snapshots
    (interface error counters, OAM session and link-monitoring state, link-event counts)."""
    chosen = ops.select(inventory, filter, limit, intent=False, readable_only=True)
    session_logging(session_log, debug)
    with executor_for(executor, scheduler, workers) as runs_on, progress("collect", as_json) as tick:
        run = ops.collect(chosen, db=db, workers=workers, timeout=timeout, keep_days=keep_days,
                          executor=runs_on, on_done=tick, history_fallback=True)
    if run.history_problem:   # stderr: cron's log; the JSON and the table say it too
        print(f"oamkit: error: history: {run.history_problem}", file=sys.stderr, flush=True)
    if as_json:
        print_json(run.as_dict())
        raise typer.Exit(run.exit_code)
    table = DataTable(title=f"Collected into {run.db}")
    for column in ("host", "platform", "outcome", "interfaces", "seconds", "detail"):
        table.add_column(column, overflow="fold")
    for r in run.rows:
        detail = r.get("error") or "; ".join(
            [f"{k}: {v}" for k, v in (r.get("role_errors") or {}).items()]
            + list(r.get("counter_problems") or ()))
        style = "green" if r["outcome"] == collect.OK else "dim" if r["outcome"] == "skipped" \
            else "red"
        table.add_row(r["host"], r.get("platform", ""), styled(r['outcome'], style),
                      str(r.get("interfaces", "")), f"{r.get('seconds', 0):.2f}", detail)
    console.print(table)
    if run.history_problem:
        console.print(styled(f"NOT STORED: {run.history_problem}", "magenta"))
    raise typer.Exit(run.exit_code)


def register(app: typer.Typer) -> None:
    app.command("collect")(collect_cmd)
