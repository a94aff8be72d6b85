"""Options every host-selecting command shares, so they read the same everywhere."""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager, nullcontext
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

ExecutorOpt = typer.Option(
    "threads", "--executor", metavar="threads|dask", envvar="OAMKIT_EXECUTOR",
    help="Where per-host work runs: threads in this process, or dask (Dask distributed: an "
         "embedded LocalCluster of worker processes, or --scheduler).")
SchedulerOpt = typer.Option(
    None, "--scheduler", metavar="tcp://HOST:PORT", envvar="OAMKIT_DASK_SCHEDULER",
    help="A running Dask scheduler (with --executor dask). Its workers need the inventory "
         "folder at the same path and its credentials.")


@contextmanager
def executor_for(kind: str | None, scheduler: str | None, workers: int):
    """The executor to hand to `run_fleet` (None: its own threads), closed afterwards."""
    from oamkit.executors import make_executor

    executor = make_executor(kind, scheduler, workers)
    for warning in getattr(executor, "warnings", ()):
        print(f"oamkit: warning: {warning}", file=sys.stderr)   # stdout may be --json
    with executor if executor is not None else nullcontext():
        yield executor


def load_inventory(path: Path | None) -> Inventory:
    return Inventory.load(path or Path(os.environ.get("OAMKIT_INVENTORY", DEFAULT_INVENTORY)))


def print_json(payload) -> None:
    json.dump(payload, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
