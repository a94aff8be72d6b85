"""Value normalisation: how one printed value becomes oamkit's value, the same on every platform.

Every vendor module builds its records from these, so a null marker, a count, a window, a
yes/no flag, a discovery state or an interface name reads the same whichever device printed it.

Null markers (`-`, `--`, `N/A`, `None`, `none`) become None, never 0.

The parser reports every link-event window in IEEE 802.3 Clause 30 units, like the policy model:
errored frame / frame-seconds / CRC windows in deciseconds, errored frame period in frames,
errored symbol period in symbols. Show output mostly prints its unit (IOS `10 x 100 milliseconds`,
`1 x 100,000 frames`, `1 million symbols`), so the unit is read from the text itself rather than
from a table of what the configuration keyword is documented to count (the IOS frame-period
documentation and show output disagree, vendor notes 2.2). Where the output prints a bare number
the unit comes from `BARE_NUMBER_UNITS` below.

A window that cannot be expressed exactly in its IEEE unit (a time for a frame/symbol count, which
needs the link speed; 1050 ms as deciseconds) is reported as `window: null` with the vendor text
kept in `window_vendor` — never rounded, never zero.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from oamkit import units
from oamkit.parse.result import UnsupportedCommand
from oamkit.platforms import get_platform

# Text a device prints where a value is absent. They become null, never 0.
NULL_MARKERS = frozenset({"", "-", "--", "---", "n/a", "na", "none", "null", "not set"})

# IEEE unit of each event's window (the same table as oamkit.policy.WINDOW_UNITS; a test checks
# they agree). Junos reports no windows at all.
IEEE_WINDOW_UNITS = {
    "symbol_period": "symbols",
    "frame": "deciseconds",
    "frame_period": "frames",
    "frame_seconds": "deciseconds",
    "receive_crc": "deciseconds",
    "transmit_crc": "deciseconds",
}

# The four IEEE link events every platform monitors (IOS adds the two CRC events).
IEEE_LINK_EVENTS = ("symbol_period", "frame", "frame_period", "frame_seconds")

# What a printed unit word counts: (kind, how many base units one of it is).
# Base units: milliseconds for time, single frames, single symbols.
PRINTED_UNITS: dict[str, tuple[str, int]] = {
    "ms": ("time", 1), "msec": ("time", 1), "msecs": ("time", 1),
    "millisecond": ("time", 1), "milliseconds": ("time", 1),
    "ds": ("time", 100), "decisecond": ("time", 100), "deciseconds": ("time", 100),
    "s": ("time", 1000), "sec": ("time", 1000), "secs": ("time", 1000),
    "second": ("time", 1000), "seconds": ("time", 1000),
    "frame": ("frames", 1), "frames": ("frames", 1),
    "symbol": ("symbols", 1), "symbols": ("symbols", 1),
}
SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9}

# Unit of a window printed as a bare number, per platform and event.
#   cisco_xr: `Frame window: 1000` is milliseconds (vendor notes 3.2/3.4); symbol- and frame-period
#     windows are milliseconds too unless configured in symbols/frames, which prints the unit.
#   huawei_vrp: `ErrFramePeriod: 1` is seconds, `ErrFramePeriodPeriod: 200000` frames (notes 5.1).
#   cisco_ios prints units everywhere; a bare number there is an error.
BARE_NUMBER_UNITS: dict[str, dict[str, str]] = {
    "cisco_xr": {"symbol_period": "ms", "frame": "ms", "frame_period": "ms",
                 "frame_seconds": "ms"},
    "huawei_vrp": {"symbol_period": "s", "frame": "s", "frame_seconds": "s",
                   "frame_period": "frames"},
}

# IEEE unit -> (kind, base units per IEEE unit), to build the exact oamkit.units.Scale.
_IEEE_BASE = {"deciseconds": ("time", 100), "frames": ("frames", 1), "symbols": ("symbols", 1)}

_QUANTITY = re.compile(
    r"^(?P<count>\d[\d,]*)\s*(?:x\s*(?P<multiplier>\d[\d,]*)\s*)?"
    r"(?P<scale>thousand|million|billion)?\s*(?P<unit>[a-z]+)?$",
    re.IGNORECASE,
)


# IEEE discovery states (parsed `discovery_state`) in which the OAM session is up: what the
# push health gate waits for and what `check` calls OK.
OPERATIONAL = frozenset({"operational", "operational-half-duplex", "send-local-and-remote-ok"})


class BadValue(ValueError):
    """A printed value that is not what its field holds; `text` is the value as printed."""

    def __init__(self, message: str, text: str | None):
        super().__init__(message)
        self.text = text


def is_null(text: str | None) -> bool:
    return text is None or str(text).strip().lower() in NULL_MARKERS


def text_or_null(text: str | None) -> str | None:
    return None if is_null(text) else str(text).strip()


def count_or_null(text: str | None) -> int | None:
    """'1 error frame(s)' -> 1, '3,000' -> 3000, 'none'/'-'/'N/A' -> None. Anything else raises
    ValueError (the parser turns it into a ParseError)."""
    if is_null(text):
        return None
    match = re.match(r"^\s*(\d[\d,]*)(?![\d,])", str(text))
    if not match:
        raise BadValue(f"not a count: {text!r}", text)
    return int(match.group(1).replace(",", ""))


@dataclass(frozen=True)
class Window:
    value: int | None          # in `unit` (IEEE), or None when absent / not exactly convertible
    unit: str                  # IEEE unit of this event's window
    vendor: str | None         # the text as printed, with the unit the parser assumed
    note: str | None = None    # why value is None although the device printed something

    def as_dict(self) -> dict:
        out = {"window": self.value, "window_unit": self.unit, "window_vendor": self.vendor}
        if self.note:
            out["window_note"] = self.note
        return out


def window_to_ieee(event: str, text: str | None, platform: str) -> Window:
    """Convert a printed window ('10 x 100 milliseconds', '1 x 100,000 frames', '1000') to the
    IEEE unit of `event`. Raises ValueError for text that is not a window at all."""
    ieee_unit = IEEE_WINDOW_UNITS[event]
    if is_null(text):
        return Window(None, ieee_unit, None)
    raw = " ".join(str(text).split())
    match = _QUANTITY.match(raw)
    if not match:
        raise BadValue(f"not a window: {text!r}", text)
    count = int(match.group("count").replace(",", ""))
    if match.group("multiplier"):
        count *= int(match.group("multiplier").replace(",", ""))
    if match.group("scale"):
        count *= SCALE_WORDS[match.group("scale").lower()]
    unit_word = (match.group("unit") or "").lower()
    if not unit_word:
        unit_word = BARE_NUMBER_UNITS.get(platform, {}).get(event, "")
        if not unit_word:
            raise BadValue(f"window {text!r} prints no unit and {platform} has no default", text)
        vendor = f"{raw} {unit_word}"
    else:
        vendor = raw
    if unit_word not in PRINTED_UNITS:
        raise BadValue(f"unknown unit {unit_word!r} in window {text!r}", text)
    kind, base_per_vendor = PRINTED_UNITS[unit_word]
    if count == 0:
        # XR prints `Symbol period window: 0` for "platform default"; 0 is no IEEE window.
        return Window(None, ieee_unit, vendor, "0 means the platform default window")
    ieee_kind, base_per_ieee = _IEEE_BASE[ieee_unit]
    if kind != ieee_kind:
        if kind == "time":
            return Window(None, ieee_unit, vendor,
                          f"a time window needs the link speed to count {ieee_unit}")
        raise BadValue(f"a {event} window cannot be counted in {unit_word}: {text!r}", text)
    # Exact: vendor base units (ms, frames, symbols) -> IEEE units; never rounds.
    to_ieee = units.Scale(f"{unit_word} as {ieee_unit}", per_vendor_unit=1,
                          per_ieee_unit=base_per_ieee)
    try:
        value = to_ieee.to_ieee(count * base_per_vendor)
    except units.NotRepresentable:
        return Window(None, ieee_unit, vendor, f"{vendor} is not a whole number of {ieee_unit}")
    return Window(value, ieee_unit, vendor)


def window_block(platform: str, event: str, window: str | None, low: str | None,
                 high: str | None) -> dict:
    """One link event's window (IEEE units) and its low/high thresholds, as records hold it."""
    block = window_to_ieee(event, window, platform).as_dict()
    block["low_threshold"] = count_or_null(low)
    block["high_threshold"] = count_or_null(high)
    return block


