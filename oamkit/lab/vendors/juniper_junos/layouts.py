"""`show interfaces extensive` physical-interface blocks in the layouts of the real captures
(tests/fixtures/parsers/juniper_junos/show_interfaces_extensive/real_*), with the lab device's
own values; which one a device prints is its ``Device.layout`` (oamkit.lab.device.LAYOUTS):

- ``mx_ge``: the default block of oamkit.lab.vendors.juniper_junos.show (an MX `ge-` port);
- ``et_100g``: a 100G `et-` port (real_genieparser_et_100g_pcs): `Input errors:` and `Output
  errors:` wrapped over two lines, queue counters, `PCS statistics` before `MAC statistics`
  (which ends with `Total errors`), then `Filter statistics`;
- ``ae_bundle``: an `ae` aggregate (real_genieparser_ae_bundle_lacp): `MAC statistics` with
  only broadcast and multicast rows (no `CRC/Align errors` line), `Giants:` in the input
  errors, ingress and egress queues. Its member ports print the `mx_ge` block.
"""
from __future__ import annotations

from typing import Callable

from oamkit.lab.device import Device, InterfaceState

QUEUES = ["  Queue number:         Mapped forwarding classes",
          "    0                   best-effort",
          "    1                   expedited-forwarding",
          "    2                   assured-forwarding",
          "    3                   network-control"]


def _queues(title: str, packets: int) -> list[str]:
    rows = [(0, 0), (1, 0), (2, 0), (3, packets)]
    return [f"  {title} queues: 8 supported, 4 in use",
            "  Queue counters:       Queued packets  Transmitted packets      Dropped packets"] + \
        [f"    {q}{n:>33}{n:>21}{0:>21}" for q, n in rows]


def _traffic(c: dict) -> list[str]:
    return ["  Traffic statistics:",
            f"   Input  bytes  : {c['input_bytes']:>20} {0:>20} bps",
            f"   Output bytes  : {c['output_bytes']:>20} {0:>20} bps",
            f"   Input  packets: {c['input_packets']:>20} {0:>20} pps",
            f"   Output packets: {c['output_packets']:>20} {0:>20} pps"]


def _gbps(st: InterfaceState) -> str:
    return f"{st.speed_bps // 1_000_000_000}Gbps"


def et_100g(st: InterfaceState, header: list[str]) -> list[str]:
    c = st.counters
    return header[:1] + [
        "  Interface index: 167, SNMP ifIndex: 552, Generation: 170",
        f"  Link-level type: Ethernet, MTU: 1514, MRU: 1522, Speed: {_gbps(st)}, BPDU Error: None, "
        "Loopback: Disabled,",
        "  Source filtering: Disabled, Flow control: Enabled",
        "  Pad to minimum frame size: Disabled",
        "  Device flags   : Present Running",
        "  Interface flags: SNMP-Traps Internal: 0x4000",
        "  Link flags     : None",
        "  CoS queues     : 8 supported, 8 maximum usable queues",
        "  Hold-times     : Up 0 ms, Down 0 ms",
        *header[1:],
        *_traffic(c),
        "   IPv6 transit statistics:",
        f"    Input  bytes  : {0:>20}", f"    Output bytes  : {0:>20}",
        f"    Input  packets: {0:>20}", f"    Output packets: {0:>20}",
        "  Label-switched interface (LSI) traffic statistics:",
        f"   Input  bytes  : {0:>20} {0:>20} bps",
        f"   Input  packets: {0:>20} {0:>20} pps",
        "  Dropped traffic statistics due to STP State:",
        f"   Input  bytes  : {0:>20}", f"   Output bytes  : {0:>20}",
        f"   Input  packets: {0:>20}", f"   Output packets: {0:>20}",
        "  Input errors:",
        f"    Errors: {c['input_errors']}, Drops: 0, Framing errors: {c['frame']}, Runts: {c['runts']}, "
        "Policed discards: 0, L3 incompletes: 0, L2 channel errors: 0,",
        "    L2 mismatch timeouts: 0, FIFO errors: 0, Resource errors: 0",
        "  Output errors:",
        f"    Carrier transitions: 1, Errors: {c['output_errors']}, Drops: 0, Collisions: 0, Aged packets: 0, "
        "FIFO errors: 0, HS link CRC errors: 0,",
        "    MTU errors: 0, Resource errors: 0",
        *_queues("Egress", c["output_packets"]),
        *QUEUES,
        "  Active alarms  : None",
        "  Active defects : None",
        "  PCS statistics                      Seconds",
        f"    Bit errors                 {c['symbol_errors']:>13}",
        f"    Errored blocks             {0:>13}",
        "  MAC statistics:                      Receive         Transmit",
        f"    Total octets               {c['input_bytes']:>15} {c['output_bytes']:>16}",
        f"    Total packets              {c['input_packets']:>15} {c['output_packets']:>16}",
        f"    Unicast packets            {c['input_packets']:>15} {c['output_packets']:>16}",
        f"    Broadcast packets          {0:>15} {0:>16}",
        f"    Multicast packets          {0:>15} {0:>16}",
        f"    CRC/Align errors           {c['crc']:>15} {0:>16}",
        f"    FIFO errors                {0:>15} {0:>16}",
        f"    MAC control frames         {0:>15} {0:>16}",
        f"    MAC pause frames           {0:>15} {0:>16}",
        f"    Oversized frames           {c['giants']:>15}",
        f"    Jabber frames              {0:>15}",
        f"    Fragment frames            {0:>15}",
        f"    VLAN tagged frames         {0:>15}",
        f"    Code violations            {c['symbol_errors']:>15}",
        f"    Total errors               {c['input_errors']:>15} {c['output_errors']:>16}",
        "  Filter statistics:",
        f"    Input packet count         {c['input_packets']:>15}",
        f"    Input packet rejects       {0:>15}",
        f"    Input DA rejects           {0:>15}",
        f"    Input SA rejects           {0:>15}",
        f"    Output packet count        {'':>15} {c['output_packets']:>16}"]


