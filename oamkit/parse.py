"""Parse saved show/display output into records with oamkit's field names, the same on every
platform.

    result = parse_output("cisco_ios", "show ethernet oam status", text)
    result.records  # [{"interface": "GigabitEthernet0/1", "mode": "active", ...,
                    #   "template": "cisco_ios_show_ethernet_oam_status.textfsm", "raw": {...}}]

Which template parses a command is decided by the clitable index `templates/textfsm/index`
(command completion like `sh[[ow]] eth[[ernet]] o[[am]] statu[[s]]`). Rows whose template starts
with `ntc-templates:` use the template shipped in the installed ntc-templates package, where it
already parses the command well; the others are oamkit's own templates in the same folder.

Output that does not parse is never silently empty or zero: a device error (`% Invalid input`,
`syntax error`, `Error: Wrong parameter`), a record cut short (truncated capture) or a value that
is not what the field holds raises `ParseError` naming the template and the input line. One
unknown line, state or missing optional counter never discards the whole output: lines no
template rule knows are skipped and counted in `warnings`, unknown states pass through as text,
optional counters an interface does not print are null. "Truncated" is decided from structure
only (the output stops inside a record, `oamkit.parsing.structure`). Output that is empty (or only header lines such as IOS
`Load for five secs` or the XR timestamp) gives no records and `empty=True`; VRP `Info:` notes
land in `messages`. Null markers (`-`, `--`, `N/A`, `None`, `none`) become None, never 0.
Terminal captures may keep their echoed `prompt#command` line, final prompt and pager debris.

Public API: `parse_output`, `parse_file`, `ParseResult`, `ParseError`, `UnsupportedCommand`,
`supported_commands`, `template_for`, `canonical_interface`, `discovery_state`.
Windows are in IEEE units (`oamkit.parse_units`): frame/frame-seconds/CRC in deciseconds,
frame-period in frames, symbol-period in symbols; `window_vendor` keeps the printed text.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import textfsm
from textfsm import clitable

from oamkit.errors import ExitCode, OamkitError
from oamkit.parsing.fsm import TrackingFSM as _TrackingFSM
from oamkit.parsing.structure import (
    CutCheck,
    cisco_interface_cut,
    looks_like_row,
    still_before_table,
    unknown_lines_warning,
)
from oamkit.parse_units import (
    IEEE_WINDOW_UNITS,
    BadValue,
    count_or_null,
    is_null,
    text_or_null,
    window_to_ieee,
)

__all__ = ["ParseError", "ParseResult", "UnsupportedCommand", "parse_output", "parse_file",
           "supported_commands", "template_for", "canonical_interface", "discovery_state",
           "TEMPLATE_DIR", "PLATFORMS"]

TEMPLATE_DIR = Path(__file__).parent / "templates" / "textfsm"
INDEX_FILE = "index"
NTC_PREFIX = "ntc-templates:"
PLATFORMS = ("cisco_ios", "cisco_xr", "juniper_junos", "huawei_vrp")
_PLATFORM_ALIASES = {"cisco_xe": "cisco_ios", "ios": "cisco_ios", "iosxe": "cisco_ios",
                     "ios-xe": "cisco_ios", "iosxr": "cisco_xr", "ios-xr": "cisco_xr",
                     "junos": "juniper_junos", "juniper": "juniper_junos",
                     "huawei": "huawei_vrp", "vrp": "huawei_vrp", "huawei_vrpv8": "huawei_vrp"}


# ---------------------------------------------------------------------------------------- errors
class ParseError(OamkitError):
    """Output that does not parse: names the template and the input line (1-based)."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, template: str | None, line_no: int | None, line: str | None, reason: str):
        self.template = template
        self.line_no = line_no
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.template or "parser"
        if self.line_no is not None:
            where += f", line {self.line_no}"
        text = f"{where}: {self.reason}"
        if self.line is not None:
            text += f": {self.line.strip()!r}"
        return text

    def as_dict(self) -> dict:
        return {"template": self.template, "line_no": self.line_no, "line": self.line,
                "reason": self.reason}


class UnsupportedCommand(OamkitError):
    """Unknown platform, or no template for this command on this platform (exit 2)."""

    exit_code = ExitCode.BAD_INPUT


@dataclass
class ParseResult:
    platform: str
    command: str
    template: str
    source: str                      # "oamkit" or "ntc-templates"
    records: list[dict] = field(default_factory=list)
    empty: bool = False              # the output held nothing but blank/header lines
    messages: list[str] = field(default_factory=list)   # device notes, e.g. VRP `Info: ...`
    warnings: list[str] = field(default_factory=list)   # skipped lines, unknown values

    def as_dict(self) -> dict:
        return {"platform": self.platform, "command": self.command, "template": self.template,
                "source": self.source, "empty": self.empty, "messages": self.messages,
                "warnings": self.warnings, "records": self.records}


# ------------------------------------------------------------------------- lines and the FSM
@dataclass(frozen=True)
class _Line:
    number: int   # 1-based line number in the text the caller gave
    text: str