# ------------------------------------------------------------------------- platform names
PLATFORMS = ("cisco_ios", "cisco_xr", "juniper_junos", "huawei_vrp")
def canonical_platform(platform: str) -> str:
    """A platform name or alias (the platforms' own table) -> one this parser knows."""
    try:
        key = get_platform(platform.strip()).name
    except KeyError:
        key = platform.strip().lower()
    if key not in PLATFORMS:
        raise UnsupportedCommand(
            f"unknown platform {platform!r}; known: {', '.join(PLATFORMS)}")
    return key


def canonical_interface(platform: str, name: str | None) -> str | None:
    """'Gi0/1' -> 'GigabitEthernet0/1', 'BE10' -> 'Bundle-Ether10': the platform's own
    `Platform.canonical_interface` and alias table (oamkit/platforms/<name>.py), the same
    function the inventory uses for intents, so parsed names and intents always agree."""
    if name is None:
        return None
    return get_platform(canonical_platform(platform)).canonical_interface(name)


# ------------------------------------------------------------------- states, flags, actions
# IEEE 802.3.2 `operational-status` names for the discovery states vendors print.
DISCOVERY_STATES = {
    "operational": "operational", "send-any": "operational", "detect": "operational",
    "loopback-control": "operational", "loopback-be-controlled": "operational",
    "operational-half-duplex": "operational-half-duplex",
    "passive-wait": "passive-wait",
    "active-send-local": "active-send-local",
    "send-local-remote": "send-local-and-remote", "send-local-and-remote": "send-local-and-remote",
    "send-local-remote-ok": "send-local-and-remote-ok",
    "send-local-and-remote-ok": "send-local-and-remote-ok",
    # IOS-XR's protocol states (its oper model: "the LOCAL_REMOTE(_OK) state"; `show ethernet
    # oam interfaces` in Cisco's guide prints "In REMOTE_OK state"; its field table, ASR 9000
    # command reference 5.3.x: "REMOTE (Also known as SEND_LOCAL_REMOTE)", "REMOTE_OK")
    "local-remote": "send-local-and-remote", "local-remote-ok": "send-local-and-remote-ok",
    "remote": "send-local-and-remote", "remote-ok": "send-local-and-remote-ok",
    "link-fault": "link-fault", "fault": "link-fault",
    "disabled": "disabled", "inactive": "disabled",
    "peering-locally-rejected": "peering-locally-rejected",
    "peer-locally-rejected": "peering-locally-rejected",
    "peering-remotely-rejected": "peering-remotely-rejected",
    "peer-remotely-rejected": "peering-remotely-rejected",
}


