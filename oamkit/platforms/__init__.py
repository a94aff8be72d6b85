"""Platform registry. A vendor is data: add `oamkit/platforms/<name>.py` defining `PLATFORM`
and its templates under `templates/<name>/`; nothing else needs editing."""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from oamkit.platforms.base import Event, Platform, Range, Timer, Toggle, Window

__all__ = ["Event", "Platform", "Range", "Timer", "Toggle", "Window", "get_platform", "platform_names"]

# Other names teams (and netmiko, ntc-templates) use for our platforms: one table for the
# inventory, parsing and facts.
_ALIASES = {"cisco_xe": "cisco_ios", "ios": "cisco_ios", "iosxe": "cisco_ios", "ios-xe": "cisco_ios",
            "iosxr": "cisco_xr", "ios-xr": "cisco_xr", "junos": "juniper_junos",
            "juniper": "juniper_junos", "huawei": "huawei_vrp", "vrp": "huawei_vrp",
            "huawei_vrpv8": "huawei_vrp",
            # NetBox platform slugs, NAPALM drivers, Ansible network OS (`cisco.ios.ios` -> ios)
            "cisco-ios": "cisco_ios", "cisco-ios-xe": "cisco_ios", "cisco-ios-xr": "cisco_xr",
            "cisco-xr": "cisco_xr", "juniper-junos": "juniper_junos", "huawei-vrp": "huawei_vrp",
            "ce": "huawei_vrp"}


@cache
def _registry() -> dict[str, Platform]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        platform = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PLATFORM", None)
        if platform is not None:
            found[platform.name] = platform
    return found


def platform_names() -> list[str]:
    return sorted(_registry())


def get_platform(name: str) -> Platform:
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    try:
        return _registry()[key]
    except KeyError:
        raise KeyError(f"unknown platform {name!r}; known: {', '.join(platform_names())}") from None
