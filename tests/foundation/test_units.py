"""Round trips of every unit conversion, and refusal of values a unit cannot hold."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oamkit import units
from oamkit.platforms import get_platform

# Every Scale a platform declares for a window, with its range in vendor units.
SCALES = [(p, name, ev.window) for p in ("cisco_ios", "cisco_xr", "huawei_vrp", "ieee")
          for name, ev in get_platform(p).events.items()
          if ev.window is not None and ev.window.counts == "ieee"]


@pytest.mark.parametrize("platform,event,window", SCALES, ids=[f"{p}-{e}" for p, e, _ in SCALES])
@given(data=st.data())
def test_window_scale_round_trips_over_the_whole_vendor_range(platform, event, window, data):
    vendor = data.draw(st.integers(window.range.low, min(window.range.high, 10**12)))
    try:
        ieee = window.scale.to_ieee(vendor)
    except units.NotRepresentable:
        # Only finer-than-IEEE units (IOS-XR ms) can hold values IEEE cannot; say so exactly.
        assert window.scale.per_ieee_unit > window.scale.per_vendor_unit
        assert vendor * window.scale.per_vendor_unit % window.scale.per_ieee_unit
        return
    assert window.scale.to_vendor(ieee) == vendor


@given(st.integers(1, 10**6))
def test_ios_100ms_periods_are_deciseconds(ds):
    scale = get_platform("cisco_ios").events["frame"].window.scale
    assert scale.to_vendor(ds) == ds and scale.to_ieee(ds) == ds


@given(st.integers(1, 10**6))
def test_xr_milliseconds_are_100_per_decisecond(ds):
    scale = get_platform("cisco_xr").events["frame"].window.scale
    assert scale.to_vendor(ds) == ds * 100
    assert scale.to_ieee(ds * 100) == ds


@given(st.integers(11, 10**6).filter(lambda v: v % 10))
def test_huawei_seconds_refuse_fractions_and_name_the_nearest(ds):
    scale = get_platform("huawei_vrp").events["frame"].window.scale
    with pytest.raises(units.NotRepresentable) as exc:
        scale.to_vendor(ds)
    assert exc.value.nearest[0] == ds // 10 * 10
    assert exc.value.nearest[-1] == (ds // 10 + 1) * 10


@given(st.integers(1, 10**6).filter(lambda v: v % 10_000))
def test_ios_frame_period_refuses_non_multiples_of_10000(frames):
    scale = get_platform("cisco_ios").events["frame_period"].window.scale
    with pytest.raises(units.NotRepresentable):
        scale.to_vendor(frames)


@pytest.mark.parametrize("text,ms", [("100ms", 100), ("1s", 1000), ("1.5s", 1500), ("2m", 120000),
                                     ("10ds", 1000), ("60 s", 60000)])
def test_durations(text, ms):
    assert units.parse_duration_ms(text) == ms
    assert units.parse_duration_ms(units.format_duration_ms(ms)) == ms


@pytest.mark.parametrize("bad", [10, "10", "1.0001s", "fast", "1h"])
def test_durations_without_units_or_below_a_millisecond_are_refused(bad):
    for _ in range(2):   # parsed durations are cached: a refusal must not be
        with pytest.raises(ValueError):
            units.parse_duration_ms(bad)


@given(st.integers(1, 60_000), st.sampled_from(["100M", "1G", "10G", "100G"]))
def test_frames_and_symbols_for_a_duration_floor_and_say_when_inexact(ms, speed):
    bps = units.parse_speed(speed)
    frames, exact = units.frames_for_duration(ms, bps)
    assert frames == int(Fraction(bps, 672) * Fraction(ms, 1000))
    assert exact == (Fraction(bps, 672) * Fraction(ms, 1000)).denominator == 1 or not exact
    assert units.duration_for_frames(frames, bps) <= ms
    symbols, exact = units.symbols_for_duration(ms, bps)
    assert units.duration_for_symbols(symbols, bps) == ms if exact else units.duration_for_symbols(symbols, bps) < ms


def test_one_second_of_minimum_frames_at_1g_is_the_ieee_default():
    # 802.3 / Nokia default window: 1,488,095 frames = one second of 64-byte frames at 1 Gb/s.
    assert units.frames_for_duration(1000, 10**9) == (1488095, False)
    assert units.symbols_for_duration(1000, 10**9) == (1_250_000_000, True)
