"""Turning OAM off on an interface (`enabled: false`) over NETCONF, as over SSH."""
from __future__ import annotations

import json
import re

import yaml

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401 - fixtures
from .test_netconf_change import limit, nc_inventory  # noqa: F401 - fixtures

OFF = {"xr-1": "GigabitEthernet0/0/0/1", "junos-1": "ge-0/0/1"}


def _turn_off(inventory) -> None:
    policies = inventory / "policies" / "standard.yaml"
    policies.write_text(policies.read_text() + "\noam-off: {description: 'off', enabled: false}\n")
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    for name, interface in OFF.items():
        hosts[name]["data"]["oam"]["interfaces"][interface] = {"policy": "oam-off"}
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))


def _stanza(device, interface) -> list[str]:
    """The interface's OAM statements in the device's running text (an indented hierarchy),
    each as its whole path."""
    found, stack = [], []
    for line in running_text(device).splitlines():
        depth = len(line) - len(line.lstrip())
        stack = [(d, s) for d, s in stack if d < depth] + [(depth, line.strip())]
        path = " / ".join(s for _, s in stack)
        if re.search(rf"(^|\s){re.escape(interface)}(\s|$)", path) and (
                "link-fault-management" in path or "ethernet oam" in path):
            found.append(path)
    return found


def test_enabled_false_removes_the_interfaces_oam_over_netconf(lab, nc_inventory, env):
    code, hosts = pushed(env, nc_inventory, *limit(*OFF))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
    assert all(_stanza(lab.device(n), i) for n, i in OFF.items())
    _turn_off(nc_inventory)

    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit(*OFF), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    diffs = {h["host"]: h["commands"] for h in json.loads(result.stdout)["hosts"]}
    for name, interface in OFF.items():
        mine = [c for c in diffs[name] if interface in c]
        assert mine and all(c.startswith("- ") for c in mine), (name, diffs[name])
    assert any(c.endswith("interface[name=ge-0/0/1]/apply-action-profile") for c in diffs["junos-1"])
    assert any(c.endswith("ether-link-oam/profile-name") for c in diffs["xr-1"]), diffs["xr-1"]

    code, hosts = pushed(env, nc_inventory, *limit(*OFF))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
    for name, interface in OFF.items():
        assert not _stanza(lab.device(name), interface), (name, running_text(lab.device(name)))
    assert _stanza(lab.device("junos-1"), "ge-0/0/0") and _stanza(lab.device("xr-1"), "GigabitEthernet0/0/0/0")
    code, hosts = pushed(env, nc_inventory, *limit(*OFF))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"unchanged"}, hosts

    # The SSH path reads the same device and has nothing left to do for these interfaces.
    hosts_yaml = yaml.safe_load((nc_inventory / "hosts.yaml").read_text())
    for name in OFF:
        hosts_yaml[name]["data"]["transport"] = "ssh"
    (nc_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts_yaml))
    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit(*OFF), "--json")
    diffs = {h["host"]: h["commands"] for h in json.loads(result.stdout)["hosts"]}
    for name, interface in OFF.items():
        assert not [c for c in diffs[name] if interface in c], (name, diffs[name])
