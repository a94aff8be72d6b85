"""Cisco IOS-XR show output of the lab (``show ethernet oam interfaces|configuration|statistics|
event-log|summary|discovery``, ``show interfaces``, ``show version``, the timestamp line XR prints above
every show), generated from device state in the layouts of the vendor notes
(../shared/research/oam-vendors.md): settings from the running configuration (an applied
``ethernet oam profile`` first, interface lines override), runtime values from ``Device``.
"""
from __future__ import annotations

import time
import zlib

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.device import Device, InterfaceState
from oamkit.lab.show_common import description, oam_counter_lines, show_interfaces, vlan_of
from oamkit.lab.vendors.cisco_ios.show import UNKNOWN_INTERFACE, cisco_port_state, cisco_sub_interface_state


def xr_timestamp() -> str:
    t = time.gmtime()
    ms = int((time.time() % 1) * 1000)
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d} " + time.strftime("%H:%M:%S", t) + f".{ms:03d} UTC"


def xr_oam_settings(running: ConfigTree, ifname: str) -> dict | None:
    node = running.get([f"interface {ifname}", "ethernet oam"])
    if node is None:
        return None
    eff: dict[str, str] = {}
    profile = next((c.line.split()[1] for c in node.children if c.line.startswith("profile ")), None)
    sources = []
    if profile:
        eff["profile"] = profile
        p = running.get([f"ethernet oam profile {profile}"])
        if p is not None:
            sources.append(p)
    sources.append(node)
    for src in sources:
        for c in src.children:
            if c.line == "link-monitor":
                for lm in c.children:
                    _xr_store_lm(eff, lm.line)
            else:
                w = c.line.split()
                if w[0] == "mode":
                    eff["mode"] = w[1]
                elif w[0] == "hello-interval":
                    eff["hello"] = w[1]
                elif w[:2] == ["connection", "timeout"]:
                    eff["timeout"] = w[2]
                elif w[0] == "action":   # `action uni-directional link-fault X`: two words
                    eff[f"action {' '.join(w[1:-1])}"] = w[-1]
    return eff


def _xr_store_lm(eff: dict, line: str) -> None:
    w = line.split()
    ev = w[0]
    if w[1] == "window":
        eff[f"{ev} window"] = w[-1] + (f" {w[2]}" if w[2] in ("symbols", "frames") else "")
    elif w[1] == "threshold":
        if "low" in w:
            eff[f"{ev} low"] = w[w.index("low") + 1]
        if "high" in w:
            eff[f"{ev} high"] = w[w.index("high") + 1]


XR_ACTION_NAMES = {"error-disable-interface": "Error-Disable", "log": "Log", "disable": "Disable", "efd": "EFD"}


def xr_interfaces(dev: Device, ifname: str | None) -> str:
    """`show ethernet oam interfaces`: the protocol state only, as Cisco's command reference
    prints it (state, mis-wiring detection keys, EFD). The settings are in `configuration`."""
    out: list[str] = []
    for name in ([ifname] if ifname else list(dev.interfaces)):
        eff = xr_oam_settings(dev.running, name)
        if eff is None:
            continue
        st = dev.interfaces[name]
        up = st.oam.peer_state == "operational"
        state = "SEND_ANY" if up else ("ACTIVE_SEND_LOCAL" if eff.get("mode", "active") == "active"
                                       else "PASSIVE_WAIT")
        out += [name, f"  In {state} state", f"  Local MWD key: {_mwd_key(st.mac)}"]
        if up:   # [I] no peer, no key received: the line is left out
            out.append(f"  Remote MWD key: {_mwd_key(st.oam.peer_mac)}")
        out += ["  EFD triggered: No", ""]
    return "\n".join(out) + "\n" if out else ""


def _mwd_key(mac: str) -> str:
    return f"{zlib.crc32(mac.encode()):08X}"


