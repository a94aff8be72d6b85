"""Cisco IOS-XR: an `ethernet oam profile` attached to interfaces, candidate config + commit.

Units (vendor notes §3.2 and Cisco-IOS-XR-ethernet-link-oam-cfg): frame and frame-seconds windows
in milliseconds; frame-period and symbol-period windows in frames / symbols, or, when the policy
gives a duration, in milliseconds (the YANG model's window units `frames`/`symbols` and
`milliseconds`; NCS 5500 6.1: `symbol-period window {milliseconds W | symbols W}`, 1000-60000 ms,
"rounded up to the nearest second" unless whole seconds, so whole seconds only). A high
threshold is only accepted with a low one.
"""
from oamkit.platforms.base import (ConfigSyntax, Event, EventTiming, NameRules, NetconfModel, Platform, Range,
                                  Timer, Toggle, no_crc_monitor, Window)
from oamkit.units import Scale

_MS = Scale("milliseconds", per_vendor_unit=1, per_ieee_unit=100)
_COUNT = Range(1, 4294967295)
# Errored-frame thresholds as the CLI documents them: NCS 5500 6.1.x configuration guide, `frame
# threshold [low threshold] [high threshold]`: "The range is from 1 to 60000000." (the lab's XR:
# `frame threshold low <0-60000000>`). Conflict: Cisco-IOS-XR-ethernet-link-oam-cfg (6.0) types
# the leaves 1..4294967295; the ranges here are per platform, not per form, so the CLI's
# narrower range holds for NETCONF too. The other monitors: `frame-seconds threshold` "The range
# is 1 to 900" (NCS 6000 6.4.x), below; `symbol-period threshold low/high` "0 to 60000000" is
# the pre-6.x form without a unit word (ASR 9000 CR 5.3.x), and the `symbols` / `frames` forms
# oamkit writes (NCS 5500 6.1.x: `symbol-period threshold symbols [low threshold [thousand |
# million | billion]]`, the same for `frame-period ... frames`) document no range of their own,
# so they keep the 32-bit count of the YANG model.
_FRAME_THRESHOLD = Range(1, 60000000)
_WHOLE_SECONDS_MS = Range(1000, 60000, step=1000)
# a count of symbols/frames: "symbols per 1 s to symbols per 1 min" of the interface (NCS 5500
# 6.1; the frame-period count is the interface speed's frames in its ms range, S16)
_ONE_S_TO_ONE_MIN = Range(1000, 60000)

