"""Options every command shares, so they read the same everywhere, and the progress bar."""
from __future__ import annotations

import json
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from oamkit import ops   # its names load on first use: importing it is cheap
from oamkit.history import KEEP_DAYS

if TYPE_CHECKING:
    from oamkit.inventory import Inventory

InventoryOpt = typer.Option(
    None, "--inventory", "-i", envvar="OAMKIT_INVENTORY", show_envvar=True,
    help="Inventory folder (Nornir SimpleInventory: hosts.yaml, groups.yaml, defaults.yaml, "
         "policies/), or nornir:CONFIG.yaml, a Nornir config whose inventory plugin (e.g. "
         "AnsibleInventory, NetBoxInventory2) has the hosts (policies/ beside it).",
    metavar="DIR|nornir:FILE")
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

# read-only commands (collect, check, facts)
ReadWorkersOpt = typer.Option(20, "--workers", "-w", min=1, help="Hosts read at once.")
ReadTimeoutOpt = typer.Option(60.0, "--timeout", min=1, help="Deadline per host, in seconds, from when its work starts.")
DbOpt = typer.Option(None, "--db", metavar="PATH", envvar="OAMKIT_DB", show_envvar=True,
                     help="History database (SQLite). Default: history.sqlite in the state dir "
                          "(OAMKIT_STATE_DIR).")
KeepOpt = typer.Option(KEEP_DAYS, "--keep-days", min=0,
                       help="Drop snapshots older than this many days (0: keep everything).")


@contextmanager
def executor_for(kind: str | None, scheduler: str | None, workers: int):
    """The executor to hand to `run_fleet` (None: its own threads), closed afterwards."""
    import os

    from oamkit.executors import make_executor
    from oamkit.transport import sessionlog

    executor = make_executor(kind, scheduler, workers)
    warnings = list(getattr(executor, "warnings", ()))
    if scheduler and executor is not None and os.environ.get(sessionlog.ENV):
        # The folder reaches worker processes through the environment: oamkit's own
        # LocalCluster inherits it, the workers of a scheduler someone else started do not.
        warnings.append(f"--session-log: the workers of the Dask scheduler at {scheduler} do "
                        f"not write session logs; nothing will be in {os.environ[sessionlog.ENV]} "
                        "(run without --scheduler for them)")
    for warning in warnings:
        print(f"oamkit: warning: {warning}", file=sys.stderr)   # stdout may be --json
    with executor if executor is not None else nullcontext():
        yield executor


@contextmanager
def progress(title: str, quiet: bool):
    """A progress bar on a terminal (stderr); yields the per-host callback (None: no bar)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    with bar:
        task = bar.add_task(title, total=None)
        yield lambda result: bar.advance(task)


# Wider than any line we print: a Junos `set` line, a change id or a table row read from a
# pipe or file must arrive whole, never folded at the 80 columns rich assumes off a terminal.
PIPE_WIDTH = 4096


def stdout_console():
    """The Console every command prints its stdout with. On a terminal, rich as usual; into a
    pipe or file (scripts, cron, `| grep`), plain text: no ANSI, no wrapping, no truncation."""
    from rich.console import Console

    if sys.stdout.isatty():
        return Console()

    class PipeConsole(Console):
        def rule(self, *args, **kwargs) -> None:
            # a rule spans the console's width: keep it a readable separator, not 4096 dashes
            wide, self.width = self.width, 72
            try:
                super().rule(*args, **kwargs)
            finally:
                self.width = wide

    return PipeConsole(width=PIPE_WIDTH, soft_wrap=True, color_system=None, force_terminal=False)


def seconds_option(text: str, option: str) -> float:
    """'10s', '500ms', '2m' -> seconds; anything else is bad input naming the option."""
    from oamkit.errors import InputError, Problem
    from oamkit.units import parse_duration_ms

    try:
        ms = parse_duration_ms(text)
    except ValueError as exc:
        raise InputError([Problem(str(exc), field=option, value=text)]) from None
    if ms <= 0:
        raise InputError([Problem("must be longer than 0", field=option, value=text)])
    return ms / 1000


def load_inventory(path: Path | None) -> Inventory:
    return ops.load_inventory(path)


def print_json(payload) -> None:
    from oamkit.jsonout import stamp

    json.dump(stamp(payload), sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


# Colours of a before/after diff on a terminal (a pipe gets the same text, uncoloured).
_DIFF_STYLE = {"+": "green", "-": "red", "~": "yellow", "@": "cyan"}


def diff_lines(result) -> list[str]:
    """A host's before/after (`HostResult.diff`, or its dict) as a reviewer reads it: CLI
    sections as unified diffs (`-` running, `+` intent, the stanza as context), NETCONF leaves
    as `path: old -> new`."""
    from oamkit.engine.review import leaf_line

    entries = result["diff"] if isinstance(result, dict) else result.diff
    lines: list[str] = []
    for entry in entries:
        if "path" in entry:
            lines.append(leaf_line(entry))
            continue
        section = entry["section"] or "shared (profiles, templates)"
        hunks = [line for line in entry["unified"][2:]]   # past the ---/+++ file header
        lines.append(f"@@ {section} @@")
        lines += [line for line in hunks if not line.startswith("@@")]
    return lines


def print_diff(console, result, title: str | None = None) -> None:
    """Print one host's before/after: coloured on a terminal, plain into a pipe or file."""
    from rich.text import Text

    lines = diff_lines(result)
    if not lines:
        return
    if title:
        console.rule(title)
    for line in lines:
        style = _DIFF_STYLE.get(line[:1], "") if not line.startswith(("+++", "---")) else "bold"
        console.print(Text(line, style=style), highlight=False, soft_wrap=True)


SessionLogOpt = typer.Option(
    None, "--session-log", metavar="DIR", envvar="OAMKIT_SESSION_LOG",
    help="Write every line sent to and received from each device (SSH CLI and NETCONF RPCs) "
         "into DIR/HOST.log, secrets masked (files 0600).")
DebugOpt = typer.Option(
    False, "--debug", help="Debug logging on stderr (secrets masked), and session logs in a "
                           "new private folder of the state dir (unless --session-log).")


def session_logging(folder: Path | None, debug: bool) -> Path | None:
    """Turn on session logs (and, with --debug, debug logging on stderr) for this run; the
    folder they go to, or None. A --debug run without --session-log logs into
    <state dir>/session-logs/<UTC time>-<pid> (0700)."""
    import logging
    import os
    from datetime import datetime, timezone

    from oamkit import statedir
    from oamkit.transport import sessionlog

    if folder is None and debug:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        folder = statedir.private_dir(statedir.state_dir() / "session-logs") / f"{stamp}-{os.getpid()}"
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(sessionlog.MaskingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.basicConfig(level=logging.DEBUG, handlers=[handler], force=True)
    if folder is None:
        return None
    if Path(folder).exists() and not Path(folder).is_dir():
        from oamkit.errors import InputError, Problem

        raise InputError([Problem("not a folder", field="--session-log", value=str(folder))])
    statedir.private_dir(Path(folder))
    os.environ[sessionlog.ENV] = str(folder)   # worker processes (Dask) inherit it
    print(f"oamkit: session logs: {folder}/<host>.log", file=sys.stderr)
    return Path(folder)
