"""Renderers of a CheckReport: table, json, junit, nagios, prometheus."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.table import Table

from oamkit.checks import CRITICAL, MAINTENANCE, NAGIOS_CODES, OK, UNKNOWN, WARNING
from oamkit.report import CheckReport

FORMATS = ("table", "json", "junit", "nagios", "prometheus")
STYLE = {OK: "green", WARNING: "yellow", CRITICAL: "bold red", UNKNOWN: "magenta", MAINTENANCE: "cyan"}


def table(report: CheckReport, console: Console, verbose: bool = False) -> None:
    t = Table(title=f"oamkit check: {report.status} ({len(report.hosts)} host(s), "
                    f"{report.finished - report.started:.1f} s)")
    for column in ("host", "interface", "rule", "status", "detail"):
        t.add_column(column, overflow="fold")
    for host in report.hosts:
        shown = host.results if verbose else [r for r in host.results if r.status != OK]
        if not shown:
            t.add_row(host.host, "", "all rules", f"[{STYLE[OK]}]OK[/]",
                      f"{len(host.results)} result(s) OK")
            continue
        for r in shown:
            t.add_row(r.host, r.interface or "-", r.rule, f"[{STYLE[r.status]}]{r.status}[/]",
                      r.message)
    console.print(t)


def to_json(report: CheckReport) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)


def junit(report: CheckReport) -> str:
    """One testsuite per host, one testcase per host/interface/rule. WARNING/CRITICAL are
    failures, UNKNOWN errors, MAINTENANCE skipped (so CI shows held-back hosts)."""
    suites = ET.Element("testsuites", name="oamkit check", tests=str(len(report.results)))
    for host in report.hosts:
        suite = ET.SubElement(suites, "testsuite", name=host.host, tests=str(len(host.results)),
                              time=f"{host.seconds:.3f}")
        counts = {"failures": 0, "errors": 0, "skipped": 0}
        for r in host.results:
            case = ET.SubElement(suite, "testcase", classname=f"oamkit.{host.host}",
                                 name=f"{r.interface or host.host}: {r.rule}")
            if r.status in (WARNING, CRITICAL):
                ET.SubElement(case, "failure", type=r.status, message=r.message).text = r.message
                counts["failures"] += 1
            elif r.status == UNKNOWN:
                ET.SubElement(case, "error", type=r.status, message=r.message).text = r.message
                counts["errors"] += 1
            elif r.status == MAINTENANCE:
                ET.SubElement(case, "skipped", message=r.message)
                counts["skipped"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _label(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_./:-]", "_", text)


def nagios(report: CheckReport) -> str:
    """`OAMKIT CRITICAL - summary | perfdata` (Nagios plugin guidelines), then one line per
    problem (long output)."""
    problems = report.problems()
    counts = {s: sum(1 for r in report.results if r.status == s)
              for s in (CRITICAL, WARNING, UNKNOWN)}
    held = sum(1 for h in report.hosts if h.maintenance)
    if problems:
        first = problems[0]
        summary = f"{len(problems)} problem(s); {first.host} {first.interface or ''} {first.rule}: {first.message}"
    else:
        summary = f"{len(report.hosts)} host(s) OK"
    if held:
        summary += f"; {held} host(s) in maintenance"
    summary = summary.replace("|", "/").replace("\n", " ")
    perf = [f"hosts={len(report.hosts)}", f"critical={counts[CRITICAL]}",
            f"warning={counts[WARNING]}", f"unknown={counts[UNKNOWN]}", f"maintenance={held}"]
    for r in report.results:
        if r.rule == "error_rate" and "crc_per_s" in r.perfdata:
            perf.append(f"'{_label(r.host)}/{_label(r.interface or '')}_crc'={r.perfdata['crc_per_s']}")
    lines = [f"OAMKIT {report.status} - {summary} | {' '.join(perf)}"]
    lines += [f"{r.status}: {r.host} {r.interface or '-'} {r.rule}: {r.message}".replace("|", "/")
              for r in problems]
    return "\n".join(lines) + "\n"


def prometheus(report: CheckReport, path: str | Path) -> None:
    """Write a node_exporter textfile (atomically, by prometheus_client)."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()
    status = Gauge("oamkit_check_status", "Nagios code of each rule result (0 OK, 1 WARNING, "
                   "2 CRITICAL, 3 UNKNOWN; maintenance is 0 with maintenance=1)",
                   ["host", "interface", "rule", "maintenance"], registry=registry)
    crc = Gauge("oamkit_crc_errors_per_second", "CRC error rate over the last interval",
                ["host", "interface"], registry=registry)
    events = Gauge("oamkit_link_events_new", "Link events since the previous check",
                   ["host", "interface"], registry=registry)
    overall = Gauge("oamkit_check_overall_status", "Nagios code of the whole run", registry=registry)
    last = Gauge("oamkit_check_last_run_timestamp_seconds", "When the check finished (UTC epoch)",
                 registry=registry)
    duration = Gauge("oamkit_check_duration_seconds", "How long the check took", registry=registry)
    for r in report.results:
        status.labels(r.host, r.interface or "", r.rule,
                      "1" if r.status == MAINTENANCE else "0").set(NAGIOS_CODES[r.status])
        if "crc_per_s" in r.perfdata:
            crc.labels(r.host, r.interface or "").set(r.perfdata["crc_per_s"])
        if "link_events_new" in r.perfdata:
            events.labels(r.host, r.interface or "").set(r.perfdata["link_events_new"])
    overall.set(NAGIOS_CODES[report.status])
    last.set(report.finished)
    duration.set(report.finished - report.started)
    write_to_textfile(str(path), registry)
