"""Monitoring outputs (no device): the Nagios line read by independent parsers (pynag's
PerfData for the perfdata grammar, nagiosplugin's Range for thresholds), maintenance holding
findings, the real reason for a missing rate, Prometheus counters."""
from __future__ import annotations

import nagiosplugin
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pynag.Utils import PerfData

from oamkit import checks
from oamkit.checks import CheckReading, CheckResult, HostCheck, Rules, judge
from oamkit.report import CheckReport, formats
from tests.checks.test_evaluate import IFS, history, plan, results, snapshot  # noqa: F401


def warning_then_critical() -> CheckReport:
    r1 = HostCheck("r1", "cisco_ios", "", results=[
        CheckResult("r1", "Gi0/2", "link_events", "WARNING", "2 new link event(s)"),
        CheckResult("r1", "Gi0/1", "error_rate", "CRITICAL", "the high threshold would have fired",
                    {"crc_per_s": 0.000001}, thresholds={"crc_per_s": {"warn": 0.016667,
                                                                       "crit": 10}}),
        CheckResult("r1", None, "config_drift", "OK", "matches")]).finish()
    return CheckReport([r1], 0.0, 1.0)


def test_the_status_line_names_the_worst_problem_not_the_first():
    lines = formats.nagios(warning_then_critical()).splitlines()
    head = lines[0].split(" | ")[0]
    assert head.startswith("OAMKIT CRITICAL - 2 problem(s); CRITICAL r1 Gi0/1 error_rate"), head
    assert lines[1].startswith("CRITICAL:") and lines[2].startswith("WARNING:")


def test_perfdata_parses_with_pynag_and_thresholds_mean_what_the_status_says():
    line = formats.nagios(warning_then_critical()).splitlines()[0]
    perf = PerfData(line.split(" | ", 1)[1])
    metrics = {m.label: m for m in perf.metrics}
    assert all(m.is_valid() for m in metrics.values()), [str(m) for m in metrics.values()]
    assert set(metrics) == {"hosts", "critical", "warning", "unknown", "maintenance",
                            "r1/Gi0/1_crc"}
    crc = metrics["r1/Gi0/1_crc"]
    assert float(crc.value) == pytest.approx(1e-6)           # a decimal, not 1e-06
    assert (crc.warn, crc.crit, crc.min) == ("0.016667", "10", "0")
    # read as a plugin reads them: the count of critical results alerts above 0
    critical = metrics["critical"]
    assert not nagiosplugin.Range(critical.crit).match(float(critical.value))
    assert nagiosplugin.Range(metrics["warning"].warn).match(0)
    assert critical.max == "3"                                # results in the run


def test_crc_thresholds_are_where_the_rule_changes_its_status(plan, history):
    # the first sample at 0, then exactly 100 s later: the rate is the CRC count / 100
    found = results(plan, history, [snapshot(0, crc=0), snapshot(100, crc=1000)])
    limits = found[(IFS[0], "error_rate")].thresholds["crc_per_s"]
    warn, crit = limits["warn"], limits["crit"]
    # frame_seconds low 1: a single error is an errored second, so any rate above 0 warns
    assert 0 == warn < crit
    span = 10_000   # long enough that whole error counts land within 1 % of the rate wanted
    for step, (errors, expected) in enumerate(((0, "OK"), (1, "WARNING"),
                                               (round(crit * 0.99 * span), "WARNING"),
                                               (round(crit * 1.01 * span), "CRITICAL"))):
        start = 1000 + step * 2 * span
        found = results(plan, history, [snapshot(start, crc=0),
                                         snapshot(start + span, crc=errors)])
        assert found[(IFS[0], "error_rate")].status == expected, (errors, limits)


def test_a_collect_right_before_is_named_as_the_reason_for_no_rate(plan, history):
    found = results(plan, history, [snapshot(0.0, crc=1), snapshot(0.3, crc=2)])
    r = found[(IFS[0], "error_rate")]
    assert r.status == "UNKNOWN"
    assert "only 0.3 s old" in r.message and "min_interval" in r.message
    assert "--sample" in r.message


def test_maintenance_holds_findings_instead_of_hiding_them(plan, history):
    reading = CheckReading("r1", "cisco_ios", checks.READ_OK,
                           snapshot(10, state="link-fault"), drift={})
    held = {"kind": "maintenance", "reason": "optics swap", "until": None, "source": "window x"}
    host = judge(plan, reading, history, Rules(), held)
    assert host.outcome == "MAINTENANCE"
    assert {r.status for r in host.results} == {"MAINTENANCE"}
    sessions = {r.interface: r.held for r in host.results if r.rule == "oam_session"}
    assert sessions == {IFS[0]: "CRITICAL", IFS[1]: "CRITICAL"}
    assert host.results[0].rule == "maintenance" and "optics swap" in host.results[0].message
    assert history.samples("r1", IFS[0])            # the reading was stored: it was checked
    report = CheckReport([host], 0, 1)
    assert report.status == "OK" and report.exit_code(nagios=True) == 0
    assert "finding(s) held" in formats.nagios(report)


def test_a_host_marked_down_is_not_read():
    assert checks.contacted({"kind": "maintenance"}) and checks.contacted(None)
    assert not checks.contacted({"kind": "down"})


def test_prometheus_counters_and_maintenance_metric(capsys):
    host = HostCheck("r1", "cisco_ios", "", maintenance={"kind": "maintenance", "reason": "x"},
                     counters={"Gi0/1": {"crc_errors": 4242, "frame_errors": 7, "link_events": None}},
                     results=[CheckResult("r1", "Gi0/1", "error_rate", "MAINTENANCE", "held",
                                          held="CRITICAL")])
    formats.prometheus(CheckReport([host], 0, 1), "-")
    families = {f.name: f for f in text_string_to_metric_families(capsys.readouterr().out)}
    crc = families["oamkit_interface_crc_errors"]
    assert crc.type == "counter"
    assert [(s.name, s.labels, s.value) for s in crc.samples] == [
        ("oamkit_interface_crc_errors_total", {"host": "r1", "interface": "Gi0/1"}, 4242)]
    assert [s.value for s in families["oamkit_host_maintenance"].samples] == [1]
    status = families["oamkit_check_status"].samples[0]
    assert set(status.labels) == {"host", "interface", "rule"}   # no maintenance label
    assert status.value == 0
    assert not families["oamkit_interface_link_events"].samples   # unknown is absent, not 0


def test_an_internal_error_under_nagios_is_one_unknown_line(monkeypatch, capsys):
    """A bug must not look like CRITICAL (exit 2) or print nothing: a command that crashes."""
    import typer

    from oamkit import cli

    probe = typer.Typer()

    @probe.command()
    def crash(fmt: str = typer.Option("table", "--format")) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "app", probe)
    monkeypatch.setattr("sys.argv", ["oamkit", "--format", "nagios"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    out = capsys.readouterr()
    assert stopped.value.code == 3
    assert out.out == "OAMKIT UNKNOWN - internal error: RuntimeError: boom second line\n"
    assert "Traceback" in out.err
    monkeypatch.setattr("sys.argv", ["oamkit", "--format", "table"])
    with pytest.raises(RuntimeError):   # other formats: the traceback, as before
        cli.main()