def xr_configuration(dev: Device, ifname: str | None) -> str:
    """`show ethernet oam configuration`: the effective settings (profile, then interface)."""
    out: list[str] = []
    for name in ([ifname] if ifname else list(dev.interfaces)):
        eff = xr_oam_settings(dev.running, name)
        if eff is None:
            continue
        rows = [("Hello interval", eff.get("hello", "1s")),
                ("Link monitoring enabled", "Y"), ("Remote loopback enabled", "N"),
                ("Mib retrieval enabled", "N"), ("Uni-directional link-fault detection enabled", "N"),
                ("Configured mode", eff.get("mode", "active").capitalize()),
                ("Connection timeout", eff.get("timeout", "5")),
                ("Symbol period window", eff.get("symbol-period window", "0")),
                ("Symbol period low threshold", eff.get("symbol-period low", "1")),
                ("Symbol period high threshold", eff.get("symbol-period high", "None")),
                ("Frame window", eff.get("frame window", "1000")),
                ("Frame low threshold", eff.get("frame low", "1")),
                ("Frame high threshold", eff.get("frame high", "None")),
                ("Frame period window", eff.get("frame-period window", "1000")),
                ("Frame period low threshold", eff.get("frame-period low", "1")),
                ("Frame period high threshold", eff.get("frame-period high", "None")),
                ("Frame seconds window", eff.get("frame-seconds window", "60000")),
                ("Frame seconds low threshold", eff.get("frame-seconds low", "1")),
                ("Frame seconds high threshold", eff.get("frame-seconds high", "None")),
                ("High threshold action", XR_ACTION_NAMES.get(eff.get("action high-threshold", ""), "None")),
                ("Link fault action", XR_ACTION_NAMES.get(eff.get("action uni-directional link-fault", ""), "Log")),
                ("Dying gasp action", XR_ACTION_NAMES.get(eff.get("action dying-gasp", ""), "Log")),
                ("Critical event action", XR_ACTION_NAMES.get(eff.get("action critical-event", ""), "Log")),
                ("Discovery timeout action", XR_ACTION_NAMES.get(eff.get("action discovery-timeout", ""), "Log")),
                ("Capabilities conflict action", XR_ACTION_NAMES.get(eff.get("action capabilities-conflict", ""), "Log")),
                ("Wiring conflict action", "Error-Disable"),
                ("Session up action", "Log"),
                ("Session down action", XR_ACTION_NAMES.get(eff.get("action session-down", ""), "Log")),
                ("Remote loopback action", "Log"),
                ("Require remote mode", "Ignore"), ("Require remote MIB retrieval", "N"),
                ("Require remote loopback support", "N"), ("Require remote link monitoring", "N")]
        out.append(f"{name}:")
        out += [f"  {k}: {v}" for k, v in rows]
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def xr_statistics(dev: Device, ifname: str | None) -> str:
    out: list[str] = []
    for name in ([ifname] if ifname else list(dev.interfaces)):
        if xr_oam_settings(dev.running, name) is None:
            continue
        st = dev.interfaces[name]
        out += [f"{name}:", "  Counters", "  --------"]
        out += oam_counter_lines(st, "", 52, "  ")
        out.append(f"  {'Fixed frames Rx'.ljust(52)}0")
        o = st.oam
        for title, events in (("Local event logs", o.local_events), ("Remote event logs", o.remote_events)):
            out += ["", f"  {title}", f"  {'-' * len(title)}"]
            for key, label in (("symbol-period", "Errored Symbol Period records"), ("frame", "Errored Frame records"),
                               ("frame-period", "Errored Frame Period records"),
                               ("frame-seconds", "Errored Frame Second records")):
                out.append(f"  {label.ljust(52)}{events[key]}")
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def xr_event_log(dev: Device, ifname: str | None) -> str:
    out: list[str] = ["Local Action Taken:",
                      "    N/A    - No action needed         EFD    - Interface brought down using EFD",
                      "    None   - No action taken          Err.D  - Interface error-disabled        ",
                      "    Logged - System logged           "]
    for name in ([ifname] if ifname else list(dev.interfaces)):
        if xr_oam_settings(dev.running, name) is None:
            continue
        out += ["", name, "=" * 80,
                " " * 71 + "Breaching",
                "Time                    Type                    Loc'n Action Threshold Value",
                "----------------------- ----------------------- ----- ------ --------- ---------"]
        for ev in dev.event_log:
            if ev.interface != name:
                continue
            t = time.strftime("%a %b %d %H:%M:%S UTC", time.gmtime(ev.time))
            th = "N/A" if ev.threshold is None else str(ev.threshold)
            val = "N/A" if ev.value is None else str(ev.value)
            out.append(f"{t:<23} {ev.type:<23} {ev.location:<5} {ev.action:<6} {th:>9} {val:>9}")
    return "\n".join(out) + "\n"


