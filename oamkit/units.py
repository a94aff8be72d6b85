"""Units: parsing human values and converting between IEEE 802.3 units and each vendor's.

The policy model keeps every value in IEEE Clause 30/57 units:
  errored frame / frame seconds / CRC windows  -> deciseconds (100 ms)
  errored frame period window                  -> frames
  errored symbol period window                 -> symbols
Vendors count differently (IOS 100 ms periods, IOS-XR milliseconds, Huawei seconds, IOS
x10,000 frames, ...). Every conversion here is exact or raises `NotRepresentable` naming the
nearest values the target can hold; nothing is rounded silently. The only conversions that can
be inexact by nature (time <-> frames/symbols, which depend on the link speed) return the
rounding they did so the caller can report it.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction

# Minimum-size frame on the wire: 64 bytes + 8 preamble/SFD + 12 inter-frame gap = 84 bytes.
MIN_FRAME_BITS = 84 * 8

_SPEEDS = {"10M": 10**7, "100M": 10**8, "1G": 10**9, "2.5G": 25 * 10**8, "5G": 5 * 10**9,
           "10G": 10**10, "25G": 25 * 10**9, "40G": 40 * 10**9, "50G": 50 * 10**9,
           "100G": 10**11, "200G": 2 * 10**11, "400G": 4 * 10**11}

# Line symbol rate (baud) of the usual PHY for each speed: 100BASE-TX 4B5B, 1000BASE-X 8b/10b,
# the 64b/66b families from 10G on. 802.3 defines the symbol-period window in these symbols.
_SYMBOL_RATES = {10**8: 125 * 10**6, 10**9: 125 * 10**7, 25 * 10**8: 3125 * 10**6,
                 5 * 10**9: 625 * 10**7, 10**10: 103125 * 10**5, 25 * 10**9: 2578125 * 10**4,
                 40 * 10**9: 4125 * 10**7, 50 * 10**9: 515625 * 10**5,
                 10**11: 103125 * 10**6, 2 * 10**11: 20625 * 10**7, 4 * 10**11: 4125 * 10**8}


class NotRepresentable(ValueError):
    """A value has no exact equivalent in the target unit."""

    def __init__(self, message: str, nearest: tuple[int, ...] = ()):
        super().__init__(message)
        self.nearest = nearest


def parse_speed(text: str | int) -> int:
    """'1G', '10G', '100M' or a plain number of bits per second -> bits per second."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text <= 0:
            raise ValueError("speed must be positive")
        return text
    key = str(text).strip().upper().removesuffix("BPS").removesuffix("B")
    if key in _SPEEDS:
        return _SPEEDS[key]
    if key.isdigit() and int(key) > 0:
        return int(key)
    raise ValueError(f"unknown link speed {text!r}; use one of {', '.join(_SPEEDS)}")


def format_speed(bps: int) -> str:
    for name, value in _SPEEDS.items():
        if value == bps:
            return name
    return f"{bps}bps"


def symbol_rate(speed_bps: int) -> int:
    try:
        return _SYMBOL_RATES[speed_bps]
    except KeyError:
        raise ValueError(f"no symbol rate known for a {format_speed(speed_bps)} link") from None


def frames_per_second(speed_bps: int) -> Fraction:
    return Fraction(speed_bps, MIN_FRAME_BITS)


_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_percent(value: str) -> Fraction:
    """'1%', '0.5%' -> the fraction (0.01, 0.005), exactly; above 0 and at most 100 %."""
    match = _PERCENT.match(str(value))
    if not match:
        raise ValueError("not a count or a percentage; write e.g. 5000, '1%' or '0.5%'")
    percent = Fraction(match.group(1))
    if not 0 < percent <= 100:
        raise ValueError("a percentage threshold is above 0% and at most 100%")
    return percent / 100


def is_percent(value) -> bool:
    return isinstance(value, str) and value.strip().endswith("%")


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|ds)\s*$", re.IGNORECASE)
_DURATION_MS = {"ms": 1, "ds": 100, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000}


def parse_duration_ms(value: str | int) -> int:
    """'100ms', '1s', '1.5s', '2m', '10ds' -> whole milliseconds. A bare number is refused
    because a window of '10' means 1 s on IOS, 10 ms on IOS-XR and 10 s on Huawei."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"give a unit with the duration {value!r}, e.g. '{value}s' or '{value}ms'")
    return _duration_text_ms(str(value))


@functools.lru_cache(maxsize=1024)
def _duration_text_ms(value: str) -> int:
    # A fleet's policies repeat a handful of durations on every interface: parsed once each
    # (Fraction arithmetic was a third of loading a 200-host inventory).
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r}; write e.g. '100ms', '1s', '60s', '2m'")
    amount = Fraction(match.group(1)) * _DURATION_MS[match.group(2).lower()]
    if amount.denominator != 1:
        raise ValueError(f"{value!r} is not a whole number of milliseconds")
    return int(amount)


def format_duration_ms(ms: int) -> str:
    if ms % 60_000 == 0 and ms >= 60_000:
        return f"{ms // 60_000}m"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"


@dataclass(frozen=True)
class Scale:
    """A vendor unit that is an exact multiple (or divisor) of an IEEE unit.

    vendor_value * per_vendor_unit == ieee_value * per_ieee_unit, e.g. IOS-XR milliseconds
    against IEEE deciseconds: per_vendor_unit=1, per_ieee_unit=100.
    """

    name: str
    per_vendor_unit: int = 1
    per_ieee_unit: int = 1

    def to_vendor(self, ieee_value: int) -> int:
        scaled = Fraction(ieee_value * self.per_ieee_unit, self.per_vendor_unit)
        if scaled.denominator != 1:
            low = int(scaled)
            nearest = tuple(self.to_ieee(v) for v in (low, low + 1) if v > 0)
            raise NotRepresentable(
                f"{ieee_value} is not a whole number of {self.name}", nearest)
        return int(scaled)

    def to_ieee(self, vendor_value: int) -> int:
        scaled = Fraction(vendor_value * self.per_vendor_unit, self.per_ieee_unit)
        if scaled.denominator != 1:
            raise NotRepresentable(f"{vendor_value} {self.name} is not a whole IEEE unit")
        return int(scaled)


IDENTITY = Scale("units")


def frames_for_duration(ms: int, speed_bps: int) -> tuple[int, bool]:
    """Minimum-size frames that fit in `ms` at `speed_bps` (IEEE: the count is whole frames,
    rounded down). Returns (frames, exact)."""
    frames = frames_per_second(speed_bps) * Fraction(ms, 1000)
    return int(frames), frames.denominator == 1


def symbols_for_duration(ms: int, speed_bps: int) -> tuple[int, bool]:
    symbols = Fraction(symbol_rate(speed_bps) * ms, 1000)
    return int(symbols), symbols.denominator == 1


def duration_for_frames(frames: int, speed_bps: int) -> Fraction:
    """Milliseconds (exact fraction) that `frames` minimum-size frames take at `speed_bps`."""
    return Fraction(frames * 1000) / frames_per_second(speed_bps)


def duration_for_symbols(symbols: int, speed_bps: int) -> Fraction:
    return Fraction(symbols * 1000, symbol_rate(speed_bps))
