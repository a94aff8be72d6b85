"""Cisco IOS show output of the lab (``show ethernet oam ...``, ``show interfaces``, ``show
version``), generated from device state in the layouts of the vendor notes
(../shared/research/oam-vendors.md): settings from the running configuration (template lines
first, interface lines override), runtime values (peer, counters, event logs) from ``Device``.
``cisco_port_state`` is shared with the IOS-XR layouts, which word port states the same way.
"""
from __future__ import annotations

import re

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.device import Device, InterfaceState
from oamkit.lab.show_common import (description, oam_counter_lines, port_enabled, show_interfaces,
                                    sub_interface_enabled, vlan_of)


def _kv(label: str, value: object, width: int = 23, indent: str = "  ") -> str:
    return f"{indent}{(label + ':').ljust(width)}{value}"


def ios_short(name: str) -> str:
    return name.replace("GigabitEthernet", "Gi").replace("TenGigE", "Te")


IOS_EVENTS = [  # (keyword, title, window default, window text, unit, low default)
    ("symbol-period", "Symbol Period Error", 1, "{} million symbols", "error symbol(s)", 1),
    ("frame", "Frame Error", 10, "{} x 100 milliseconds", "error frame(s)", 1),
    ("frame-period", "Frame Period Error", 1, "{} x 10,000 frames", "error frame(s)", 1),
    ("frame-seconds", "Frame Seconds Error", 600, "{} x 100 milliseconds", "error second(s)", 1),
    ("receive-crc", "Receive-Frame CRC Error", 10, "{} x 100 milliseconds", "error frame(s)", 10),
    ("transmit-crc", "Transmit-Frame CRC Error", 10, "{} x 100 milliseconds", "error frame(s)", 10),
]


def ios_oam_settings(running: ConfigTree, ifname: str) -> dict | None:
    """Effective OAM lines of an interface (template lines first, interface lines override)."""
    node = running.get([f"interface {ifname}"])
    if node is None:
        return None
    lines = [c.line for c in node.children]
    if "ethernet oam" not in lines and not any(l.startswith("ethernet oam mode") for l in lines):
        return None
    eff: dict[str, str] = {}
    for l in lines:
        m = re.fullmatch(r"source template (\S+)", l)
        if m:
            tnode = running.get([f"template {m[1]}"])
            for t in (tnode.children if tnode else []):
                _ios_store(eff, t.line)
    for l in lines:
        _ios_store(eff, l)
    return eff


def _ios_store(eff: dict, line: str) -> None:
    if not line.startswith("ethernet oam "):
        return
    rest = line[len("ethernet oam "):]
    words = rest.split()
    if words[0] in ("mode", "min-rate", "max-rate", "timeout"):
        eff[words[0]] = words[1]
    elif words[0] == "link-monitor" and len(words) >= 4 and words[2] in ("window", "threshold"):
        key = f"{words[1]} {words[2]}" + (f" {words[3]}" if words[2] == "threshold" else "")
        eff[key] = words[-1]
    elif words[0] == "link-monitor" and words[1] == "high-threshold":
        eff["high-threshold action"] = words[-1]
    elif words[0] == "remote-failure":
        eff[f"remote-failure {words[1]}"] = words[-1]


def ios_status(dev: Device, ifname: str | None) -> str:
    out: list[str] = []
    names = [ifname] if ifname else list(dev.interfaces)
    for name in names:
        eff = ios_oam_settings(dev.running, name)
        if eff is None:
            if ifname:
                return f"% Ethernet OAM is not enabled on interface {name}\n"
            continue
        min_rate = eff.get("min-rate", "1")
        act = {"error-disable-interface": "error disable interface", "failover": "failover"}
        out += [name, "General", "-------",
                _kv("Admin state", "enabled"),
                _kv("Mode", eff.get("mode", "active")),
                _kv("PDU max rate", f"{eff.get('max-rate', '10')} packets per second"),
                _kv("PDU min rate", f"1 packet per {min_rate} second" + ("s" if min_rate != "1" else "")),
                _kv("Link timeout", f"{eff.get('timeout', '5')} seconds"),
                _kv("High threshold action", act.get(eff.get("high-threshold action", ""), "no action")),
                _kv("Link fault action", "error disable interface" if "remote-failure link-fault" in eff else "no action"),
                _kv("Dying gasp action", "error disable interface" if "remote-failure dying-gasp" in eff else "no action"),
                _kv("Critical event action", "error disable interface" if "remote-failure critical-event" in eff else "no action"),
                "", "Link Monitoring", "---------------", "  Status: supported (on)", ""]
        for kw, title, wdef, wtext, unit, ldef in IOS_EVENTS:
            window = eff.get(f"{kw} window", str(wdef))
            if kw == "frame-period" and dev.faults.extra.get("ios_frame_period_block"):
                # a release that counts the frame-period window in other blocks than the
                # command reference's 10,000 frames (the ASR 920 guide prints "x 100,000 frames")
                wtext = "{} x " + f"{int(dev.faults.extra['ios_frame_period_block']):,}" + " frames"
            low = eff.get(f"{kw} threshold low", str(ldef))
            high = eff.get(f"{kw} threshold high", "none")
            out += [f"  {title}",
                    _kv("Window", wtext.format(window), 21, "    "),
                    _kv("Low threshold", f"{low} {unit}", 21, "    "),
                    _kv("High threshold", "none" if high == "none" else f"{high} {unit}", 21, "    "),
                    ""]
    return "\n".join(out) + "\n" if out else ""


