"""Cisco IOS / IOS-XE: `ethernet oam` on the interface, link-monitor lines applied one by one.

Units (vendor notes §2.2): frame / frame-seconds / CRC windows count 100 ms periods although the
help text says "milliseconds"; frame-period counts 10,000 frames (command reference; the ASR 920
show output prints "x 100,000 frames" — a documented conflict); symbol-period counts millions of
symbols [inferred from show output].
"""
from oamkit.platforms.base import ConfigSyntax, Event, EventTiming, NameRules, Platform, Range, Timer, Toggle, Window
from oamkit.units import Scale

_DS = Scale("100 ms periods", per_vendor_unit=1, per_ieee_unit=1)
_THRESH = Range(0, 65535)
_HIGH = Range(1, 65535)


def _crc(keyword: str) -> Event:
    return Event(keyword, Window(Range(10, 1800), _DS, unit_label="x 100 ms"), _THRESH, _HIGH)


PLATFORM = Platform(
    name="cisco_ios",
    display="Cisco IOS/IOS-XE",
    netmiko_device_type="cisco_ios",
    commit_model="immediate",
    names=NameRules(
        # IOS names: GigabitEthernet0/1/0, Serial0/0/0:1, Port-channel10.100; the `description`
        # line takes up to 240 characters.
        interface=r"[A-Za-z][A-Za-z0-9._/:-]*", description_max=240,
        source="Cisco IOS interface naming; `description` takes up to 240 characters"),
    transports=("ssh",),
    events={
        "symbol_period": Event("symbol-period", Window(
            Range(1, 65535), Scale("millions of symbols", per_vendor_unit=1_000_000),
            unit_label="x 1,000,000 symbols"), _THRESH, _HIGH),
        "frame": Event("frame", Window(Range(10, 600), _DS, unit_label="x 100 ms"), _THRESH, _HIGH),
        "frame_period": Event("frame-period", Window(
            Range(1, 65535), Scale("10,000-frame blocks", per_vendor_unit=10_000),
            unit_label="x 10,000 frames"), _THRESH, _HIGH),
        "frame_seconds": Event("frame-seconds", Window(Range(100, 9000), _DS, unit_label="x 100 ms"),
                               Range(1, 900), Range(1, 900)),
        "receive_crc": _crc("receive-crc"),
        "transmit_crc": _crc("transmit-crc"),
    },
    pdu_interval=Timer(Range(1, 10), Scale("seconds", per_vendor_unit=1000), unit_label="s (min-rate)"),
    pdu_max_rate=Range(1, 10),
    link_timeout=Timer(Range(2, 30), Scale("seconds", per_vendor_unit=1000), unit_label="s"),
    # Remote loopback is off until `ethernet oam remote-loopback supported` (Catalyst 4500
    # 15.0(2)SG configuration guide, "Enabling Ethernet OAM Remote Loopback"; not in the
    # vendor notes).
    remote_loopback=Toggle(on="ethernet oam remote-loopback supported", off=None),
    unsupported={
        "link_fault_holdup": "IOS has no hold-up timer after a link fault: none among the "
                             "`ethernet oam` interface and link-monitor commands (vendor notes "
                             "§2.1, §2.2)",
    },
    high_threshold_actions={"error-disable-interface": "error-disable-interface",
                            "failover": "failover"},
    # error-disable shuts the port; failover moves the traffic to another EtherChannel member
    # (vendor notes §2.2): either way the degraded link stops carrying traffic.
    link_down_actions=("error-disable-interface", "failover"),
    remote_failure_events={"link_fault": "link-fault", "dying_gasp": "dying-gasp",
                           "critical_event": "critical-event"},
    remote_failure_actions={"error-disable-interface": "error-disable-interface"},
    profile_forms=("cli-template",),
    commands={"counters": "show interfaces", "oam_status": "show ethernet oam status",
              "oam_session": "show ethernet oam discovery",
              "oam_events": "show ethernet oam statistics", "version": "show version"},
    # No event log with times over the session (the %ETHERNET_OAM syslog lines are not read):
    # `show ethernet oam statistics` counts `Errored Frame records` under `Local event logs`.
    event_timing=EventTiming("counter", "oam_events", count=("local_event_records", "{event}")),
    version_pattern=r"^Cisco IOS(?!\s+XR)[ -].*Software|^Cisco IOS-XE Software",
    version_fields=("version", "hardware"),
    templates={"cli": "cisco_ios/interface.j2", "cli-template": "cisco_ios/template.j2"},
    # The one alias table of this platform (inventory, parsing and facts); `Po` as IOS prints it
    # in `show etherchannel summary` / `show interfaces status`.
    # Catalyst multigigabit ports: `Tw` TwoGigabitEthernet (2.5G), `Fi` FiveGigabitEthernet
    interface_aliases={"Gi": "GigabitEthernet", "Te": "TenGigabitEthernet", "Fa": "FastEthernet",
                       "Tw": "TwoGigabitEthernet", "Fi": "FiveGigabitEthernet",
                       "Twe": "TwentyFiveGigE", "Fo": "FortyGigabitEthernet", "Hu": "HundredGigE",
                       "Po": "Port-channel"},
    interface_speeds={"FastEthernet": "100M", "GigabitEthernet": "1G", "TwoGigabitEthernet": "2.5G",
                      "FiveGigabitEthernet": "5G", "TenGigabitEthernet": "10G",
                      "TwentyFiveGigE": "25G", "FortyGigabitEthernet": "40G", "HundredGigE": "100G"},
    confirmed_commit_unit="minutes",
    config=ConfigSyntax(
        style="indented", show_running="show running-config", negate="no", exit_command="exit",
        interface_line=r"^interface (\S+)$",
        managed_interface_lines=r"^(ethernet oam|no ethernet oam link-monitor supported$|source template OAMKIT-)",
        managed_top=(r"^template OAMKIT-",),
        value_keys=(r"^(ethernet oam link-monitor \S+ (?:window|threshold low|threshold high)) ",
                    r"^(ethernet oam (?:mode|min-rate|max-rate|timeout)) ",
                    r"^(ethernet oam link-monitor high-threshold action) ",
                    r"^(ethernet oam remote-failure \S+ action) ",
                    r"^(source template) "),
        removal_covers=("ethernet oam",),
        # "This is the default. You need to enter this command only if it has been disabled by
        # previously entering the no ethernet oam link-monitor supported command." (Cisco IE
        # 2000U configuration guide, Configuring Ethernet OAM Link Monitoring)
        default_on=("ethernet oam link-monitor supported",),
        # "no ethernet oam [max-rate | min-rate | mode {active | passive} | timeout]" (MWR 2941
        # command reference, 15.1(3)MR): the mode's negation names it
        negate_whole=(r"^ethernet oam mode ",),
        # IOS checks low against high as each line is entered ("% Low threshold must be lower
        # than high threshold"; low "must be lower than the high threshold", vendor notes §2.2)
        ordered_bounds=(r"^ethernet oam link-monitor (?P<pair>\S+) threshold (?P<bound>low|high) "
                        r"(?P<value>\S+)$",),
        revert_enter="configure terminal revert timer {value}", revert_confirm="configure confirm",
        error_pattern=r"^%|% ?Invalid|^Command authorization failed", paging_off="terminal length 0", width_command="terminal width 511",
        enable_command="enable"),
    notes=("receive-crc requires OAM to be operational on the interface (IOS usage guideline)",),
    interface_disable=("interface {interface}", "shutdown"),
    interface_enable=("interface {interface}", "no shutdown"),
)