def xr_summary(dev: Device) -> str:
    enabled = [n for n in dev.interfaces if xr_oam_settings(dev.running, n) is not None]
    up = [n for n in enabled if dev.interfaces[n].oam.peer_state == "operational"]
    rows = [("Link OAM Summary", ""), ("Interfaces", len(enabled)),
            ("  Interface up", len(up)), ("  Link monitoring enabled", len(enabled)),
            ("  Remote loopback enabled", 0), ("  Mib retrieval enabled", 0),
            ("  Uni-directional link-fault detection enabled", 0),
            ("Event Logs", ""),
            ("  Local Action Taken", sum(1 for e in dev.event_log if e.location == "Local")),
            ("  Remote Action Taken", sum(1 for e in dev.event_log if e.location == "Remote"))]
    return "\n".join(f"{k}{':' if v != '' else ''}{' ' * max(1, 50 - len(k))}{v}".rstrip() for k, v in rows) + "\n"


def xr_discovery(dev: Device, ifname: str | None) -> str:
    out = ["Flags:", "  L - Link Monitoring support", "  M - MIB Retrieval support",
           "  R - Remote Loopback support", "  U - Unidirectional detection support",
           "  * - data is unavailable", "",
           "                                                        Local       Remote    Remote",
           "Local Interface            MAC Address    Vendor         Mode        Capability"]
    for name in ([ifname] if ifname else list(dev.interfaces)):
        if xr_oam_settings(dev.running, name) is None:
            continue
        st = dev.interfaces[name]
        if st.oam.peer_state == "operational":
            out.append(f"{name:<26} {st.oam.peer_mac:<14} {st.oam.peer_vendor_oui:<14} {st.oam.peer_mode:<11} L")
        else:
            out.append(f"{name:<26} {'*':<14} {'*':<14} {'*':<11} *")
    return "\n".join(out) + "\n"


def xr_sub_interface(dev: Device, parent: InterfaceState, name: str, node: ConfigTree) -> str:
    """A sub-interface record as real IOS-XR prints it: packet counters but no error line
    (real captures: tests/fixtures/parsers/cisco_xr/show_interfaces/real_*)."""
    state = proto = cisco_sub_interface_state(dev, parent, node)
    vlan = vlan_of(node)
    desc = description(node)
    lines = [f"{name} is {state}, line protocol is {proto} ",
             "  Interface state transitions: 1",
             f"  Hardware is VLAN sub-interface(s), address is {parent.mac}"]
    if desc:
        lines.append(f"  Description: {desc}")
    lines += ["  Internet address is Unknown",
              f"  MTU 1518 bytes, BW {parent.speed_bps // 1000} Kbit (Max: {parent.speed_bps // 1000} Kbit)",
              "     reliability 255/255, txload 0/255, rxload 0/255",
              (f"  Encapsulation 802.1Q Virtual LAN, VLAN Id {vlan},  loopback not set,"
               if vlan else "  Encapsulation ARPA,  loopback not set,"),
              "  Last link flapped 1d00h",
              "  ARP type ARPA, ARP timeout 04:00:00",
              "  Last input 00:00:00, output 00:00:00",
              '  Last clearing of "show interface" counters never',
              "  5 minute input rate 0 bits/sec, 0 packets/sec",
              "  5 minute output rate 0 bits/sec, 0 packets/sec",
              "     0 packets input, 0 bytes, 0 total input drops",
              "     0 drops for unrecognized upper-level protocol",
              "     Received 0 broadcast packets, 0 multicast packets",
              "     0 packets output, 0 bytes, 0 total output drops",
              "     Output 0 broadcast packets, 0 multicast packets", ""]
    return "\n".join(lines) + "\n"


