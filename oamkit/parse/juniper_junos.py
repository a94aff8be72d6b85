"""Juniper Junos: how each parsed Junos command becomes oamkit records, and what proves a Junos
record complete (`SPECS`, one `TemplateSpec` per template of the command index).

Junos prints no link-event windows (the platform fixes them) and keeps interface names as
printed (`ge-0/0/0` is already canonical).
"""
from __future__ import annotations

import re

from oamkit.parse.spec import (
    RecordContext,
    TemplateSpec,
    counts_ethernet_errors,
    field_groups,
    interface_counters,
)
from oamkit.parse.values import (
    IEEE_WINDOW_UNITS,
    count_or_null,
    discovery_state,
    flag,
    lower_or_null,
    text_or_null,
)

# oamkit's link event -> the raw field infix the LFM template gives it.
_EVENT_FIELDS = {"symbol_period": "SYMBOL_PERIOD", "frame": "FRAME",
                 "frame_period": "FRAME_PERIOD", "frame_seconds": "FRAME_SECONDS"}


def _link_fault_management(ctx: RecordContext) -> list[dict]:
    r = ctx.raw

    def block(direction: str) -> dict:
        out = {}
        for event, key in _EVENT_FIELDS.items():
            prefix = f"{direction}_{key}"
            if not r[f"{prefix}_THRESHOLD"]:
                continue
            out[event] = {
                # Junos windows are fixed by the platform and printed without a unit.
                "window": None, "window_unit": IEEE_WINDOW_UNITS[event],
                "window_vendor": text_or_null(r[f"{prefix}_WINDOW"]),
                "low_threshold": count_or_null(r[f"{prefix}_THRESHOLD"]),
                "high_threshold": None,
                "events": count_or_null(r[f"{prefix}_EVENTS"]),
                "errors_in_period": count_or_null(r[f"{prefix}_ERRORS_IN_PERIOD"]),
                "total_errors": count_or_null(r[f"{prefix}_TOTAL_ERRORS"]),
            }
        return out

    peer = text_or_null(r["PEER_ADDRESS"])
    if peer == "00:00:00:00:00:00":
        peer = None
    record = {
        "interface": r["INTERFACE"],
        "mode": None,   # the local mode is configuration only; Junos shows the peer's
        "link_monitoring": None,
        "discovery_state": discovery_state(r["DISCOVERY_STATE"]),
        "status": lower_or_null(r["STATUS"]),
        "peer_address": peer,
        "remote_mode": lower_or_null(r["REMOTE_DISCOVERY_MODE"]),
        "remote_link_monitoring": flag(r["REMOTE_LINK_EVENTS"]),
        # Local thresholds: the `transmitted` blocks, else the `current` ones; `received` blocks
        # carry what the peer's event TLVs said.
        "link_events": block("TX") or block("CURRENT"),
        "remote_link_events": block("RX"),
    }
    if r["TRANSMIT_INTERVAL"] or r["RX_INFORMATION"]:
        record.update({
            "pdu_interval_ms": count_or_null(r["TRANSMIT_INTERVAL"]),
            "pdu_threshold": count_or_null(r["PDU_THRESHOLD"]),
            "information_oampdu_tx": count_or_null(r["TX_INFORMATION"]),
            "information_oampdu_rx": count_or_null(r["RX_INFORMATION"]),
            "event_notification_oampdu_tx": count_or_null(r["TX_EVENT"]),
            "event_notification_oampdu_rx": count_or_null(r["RX_EVENT"]),
            "loopback_control_oampdu_tx": count_or_null(r["TX_LOOPBACK_CONTROL"]),
            "loopback_control_oampdu_rx": count_or_null(r["RX_LOOPBACK_CONTROL"]),
            "received_flags": {
                "critical_event": count_or_null(r["RX_FLAG_CRITICAL_EVENT"]),
                "dying_gasp": count_or_null(r["RX_FLAG_DYING_GASP"]),
                "link_fault": count_or_null(r["RX_FLAG_LINK_FAULT"]),
            },
        })
    return [record]


# ----------------------------------------------------------------------------- completeness
def _aggregate_no_crc(raw: dict) -> tuple[str, ...]:
    """A Junos aggregate (`ae0`) prints `MAC statistics` with broadcast/multicast only, no
    `CRC/Align errors` line (real MX capture, fixtures `real_genieparser_ae_bundle_lacp`): its
    CRC counter is null, not a cut record; CRC errors are counted on the member links."""
    return ("CRC_ERRORS",) if re.match(r"^(ae|reth)\d", raw.get("INTERFACE") or "") else ()


_BLOCK_LAST_FIELD = {
    "OAM receive statistics": "RX_ORGANIZATION_SPECIFIC",
    "OAM transmit statistics": "TX_ORGANIZATION_SPECIFIC",
    "OAM flags receive statistics": "RX_FLAG_LINK_FAULT",
    "Remote entity information": "REMOTE_VARIABLE_REQUESTS",
}
_EVENT_BLOCK = re.compile(r"OAM (received|transmitted|current) (.+) event information")
_DIRECTIONS = {"received": "RX", "transmitted": "TX", "current": "CURRENT"}
_EVENT_WORDS = {"symbol error": "SYMBOL_PERIOD", "frame error": "FRAME",
                "frame period error": "FRAME_PERIOD",
                "frame period summary error": "FRAME_SECONDS"}


def _blocks_complete(raw: dict) -> str | None:
    """Every block the output opened (`OAM receive statistics:`, `Remote entity information:`,
    ...) must have its last line; a block cut after its title means truncated output."""
    for block in raw.get("BLOCKS") or []:
        needed = _BLOCK_LAST_FIELD.get(block)
        match = _EVENT_BLOCK.fullmatch(block)
        if match and match.group(2) in _EVENT_WORDS:
            needed = f"{_DIRECTIONS[match.group(1)]}_{_EVENT_WORDS[match.group(2)]}_TOTAL_ERRORS"
        if needed and not raw.get(needed):
            return needed
    return None


SPECS: dict[str, TemplateSpec] = {
    "juniper_junos_show_oam_ethernet_link-fault-management.textfsm": TemplateSpec(
        _link_fault_management, required=("STATUS", "DISCOVERY_STATE", "PEER_ADDRESS", "FLAGS"),
        check=_blocks_complete, uniform=True,
        together=field_groups(
            [f"{d}_{e}" for d in ("RX", "TX", "CURRENT") for e in _EVENT_FIELDS.values()],
            ("EVENTS", "WINDOW", "THRESHOLD", "ERRORS_IN_PERIOD", "TOTAL_ERRORS"))
        + (("RX_INFORMATION", "RX_ORGANIZATION_SPECIFIC"),
           ("TX_INFORMATION", "TX_ORGANIZATION_SPECIFIC"))),
    "juniper_junos_show_interfaces_extensive.textfsm": TemplateSpec(
        interface_counters("INPUT_ERRORS", "CRC_ERRORS", "FRAMING_ERRORS"),
        required=("INPUT_ERRORS", "CRC_ERRORS"), lenient=True,
        required_if=counts_ethernet_errors, excused=_aggregate_no_crc),
}
