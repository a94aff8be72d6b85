"""The `thresholds` rule (issue #21 item 4): a threshold the link can never reach at its speed,
or a high threshold without an action, is a WARNING finding per interface (from the policy
alone), visible in every output format."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from oamkit.checks import HostCheck, Rules, evaluate
from oamkit.history import History, InterfaceSample, Snapshot
from oamkit.inventory import Inventory
from oamkit.render import plan_hosts
from oamkit.report import CheckReport
from oamkit.report import formats

POLICIES = Path(__file__).resolve().parents[2] / "inventories" / "example" / "policies"
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema" / "check.schema.json"
IF = "GigabitEthernet0/0/0/1"
# IOS-XR takes a high threshold up to 2^32-1; a 1G link carries 1,488,095 frames a second
NEVER = {"never-fires": {"link_monitor": {
    "frame": {"window": "1s", "low": 1, "high": 2_000_000}},
    "high_threshold_action": "error-disable-interface"}}
NO_ACTION = {"no-action": {"link_monitor": {"frame": {"window": "1s", "low": 1, "high": 10}}}}


def plan_for(tmp_path, policy: str, platform: str = "cisco_xr", speed: str = "1G",
             interface: str = IF):
    folder = tmp_path / "inv"
    folder.mkdir(exist_ok=True)
    if not (folder / "policies").exists():
        shutil.copytree(POLICIES, folder / "policies")
        (folder / "policies" / "extra.yaml").write_text(yaml.safe_dump({**NEVER, **NO_ACTION}))
    (folder / "hosts.yaml").write_text(yaml.safe_dump({"r1": {
        "hostname": "127.0.0.1", "platform": platform,
        "data": {"oam": {"policy": policy, "speed": speed, "interfaces": {interface: {}}}}}}))
    inv = Inventory.load(folder)
    return plan_hosts(inv, list(inv.hosts.values()))[0]


def judged(plan, tmp_path, rules=None):
    snap = Snapshot("r1", plan.platform.name, 100.0, ok=True)
    name = plan.interfaces[0].intent.interface
    snap.interfaces[name] = InterfaceSample(name, crc_errors=0, link_events=0,
                                            discovery_state="operational", link_monitoring=True)
    with History(tmp_path / "h.db") as history:
        history.store(snap)
        out = evaluate(plan, snap, history, rules or Rules(), {})
    return out, {(r.interface, r.rule): r for r in out}


def test_a_high_threshold_above_what_the_link_carries_is_a_warning(tmp_path):
    out, found = judged(plan_for(tmp_path, "never-fires"), tmp_path)
    r = found[(IF, "thresholds")]
    assert r.status == "WARNING"
    assert r.message == ("frame: high 2000000 > 1488095 frames the 1G link can carry in "
                         "1s: never fires")
    assert r.perfdata == {"thresholds_never_firing": 1}


def test_the_same_threshold_fits_a_10g_link(tmp_path):
    _, found = judged(plan_for(tmp_path, "never-fires", speed="10G",
                               interface="TenGigE0/0/0/1"), tmp_path)
    r = found[("TenGigE0/0/0/1", "thresholds")]
    assert r.status == "OK" and r.message == "every threshold can fire at 10G"


def test_a_high_threshold_without_action_is_a_warning_and_log_is_said(tmp_path):
    _, found = judged(plan_for(tmp_path, "no-action"), tmp_path)
    r = found[(IF, "thresholds")]
    assert r.status == "WARNING"
    assert r.message == "high threshold has no action: link stays up while degraded"
    # lab-xr chose `log`: not warned, but the OK result says what it means
    _, found = judged(plan_for(tmp_path, "lab-xr"), tmp_path)
    r = found[(IF, "thresholds")]
    assert r.status == "OK" and "high thresholds only log" in r.message
    assert "link stays up while degraded" in r.message


def test_severity_and_switch_come_from_the_rules_file(tmp_path):
    plan = plan_for(tmp_path, "never-fires")
    _, found = judged(plan, tmp_path, Rules.model_validate({"thresholds": {"severity": "critical"}}))
    assert found[(IF, "thresholds")].status == "CRITICAL"
    _, found = judged(plan, tmp_path, Rules.model_validate({"thresholds": {"enabled": False}}))
    assert (IF, "thresholds") not in found


@pytest.fixture
def report(tmp_path):
    out, _ = judged(plan_for(tmp_path, "never-fires"), tmp_path)
    host = HostCheck("r1", "cisco_xr", "OK", results=out).finish()
    return CheckReport([host], started=0.0, finished=1.0)


def test_the_warning_shows_in_json_junit_and_nagios(report):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(formats.to_json(report))
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()),
                                    format_checker=jsonschema.FormatChecker()).validate(data)
    [r] = [r for h in data["hosts"] for r in h["results"] if r["rule"] == "thresholds"]
    assert r["status"] == "WARNING" and "never fires" in r["message"]
    assert data["status"] == "WARNING"
    junit = formats.junit(report)
    assert f'name="{IF}: thresholds"' in junit and 'type="WARNING"' in junit
    assert "2000000 &gt; 1488095 frames" in junit
    nagios = formats.nagios(report)
    # worst first: the WARNING leads; the other problem is the UNKNOWN rate (one sample)
    assert nagios.startswith("OAMKIT WARNING - 2 problem(s); WARNING r1 "
                             f"{IF} thresholds: frame: high 2000000")
    assert f"WARNING: r1 {IF} thresholds: frame: high 2000000 > 1488095" in nagios