def ios_summary(dev: Device) -> str:
    out = ["Symbols:           * - Master Loopback State,  # - Slave Loopback State",
           "                   & - Error Block State",
           "Capability codes:  L - Link Monitor,  R - Remote Loopback",
           "                   U - Unidirection,  V - Variable Retrieval",
           "",
           "  Local                          Remote",
           "Interface        MAC Address     OUI     Mode     Capability"]
    for name, st in dev.interfaces.items():
        eff = ios_oam_settings(dev.running, name)
        if eff is None:
            continue
        if st.oam.peer_state == "operational":
            out.append(f"  {ios_short(name):<14} {st.oam.peer_mac:<15} {st.oam.peer_vendor_oui:<7} "
                       f"{st.oam.peer_mode:<8} L R")
        else:
            out.append(f"  {ios_short(name):<14} {'':<15} {'':<7} {'':<8}")
    return "\n".join(out) + "\n"


def _event_log_lines(st: InterfaceState, indent: str) -> list[str]:
    out = []
    for title, events in (("Local event logs", st.oam.local_events), ("Remote event logs", st.oam.remote_events)):
        out += ["", f"{indent}{title}", f"{indent}{'-' * len(title)}"]
        for key, label in (("symbol-period", "Errored Symbol Period records"), ("frame", "Errored Frame records"),
                           ("frame-period", "Errored Frame Period records"),
                           ("frame-seconds", "Errored Frame Second records")):
            out.append(f"{indent}  {events[key]} {label}")
    return out


def ios_statistics(dev: Device, ifname: str | None) -> str:
    out: list[str] = []
    for name in ([ifname] if ifname else list(dev.interfaces)):
        if ios_oam_settings(dev.running, name) is None:
            continue
        st = dev.interfaces[name]
        out += [name, "Counters:", "---------"]
        out += oam_counter_lines(st, ": ", 40, "  ")
        out += _event_log_lines(st, "")
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def _port_status(st: InterfaceState, mode: str) -> str:
    if st.oam.peer_state == "operational":
        return "operational"
    return "active send local" if mode == "active" else "passive wait"


def ios_discovery(dev: Device, ifname: str | None) -> str:
    out: list[str] = []
    for name in ([ifname] if ifname else list(dev.interfaces)):
        eff = ios_oam_settings(dev.running, name)
        if eff is None:
            continue
        st = dev.interfaces[name]
        mode = eff.get("mode", "active")
        out += [name, "Local client", "------------", "  Administrative configurations:",
                _kv("Mode", mode, 19, "    "), _kv("Unidirection", "not supported", 19, "    "),
                _kv("Link monitor", "supported (on)", 19, "    "),
                _kv("Remote loopback", "not supported", 19, "    "),
                _kv("MIB retrieval", "not supported", 19, "    "), _kv("Mtu size", "1500", 19, "    "),
                "", "  Operational status:", _kv("Port status", _port_status(st, mode), 19, "    "),
                _kv("Loopback status", "no loopback", 19, "    "),
                _kv("PDU revision", "1" if st.oam.peer_state == "operational" else "0", 19, "    "),
                "", "Remote client", "-------------"]
        up = st.oam.peer_state == "operational"
        oui = st.oam.peer_vendor_oui
        na = "N/A"
        out += [f"  MAC address: {st.oam.peer_mac if up else na}",
                f"  Vendor(oui): 0x{oui[0:2]} 0x{oui[2:4]} 0x{oui[4:6]} (cisco)" if up else "  Vendor(oui): N/A",
                "", "  Administrative configurations:",
                _kv("Mode", st.oam.peer_mode if up else na, 19, "    "),
                _kv("Unidirection", "not supported" if up else na, 19, "    "),
                _kv("Link monitor", "supported" if up else na, 19, "    "),
                _kv("Remote loopback", "not supported" if up else na, 19, "    "),
                _kv("MIB retrieval", "not supported" if up else na, 19, "    "),
                _kv("Mtu size", "1500" if up else na, 19, "    "), ""]
    return "\n".join(out) + "\n" if out else ""


def cisco_port_state(dev: Device, st: InterfaceState) -> tuple[str | None, str, str]:
    """(description, interface state, line protocol) of a port, the words IOS and IOS-XR use."""
    node = dev.running.get([f"interface {st.name}"])
    admin = port_enabled(node)
    state = "up" if admin and st.oper_up else ("administratively down" if not admin else "down")
    proto = "up" if admin and st.oper_up else "down"
    return description(node), state, proto


