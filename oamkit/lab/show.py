"""Every platform's show/display output under one name, for callers that pick the layout by
platform (tests, tools): ``from oamkit.lab import show; show.hw_session(dev, None)``.

The layouts themselves live with their vendor, in ``oamkit.lab.vendors.<platform>.show``, and
the helpers they share in ``oamkit.lab.show_common``; this module only re-exports them, plus
the two entry points whose layout follows the device's platform (``interfaces``, ``version``).
"""
from __future__ import annotations

from oamkit.lab.device import Device
from oamkit.lab.show_common import sub_interfaces, version_text
from oamkit.lab.vendors.cisco_ios.show import VERSION as IOS_VERSION
from oamkit.lab.vendors.cisco_ios.show import (IOS_EVENTS, ios_discovery, ios_interface, ios_oam_settings,
                                               ios_short, ios_show_interfaces, ios_statistics, ios_status,
                                               ios_sub_interface, ios_summary)
from oamkit.lab.vendors.cisco_xr.show import VERSION as XR_VERSION
from oamkit.lab.vendors.cisco_xr.show import (XR_ACTION_NAMES, xr_discovery, xr_event_log, xr_interface,
                                              xr_interfaces, xr_oam_settings, xr_show_interfaces,
                                              xr_statistics, xr_sub_interface, xr_summary, xr_timestamp)
from oamkit.lab.vendors.huawei_vrp.show import VERSION as VRP_VERSION
from oamkit.lab.vendors.huawei_vrp.show import (dash_mac, hw_config, hw_efm, hw_efm_interface,
                                                hw_efm_settings, hw_interface, hw_interfaces, hw_link_event,
                                                hw_session, hw_sub_interface)
from oamkit.lab.vendors.juniper_junos.show import VERSION as JUNOS_VERSION
from oamkit.lab.vendors.juniper_junos.show import (colon_mac, junos_compare, junos_curly, junos_find,
                                                   junos_interface, junos_interfaces, junos_lfm,
                                                   junos_logical_units, junos_set_lines)

__all__ = [
    "IOS_EVENTS", "VERSION", "XR_ACTION_NAMES", "colon_mac", "dash_mac", "hw_config", "hw_efm",
    "hw_efm_interface", "hw_efm_settings", "hw_interface", "hw_interfaces", "hw_link_event",
    "hw_session", "hw_sub_interface", "interfaces", "ios_discovery", "ios_interface",
    "ios_oam_settings", "ios_short", "ios_show_interfaces", "ios_statistics", "ios_status",
    "ios_sub_interface", "ios_summary", "junos_compare", "junos_curly", "junos_find",
    "junos_interface", "junos_interfaces", "junos_lfm", "junos_logical_units", "junos_set_lines",
    "sub_interfaces", "version", "xr_discovery", "xr_event_log", "xr_interface", "xr_interfaces",
    "xr_oam_settings", "xr_show_interfaces", "xr_statistics", "xr_sub_interface", "xr_summary",
    "xr_timestamp"]

VERSION = {"cisco_ios": IOS_VERSION, "cisco_xr": XR_VERSION, "juniper_junos": JUNOS_VERSION,
           "huawei_vrp": VRP_VERSION}


def interfaces(dev: Device, ifname: str | None) -> str:
    """IOS / IOS-XR `show interfaces [X]`, in the layout of the device's platform."""
    show_interfaces = xr_show_interfaces if dev.platform == "cisco_xr" else ios_show_interfaces
    return show_interfaces(dev, ifname)


def version(dev: Device) -> str:
    return version_text(dev, VERSION[dev.platform])
