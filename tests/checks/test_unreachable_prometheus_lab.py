"""A host that stops answering keeps its interfaces' `oamkit_check_status` series in the
Prometheus output, UNKNOWN (3), so an alert on an interface does not resolve because the device
went quiet; no rate or counter series are made up for it."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.checks.test_check_lab import env, oamkit, pushed  # noqa: F401

HOST = "junos-1"


def _families(env, inventory) -> dict:
    result = oamkit(env, "check", "-i", str(inventory), "--format", "prometheus", "--output", "-",
                    "--timeout", "6")
    assert result.stdout, result.stderr
    return {f.name: f for f in text_string_to_metric_families(result.stdout)}


def _series(family, host=HOST) -> dict:
    return {(s.labels["interface"], s.labels["rule"]): s.value for s in family.samples
            if s.labels["host"] == host}


def test_a_hung_host_keeps_its_interface_series_as_unknown(lab, pushed, env):  # noqa: F811
    answering = _series(_families(env, pushed)["oamkit_check_status"])
    usual = {key for key in answering if key[0]}                   # the per-interface series
    assert {itf for itf, _ in usual} == {"ge-0/0/0", "ge-0/0/1"}, answering
    assert {"oam_session", "error_rate", "link_events"} <= {rule for _, rule in usual}

    lab.set_faults(HOST, hang=True)
    families = _families(env, pushed)
    hung = _series(families["oamkit_check_status"])
    assert hung[("", "reachable")] == 3
    assert {key for key in hung if key[0]} == usual, hung          # every series still there
    assert {hung[key] for key in usual} == {3.0}                   # ... as UNKNOWN
    assert hung[("", "config_drift")] == 3
    # nothing read, nothing measured: no rate, no new events, no counters for it
    assert "oamkit_interface_crc_errors" in families                 # the other hosts' counters
    for name in ("oamkit_crc_errors_per_second", "oamkit_link_events_new",
                 "oamkit_interface_crc_errors", "oamkit_interface_link_events"):
        assert name not in families or not _series(families[name]), name
    assert _series(families["oamkit_check_status"], "ios-1")[("GigabitEthernet0/1", "oam_session")] == 0


def test_a_hung_host_keeps_its_junit_testcases_as_errors(lab, pushed, env, tmp_path):  # noqa: F811
    """The same in JUnit: CI saw a hung host's interface testcases vanish (one `reachable`
    error left) instead of failing."""
    import xml.etree.ElementTree as ET

    def suite(path):
        done = oamkit(env, "check", "-i", str(pushed), "--limit", HOST, "--format", "junit",
                      "--output", str(path), "--timeout", "6")
        assert path.exists(), done.stdout + done.stderr
        root = ET.parse(path).getroot()
        (only,) = root.iter("testsuite")
        assert root.get("tests") == only.get("tests") == str(len(only.findall("testcase")))
        return root, only

    _, answering = suite(tmp_path / "answering.xml")
    usual = {case.get("name") for case in answering.iter("testcase")}
    assert {"ge-0/0/0: oam_session", "ge-0/0/1: error_rate"} <= usual, usual
    lab.set_faults(HOST, hang=True)
    root, hung = suite(tmp_path / "hung.xml")
    cases = {case.get("name"): case for case in hung.iter("testcase")}
    assert usual <= set(cases), usual - set(cases)                  # every testcase still there
    for name in usual:
        error = cases[name].find("error")
        assert error is not None and error.get("type") == "UNKNOWN", name
    assert cases["ge-0/0/0: oam_session"].find("error").get("message").startswith("not read: ")
    assert hung.get("errors") == root.get("errors") == str(len(cases))