def ae_bundle(st: InterfaceState, header: list[str]) -> list[str]:
    c = st.counters
    return header[:1] + [
        "  Interface index: 159, SNMP ifIndex: 539, Generation: 162",
        f"  Link-level type: Ethernet, MTU: 1514, Speed: {_gbps(st)}, BPDU Error: None, MAC-REWRITE Error: None, "
        "Loopback: Disabled, Source filtering: Disabled, Flow control: Disabled",
        "  Pad to minimum frame size: Disabled",
        "  Minimum links needed: 1, Minimum bandwidth needed: 1bps",
        "  Device flags   : Present Running",
        "  Interface flags: SNMP-Traps Internal: 0x4000",
        *header[1:],
        *_traffic(c),
        "   IPv6 transit statistics:",
        f"   Input  bytes  : {0:>20}", f"   Output bytes  : {0:>20}",
        f"   Input  packets: {0:>20}", f"   Output packets: {0:>20}",
        "  Dropped traffic statistics due to STP State:",
        f"   Input  bytes  : {0:>20}", f"   Output bytes  : {0:>20}",
        f"   Input  packets: {0:>20}", f"   Output packets: {0:>20}",
        "  MAC statistics:                      Receive         Transmit",
        f"    Broadcast packets          {0:>15} {0:>16}",
        f"    Multicast packets          {0:>15} {0:>16}",
        "  Input errors:",
        f"    Errors: {c['input_errors']}, Drops: 0, Framing errors: {c['frame']}, Runts: {c['runts']}, "
        f"Giants: {c['giants']}, Policed discards: 0, Resource errors: 0",
        "  Output errors:",
        f"    Carrier transitions: 1, Errors: {c['output_errors']}, Drops: 0, MTU errors: 0, Resource errors: 0",
        *_queues("Ingress", 0),
        *_queues("Egress", c["output_packets"]),
        *QUEUES]


# layout -> (which ports print it, the block); ports a layout does not name print the default
JUNOS_LAYOUTS: dict[str, tuple[Callable[[str], bool], Callable[[InterfaceState, list[str]], list[str]]]] = {
    "et_100g": (lambda name: name.startswith("et-"), et_100g),
    "ae_bundle": (lambda name: name.startswith("ae"), ae_bundle),
}


def extensive_block(dev: Device, st: InterfaceState, header: list[str]) -> list[str] | None:
    """The physical block of `st` in the device's layout, or None for the default block.
    ``header``: the `Physical interface:` line, then the address/flap/cleared lines."""
    layout = JUNOS_LAYOUTS.get(dev.layout)
    if layout is None or not layout[0](st.name):
        return None
    return layout[1](st, header)
