"""A counter clear the uptime does not show (the lab's uptime is always over a day, as after
`clear counters`) is a clear, not a 32-bit wrap: `oamkit check` over real SSH against the lab."""
from __future__ import annotations

import os
import sqlite3

from tests.checks.history_run import check_host

HOST, ITF = "ios-1", "GigabitEthernet0/2"


def _check(env, inventory, db):
    code, rules = check_host(env, inventory, db, HOST)
    return code, {rule: r for (interface, rule), r in rules.items() if interface == ITF}


def test_counters_cleared_an_hour_after_the_last_check_are_a_clear_not_a_wrap(lab, lab_inventory, tmp_path):
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "OAMKIT_LAB_PASSWORD": lab.password}
    db = tmp_path / "history.sqlite"
    lab.inject_errors(HOST, ITF, burst_crc=9_096)
    _, first = _check(env, lab_inventory, db)
    assert first["error_rate"]["status"] == "UNKNOWN"   # one sample: no rate yet
    lab.clear_counters(HOST, ITF)
    # An hour between the two checks: the stored samples' timestamps are moved back 3600 s
    # (standing for the elapsed time), long enough for the line-rate test alone to admit a
    # 32-bit wrap of 9,096 -> 0 on 1G.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE snapshots SET ts = ts - 3600 WHERE host = ?", (HOST,))
        conn.execute("UPDATE interfaces SET ts = ts - 3600 WHERE host = ?", (HOST,))
    conn.close()
    _, second = _check(env, lab_inventory, db)
    rate = second["error_rate"]
    assert rate["status"] == "OK", rate
    assert "counters were cleared or the device restarted; the rate counts since then" in rate["message"]
    assert "wrapped" not in rate["message"]
    assert rate["perfdata"]["crc_per_s"] == 0
