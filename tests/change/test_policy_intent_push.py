"""One company-wide policy (new keys: link_fault_holdup, allow_remote_loopback, a receive_crc
fallback, on_unsupported: skip) pushed to the lab over real SSH: every platform converges
(push, then diff unchanged) and what a platform cannot hold is reported, never dropped
silently.

Remote loopback is allowed on every platform (IOS `ethernet oam remote-loopback supported`,
IOS-XR `remote-loopback` in the profile, Junos `negotiation-options allow-remote-loopback`),
and refused where the policy says so (Huawei `efm loopback ignore-request`)."""
from __future__ import annotations

import json

import pytest
import yaml

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401  (fixtures)

COMPANY = {
    "company": {
        "description": "one intent for every vendor",
        "on_unsupported": "skip",
        "mode": "active",
        "link_fault_holdup": "20s",
        "allow_remote_loopback": True,
        "link_monitor": {"receive_crc": {"window": "10s", "low": 30, "high": 50,
                                         "fallback": "frame"}},
        "high_threshold_action": "error-disable-interface",
        "remote_failure": {"link_fault": "error-disable-interface"},
    },
    "company-refuse-loopback": {"extends": "company", "allow_remote_loopback": False},
}


@pytest.fixture
def company_inventory(lab, tmp_path):
    folder = lab.write_inventory(tmp_path / "inventory")
    (folder / "policies" / "company.yaml").write_text(yaml.safe_dump(COMPANY, sort_keys=False))
    groups = yaml.safe_load((folder / "groups.yaml").read_text())
    for platform, policy in (("cisco_ios", "company"), ("cisco_xr", "company"),
                             ("juniper_junos", "company"), ("huawei_vrp", "company-refuse-loopback")):
        groups[platform]["data"]["oam"]["policy"] = policy
    (folder / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    return folder


def test_one_company_policy_converges_on_every_platform(lab, company_inventory, env):  # noqa: F811
    code, hosts = pushed(env, company_inventory)
    assert code == 0, json.dumps(hosts, indent=1)
    assert {h["outcome"] for h in hosts.values()} == {"changed"}
    ios, xr = running_text(lab.device("ios-1")), running_text(lab.device("xr-1"))
    junos, vrp = running_text(lab.device("junos-1")), running_text(lab.device("vrp-1"))
    assert "ethernet oam link-monitor receive-crc threshold high 50" in ios        # native
    assert "frame window 10000" in xr and "frame threshold low 30 high 50" in xr    # fallback
    assert "negotiation-options\n      allow-remote-loopback" in junos   # a tree, not set lines
    assert "frame-error 30" in junos
    assert "efm holdup-timer 20" in vrp and "efm error-frame threshold 30" in vrp
    assert "ethernet oam remote-loopback supported" in ios and "remote-loopback" in xr
    assert "efm loopback ignore-request" in vrp
    # never silently: what a platform lacks is in that host's notes
    assert any("link_fault_holdup" in n and "left out" in n for n in hosts["ios-1"]["notes"])
    assert any("high_threshold_action" in n and "left out" in n for n in hosts["vrp-1"]["notes"])
    assert any("receive_crc" in n and "becomes frame" in n for n in hosts["junos-1"]["notes"])
    assert not hosts["ios-1"]["notes"] or all("receive_crc" not in n for n in hosts["ios-1"]["notes"])

    result = oamkit(env, "diff", "-i", str(company_inventory), "--json")
    assert result.returncode == 0, result.stderr
    after = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert {h["outcome"] for h in after.values()} == {"unchanged"}, after
    assert any("left out" in n for n in after["vrp-1"]["notes"])   # diff reports them too
