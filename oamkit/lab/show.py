"""Show/display output generated from device state, in the layouts of the vendor notes
(../shared/research/oam-vendors.md). Settings come from the running configuration; runtime
values (peer state, counters, event logs) from ``Device``."""
from __future__ import annotations

import re
import time

from oamkit.lab.device import ConfigTree, Device, InterfaceState

# --------------------------------------------------------------------------- helpers


def _kv(label: str, value: object, width: int = 23, indent: str = "  ") -> str:
    return f"{indent}{(label + ':').ljust(width)}{value}"


def _uptime(dev: Device) -> str:
    secs = int(time.time() - dev.boot_time) + 86400 + 7200
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    return f"{d} day, {h} hours, {rem // 60} minutes"


def ios_short(name: str) -> str:
    return name.replace("GigabitEthernet", "Gi").replace("TenGigE", "Te")


def colon_mac(dotted: str) -> str:
    h = dotted.replace(".", "")
    return ":".join(h[i:i + 2] for i in range(0, 12, 2))


def dash_mac(dotted: str) -> str:
    h = dotted.replace(".", "")
    return f"{h[0:4]}-{h[4:8]}-{h[8:12]}"


# --------------------------------------------------------------------------- cisco_ios
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


def _oam_counter_lines(st: InterfaceState, sep: str, width: int, indent: str) -> list[str]:
    o = st.oam
    rows = [("Information OAMPDU Tx", o.info_tx), ("Information OAMPDU Rx", o.info_rx),
            ("Unique Event Notification OAMPDU Tx", o.event_tx),
            ("Unique Event Notification OAMPDU Rx", o.event_rx),
            ("Duplicate Event Notification OAMPDU Tx", o.duplicate_event_tx),
            ("Duplicate Event Notification OAMPDU Rx", o.duplicate_event_rx),
            ("Loopback Control OAMPDU Tx", o.loopback_tx), ("Loopback Control OAMPDU Rx", o.loopback_rx),
            ("Variable Request OAMPDU Tx", o.variable_request_tx),
            ("Variable Request OAMPDU Rx", o.variable_request_rx),
            ("Variable Response OAMPDU Tx", o.variable_response_tx),
            ("Variable Response OAMPDU Rx", o.variable_response_rx),
            ("Organization Specific OAMPDU Tx", o.org_specific_tx),
            ("Organization Specific OAMPDU Rx", o.org_specific_rx),
            ("Unsupported OAMPDU Tx", o.unsupported_tx), ("Unsupported OAMPDU Rx", o.unsupported_rx),
            ("Frames Lost due to OAM", o.frames_lost)]
    return [f"{indent}{label.ljust(width)}{sep}{value}" for label, value in rows]


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
        out += _oam_counter_lines(st, ": ", 40, "  ")
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


_VLAN = re.compile(r"^(?:encapsulation dot1q|vlan-type dot1q|vlan-id)\s+(\d+)", re.IGNORECASE)


def sub_interfaces(dev: Device, parent: str) -> list[tuple[str, ConfigTree]]:
    """`interface <parent>.<n>` blocks of the running config (IOS, IOS-XR, VRP), in order."""
    prefix = f"interface {parent}."
    return [(c.line[len("interface "):], c) for c in dev.running.children if c.line.startswith(prefix)]


def _vlan_of(node: ConfigTree) -> str | None:
    for child in node.children:
        match = _VLAN.match(child.line.strip())
        if match:
            return match.group(1)
    return None


def ios_sub_interface(dev: Device, parent: InterfaceState, name: str, node: ConfigTree,
                      platform: str) -> str:
    """A sub-interface record as real IOS / IOS-XR print it: no error counter lines at all on
    IOS (not even packet counters), packet counters but no error line on IOS-XR (real captures:
    tests/fixtures/parsers/cisco_*/show_interfaces/real_*)."""
    admin = node.child("shutdown") is None and dev.running.get([f"interface {parent.name}", "shutdown"]) is None
    up = admin and parent.oper_up
    state = "up" if up else ("administratively down" if not admin else "down")
    proto = "up" if up else ("administratively down" if not admin and platform == "cisco_xr" else "down")
    vlan = _vlan_of(node)
    desc = next((x.line[len("description "):] for x in node.children
                 if x.line.startswith("description ")), None)
    if platform == "cisco_xr":
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


