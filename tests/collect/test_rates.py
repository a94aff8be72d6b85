"""Rate logic on synthetic counter series: resets, 32/64-bit wraps, windows, judging."""
from __future__ import annotations

import pytest

from oamkit import rates
from oamkit.policy import EventIntent
from oamkit.rates import Sample, counter_delta, rate_over, series_deltas

GIG = 1_000_000_000
U32 = 2**32
U64 = 2**64


def test_a_growing_counter_gives_its_increase():
    d = counter_delta(Sample(0, 100), Sample(10, 130), GIG)
    assert (d.delta, d.kind, d.rate) == (30, "normal", 3.0)


def test_a_32_bit_wrap_is_recognised_when_physically_possible():
    d = counter_delta(Sample(0, U32 - 50), Sample(10, 25), GIG)
    assert d.kind == "wrap32"
    assert d.delta == 75


def test_a_64_bit_wrap_is_recognised_for_a_counter_beyond_32_bits():
    d = counter_delta(Sample(0, U64 - 10), Sample(60, 5), 100 * GIG)
    assert d.kind == "wrap64"
    assert d.delta == 15


def test_a_drop_far_from_the_top_is_a_reset_not_a_wrap():
    # 1e9 -> 40 in 10 s: a 32-bit wrap would mean 3.3e9 errors, more frames than 1G can carry
    d = counter_delta(Sample(0, 1_000_000_000), Sample(10, 40), GIG)
    assert d.kind == "reset"
    assert d.delta == 40   # counted since the reset: a lower bound


def test_clear_counters_to_zero_is_a_reset_with_zero_delta():
    d = counter_delta(Sample(0, 5_000), Sample(300, 0), GIG)
    assert (d.kind, d.delta) == ("reset", 0)


def test_the_wrap_bound_depends_on_link_speed_and_time():
    previous, current = Sample(0, U32 - 10_000_000), Sample(1, 5)
    # 10M errored frames in 1 s: impossible on 1G (1.49M frames/s max), possible on 100G
    assert counter_delta(previous, current, GIG).kind == "reset"
    assert counter_delta(previous, current, 100 * GIG).kind == "wrap32"


def test_unknown_values_and_time_going_backwards_give_no_delta():
    assert counter_delta(Sample(0, None), Sample(1, 5)).delta is None
    assert counter_delta(Sample(5, 1), Sample(5, 9)).kind == "unknown"
    assert counter_delta(Sample(6, 1), Sample(5, 9)).rate is None


def test_series_with_reset_and_wrap_never_goes_negative():
    series = [Sample(0, 10), Sample(10, 20), Sample(20, 3),            # reset (clear counters)
              Sample(30, 13), Sample(40, U32 - 5), Sample(50, 5)]      # ... then a wrap
    deltas = series_deltas(series, 100 * GIG)
    assert [d.kind for d in deltas] == ["normal", "reset", "normal", "normal", "wrap32"]
    assert all(d.delta >= 0 for d in deltas)
    assert deltas[-1].delta == 10


def test_rate_over_a_window_sums_the_intervals_inside_it():
    series = [Sample(t, 100 * t) for t in range(0, 61, 10)]   # 100 errors/s
    whole = rate_over(series)
    assert whole.rate == pytest.approx(100)
    last20 = rate_over(series, seconds=20)
    assert (last20.start, last20.end, last20.rate) == (40, 60, pytest.approx(100))
    assert rate_over(series[:1]) is None


def test_rate_over_a_window_with_a_reset_is_marked_and_positive():
    series = [Sample(0, 1000), Sample(10, 2000), Sample(20, 50)]
    r = rate_over(series)
    assert r.kind == "reset"
    assert r.delta == 1000 + 50


def test_judge_low_threshold_of_3000_in_10_s():
    intent = EventIntent(window=100, window_ms=10_000, low=3000, high=5000)
    j = rates.judge("receive_crc", 350.0, intent)
    assert j.level == "low"
    assert j.expected == pytest.approx(3500)
    assert "low threshold of 3000 in 10 s would have fired" in j.message
    assert rates.judge("receive_crc", 600.0, intent).level == "high"
    assert rates.judge("receive_crc", 10.0, intent).level == "ok"


