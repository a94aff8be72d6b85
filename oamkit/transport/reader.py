"""The session `check`, `collect` and `facts` read a host over: its SSH CLI, or its NETCONF
session where the platform runs show commands over NETCONF (`NetconfModel.command_rpc`,
Junos `<command format="text">`). Either answers `show(command)` with the CLI text the parse
templates read, and `close()`."""
from __future__ import annotations

from typing import Protocol

from oamkit.inventory import HostSettings, Inventory
from oamkit.platforms import get_platform


class Reader(Protocol):
    def show(self, command: str) -> str: ...

    def close(self) -> None: ...


def readable(host: HostSettings) -> bool:
    """Whether `check`, `collect` and `facts` can read this host: over SSH, or over NETCONF
    on a platform whose device answers show commands there."""
    return host.transport == "ssh" or over_netconf(host)


def over_netconf(host: HostSettings) -> bool:
    """A NETCONF host whose device answers show commands over NETCONF (Junos)."""
    model = get_platform(host.platform).netconf
    return host.transport == "netconf" and model is not None and model.command_rpc


def open_reader(inventory: Inventory, host: HostSettings, deadline: float) -> Reader:
    """A `netconf.NetconfShow` for a NETCONF host whose device answers show commands there
    (`over_netconf`), else an `SshSession`: check, collect and facts never get any other host
    (`readable`); the DR degrade report reads a NETCONF-pushed IOS-XR edge over its SSH CLI."""
    if over_netconf(host):
        from oamkit.transport.netconf import NetconfShow   # ncclient: only for NETCONF hosts

        return NetconfShow.open(inventory, host, deadline)
    from oamkit.transport.ssh import SshSession

    return SshSession.open(inventory, host, deadline)