def ios_interface(dev: Device, st: InterfaceState, platform: str = "cisco_ios") -> str:
    c = st.counters
    node = dev.running.get([f"interface {st.name}"])
    desc = next((x.line[len("description "):] for x in (node.children if node else [])
                 if x.line.startswith("description ")), None)
    admin = not (node and node.child("shutdown"))
    state = "up" if admin and st.oper_up else ("administratively down" if not admin else "down")
    proto = "up" if admin and st.oper_up else "down"
    mbps = st.speed_bps // 1_000_000
    if platform == "cisco_xr":
        lines = [f"{st.name} is {state}, line protocol is {proto} ",
                 "  Interface state transitions: 1",
                 f"  Hardware is GigabitEthernet, address is {st.mac} (bia {st.mac})",
                 "  Layer 1 Transport Mode is LAN"]
        if desc:
            lines.append(f"  Description: {desc}")
        lines += ["  Internet address is Unknown",
                  f"  MTU 1514 bytes, BW {st.speed_bps // 1000} Kbit (Max: {st.speed_bps // 1000} Kbit)",
                  "     reliability 255/255, txload 0/255, rxload 0/255",
                  "  Encapsulation ARPA,",
                  f"  Full-duplex, {mbps}Mb/s, 1000BASE-T, link type is force-up",
                  "  output flow control is off, input flow control is off",
                  "  Carrier delay (up) is 10 msec", "  loopback not set,",
                  "  Last link flapped 1d00h",
                  "  ARP type ARPA, ARP timeout 04:00:00",
                  "  Last input 00:00:00, output 00:00:00",
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


def interfaces(dev: Device, ifname: str | None) -> str:
    """IOS / IOS-XR `show interfaces [X]`: each port followed by its sub-interfaces."""
    dev.tick()
    out = []
    for name, st in dev.interfaces.items():
        subs = sub_interfaces(dev, name)
        if ifname is None or ifname == name:
            out.append(ios_interface(dev, st, dev.platform))
        out += [ios_sub_interface(dev, st, sub, node, dev.platform) for sub, node in subs
                if ifname is None or ifname == sub]
    if ifname and not out:
        return "                    ^\n% Invalid input detected at '^' marker.\n"
    return "".join(out)


VERSION = {
    "cisco_ios": ("Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M), Version 15.9(3)M4, "
                  "RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport\n"
                  "Copyright (c) 1986-2021 by Cisco Systems, Inc.\nCompiled Tue 06-Jul-21 02:33 by prod_rel_team\n\n"
                  "ROM: Bootstrap program is IOSv\n\n{host} uptime is {uptime}\n"
                  "System returned to ROM by reload\nSystem image file is \"flash0:/vios-adventerprisek9-m\"\n"
                  "Last reload reason: Unknown reason\n\n"
                  "Cisco IOSv (revision 1.0) with  with 460017K/62464K bytes of memory.\n"
                  "Processor board ID 9QJ2KXM8ZLHJ1Y8E04C1C (oamkit lab)\n{nif} Gigabit Ethernet interfaces\n"
                  "DRAM configuration is 72 bits wide with parity disabled.\n"
                  "256K bytes of non-volatile configuration memory.\n\nConfiguration register is 0x0\n"),
    "cisco_xr": ("Cisco IOS XR Software, Version 7.3.2\nCopyright (c) 2013-2021 by Cisco Systems, Inc.\n\n"
                 "Build Information:\n Built By     : oamkit-lab\n Built On     : Thu Sep 30 00:00:00 PDT 2021\n\n"
                 "cisco ASR9K () processor\nSystem uptime is {uptime}\n"),
    "juniper_junos": ("Hostname: {host}\nModel: mx204\nJunos: 21.4R3.15\n"
                      "JUNOS OS Kernel 64-bit  [20220616.e3fd9d7_builder_stable_12_214]\n"
                      "JUNOS OS libs [20220616.e3fd9d7_builder_stable_12_214]\n"
                      "JUNOS Routing Software Suite [21.4R3.15]\n"),
    "huawei_vrp": ("Huawei Versatile Routing Platform Software\n"
                   "VRP (R) software, Version 8.200 (NE40E V800R012C10SPC300)\n"
                   "Copyright (C) 2012-2020 Huawei Technologies Co., Ltd.\n"
                   "HUAWEI NE40E-M2K uptime is {uptime}\n"),
}


def version(dev: Device) -> str:
    return VERSION[dev.platform].format(host=dev.name, uptime=_uptime(dev), nif=len(dev.interfaces))


# --------------------------------------------------------------------------- cisco_xr
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
                elif w[0] == "action":
                    eff[f"action {w[1]}"] = w[2]
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
    out: list[str] = []
    for name in ([ifname] if ifname else list(dev.interfaces)):
        eff = xr_oam_settings(dev.running, name)
        if eff is None:
            continue
        st = dev.interfaces[name]
        up = st.oam.peer_state == "operational"
        mode = eff.get("mode", "active")
        state = "SEND_ANY" if up else ("ACTIVE_SEND_LOCAL" if mode == "active" else "PASSIVE_WAIT")
        rows = [("Local MWD state", "Ready" if up else "Not ready"),
                ("Remote MWD state", "Ready" if up else "Not ready"), ("EFD triggered", "No"),
                ("Hello interval", eff.get("hello", "1s")),
                ("Link monitoring enabled", "Y"), ("Remote loopback enabled", "N"),
                ("Mib retrieval enabled", "N"), ("Uni-directional link-fault detection enabled", "N"),
                ("Configured mode", mode.capitalize()),
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
                ("Link fault action", XR_ACTION_NAMES.get(eff.get("action link-fault", ""), "Log")),
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
        out += [name, f"  In {state} state"]
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
        out += _oam_counter_lines(st, "", 52, "  ")
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


# --------------------------------------------------------------------------- juniper_junos
def junos_curly(tree: ConfigTree, depth: int = 0) -> str:
    out: list[str] = []

    def walk(node: ConfigTree, d: int) -> None:
        for c in node.children:
            if c.children:
                out.append("    " * d + c.line + " {")
                walk(c, d + 1)
                out.append("    " * d + "}")
            else:
                out.append("    " * d + c.line + ";")

    walk(tree, depth)
    return "\n".join(out) + ("\n" if out else "")


def junos_set_lines(tree: ConfigTree, prefix: tuple[str, ...] = ()) -> str:
    return "".join("set " + " ".join((*prefix, *p)) + "\n" for p in tree.paths())


def junos_find(tree: ConfigTree, words: list[str]) -> tuple[ConfigTree | None, list[str]]:
    """Walk words into the tree (nodes may be two words, e.g. "interface ge-0/0/0")."""
    node, path, i = tree, [], 0
    while i < len(words):
        one = node.child(words[i])
        two = node.child(" ".join(words[i:i + 2])) if i + 1 < len(words) else None
        if two is not None:
            node, i = two, i + 2
            path.append(two.line)
        elif one is not None:
            node, i = one, i + 1
            path.append(one.line)
        else:
            return None, path
    return node, path


def junos_compare(old: ConfigTree, new: ConfigTree) -> str:
    out: list[str] = []
    last_header = None
    for sign, path in old.diff(new):
        parent = path[:-1]
        if sign == "+" and new.get(list(parent)) is not None and old.get(list(parent)) is None:
            continue  # reported with its new parent
        header = "[edit" + ("" if not parent else " " + " ".join(parent)) + "]"
        if header != last_header:
            out.append(header)
            last_header = header
        src = new if sign == "+" else old
        node = src.get(list(path))
        sub = ConfigTree()
        sub.children = [node] if node is not None else []
        for line in junos_curly(sub).splitlines():
            out.append(f"{sign}  {line}")
    return "\n".join(out) + ("\n" if out else "")


def junos_lfm(dev: Device, args: list[str]) -> str:
    detail = "detail" in args
    ifname = next((a for a in args if a not in ("brief", "detail")), None)
    lfm = dev.running.get(["protocols", "oam", "ethernet", "link-fault-management"])
    out: list[str] = []
    if lfm is None:
        return ""
    for c in lfm.children:
        if not c.line.startswith("interface "):
            continue
        name = c.line.split(" ", 1)[1]
        if ifname and name != ifname or name not in dev.interfaces:
            continue
        st = dev.interfaces[name]
        mode = next((x.line.split()[1] for x in c.children if x.line.startswith("link-discovery ")), "passive")
        up = st.oam.peer_state == "operational"
        state = "Send Any" if up else ("Active Send Local" if mode == "active" else "Passive Wait")
        thr_node = c.get(["event-thresholds"])
        thr = {x.line.split()[0]: x.line.split()[1] for x in (thr_node.children if thr_node else [])}
        pdu_interval = next((x.line.split()[1] for x in c.children if x.line.startswith("pdu-interval ")), "1000")
        pdu_threshold = next((x.line.split()[1] for x in c.children if x.line.startswith("pdu-threshold ")), "3")
        out += [f"  Interface: {name}",
                f"    Status: {'Running' if up else 'Fail'}, Discovery state: {state}"]
        if detail:
            out.append(f"    Transmit interval: {pdu_interval}ms, PDU threshold: {pdu_threshold} frames, Hold time: 0ms")
        out += [f"    Peer address: {colon_mac(st.oam.peer_mac) if up else '00:00:00:00:00:00'}",
                "    Flags:" + ("Remote-Stable Remote-State-Valid Local-Stable 0x50" if up else "0x8")]
        if detail:
            o = st.oam
            out += ["    OAM receive statistics:",
                    f"      Information: {o.info_rx}, Event: {o.event_rx}, Variable request: {o.variable_request_rx}, "
                    f"Variable response: {o.variable_response_rx}",
                    f"      Loopback control: {o.loopback_rx}, Organization specific: {o.org_specific_rx}",
                    "    OAM flags receive statistics:",
                    "      Critical event: 0, Dying gasp: 0, Link fault: "
                    f"{sum(1 for e in dev.event_log if e.interface == name and e.type == 'Link fault')}",
                    "    OAM transmit statistics:",
                    f"      Information: {o.info_tx}, Event: {o.event_tx}, Variable request: {o.variable_request_tx}, "
                    f"Variable response: {o.variable_response_tx}",
                    f"      Loopback control: {o.loopback_tx}, Organization specific: {o.org_specific_tx}"]
            crc = st.counters["crc"]
            for title, events, threshold, errors in (
                    ("received symbol error", o.remote_events["symbol-period"], 0, 0),
                    ("received frame error", o.remote_events["frame"], 0, 0),
                    ("received frame period error", o.remote_events["frame-period"], 0, 0),
                    ("transmitted symbol error", 0, thr.get("symbol-period", "1"), 0),
                    ("transmitted frame error", o.local_events["frame"], thr.get("frame-error", "1"), crc),
                    ("current frame error", 0, thr.get("frame-error", "1"), 0)):
                out += [f"    OAM {title} event information:",
                        f"      Events: {events}, Window: 0, Threshold: {threshold}",
                        f"      Errors in period: {errors}, Total errors: {errors}"]
        out += ["    Remote loopback status: Disabled on local port, Disabled on peer port"] if not detail else []
        out += ["    Remote entity information:",
                "      Remote MUX action: forwarding, Remote parser action: forwarding",
                f"      Discovery mode: {st.oam.peer_mode if up else mode}, Unidirectional mode: unsupported",
                f"      Remote loopback mode: {'supported' if up else 'unsupported'}, "
                f"Link events: {'supported' if up else 'unsupported'}",
                "      Variable requests: unsupported"]
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def junos_interface(dev: Device, st: InterfaceState, extensive: bool) -> str:
    c = st.counters
    node = dev.running.get(["interfaces", st.name])
    enabled = not (node and node.child("disable"))
    link = "Up" if st.oper_up and enabled else "Down"
    mac = colon_mac(st.mac)
    lines = [f"Physical interface: {st.name}, {'Enabled' if enabled else 'Administratively down'}, Physical link is {link}",
             "  Interface index: 148, SNMP ifIndex: 526, Generation: 151",
             f"  Link-level type: Ethernet, MTU: 1514, MRU: 1522, Speed: {st.speed_bps // 1_000_000}mbps, "
             "BPDU Error: None, Loop Detect PDU Error: None, MAC-REWRITE Error: None, Loopback: Disabled,",
             "  Source filtering: Disabled, Flow control: Enabled",
             "  Device flags   : Present Running",
             "  Interface flags: SNMP-Traps Internal: 0x4000",
             f"  Current address: {mac}, Hardware address: {mac}",
             "  Last flapped   : 2026-11-21 00:00:00 UTC (1d 00:00 ago)",
             "  Statistics last cleared: Never"]
    if not extensive:
        lines += [f"  Input rate     : 0 bps (0 pps)", f"  Output rate    : 0 bps (0 pps)",
                  "  Active alarms  : None", "  Active defects : None"]
        return "\n".join(lines) + "\n"
    lines += ["  Traffic statistics:",
              f"   Input  bytes  : {c['input_bytes']:>18} {0:>20} bps",
              f"   Output bytes  : {c['output_bytes']:>18} {0:>20} bps",
              f"   Input  packets: {c['input_packets']:>18} {0:>20} pps",
              f"   Output packets: {c['output_packets']:>18} {0:>20} pps",
              "  Input errors:",
              f"    Errors: {c['input_errors']}, Drops: 0, Framing errors: {c['frame']}, Runts: {c['runts']}, "
              "Policed discards: 0, L3 incompletes: 0, L2 channel errors: 0, L2 mismatch timeouts: 0, "
              "FIFO errors: 0, Resource errors: 0",
              "  Output errors:",
              f"    Carrier transitions: 1, Errors: {c['output_errors']}, Drops: 0, Collisions: 0, Aged packets: 0, "
              "FIFO errors: 0, HS link CRC errors: 0, MTU errors: 0, Resource errors: 0",
              "  MAC statistics:                      Receive         Transmit",
              f"    Total octets               {c['input_bytes']:>16} {c['output_bytes']:>16}",
              f"    Total packets              {c['input_packets']:>16} {c['output_packets']:>16}",
              f"    Unicast packets            {c['input_packets']:>16} {c['output_packets']:>16}",
              f"    Broadcast packets          {0:>16} {0:>16}",
              f"    Multicast packets          {0:>16} {0:>16}",
              f"    CRC/Align errors           {c['crc']:>16} {0:>16}",
              f"    FIFO errors                {0:>16} {0:>16}",
              f"    MAC control frames         {0:>16} {0:>16}",
              f"    MAC pause frames           {0:>16} {0:>16}",
              f"    Oversized frames           {c['giants']:>16}",
              f"    Jabber frames              {0:>16}",
              f"    Fragment frames            {0:>16}",
              f"    VLAN tagged frames         {0:>16}",
              f"    Code violations            {c['symbol_errors']:>16}",
              "  PCS statistics                      Seconds",
              f"    Bit errors                 {c['symbol_errors']:>16}",
              f"    Errored blocks             {0:>16}",
              "  Interface transmit statistics: Disabled"]
    lines += junos_logical_units(dev, st, node, enabled)
    return "\n".join(lines) + "\n"


def junos_logical_units(dev: Device, st: InterfaceState, node: ConfigTree | None,
                        enabled: bool) -> list[str]:
    """`Logical interface <ifd>.<unit>` blocks for the `unit N` of the configuration, in the
    layout of real `show interfaces extensive` (fixtures juniper_junos/show_interfaces_extensive/
    real_*): flags, traffic statistics, one `Protocol` line per family."""
    out: list[str] = []
    units = [c for c in (node.children if node else []) if c.line.startswith("unit ")]
    for i, unit in enumerate(units):
        number = unit.line.split()[1]
        vlan = _vlan_of(unit)
        up = "Up" if enabled and st.oper_up and unit.child("disable") is None else "Down"
        tag = f" VLAN-Tag [ 0x8100.{vlan} ] " if vlan else " "
        out += ["", f"  Logical interface {st.name}.{number} (Index {330 + i}) (SNMP ifIndex {540 + i}) "
                f"(Generation {150 + i})",
                f"    Flags: {up} SNMP-Traps 0x4000{tag} Encapsulation: ENET2",
                "    Traffic statistics:",
                f"     Input  bytes  : {0:>20}", f"     Output bytes  : {0:>20}",
                f"     Input  packets: {0:>20}", f"     Output packets: {0:>20}",
                "    Local statistics:",
                f"     Input  bytes  : {0:>20}", f"     Output bytes  : {0:>20}",
                f"     Input  packets: {0:>20}", f"     Output packets: {0:>20}"]
        families = [c.line.split()[1] for c in unit.children if c.line.startswith("family ")]
        for family in families or ["multiservice"]:
            if family == "ethernet-switching":
                out += [f"    Protocol eth-switch, MTU: 1514, Generation: {170 + i}, Route table: 0",
                        "      Flags: Is-Primary"]
            elif family == "multiservice":
                out += [f"    Protocol multiservice, MTU: Unlimited, Generation: {180 + i}, Route table: 0",
                        "      Flags: Is-Primary",
                        "      Policer: Input: __default_arp_policer__"]
            else:
                out += [f"    Protocol {family}, MTU: 1500, Generation: {190 + i}, Route table: 0",
                        "      Flags: Sendbcast-pkt-to-re"]
    return out


def junos_interfaces(dev: Device, args: list[str]) -> str:
    dev.tick()
    extensive = "extensive" in args
    names = [a for a in args if a not in ("extensive", "terse", "brief", "detail")]
    for n in names:
        if n not in dev.interfaces:
            return f"error: device {n} not found\n"
    return "".join(junos_interface(dev, dev.interfaces[n], extensive) for n in (names or list(dev.interfaces)))


# --------------------------------------------------------------------------- huawei_vrp
def hw_config(tree: ConfigTree, ifname: str | None) -> str:
    if ifname:
        node = tree.get([f"interface {ifname}"])
        sub = ConfigTree()
        sub.children = [node] if node is not None else []
        return "#\n" + sub.to_text(separator="#") + "return\n"
    body = tree.to_text(separator="#")
    if not body.endswith("#\n"):
        body += "#\n"
    return "!Software Version V800R012C10SPC300\n#\n" + body + "return\n"


def hw_efm_settings(running: ConfigTree, ifname: str) -> dict[str, str]:
    node = running.get([f"interface {ifname}"])
    eff: dict[str, str] = {}
    for c in (node.children if node else []):
        w = c.line.split()
        if w[0] != "efm":
            continue
        if w[1:] == ["enable"]:
            eff["enable"] = "enable"
        elif len(w) == 3:
            eff[w[1]] = w[2]
        elif len(w) == 4 and w[3] == "enable":
            eff[f"{w[1]} notification"] = "enable"
        elif len(w) == 4:
            eff[f"{w[1]} {w[2]}"] = w[3]
    return eff


def hw_efm_interface(dev: Device, ifname: str) -> list[str]:
    eff = hw_efm_settings(dev.running, ifname)
    st = dev.interfaces[ifname]
    up = st.oam.peer_state == "operational" and "enable" in eff
    rows = [("Interface", ifname), ("EFM Enable Flag", eff.get("enable", "disable")),
            ("Mode", eff.get("mode", "active")), ("OAMPDU MaxSize", "128"),
            ("OAMPDU Interval", eff.get("interval", "1000")), ("OAMPDU Timeout", eff.get("timeout", "5000")),
            ("ErrCodeNotification", eff.get("error-code notification", "disable")),
            ("ErrCodePeriod", eff.get("error-code period", "1")),
            ("ErrCodeThreshold", eff.get("error-code threshold", "1")),
            ("ErrFrameNotification", eff.get("error-frame notification", "disable")),
            ("ErrFramePeriod", eff.get("error-frame period", "1")),
            ("ErrFrameThreshold", eff.get("error-frame threshold", "1")),
            ("ErrFrameSecondNotification", eff.get("error-frame-second notification", "disable")),
            ("ErrFrameSecondPeriod", eff.get("error-frame-second period", "60")),
            ("ErrFrameSecondThreshold", eff.get("error-frame-second threshold", "1")),
            ("ErrFramePeriodNotification", eff.get("error-frame-period notification", "disable")),
            ("ErrFramePeriodPeriod", eff.get("error-frame-period period", "200000")),
            ("ErrFramePeriodThreshold", eff.get("error-frame-period threshold", "1")),
            ("Hold Up Time", eff.get("holdup-timer", "0")),
            ("TriggerIfDown", "enable" if eff.get("trigger") == "if-down" else "disable"),
            ("Remote MAC", dash_mac(st.oam.peer_mac) if up else "--"),
            ("Remote EFM Enable Flag", "enable" if up else "--"),
            ("Remote Mode", st.oam.peer_mode if up else "--"),
            ("Remote MaxSize", "128" if up else "--"),
            ("Remote Loopback IgnoreRequest", "--"), ("Remote Parser", "--"), ("Remote Multiplexer", "--")]
    return [f"  {(k + ':').ljust(31)}{v}" for k, v in rows]


def hw_efm(dev: Device, ifname: str | None) -> str:
    names = [ifname] if ifname else [n for n in dev.interfaces if hw_efm_settings(dev.running, n)]
    if not names:
        return "  Info: EFM OAM is not enabled on any interface.\n"
    out = ["  Item                           Value"]
    for n in names:
        out += ["  " + "-" * 52] + hw_efm_interface(dev, n)
    return "\n".join(out) + "\n"


def hw_session(dev: Device, ifname: str | None) -> str:
    out = ["  Interface                       EFM State                   Loopback Timeout",
           "  " + "-" * 76]
    for n in ([ifname] if ifname else list(dev.interfaces)):
        eff = hw_efm_settings(dev.running, n)
        if not ifname and "enable" not in eff:
            continue
        st = dev.interfaces[n]
        state = "--" if "enable" not in eff else ("detect" if st.oam.peer_state == "operational" else "discovery")
        timeout = "--"
        if "enable" in eff and st.oam.loopback:      # remote loopback running (VRP doc layout)
            state = f"loopback ({st.oam.loopback})"
            timeout = str(st.oam.loopback_timeout) if st.oam.loopback == "control" else "--"
        out.append(f"  {n:<31} {state:<27} {timeout}")
    return "\n".join(out) + "\n"


def hw_link_event(dev: Device, ifname: str | None) -> str:
    out: list[str] = ["  Item                           Value"]
    for n in ([ifname] if ifname else list(dev.interfaces)):
        eff = hw_efm_settings(dev.running, n)
        if "enable" not in eff:
            continue
        st = dev.interfaces[n]
        out += ["  " + "-" * 52, f"  {'Interface:':<31}{n}"]
        for label, key, ev in (("ErrCode", "error-code", "symbol-period"), ("ErrFrame", "error-frame", "frame"),
                               ("ErrFrameSecond", "error-frame-second", "frame-seconds"),
                               ("ErrFramePeriod", "error-frame-period", "frame-period")):
            configured = f"{key} notification" in eff
            errors = (st.counters["crc"] if ev == "frame" else 0) if configured else "-"
            events = st.oam.local_events[ev] if configured else "-"
            for suffix, value in (("Errors", errors), ("ErrorRunningTotal", errors), ("EventRunningTotal", events)):
                out.append(f"  {(label + suffix + ':').ljust(30)} {value}")
    return "\n".join(out) + "\n" if len(out) > 1 else "  Info: No EFM link event.\n"


def hw_interface(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    node = dev.running.get([f"interface {st.name}"])
    desc = next((x.line[len("description "):] for x in (node.children if node else [])
                 if x.line.startswith("description ")), None)
    up = st.oper_up and not (node and node.child("shutdown"))
    lines = [f"{st.name} current state : {'UP' if up else 'DOWN'} (ifindex: 7)",
             f"Line protocol current state : {'UP' if up else 'DOWN'}",
             "Last line protocol up time : 2026-11-21 00:00:00"]
    if desc:
        lines.append(f"Description:{desc}")
    lines += ["Route Port,The Maximum Transmit Unit is 1500",
              "Internet protocol processing : disabled",
              f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {dash_mac(st.mac)}",
              "Last physical up time   : 2026-11-21 00:00:00", "Last physical down time : -",
              f"Current system time: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}",
              "Port Mode: COMMON COPPER",
              f"Speed : {st.speed_bps // 1_000_000},  Loopback: NONE",
              "Duplex: FULL,  Negotiation: ENABLE", "Mdi   : AUTO,  Clock   : -",
              "Last 300 seconds input rate 0 bits/sec, 0 packets/sec",
              "Last 300 seconds output rate 0 bits/sec, 0 packets/sec",
              "Input peak rate 0 bits/sec,Record time: -",
              "Output peak rate 0 bits/sec,Record time: -",
              "",
              f"Input:  {c['input_packets']} packets, {c['input_bytes']} bytes",
              f"  Unicast:       {c['input_packets']:>16},  Multicast:       {0:>15}",
              f"  Broadcast:     {0:>16},  Jumbo:           {0:>15}",
              f"  Discard:       {0:>16},  Total Error:     {c['input_errors']:>15}",
              "",
              f"  CRC:           {c['crc']:>16},  Giants:          {c['giants']:>15}",
              f"  Jabbers:       {0:>16},  Throttles:       {0:>15}",
              f"  Runts:         {c['runts']:>16},  Symbols:         {c['symbol_errors']:>15}",
              f"  Ignoreds:      {c['ignored']:>16},  Frames:          {c['frame']:>15}",
              "",
              f"Output:  {c['output_packets']} packets, {c['output_bytes']} bytes",
              f"  Unicast:       {c['output_packets']:>16},  Multicast:       {0:>15}",
              f"  Broadcast:     {0:>16},  Jumbo:           {0:>15}",
              f"  Discard:       {0:>16},  Total Error:     {c['output_errors']:>15}",
              "",
              f"  Collisions:    {0:>16},  ExcessiveCollisions: {0:>11}",
              f"  Late Collisions: {0:>14},  Deferreds:       {0:>15}",
              "",
              "    Input bandwidth utilization threshold : 80.00%",
              "    Output bandwidth utilization threshold: 80.00%",
              "    Input bandwidth utilization  :    0.01%",
              "    Output bandwidth utilization :    0.01%"]
    return "\n".join(lines) + "\n\n"


def hw_sub_interface(dev: Device, parent: InterfaceState, name: str, node: ConfigTree) -> str:
    """A VRP sub-interface prints no error counter block, only totals (the layout real VRP uses
    for interfaces without Ethernet counters, e.g. NULL0 in the real captures)."""
    up = parent.oper_up and node.child("shutdown") is None and \
        dev.running.get([f"interface {parent.name}", "shutdown"]) is None
    desc = next((x.line[len("description "):] for x in node.children
                 if x.line.startswith("description ")), "")
    lines = [f"{name} current state : {'UP' if up else 'DOWN'} (ifindex: 30)",
             f"Line protocol current state : {'UP' if up else 'DOWN'}",
             "Last line protocol up time : 2026-11-21 00:00:00",
             f"Description:{desc}",
             "Route Port,The Maximum Transmit Unit is 1500",
             "Internet protocol processing : disabled",
             f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {dash_mac(parent.mac)}",
             f"Current system time: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())}",
             "    Last 300 seconds input rate 0 bits/sec, 0 packets/sec",
             "    Last 300 seconds output rate 0 bits/sec, 0 packets/sec",
             "    Input: 0 packets,0 bytes",
             "           0 unicast,0 broadcast,0 multicast",
             "           0 errors,0 unknownprotocol",
             "    Output:0 packets,0 bytes",
             "           0 unicast,0 broadcast,0 multicast",
             "           0 errors",
             "    Input bandwidth utilization  :    0%",
             "    Output bandwidth utilization :    0%"]
    return "\n".join(lines) + "\n\n"


def hw_interfaces(dev: Device, ifname: str | None) -> str:
    dev.tick()
    out = []
    for name, st in dev.interfaces.items():
        if ifname is None or ifname == name:
            out.append(hw_interface(dev, st))
        out += [hw_sub_interface(dev, st, sub, node) for sub, node in sub_interfaces(dev, name)
                if ifname is None or ifname == sub]
    if ifname and not out:
        return "                  ^\nError: Wrong parameter found at '^' position.\n"
    return "".join(out)
