"""`ops.select`: reads set aside the NETCONF hosts they cannot read (reported, never dropped),
in order; a Junos host over NETCONF is read there (`<command>`)."""
from __future__ import annotations

import pytest
import yaml

from oamkit import ops
from oamkit.errors import InputError


def test_readable_only_sets_unreadable_netconf_hosts_aside_and_keeps_the_rest_in_order(lab, lab_inventory):
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["xr-1"]["data"]["transport"] = "netconf"
    hosts["junos-1"]["data"]["transport"] = "netconf"
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    reads = ops.select(lab_inventory, readable_only=True, intent=False)
    assert reads.hosts == ["ios-1", "junos-1", "vrp-1"]
    assert [h.name for h in reads.skipped] == ["xr-1"]
    changes = ops.select(lab_inventory, intent=False)
    assert changes.hosts == ["ios-1", "xr-1", "junos-1", "vrp-1"] and changes.skipped == []


def test_a_selection_made_without_the_intent_is_planned_again_before_a_push(lab, lab_inventory, monkeypatch,
                                                                              tmp_path):
    # `ops.select(inv, intent=False)` (the documented way to pick hosts for facts or collect)
    # passed to a diff or push was used as is: hosts without a plan, so the engine's intent
    # was "nothing" and it removed the OAM profiles it had pushed (XR: `no ethernet oam
    # profile ...` sent and committed where the device let it).
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    assert ops.push(lab_inventory, confirm_timeout=600).exit_code == 0
    for_reads = ops.select(lab_inventory, intent=False)
    assert ops.diff(for_reads).outcomes == {"unchanged": 4}
    pushed = ops.push(for_reads, confirm_timeout=600)
    assert pushed.outcomes == {"unchanged": 4}, pushed.as_dict()
    sent = [e.text.strip() for e in lab.devices["xr-1"].transcript if e.direction == "in"]
    assert not any(line.startswith("no ethernet oam") for line in sent), sent
    # made for reads over SSH (NETCONF hosts set aside), a push still covers every host
    hosts = yaml.safe_load((lab_inventory / "hosts.yaml").read_text())
    hosts["xr-1"]["data"]["transport"] = "netconf"
    (lab_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    reads = ops.select(lab_inventory, readable_only=True)
    assert "xr-1" not in reads.hosts
    assert sorted(h["host"] for h in ops.diff(reads).as_dict()["hosts"]) == \
        ["ios-1", "junos-1", "vrp-1", "xr-1"]


def test_filter_and_limit_narrow_a_selection_never_widen_it(lab, lab_inventory):
    xr_only = ops.select(lab_inventory, filter=["platform=cisco_xr"], intent=False)
    assert xr_only.hosts == ["xr-1"]
    assert ops.select(xr_only, filter=["group=lab"], intent=False).hosts == ["xr-1"]
    with pytest.raises(InputError, match="no host matches"):
        ops.select(xr_only, limit="ios-1", intent=False)


@pytest.mark.parametrize("args", [dict(limit=5), dict(filter=5), dict(limit=["ios-1", 5])])
def test_a_selection_of_the_wrong_type_is_an_input_error(lab_inventory, args):
    with pytest.raises(InputError) as refused:
        ops.select(lab_inventory, intent=False, **args)
    assert "filter" in str(refused.value) or "limit" in str(refused.value)
