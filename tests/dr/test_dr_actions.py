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


def test_a_hostile_interface_in_a_plan_never_reaches_the_router(lab, hook):
    with pytest.raises(OamkitError, match="not a valid interface name"):
        hook("interface-shutdown", "ios-1", {"interface": "Gi0/2\nreload"}, 5)
    with pytest.raises(OamkitError, match="not a valid interface name"):
        hook("interface-shutdown", "junos-1", {"interface": "ge-0/0/1; delete"}, 5)
    assert not [e for d in ("ios-1", "junos-1") for e in lab.device(d).transcript
                if e.direction == "in"]


def test_drtest_refuses_a_hostile_action_before_anything_runs(lab, lab_inventory, tmp_path):
    import subprocess
    import sys

    import yaml

    plan = {"name": "hostile", "sites": [{"name": "lo", "target": "127.0.0.1"}],
            "trigger": {"type": "action", "action": "interface-shutdown", "device": "ios-1",
                        "args": {"interface": "Gi0/2\nreload"}},
            "restore": {"type": "action", "action": "interface-no-shutdown", "device": "ios-1",
                        "args": {"interface": "Gi0/2"}}}
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan))
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", "drtest", str(tmp_path / "plan.yaml"),
                             "-i", str(lab_inventory)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "OAMKIT_LAB_PASSWORD": lab.password, "COLUMNS": "200"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "host ios-1: trigger.args.interface: not a valid interface name" in " ".join(result.stderr.split())
    assert not [e for e in lab.device("ios-1").transcript if e.direction == "in"]
