"""`delta_by_interface` (what `check` reports as drift) splits the change engine's delta by
interface without losing or inventing a line, on every platform's config style."""
from __future__ import annotations

import pytest

from oamkit import configtext
from oamkit.engine import cli as change
from oamkit.inventory import Inventory
from oamkit.render import plan_hosts


@pytest.fixture
def plans(lab, lab_inventory, monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    inv = Inventory.load(lab_inventory)
    return {p.platform.name: p for p in plan_hosts(inv, inv.select())}


def _empty(plan):
    return [] if plan.platform.config.style == "set" else configtext.Node("")


@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_xr", "juniper_junos", "huawei_vrp"])
def test_parts_hold_every_line_of_the_delta_once(plans, platform):
    plan = plans[platform]
    wanted = change.desired(plan)
    whole = change.delta(plan, _empty(plan), wanted)
    parts = change.delta_by_interface(plan, _empty(plan), wanted)
    interfaces = {i.intent.interface for i in plan.interfaces}
    assert set(parts) - {None} == interfaces
    exit_line = plan.platform.config.exit_command
    flat = [line for lines in parts.values() for line in lines if line != exit_line]
    assert sorted(flat) == sorted(line for line in whole if line != exit_line)
    for name, lines in parts.items():
        if name is not None:   # an interface's part touches that interface only
            assert all(other not in " ".join(lines) for other in interfaces - {name}), (name, lines)


@pytest.mark.parametrize("platform", ["cisco_ios", "juniper_junos"])
def test_only_the_interface_that_differs_has_a_part(plans, platform):
    plan = plans[platform]
    wanted = change.desired(plan)
    first, second = (i.intent.interface for i in plan.interfaces[:2])
    if plan.platform.config.style == "set":
        lost = [line for line in wanted if f"interface {second} " in line][-1]
        current = [line for line in wanted if line != lost]   # one line of the second interface lost
    else:
        current = configtext.parse_indented("\n".join(wanted.lines()))
        block = current.child(f"interface {second}")
        block.children = block.children[:-1]          # one line of the second interface lost
    parts = change.delta_by_interface(plan, current, wanted)
    assert list(parts) == [second], parts
    assert change.delta_by_interface(plan, wanted, wanted) == {}