def state_key(text: str) -> str:
    """'Send Local Remote' / 'send_local_remote' -> 'send-local-remote'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def discovery_state(text: str | None) -> str | None:
    """The IEEE operational-status for a vendor state; an unknown state is returned as-is in
    lower-case-with-hyphens (e.g. Huawei `discovery`), never guessed."""
    if is_null(text):
        return None
    key = state_key(text)
    return DISCOVERY_STATES.get(key, key)


def flag(text: str | None) -> bool | None:
    """Y/N, enable/disable, supported (on)/(off), not supported -> True/False/None."""
    if is_null(text):
        return None
    value = text.strip().lower()
    if value in ("y", "yes", "enable", "enabled", "on", "true", "supported (on)", "supported"):
        return True
    if value in ("n", "no", "disable", "disabled", "off", "false", "supported (off)",
                 "not supported", "unsupported"):
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


def lower_or_null(text: str | None) -> str | None:
    value = text_or_null(text)
    return value.lower() if value is not None else None


def action(text: str | None) -> str | None:
    """'error disable interface' / 'Error-Disable' / 'Err.D' -> 'error-disable-interface'."""
    value = text_or_null(text)
    if value is None:
        return None
    key = state_key(value)
    return {"error-disable": "error-disable-interface", "err-d": "error-disable-interface",
            "error-disable-interface": "error-disable-interface", "no-action": None,
            "logged": "log", "log": "log", "efd": "efd", "disable": "disable",
            "failover": "failover"}.get(key, key)
