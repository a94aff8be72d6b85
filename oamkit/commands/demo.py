"""`oamkit demo`: the main job end to end with no hardware."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from oamkit.render import plan_hosts, render_plan

console = Console()
EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"


def demo() -> None:
    """Render the example inventory's link OAM policy for every platform and show what would
    be pushed."""
    from oamkit.inventory import Inventory

    inv = Inventory.load(EXAMPLE)
    for plan in plan_hosts(inv, inv.select()):
        console.rule(f"[bold]{plan.host.name}[/] ({plan.platform.display})")
        console.print(render_plan(plan), highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