# Lines devices print around the real output; they never make output non-empty.
_HEADER_LINES = [
    re.compile(r"^Load\s+for\s+five\s+secs"),                                   # IOS exec timestamp
    re.compile(r"^Time\s+source\s+is\s+"),
    re.compile(r"^\w{3}\s+\w{3}\s+\d{1,2}\s+\d+:\d+:\d+(\.\d+)?\s+[A-Z]{2,5}(\s+DST)?\s*$"),  # XR
    re.compile(r"^\{(master|backup|linecard)(:\d+)?\}\s*$"),                    # Junos
]
# Lines with which a device refuses a command: the capture holds no output to parse.
_DEVICE_ERRORS = [
    re.compile(r"^\s*%\s*(Invalid input|Incomplete command|Ambiguous command|Unknown command|"
               r"Unrecognized command|Error|Bad )", re.IGNORECASE),
    re.compile(r"^\s*syntax error", re.IGNORECASE),
    re.compile(r"^\s*error:\s", re.IGNORECASE),
    re.compile(r"^\s*unknown command", re.IGNORECASE),
]


# Informational notes instead of output (VRP: `Info: EFM OAM is not enabled on any interface.`).
_INFO_LINE = re.compile(r"^\s*Info:\s*(?P<message>\S.*?)\s*$")


# Terminal-capture debris: ANSI colour/cursor sequences, pager prompts and their backspaces.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PAGER = re.compile(r"\s*-+\s*\(?more\b[^)\n]*\)?\s*-+\s*|\s*--More--\s*", re.IGNORECASE)
# A device prompt, alone (end of a capture) or before the echoed command (start of a capture):
# `ios-1#`, `RP/0/RP0/CPU0:xr-1#`, `admin@junos-1>`, `<vrp-1>`, `[~vrp-1]`, `[*vrp-1-GE0/1/0]`.
_PROMPT = r"(?:\S*[#>$%]|<[^<>\s]+>|\[[~*]?[^\[\]\s]+\])"
_PROMPT_ONLY = re.compile(rf"^\s*{_PROMPT}\s*$")
_PROMPT_AND_COMMAND = re.compile(rf"^\s*{_PROMPT}\s*(?P<command>\S.*?)\s*$")


def _scrub(text: str) -> str:
    text = _ANSI.sub("", text)
    if "\x08" in text:  # a pager erases its prompt with backspaces: apply them
        kept: list[str] = []
        for char in text:
            if char == "\x08":
                if kept:
                    kept.pop()
            else:
                kept.append(char)
        text = "".join(kept)
    return _PAGER.sub("", text).expandtabs()


def _strip_session_lines(lines: list[_Line], platform: str, template: str) -> list[_Line]:
    """Drop the echoed `prompt# command` line of a saved session and the prompt at its end, so
    engineers can parse a terminal capture as it is. The echo is only dropped when it names a
    command the index maps to the same template (so abbreviations work)."""
    while lines and not lines[-1].text.strip():
        lines.pop()
    while lines and _PROMPT_ONLY.match(lines[-1].text):
        lines.pop()
        while lines and not lines[-1].text.strip():
            lines.pop()
    for i, line in enumerate(lines):
        if not line.text.strip() or _is_header(line.text):
            continue
        echo = _PROMPT_AND_COMMAND.match(line.text)
        if echo:
            try:
                same = template_for(platform, echo.group("command")) == template
            except UnsupportedCommand:
                same = False
            if same:
                return lines[:i] + lines[i + 1:]
        break
    return lines


def _is_header(text: str) -> bool:
    return not text.strip() or any(p.match(text) for p in _HEADER_LINES)


# ------------------------------------------------------------------------------ preprocessing
_LABEL_ONLY = re.compile(r"^(\s*[A-Za-z][\w\s\-()/]*:)\s*$")


def _unwrap_labels(lines: list[_Line]) -> list[_Line]:
    """PDF-mirror layout: `Mode:` on one line and `active` on the next -> `Mode: active`."""
    out: list[_Line] = []
    i = 0
    while i < len(lines):
        here = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if (_LABEL_ONLY.match(here.text) and nxt is not None and nxt.text.strip()
                and ":" not in nxt.text):
            out.append(_Line(here.number, f"{here.text.rstrip()} {nxt.text.strip()}"))
            i += 2
            continue
        out.append(here)
        i += 1
    return out


_TWO_PAIRS = re.compile(r"^(\s*[A-Za-z][A-Za-z ]*:\s+\S+)\s{2,}([A-Za-z][A-Za-z]*:\s+\S.*)$")


def _split_pairs(lines: list[_Line]) -> list[_Line]:
    """Huawei quirk: `Remote Multiplexer:   --  ErrFramePeriodNotification:    disable`."""
    out: list[_Line] = []
    for line in lines:
        match = _TWO_PAIRS.match(line.text)
        if match:
            out += [_Line(line.number, match.group(1)), _Line(line.number, "  " + match.group(2))]
        else:
            out.append(line)
    return out


_INDENTED_CISCO_HEADER = re.compile(r"^\s+(?=\S+ is .*, line protocol is )")


def _unindent_cisco_headers(lines: list[_Line]) -> list[_Line]:
    """IOS-XR can print an interface's first line with a leading space (` Bundle-Ether123456 is
    up, line protocol is up`, real ASR9k capture in the fixtures); the ntc-templates rule only
    starts a record at column 0, so without this the record would be silently merged into the
    previous interface's. The header line is never indented otherwise, so dedent it."""
    return [_Line(line.number, _INDENTED_CISCO_HEADER.sub("", line.text))
            if _INDENTED_CISCO_HEADER.match(line.text) else line for line in lines]


