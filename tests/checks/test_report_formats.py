"""Every output format is made from the one result model and agrees with it."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from prometheus_client.parser import text_string_to_metric_families

from oamkit.checks import CheckResult, HostCheck
from oamkit.report import CheckReport
from oamkit.report import formats


def report(*, with_critical=True):
    r1 = HostCheck("r1", "cisco_ios", "", results=[
        CheckResult("r1", None, "config_drift", "OK", "matches"),
        CheckResult("r1", "Gi0/1", "error_rate",
                    "CRITICAL" if with_critical else "OK",
                    "frame: the high threshold of 10 in 1 s would have fired | pipe",
                    {"crc_per_s": 200.5}),
        CheckResult("r1", "Gi0/2", "link_events", "WARNING" if with_critical else "OK",
                    "2 new link event(s)", {"link_events_new": 2}),
    ]).finish()
    r2 = HostCheck("r2", "cisco_xr", "", error="no answer", results=[
        CheckResult("r2", None, "reachable", "UNKNOWN", "cannot read the device")]).finish()
    r3 = HostCheck("r3", "huawei_vrp", "", maintenance={"kind": "maintenance", "reason": "x"},
                   results=[CheckResult("r3", None, "maintenance", "MAINTENANCE", "x")]).finish()
    return CheckReport([r1, r2, r3], 1000.0, 1002.5)


def test_overall_status_and_exit_codes():
    rep = report()
    assert rep.status == "CRITICAL"
    assert (rep.exit_code(nagios=True), rep.exit_code(nagios=False)) == (2, 1)
    only_unknown = report(with_critical=False)
    assert only_unknown.status == "UNKNOWN"
    assert only_unknown.exit_code(nagios=True) == 3
    quiet = CheckReport([only_unknown.hosts[0], only_unknown.hosts[2]], 0, 1)
    assert quiet.status == "OK" and quiet.exit_code(nagios=True) == 0   # maintenance never alerts


def test_json_holds_every_result():
    data = json.loads(formats.to_json(report()))
    assert data["status"] == "CRITICAL" and data["nagios_code"] == 2
    assert sum(len(h["results"]) for h in data["hosts"]) == 5
    assert data["hosts"][2]["status"] == "MAINTENANCE"


def test_junit_failures_errors_and_skips():
    root = ET.fromstring(formats.junit(report()))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["r1"].get("failures") == "2"
    assert suites["r2"].get("errors") == "1"
    assert suites["r3"].get("skipped") == "1"
    names = [c.get("name") for c in suites["r1"].iter("testcase")]
    assert "Gi0/1: error_rate" in names


def test_junit_root_totals_are_the_sums_of_its_suites():
    rep = report()
    rep.hosts[0].seconds, rep.hosts[1].seconds = 1.25, 30.0004
    root = ET.fromstring(formats.junit(rep))
    suites = list(root.iter("testsuite"))
    assert len(suites) == 3
    for key in ("tests", "failures", "errors"):
        assert root.get(key) == str(sum(int(s.get(key)) for s in suites)), key
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) \
        == ("5", "2", "1", None)
    assert float(root.get("time")) == pytest.approx(sum(float(s.get("time")) for s in suites))
    assert root.get("time") == "31.250"


def test_junit_has_what_strict_schemas_require():
    import re

    rep = report()
    rep.hosts[0].taken_at = "2026-03-01T10:20:30+00:00"     # r1 was read then; r2 never was
    root = ET.fromstring(formats.junit(rep))
    assert root.tag == "testsuites"
    assert set(root.attrib) == {"name", "tests", "failures", "errors", "time"}   # junit-10.xsd: no skipped here
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    for name, suite in suites.items():
        assert suite.get("hostname") == name
        # the JUnit XSD's pattern: ISO 8601 without a time zone
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp")), suite.attrib
        for case in suite.iter("testcase"):
            assert float(case.get("time")) >= 0, case.attrib
    assert suites["r1"].get("timestamp") == "2026-03-01T10:20:30"
    assert suites["r2"].get("timestamp") == "1970-01-01T00:16:40"   # the check's start


def test_nagios_is_one_status_line_with_perfdata_then_long_output():
    lines = formats.nagios(report()).splitlines()
    head, perf = lines[0].split(" | ")
    assert head.startswith("OAMKIT CRITICAL - 3 problem(s)")
    assert "|" not in head[len("OAMKIT CRITICAL"):]      # a pipe in a message must not cut perfdata
    assert "critical=1" in perf and "warning=1" in perf and "unknown=1" in perf
    assert "maintenance=1" in perf
    assert "'r1/Gi0/1_crc'=200.5" in perf
    assert len(lines) == 1 + 3


def test_prometheus_textfile_parses(tmp_path):
    path = tmp_path / "oamkit.prom"
    formats.prometheus(report(), path)
    families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    status = {(s.labels["host"], s.labels["interface"], s.labels["rule"]): s.value
              for s in families["oamkit_check_status"].samples}
    assert status[("r1", "Gi0/1", "error_rate")] == 2
    assert status[("r2", "", "reachable")] == 3
    assert families["oamkit_check_overall_status"].samples[0].value == 2
    crc = families["oamkit_crc_errors_per_second"].samples[0]
    assert crc.labels == {"host": "r1", "interface": "Gi0/1"} and crc.value == 200.5
