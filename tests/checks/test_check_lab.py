"""`oamkit collect` / `check` / `maintenance` against the lab over real SSH (netmiko)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def oamkit(env, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def check_json(env, inventory, *extra):
    result = oamkit(env, "check", "-i", str(inventory), "--format", "json", *extra)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def by_interface(report, host):
    (entry,) = [h for h in report["hosts"] if h["host"] == host]
    out: dict = {}
    for r in entry["results"]:
        out.setdefault(r["interface"], {})[r["rule"]] = r
    return entry, out


@pytest.fixture
def pushed(env, lab_inventory):
    # The lab runs timers at 1/100 speed: IOS's 2-minute revert timer would be 1.2 s, which a
    # push of four hosts at once can outlast; these tests are about checks, not that race.
    result = oamkit(env, "push", "-i", str(lab_inventory), "--json", "--confirm-timeout", "3600")
    assert result.returncode == 0, result.stdout + result.stderr
    return lab_inventory


def test_crc_errors_make_that_interface_critical_then_maintenance_makes_it_ok(lab, pushed, env):
    lab.inject_errors("ios-1", "GigabitEthernet0/1", crc_per_second=200)
    for _ in range(2):
        result = oamkit(env, "collect", "-i", str(pushed), "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        time.sleep(1.0)
    code, report = check_json(env, pushed)
    assert code == 1
    assert report["status"] == "CRITICAL"
    bad = [(r["host"], r["interface"], r["rule"], r["status"]) for h in report["hosts"]
           for r in h["results"] if r["status"] in ("CRITICAL", "WARNING", "UNKNOWN")]
    # only the injected interface alerts; its CRC rate breaks the frame high threshold (10 in 1 s)
    assert {(h, i) for h, i, _, _ in bad} == {("ios-1", "GigabitEthernet0/1")}, bad
    _, ios = by_interface(report, "ios-1")
    rate = ios["GigabitEthernet0/1"]["error_rate"]
    assert rate["status"] == "CRITICAL"
    assert "would have fired" in rate["message"]
    assert rate["perfdata"]["crc_per_s"] > 50
    assert ios["GigabitEthernet0/2"]["error_rate"]["status"] == "OK"
    assert ios["GigabitEthernet0/2"]["oam_session"]["status"] == "OK"

    nagios = oamkit(env, "check", "-i", str(pushed), "--format", "nagios")
    assert nagios.returncode == 2, nagios.stdout + nagios.stderr
    assert nagios.stdout.startswith("OAMKIT CRITICAL - ")
    assert "|" in nagios.stdout.splitlines()[0]

    added = oamkit(env, "maintenance", "add", "ios-1", "-i", str(pushed), "--until", "2h",
                   "--reason", "optics swap CHG-42")
    assert added.returncode == 0, added.stderr
    code, report = check_json(env, pushed)
    assert code == 0, report
    assert report["status"] == "OK"
    entry, _ = by_interface(report, "ios-1")
    assert entry["status"] == "MAINTENANCE"
    assert "optics swap CHG-42" in entry["results"][0]["message"]
    nagios = oamkit(env, "check", "-i", str(pushed), "--format", "nagios")
    assert nagios.returncode == 0 and nagios.stdout.startswith("OAMKIT OK"), nagios.stdout


def test_unreachable_hosts_are_unknown_not_ok(lab, pushed, env):
    lab.stop()
    code, report = check_json(env, pushed, "--timeout", "5")
    assert code == 1
    assert {h["status"] for h in report["hosts"]} == {"UNKNOWN"}
    nagios = oamkit(env, "check", "-i", str(pushed), "--format", "nagios", "--timeout", "5")
    assert nagios.returncode == 3, nagios.stdout


def test_peer_down_is_critical_for_that_interface(lab, pushed, env):
    lab.set_peer_state("xr-1", "GigabitEthernet0/0/0/1", "down")
    code, report = check_json(env, pushed)
    assert code == 1
    _, xr = by_interface(report, "xr-1")
    assert xr["GigabitEthernet0/0/0/1"]["oam_session"]["status"] == "CRITICAL"
    assert xr["GigabitEthernet0/0/0/0"]["oam_session"]["status"] == "OK"


def test_a_hung_device_is_unknown_within_its_deadline_and_the_rest_are_checked(lab, pushed, env):
    lab.set_faults("junos-1", hang=True)
    code, report = check_json(env, pushed, "--timeout", "6")   # pytest-timeout bounds the run
    hosts = {h["host"]: h for h in report["hosts"]}
    assert hosts["junos-1"]["status"] == "UNKNOWN"
    assert [r["rule"] for r in hosts["junos-1"]["results"]] == ["reachable"]
    for name in ("ios-1", "xr-1", "vrp-1"):   # read and judged (a first check has no rate yet)
        rules = {r["rule"]: r["status"] for r in hosts[name]["results"]}
        assert rules["config_drift"] == "OK" and rules["error_rate"] == "UNKNOWN", hosts[name]
    assert code == 1


def test_new_link_events_warn_once_then_clear(lab, pushed, env):
    code, report = check_json(env, pushed)          # first check: baseline
    assert all(r["status"] == "OK" for h in report["hosts"] for r in h["results"]
               if r["rule"] == "link_events"), report
    device = lab.device("vrp-1")
    logged = len(device.event_log)
    lab.inject_errors("vrp-1", "GigabitEthernet0/1/1", burst_crc=5)   # logs one link event
    # ...when its 1 s window ends, as on real gear: a check inside that window sees nothing yet.
    # The lab's clock moves when a device is asked (tick), so the test moves it while it waits.
    until = time.monotonic() + 10
    while not any(e.type == "Frame" for e in device.event_log[logged:]) and time.monotonic() < until:
        time.sleep(0.1)
        device.tick()
    _, report = check_json(env, pushed)
    _, vrp = by_interface(report, "vrp-1")
    assert vrp["GigabitEthernet0/1/1"]["link_events"]["status"] == "WARNING"
    # the lab's monitor logs one Errored Frame event per elapsed window holding enough errors
    assert vrp["GigabitEthernet0/1/1"]["link_events"]["perfdata"]["link_events_new"] >= 1
    assert vrp["GigabitEthernet0/1/0"]["link_events"]["status"] == "OK"
    _, report = check_json(env, pushed)             # nothing new since that check
    _, vrp = by_interface(report, "vrp-1")
    assert vrp["GigabitEthernet0/1/1"]["link_events"]["status"] == "OK"


def test_cleared_counters_are_not_an_alarm(lab, pushed, env):
    device = lab.device("xr-1")
    with device.lock:
        device.interfaces["GigabitEthernet0/0/0/0"].counters.update(crc=900_000, input_errors=900_000)
    assert oamkit(env, "collect", "-i", str(pushed), "--limit", "xr-1").returncode == 0
    with device.lock:   # `clear counters`
        device.interfaces["GigabitEthernet0/0/0/0"].counters.update(crc=0, input_errors=0)
    # a rate needs two samples at least the rules' min_interval (1 s) apart; a fast check
    # right after the collect would be UNKNOWN ("too close"), not what this test is about
    time.sleep(1.0)
    code, report = check_json(env, pushed, "--limit", "xr-1")
    _, xr = by_interface(report, "xr-1")
    rate = xr["GigabitEthernet0/0/0/0"]["error_rate"]
    assert rate["status"] == "OK", rate
    assert "cleared" in rate["message"]
    assert rate["perfdata"]["crc_per_s"] == 0


def test_drift_on_one_host_is_reported_for_that_host(lab, pushed, env):
    result = oamkit(env, "push", "-i", str(pushed), "--limit", "ios-1", "--json",
                    "--confirm-timeout", "3600")
    assert result.returncode == 0
    def drop(tree):
        tree.delete(["interface GigabitEthernet0/2", "ethernet oam link-monitor frame threshold high 10"])
    lab.call(lab.device("ios-1").apply_running, drop)
    code, report = check_json(env, pushed, "--limit", "ios-1,xr-1")
    drift = {h["host"]: [r for r in h["results"] if r["rule"] == "config_drift"] for h in report["hosts"]}
    # named for the interface at fault, not the whole host
    (ios,) = drift["ios-1"]
    assert ios["status"] == "CRITICAL" and ios["interface"] == "GigabitEthernet0/2", drift
    assert "frame threshold high" in ios["message"]
    assert [(r["interface"], r["status"]) for r in drift["xr-1"]] == [(None, "OK")]


def test_bad_rules_file_contacts_no_device(lab, pushed, env, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("oam_session: {severity: page-me}\n")
    before = {n: len(d.transcript) for n, d in lab.devices.items()}
    result = oamkit(env, "check", "-i", str(pushed), "--rules", str(rules))
    assert result.returncode == 2
    assert "oam_session.severity" in result.stderr
    assert {n: len(d.transcript) for n, d in lab.devices.items()} == before


def test_junit_and_prometheus_outputs_from_the_cli(lab, pushed, env, tmp_path):
    import xml.etree.ElementTree as ET

    from prometheus_client.parser import text_string_to_metric_families

    lab.set_peer_state("ios-1", "GigabitEthernet0/1", "down")
    junit = oamkit(env, "check", "-i", str(pushed), "--format", "junit")
    assert junit.returncode == 1
    root = ET.fromstring(junit.stdout)
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert "GigabitEthernet0/1: oam_session" in failed
    prom = tmp_path / "oamkit.prom"
    result = oamkit(env, "check", "-i", str(pushed), "--format", "prometheus", "--output", str(prom))
    assert result.returncode == 1
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    values = {(s.labels["host"], s.labels["interface"], s.labels["rule"]): s.value
              for s in families["oamkit_check_status"].samples}
    assert values[("ios-1", "GigabitEthernet0/1", "oam_session")] == 2
    assert values[("ios-1", "GigabitEthernet0/2", "oam_session")] == 0


def test_maintenance_cli_add_by_filter_list_and_remove(lab, lab_inventory, env):
    added = oamkit(env, "maintenance", "add", "-i", str(lab_inventory), "--filter",
                   "platform=cisco_xr", "--until", "30m", "--reason", "xr upgrade", "--json")
    assert added.returncode == 0, added.stderr
    window = json.loads(added.stdout)
    assert window["hosts"] == ["xr-1"] and window["reason"] == "xr upgrade"
    listed = json.loads(oamkit(env, "maintenance", "list", "--json").stdout)
    assert [w["id"] for w in listed] == [window["id"]]
    bad = oamkit(env, "maintenance", "add", "nosuch-1", "-i", str(lab_inventory), "--until", "1h",
                 "--reason", "typo")
    assert bad.returncode == 2 and "unknown host" in bad.stderr
    removed = oamkit(env, "maintenance", "remove", window["id"])
    assert removed.returncode == 0
    assert json.loads(oamkit(env, "maintenance", "list", "--json").stdout) == []


def test_overlapping_windows_report_when_the_host_is_really_released(lab, lab_inventory, env):
    first = oamkit(env, "maintenance", "add", "ios-1", "-i", str(lab_inventory), "--until", "2h",
                   "--reason", "optics swap", "--json")
    later = oamkit(env, "maintenance", "add", "ios-1", "-i", str(lab_inventory), "--until", "3d",
                   "--reason", "fibre works", "--json")
    assert first.returncode == 0 and later.returncode == 0, first.stderr + later.stderr
    released = json.loads(later.stdout)["until"]
    _, report = check_json(env, lab_inventory, "--limit", "ios-1")
    (host,) = report["hosts"]
    held = [r for r in host["results"] if r["rule"] == "maintenance"][0]["message"]
    assert "optics swap" in held and "fibre works" in held
    junit = oamkit(env, "check", "-i", str(lab_inventory), "--limit", "ios-1", "--format", "junit")
    assert junit.stdout.count("fibre works") >= 1, junit.stdout
    assert datetime.fromisoformat(host["maintenance"]["until"]) == \
        datetime.fromisoformat(released.replace("Z", "+00:00")).replace(microsecond=0)


def test_check_names_a_maintenance_file_holding_null_not_an_internal_error(lab, lab_inventory, env):
    state = Path(env["OAMKIT_STATE_DIR"])
    state.mkdir(parents=True, exist_ok=True)
    (state / "maintenance.json").write_text("null")
    nagios = oamkit(env, "check", "-i", str(lab_inventory), "--format", "nagios")
    assert nagios.returncode == 3, nagios.stdout + nagios.stderr
    said = " ".join((nagios.stdout + nagios.stderr).split())
    assert "maintenance file is damaged: it holds null" in said and "internal error" not in said