# ------------------------------------------------------------------------------ normalising
def canonical_interface(platform: str, name: str | None) -> str | None:
    """'Gi0/1' -> 'GigabitEthernet0/1', 'BE10' -> 'Bundle-Ether10': the platform's own
    `Platform.canonical_interface` and alias table (oamkit/platforms/<name>.py), the same
    function the inventory uses for intents, so parsed names and intents always agree."""
    if name is None:
        return None
    from oamkit.platforms import get_platform

    return get_platform(canonical_platform(platform)).canonical_interface(name)


# IEEE 802.3.2 `operational-status` names for the discovery states vendors print.
_DISCOVERY_STATES = {
    "operational": "operational", "send-any": "operational", "detect": "operational",
    "loopback-control": "operational", "loopback-be-controlled": "operational",
    "operational-half-duplex": "operational-half-duplex",
    "passive-wait": "passive-wait",
    "active-send-local": "active-send-local",
    "send-local-remote": "send-local-and-remote", "send-local-and-remote": "send-local-and-remote",
    "send-local-remote-ok": "send-local-and-remote-ok",
    "send-local-and-remote-ok": "send-local-and-remote-ok",
    "link-fault": "link-fault", "fault": "link-fault",
    "disabled": "disabled", "inactive": "disabled",
    "peering-locally-rejected": "peering-locally-rejected",
    "peer-locally-rejected": "peering-locally-rejected",
    "peering-remotely-rejected": "peering-remotely-rejected",
    "peer-remotely-rejected": "peering-remotely-rejected",
}


def _state_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def discovery_state(text: str | None) -> str | None:
    """The IEEE operational-status for a vendor state; an unknown state is returned as-is in
    lower-case-with-hyphens (e.g. Huawei `discovery`), never guessed."""
    if is_null(text):
        return None
    key = _state_key(text)
    return _DISCOVERY_STATES.get(key, key)


def _flag(text: str | None) -> bool | None:
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


def _lower(text: str | None) -> str | None:
    value = text_or_null(text)
    return value.lower() if value is not None else None


def _action(text: str | None) -> str | None:
    """'error disable interface' / 'Error-Disable' / 'Err.D' -> 'error-disable-interface'."""
    value = text_or_null(text)
    if value is None:
        return None
    key = _state_key(value)
    return {"error-disable": "error-disable-interface", "err-d": "error-disable-interface",
            "error-disable-interface": "error-disable-interface", "no-action": None,
            "logged": "log", "log": "log", "efd": "efd", "disable": "disable",
            "failover": "failover"}.get(key, key)


def _event_block(platform: str, event: str, window: str | None, low: str | None,
                 high: str | None) -> dict:
    block = window_to_ieee(event, window, platform).as_dict()
    block["low_threshold"] = count_or_null(low)
    block["high_threshold"] = count_or_null(high)
    return block


@dataclass(frozen=True)
class _Context:
    platform: str
    raw: dict
    record_line: _Line | None
    warnings: list[str] = field(default_factory=list)


# Each normaliser maps one raw TextFSM record to one or more oamkit records.
Normaliser = Callable[[_Context], list[dict]]
_EVENTS = ("symbol_period", "frame", "frame_period", "frame_seconds")
_IOS_EVENTS = _EVENTS + ("receive_crc", "transmit_crc")


def _event_blocks(ctx: _Context, names) -> dict:
    """Per link event, the window/threshold block of the events the output printed."""
    r = ctx.raw
    events = {}
    for event in names:
        key = event.upper()
        if any(r[f"{key}_{f}"] for f in ("WINDOW", "LOW_THRESHOLD", "HIGH_THRESHOLD")):
            events[event] = _event_block(ctx.platform, event, r[f"{key}_WINDOW"],
                                         r[f"{key}_LOW_THRESHOLD"], r[f"{key}_HIGH_THRESHOLD"])
    return events


def _ios_status(ctx: _Context) -> list[dict]:
    r = ctx.raw
    events = _event_blocks(ctx, _IOS_EVENTS)
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "admin_state": _lower(r["ADMIN_STATE"]),
        "mode": _lower(r["MODE"]),
        "link_monitoring": _flag(r["LINK_MONITORING"]),
        "discovery_state": None,   # IOS prints it in `show ethernet oam discovery`
        "pdu_max_rate": count_or_null(r["PDU_MAX_RATE"]),
        "link_timeout_s": count_or_null(r["LINK_TIMEOUT"]),
        "high_threshold_action": _action(r["HIGH_THRESHOLD_ACTION"]),
        "remote_failure_actions": {
            "link_fault": _action(r["LINK_FAULT_ACTION"]),
            "dying_gasp": _action(r["DYING_GASP_ACTION"]),
            "critical_event": _action(r["CRITICAL_EVENT_ACTION"]),
        },
        "link_events": events,
    }]


def _ios_summary(ctx: _Context) -> list[dict]:
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


_COUNTERS = ("information_oampdu", "unique_event_notification_oampdu",
             "duplicate_event_notification_oampdu", "loopback_control_oampdu",
             "variable_request_oampdu", "variable_response_oampdu",
             "organization_specific_oampdu", "cisco_oampdu", "unsupported_oampdu")


