"""Outage arithmetic on recorded send/receive times (no network, no root)."""
import numpy as np
import pytest

from oamkit.probe.analysis import loss_bursts, outage_around, slot_stats
from oamkit.probe.engine import ProbeRun, Slot
from oamkit.probe.proto import ProbeProto


def make_run(answered_rows, interval=0.01, late=0.0001, t0=1000.0, rtt=0.0005):
    answered_rows = [np.asarray(r, dtype=bool) for r in answered_rows]
    n, rounds = len(answered_rows), len(answered_rows[0])
    tx = np.array([[t0 + k * interval + i * interval / n for k in range(rounds)] for i in range(n)])
    rx = np.where(np.array(answered_rows), tx + rtt, np.nan)
    return ProbeRun([Slot(f"127.0.0.{i + 1}", ProbeProto("icmp")) for i in range(n)], interval, rounds, t0,
                    tx, np.full(tx.shape, late), rx, np.where(np.isnan(rx), 0, 1).astype(np.int8),
                    np.zeros(tx.shape, dtype=bool))


def test_outage_is_lost_probes_times_interval_with_one_interval_uncertainty():
    row = [True] * 50 + [False] * 37 + [True] * 63
    run = make_run([row])
    o = outage_around(run, 0, t_event=1000.0 + 0.495)
    assert o.lost == 37 and o.outage_s == pytest.approx(0.37) and o.err_s == 0.01
    assert o.recovered and o.bursts == 1
    assert o.start == pytest.approx(1000.5) and o.end == pytest.approx(1000.86)


def test_longest_burst_wins_over_a_stray_loss_after_the_event():
    row = [True] * 50 + [False] + [True] * 3 + [False] * 20 + [True] * 76
    o = outage_around(make_run([row]), 0, t_event=1000.49)
    assert o.lost == 20 and o.bursts == 2


def test_site_that_never_recovers_is_not_recovered():
    row = [True] * 50 + [False] * 100
    o = outage_around(make_run([row]), 0, t_event=1000.49, settle_s=0.5)
    assert not o.recovered and o.lost == 100


def test_hitless_event_has_no_outage():
    o = outage_around(make_run([[True] * 100]), 0, t_event=1000.5)
    assert o.lost == 0 and o.recovered


def test_bursts_and_stats():
    row = [True, False, False, True, False, True, True, False]
    run = make_run([row])
    b = loss_bursts(run.answered[0], run.tx[0], run.interval)
    assert [(x.first_k, x.lost, x.open_ended) for x in b] == [(1, 2, False), (4, 1, False), (7, 1, True)]
    s = slot_stats(run, 0)
    assert (s["sent"], s["answered"], s["lost"]) == (8, 4, 4)
    assert s["outage_s"] == pytest.approx(0.04)
    assert s["rtt_ms"]["p50"] == pytest.approx(0.5)


def test_late_answer_counts_as_lost():
    run = make_run([[True] * 10], rtt=2.0)   # beyond the 1 s answer timeout
    assert slot_stats(run, 0)["answered"] == 0


def test_engine_that_fell_behind_is_not_trusted():
    assert make_run([[True] * 100], late=0.0001).trusted()[0]
    ok, why = make_run([[True] * 100], late=0.008).trusted()
    assert not ok and "fell behind" in why


def test_outage_bounds_from_actual_send_times_and_stall_detection():
    row = [True] * 50 + [False] * 30 + [True] * 70
    run = make_run([row])
    o = outage_around(run, 0, t_event=1000.495)
    assert o.trusted and o.min_s == pytest.approx(0.29) and o.max_s == pytest.approx(0.31)
    # the sender stalls 100 ms right at the repair: counting lost probes no longer measures time
    run.tx[0, 80:] += 0.1
    run.rx[0, 80:] += 0.1
    run.late[0, 80:] = 0.1
    o = outage_around(run, 0, t_event=1000.495)
    assert not o.trusted and o.max_s == pytest.approx(0.41)
    assert not run.trusted()[0]


def test_stall_far_from_the_outage_leaves_it_trusted():
    row = [True] * 50 + [False] * 30 + [True] * 70
    run = make_run([row])
    run.tx[0, 120:] += 0.1
    run.late[0, 120:] = 0.1
    from oamkit.probe.analysis import stalls
    assert stalls(run)[0]["at_s"] == pytest.approx(1.3, abs=0.01)
    assert outage_around(run, 0, t_event=1000.495).trusted
