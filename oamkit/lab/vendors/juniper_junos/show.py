"""Junos show output of the lab: the configuration as curly braces or ``display set`` lines,
``show | compare``, ``show oam ethernet link-fault-management``, ``show interfaces
[extensive]`` with the logical units of the configuration, and ``show version``.
"""
from __future__ import annotations

import math
import time

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.device import Device, InterfaceState
from oamkit.lab.show_common import vlan_of
from oamkit.lab.vendors.juniper_junos.layouts import extensive_block


def colon_mac(dotted: str) -> str:
    h = dotted.replace(".", "")
    return ":".join(h[i:i + 2] for i in range(0, 12, 2))


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


INACTIVE = "inactive: "   # a deactivated statement (NETCONF `inactive="inactive"`)


def junos_set_lines(tree: ConfigTree, prefix: tuple[str, ...] = ()) -> str:
    """`| display set`: the set lines, then a `deactivate` line per deactivated statement (the
    output loads back as it is, so the lines name statements as `deactivate` takes them)."""
    sets, deactivated = [], []
    for p in tree.paths():
        marked = (*prefix, *p)
        words = [w.removeprefix(INACTIVE) for w in marked]
        sets.append("set " + " ".join(words) + "\n")
        for i, w in enumerate(marked):
            line = "deactivate " + " ".join(words[:i + 1]) + "\n"
            if w.startswith(INACTIVE) and line not in deactivated:
                deactivated.append(line)
    return "".join(sets + deactivated)


def junos_child(node: ConfigTree, line: str) -> ConfigTree | None:
    """The child holding statement `line`, deactivated or not."""
    return node.child(line) or node.child(INACTIVE + line)


def junos_path(tree: ConfigTree, nodes: list[str]) -> list[str]:
    """`nodes` as the tree holds them: a deactivated statement keeps its mark, and Junos edits
    inside it (`set`/`delete` under an inactive statement leave it inactive)."""
    out: list[str] = []
    node: ConfigTree | None = tree
    for line in nodes:
        found = junos_child(node, line) if node is not None else None
        out.append(found.line if found is not None else line)
        node = found
    return out


def junos_find(tree: ConfigTree, words: list[str]) -> tuple[ConfigTree | None, list[str]]:
    """Walk words into the tree (nodes may be two words, e.g. "interface ge-0/0/0")."""
    node, path, i = tree, [], 0
    while i < len(words):
        one = junos_child(node, words[i])
        two = junos_child(node, " ".join(words[i:i + 2])) if i + 1 < len(words) else None
        if two is not None:
            node, i = two, i + 2
            path.append(two.line)
        elif one is not None:
            node, i = one, i + 1
            path.append(one.line)
        else:
            return None, path
    return node, path


def junos_commit_list(dev: Device, user: str) -> str:
    """`show system commit`, newest first. While a confirmed commit is pending, its entry ends
    "commit confirmed, rollback in Nmins" (Juniper's "Rollback Pending" sample output), the
    minutes in device time."""
    out = []
    for i, rec in enumerate(reversed(dev.commit_history)):
        line = (f"{i}   {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(rec.time))} by {user} "
                f"via {rec.channel}")
        if i == 0 and dev.confirm_pending and dev.confirm_until is not None:
            left = max(0.0, dev.confirm_until - time.time()) / (dev.time_scale or 1.0)
            line += f" commit confirmed, rollback in {max(1, math.ceil(left / 60))}mins"
        out.append(line + (f"\n    {rec.comment}" if rec.comment else ""))
    return "\n".join(out)


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
        lines += ["  Input rate     : 0 bps (0 pps)", "  Output rate    : 0 bps (0 pps)",
                  "  Active alarms  : None", "  Active defects : None"]
        return "\n".join(lines) + "\n"
    block = extensive_block(dev, st, [lines[0], *lines[6:]])      # a real layout other than MX ge
    if block is not None:
        return "\n".join(block + junos_logical_units(dev, st, node, enabled)) + "\n"
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
        vlan = vlan_of(unit)
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


VERSION = ("Hostname: {host}\nModel: mx204\nJunos: 21.4R3.15\n"
           "JUNOS OS Kernel 64-bit  [20220616.e3fd9d7_builder_stable_12_214]\n"
           "JUNOS OS libs [20220616.e3fd9d7_builder_stable_12_214]\n"
           "JUNOS Routing Software Suite [21.4R3.15]\n")