def _statistics(ctx: _Context) -> list[dict]:
    r = ctx.raw
    out: dict = {"interface": canonical_interface(ctx.platform, r["INTERFACE"])}
    for name in _COUNTERS:
        for direction in ("tx", "rx"):
            out[f"{name}_{direction}"] = count_or_null(r.get(f"{name}_{direction}".upper()))
    out["frames_lost_due_to_oam"] = count_or_null(r.get("FRAMES_LOST_DUE_TO_OAM"))
    out["fixed_frames_rx"] = count_or_null(r.get("FIXED_FRAMES_RX"))
    for side in ("local", "remote"):
        out[f"{side}_event_records"] = {
            event: count_or_null(r.get(f"{side}_{event}_records".upper())) for event in _EVENTS}
        if ctx.platform == "cisco_ios":
            out[f"{side}_fault_records"] = {
                fault: count_or_null(r.get(f"{side}_{fault}_records".upper()))
                for fault in ("link_fault", "dying_gasp", "critical_event")}
    return [out]


def _ios_discovery(ctx: _Context) -> list[dict]:
    r = ctx.raw
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "mode": _lower(r["LOCAL_MODE"]),
        "link_monitoring": _flag(r["LOCAL_LINK_MONITOR"]),
        "discovery_state": discovery_state(r["PORT_STATUS"]),
        "loopback_status": _lower(r["LOOPBACK_STATUS"]),
        "pdu_revision": count_or_null(r["PDU_REVISION"]),
        "mtu": count_or_null(r["LOCAL_MTU"]),
        "remote_mac": _lower(r["REMOTE_MAC"]),
        "remote_oui": _oui(r["REMOTE_VENDOR_OUI"]),
        "remote_mode": _lower(r["REMOTE_MODE"]),
        "remote_link_monitoring": _flag(r["REMOTE_LINK_MONITOR"]),
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


def _xr_interfaces(ctx: _Context) -> list[dict]:
    r = ctx.raw
    events = _event_blocks(ctx, _EVENTS)
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "mode": _lower(r["MODE"]),
        "link_monitoring": _flag(r["LINK_MONITORING"]),
        "discovery_state": discovery_state(r["SESSION_STATE"]),
        "session_state": _state_key(r["SESSION_STATE"]) if r["SESSION_STATE"] else None,
        "hello_interval": text_or_null(r["HELLO_INTERVAL"]),
        "connection_timeout": count_or_null(r["CONNECTION_TIMEOUT"]),
        "high_threshold_action": _action(r["HIGH_THRESHOLD_ACTION"]),
        "remote_failure_actions": {
            "link_fault": _action(r["LINK_FAULT_ACTION"]),
            "dying_gasp": _action(r["DYING_GASP_ACTION"]),
            "critical_event": _action(r["CRITICAL_EVENT_ACTION"]),
        },
        "link_events": events,
    }]


_XR_EVENT_TYPES = {"symbol-period": "symbol_period", "frame": "frame",
                   "frame-period": "frame_period", "frame-seconds": "frame_seconds",
                   "frame-fail": "frame_fail", "dying-gasp": "dying_gasp",
                   "critical-event": "critical_event", "link-fault": "link_fault"}


def _xr_event_log(ctx: _Context) -> list[dict]:
    r = ctx.raw
    key = _state_key(r["TYPE"])
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "time": " ".join(r["TIME"].split()),
        "event_type": _XR_EVENT_TYPES.get(key, key.replace("-", "_")),
        "location": r["LOCATION"].lower(),
        "action": _action(r["ACTION"]),
        "threshold": count_or_null(r["THRESHOLD"]),
        "value": count_or_null(r["BREACHING_VALUE"]),
    }]


_JUNOS_EVENTS = {"symbol_period": "SYMBOL_PERIOD", "frame": "FRAME",
                 "frame_period": "FRAME_PERIOD", "frame_seconds": "FRAME_SECONDS"}


def _junos_lfm(ctx: _Context) -> list[dict]:
    r = ctx.raw

    def block(direction: str) -> dict:
        out = {}
        for event, key in _JUNOS_EVENTS.items():
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
        "status": _lower(r["STATUS"]),
        "peer_address": peer,
        "remote_mode": _lower(r["REMOTE_DISCOVERY_MODE"]),
        "remote_link_monitoring": _flag(r["REMOTE_LINK_EVENTS"]),
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


_HUAWEI_EVENTS = {"symbol_period": "ERR_CODE", "frame": "ERR_FRAME",
                  "frame_seconds": "ERR_FRAME_SECOND", "frame_period": "ERR_FRAME_PERIOD"}


def _huawei_efm(ctx: _Context) -> list[dict]:
    r = ctx.raw
    events = {}
    for event, key in _HUAWEI_EVENTS.items():
        if not any(r[f"{key}_{f}"] for f in ("PERIOD", "THRESHOLD", "NOTIFICATION")):
            continue
        block = window_to_ieee(event, r[f"{key}_PERIOD"], ctx.platform).as_dict()
        block["low_threshold"] = count_or_null(r[f"{key}_THRESHOLD"])
        block["high_threshold"] = None   # VRP has one threshold per event
        block["notification"] = _flag(r[f"{key}_NOTIFICATION"])
        events[event] = block
    notifications = [b["notification"] for b in events.values() if b["notification"] is not None]
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "efm_enabled": _flag(r["EFM_ENABLE_FLAG"]),
        "mode": _lower(r["MODE"]),
        # VRP has no single link-monitoring switch: an event reports only with notification on.
        "link_monitoring": any(notifications) if notifications else None,
        "discovery_state": None,   # `display efm session` prints it
        "pdu_interval_ms": count_or_null(r["OAMPDU_INTERVAL"]),
        "link_timeout_ms": count_or_null(r["OAMPDU_TIMEOUT"]),
        "trigger_if_down": _flag(r["TRIGGER_IF_DOWN"]),
        "hold_up_time": count_or_null(r["HOLD_UP_TIME"]),
        "remote_mac": _lower(r["REMOTE_MAC"]),
        "remote_mode": _lower(r["REMOTE_MODE"]),
        "link_events": events,
    }]


