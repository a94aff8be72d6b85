"""`oamkit inventory list|show`: the resolved view of hosts, secrets masked."""
from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.syntax import Syntax

from oamkit.commands._common import stdout_console, FilterOpt, InventoryOpt, JsonOpt, LimitOpt, load_inventory, print_json
from oamkit.errors import InputError, Problem
from oamkit.textout import DataTable
from oamkit.inventory import MASK

inventory_app = typer.Typer(help="Look at the inventory as oamkit resolves it.", no_args_is_help=True)
console = stdout_console()


@inventory_app.command("list")
def list_hosts(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt,
               limit: str = LimitOpt, as_json: bool = JsonOpt) -> None:
    """List the selected hosts with platform, transport, groups and OAM interfaces."""
    inv = load_inventory(inventory)
    hosts = inv.select(filter, limit)
    if as_json:
        print_json([{"name": h.name, "hostname": h.hostname, "port": h.port,
                     "platform": h.platform, "transport": h.transport, "groups": h.groups,
                     "interfaces": [i.interface for i in inv.intents(h)]} for h in hosts])
        return
    table = DataTable(title=f"{len(hosts)} host(s) in {inv.path}")
    for column in ("host", "address", "platform", "transport", "groups", "OAM interfaces"):
        table.add_column(column)
    for h in hosts:
        intents = inv.intents(h)
        table.add_row(h.name, f"{h.hostname}:{h.port or 22}", h.platform, h.transport,
                      ", ".join(h.groups), "\n".join(f"{i.interface} ({i.policy})" for i in intents))
    console.print(table)


@inventory_app.command("show")
def show_host(host: str = typer.Argument(..., help="Host name."), inventory: Path = InventoryOpt,
              as_json: bool = JsonOpt) -> None:
    """Show one host fully resolved (groups, defaults, policy intent in IEEE units)."""
    inv = load_inventory(inventory)
    if host not in inv.hosts:
        raise InputError([Problem("unknown host", host=host)])
    settings = inv.hosts[host]
    view = settings.public_view()
    view["password"] = MASK if inv.password(settings) else None
    view["intent"] = [i.model_dump() for i in inv.intents(settings)]
    if as_json:
        print_json(view)
        return
    import yaml

    text = yaml.safe_dump(view, sort_keys=False)
    if not sys.stdout.isatty():   # a pipe or file: the YAML as is (Syntax pads every line to the width)
        sys.stdout.write(text)
        return
    console.print(Syntax(text, "yaml", word_wrap=True))


def register(app: typer.Typer) -> None:
    app.add_typer(inventory_app, name="inventory")
