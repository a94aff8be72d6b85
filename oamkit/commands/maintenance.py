"""`oamkit maintenance add | list | remove`: hold back alerts for hosts until a time."""
from __future__ import annotations

import getpass
from pathlib import Path

import typer

from oamkit import maintenance
from oamkit.commands._common import stdout_console, FilterOpt, InventoryOpt, JsonOpt, load_inventory, print_json
from oamkit.errors import InputError, Problem
from oamkit.textout import DataTable, data

console = stdout_console()
app = typer.Typer(help="Maintenance windows: hosts reported as in maintenance, never alerting, "
                       "until the window ends by itself.", no_args_is_help=True)


@app.command("add")
def add(hosts: list[str] = typer.Argument(None, metavar="[HOST]...", help="Hosts by name."),
        inventory: Path = InventoryOpt, filter: list[str] = FilterOpt,
        until: str = typer.Option(..., "--until", help="When it ends: 2h, 30m, 1d, or ISO 8601 "
                                  "(2026-11-23T06:00Z; no zone = UTC)."),
        reason: str = typer.Option(..., "--reason", help="Why (shown in every report)."),
        as_json: bool = JsonOpt) -> None:
    """Put hosts (by name and/or --filter) in maintenance until a time."""
    if not hosts and not filter:
        raise InputError([Problem("name hosts or give --filter", field="HOST/--filter")])
    inv = load_inventory(inventory)
    unknown = [h for h in hosts or [] if h not in inv.hosts]
    if unknown:
        raise InputError([Problem(f"unknown host(s): {', '.join(unknown)}", field="HOST")])
    chosen = list(hosts or [])
    if filter:
        chosen += [h.name for h in inv.select(filter) if h.name not in chosen]
    if not chosen:
        raise InputError([Problem("no host matches the selection", field="--filter")])
    window = maintenance.add(chosen, until, reason, who=getpass.getuser(),
                             selection=" ".join(filter) if filter else None)
    if as_json:
        print_json(window.model_dump(mode="json"))
        return
    console.print(f"maintenance [bold]{window.id}[/]: {data(', '.join(window.hosts))} until "
                  f"{window.until.isoformat(timespec='minutes')} ({data(window.reason)})")


@app.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """Active maintenance windows (ended ones are gone by themselves)."""
    windows = maintenance.active_windows()
    if as_json:
        print_json([w.model_dump(mode="json") for w in windows])
        return
    table = DataTable(title=f"{len(windows)} active maintenance window(s)")
    for column in ("id", "hosts", "until (UTC)", "reason", "who"):
        table.add_column(column, overflow="fold")
    for w in windows:
        table.add_row(w.id, ", ".join(w.hosts), w.until.isoformat(timespec="minutes"), w.reason,
                      w.who or "")
    console.print(table)


@app.command("remove")
def remove(ident: str = typer.Argument(None, metavar="[ID]", help="Window id (see list)."),
           host: str = typer.Option(None, "--host", help="Take this host out of every window."),
           as_json: bool = JsonOpt) -> None:
    """End a window now (by id), or take one host out of maintenance."""
    if not ident and not host:
        raise InputError([Problem("give a window id or --host", field="ID/--host")])
    removed = maintenance.remove(ident, host)
    if as_json:   # already_ended: it had ended by itself (nothing was held any more)
        print_json([{**w.model_dump(mode="json"), "already_ended": not w.active()}
                    for w in removed])
        return
    for w in removed:
        if w.active():
            console.print(f"ended maintenance {w.id} for {', '.join(w.hosts)}", markup=False)
        else:
            console.print(f"maintenance {w.id} for {', '.join(w.hosts)} had already ended at "
                          f"{w.until.isoformat(timespec='minutes')}; removed", markup=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="maintenance")