def _huawei_session(ctx: _Context) -> list[dict]:
    r = ctx.raw
    state = _state_key(r["EFM_STATE"])
    if state not in _DISCOVERY_STATES and state != "discovery":   # VRP: still discovering
        ctx.warnings.append(f"{r['INTERFACE']}: EFM state {r['EFM_STATE'].strip()!r} is not one "
                            "oamkit knows; passed through as text")
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "session_state": state,
        "discovery_state": discovery_state(r["EFM_STATE"]),
        "loopback_timeout_s": count_or_null(r["LOOPBACK_TIMEOUT"]),
    }]


def _huawei_link_events(ctx: _Context) -> list[dict]:
    r = ctx.raw
    interface = canonical_interface(ctx.platform, r["INTERFACE"])
    return [{
        "interface": interface,
        "event": event,
        "errors": count_or_null(r[f"{key}_ERRORS"]),
        "error_running_total": count_or_null(r[f"{key}_ERROR_RUNNING_TOTAL"]),
        "event_running_total": count_or_null(r[f"{key}_EVENT_RUNNING_TOTAL"]),
    } for event, key in _HUAWEI_EVENTS.items()]


def _counters(input_errors: str, crc: str, frame: str) -> Normaliser:
    def normalise(ctx: _Context) -> list[dict]:
        r = ctx.raw
        interface = r["INTERFACE"]
        if ctx.platform != "juniper_junos":
            interface = canonical_interface(ctx.platform, interface)
        return [{"interface": interface,
                 "input_errors": count_or_null(r[input_errors]),
                 "crc_errors": count_or_null(r[crc]),
                 "frame_errors": count_or_null(r[frame])}]
    return normalise


# ---------------------------------------------------------------------------- command specs
@dataclass(frozen=True)
class _Spec:
    normalise: Normaliser
    # raw fields every record must have; a record without one was cut short (truncated)
    required: tuple[str, ...] = ()
    # groups of raw fields that come together: if any is set, all must be (a section cut short)
    together: tuple[tuple[str, ...], ...] = ()
    preprocess: tuple[Callable[[list[_Line]], list[_Line]], ...] = ()
    # commands whose output legitimately holds a header but no rows (no peers, no events)
    allow_no_records: bool = False
    # the template skips lines it does not know (ntc-templates, counter templates)
    lenient: bool = False
    # `required` applies only to records this accepts (None: all records)
    required_if: Callable[[dict], bool] | None = None
    # fields of `required` a given record legitimately does not print (e.g. Junos `ae`)
    excused: Callable[[dict], tuple[str, ...]] | None = None
    # more completeness rules: returns the name of a missing field, or None
    check: Callable[[dict], str | None] | None = None
    # every record of one output prints the same fields, so the last record (the only one a
    # cut can shorten) must have every field all the earlier ones have; minus these
    uniform: bool = False
    uniform_ignore: tuple[str, ...] = ()
    # structural check of the last record's lines: what it is missing if the output stops
    # inside it (oamkit.parsing.structure)
    cut: CutCheck | None = None
    # one record per table row, starting like this: an unparsable last line that starts like a
    # row is a row cut short (oamkit.parsing.structure.ROW_STARTS)
    table: str | None = None


# Interfaces that count Ethernet errors. Others in the same output (Loopback0, Null0, NULL0,
# Tunnel, Vlanif, lo0, irb) print no error counters at all; their counters are null, not an error.
_ETHERNET_NAME = re.compile(
    r"^(?:[A-Za-z]*Ethernet|[A-Za-z]*Gig(?:abit)?E|MgmtEth|Eth-Trunk|Bundle-Ether|Port-channel"
    r"|\d+GE|X?GE|Fa|Gi|Te|Twe|Fo|Hu|BE|Po|(?:fe|ge|xe|et|mge)-|ae)\d", re.IGNORECASE)


def _counts_ethernet_errors(raw: dict) -> bool:
    """A physical or aggregate Ethernet port (not a `.N` sub-interface, which prints none)."""
    name = raw.get("INTERFACE") or ""
    return bool(_ETHERNET_NAME.match(name)) and "." not in name


def _junos_aggregate_no_crc(raw: dict) -> tuple[str, ...]:
    """A Junos aggregate (`ae0`) prints `MAC statistics` with broadcast/multicast only, no
    `CRC/Align errors` line (real MX capture, fixtures `real_genieparser_ae_bundle_lacp`): its
    CRC counter is null, not a cut record; CRC errors are counted on the member links."""
    return ("CRC_ERRORS",) if re.match(r"^(ae|reth)\d", raw.get("INTERFACE") or "") else ()


def _ios_standard_sections(raw: dict) -> str | None:
    """With link monitoring supported, IOS prints the four IEEE event sections; output that
    stops before the last of them was cut short (the CRC sections are optional)."""
    if "not supported" in (raw.get("LINK_MONITORING") or "").lower():
        return None
    for key in ("SYMBOL_PERIOD", "FRAME", "FRAME_PERIOD", "FRAME_SECONDS"):
        if not raw.get(f"{key}_HIGH_THRESHOLD"):
            return f"{key}_HIGH_THRESHOLD"
    return None


