"""Options every host-selecting command shares, so they read the same everywhere."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from oamkit.inventory import Inventory

DEFAULT_INVENTORY = "inventory"

InventoryOpt = typer.Option(
    None, "--inventory", "-i", envvar="OAMKIT_INVENTORY", show_envvar=True,
    help="Inventory folder (Nornir SimpleInventory: hosts.yaml, groups.yaml, defaults.yaml, "
         "policies/).", metavar="DIR")
FilterOpt = typer.Option(
    None, "--filter", "-f", metavar="KEY=VALUE",
    help="Select hosts: platform=cisco_xr, group=core, site=ams (dotted paths into data), "
         "KEY!=VALUE to exclude. Repeat to narrow.")
LimitOpt = typer.Option(None, "--limit", "-l", metavar="HOST,...", help="Only these hosts.")
JsonOpt = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
TemplatesOpt = typer.Option(
    None, "--templates", metavar="DIR",
    help="Your template folder; its files override ours file by file. Repeatable.")


def load_inventory(path: Path | None) -> Inventory:
    return Inventory.load(path or Path(os.environ.get("OAMKIT_INVENTORY", DEFAULT_INVENTORY)))


def print_json(payload) -> None:
    json.dump(payload, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
