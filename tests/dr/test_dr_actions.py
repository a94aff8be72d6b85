"""DR-plan `action` steps reach real (lab) routers through the SSH transport."""
from __future__ import annotations

import os

import pytest

from oamkit.errors import OamkitError
from oamkit.inventory import Inventory
from oamkit.dr_actions import make_action_hook


@pytest.fixture
def hook(lab, lab_inventory, monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    return make_action_hook(Inventory.load(lab_inventory))


@pytest.mark.parametrize("name,interface,shut_line", [
    ("ios-1", "Gi0/2", " shutdown"),
    ("xr-1", "GigabitEthernet0/0/0/1", " shutdown"),
    ("junos-1", "ge-0/0/1", "disable"),
])
def test_interface_shutdown_and_back(lab, hook, name, interface, shut_line):
    device = lab.device(name)
    before = device.running.to_text()
    out = hook("interface-shutdown", name, {"interface": interface}, 30)
    assert name in out
    assert shut_line in device.running.to_text() and device.running.to_text() != before
    assert not device.uncommitted() and not device.confirm_pending
    hook("interface-no-shutdown", name, {"interface": interface}, 30)
    if name == "junos-1":
        # Junos keeps the now-empty `interfaces ge-0/0/1` entry, as a real router does
        assert "disable" not in device.running.to_text()
    else:
        assert device.running.to_text() == before


def test_unknown_action_or_device_is_refused_before_connecting(lab, hook):
    with pytest.raises(OamkitError, match="unknown DR action"):
        hook("reboot", "ios-1", {}, 5)
    with pytest.raises(OamkitError, match="not in the inventory"):
        hook("interface-shutdown", "nope", {"interface": "x"}, 5)
    assert not [e for e in lab.device("ios-1").transcript if e.direction == "in"]