_JUNOS_BLOCK_LAST_FIELD = {
    "OAM receive statistics": "RX_ORGANIZATION_SPECIFIC",
    "OAM transmit statistics": "TX_ORGANIZATION_SPECIFIC",
    "OAM flags receive statistics": "RX_FLAG_LINK_FAULT",
    "Remote entity information": "REMOTE_VARIABLE_REQUESTS",
}
_JUNOS_EVENT_BLOCK = re.compile(r"OAM (received|transmitted|current) (.+) event information")
_JUNOS_DIRECTIONS = {"received": "RX", "transmitted": "TX", "current": "CURRENT"}
_JUNOS_EVENT_WORDS = {"symbol error": "SYMBOL_PERIOD", "frame error": "FRAME",
                      "frame period error": "FRAME_PERIOD",
                      "frame period summary error": "FRAME_SECONDS"}


def _junos_blocks_complete(raw: dict) -> str | None:
    """Every block the output opened (`OAM receive statistics:`, `Remote entity information:`,
    ...) must have its last line; a block cut after its title means truncated output."""
    for block in raw.get("BLOCKS") or []:
        needed = _JUNOS_BLOCK_LAST_FIELD.get(block)
        match = _JUNOS_EVENT_BLOCK.fullmatch(block)
        if match and match.group(2) in _JUNOS_EVENT_WORDS:
            needed = (f"{_JUNOS_DIRECTIONS[match.group(1)]}_"
                      f"{_JUNOS_EVENT_WORDS[match.group(2)]}_TOTAL_ERRORS")
        if needed and not raw.get(needed):
            return needed
    return None


def _sections(prefixes, fields=("WINDOW", "LOW_THRESHOLD", "HIGH_THRESHOLD")):
    return tuple(tuple(f"{p}_{f}" for f in fields) for p in prefixes)


_SPECS: dict[str, _Spec] = {
    "cisco_ios_show_ethernet_oam_status.textfsm": _Spec(
        _ios_status, required=("MODE", "LINK_MONITORING"),
        check=_ios_standard_sections, uniform=True,
        together=_sections([e.upper() for e in _IOS_EVENTS]), preprocess=(_unwrap_labels,)),
    "cisco_ios_show_ethernet_oam_summary.textfsm": _Spec(_ios_summary, allow_no_records=True,
                                                         table="interface"),
    "cisco_ios_show_ethernet_oam_statistics.textfsm": _Spec(
        _statistics, required=("INFORMATION_OAMPDU_TX", "FRAMES_LOST_DUE_TO_OAM",
                               "LOCAL_FRAME_SECONDS_RECORDS", "REMOTE_FRAME_SECONDS_RECORDS"),
        uniform=True, uniform_ignore=("LOCAL_DYING_GASP_TOTALS", "LOCAL_DYING_GASP_TIMES",
                                      "REMOTE_DYING_GASP_TOTALS", "REMOTE_DYING_GASP_TIMES")),
    "cisco_ios_show_ethernet_oam_discovery.textfsm": _Spec(
        _ios_discovery, required=("LOCAL_MODE", "PORT_STATUS", "REMOTE_MODE", "REMOTE_MTU"),
        preprocess=(_unwrap_labels,), uniform=True),
    "cisco_xr_show_ethernet_oam_interfaces.textfsm": _Spec(
        _xr_interfaces, required=("MODE", "LINK_MONITORING", "FRAME_SECONDS_HIGH_THRESHOLD"),
        together=_sections([e.upper() for e in _EVENTS]), uniform=True),
    "cisco_xr_show_ethernet_oam_statistics.textfsm": _Spec(
        _statistics, required=("INFORMATION_OAMPDU_TX", "FRAMES_LOST_DUE_TO_OAM",
                               "LOCAL_FRAME_SECONDS_RECORDS", "REMOTE_FRAME_SECONDS_RECORDS"),
        uniform=True),
    "cisco_xr_show_ethernet_oam_event-log.textfsm": _Spec(_xr_event_log, allow_no_records=True,
                                                          table="timestamp"),
    "juniper_junos_show_oam_ethernet_link-fault-management.textfsm": _Spec(
        _junos_lfm, required=("STATUS", "DISCOVERY_STATE", "PEER_ADDRESS", "FLAGS"),
        check=_junos_blocks_complete, uniform=True,
        together=_sections([f"{d}_{e}" for d in ("RX", "TX", "CURRENT") for e in _JUNOS_EVENTS.values()],
                           ("EVENTS", "WINDOW", "THRESHOLD", "ERRORS_IN_PERIOD", "TOTAL_ERRORS"))
        + (("RX_INFORMATION", "RX_ORGANIZATION_SPECIFIC"), ("TX_INFORMATION", "TX_ORGANIZATION_SPECIFIC"))),
    "juniper_junos_show_interfaces_extensive.textfsm": _Spec(
        _counters("INPUT_ERRORS", "CRC_ERRORS", "FRAMING_ERRORS"),
        required=("INPUT_ERRORS", "CRC_ERRORS"), lenient=True,
        required_if=_counts_ethernet_errors, excused=_junos_aggregate_no_crc),
    "huawei_vrp_display_efm_all.textfsm": _Spec(
        _huawei_efm, required=("MODE", "REMOTE_MULTIPLEXER"),
        together=_sections(_HUAWEI_EVENTS.values(), ("PERIOD", "THRESHOLD")),
        preprocess=(_split_pairs,), uniform=True),
    "huawei_vrp_display_efm_session_all.textfsm": _Spec(_huawei_session, allow_no_records=True,
                                                        table="interface"),
    "huawei_vrp_display_efm_link-event_local.textfsm": _Spec(
        _huawei_link_events, required=("ERR_FRAME_PERIOD_EVENT_RUNNING_TOTAL",), uniform=True),
    "huawei_vrp_display_interface.textfsm": _Spec(
        _counters("INPUT_ERRORS", "CRC_ERRORS", "FRAME_ERRORS"),
        required=("INPUT_ERRORS", "CRC_ERRORS", "FRAME_ERRORS"), lenient=True,
        required_if=_counts_ethernet_errors),
    # ntc-templates (see the index): they skip lines they do not know. Sub-interfaces, bundles
    # that are down, BVIs... print no `input errors, CRC` line: null counters, never an error.
    "ntc-templates:cisco_ios_show_interfaces.textfsm": _Spec(
        _counters("INPUT_ERRORS", "CRC", "FRAME"), lenient=True, cut=cisco_interface_cut,
        preprocess=(_unindent_cisco_headers,)),
    "ntc-templates:cisco_xr_show_interfaces.textfsm": _Spec(
        _counters("INPUT_ERRORS", "CRC", "FRAME"), lenient=True, cut=cisco_interface_cut,
        preprocess=(_unindent_cisco_headers,)),
}


