"""Huawei VRP8 display output of the lab: ``display current-configuration`` and the
candidate, ``display efm ...`` (settings, sessions, link events), ``display interface`` and
``display version``, in the layouts of the vendor notes (../shared/research/oam-vendors.md).
"""
from __future__ import annotations

import time

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.device import Device, InterfaceState
from oamkit.lab.show_common import description, port_enabled, show_interfaces, sub_interface_enabled
from oamkit.lab.vendors.huawei_vrp.layouts import VRP_LAYOUTS


def dash_mac(dotted: str) -> str:
    h = dotted.replace(".", "")
    return f"{h[0:4]}-{h[4:8]}-{h[8:12]}"


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
    layout = VRP_LAYOUTS[dev.layout]
    if layout.efm_newer_items:      # newer releases: after `Mode:` and after `TriggerIfDown:`
        rows.insert(3, ("Loopback IgnoreRequest", "no"))
        rows.insert(next(i for i, (k, _) in enumerate(rows) if k == "TriggerIfDown") + 1,
                    ("TriggerMacRenew", "disable"))
    lines = [f"  {(k + ':').ljust(31)}{v}" for k, v in rows]
    if layout.efm_pair_on_one_line:
        # the ErrFramePeriod items move after the Remote ones, the first of them printed on
        # the `Remote Multiplexer:` line (NE40E configuration example, S19)
        moved = [x for x in lines if x.split(":")[0].strip() in
                 ("ErrFramePeriodNotification", "ErrFramePeriodPeriod", "ErrFramePeriodThreshold")]
        lines = [x for x in lines if x not in moved]
        lines[-1] += f"  ErrFramePeriodNotification:    {dict(rows)['ErrFramePeriodNotification']}"
        lines += [x for x in moved if "ErrFramePeriodNotification" not in x]
    return lines


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
    """A port's `display interface` record in the device's layout (layouts.VRP_LAYOUTS); the
    AR-router layout below is the default."""
    port = VRP_LAYOUTS[dev.layout].port
    return port(dev, st) if port else hw_ar_interface(dev, st)


def hw_ar_interface(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    node = dev.running.get([f"interface {st.name}"])
    desc = description(node)
    up = st.oper_up and port_enabled(node)
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
    up = parent.oper_up and sub_interface_enabled(dev, parent, node)
    desc = description(node) or ""
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
    return show_interfaces(dev, ifname, hw_interface, hw_sub_interface,
                           "                  ^\nError: Wrong parameter found at '^' position.\n")


VERSION = ("Huawei Versatile Routing Platform Software\n"
           "VRP (R) software, Version 8.200 (NE40E V800R012C10SPC300)\n"
           "Copyright (C) 2012-2020 Huawei Technologies Co., Ltd.\n"
           "HUAWEI NE40E-M2K uptime is {uptime}\n")
