"""What a check's error rate judges, against the lab over real SSH: everything since the sample
the previous check judged, whatever `collect` stored in between; samples in insertion order, so
a sample dated in the future (the oamkit host's clock stepped back) invents no rate; a sample
of another platform (another device under the same name) is a new baseline; and the outputs
say over which interval the rate was taken.

Some tests edit the history database's timestamps (or platform) to stand for a clock step (or a
device replaced under the same name): that is said where they do."""
from __future__ import annotations

import sqlite3
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
    assert "since the previous check's sample at " in rate["message"], rate
    time.sleep(1.2)
    rate = _rate(env, pushed, db)   # the next check starts from this one's sample
    assert rate["status"] == "OK", rate
    assert rate["perfdata"]["crc_per_s"] == 0, rate


def _step_last_snapshot(db, seconds):
    """Date the newest snapshot `seconds` later: stands for the clock of the oamkit host having
    been that far ahead when it was taken (it has stepped back since)."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE snapshots SET ts = ts + ? WHERE id = (SELECT max(id) FROM snapshots)",
                     (seconds,))
        conn.execute("UPDATE interfaces SET ts = ts + ? WHERE snapshot_id = "
                     "(SELECT max(id) FROM snapshots)", (seconds,))
    conn.close()


def test_a_sample_dated_after_this_one_invents_no_clear_no_wrap(lab, pushed, env, tmp_path):  # noqa: F811
    db = tmp_path / "step.sqlite"
    _rate(env, pushed, db)
    time.sleep(1.2)
    assert _rate(env, pushed, db)["status"] == "OK"
    _step_last_snapshot(db, 86400)    # the clock of the oamkit host steps back a day
    lab.inject_errors(HOST, ITF, burst_crc=3)   # the counter only grows
    time.sleep(1.2)
    rate = _rate(env, pushed, db)
    # without the fix: CRITICAL "... (counter wrapped (32 bit))" over 86,386 s, or with a
    # smaller step "counters were cleared": the pair judged backwards
    assert rate["status"] == "UNKNOWN", rate
    assert "stepped back" in rate["message"], rate
    assert "wrapped" not in rate["message"] and "cleared" not in rate["message"], rate
    time.sleep(1.2)
    rate = _rate(env, pushed, db)    # judged against this check's previous sample, not the future one
    assert rate["status"] == "OK", rate
    assert 1.0 <= rate["perfdata"]["interval_s"] < 60, rate
    assert "wrapped" not in rate["message"] and "cleared" not in rate["message"], rate


def test_a_sample_of_another_platform_is_a_new_baseline(lab, pushed, env, tmp_path):  # noqa: F811
    db = tmp_path / "swap.sqlite"
    _rate(env, pushed, db)
    time.sleep(1.2)
    assert _rate(env, pushed, db)["status"] == "OK"
    # stands for the earlier unit under this name having been another platform (replaced)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE snapshots SET platform = 'junos' WHERE host = ?", (HOST,))
    conn.close()
    time.sleep(1.2)
    rate = _rate(env, pushed, db)
    # without the fix: OK, a rate against the other unit's counters
    assert rate["status"] == "UNKNOWN", rate
    assert "platform junos" in rate["message"] and "new baseline" in rate["message"], rate
    time.sleep(1.2)
    assert _rate(env, pushed, db)["status"] == "OK"


def test_the_outputs_say_over_which_interval_the_rate_was_taken(lab, pushed, env, tmp_path):  # noqa: F811
    db = tmp_path / "interval.sqlite"
    _rate(env, pushed, db)
    lab.inject_errors(HOST, ITF, burst_crc=3000)
    time.sleep(1.2)
    nagios = oamkit(env, "check", "-i", str(pushed), "--limit", HOST, "--db", str(db),
                    "--format", "nagios")
    head, *long_output = nagios.stdout.splitlines()
    (line,) = [x for x in long_output if ITF in x and "error_rate" in x]
    # without the fix: "frame: at 2,4xx/s (...) the high threshold ... would have fired" alone
    assert line.startswith("CRITICAL") and " s since the previous check's sample at " in line, line
    assert f"'{HOST}/{ITF}_interval_s'=" in head, head
    time.sleep(1.2)
    prom = tmp_path / "check.prom"
    result = oamkit(env, "check", "-i", str(pushed), "--limit", HOST, "--db", str(db),
                    "--format", "prometheus", "--output", str(prom))
    assert result.returncode in (0, 1), result.stderr
    text = prom.read_text()
    assert "over the check's interval" not in text
    (sample,) = [x for x in text.splitlines() if x.startswith("oamkit_crc_errors_interval_seconds{")
                 and f'interface="{ITF}"' in x]
    assert 1.0 <= float(sample.rsplit(" ", 1)[1]) < 60, sample