# ---------------------------------------------------------------------------------- lookup
class _Index(clitable.CliTable):
    """Only the index lookup of CliTable; parsing is done by _TrackingFSM."""

    def __init__(self, index_path: Path):
        super().__init__(INDEX_FILE, str(index_path.parent))


@cache
def _index() -> _Index:
    return _Index(TEMPLATE_DIR / INDEX_FILE)


def _ntc_template_dir() -> Path:
    import ntc_templates

    return Path(ntc_templates.__file__).parent / "templates"


def canonical_platform(platform: str) -> str:
    key = _PLATFORM_ALIASES.get(platform.strip().lower(), platform.strip().lower())
    if key not in PLATFORMS:
        raise UnsupportedCommand(
            f"unknown platform {platform!r}; known: {', '.join(PLATFORMS)}")
    return key


def _clean_command(command: str) -> str:
    text = " ".join(command.split())
    return re.sub(r"\s*\|\s*no-more$", "", text)   # Junos pipe that changes nothing


def template_for(platform: str, command: str) -> str:
    """The index's Template entry for this platform and command (`ntc-templates:` prefixed
    when ntc-templates parses it)."""
    platform = canonical_platform(platform)
    index = _index().index
    row = index.GetRowMatch({"Platform": platform, "Command": _clean_command(command)})
    if not row:
        raise UnsupportedCommand(
            f"no parser for {command!r} on {platform}; supported: "
            + "; ".join(c for p, c in supported_commands() if p == platform))
    template = index.index[row]["Template"]
    if template not in _SPECS:
        raise UnsupportedCommand(f"index names {template!r} but oamkit has no normaliser for it")
    return template


def supported_commands() -> list[tuple[str, str]]:
    """(platform, command) for every index row, in index order, the command spelled out from
    the template name (`cisco_xr_show_ethernet_oam_event-log` -> `show ethernet oam event-log`)."""
    out = []
    for row in _index().index.index:
        name = row["Template"].removeprefix(NTC_PREFIX).removesuffix(".textfsm")
        out.append((row["Platform"], name[len(row["Platform"]) + 1:].replace("_", " ")))
    return out


def _open_template(template: str):
    if template.startswith(NTC_PREFIX):
        return open(_ntc_template_dir() / template[len(NTC_PREFIX):], encoding="utf-8")
    return open(TEMPLATE_DIR / template, encoding="utf-8")


# ----------------------------------------------------------------------------------- parsing
_FSM_ERROR = re.compile(r'^Error: "?(?P<reason>.*?)"?\. Rule Line: \d+\. Input Line: ', re.DOTALL)


