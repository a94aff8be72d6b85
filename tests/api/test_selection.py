"""`ops.select`: reads over SSH set NETCONF hosts aside (reported, never dropped), in order."""
from __future__ import annotations

import yaml

from oamkit import ops


def test_ssh_only_sets_netconf_hosts_aside_and_keeps_the_rest_in_order(lab, lab_inventory):
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["xr-1"]["data"]["transport"] = "netconf"
    hosts["junos-1"]["data"]["transport"] = "netconf"
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    reads = ops.select(lab_inventory, ssh_only=True, intent=False)
    assert reads.hosts == ["ios-1", "vrp-1"]
    assert [h.name for h in reads.skipped] == ["xr-1", "junos-1"]
    changes = ops.select(lab_inventory, intent=False)
    assert changes.hosts == ["ios-1", "xr-1", "junos-1", "vrp-1"] and changes.skipped == []