def test_judge_uses_deciseconds_when_no_ms_given_and_ieee_default_for_fixed_windows():
    assert rates.judge("frame", 5.0, {"window": 10, "low": 1, "high": 10}).level == "low"
    assert rates.judge("frame", 11.0, {"window": 10, "low": 1, "high": 10}).level == "high"
    junos = rates.judge("frame", 20.0, {"window": None, "low": 1, "high": 10})
    assert junos.level == "high" and "IEEE default window" in junos.message


def test_frame_period_and_symbol_period_are_not_judged_from_time():
    j = rates.judge("frame_period", 1000.0, {"window": 1_000_000, "low": 1})
    assert j.level == "not-judged"


def test_frame_seconds_counts_errored_seconds_not_errors():
    # a rate alone says nothing about errored seconds: the counts are judged instead
    assert rates.judge("frame_seconds", 1000.0, {"window": 600, "low": 1, "high": 5}).level == "not-judged"
    # 60,000 errors in 60 s: 1 to 60 errored seconds in a 60 s window (not 60,000), so the
    # high threshold of 5 may have fired, not "would have"
    j = rates.judge_frame_seconds(rates.Delta(0, 60, 60_000, "normal"),
                                  {"window": 600, "low": 1, "high": 5}, 1_000_000_000)
    assert (j.lower, j.upper, j.level) == (1, 60, "low")
    assert "the high threshold of 5 may have fired too (upper bound 60)" in j.message
    # 3 errors in 100 s: at most 3 errored seconds, under a low threshold of 5
    assert rates.judge_frame_seconds(rates.Delta(0, 100, 3, "normal"),
                                     {"window": 600, "low": 5}).level == "ok"


def test_high_none_means_no_high_threshold():
    j = rates.judge("frame", 1000.0, {"window": 10, "low": 1, "high": "none"})
    assert j.level == "low"


def test_a_reboot_is_a_reset_even_when_the_counter_grew_past_its_old_value():
    # 100 errors before; rebooted 30 s before the next sample and already counted 500
    d = counter_delta(Sample(0, 100, uptime=86_400), Sample(300, 500, uptime=30), GIG)
    assert (d.kind, d.delta) == ("reset", 500)
    same_boot = counter_delta(Sample(0, 100, uptime=86_400), Sample(300, 500, uptime=86_700), GIG)
    assert (same_boot.kind, same_boot.delta) == ("normal", 400)


def test_unknown_uptime_falls_back_to_the_value_rule():
    assert counter_delta(Sample(0, 100), Sample(300, 500, uptime=None), GIG).kind == "normal"


def test_uptime_is_read_from_show_version_text():
    from oamkit.collect import uptime_seconds

    assert uptime_seconds("r1 uptime is 1 week, 2 days, 3 hours, 4 minutes") == \
        7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60
    assert uptime_seconds("System uptime is 5 minutes") == 300
    assert uptime_seconds("Hostname: r1\nModel: mx204\nJunos: 21.4R3.15") is None


@pytest.mark.parametrize("previous, seconds, speed", [
    (9_096, 300, 10 * GIG),     # the reviewer's 10G link, 5-minute gap
    (33, 3_600, GIG),           # 1G, an hour between checks
    (5_000, 30, None),          # speed unknown (100G assumed), 30 s
    (U32 // 2 - 1, 86_400, 100 * GIG),   # just under the top half of the 32-bit range
])
def test_a_drop_from_low_in_the_range_is_a_clear_however_long_the_gap(previous, seconds, speed):
    # without the top-half rule each of these was a 32-bit wrap: billions of invented errors
    d = counter_delta(Sample(0, previous), Sample(seconds, 0), speed)
    assert (d.kind, d.delta) == ("reset", 0)