# The `show interfaces` layouts of the real captures (device.LAYOUTS["cisco_xr"]), as data:
# the media word of the duplex line, the lines a layout prints that the other does not, and
# whether every line is followed by two empty ones (real_genieparser_sxfd_doubled_blank_lines:
# a 1000BASE-SX port whose capture has every line end doubled, no `Layer 1 Transport Mode`
# and no `ARP type` line, a 200 msec carrier delay).
XR_LAYOUTS = {
    "standard": {"media": "1000BASE-T", "carrier_delay": 10, "doubled": False,
                 "lines": ("layer1", "arp")},
    "sxfd_doubled_blank_lines": {"media": "SXFD", "carrier_delay": 200, "doubled": True, "lines": ()},
}


def xr_interface(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    layout = XR_LAYOUTS[dev.layout]
    desc, state, proto = cisco_port_state(dev, st)
    mbps = st.speed_bps // 1_000_000
    lines = [f"{st.name} is {state}, line protocol is {proto} ",
             "  Interface state transitions: 1",
             f"  Hardware is GigabitEthernet, address is {st.mac} (bia {st.mac})"]
    if "layer1" in layout["lines"]:
        lines.append("  Layer 1 Transport Mode is LAN")
    if desc:
        lines.append(f"  Description: {desc}")
    lines += ["  Internet address is Unknown",
              f"  MTU 1514 bytes, BW {st.speed_bps // 1000} Kbit (Max: {st.speed_bps // 1000} Kbit)",
              "     reliability 255/255, txload 0/255, rxload 0/255",
              "  Encapsulation ARPA,",
              f"  Full-duplex, {mbps}Mb/s, {layout['media']}, link type is force-up",
              "  output flow control is off, input flow control is off",
              f"  Carrier delay (up) is {layout['carrier_delay']} msec", "  loopback not set,",
              "  Last link flapped 1d00h"]
    if "arp" in layout["lines"]:
        lines.append("  ARP type ARPA, ARP timeout 04:00:00")
    lines += ["  Last input 00:00:00, output 00:00:00",
              '  Last clearing of "show interface" counters never',
              "  5 minute input rate 0 bits/sec, 0 packets/sec",
              "  5 minute output rate 0 bits/sec, 0 packets/sec",
              f"     {c['input_packets']} packets input, {c['input_bytes']} bytes, 0 total input drops",
              "     0 drops for unrecognized upper-level protocol",
              "     Received 0 broadcast packets, 0 multicast packets",
              f"              {c['runts']} runts, {c['giants']} giants, 0 throttles, 0 parity",
              f"     {c['input_errors']} input errors, {c['crc']} CRC, {c['frame']} frame, "
              f"{c['overrun']} overrun, {c['ignored']} ignored, 0 abort",
              f"     {c['output_packets']} packets output, {c['output_bytes']} bytes, 0 total output drops",
              "     Output 0 broadcast packets, 0 multicast packets",
              f"     {c['output_errors']} output errors, 0 underruns, 0 applique, 0 resets",
              "     0 output buffer failures, 0 output buffers swapped out",
              "     1 carrier transitions", ""]
    return "\n".join(lines) + "\n"


def xr_show_interfaces(dev: Device, ifname: str | None) -> str:
    text = show_interfaces(dev, ifname, xr_interface, xr_sub_interface, UNKNOWN_INTERFACE)
    if XR_LAYOUTS[dev.layout]["doubled"] and text != UNKNOWN_INTERFACE:
        # every line followed by two empty lines, as the capture keeps it
        text = "".join(line + "\n\n\n" for line in text.splitlines() if line)
    return text


VERSION = ("Cisco IOS XR Software, Version 7.3.2\nCopyright (c) 2013-2021 by Cisco Systems, Inc.\n\n"
           "Build Information:\n Built By     : oamkit-lab\n Built On     : Thu Sep 30 00:00:00 PDT 2021\n\n"
           "cisco ASR9K () processor\nSystem uptime is {uptime}\n")
