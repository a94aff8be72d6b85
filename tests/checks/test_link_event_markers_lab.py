"""Link events are marked seen only once a check's report is out: a check killed before it
prints consumes nothing, and two overlapping checks both report the new events. Over real SSH
against the lab; one device hangs so the runs last long enough to be caught mid-way."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

from tests.checks.test_check_lab import by_interface, check_json, env, pushed  # noqa: F401

VRP, ITF = "vrp-1", "GigabitEthernet0/1/1"


def _log_link_events(lab) -> None:
    """A CRC burst on vrp-1; the lab logs its Errored Frame event when the 1 s window ends."""
    device = lab.device(VRP)
    logged = len(device.event_log)
    lab.inject_errors(VRP, ITF, burst_crc=5)
    until = time.monotonic() + 10
    while not any(e.type == "Frame" for e in device.event_log[logged:]) and time.monotonic() < until:
        time.sleep(0.1)
        device.tick()
    assert any(e.type == "Frame" for e in device.event_log[logged:])


def _db(env) -> str:
    return f"{env['OAMKIT_STATE_DIR']}/history.sqlite"


def _snapshots(env, host: str) -> int:
    con = sqlite3.connect(_db(env), timeout=30)
    try:
        return con.execute("SELECT COUNT(*) FROM snapshots WHERE host=? AND ok=1",
                           (host,)).fetchone()[0]
    finally:
        con.close()


def _marker(env) -> tuple:
    con = sqlite3.connect(_db(env), timeout=30)
    try:
        return con.execute("SELECT ts, link_events FROM last_check WHERE host=? AND interface=?",
                           (VRP, ITF)).fetchone()
    finally:
        con.close()


def _start_check(env, inventory, timeout: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "oamkit.cli", "check", "-i", str(inventory),
                             "--format", "json", "--timeout", str(timeout)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_snapshot(env, host: str, more_than: int, proc: subprocess.Popen) -> None:
    """Until the running check has stored (and committed) its reading of `host`."""
    until = time.monotonic() + 30
    while _snapshots(env, host) <= more_than and time.monotonic() < until and proc.poll() is None:
        time.sleep(0.1)
    assert _snapshots(env, host) > more_than, "the check never stored its reading"


def _new_events(report) -> dict:
    _, vrp = by_interface(report, VRP)
    return vrp[ITF]["link_events"]


def test_a_check_killed_before_its_report_consumes_no_link_event(lab, pushed, env):  # noqa: F811
    code, report = check_json(env, pushed)                 # the baseline
    before = _marker(env)
    assert before is not None
    _log_link_events(lab)
    lab.set_faults("junos-1", hang=True)                   # keeps the run going
    stored = _snapshots(env, VRP)
    proc = _start_check(env, pushed, timeout=30)
    try:
        _wait_for_snapshot(env, VRP, stored, proc)         # vrp-1 read, judged and committed
        time.sleep(0.5)
        assert proc.poll() is None, "the check ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert out == ""                                      # killed before any report
    assert _marker(env) == before                          # ... so nothing was consumed
    lab.set_faults("junos-1", hang=False)
    _, report = check_json(env, pushed)
    events = _new_events(report)
    assert events["status"] == "WARNING" and events["perfdata"]["link_events_new"] >= 1, events
    assert _marker(env) != before                          # reported: now marked


def test_two_overlapping_checks_both_report_the_new_link_events(lab, pushed, env):  # noqa: F811
    check_json(env, pushed)                                # the baseline
    _log_link_events(lab)
    lab.set_faults("junos-1", hang=True)
    stored = _snapshots(env, VRP)
    first = _start_check(env, pushed, timeout=12)
    second = None
    try:
        # the first run has judged vrp-1 and now waits for junos-1's deadline; the second
        # judges vrp-1 meanwhile
        _wait_for_snapshot(env, VRP, stored, first)
        second = _start_check(env, pushed, timeout=6)
        outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
    reports = [json.loads(text) for text in outputs]
    news = [_new_events(r) for r in reports]
    assert [e["status"] for e in news] == ["WARNING", "WARNING"], news
    assert all(e["perfdata"]["link_events_new"] >= 1 for e in news), news
    lab.set_faults("junos-1", hang=False)
    _, report = check_json(env, pushed)                    # both are out: nothing new now
    assert _new_events(report)["status"] == "OK"


def test_a_marker_only_moves_forward(tmp_path):
    from oamkit.history import History

    with History(tmp_path / "h.sqlite") as history:
        history.mark_checked_all([("r1", "Gi0/1", 200.0, 7), ("r1", "Gi0/2", 200.0, 1)])
        # an overlapping run that read earlier finishes later: the newer reading stays
        history.mark_checked_all([("r1", "Gi0/1", 100.0, 3), ("r1", "Gi0/2", 300.0, 2)])
        assert history.last_check("r1", "Gi0/1") == {"ts": 200.0, "link_events": 7}
        assert history.last_check("r1", "Gi0/2") == {"ts": 300.0, "link_events": 2}


def test_after_a_clock_step_back_new_link_events_are_reported_once(lab, pushed, env):  # noqa: F811
    # A run whose clock was an hour ahead (before NTP stepped it back) stored its reading of
    # vrp-1 and its marker dated in the future. Then link events happen: the next check
    # reports them, says why the marker is ahead, and moves it; the one after reports
    # nothing new. (By time, the marker stayed: every check for the next hour reported the
    # same events again.)
    from oamkit.history import History, InterfaceSample, Snapshot

    _, report = check_json(env, pushed)                    # the baseline
    entry, _ = by_interface(report, VRP)
    count = entry["counters"][ITF]["link_events"]
    ahead = time.time() + 3600
    with History(_db(env)) as history:
        sid = history.store(Snapshot(VRP, entry["platform"], ahead, ok=True,
                                     interfaces={ITF: InterfaceSample(ITF, link_events=count)}))
        history.mark_checked_all([(VRP, ITF, ahead, count)], [(VRP, sid)])
    _log_link_events(lab)
    _, report = check_json(env, pushed)
    events = _new_events(report)
    assert events["status"] == "WARNING" and events["perfdata"]["link_events_new"] >= 1, events
    assert "stepped back" in events["message"], events["message"]
    _, report = check_json(env, pushed)                    # nothing new since
    events = _new_events(report)
    assert events["status"] == "OK" and events["perfdata"]["link_events_new"] == 0, events
