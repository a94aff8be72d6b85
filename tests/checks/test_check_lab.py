"""`oamkit collect` / `check` / `maintenance` against the lab over real SSH (netmiko)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

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
    result = oamkit(env, "push", "-i", str(lab_inventory), "--json")
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


def test_unreachable_host_is_unknown_not_ok(lab, pushed, env):
    lab.set_faults("junos-1", hang_on_connect=True) if hasattr(lab.device("junos-1").faults, "hang_on_connect") else None
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
