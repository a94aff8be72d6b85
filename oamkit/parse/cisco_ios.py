"""Cisco IOS / IOS-XE: how each parsed IOS command becomes oamkit records, and what proves an
IOS record complete (`SPECS`, one `TemplateSpec` per template of the command index).

IOS-XR prints `show ethernet oam statistics`, `show interfaces` and the remote failure actions
in the IOS layout, so `cisco_xr` reuses `oam_statistics`, `SHOW_INTERFACES` and
`remote_failure_actions` from here.
"""
from __future__ import annotations

import re

from oamkit.parse.spec import (
    Line,
    RecordContext,
    TemplateSpec,
    event_blocks,
    field_groups,
    interface_counters,
)
from oamkit.parse.structure import cisco_interface_cut
from oamkit.parse.values import (
    IEEE_LINK_EVENTS,
    action,
    canonical_interface,
    count_or_null,
    discovery_state,
    flag,
    is_null,
    lower_or_null,
)

# IOS also monitors CRC errors in received and transmitted frames.
IOS_EVENTS = IEEE_LINK_EVENTS + ("receive_crc", "transmit_crc")


# ------------------------------------------------------------------------------ preprocessing
_LABEL_ONLY = re.compile(r"^(\s*[A-Za-z][\w\s\-()/]*:)\s*$")