def cisco_sub_interface_state(dev: Device, parent: InterfaceState, node: ConfigTree) -> str:
    """"up", "down" or "administratively down" (it or its port shut down), as IOS and IOS-XR
    word a sub-interface's state."""
    admin = sub_interface_enabled(dev, parent, node)
    return "up" if admin and parent.oper_up else ("administratively down" if not admin else "down")


def ios_sub_interface(dev: Device, parent: InterfaceState, name: str, node: ConfigTree) -> str:
    """A sub-interface record as real IOS prints it: no error counter lines at all, not even
    packet counters (real captures: tests/fixtures/parsers/cisco_ios/show_interfaces/real_*)."""
    state = cisco_sub_interface_state(dev, parent, node)
    proto = "up" if state == "up" else "down"
    vlan = vlan_of(node)
    desc = description(node)
    lines = [f"{name} is {state}, line protocol is {proto} ",
             f"  Hardware is iGbE, address is {parent.mac} (bia {parent.mac})"]
    if desc:
        lines.append(f"  Description: {desc}")
    lines += [f"  MTU 1500 bytes, BW {parent.speed_bps // 1000} Kbit/sec, DLY 10 usec, ",
              "     reliability 255/255, txload 1/255, rxload 1/255",
              f"  Encapsulation 802.1Q Virtual LAN, Vlan ID  {vlan}." if vlan
              else "  Encapsulation 802.1Q Virtual LAN, Vlan ID  not set.",
              "  ARP type: ARPA, ARP Timeout 04:00:00",
              "  Keepalive set (10 sec)",
              '  Last clearing of "show interface" counters never']
    return "\n".join(lines) + "\n"


def ios_interface(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    desc, state, proto = cisco_port_state(dev, st)
    mbps = st.speed_bps // 1_000_000
    lines = [f"{st.name} is {state}, line protocol is {proto} ",
             f"  Hardware is iGbE, address is {st.mac} (bia {st.mac})"]
    if desc:
        lines.append(f"  Description: {desc}")
    lines += [f"  MTU 1500 bytes, BW {st.speed_bps // 1000} Kbit/sec, DLY 10 usec, ",
              "     reliability 255/255, txload 1/255, rxload 1/255",
              "  Encapsulation ARPA, loopback not set", "  Keepalive set (10 sec)",
              f"  Full Duplex, {mbps}Mbps, link type is auto, media type is RJ45",
              "  output flow-control is unsupported, input flow-control is unsupported",
              "  ARP type: ARPA, ARP Timeout 04:00:00",
              "  Last input 00:00:00, output 00:00:00, output hang never",
              '  Last clearing of "show interface" counters never',
              "  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0",
              "  Queueing strategy: fifo", "  Output queue: 0/40 (size/max)",
              "  5 minute input rate 0 bits/sec, 0 packets/sec",
              "  5 minute output rate 0 bits/sec, 0 packets/sec",
              f"     {c['input_packets']} packets input, {c['input_bytes']} bytes, 0 no buffer",
              "     Received 0 broadcasts (0 multicasts)",
              f"     {c['runts']} runts, {c['giants']} giants, 0 throttles ",
              f"     {c['input_errors']} input errors, {c['crc']} CRC, {c['frame']} frame, "
              f"{c['overrun']} overrun, {c['ignored']} ignored",
              "     0 watchdog, 0 multicast, 0 pause input",
              "     0 input packets with dribble condition detected",
              f"     {c['output_packets']} packets output, {c['output_bytes']} bytes, 0 underruns",
              f"     {c['output_errors']} output errors, 0 collisions, 1 interface resets",
              "     0 unknown protocol drops", "     0 babbles, 0 late collision, 0 deferred",
              "     0 lost carrier, 0 no carrier, 0 pause output",
              "     0 output buffer failures, 0 output buffers swapped out"]
    return "\n".join(lines) + "\n"


# `show interfaces <name>` of an interface the device does not have (IOS and IOS-XR alike)
UNKNOWN_INTERFACE = "                    ^\n% Invalid input detected at '^' marker.\n"


def ios_show_interfaces(dev: Device, ifname: str | None) -> str:
    return show_interfaces(dev, ifname, ios_interface, ios_sub_interface, UNKNOWN_INTERFACE)


VERSION = ("Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M4, "
           "RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport\n"
           "Copyright (c) 1986-2021 by Cisco Systems, Inc.\nCompiled Tue 06-Jul-21 02:33 by prod_rel_team\n\n"
           "ROM: Bootstrap program is IOSv\n\n{host} uptime is {uptime}\n"
           "System returned to ROM by reload\nSystem image file is \"flash0:/vios-adventerprisek9-m\"\n"
           "Last reload reason: Unknown reason\n\n"
           "Cisco IOSv (revision 1.0) with  with 460017K/62464K bytes of memory.\n"
           "Processor board ID 9QJ2KXM8ZLHJ1Y8E04C1C (oamkit lab)\n{nif} Gigabit Ethernet interfaces\n"
           "DRAM configuration is 72 bits wide with parity disabled.\n"
           "256K bytes of non-volatile configuration memory.\n\nConfiguration register is 0x0\n")
