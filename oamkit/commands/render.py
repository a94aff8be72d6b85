"""`oamkit render`: write each host's vendor configuration from the policy, send nothing."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from oamkit.commands._common import (FilterOpt, InventoryOpt, JsonOpt, LimitOpt, TemplatesOpt,
                                     load_inventory, print_json)
from oamkit import textcheck
from oamkit.errors import InputError, Problem
from oamkit.render import environment, plan_hosts, render_plan

console = Console()


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
    if fmt not in ("cli", "netconf"):
        raise InputError([Problem("unknown format", field="--format", value=fmt, allowed="cli, netconf")])
    missing = [str(folder) for folder in templates or [] if not folder.is_dir()]
    if missing:
        raise InputError([Problem("template folder not found", field="--templates",
                                  value=", ".join(missing))])
    if out is not None and out.exists() and not out.is_dir():
        raise InputError([Problem("not a folder (render writes one file per host into it)",
                                  field="--out", value=str(out))])
    inv = load_inventory(inventory)
    hosts = inv.select(filter, limit)
    if not hosts:
        raise InputError([Problem("no host matches the selection", field="--filter/--limit")])
    env = environment(templates)
    plans = plan_hosts(inv, hosts)
    no_form = [p for p in plans if fmt == "netconf" and "netconf" not in p.platform.templates]
    if no_form:   # rendering the rest and exiting 0 would hide that these hosts got nothing
        raise InputError([Problem(
            f"{p.platform.display} has no NETCONF form (it is configured over SSH only); "
            "leave it out with --filter platform!=" + p.platform.name, host=p.host.name,
            field="--format", value=fmt) for p in no_form])
    rendered = {plan.host.name: render_plan(plan, fmt, env) for plan in plans}
    files = {}
    if out:
        out.mkdir(parents=True, exist_ok=True)
        suffix = "xml" if fmt == "netconf" else "cfg"
        for name, text in rendered.items():
            # host names are checked when the inventory loads; this keeps the promise local
            files[name] = textcheck.inside(out, f"{name}.{suffix}")
            files[name].write_text(text)
    if as_json:
        print_json({"ok": True, "format": fmt, "hosts": [
            {"host": p.host.name, "platform": p.platform.name,
             "interfaces": [i.intent.interface for i in p.interfaces],
             "profiles": p.profile_names, "notes": p.notes,
             "file": str(files.get(p.host.name)) if p.host.name in files else None,
             "config": rendered.get(p.host.name),
             "skipped": None} for p in plans]})   # kept for scripts: every host renders or exit 2
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
