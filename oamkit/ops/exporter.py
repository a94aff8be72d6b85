"""`oamkit exporter`: a long-running Prometheus exporter. It runs `check` on its own schedule
(every `interval` seconds, never two at once) and serves the latest report on /metrics
(prometheus_client's HTTP server), raw device counters included, so PromQL `rate()` works on
whatever scrape interval Prometheus uses.

A scrape never contacts a device: devices are read at the exporter's pace, however often or
from however many Prometheus servers it is scraped.
"""
from __future__ import annotations

import sqlite3
import threading
import time

from oamkit import checks
from oamkit.errors import InputError, OamkitError, Problem
from oamkit.ops.reads import KEEP_DAYS, check, mark_checked
from oamkit.report import CheckReport


def parse_listen(text: str) -> tuple[str, int]:
    """'127.0.0.1:9465', '[::1]:9465', ':9465' (every address) -> (host, port)."""
    host, sep, port = (text or "").rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError([Problem("give HOST:PORT, e.g. 127.0.0.1:9465", field="--listen",
                                  value=text)])
    return (host.strip("[]") or "0.0.0.0"), int(port)


class Exporter:
    """Checks `selection` every `interval` seconds; `collect()` serves the latest report."""

    def __init__(self, selection, *, interval: float, rules: checks.Rules, db=None,
                 workers: int = 20, timeout: float = 60.0, keep_days: float = KEEP_DAYS) -> None:
        self.selection, self.interval, self.rules = selection, interval, rules
        self.options = {"db": db, "workers": workers, "timeout": timeout, "keep_days": keep_days}
        self.report: CheckReport | None = None
        self.runs = 0
        self.failures = 0
        self.last_error: str | None = None
        self.stop = threading.Event()

    def run_once(self) -> None:
        try:
            report = check(self.selection, rules=self.rules, mark=False, **self.options)
        except (OamkitError, OSError, sqlite3.Error) as exc:
            # e.g. a damaged maintenance file, a history database another process holds: the
            # last good report stays, the failure counts
            self.failures += 1
            self.last_error = str(exc)
        else:
            self.report = report   # served from now on: its link events may be marked seen
            self.last_error = None
            try:
                mark_checked(report)
            except (OamkitError, OSError, sqlite3.Error) as exc:   # reported again next run
                self.last_error = str(exc)
        self.runs += 1

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        from oamkit.report.formats import metric_families

        report = self.report
        yield from metric_families(report) if report is not None else []
        yield CounterMetricFamily("oamkit_exporter_runs", "Checks the exporter has run",
                                  value=self.runs)
        yield CounterMetricFamily("oamkit_exporter_failures", "Checks that could not run at "
                                  "all (the last good report is still served)", value=self.failures)
        yield GaugeMetricFamily("oamkit_exporter_interval_seconds", "How often it checks",
                                value=self.interval)

    def serve(self, host: str, port: int, on_run=None) -> None:
        """Bind, then check every `interval` until `stop` is set. A run that takes longer than
        the interval delays the next one instead of overlapping it."""
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry()
        registry.register(self)
        try:
            server, _ = start_http_server(port, addr=host, registry=registry)
        except OSError as exc:
            raise InputError([Problem(f"cannot listen there: {exc.strerror or exc}",
                                      field="--listen", value=f"{host}:{port}")]) from None
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                self.run_once()
                if on_run is not None:
                    on_run(self)
                self.stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
        finally:
            server.shutdown()
            server.server_close()
