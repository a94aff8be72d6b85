"""Huawei VRP8 (NE40E V800R012C10 documentation): `efm ...` per interface, two-stage commit.

Every monitor is a period / threshold / notification triplet; periods count seconds (error-frame
-period counts frames). Huawei has a single threshold per event (our low threshold) and no
high-threshold action; `efm trigger if-down` is its remote link-fault action.
"""
from oamkit.platforms.base import (ConfigSyntax, Event, EventTiming, NameRules, Platform, Range, Timer, Toggle,
                                  WhileAbsent, Window)
from oamkit.units import Scale

_S = Scale("seconds", per_vendor_unit=10, per_ieee_unit=1)
_U32 = Range(0, 4294967295)

PLATFORM = Platform(
    name="huawei_vrp",
    display="Huawei VRP",
    netmiko_device_type="huawei_vrpv8",
    names=NameRules(
        # VRP names may start with the speed (10GE1/0/1, 100GE1/0/1); description: 1-242
        # characters (`description` command reference).
        interface=r"[A-Za-z0-9][A-Za-z0-9._/:-]*", description_max=242,
        source="Huawei VRP interface naming; `description` takes 1-242 characters"),
    commit_model="two-stage",
    transports=("ssh",),
    events={
        "symbol_period": Event("error-code", Window(Range(1, 60), Scale("seconds", per_vendor_unit=1000),
                                                    counts="time", unit_label="s"), _U32),
        "frame": Event("error-frame", Window(Range(1, 60), _S, unit_label="s"), _U32),
        "frame_period": Event("error-frame-period", Window(Range(1, 4294967295), unit_label="frames"),
                              _U32),
        "frame_seconds": Event("error-frame-second", Window(Range(10, 900), _S, unit_label="s"),
                               Range(0, 900)),
    },
    pdu_interval=Timer(Range(100, 1000, step=100), Scale("milliseconds"), unit_label="ms"),
    link_timeout=Timer(Range(300, 30000, step=100), Scale("milliseconds"), unit_label="ms"),
    # `efm holdup-timer <0-50>` seconds (vendor notes §5.1 saw `efm holdup-timer 20`; range
    # from Huawei's command reference, which says 0-65535 on NetEngine 8000: 0-50 is the
    # range both accept).
    link_fault_holdup=Timer(Range(0, 50), Scale("seconds", per_vendor_unit=1000), unit_label="s"),
    # VRP answers a peer's loopback request by default; `efm loopback ignore-request` refuses
    # it (Huawei command reference, `efm loopback ignore-request`; not in the vendor notes).
    remote_loopback=Toggle(on=None, off="efm loopback ignore-request"),
    unsupported={
        "link_monitor.receive_crc": "VRP has no CRC monitor: frames with CRC errors count as "
                                    "errored frames (efm error-frame) (vendor notes §5.1, §8)",
        "link_monitor.transmit_crc": "VRP has no CRC monitor: frames with CRC errors count as "
                                     "errored frames (efm error-frame) (vendor notes §5.1, §8)",
        "link_monitor.high": "VRP has one threshold per event, the policy's low threshold "
                             "(vendor notes §5.1, §8)",
        "high_threshold_action": "VRP has one threshold per event and so no high-threshold "
                                 "action; `efm trigger if-down` acts on a remote link fault only "
                                 "(remote_failure.link_fault) (vendor notes §5.1, §8)",
        "link_monitoring": "VRP has no switch for link monitoring as a whole; each monitor is "
                           "on once configured (vendor notes §5.1)",
        "pdu_max_rate": "VRP sets `efm interval`, not a maximum PDU rate (vendor notes §5.1)",
        "remote_failure": "VRP's only remote-failure action is `efm trigger if-down`, on a link "
                          "fault (remote_failure.link_fault) (vendor notes §5.1)",
    },
    remote_failure_events={"link_fault": "if-down"},
    remote_failure_actions={"error-disable-interface": "trigger"},
    commands={"counters": "display interface", "oam_status": "display efm all",
              "oam_session": "display efm session all",
              "oam_events": "display efm link-event local", "version": "display version"},
    # No event log with times: `display efm link-event local` counts each event's
    # `EventRunningTotal` (vendor notes §5).
    event_timing=EventTiming("counter", "oam_events", count=("event_running_total",),
                             match=(("event", "{event}"),)),
    version_pattern=r"^Huawei Versatile Routing Platform|^VRP \(R\) software",
    version_fields=("product_version", "model"),
    templates={"cli": "huawei_vrp/interface.j2"},
    # The one alias table of this platform (inventory, parsing and facts).
    # CloudEngine and newer NE routers name ports by speed (`10GE1/0/1`, `100GE1/0/1`)
    interface_aliases={"GE": "GigabitEthernet", "XGE": "XGigabitEthernet", "10GE": "10GE", "25GE": "25GE",
                       "40GE": "40GE", "50GE": "50GE", "100GE": "100GE", "200GE": "200GE", "400GE": "400GE",
                       "Eth-Trunk": "Eth-Trunk"},
    interface_speeds={"GigabitEthernet": "1G", "XGigabitEthernet": "10G", "10GE": "10G", "25GE": "25G",
                      "40GE": "40G", "50GE": "50G", "100GE": "100G", "200GE": "200G", "400GE": "400G"},
    config=ConfigSyntax(
        style="indented", show_running="display current-configuration", negate="undo",
        exit_command="quit", interface_line=r"^interface (\S+)$", managed_interface_lines=r"^efm ",
        managed_top=(r"^efm enable$",),
        value_keys=(r"^(efm (?:mode|interval|timeout|holdup-timer)) ", r"^(efm \S+ (?:period|threshold)) "),
        # The working mode and the PDU interval are set only while the interface's EFM is off:
        # "After EFM OAM is enabled on the interface, the EFM OAM working mode of the interface
        # cannot be changed" (NetEngine 8000 guide, "Configuring an EFM OAM Working Mode");
        # "Before changing the working mode ... run the undo efm enable command" (`efm mode`
        # reference); `efm interval` "cannot be changed after EFM OAM is enabled on the
        # interface" (`efm interval` reference; vendor notes §5.1). `undo` (back to the
        # default) is a change too. Where EFM stays on: lifted for the change, in the same
        # commit; where the policy turns it off: `undo efm enable` first.
        while_absent=(WhileAbsent(
            r"^efm (?:mode|interval)\b", "efm enable",
            note="EFM OAM on {block} is briefly disabled (`undo efm enable` ... `efm enable` in "
                 "one commit) to change `efm mode`/`efm interval`, which VRP refuses while EFM "
                 "runs: the OAM session may go down for the commit"),),
        error_pattern=r"^Error:", discard_command="abort",
        paging_off="screen-length 0 temporary", config_enter="system-view",
        config_exit="return", exit_abandon_answer="n", logout="quit", config_prompt=r"\]\s*$", exec_prompt=r">\s*$"),
    notes=("efm mode and efm interval can only change while EFM is disabled on the interface: a "
           "delta changing them wraps them in `undo efm enable` / `efm enable`, and one turning "
           "EFM off sends `undo efm enable` first (ConfigSyntax.while_absent)",),
    interface_disable=("interface {interface}", "shutdown"),
    interface_enable=("interface {interface}", "undo shutdown"),
)
