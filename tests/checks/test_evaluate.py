"""Rules on synthetic snapshots (no device): statuses, severities, UNKNOWN rather than OK."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from oamkit import checks
from oamkit.checks import Rules, evaluate
from oamkit.history import History, InterfaceSample, Snapshot
from oamkit.inventory import Inventory
from oamkit.render import plan_hosts

POLICIES = Path(__file__).resolve().parents[2] / "inventories" / "example" / "policies"
IFS = ("GigabitEthernet0/1", "GigabitEthernet0/2")


def plan_for(tmp_path, host: str, platform: str, policy: str, interfaces):
    """The plan of one host on the example policies, at 1G."""
    folder = tmp_path / "inv"
    folder.mkdir()
    shutil.copytree(POLICIES, folder / "policies")
    (folder / "hosts.yaml").write_text(yaml.safe_dump({host: {
        "hostname": "127.0.0.1", "platform": platform,
        "data": {"oam": {"policy": policy, "speed": "1G", "interfaces": {i: {} for i in interfaces}}}}}))
    inv = Inventory.load(folder)
    return plan_hosts(inv, list(inv.hosts.values()))[0]


@pytest.fixture
def plan(tmp_path):
    return plan_for(tmp_path, "r1", "cisco_ios", "lab-ios", IFS)


@pytest.fixture
def history(tmp_path):
    with History(tmp_path / "h.db") as h:
        yield h


def snapshot(ts, crc=0, events=0, state="operational", monitoring=True, role_errors=None,
             interfaces=IFS):
    snap = Snapshot("r1", "cisco_ios", ts, ok=True, role_errors=role_errors or {})
    for name in interfaces:
        snap.interfaces[name] = InterfaceSample(name, crc_errors=crc if name == IFS[0] else 0,
                                                link_events=events, discovery_state=state,
                                                link_monitoring=monitoring)
    return snap


def results(plan, history, snaps, rules=None, drift=None):
    for s in snaps:
        history.store(s)
    out = evaluate(plan, snaps[-1], history, rules or Rules(), dict(drift or {}))
    return {(r.interface, r.rule): r for r in out}


def test_all_ok(plan, history):
    found = results(plan, history, [snapshot(0), snapshot(60)])
    assert {r.status for r in found.values()} == {"OK"}
    assert found[(None, "config_drift")].status == "OK"


def test_rate_under_the_low_threshold_is_ok_and_over_high_is_critical(plan, history):
    # lab-ios: frame window 1 s, low 1, high 10; receive_crc 10 s, low 3000, high 5000
    # and frame_seconds 60 s, low 1: one errored second a minute is already a warning, and a
    # single error is an errored second (its low threshold fires, however long the interval)
    found = results(plan, history, [snapshot(0, crc=0), snapshot(900, crc=0)])
    assert found[(IFS[0], "error_rate")].status == "OK"
    found = results(plan, history, [snapshot(1000, crc=1)])                        # 0.01/s
    r = found[(IFS[0], "error_rate")]
    assert r.status == "WARNING" and "frame_seconds: the low threshold of 1" in r.message
    found = results(plan, history, [snapshot(1100, crc=31)])                       # 0.3/s
    r = found[(IFS[0], "error_rate")]
    assert r.status == "WARNING" and "frame_seconds" in r.message
    found = results(plan, history, [snapshot(1200, crc=31 + 600 * 100)])          # 600/s
    r = found[(IFS[0], "error_rate")]
    assert r.status == "CRITICAL"
    assert "receive_crc: at 600/s (6,000 errored frames per 10 s) the high threshold of 5000" in r.message
    assert found[(IFS[1], "error_rate")].status == "OK"


def test_severities_come_from_the_rules(plan, history):
    rules = Rules.model_validate({"error_rate": {"high": "warning"}, "oam_session": {"severity": "warning"}})
    found = results(plan, history, [snapshot(0), snapshot(10, crc=200, state="link-fault")], rules)
    assert found[(IFS[0], "error_rate")].status == "WARNING"
    assert found[(IFS[0], "oam_session")].status == "WARNING"


def test_disabled_rules_produce_no_result(plan, history):
    rules = Rules.model_validate({"config_drift": {"enabled": False}, "link_events": {"enabled": False}})
    found = results(plan, history, [snapshot(0), snapshot(10)], rules)
    assert (None, "config_drift") not in found
    assert not any(rule == "link_events" for _, rule in found)


def test_a_single_sample_gives_no_rate_and_says_so(plan, history):
    found = results(plan, history, [snapshot(0, crc=5)])
    r = found[(IFS[0], "error_rate")]
    assert r.status == "UNKNOWN" and "only one readable sample" in r.message


def test_drift_is_critical_for_the_interface_at_fault_and_unread_config_is_unknown(plan, history):
    lines = [f"interface {IFS[0]}", "ethernet oam link-monitor frame threshold high 10", "exit"]
    found = results(plan, history, [snapshot(0)], drift={IFS[0]: lines})
    bad = found[(IFS[0], "config_drift")]
    assert bad.status == "CRITICAL" and "frame threshold high 10" in bad.message
    assert bad.perfdata["drift_lines"] == 3
    assert (None, "config_drift") not in found and (IFS[1], "config_drift") not in found
    # a profile that differs is the host's (shared) drift, named as such
    found = results(plan, history, [snapshot(1)], drift={None: ["no template OAMKIT-X"]})
    assert found[(None, "config_drift")].status == "CRITICAL"
    assert "shared" in found[(None, "config_drift")].message
    out = evaluate(plan, snapshot(5), history, Rules(), None, "ParseError: x")
    drift = [r for r in out if r.rule == "config_drift"][0]
    assert drift.status == "UNKNOWN" and "ParseError" in drift.message


def test_output_that_does_not_parse_is_unknown_never_ok(plan, history):
    errors = {"oam_session": "'show ethernet oam discovery': line 3: truncated?"}
    snap = snapshot(0, state=None, role_errors=errors)
    found = results(plan, history, [snap])
    r = found[(IFS[0], "oam_session")]
    assert r.status == "UNKNOWN" and "truncated" in r.message


def test_interface_missing_on_the_device(plan, history):
    found = results(plan, history, [snapshot(0, interfaces=IFS[:1])])
    assert found[(IFS[1], "interface_present")].status == "CRITICAL"
    unread = snapshot(1, interfaces=IFS[:1], role_errors={"counters": "'show interfaces': bad"})
    found = results(plan, history, [unread])
    assert found[(IFS[1], "interface_present")].status == "UNKNOWN"


def test_link_events_since_the_last_check_and_across_a_reset(plan, history):
    history.mark_checked("r1", IFS[0], 0, 4)
    history.mark_checked("r1", IFS[1], 0, 4)
    found = results(plan, history, [snapshot(10, events=6)])
    assert found[(IFS[0], "link_events")].status == "WARNING"
    assert found[(IFS[0], "link_events")].perfdata == {"link_events_new": 2}
    history.mark_checked("r1", IFS[0], 10, 6)
    found = results(plan, history, [snapshot(20, events=1)])   # event counters cleared, then 1
    r = found[(IFS[0], "link_events")]
    assert r.status == "WARNING" and r.perfdata["link_events_new"] == 1 and "reset" in r.message


def test_link_monitoring_off_warns_and_unknown_without_config_proof(plan, history):
    found = results(plan, history, [snapshot(0, monitoring=False)])
    assert found[(IFS[0], "link_monitoring")].status == "WARNING"
    out = evaluate(plan, snapshot(1, monitoring=None), history, Rules(), None, "unreadable")
    lm = [r for r in out if r.rule == "link_monitoring"]
    assert {r.status for r in lm} == {"UNKNOWN"}
    found = results(plan, history, [snapshot(2, monitoring=None)], drift=[])
    assert found[(IFS[0], "link_monitoring")].status == "OK"


def test_host_status_is_the_worst_result():
    assert checks.worst(["OK", "UNKNOWN", "WARNING"]) == "WARNING"
    assert checks.worst(["OK", "UNKNOWN"]) == "UNKNOWN"
    assert checks.worst(["CRITICAL", "WARNING"]) == "CRITICAL"
    assert checks.worst(["MAINTENANCE"]) == "MAINTENANCE"


def test_a_sample_taken_right_before_is_skipped_for_the_rate(plan, history):
    found = results(plan, history, [snapshot(0, crc=0), snapshot(100, crc=100), snapshot(100.2, crc=101)])
    r = found[(IFS[0], "error_rate")]
    assert r.perfdata["interval_s"] == pytest.approx(100.2)   # not the 0.2 s pair
