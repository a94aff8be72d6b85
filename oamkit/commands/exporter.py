"""`oamkit exporter`: check on a schedule and serve the results to Prometheus on /metrics."""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer

from oamkit import checks, ops
from oamkit.commands._common import (DbOpt, FilterOpt, InventoryOpt, KeepOpt, LimitOpt,
                                     ReadTimeoutOpt, ReadWorkersOpt, seconds_option)
from oamkit.ops.exporter import Exporter, parse_listen


def exporter(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
             listen: str = typer.Option("127.0.0.1:9465", "--listen", metavar="HOST:PORT",
                                        help="Where /metrics is served."),
             interval: str = typer.Option("60s", "--interval", metavar="DURATION",
                                          help="How often the devices are checked (e.g. 60s, "
                                               "5m); scrapes in between get the latest results."),
             rules: Path = typer.Option(None, "--rules", metavar="FILE", envvar="OAMKIT_RULES",
                                        help="YAML rules file, as for check."),
             db: Path = DbOpt, workers: int = ReadWorkersOpt, timeout: float = ReadTimeoutOpt,
             keep_days: float = KeepOpt) -> None:
    """Run `check` every --interval and serve the latest results, with the devices' raw error
    counters (oamkit_interface_crc_errors_total ...), on http://HOST:PORT/metrics for
    Prometheus. Runs until stopped (SIGTERM, Ctrl-C)."""
    host, port = parse_listen(listen)
    every = seconds_option(interval, "--interval")
    rule_set = checks.Rules.load(rules)
    chosen = ops.select(inventory, filter, limit, readable_only=True)   # bad input: nothing served
    job = Exporter(chosen, interval=every, rules=rule_set, db=db, workers=workers,
                   timeout=timeout, keep_days=keep_days)
    signal.signal(signal.SIGTERM, lambda *_: job.stop.set())
    print(f"oamkit exporter: http://{listen}/metrics, checking {len(chosen.plans)} host(s) "
          f"every {every:g} s", file=sys.stderr, flush=True)
    try:
        job.serve(host, port, on_run=_say)
    except KeyboardInterrupt:
        job.stop.set()


def _say(job: Exporter) -> None:
    report = job.report
    state = f"error: {job.last_error}" if job.last_error else \
        f"{report.status} ({len(report.hosts)} host(s))" if report else "no report"
    print(f"oamkit exporter: run {job.runs}: {state}", file=sys.stderr, flush=True)


def register(app: typer.Typer) -> None:
    app.command("exporter")(exporter)
