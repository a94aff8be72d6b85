"""A malformed row in the history database (edited by hand, damaged) costs that sample only:
`oamkit check` over real SSH against the lab still judges the host's rules."""
from __future__ import annotations

import os
import sqlite3
import time

from tests.checks.history_run import check_host

HOST, ITF = "ios-1", "GigabitEthernet0/2"


def _check(env, inventory, db):
    return check_host(env, inventory, db, HOST)[1]


def test_a_malformed_counter_in_the_history_skips_that_sample_not_the_host(lab, lab_inventory, tmp_path):
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "OAMKIT_LAB_PASSWORD": lab.password}
    db = tmp_path / "h.sqlite"
    _check(env, lab_inventory, db)
    time.sleep(1.2)   # past error_rate.min_interval (1 s)
    _check(env, lab_inventory, db)
    with sqlite3.connect(db) as conn:   # the newer of the two samples is damaged
        conn.execute("UPDATE interfaces SET crc_errors = 'n/a' WHERE host = ? AND interface = ? "
                     "AND ts = (SELECT MAX(ts) FROM interfaces WHERE host = ? AND interface = ?)",
                     (HOST, ITF, HOST, ITF))
    conn.close()
    time.sleep(1.2)
    rules = _check(env, lab_inventory, db)
    assert (None, "reachable") not in rules, rules.get((None, "reachable"))
    rate = rules[(ITF, "error_rate")]
    assert rate["status"] == "OK", rate["message"]
    assert rate["perfdata"]["interval_s"] > 2.4   # from the first sample: the damaged one skipped
    assert rules[(ITF, "thresholds")]["status"] == "OK"
