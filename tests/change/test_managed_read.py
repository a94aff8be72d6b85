"""The change engine reads the part of a running configuration oamkit owns without parsing the
rest (`configtext.managed_from_text`): it must see exactly what the tree of the whole
configuration shows (`managed_tree(parse_indented(...))`), on the lab's real answers over SSH
and on text shaped to trip a shortcut (noise and separators between blocks, repeated blocks,
indented text before the first header)."""
from __future__ import annotations

import time

import pytest

from oamkit import configtext
from oamkit.engine import cli as change
from oamkit.inventory import Inventory
from oamkit.render import plan_hosts, render_plan
from oamkit.transport.ssh import SshSession

INDENTED = ["cisco_ios", "cisco_xr", "huawei_vrp"]


@pytest.fixture
def answers(lab, lab_inventory, monkeypatch):
    """Per indented platform: its plan and the lab device's running config, read over SSH
    before and after the plan's configuration was sent."""
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    inv = Inventory.load(lab_inventory)
    out = {}
    for plan in plan_hosts(inv, inv.select()):
        if plan.platform.name not in INDENTED:
            continue
        session = SshSession.open(inv, plan.host, time.monotonic() + 30)
        try:
            show = plan.platform.config.show_running
            before = session.show(show)
            driver = change.CliDriver(session, plan)
            driver.send(change.delta(plan, configtext.Node(""), change.desired(plan)))
            driver.confirm()
            out[plan.platform.name] = (plan, before, session.show(show))
        finally:
            session.close()
    return out


def _both(plan, text):
    syntax = plan.platform.config
    interfaces = {i.intent.interface for i in plan.interfaces}
    whole = configtext.managed_tree(configtext.parse_indented(text), syntax, interfaces)
    return configtext.managed_from_text(text, syntax, interfaces), whole


@pytest.mark.parametrize("platform", INDENTED)
def test_reads_what_the_whole_tree_shows_on_real_answers(answers, platform):
    plan, before, after = answers[platform]
    for text in (before, after):
        fast, whole = _both(plan, text)
        assert fast == whole
    assert _both(plan, after)[0].children, "the pushed configuration holds managed blocks"
    assert _both(plan, after)[0] != _both(plan, before)[0]


@pytest.mark.parametrize("platform", INDENTED)
def test_reads_what_the_whole_tree_shows_on_awkward_text(answers, platform):
    plan, _, after = answers[platform]
    rendered = render_plan(plan, "cli")
    lines = after.splitlines()
    header = next(line for line in rendered.splitlines()
                  if line.startswith("interface") and line.split()[-1] in after)
    shaped = {
        "noise between blocks": "\n".join(
            x for line in lines for x in (line, "!", "", "Building configuration...")
            if not line.startswith(" ") or x == line),
        "every block twice": after + "\n" + after,
        "rendered text after the device's": after + "\n" + rendered,
        # parse_indented makes such text top-level nodes: here a managed interface's header
        "indented text before any header": "  " + header + "\n" + after,
        "separators indented inside blocks": "\n".join(
            x for line in lines for x in ((line, " !") if line.startswith(" ") else (line,))),
        "nothing": "",
    }
    for name, text in shaped.items():
        fast, whole = _both(plan, text)
        assert fast == whole, name
