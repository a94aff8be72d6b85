"""64-bit counters of 2^63 and more (and values that are not counters) through `oamkit check`
over real SSH against the lab: stored exactly, judged, never the host's failure."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from oamkit.history import History
from tests.checks.history_run import check_host

HOST, ITF = "vrp-1", "GigabitEthernet0/1/1"


def _check(env, inventory, db):
    _, rules = check_host(env, inventory, db, HOST)
    assert (None, "reachable") not in rules, rules.get((None, "reachable"))
    return rules


def _env(lab, tmp_path):
    return {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def test_a_counter_of_2_63_or_more_is_stored_exactly_and_judged(lab, lab_inventory, tmp_path):
    env, db = _env(lab, tmp_path), tmp_path / "big.sqlite"
    lab.inject_errors(HOST, ITF, burst_crc=2**63 + 5)
    first = _check(env, lab_inventory, db)
    assert first[(ITF, "error_rate")]["status"] == "UNKNOWN"   # one sample: no rate yet
    assert first[(ITF, "thresholds")]["status"] == "OK"   # the host's other rules judged
    time.sleep(1.2)   # past error_rate.min_interval (1 s)
    lab.inject_errors(HOST, ITF, burst_crc=3)
    second = _check(env, lab_inventory, db)
    rate = second[(ITF, "error_rate")]
    assert rate["perfdata"].get("crc_per_s", 0) > 0, rate["message"]
    assert "cleared" not in rate["message"] and "wrapped" not in rate["message"]
    with History(db) as history:
        values = [s["crc_errors"] for s in history.samples(HOST, ITF)]
    assert values == [2**63 + 5, 2**63 + 8]


def test_a_value_of_2_64_or_more_is_named_out_of_range_not_no_counter(lab, lab_inventory, tmp_path):
    # The device (or garbled output) shows a CRC count no 64-bit counter can hold: the check
    # and collect name the host, the interface and the value and say it is out of range; the
    # rate is not skipped as if the device showed no CRC counter. The host is still read.
    env, db = _env(lab, tmp_path), tmp_path / "huge.sqlite"
    lab.inject_errors(HOST, ITF, burst_crc=2**64 + 1)
    for _ in range(2):
        rules = _check(env, lab_inventory, db)
    rate = rules[(ITF, "error_rate")]
    assert rate["status"] == "UNKNOWN"
    assert "no CRC counter" not in rate["message"], rate["message"]
    assert rate["message"].startswith(f"host {HOST}: interface {ITF}: crc_errors "
                                      f"{2**64 + 1} is out of the 64-bit counter range"), rate["message"]
    assert rules[(ITF, "thresholds")]["status"] == "OK"
    collected = subprocess.run([sys.executable, "-m", "oamkit.cli", "collect", "-i",
                                str(lab_inventory), "--limit", HOST, "--db", str(db), "--json"],
                               capture_output=True, text=True, env=env, timeout=180)
    (host,) = json.loads(collected.stdout)["hosts"]
    assert host["outcome"] == "ok", host
    assert any(f"interface {ITF}: crc_errors {2**64 + 1} is out of the 64-bit counter range" in p
               for p in host["counter_problems"]), host
    with History(db) as history:   # never stored as a value: no rate is taken across it
        assert {s["crc_errors"] for s in history.samples(HOST, ITF)} == {None}