def parse_output(platform: str, command: str, text: str) -> ParseResult:
    """Parse `text`, the saved output of `command` on `platform`.

    Raises UnsupportedCommand for an unknown platform/command and ParseError for output that
    does not parse (see the module docstring)."""
    platform = canonical_platform(platform)
    template = template_for(platform, command)
    spec = _SPECS[template]
    source = "ntc-templates" if template.startswith(NTC_PREFIX) else "oamkit"
    result = ParseResult(platform, _clean_command(command), template, source)

    lines = [_Line(n, _scrub(t)) for n, t in enumerate(
        text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1)]
    lines = _strip_session_lines(lines, platform, template)
    for line in lines:
        info = _INFO_LINE.match(line.text)
        if info:
            result.messages.append(info.group("message"))
    lines = [line for line in lines if not _INFO_LINE.match(line.text)]
    content = [line for line in lines if not _is_header(line.text)]
    if not content:
        result.empty = True
        return result
    for line in content:
        if any(p.match(line.text) for p in _DEVICE_ERRORS):
            raise ParseError(template, line.number, line.text,
                             "the device rejected the command, there is no output to parse")
    for step in spec.preprocess:
        lines = step(lines)

    with _open_template(template) as handle:
        fsm = _TrackingFSM(handle)
    try:
        rows = fsm.ParseText("\n".join(line.text for line in lines))
    except textfsm.TextFSMError as exc:
        at = lines[min(fsm.line_index, len(lines)) - 1]
        match = _FSM_ERROR.match(str(exc))
        reason = match.group("reason") if match else str(exc)
        raise ParseError(template, at.number, at.text, reason) from None

    last_line = content[-1]
    unknown = [lines[i - 1] for i in fsm.unknown if 0 < i <= len(lines)]
    if (unknown and spec.table and unknown[-1].number == last_line.number
            and looks_like_row(spec.table, last_line.text)):
        raise ParseError(template, last_line.number, last_line.text,
                         "the last table row is incomplete (truncated?)")
    if not rows and unknown and spec.table and still_before_table(fsm._cur_state_name):
        raise ParseError(template, unknown[0].number, unknown[0].text,
                         "no table header found: output in an unknown layout")
    skipped = {line.number for line in unknown}
    if (not rows and (spec.lenient or not spec.allow_no_records)
            or all(line.number in skipped for line in content)):
        raise ParseError(template, content[0].number, content[0].text,
                         "no records recognised: output in an unknown layout")
    warning = unknown_lines_warning([(line.number, line.text) for line in unknown])
    if warning:
        result.warnings.append(warning)
    if not rows:
        return result

    for i, row in enumerate(rows):
        raw = dict(zip(fsm.header, row))
        start, _end = fsm.record_spans[i] if i < len(fsm.record_spans) else (None, None)
        start_line = lines[start - 1] if start else None
        is_last = i == len(rows) - 1
        label = raw.get("INTERFACE") or f"record {i + 1}"

        def incomplete(missing: str) -> ParseError:
            if is_last:
                return ParseError(template, last_line.number, last_line.text,
                                  f"output ends before {missing} of {label} (truncated?)")
            return ParseError(template, start_line.number if start_line else None,
                              start_line.text if start_line else None,
                              f"record for {label} has no {missing}")

        # Lenient (counter) templates: a counter line is optional for all but a cut last record.
        applies = ((spec.required_if is None or spec.required_if(raw))
                   and (is_last or not spec.lenient))
        excused = spec.excused(raw) if spec.excused else ()
        for name in spec.required if applies else ():
            if name not in excused and raw.get(name) in ("", None, []):
                raise incomplete(name)
        if is_last and spec.cut and start:
            cut = spec.cut([line.text for line in lines[start - 1:]])
            if cut:
                raise incomplete(cut)
        for group in spec.together:
            present = [name for name in group if raw.get(name) not in ("", None, [])]
            if present and len(present) != len(group):
                missing = next(name for name in group if name not in present)
                raise incomplete(missing)
        sections = raw.get("SECTIONS") or []
        for section in sections:
            key = _IOS_SECTION_KEYS.get(section)
            if key and not raw.get(f"{key}_WINDOW"):
                raise incomplete(f"{key}_WINDOW")
        if spec.uniform and is_last and i > 0:
            earlier = [dict(zip(fsm.header, r)) for r in rows[:i]]
            for name in fsm.header:
                if name in spec.uniform_ignore or raw.get(name) not in ("", None, []):
                    continue
                if all(e.get(name) not in ("", None, []) for e in earlier):
                    raise incomplete(name)
            if "SECTIONS" in raw or "BLOCKS" in raw:
                key = "SECTIONS" if "SECTIONS" in raw else "BLOCKS"
                seen_before = set.intersection(*(set(e[key]) for e in earlier))
                gone = sorted(seen_before - set(raw[key]))
                if gone:
                    raise incomplete(f"the {gone[0]!r} block")
        missing_field = spec.check(raw) if spec.check else None
        if missing_field:
            raise incomplete(missing_field)
        try:
            records = spec.normalise(_Context(platform, raw, start_line, result.warnings))
        except (ValueError, KeyError) as exc:
            bad = _line_with_value(lines, fsm.record_spans[i] if i < len(fsm.record_spans)
                                   else None, getattr(exc, "text", None)) or start_line
            reason = f"cannot read {label}: {exc}"
            if is_last and bad is not None and bad.number == last_line.number:
                reason += " (truncated?)"
            raise ParseError(template, bad.number if bad else None, bad.text if bad else None,
                             reason) from None
        for record in records:
            record["template"] = template
            record["raw"] = raw
        result.records.extend(records)
    return result


def _line_with_value(lines: list[_Line], span: tuple[int, int] | None,
                     value: str | None) -> _Line | None:
    """The input line of a record that printed `value` (to point an error at it)."""
    if not span or not value or not value.strip():
        return None
    start, end = span
    for line in lines[start - 1:end]:
        if value.strip() in line.text:
            return line
    return None


_IOS_SECTION_KEYS = {"Symbol Period Error": "SYMBOL_PERIOD", "Frame Error": "FRAME",
                     "Frame Period Error": "FRAME_PERIOD", "Frame Seconds Error": "FRAME_SECONDS",
                     "Receive-Frame CRC Error": "RECEIVE_CRC",
                     "Transmit-Frame CRC Error": "TRANSMIT_CRC"}


def parse_file(platform: str, command: str, path: str | os.PathLike) -> ParseResult:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse_output(platform, command, handle.read())
