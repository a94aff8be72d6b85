"""`oamkit check`: compliance rules for schedulers (cron, systemd timers, Nagios, Prometheus, CI).

Exit codes: with `--format nagios` the Nagios plugin codes (0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN); otherwise 0 when everything is OK (hosts in maintenance included), 1 when any rule
found a problem or could not tell (UNKNOWN), 2 for bad input (nothing was contacted), 3 when
the history database could not be written or read (the report is still out, with the reason).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from oamkit import files, ops
from oamkit.commands._common import (stdout_console, DbOpt, ExecutorOpt, FilterOpt, InventoryOpt, KeepOpt, LimitOpt,
                                     ReadTimeoutOpt, ReadWorkersOpt, SchedulerOpt, executor_for,
                                     progress, seconds_option, DebugOpt, SessionLogOpt,
                                     session_logging)
from oamkit.errors import InputError, OamkitError, Problem

if TYPE_CHECKING:
    from oamkit.report import CheckReport


def check(inventory: Path = InventoryOpt, filter: list[str] = FilterOpt, limit: str = LimitOpt,
          rules: Path = typer.Option(None, "--rules", metavar="FILE", envvar="OAMKIT_RULES",
                                     help="YAML rules file (which rules run, their severities). "
                                          "Default: every rule, default severities."),
          db: Path = DbOpt,
          fmt: str = typer.Option("table", "--format", metavar="FORMAT",
                                  help="table | json | junit | nagios | prometheus"),
          output: Path = typer.Option(None, "--output", "-o", metavar="PATH",
                                      help="Write the report here (prometheus: the textfile, "
                                           "required; junit/json: instead of stdout; not for "
                                           "table or nagios); - is stdout."),
          sample: str = typer.Option(None, "--sample", metavar="DURATION",
                                     help="Read each host's counters twice this far apart "
                                          "(e.g. 10s) and judge the error rate between the two: "
                                          "bursts a scheduler's interval would average away."),
          as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Table: show OK results too."),
          workers: int = ReadWorkersOpt, timeout: float = ReadTimeoutOpt,
          keep_days: float = KeepOpt,
          executor: str = ExecutorOpt, scheduler: str = SchedulerOpt,
          session_log: Path = SessionLogOpt, debug: bool = DebugOpt,
          ) -> None:
    """Check OAM compliance per host and interface: configuration matches the intent, session
    operational, link monitoring on, error rates under the configured thresholds, no new link
    events since the last check. Hosts in maintenance are checked and reported MAINTENANCE,
    never alerting, with what was found (hosts marked down are not contacted). Rates are
    averaged between polls; --sample 10s takes this check's own two samples for bursts. With --executor dask the devices are read on Dask workers and judged here,
    against this machine's history database."""
    # here, not at the top: `check --help` (and every other command) starts without the
    # transports these pull in
    from oamkit import checks
    from oamkit.report import formats

    if as_json and fmt not in ("table", "json"):   # two formats asked for: say so, not pick one
        raise InputError([Problem("--json is --format json: give one of them", field="--format",
                                  value=fmt)])
    fmt = "json" if as_json else fmt
    if fmt not in formats.FORMATS:
        raise InputError([Problem("unknown format", field="--format", value=fmt,
                                  allowed=", ".join(formats.FORMATS))])
    to_stdout = output is not None and str(output) == "-"
    output = None if to_stdout else output
    if output is not None and fmt in ("table", "nagios"):   # it was ignored: nothing written
        raise InputError([Problem(f"--format {fmt} prints to stdout only; --output is for json, "
                                  "junit and prometheus", field="--output", value=str(output))])
    sample_s = seconds_option(sample, "--sample") if sample is not None else 0.0
    if fmt == "prometheus" and output is None and not to_stdout:
        raise InputError([Problem("the prometheus format writes a textfile: give --output "
                                  "PATH (e.g. /var/lib/node_exporter/textfile/oamkit.prom; "
                                  "- for stdout)",
                                  field="--output")])
    problem = files.output_problem(output) if output is not None else None
    if problem:   # found now, before any device is read
        raise InputError([Problem(f"the report cannot be written there: {problem} (--output - "
                                  "writes it to standard output)", field="--output", value=str(output))])
    rule_set = checks.Rules.load(rules)   # validated before anything is contacted
    chosen = ops.select(inventory, filter, limit, readable_only=True)
    session_logging(session_log, debug)
    # The executor first: a bad --scheduler is bad input before the history file is touched.
    with executor_for(executor, scheduler, workers) as runs_on, \
            progress("check", fmt != "table") as tick:
        report = ops.check(chosen, rules=rule_set, rules_file=rules, db=db, workers=workers,
                           timeout=timeout, keep_days=keep_days, executor=runs_on, on_done=tick,
                           sample=sample_s, mark=False, history_fallback=True)
    _emit(report, fmt, "-" if to_stdout else output, verbose)
    if report.history_problem:   # in the report too; here for cron's and systemd's logs
        print(f"oamkit: error: history: {report.history_problem}", file=sys.stderr, flush=True)
    # only now that the report is out: a run killed before it consumes no link event
    try:
        ops.mark_checked(report)
    except OamkitError as exc:   # the report stands; the next check reports these events again
        print(f"oamkit: warning: the link events reported were not marked seen: {exc}",
              file=sys.stderr, flush=True)
    # the code the JSON report carries too (130 after Ctrl-C; Nagios knows UNKNOWN, not 130)
    raise typer.Exit(report.exit_code(nagios=fmt == "nagios"))


def _emit(report: CheckReport, fmt: str, output: Path | None, verbose: bool) -> None:
    from oamkit.report import formats

    if fmt == "table":
        formats.table(report, stdout_console(), verbose)
        return
    if fmt == "prometheus":
        formats.prometheus(report, output)
        return
    text = {"json": formats.to_json, "junit": formats.junit, "nagios": formats.nagios}[fmt](report)
    if output and str(output) != "-" and fmt != "nagios":
        files.write_replacing(output, text if text.endswith("\n") else text + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def register(app: typer.Typer) -> None:
    app.command("check")(check)
