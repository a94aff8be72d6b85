"""`oamkit facts`: what each device says it is, and where that disagrees with the inventory."""
from __future__ import annotations

from pathlib import Path

import typer
from oamkit.textout import DataTable, styled

from oamkit import ops
from oamkit.commands._common import (stdout_console, FilterOpt, InventoryOpt, JsonOpt, LimitOpt, ReadTimeoutOpt,
                                     ReadWorkersOpt, print_json, progress, DebugOpt, SessionLogOpt,
                                     session_logging)

console = stdout_console()


def facts(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
          workers: int = ReadWorkersOpt, timeout: float = ReadTimeoutOpt, as_json: bool = JsonOpt,
          session_log: Path = SessionLogOpt, debug: bool = DebugOpt) -> None:
    """Read each device's platform, software version, model and interfaces (speed, OAM state)
    and report where the inventory disagrees with the device. Read-only."""
    session_logging(session_log, debug)
    with progress("facts", as_json) as tick:
        run = ops.facts(inventory, filter, limit, workers=workers, timeout=timeout, on_done=tick)
    if as_json:
        print_json(run.as_dict())
        raise typer.Exit(run.exit_code)
    table = DataTable(title="Device facts")
    for column in ("host", "declared", "detected", "version", "model", "interfaces", "problems"):
        table.add_column(column, overflow="fold")
    for r in run.results:
        ifs = ", ".join(f"{i['name']} {i['speed'] or '?'}{' OAM' if i['oam'] == 'enabled' else ''}"
                        for i in r.interfaces)
        problems = "\n".join(r.mismatches + ([r.error] if r.error else []))
        style = {"ok": "green", "mismatch": "yellow", "error": "red"}[r.outcome]
        table.add_row(r.host, r.platform, r.detected_platform or "?", r.version or "", r.model or "",
                      ifs, styled(problems or 'ok', style))
    console.print(table)
    raise typer.Exit(run.exit_code)


def register(app: typer.Typer) -> None:
    app.command("facts")(facts)
