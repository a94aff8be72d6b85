"""A DR degrade step times the link events of a Junos router driven over NETCONF through its
NETCONF session (`<command format="text">`), as `check` reads it: before, the poll opened an
SSH CLI session the inventory never promised (a router that offers NETCONF only could not be
timed at all). Over real NETCONF against the lab; no CLI session is opened."""
from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
import yaml

from oamkit import ops
from oamkit.dr_actions import OamHook
from oamkit.inventory import Inventory
from oamkit.lab.server import Lab
from oamkit.lab.wan_oam import edge_policies

INTERFACE = "ge-0/0/0"


@contextmanager
def edge_on_netconf(tmp_path, monkeypatch, platform: str):
    """A lab of one edge router of `platform`, the link-monitor policy pushed over NETCONF."""
    lab = Lab([("edge-1", platform)], platforms=[platform]).start()
    try:
        inv = lab.write_inventory(tmp_path / "inventory")
        (inv / "policies" / "wan-degrade.yaml").write_text(edge_policies(platform))
        hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
        hosts["edge-1"]["data"]["oam"]["policy"] = "wan-degrade-no-action"
        hosts["edge-1"]["data"]["transport"] = "netconf"
        (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))
        monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
        monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
        run = ops.push(Inventory.load(inv), timeout=60)
        assert [r.outcome for r in run.results] == ["changed"], [(r.outcome, r.error) for r in run.results]
        yield lab, OamHook(Inventory.load(inv))
    finally:
        lab.stop()


def degrade(lab, interface: str) -> None:
    """20 errored frames/s for 2.6 s, the device's monitors ticking every 0.1 s."""
    dev = lab.device("edge-1")
    lab.inject_errors("edge-1", interface, crc_per_second=20.0)
    deadline = time.monotonic() + 2.6
    while time.monotonic() < deadline:
        lab.call(dev.tick)
        time.sleep(0.1)
    lab.inject_errors("edge-1", interface, crc_per_second=0)


@pytest.mark.lab
def test_junos_link_event_counters_are_polled_over_netconf(tmp_path, monkeypatch):
    with edge_on_netconf(tmp_path, monkeypatch, "juniper_junos") as (lab, hook):
        watch = hook.watch_events("edge-1", INTERFACE, 30)
        assert watch is not None and watch.ready.wait(15) and watch.error is None, watch.error
        since = time.time()
        degrade(lab, INTERFACE)
        time.sleep(1.2)   # at least two more polls (every 0.5 s) see the counts
        events = hook.events("edge-1", INTERFACE, since, 15, watch)
        assert events and all(e["source"] == "counter" and e["time"] >= since for e in events), events
        dev = lab.device("edge-1")
        polls = [c for c in dev.commands(channel="netconf")
                 if "show oam ethernet link-fault-management detail" in c]
        assert len(polls) >= 3, len(polls)
        assert dev.commands(channel="cli") == []   # not one CLI command: all over NETCONF


@pytest.mark.lab
def test_an_ios_xr_edge_pushed_over_netconf_still_has_its_event_log_read_over_ssh(tmp_path, monkeypatch):
    # IOS-XR runs no show command over NETCONF: its event log is read over its SSH CLI, as
    # before (a first version sent it as <command> and found no event: the WAN lab's
    # NETCONF-pushed XR edge then failed its degrade scenario)
    interface = "GigabitEthernet0/0/0/0"
    with edge_on_netconf(tmp_path, monkeypatch, "cisco_xr") as (lab, hook):
        assert hook.watch_events("edge-1", interface, 30) is None   # a timestamped log: read after
        since = time.time()
        degrade(lab, interface)
        events = hook.events("edge-1", interface, since - 1, 15)
        assert events and all(e["source"] == "log" for e in events), events
        assert lab.device("edge-1").commands(channel="cli"), "the event log was not read over the CLI"
