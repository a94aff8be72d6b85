"""The `display interface` record of a VRP port in each real layout the corpus holds
(tests/fixtures/parsers/huawei_vrp/display_interface/real_*): labels, order and line breaks
follow the captures, the values are the lab device's own. Which layout a device prints is its
``Device.layout`` (oamkit.lab.device.LAYOUTS); ``VRP_LAYOUTS`` at the end is the data that maps
a layout to its record and to the `display efm` items that release prints.

- ``ar_router``: AR-series router (real_ntc_ar_series_ge_null_vlanif): `Discard:` beside
  `Total Error:`, `CRC:` beside `Giants:`, `Ignoreds:` beside `Frames:`;
- ``s_switch``: S-series switch (real_ntc_switch_total_error_own_line): `Frames:`, `Total
  Error:` and `Ignoreds:` on their own lines, `Runts:` beside `DropEvents:`;
- ``vrp8_router``: VRP8 router (real_napalm_vrp8_bytes_first_counters): totals first as `Input:
  N bytes, N packets`, then a bare `Input:` block with `CRC: N packets, Symbol: N packets` and
  no input-error total;
- ``cloudengine``: CloudEngine (real_napalm_ce_meth_total_error_crc_one_line): `Total Error:`
  beside `CRC:` on one line;
- ``ce_10ge``: CloudEngine ports named by their speed (`10GE1/0/1`; Huawei's CE `display
  interface` examples, fixtures ce_cmdref_*): `Frames: --` beside `Discard:` (a counter the
  port does not keep), `Ignoreds:` beside `Pause:`, `Jabbers: --`, and a timestamp line
  (`2026-12-07 04:41:03.512 +00:00`) before the output of every `display` command.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from oamkit.lab.device import Device, InterfaceState
from oamkit.lab.show_common import description, port_enabled

UP_SINCE = "2026-11-21 00:00:00"


def _mac(dotted: str) -> str:
    h = dotted.replace(".", "")
    return f"{h[0:4]}-{h[4:8]}-{h[8:12]}"


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _state(dev: Device, st: InterfaceState) -> tuple[bool, str | None]:
    node = dev.running.get([f"interface {st.name}"])
    return st.oper_up and port_enabled(node), description(node)


def _pair(l1: str, v1: object, l2: str, v2: object, left: int, right: int, indent: str = "  ",
          sep: str = ",  ") -> str:
    """`Label:   value,  Label:   value` with the values right-aligned in columns."""
    return f"{indent}{l1}{str(v1).rjust(left - len(l1))}{sep}{l2}{str(v2).rjust(right - len(l2))}"


def _times_and_rates() -> list[str]:
    """Up/down times, clearing and rate lines as VRP8 routers and CloudEngine print them."""
    return [f"Last physical up time   : {UP_SINCE}", "Last physical down time : -",
            f"Current system time: {_now()}",
            "Statistics last cleared:never",
            "    Last 300 seconds input rate: 0 bits/sec, 0 packets/sec",
            "    Last 300 seconds output rate: 0 bits/sec, 0 packets/sec",
            "    Input peak rate 0 bits/sec, Record time: -",
            "    Output peak rate 0 bits/sec, Record time: -"]


def _bandwidth(indent: str = "    ") -> list[str]:
    return [f"{indent}Input bandwidth utilization threshold : 80.00%",
            f"{indent}Output bandwidth utilization threshold: 80.00%",
            f"{indent}Input bandwidth utilization  : 0.01%",
            f"{indent}Output bandwidth utilization : 0.01%"]


def s_switch(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    up, desc = _state(dev, st)

    def pair(l1, v1, l2, v2):
        return _pair(l1, v1, l2, v2, 35, 38)

    def one(label, value):
        return f"  {label}{str(value).rjust(35 - len(label))}"

    lines = [f"{st.name} current state : {'UP' if up else 'DOWN'}",
             f"Line protocol current state : {'UP' if up else 'DOWN'} ",
             f"Description:{desc or ''}",
             "Switch Port, Link-type : access(negotiated), ",
             "TPID : 8100(Hex), The Maximum Frame Length is 9216",
             f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {_mac(st.mac)}",
             f"Last physical up time   : {UP_SINCE}", "Last physical down time : -",
             f"Current system time: {_now()}",
             "Port Mode: COMMON FIBER, Transceiver: 1000_BASE_LX_SFP",
             f"Speed : {st.speed_bps // 1_000_000},   Loopback: NONE",
             "Duplex: FULL,   Negotiation: DISABLE",
             "Mdi   : -,      Flow-control: DISABLE",
             "Last 300 seconds input rate 0 bits/sec, 0 packets/sec",
             "Last 300 seconds output rate 0 bits/sec, 0 packets/sec",
             f"Input peak rate 0 bits/sec, Record time: {UP_SINCE}",
             f"Output peak rate 0 bits/sec, Record time: {UP_SINCE}",
             "",
             f"Input:  {c['input_packets']} packets, {c['input_bytes']} bytes",
             pair("Unicast:", c["input_packets"], "Multicast:", 0),
             pair("Broadcast:", 0, "Jumbo:", 0),
             pair("Discard:", 0, "Pause:", 0),
             one("Frames:", c["frame"]),
             "",
             one("Total Error:", c["input_errors"]),
             pair("CRC:", c["crc"], "Giants:", c["giants"]),
             pair("Runts:", c["runts"], "DropEvents:", 0),
             pair("Alignments:", 0, "Symbols:", c["symbol_errors"]),
             one("Ignoreds:", c["ignored"]),
             "",
             f"Output:  {c['output_packets']} packets, {c['output_bytes']} bytes",
             pair("Unicast:", c["output_packets"], "Multicast:", 0),
             pair("Broadcast:", 0, "Jumbo:", 0),
             pair("Discard:", 0, "Pause:", 0),
             "",
             one("Total Error:", c["output_errors"]),
             pair("Collisions:", 0, "Late Collisions:", 0),
             one("Deferreds:", 0) + "  ",
             "", *_bandwidth()]
    return "\n".join(lines) + "\n\n"


def vrp8_router(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    up, desc = _state(dev, st)
    gbit = st.speed_bps // 1_000_000_000
    lines = [f"{st.name} current state : {'UP' if up else 'DOWN'} (ifindex: 28)",
             f"Line protocol current state : {'UP' if up else 'DOWN'}",
             f"Last line protocol up time : {UP_SINCE}",
             f"Link quality grade : {'GOOD' if up else '--'}",
             f"Description:{desc or ''}",
             "Route Port,The Maximum Transmit Unit is 1500",
             "Internet protocol processing : disabled",
             f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {_mac(st.mac)}",
             "The Vendor PN is OAMKIT-LAB-SFP",
             "The Vendor Name is OAMKIT",
             f"Port BW: {gbit}G, Transceiver max BW: {gbit}G, Transceiver Mode: SingleMode",
             "WaveLength: 1310nm, Transmission Distance: 10km",
             "Rx Power:  -4.20dBm, Warning range: [-19.997,  -3.000]dBm",
             "Tx Power:  -5.10dBm, Warning range: [-9.500,  -3.000]dBm",
             "Loopback: none, full-duplex mode, Pause Flowcontrol: Receive Enable and Send Enable",
             *_times_and_rates(),
             f"    Input: {c['input_bytes']} bytes, {c['input_packets']} packets",
             f"    Output: {c['output_bytes']} bytes, {c['output_packets']} packets",
             "    Input:",
             f"      Unicast: {c['input_packets']} packets, Multicast: 0 packets",
             "      Broadcast: 0 packets, JumboOctets: 0 packets",
             f"      CRC: {c['crc']} packets, Symbol: {c['symbol_errors']} packets",
             f"      Overrun: {c['overrun']} packets, InRangeLength: 0 packets",
             f"      LongPacket: {c['giants']} packets, Jabber: 0 packets, Alignment: 0 packets",
             f"      Fragment: 0 packets, Undersized Frame: {c['runts']} packets",
             "      RxPause: 0 packets",
             "    Output:",
             f"      Unicast: {c['output_packets']} packets, Multicast: 0 packets",
             "      Broadcast: 0 packets, JumboOctets: 0 packets",
             "      Lost: 0 packets, Overflow: 0 packets, Underrun: 0 packets",
             "      System: 0 packets, Overruns: 0 packets",
             "      TxPause: 0 packets",
             "    Local fault: normal, Remote fault: normal.",
             "    Last 300 seconds input utility rate:  0.00%",
             "    Last 300 seconds output utility rate: 0.00%"]
    return "\n".join(lines) + "\n\n"


def cloudengine(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    up, desc = _state(dev, st)
    mbit = st.speed_bps // 1_000_000

    def pair(l1, v1, l2, v2):
        return _pair(l1, v1, l2, v2, 27, 34, indent="      ", sep=",   ")

    lines = [f"{st.name} current state : {'UP' if up else 'DOWN'} (ifindex: 5)",
             f"Line protocol current state : {'UP' if up else 'DOWN'}",
             f"Last line protocol up time : {UP_SINCE}",
             f"Description:{desc or ''}",
             "Route Port,The Maximum Transmit Unit is 1500",
             "Internet protocol processing : disabled",
             f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {_mac(st.mac)}",
             "Media type: COMMON COPPER, Link type: auto negotiation",
             f"Loopback: NONE, Maximal BW: {mbit}M, Current BW: {mbit}M, Full-duplex mode",
             *_times_and_rates(),
             f"    Input : {str(c['input_bytes']).rjust(18)} bytes, {str(c['input_packets']).rjust(18)} packets",
             f"    Output: {str(c['output_bytes']).rjust(18)} bytes, {str(c['output_packets']).rjust(18)} packets",
             "    Input:",
             pair("Unicast:", c["input_packets"], "Multicast:", 0),
             pair("Broadcast:", 0, "Overrun:", c["overrun"]),
             f"      Over-car-pps:{'0'.rjust(27 - len('Over-car-pps:'))}",
             "",
             pair("Total Error:", c["input_errors"], "CRC:", c["crc"]),
             pair("Giants:", c["giants"], "Jabbers:", 0),
             pair("Runts:", c["runts"], "Fragments:", 0),
             "",
             "    Output:",
             pair("Unicast:", c["output_packets"], "Multicast:", 0),
             pair("Broadcast:", 0, "Underrun:", 0),
             "    Last 300 seconds input utility rate:  0.01%",
             "    Last 300 seconds output utility rate: 0.01%",
             "    "]
    return "\n".join(lines) + "\n"


def ce_10ge(dev: Device, st: InterfaceState) -> str:
    c = st.counters
    up, desc = _state(dev, st)

    def pair(l1, v1, l2, v2):
        return _pair(l1, v1, l2, v2, 31, 33, indent="      ", sep=",   ")

    lines = [f"{st.name} current state : {'UP' if up else 'DOWN'} (ifindex: 6)",
             f"Line protocol current state : {'UP' if up else 'DOWN'}",
             f"Description:{desc or ''}",
             "Switch Port, PVID :    1, TPID : 8100(Hex), The Maximum Frame Length is 9216",
             "Internet protocol processing : disabled",
             f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is {_mac(st.mac)}",
             "Port Mode:     COMMON FIBER,     Port Split/Aggregate:               -",
             f"Speed:{str(st.speed_bps // 1_000_000).rjust(20)},     Loopback:                        NONE",
             "Duplex:                FULL,     Negotiation:                        -",
             "Input Flow-control: DISABLE,     Output Flow-control:           ENABLE",
             "Mdi:                      -,     Fec:                                -",
             *_times_and_rates(),
             f"    Input :{str(c['input_bytes']).rjust(19)} bytes,{str(c['input_packets']).rjust(19)} packets",
             f"    Output:{str(c['output_bytes']).rjust(19)} bytes,{str(c['output_packets']).rjust(19)} packets",
             "    Input:",
             pair("Unicast:", c["input_packets"], "Multicast:", 0),
             pair("Broadcast:", 0, "Jumbo:", 0),
             pair("Discard:", 0, "Frames:", "--"),
             pair("Pause:", 0, "Ignoreds:", c["ignored"]),
             "",
             f"      Total Error:{str(c['input_errors']).rjust(31 - len('Total Error:'))}",
             pair("CRC:", c["crc"], "Giants:", c["giants"]),
             pair("Jabbers:", "--", "Fragments:", 0),
             pair("Runts:", c["runts"], "DropEvents:", 0),
             pair("Alignments:", 0, "Symbols:", c["symbol_errors"]),
             "",
             "    Output:",
             pair("Unicast:", c["output_packets"], "Multicast:", 0),
             pair("Broadcast:", 0, "Jumbo:", 0),
             pair("Discard:", 0, "Buffers Purged:", 0),
             "      Pause:                        0",
             "",
             "    Input bandwidth utilization threshold : 90.00%",
             "    Output bandwidth utilization threshold: 90.00%",
             "    Last 300 seconds input utility rate:  0.01%",
             "    Last 300 seconds output utility rate: 0.01%"]
    return "\n".join(lines) + "\n\n"


def timestamp() -> str:
    """The line CloudEngine prints before a `display` command's output."""
    now = time.time()
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d} +00:00"


@dataclass(frozen=True)
class VrpLayout:
    """What a VRP layout prints: its `display interface` port record (None: the default AR
    record of oamkit.lab.vendors.huawei_vrp.show) and which `display efm` items its release
    prints: the newer `Loopback IgnoreRequest:` / `TriggerMacRenew:` items, and the
    `Remote Multiplexer: --  ErrFramePeriodNotification: X` pair on one line with the
    ErrFramePeriod items after the Remote ones (the NE40E example, S19)."""

    port: Callable[[Device, InterfaceState], str] | None = None
    efm_newer_items: bool = False
    efm_pair_on_one_line: bool = False
    timestamp_first: bool = False   # a timestamp line before every `display` output


VRP_LAYOUTS = {
    "ar_router": VrpLayout(),
    "s_switch": VrpLayout(port=s_switch),
    "vrp8_router": VrpLayout(port=vrp8_router, efm_newer_items=True, efm_pair_on_one_line=True),
    "cloudengine": VrpLayout(port=cloudengine, efm_newer_items=True),
    "ce_10ge": VrpLayout(port=ce_10ge, efm_newer_items=True, timestamp_first=True),
}
