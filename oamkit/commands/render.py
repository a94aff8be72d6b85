"""`oamkit render`: write each host's vendor configuration from the policy, send nothing."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from oamkit.commands._common import (stdout_console, FilterOpt, InventoryOpt, JsonOpt, LimitOpt, TemplatesOpt,
                                     print_json)
from oamkit import ops

console = stdout_console()


def render(
    inventory: Path = InventoryOpt,
    filter: list[str] = FilterOpt,
    limit: str = LimitOpt,
    out: Path = typer.Option(None, "--out", "-o", help="Write one file per host into this folder."),
    fmt: str = typer.Option("cli", "--format", help="cli (device commands) or netconf (XML payload)."),
    templates: list[Path] = TemplatesOpt,
    show: bool = typer.Option(False, "--show", help="Print every rendered configuration."),
    as_json: bool = JsonOpt,
) -> None:
    """Render link OAM configuration for the selected hosts. Nothing is sent to any device."""
    run = ops.render(inventory, filter, limit, fmt=fmt, out=out, templates=templates)
    plans, rendered = run.plans, run.configs
    if as_json:
        print_json(run.as_dict())
        return
    if show:
        for name, text in rendered.items():
            console.rule(f"[bold]{name}")
            console.print(text, highlight=False, markup=False)
    table = Table(title=f"Rendered {fmt} for {len(rendered)} host(s)" + (f" into {out}" if out else ""))
    for column in ("host", "platform", "interfaces", "profile(s)", "lines", "notes"):
        table.add_column(column)
    for plan in plans:
        text = rendered.get(plan.host.name)
        table.add_row(plan.host.name, plan.platform.display, str(len(plan.interfaces)),
                      ", ".join(plan.profile_names) or "-",
                      str(len(text.splitlines())),
                      "\n".join(plan.notes) or "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("render")(render)