def unwrap_labels(lines: list[Line]) -> list[Line]:
    """PDF-mirror layout: `Mode:` on one line and `active` on the next -> `Mode: active`."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        here = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if (_LABEL_ONLY.match(here.text) and nxt is not None and nxt.text.strip()
                and ":" not in nxt.text):
            out.append(Line(here.number, f"{here.text.rstrip()} {nxt.text.strip()}"))
            i += 2
            continue
        out.append(here)
        i += 1
    return out


_INDENTED_CISCO_HEADER = re.compile(r"^\s+(?=\S+ is .*, line protocol is )")


def unindent_cisco_headers(lines: list[Line]) -> list[Line]:
    """IOS-XR can print an interface's first line with a leading space (` Bundle-Ether123456 is
    up, line protocol is up`, real ASR9k capture in the fixtures); the ntc-templates rule only
    starts a record at column 0, so without this the record would be silently merged into the
    previous interface's. The header line is never indented otherwise, so dedent it."""
    return [Line(line.number, _INDENTED_CISCO_HEADER.sub("", line.text))
            if _INDENTED_CISCO_HEADER.match(line.text) else line for line in lines]


# ---------------------------------------------------------------------------------- records
def _status(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    events = event_blocks(ctx, IOS_EVENTS)
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "admin_state": lower_or_null(r["ADMIN_STATE"]),
        "mode": lower_or_null(r["MODE"]),
        "link_monitoring": flag(r["LINK_MONITORING"]),
        "discovery_state": None,   # IOS prints it in `show ethernet oam discovery`
        "pdu_max_rate": count_or_null(r["PDU_MAX_RATE"]),
        "link_timeout_s": count_or_null(r["LINK_TIMEOUT"]),
        "high_threshold_action": action(r["HIGH_THRESHOLD_ACTION"]),
        "remote_failure_actions": remote_failure_actions(r),
        "link_events": events,
    }]


def remote_failure_actions(raw: dict) -> dict:
    """What the interface does when the peer reports a link fault, dying gasp or critical
    event (IOS status and XR interfaces print it alike)."""
    return {"link_fault": action(raw["LINK_FAULT_ACTION"]),
            "dying_gasp": action(raw["DYING_GASP_ACTION"]),
            "critical_event": action(raw["CRITICAL_EVENT_ACTION"])}


def _summary(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "loopback_state": {"*": "master", "#": "slave", "&": "error-block"}.get(r["LOOPBACK_STATE"]),
        "remote_mac": r["REMOTE_MAC"].lower(),
        "remote_oui": r["REMOTE_OUI"].upper(),
        "remote_mode": r["REMOTE_MODE"].lower(),
        "remote_capabilities": sorted(
            {"L": "link_monitoring", "R": "remote_loopback", "U": "unidirection",
             "V": "variable_retrieval"}[c] for c in r["CAPABILITY"].split()),
    }]


_OAMPDU_COUNTERS = ("information_oampdu", "unique_event_notification_oampdu",
                    "duplicate_event_notification_oampdu", "loopback_control_oampdu",
                    "variable_request_oampdu", "variable_response_oampdu",
                    "organization_specific_oampdu", "cisco_oampdu", "unsupported_oampdu")


def oam_statistics(ctx: RecordContext) -> list[dict]:
    """`show ethernet oam statistics`, IOS and IOS-XR alike (only IOS prints fault records)."""
    r = ctx.raw
    out: dict = {"interface": canonical_interface(ctx.platform, r["INTERFACE"])}
    for name in _OAMPDU_COUNTERS:
        for direction in ("tx", "rx"):
            out[f"{name}_{direction}"] = count_or_null(r.get(f"{name}_{direction}".upper()))
    out["frames_lost_due_to_oam"] = count_or_null(r.get("FRAMES_LOST_DUE_TO_OAM"))
    out["fixed_frames_rx"] = count_or_null(r.get("FIXED_FRAMES_RX"))
    for side in ("local", "remote"):
        out[f"{side}_event_records"] = {
            event: count_or_null(r.get(f"{side}_{event}_records".upper()))
            for event in IEEE_LINK_EVENTS}
        if ctx.platform == "cisco_ios":
            out[f"{side}_fault_records"] = {
                fault: count_or_null(r.get(f"{side}_{fault}_records".upper()))
                for fault in ("link_fault", "dying_gasp", "critical_event")}
    return [out]


def _discovery(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "mode": lower_or_null(r["LOCAL_MODE"]),
        "link_monitoring": flag(r["LOCAL_LINK_MONITOR"]),
        "discovery_state": discovery_state(r["PORT_STATUS"]),
        "loopback_status": lower_or_null(r["LOOPBACK_STATUS"]),
        "pdu_revision": count_or_null(r["PDU_REVISION"]),
        "mtu": count_or_null(r["LOCAL_MTU"]),
        "remote_mac": lower_or_null(r["REMOTE_MAC"]),
        "remote_oui": _oui(r["REMOTE_VENDOR_OUI"]),
        "remote_mode": lower_or_null(r["REMOTE_MODE"]),
        "remote_link_monitoring": flag(r["REMOTE_LINK_MONITOR"]),
        "remote_mtu": count_or_null(r["REMOTE_MTU"]),
    }]


def _oui(text: str | None) -> str | None:
    """'0x00 0x00 0x0C (cisco)' -> '00000C'."""
    if is_null(text):
        return None
    octets = re.findall(r"0x([0-9a-fA-F]{2})", text)
    if len(octets) != 3:
        raise ValueError(f"not an OUI: {text!r}")
    return "".join(octets).upper()


# ----------------------------------------------------------------------------- completeness
def _standard_sections(raw: dict) -> str | None:
    """With link monitoring supported, IOS prints the four IEEE event sections; output that
    stops before the last of them was cut short (the CRC sections are optional)."""
    if "not supported" in (raw.get("LINK_MONITORING") or "").lower():
        return None
    for key in ("SYMBOL_PERIOD", "FRAME", "FRAME_PERIOD", "FRAME_SECONDS"):
        if not raw.get(f"{key}_HIGH_THRESHOLD"):
            return f"{key}_HIGH_THRESHOLD"
    return None


# The event section titles `show ethernet oam status` prints -> the raw fields of that section.
_SECTION_FIELDS = {"Symbol Period Error": "SYMBOL_PERIOD", "Frame Error": "FRAME",
                   "Frame Period Error": "FRAME_PERIOD", "Frame Seconds Error": "FRAME_SECONDS",
                   "Receive-Frame CRC Error": "RECEIVE_CRC",
                   "Transmit-Frame CRC Error": "TRANSMIT_CRC"}

# The lines every statistics record prints last in its blocks: a record without one was cut.
OAM_STATISTICS_REQUIRED = ("INFORMATION_OAMPDU_TX", "FRAMES_LOST_DUE_TO_OAM",
                           "LOCAL_FRAME_SECONDS_RECORDS", "REMOTE_FRAME_SECONDS_RECORDS")

# `show interfaces` (IOS and XR) is parsed by ntc-templates (see the index): it skips lines it
# does not know. Sub-interfaces, bundles that are down, BVIs... print no `input errors, CRC`
# line: null counters, never an error.
SHOW_INTERFACES = TemplateSpec(
    interface_counters("INPUT_ERRORS", "CRC", "FRAME"), lenient=True, cut=cisco_interface_cut,
    preprocess=(unindent_cisco_headers,))

SPECS: dict[str, TemplateSpec] = {
    "cisco_ios_show_ethernet_oam_status.textfsm": TemplateSpec(
        _status, required=("MODE", "LINK_MONITORING"),
        check=_standard_sections, uniform=True,
        together=field_groups([e.upper() for e in IOS_EVENTS]), preprocess=(unwrap_labels,),
        section_windows=_SECTION_FIELDS),
    "cisco_ios_show_ethernet_oam_summary.textfsm": TemplateSpec(
        _summary, allow_no_records=True, table="interface"),
    "cisco_ios_show_ethernet_oam_statistics.textfsm": TemplateSpec(
        oam_statistics, required=OAM_STATISTICS_REQUIRED, uniform=True, uniform_ignore=("LOCAL_DYING_GASP_TOTALS", "LOCAL_DYING_GASP_TIMES",
                                      "REMOTE_DYING_GASP_TOTALS", "REMOTE_DYING_GASP_TIMES")),
    "cisco_ios_show_ethernet_oam_discovery.textfsm": TemplateSpec(
        _discovery, required=("LOCAL_MODE", "PORT_STATUS", "REMOTE_MODE", "REMOTE_MTU"),
        preprocess=(unwrap_labels,), uniform=True),
    "ntc-templates:cisco_ios_show_interfaces.textfsm": SHOW_INTERFACES,
}
