"""The lab's link monitors act as the real devices do (issue #21, item 1): a policy pushed by
oamkit over SSH, errored frames past the high threshold in one window, and an
`error-disable-interface` action takes the interface down, logged; it stays down across other
configuration changes until an operator shuts and re-enables it (the DR restore's actions)."""
from __future__ import annotations

import time

import pytest

from oamkit import ops
from oamkit.dr_actions import make_action_hook
from oamkit.inventory import Inventory
from oamkit.lab.server import Lab
from oamkit.lab.wan_oam import edge_policies

PLATFORM_IF = {"cisco_ios": "GigabitEthernet0/1", "cisco_xr": "GigabitEthernet0/0/0/0",
               "juniper_junos": "ge-0/0/0"}


@pytest.fixture
def edge(tmp_path, monkeypatch, request):
    platform = request.param
    lab = Lab([("edge-1", platform)], platforms=[platform]).start()
    try:
        inv = lab.write_inventory(tmp_path / "inventory")
        (inv / "policies" / "wan-degrade.yaml").write_text(edge_policies(platform))
        monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
        monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
        yield lab, inv, platform
    finally:
        lab.stop()


def push(inv, policy: str) -> None:
    import yaml

    hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
    hosts["edge-1"]["data"]["oam"]["policy"] = policy
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    run = ops.push(Inventory.load(inv), timeout=60)
    assert all(r.outcome in ("changed", "unchanged") for r in run.results), [(r.outcome, r.error) for r in run.results]


def degrade(lab, interface: str, seconds: float = 2.6, rate: float = 20.0) -> None:
    dev = lab.device("edge-1")
    lab.inject_errors("edge-1", interface, crc_per_second=rate)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lab.call(dev.tick)
        time.sleep(0.1)
    lab.inject_errors("edge-1", interface, crc_per_second=0)


@pytest.mark.lab
@pytest.mark.parametrize("edge", list(PLATFORM_IF), indirect=True)
def test_error_disable_takes_the_interface_down_until_shut_and_reenabled(edge):
    lab, inv, platform = edge
    iface = PLATFORM_IF[platform]
    dev = lab.device("edge-1")
    push(inv, "wan-degrade")
    degrade(lab, iface)                                   # 20 errored frames/s, high 5 per window
    st = dev.interfaces[iface]
    assert not st.oper_up and st.err_disabled and st.admin_up
    assert any(e.interface == iface and e.action == "Err.D" and e.value >= 5 for e in dev.event_log)
    push(inv, "wan-degrade-no-action")                    # another change: it stays down
    assert not st.oper_up
    hook = make_action_hook(Inventory.load(inv))
    hook("interface-shutdown", "edge-1", {"interface": iface}, 30)
    hook("interface-no-shutdown", "edge-1", {"interface": iface}, 30)
    assert st.oper_up and not st.err_disabled


@pytest.mark.lab
@pytest.mark.parametrize("edge", list(PLATFORM_IF), indirect=True)
def test_high_threshold_without_action_only_logs(edge):
    lab, inv, platform = edge
    iface = PLATFORM_IF[platform]
    dev = lab.device("edge-1")
    push(inv, "wan-degrade-no-action")
    degrade(lab, iface)
    assert dev.interfaces[iface].oper_up
    assert any(e.interface == iface and e.value >= 5 for e in dev.event_log)
    assert not any(e.action == "Err.D" for e in dev.event_log)
