"""A NETCONF push reads only what it compares. The get-config filter selected the payload's
top-level containers: all of a Junos `<configuration>` (system, interfaces, every protocol)
and every XR interface's configuration, three times a push and into every backup; on a PE
router that is megabytes (NETCONF reviewer). Now it selects the OAM containers, every profile
and the managed interfaces' entries: what the device holds elsewhere is neither read nor kept,
and the push and its rollback still work. The lab's NETCONF view holds only what its models
carry, so the request the device received is what this test reads."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from oamkit import backups

from .test_change_engine import env, oamkit, pushed  # noqa: F401 - fixtures
from .test_netconf_change import limit, nc_inventory, netconf_rpcs  # noqa: F401 - fixtures

pytestmark = pytest.mark.lab


def get_configs(device) -> list[str]:
    """The get-config requests the device received, without white space or namespace prefixes."""
    return [re.sub(r"<(/?)[\w-]+:", r"<\1", re.sub(r"\s+", "", rpc))
            for rpc in netconf_rpcs(device) if "get-config" in rpc]


def test_a_netconf_push_asks_only_for_what_it_compares(lab, nc_inventory, env):  # noqa: F811
    code, hosts = pushed(env, nc_inventory, *limit("junos-1", "xr-1"))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
    taken = backups.read(Path(hosts["junos-1"]["backup"]).parent)

    # (the lab's NETCONF view holds only what its models carry, so the request is what shows it)
    asked = get_configs(lab.device("junos-1"))
    assert asked, "a push reads the device"
    for squeezed in asked:
        assert "<link-fault-management><action-profile/>" in squeezed, squeezed
        assert all(f"<name>{i}</name>" in squeezed for i in taken["junos-1"].interfaces), squeezed
        assert "<configuration/>" not in squeezed and "<system" not in squeezed, squeezed

    asked = get_configs(lab.device("xr-1"))
    managed = taken["xr-1"].interfaces
    assert asked and set(managed) == {"GigabitEthernet0/0/0/0", "GigabitEthernet0/0/0/1"}, managed
    for squeezed in asked:
        assert "<interface-configurations/>" not in squeezed, squeezed
        assert re.findall(r"<interface-name>([^<]+)</interface-name>", squeezed) == sorted(managed), squeezed
        assert "<profile/>" in squeezed, squeezed   # every profile: a stale OAMKIT-* one is seen

    again = oamkit(env, "rollback", "--change", "last", "--json", "-i", str(nc_inventory))
    assert again.returncode == 0, again.stdout + again.stderr
    assert {h["outcome"] for h in json.loads(again.stdout)["hosts"]} == {"changed"}
    code, hosts = pushed(env, nc_inventory, *limit("junos-1", "xr-1"))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
