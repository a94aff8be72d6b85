"""Huawei VRP: how each parsed VRP command becomes oamkit records, and what proves a VRP record
complete (`SPECS`, one `TemplateSpec` per template of the command index).

VRP has one threshold per link event and no single link-monitoring switch (an event reports
only with its notification on); its EFM state `discovery` is passed through as text.
"""
from __future__ import annotations

import re

from oamkit.parse.spec import (
    Line,
    RecordContext,
    TemplateSpec,
    counts_ethernet_errors,
    field_groups,
    interface_counters,
)
from oamkit.parse.values import (
    DISCOVERY_STATES,
    canonical_interface,
    count_or_null,
    discovery_state,
    flag,
    lower_or_null,
    state_key,
    window_block,
)

# oamkit's link event -> the raw field prefix VRP's templates give it.
_EVENT_FIELDS = {"symbol_period": "ERR_CODE", "frame": "ERR_FRAME",
                 "frame_seconds": "ERR_FRAME_SECOND", "frame_period": "ERR_FRAME_PERIOD"}


# ------------------------------------------------------------------------------ preprocessing
_TWO_PAIRS = re.compile(r"^(\s*[A-Za-z][A-Za-z ]*:\s+\S+)\s{2,}([A-Za-z][A-Za-z]*:\s+\S.*)$")


def split_pairs(lines: list[Line]) -> list[Line]:
    """Huawei quirk: `Remote Multiplexer:   --  ErrFramePeriodNotification:    disable`."""
    out: list[Line] = []
    for line in lines:
        match = _TWO_PAIRS.match(line.text)
        if match:
            out += [Line(line.number, match.group(1)), Line(line.number, "  " + match.group(2))]
        else:
            out.append(line)
    return out


# ------------------------------------------------------------------------ structural checks
# `display interface`: in every real capture (AR, S-series and CloudEngine switches, VRP8
# routers; tests/fixtures/parsers/huawei_vrp/display_interface/real_*) a record that opens an
# input counter block (`Input:  N packets`, `Input: N packets,N bytes`, a bare `Input:`) goes on
# to print its `Output` block, and every Ethernet port or Eth-Trunk prints an input counter
# block. Which counters a block prints differs per board and release (no `Total Error:` on a
# VRP8 router, no `Frames:` on an S-series 10GE port): a counter a record does not print is
# null, never evidence of a cut.
_VRP_HEADER = re.compile(r"^\s*(?P<name>\S+)\s+current\s+state\s*:")
_VRP_INPUT = re.compile(r"^\s*Input\s*:")
_VRP_OUTPUT = re.compile(r"^\s*Output\s*:")


def interface_cut(lines) -> str | None:
    """What the last record of `display interface` is missing, if the output stops inside it."""
    opened = [i for i, line in enumerate(lines) if _VRP_INPUT.match(line)]
    if opened and not any(_VRP_OUTPUT.match(line) for line in lines[opened[-1]:]):
        return "the Output counter block that follows its Input block"
    header = _VRP_HEADER.match(lines[0]) if lines else None
    if header and not opened and counts_ethernet_errors({"INTERFACE": header.group("name")}):
        return "the Input counter block every Ethernet port prints"
    return None


# ---------------------------------------------------------------------------------- records
def _efm(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    events = {}
    for event, key in _EVENT_FIELDS.items():
        if not any(r[f"{key}_{f}"] for f in ("PERIOD", "THRESHOLD", "NOTIFICATION")):
            continue
        # VRP has one threshold per event: no high threshold
        block = window_block(ctx.platform, event, r[f"{key}_PERIOD"], r[f"{key}_THRESHOLD"], None)
        block["notification"] = flag(r[f"{key}_NOTIFICATION"])
        events[event] = block
    notifications = [b["notification"] for b in events.values() if b["notification"] is not None]
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "efm_enabled": flag(r["EFM_ENABLE_FLAG"]),
        "mode": lower_or_null(r["MODE"]),
        # VRP has no single link-monitoring switch: an event reports only with notification on.
        "link_monitoring": any(notifications) if notifications else None,
        "discovery_state": None,   # `display efm session` prints it
        "pdu_interval_ms": count_or_null(r["OAMPDU_INTERVAL"]),
        "link_timeout_ms": count_or_null(r["OAMPDU_TIMEOUT"]),
        "trigger_if_down": flag(r["TRIGGER_IF_DOWN"]),
        "hold_up_time": count_or_null(r["HOLD_UP_TIME"]),
        "remote_mac": lower_or_null(r["REMOTE_MAC"]),
        "remote_mode": lower_or_null(r["REMOTE_MODE"]),
        "link_events": events,
    }]


def _no_remote_block(raw: dict) -> tuple[str, ...]:
    """A record that ends at `TriggerMacRenew` with no `Remote ...` line is whole: Huawei's
    CE/S-series example of `display efm interface` prints no remote block (no peer, or that
    layout), where the NE40E one ends at `Remote Multiplexer`."""
    if raw.get("TRIGGER_MAC_RENEW") and not any(raw.get(k) for k in raw if k.startswith("REMOTE_")):
        return ("REMOTE_MULTIPLEXER",)
    return ()


def _session(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    state = state_key(r["EFM_STATE"])
    if state not in DISCOVERY_STATES and state != "discovery":   # VRP: still discovering
        ctx.warnings.append(f"{r['INTERFACE']}: EFM state {r['EFM_STATE'].strip()!r} is not one "
                            "oamkit knows; passed through as text")
    minutes = count_or_null(r["LOOPBACK_TIMEOUT"])
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "session_state": state,
        "discovery_state": discovery_state(r["EFM_STATE"]),
        # the loopback test's timeout, which VRP counts in minutes (`efm loopback start
        # timeout`; NetEngine 8000 reference: "Timeout period of the loopback test, in minutes")
        "loopback_timeout_min": minutes,
        "loopback_timeout_s": None if minutes is None else minutes * 60,
    }]


def _link_events(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    interface = canonical_interface(ctx.platform, r["INTERFACE"])
    return [{
        "interface": interface,
        "event": event,
        "errors": count_or_null(r[f"{key}_ERRORS"]),
        "error_running_total": count_or_null(r[f"{key}_ERROR_RUNNING_TOTAL"]),
        "event_running_total": count_or_null(r[f"{key}_EVENT_RUNNING_TOTAL"]),
    } for event, key in _EVENT_FIELDS.items()]


SPECS: dict[str, TemplateSpec] = {
    "huawei_vrp_display_efm_all.textfsm": TemplateSpec(
        _efm, required=("MODE", "REMOTE_MULTIPLEXER"), excused=_no_remote_block,
        together=field_groups(_EVENT_FIELDS.values(), ("PERIOD", "THRESHOLD")),
        preprocess=(split_pairs,), uniform=True),
    "huawei_vrp_display_efm_session_all.textfsm": TemplateSpec(
        _session, allow_no_records=True, table="interface"),
    "huawei_vrp_display_efm_link-event_local.textfsm": TemplateSpec(
        _link_events, required=("ERR_FRAME_PERIOD_EVENT_RUNNING_TOTAL",), uniform=True),
    "huawei_vrp_display_interface.textfsm": TemplateSpec(
        interface_counters("INPUT_ERRORS", "CRC_ERRORS", "FRAME_ERRORS"), lenient=True,
        cut=interface_cut),
}