PLATFORM = Platform(
    name="cisco_xr",
    display="Cisco IOS-XR",
    netmiko_device_type="cisco_xr",
    commit_model="candidate",
    transports=("ssh", "netconf"),
    events={
        "symbol_period": Event("symbol-period", Window(_COUNT, unit_label="symbols",
                                                       by_time=_WHOLE_SECONDS_MS,
                                                       span_ms=_ONE_S_TO_ONE_MIN),
                               _COUNT, _COUNT, high_none=False, high_requires_low=True),
        "frame": Event("frame", Window(Range(1000, 60000), _MS, unit_label="ms"),
                       _FRAME_THRESHOLD, _FRAME_THRESHOLD, high_none=False, high_requires_low=True),
        "frame_period": Event("frame-period", Window(_COUNT, unit_label="frames",
                                                     by_time=_WHOLE_SECONDS_MS,
                                                     span_ms=_ONE_S_TO_ONE_MIN),
                              _COUNT, _COUNT, high_none=False, high_requires_low=True),
        "frame_seconds": Event("frame-seconds", Window(Range(10000, 900000, step=1000), _MS,
                                                       unit_label="ms"),
                               Range(1, 900), Range(1, 900), high_none=False,
                               high_requires_low=True),
    },
    modes=("active", "passive"),
    pdu_interval=Timer(choices={100: "100ms", 1000: "1s"}),
    link_timeout=Timer(Range(2, 30), multiple_of_interval=True, unit_label="PDU intervals"),
    # `remote-loopback` in the profile; off by default ("Remote loopback enabled: N", §3.4).
    remote_loopback=Toggle(on="remote-loopback", off=None),
    unsupported={
        **no_crc_monitor("IOS-XR"),
        "pdu_max_rate": "IOS-XR sets the hello interval (1s or 100ms) but no maximum PDU rate "
                        "(vendor notes §3.3)",
        "link_fault_holdup": "IOS-XR has no hold-up timer after a link fault among its profile "
                             "options and actions (vendor notes §3.3)",
    },
    # Cisco-IOS-XR-ethernet-link-oam-cfg has the leaf link-monitoring/monitoring (vendor notes
    # §3.3), which the NETCONF form writes; no Cisco document found gives a CLI command for it
    # (the ASR 9000 5.3.x command reference, NCS 5500 6.1.x and NCS 6000 6.4.x guides list only
    # the monitors' window/threshold lines under `link-monitor`), and the lab's XR refuses the
    # `monitoring disable` oamkit wrote. So the CLI form refuses it, as Junos and VRP do.
    form_unsupported={"cli": {
        "link_monitoring": "no Cisco document found gives IOS-XR a CLI command that switches link "
                           "monitoring off (only the YANG leaf link-monitoring/monitoring, vendor "
                           "notes §3.3): over SSH oamkit does not write one; transport: netconf "
                           "writes the leaf"}},
    high_threshold_actions={"error-disable-interface": "error-disable-interface", "log": "log"},
    link_down_actions=("error-disable-interface",),   # `log` only reports (vendor notes §3.3)
    # ASR 9000 Interface/HW Command Reference 5.3.x, `action uni-directional link-fault`: "This
    # command replaces the action link-fault command. Release 4.0.0" (the action "when a
    # link-fault notification is received from the remote Ethernet OAM peer"); NCS 6000 6.4.x
    # config guide step 28: `action uni-directional link-fault {disable | efd |
    # error-disable-interface}`. The YANG leaf keeps the old name `link-fault` (the NETCONF
    # template maps it back).
    remote_failure_events={"link_fault": "uni-directional link-fault", "dying_gasp": "dying-gasp",
                           "critical_event": "critical-event"},
    remote_failure_actions={"error-disable-interface": "error-disable-interface", "log": "log"},
    profile_forms=("cli", "netconf"),
    # the settings and the protocol state are two commands on XR (Cisco's command reference:
    # `show ethernet oam interfaces` prints only the state, MWD keys and EFD)
    commands={"counters": "show interfaces", "oam_status": "show ethernet oam configuration",
              "oam_session": "show ethernet oam interfaces",
              "oam_events": "show ethernet oam statistics",
              "event_log": "show ethernet oam event-log", "version": "show version"},
    # `show ethernet oam event-log` stamps each event to the second (vendor notes §3.4).
    event_timing=EventTiming("log", "event_log", resolution_s=1.0),
    version_pattern=r"^Cisco IOS XR Software",
    version_fields=("version", "hardware"),
    templates={"cli": "cisco_xr/profile.j2", "netconf": "cisco_xr/netconf.xml.j2"},
    # The one alias table of this platform (inventory intents, parsed show output and facts all
    # use Platform.canonical_interface); full names are matched case-insensitively too.
    interface_aliases={"Gi": "GigabitEthernet", "Te": "TenGigE", "Tf": "TwentyFiveGigE",
                       "Fo": "FortyGigE", "Hu": "HundredGigE", "FH": "FourHundredGigE",
                       "BE": "Bundle-Ether", "Mg": "MgmtEth"},
    interface_speeds={"GigabitEthernet": "1G", "TenGigE": "10G", "TwentyFiveGigE": "25G",
                      "FortyGigE": "40G", "HundredGigE": "100G", "FourHundredGigE": "400G"},
    confirmed_commit_unit="seconds",
    config=ConfigSyntax(
        style="indented", show_running="show running-config", negate="no", exit_command="exit",
        interface_line=r"^interface (\S+)$", managed_interface_lines=r"^ethernet oam",
        managed_top=(r"^ethernet oam profile OAMKIT-",),
        value_keys=(r"^((?:symbol-period|frame-period|frame-seconds|frame) window)\b",
                    r"^((?:symbol-period|frame-period|frame-seconds|frame) threshold)\b",
                    r"^(hello-interval) ", r"^(connection timeout) ", r"^(mode) ",
                    r"^(action (?:uni-directional link-fault|\S+)) ", r"^(profile) "),
        error_pattern=r"^%|% ?Invalid|% ?Failed", discard_command="abort",
        confirmed_commit="commit confirmed {value}", paging_off="terminal length 0", width_command="terminal width 511", config_enter="configure terminal",
        config_exit="end"),
    notes=("`mode active` is refused inside a profile; active is the default, passive goes in the profile",),
    netconf=NetconfModel(
        list_keys={"interface-configuration": ("active", "interface-name"), "profile": ("profile",)},
        managed_lists={"interface-configuration": "intent", "profile": "profile"},
        owned_path=r"ether-link-oam"),
    names=NameRules(
        # Cisco-IOS-XR-types.yang: typedef Interface-name and Cisco-ios-xr-string (the type of
        # the link-oam profile key), with \w narrowed to ASCII.
        interface=r"[a-zA-Z0-9._/-]+", profile=r"[A-Za-z0-9_\-.:,@#%$+=|;]+",
        source="Cisco-IOS-XR-types.yang (Interface-name, Cisco-ios-xr-string)"),
    interface_disable=("interface {interface}", "shutdown"),
    interface_enable=("interface {interface}", "no shutdown"),
)
