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
