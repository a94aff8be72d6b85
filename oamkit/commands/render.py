"""`oamkit render`: write each host's vendor configuration from the policy, send nothing."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from oamkit.commands._common import (stdout_console, FilterOpt, InventoryOpt, JsonOpt, LimitOpt, TemplatesOpt,
                                     print_json)
from oamkit import ops

# Above this many hosts the summary is per platform, not per host: a 10,000-row table takes
# longer to print than the fleet takes to render, and nobody reads it (`--verbose` still does).
TABLE_HOSTS = 50


def render(
    inventory: Path = InventoryOpt,
    filter: list[str] = FilterOpt,
    limit: str = LimitOpt,
    out: Path = typer.Option(None, "--out", "-o", help="Write one file per host into this folder."),
    fmt: str = typer.Option("cli", "--format", help="cli (device commands) or netconf (XML payload)."),
    templates: list[Path] = TemplatesOpt,
    show: bool = typer.Option(False, "--show", help="Print every rendered configuration."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help=f"One table row per host even above {TABLE_HOSTS} hosts "
                                      "(otherwise: counts per platform, and every note)."),
    as_json: bool = JsonOpt,
) -> None:
    """Render link OAM configuration for the selected hosts. Nothing is sent to any device."""
    run = ops.render(inventory, filter, limit, fmt=fmt, out=out, templates=templates)
    plans, rendered = run.plans, run.configs
    if as_json:
        print_json(run.as_dict())
        return
    console = stdout_console()
    if show:
        from oamkit.textout import data

        for name, text in rendered.items():
            console.rule(f"[bold]{data(name)}")
            console.print(text, highlight=False, markup=False)
    title = f"Rendered {fmt} for {len(rendered)} host(s)" + (f" into {out}" if out else "")
    if len(plans) > TABLE_HOSTS and not verbose:
        _summary(console, title, plans, rendered)
        return
    from oamkit.textout import DataTable

    table = DataTable(title=title)
    for column in ("host", "platform", "interfaces", "profile(s)", "lines", "notes"):
        table.add_column(column)
    for plan in plans:
        text = rendered.get(plan.host.name)
        table.add_row(plan.host.name, plan.platform.display, str(len(plan.interfaces)),
                      ", ".join(plan.profile_names) or "-",
                      str(len(text.splitlines())),
                      "\n".join(plan.notes) or "")
    console.print(table)


def _summary(console, title: str, plans, rendered: dict[str, str]) -> None:
    """A large fleet: hosts, interfaces and lines per platform, then each distinct note once
    with how many hosts it concerns (and the first of them)."""
    from oamkit.textout import DataTable

    table = DataTable(title=title)
    for column in ("platform", "hosts", "interfaces", "lines"):
        table.add_column(column, justify="left" if column == "platform" else "right")
    per_platform: dict[str, list[int]] = {}
    notes: Counter[str] = Counter()
    first_host: dict[str, str] = {}
    for plan in plans:
        counts = per_platform.setdefault(plan.platform.display, [0, 0, 0])
        counts[0] += 1
        counts[1] += len(plan.interfaces)
        counts[2] += rendered[plan.host.name].count("\n")
        for note in plan.notes:
            notes[note] += 1
            first_host.setdefault(note, plan.host.name)
    for display, (hosts, interfaces, lines) in sorted(per_platform.items()):
        table.add_row(display, str(hosts), str(interfaces), str(lines))
    console.print(table)
    for note, hosts in notes.most_common():
        console.print(f"note ({hosts} host(s), e.g. {first_host[note]}): {note}",
                      highlight=False, markup=False)
    console.print("One row per host: --verbose; everything: --json.", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("render")(render)
