"""Cisco IOS-XR: how each parsed XR command becomes oamkit records, and what proves an XR
record complete (`SPECS`, one `TemplateSpec` per template of the command index).

XR's statistics, `show interfaces` and remote failure actions print as on IOS: their
normalisers come from `cisco_ios`.
"""
from __future__ import annotations

from oamkit.parse.cisco_ios import (
    OAM_STATISTICS_REQUIRED,
    SHOW_INTERFACES,
    oam_statistics,
    remote_failure_actions,
)
from oamkit.parse.spec import (
    RecordContext,
    TemplateSpec,
    event_blocks,
    field_groups,
)
from oamkit.parse.values import (
    IEEE_LINK_EVENTS,
    action,
    canonical_interface,
    count_or_null,
    discovery_state,
    flag,
    lower_or_null,
    state_key,
    text_or_null,
)


def _configuration(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    events = event_blocks(ctx, IEEE_LINK_EVENTS)
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "mode": lower_or_null(r["MODE"]),
        "link_monitoring": flag(r["LINK_MONITORING"]),
        "hello_interval": text_or_null(r["HELLO_INTERVAL"]),
        "connection_timeout": count_or_null(r["CONNECTION_TIMEOUT"]),
        "high_threshold_action": action(r["HIGH_THRESHOLD_ACTION"]),
        "remote_failure_actions": remote_failure_actions(r),
        "link_events": events,
    }]


def _session(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "discovery_state": discovery_state(r["SESSION_STATE"]),
        "session_state": state_key(r["SESSION_STATE"]),
        "local_mwd_key": text_or_null(r["LOCAL_MWD_KEY"]),
        "remote_mwd_key": text_or_null(r["REMOTE_MWD_KEY"]),
        "efd_triggered": text_or_null(r["EFD_TRIGGERED"]),
    }]


_EVENT_TYPES = {"symbol-period": "symbol_period", "frame": "frame",
                "frame-period": "frame_period", "frame-seconds": "frame_seconds",
                "frame-fail": "frame_fail", "dying-gasp": "dying_gasp",
                "critical-event": "critical_event", "link-fault": "link_fault"}


def _event_log(ctx: RecordContext) -> list[dict]:
    r = ctx.raw
    key = state_key(r["TYPE"])
    return [{
        "interface": canonical_interface(ctx.platform, r["INTERFACE"]),
        "time": " ".join(r["TIME"].split()),
        "event_type": _EVENT_TYPES.get(key, key.replace("-", "_")),
        "location": r["LOCATION"].lower(),
        "action": action(r["ACTION"]),
        "threshold": count_or_null(r["THRESHOLD"]),
        "value": count_or_null(r["BREACHING_VALUE"]),
    }]


SPECS: dict[str, TemplateSpec] = {
    "cisco_xr_show_ethernet_oam_configuration.textfsm": TemplateSpec(
        _configuration, required=("MODE", "LINK_MONITORING", "FRAME_SECONDS_HIGH_THRESHOLD"),
        together=field_groups([e.upper() for e in IEEE_LINK_EVENTS]), uniform=True),
    "cisco_xr_show_ethernet_oam_interfaces.textfsm": TemplateSpec(
        # a key is printed only when there is one (no peer yet: no remote key)
        _session, required=("SESSION_STATE",), uniform=True,
        uniform_ignore=("LOCAL_MWD_KEY", "REMOTE_MWD_KEY")),
    "cisco_xr_show_ethernet_oam_statistics.textfsm": TemplateSpec(
        oam_statistics, required=OAM_STATISTICS_REQUIRED, uniform=True),
    "cisco_xr_show_ethernet_oam_event-log.textfsm": TemplateSpec(
        _event_log, allow_no_records=True, table="timestamp"),
    "ntc-templates:cisco_xr_show_interfaces.textfsm": SHOW_INTERFACES,
}
