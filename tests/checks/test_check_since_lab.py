"""What a check's error rate judges, against the lab over real SSH: everything since the sample
the previous check judged, whatever `collect` stored in between; samples in insertion order, so
a sample dated in the future (the oamkit host's clock stepped back) invents no rate; a sample
of another platform (another device under the same name) is a new baseline; and the outputs
say over which interval the rate was taken.

Some tests edit the history database's timestamps (or platform) to stand for a clock step (or a
device replaced under the same name): that is said where they do."""
from __future__ import annotations

import time

from .test_check_lab import by_interface, check_json, env, oamkit, pushed  # noqa: F401  (fixtures)

HOST, ITF = "ios-1", "GigabitEthernet0/2"


def _rate(env, inventory, db, *extra):
    code, report = check_json(env, inventory, "--limit", HOST, "--db", str(db), *extra)
    _, ios = by_interface(report, HOST)
    return ios[ITF]["error_rate"]


def test_errors_between_two_checks_are_judged_though_a_collect_ran_in_between(
        lab, pushed, env, tmp_path):  # noqa: F811
    db = tmp_path / "col.sqlite"
    assert _rate(env, pushed, db)["status"] == "UNKNOWN"   # first check: one sample
    time.sleep(1.2)
    assert _rate(env, pushed, db)["status"] == "OK"
    lab.inject_errors(HOST, ITF, burst_crc=2000)    # between the two checks, before the collect
    result = oamkit(env, "collect", "-i", str(pushed), "--limit", HOST, "--db", str(db), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(1.5)
    rate = _rate(env, pushed, db)
    # without the fix: "OK 0 CRC errors/s over 2 s" (only the collect -> check pair was judged)
    assert rate["status"] == "CRITICAL", rate
    assert rate["perfdata"]["crc_per_s"] > 10, rate
    assert rate["perfdata"]["interval_s"] >= 1.5, rate
    time.sleep(1.2)
    rate = _rate(env, pushed, db)   # the next check starts from this one's sample
    assert rate["status"] == "OK", rate
    assert rate["perfdata"]["crc_per_s"] == 0, rate
