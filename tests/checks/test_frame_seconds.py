"""The frame_seconds judgement on constructed counter histories (no device): errored seconds are
bounded from the counts, "would have fired" only when certain, and the device's own logged
frame-seconds events, where it keeps a log (IOS-XR), decide."""
from __future__ import annotations

import pytest

from oamkit.checks import Rules, evaluate
from oamkit.history import InterfaceSample, Snapshot
from tests.checks.test_evaluate import history, plan_for  # noqa: F401 - the history fixture

ITF = "GigabitEthernet0/0/0/0"
NO_LOG = {"event_log": "'show ethernet oam event-log': not parsed"}


@pytest.fixture
def plan(tmp_path):
    # lab-xr: frame 1 s low 1 high 10; frame_seconds 60 s low 1 high 5
    return plan_for(tmp_path, "xr-2", "cisco_xr", "lab-xr", [ITF])


def snap(ts, crc, role_errors=None, events=()):
    s = Snapshot("xr-2", "cisco_xr", ts, ok=True, role_errors=dict(role_errors or {}),
                 events=[{"interface": ITF, "location": "local", **e} for e in events])
    s.interfaces[ITF] = InterfaceSample(ITF, crc_errors=crc, frame_errors=0, link_events=0,
                                        discovery_state="operational", link_monitoring=True)
    return s


def error_rate(plan, history, snaps, interface=ITF):
    for s in snaps:
        history.store(s)
    out = evaluate(plan, snaps[-1], history, Rules(), {})
    return next(r for r in out if r.rule == "error_rate" and r.interface == interface)


def test_a_burst_of_14_errors_may_have_fired_the_high_threshold_not_would_have(plan, history):
    # the reviewer's case: 14 CRC errors between two checks 100 s apart, no event log read.
    # They may all have fallen into one or two seconds: 1 to 14 errored seconds, not 60.
    r = error_rate(plan, history, [snap(1000, 0, NO_LOG), snap(1100, 14, NO_LOG)])
    assert r.status == "WARNING", r.message
    # the low threshold of 1 did fire (one error is an errored second); the high one may have
    assert "frame_seconds: the low threshold of 1 in 60 s would have fired" in r.message
    assert "high threshold of 5 in 60 s would have fired" not in r.message
    assert "the high threshold of 5 may have fired too (upper bound 14)" in r.message
    assert "at least 1 (lower bound)" in r.message
    assert r.perfdata["frame_seconds_per_window_min"] == 1
    assert r.perfdata["frame_seconds_per_window_max"] == 14
    assert "frame_seconds_per_window" not in r.perfdata   # the old even-spread estimate
    assert r.thresholds["crc_per_s"].get("crit") != pytest.approx(5 / 60)


def test_the_upper_bound_is_the_interval_and_the_window_not_only_the_errors(plan, history):
    # 1,000 errors in 2 s touch at most 3 of the device's seconds: under the high threshold
    r = error_rate(plan, history, [snap(0, 0, NO_LOG), snap(2, 1000, NO_LOG)])
    fs = r.message[r.message.index("frame_seconds:"):]
    assert "at most" not in fs and "may have fired" not in fs, fs
    assert (r.perfdata["frame_seconds_per_window_min"], r.perfdata["frame_seconds_per_window_max"]) == (1, 3)


def test_would_have_fired_only_when_the_counts_make_it_certain(plan, history):
    # 40 M errors in 60 s at 1G: a second carries at most 1,488,095 errored frames, so at least
    # 27 errored seconds, over at most 2 windows: one window had 14 or more, >= 5 for certain
    r = error_rate(plan, history, [snap(0, 0, NO_LOG), snap(60, 40_000_000, NO_LOG)])
    assert r.status == "CRITICAL", r.message
    assert "frame_seconds: the high threshold of 5 in 60 s would have fired" in r.message
    assert "at least 14 (lower bound)" in r.message
    assert r.perfdata["frame_seconds_per_window_min"] == 14


def test_the_devices_own_frame_seconds_events_win(plan, history):
    # IOS-XR's event log was read: no frame-seconds event between the samples is OK, whatever
    # the counts allow ...
    r = error_rate(plan, history, [snap(1000, 0), snap(1100, 14)])
    assert r.status == "OK", r.message
    assert r.perfdata["frame_seconds_events_logged"] == 0
    # ... and one it logged, over its high threshold, is CRITICAL: the device's own count
    logged = [{"ts": 1150.0, "event_type": "frame_seconds", "detail": "threshold 5 value 7"},
              {"ts": 900.0, "event_type": "frame_seconds", "detail": "threshold 5 value 9"}]
    r = error_rate(plan, history, [snap(1200, 20, events=logged)])
    assert r.status == "CRITICAL", r.message
    assert ("frame_seconds: the device logged 1 errored-frame-seconds event(s) between the "
            "samples: the high threshold of 5 in 60 s fired") in r.message
    assert r.perfdata["frame_seconds_events_logged"] == 1


IOS_ITF = "GigabitEthernet0/1"


@pytest.fixture
def ios_plan(tmp_path):
    # lab-ios: frame 1 s low 1 high 10; frame_seconds 60 s low 1. IOS keeps no event log
    # oamkit reads, but counts its events per type (`Errored Frame Second records`).
    return plan_for(tmp_path, "ios-2", "cisco_ios", "lab-ios", [IOS_ITF])


def ios_snap(ts, crc, frame_seconds_events=None):
    s = Snapshot("ios-2", "cisco_ios", ts, ok=True)
    counts = {} if frame_seconds_events is None else {"frame": 3, "frame_seconds": frame_seconds_events}
    s.interfaces[IOS_ITF] = InterfaceSample(IOS_ITF, crc_errors=crc, frame_errors=0, link_events=0,
                                            discovery_state="operational", link_monitoring=True,
                                            oam={"event_counts": counts} if counts else {})
    return s


def ios_error_rate(plan, history, snaps):
    return error_rate(plan, history, snaps, IOS_ITF)


def test_where_the_device_counts_its_frame_seconds_events_the_count_decides(ios_plan, history):
    # 14 errors in 100 s: from the counters alone the low threshold of 1 would have fired ...
    r = ios_error_rate(ios_plan, history, [ios_snap(1000, 0), ios_snap(1100, 14)])
    assert r.status == "WARNING" and "would have fired" in r.message, r.message
    # ... the device's own count of its events says it did not (unchanged at 4: the window
    # those errors fell in ends after this sample, the next check's count has it) ...
    r = ios_error_rate(ios_plan, history, [ios_snap(2000, 14, 4), ios_snap(2100, 28, 4)])
    assert r.status == "OK", r.message
    assert r.perfdata["frame_seconds_events_logged"] == 0
    # ... or that it did, twice
    r = ios_error_rate(ios_plan, history, [ios_snap(2200, 42, 6)])
    assert r.status == "WARNING", r.message
    assert ("frame_seconds: the device counted 2 errored-frame-seconds event(s) between the "
            "samples: the low threshold of 1 in 60 s fired") in r.message
    assert r.perfdata["frame_seconds_events_logged"] == 2


def test_a_count_that_went_backwards_decides_nothing(ios_plan, history):
    # cleared counters (the event count dropped): back to what the error counters bound
    r = ios_error_rate(ios_plan, history, [ios_snap(1000, 0, 9), ios_snap(1100, 14, 0)])
    assert "would have fired" in r.message and "device counted" not in r.message, r.message
    assert "frame_seconds_events_logged" not in r.perfdata
