"""`oamkit collect` against the lab over real SSH: snapshots in SQLite, every platform."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def oamkit(env, *args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=180)


def test_collect_stores_counters_and_oam_state_for_every_platform(lab, lab_inventory, env, tmp_path):
    # --confirm-timeout: the lab's 1/100 timers would make IOS's revert timer 1.2 s
    assert oamkit(env, "push", "-i", str(lab_inventory), "--json",
                  "--confirm-timeout", "3600").returncode == 0
    crc_if = {"ios-1": "GigabitEthernet0/1", "xr-1": "GigabitEthernet0/0/0/0",
              "junos-1": "ge-0/0/0", "vrp-1": "GigabitEthernet0/1/0"}
    for name, interface in crc_if.items():
        lab.inject_errors(name, interface, burst_crc=1234)
    # The lab logs a link event when a monitor window closes (as devices do): wait for every
    # device's window to close before collecting, bounded, instead of racing it.
    end = time.monotonic() + 15
    for name, interface in crc_if.items():
        device = lab.device(name)
        while not any(e.interface == interface for e in device.event_log) and time.monotonic() < end:
            device.tick()
            time.sleep(0.1)
    db = tmp_path / "h.sqlite"
    before = time.time()
    result = oamkit(env, "collect", "-i", str(lab_inventory), "--db", str(db), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert {h["host"]: h["outcome"] for h in report["hosts"]} == dict.fromkeys(crc_if, "ok")
    assert all(h["role_errors"] == {} for h in report["hosts"]), report
    con = sqlite3.connect(db)
    rows = {(host, interface): (crc, events, state)
            for host, interface, crc, events, state in con.execute(
                "SELECT host, interface, crc_errors, link_events, discovery_state FROM interfaces")}
    for name, interface in crc_if.items():
        crc, events, state = rows[(name, interface)]
        assert crc == 1234, (name, rows[(name, interface)])
        assert events >= 1 and state == "operational"
    ts, taken_at = con.execute("SELECT ts, taken_at FROM snapshots LIMIT 1").fetchone()
    assert before - 1 <= ts <= time.time() and taken_at.endswith("+00:00")
    xr_events = con.execute("SELECT event_type, location FROM link_events WHERE host='xr-1'").fetchall()
    assert ("frame", "local") in xr_events


def test_an_unreachable_host_is_recorded_as_failed_and_the_rest_collected(lab, lab_inventory, env, tmp_path):
    lab.set_faults("vrp-1", refuse_auth=True)
    db = tmp_path / "h.sqlite"
    result = oamkit(env, "collect", "-i", str(lab_inventory), "--db", str(db), "--json")
    assert result.returncode == 1
    outcome = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert outcome["vrp-1"]["outcome"] == "error" and "authentication" in outcome["vrp-1"]["error"]
    assert {outcome[n]["outcome"] for n in ("ios-1", "xr-1", "junos-1")} == {"ok"}
    con = sqlite3.connect(db)
    assert con.execute("SELECT ok, error FROM snapshots WHERE host='vrp-1'").fetchone()[0] == 0
    assert lab.password not in result.stdout + result.stderr
