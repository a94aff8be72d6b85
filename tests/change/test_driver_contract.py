"""Both drivers keep the `ConfigDriver` contract (engine/driver.py), checked on the lab through
the same steps the engine takes: read, target, delta, load, commit, confirm, abandon."""
from __future__ import annotations

import time

import pytest
import yaml

from oamkit.engine import ConfigDriver, open_driver
from oamkit.inventory import Inventory
from oamkit.render import plan_hosts

pytestmark = [pytest.mark.lab, pytest.mark.timeout(120)]

CASES = [("ios-1", "ssh"), ("xr-1", "ssh"), ("xr-1", "netconf"), ("junos-1", "ssh"),
         ("junos-1", "netconf"), ("vrp-1", "ssh")]


def _plan(lab, lab_inventory, monkeypatch, name, transport):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    hosts = yaml.safe_load((lab_inventory / "hosts.yaml").read_text())
    hosts[name]["data"]["transport"] = transport
    (lab_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    inventory = Inventory.load(lab_inventory)
    return inventory, plan_hosts(inventory, inventory.select(limit=[name]))[0]


@pytest.mark.parametrize("name,transport", CASES)
def test_load_commit_confirm_then_abandon_nothing(lab, lab_inventory, monkeypatch, name, transport):
    inventory, plan = _plan(lab, lab_inventory, monkeypatch, name, transport)
    driver = open_driver(inventory, plan, time.monotonic() + 60)
    assert isinstance(driver, ConfigDriver) and driver.form == ("netconf" if transport == "netconf" else "cli")
    try:
        before = driver.read()
        target = driver.target_from_intent()
        lines = driver.delta(before, target)
        assert lines, "a fresh lab device differs from the intent"
        driver.load(before, target, 600)
        driver.commit(600)
        assert driver.delta(driver.read(), target) == []
        syntax = plan.platform.config
        if transport == "netconf" or syntax.revert_enter or (
                syntax.confirmed_commit and plan.platform.confirmed_commit_unit):
            assert driver.self_revert, "a committed, unconfirmed change names what undoes it"
        else:   # Huawei: a plain commit, nothing undoes it by itself
            assert driver.self_revert is None
        driver.confirm()
        assert driver.self_revert is None and not driver.pending_confirm
        driver.abandon()   # after a confirm there is nothing to abandon: the change stays
        assert driver.delta(driver.read(), target) == []
        # and the backup the engine would keep puts the device back exactly
        restore = driver.target_from_backup(before.full if driver.form == "netconf" else before.backup)
        assert driver.delta(driver.read(), restore) == driver.delta(driver.read(), driver.target_from_snapshot(before))
    finally:
        driver.close()


@pytest.mark.parametrize("name,transport", [c for c in CASES if c[0] != "ios-1"])
def test_abandon_before_confirm_leaves_running_as_it_was(lab, lab_inventory, monkeypatch, name, transport):
    """On candidate platforms, abandoning a staged (uncommitted) change sends nothing to
    running; and abandoning a committed, unconfirmed one undoes it where the platform can."""
    inventory, plan = _plan(lab, lab_inventory, monkeypatch, name, transport)
    driver = open_driver(inventory, plan, time.monotonic() + 60)
    try:
        before = driver.read()
        target = driver.target_from_intent()
        driver.load(before, target, 600)
        driver.abandon()
        assert driver.read().managed == before.managed
    finally:
        driver.close()
