"""Show-output helpers more than one vendor's layout uses: the 802.3ah PDU counter rows, the
sub-interfaces of a port and their VLAN, the description and admin state of an interface
block, the `show interfaces` walk over ports and sub-interfaces, and the version banner
filled from the device. Each vendor's own layouts are in ``oamkit.lab.vendors.<platform>.show``.
"""
from __future__ import annotations

import re
import time
from typing import Callable

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.device import Device, InterfaceState


def oam_counter_lines(st: InterfaceState, sep: str, width: int, indent: str) -> list[str]:
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


_VLAN = re.compile(r"^(?:encapsulation dot1q|vlan-type dot1q|vlan-id)\s+(\d+)", re.IGNORECASE)


def sub_interfaces(dev: Device, parent: str) -> list[tuple[str, ConfigTree]]:
    """`interface <parent>.<n>` blocks of the running config (IOS, IOS-XR, VRP), in order."""
    prefix = f"interface {parent}."
    return [(c.line[len("interface "):], c) for c in dev.running.children if c.line.startswith(prefix)]


def vlan_of(node: ConfigTree) -> str | None:
    for child in node.children:
        match = _VLAN.match(child.line.strip())
        if match:
            return match.group(1)
    return None


def description(node: ConfigTree | None) -> str | None:
    """The ``description`` of an interface block, without its keyword (None when it has none)."""
    return next((x.line[len("description "):] for x in (node.children if node else [])
                 if x.line.startswith("description ")), None)


def port_enabled(node: ConfigTree | None) -> bool:
    """A port block without ``shutdown`` (a port missing from the config is enabled)."""
    return not (node and node.child("shutdown"))


def sub_interface_enabled(dev: Device, parent: InterfaceState, node: ConfigTree) -> bool:
    """Neither the sub-interface nor its port is shut down."""
    return node.child("shutdown") is None and \
        dev.running.get([f"interface {parent.name}", "shutdown"]) is None


PortRecord = Callable[[Device, InterfaceState], str]
SubInterfaceRecord = Callable[[Device, InterfaceState, str, ConfigTree], str]


def show_interfaces(dev: Device, ifname: str | None, port: PortRecord,
                    sub_interface: SubInterfaceRecord, unknown_interface_error: str) -> str:
    """`show interfaces [X]` as IOS, IOS-XR and VRP print it: each port (counters caught up
    first) followed by its sub-interfaces, or only the one named; the platform's error when
    no interface has that name."""
    dev.tick()
    out = []
    for name, st in dev.interfaces.items():
        if ifname is None or ifname == name:
            out.append(port(dev, st))
        out += [sub_interface(dev, st, sub, node) for sub, node in sub_interfaces(dev, name)
                if ifname is None or ifname == sub]
    if ifname and not out:
        return unknown_interface_error
    return "".join(out)


def _uptime(dev: Device) -> str:
    secs = int(time.time() - dev.boot_time) + 86400 + 7200
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    return f"{d} day, {h} hours, {rem // 60} minutes"


def version_text(dev: Device, template: str) -> str:
    """A vendor's `show version` template filled with the device's name, uptime and ports."""
    return template.format(host=dev.name, uptime=_uptime(dev), nif=len(dev.interfaces))
