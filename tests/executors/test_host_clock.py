"""A host's deadline starts when its work starts, not when it was queued: a fleet larger than
its workers must not run its last hosts out of time before their first packet. Against the lab."""
from __future__ import annotations

import time

import pytest

from oamkit import engine
from oamkit.executors import HostJob
from oamkit.inventory import Inventory
from oamkit.lab.server import set_ssh_driver
from oamkit.render import plan_hosts
from oamkit.runner import GRACE, Rollout, run_fleet

DELAY = 0.3      # s the lab waits before answering each command: a collect takes ~1.5 s
TIMEOUT = 3.0    # per host: enough for one host, not for the four one after the other


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_hosts_waiting_for_a_worker_keep_their_whole_deadline(lab, lab_inventory, monkeypatch, driver):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    set_ssh_driver(lab_inventory, driver)
    for name in lab.devices:
        lab.set_faults(name, command_delay=DELAY)
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    started = time.monotonic()
    results, stopped = run_fleet(plans, HostJob.make("collect", inv), Rollout(workers=1, timeout=TIMEOUT))
    took = time.monotonic() - started
    assert stopped is None
    assert [(r.host, r.outcome, r.error) for r in results] == [
        (p.host.name, "ok", None) for p in plans], results
    # one at a time: the run took longer than one deadline, so the last hosts started after
    # the first one's deadline would have passed
    assert took > TIMEOUT, took


def test_a_wedged_host_is_reported_and_hosts_it_kept_waiting_are_not_started(lab, lab_inventory):
    """The runner's net: work ignoring its deadline holds the only worker. It is reported at
    its deadline + GRACE; the hosts queued behind it are not started once the stage has had
    all the time its hosts could honestly use (4 x 0.5 s + GRACE), and say so."""
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    wedged, ran = plans[0].host.name, []

    def work(plan, deadline):
        ran.append(plan.host.name)
        if plan.host.name == wedged:
            time.sleep(GRACE + 4)   # a library call that ignores the deadline
        return engine.HostResult(plan.host.name, plan.platform.name, engine.UNCHANGED)

    started = time.monotonic()
    results, _ = run_fleet(plans, work, Rollout(workers=1, timeout=0.5))
    assert time.monotonic() - started < GRACE + 4   # not held until the wedged call returns
    assert ran == [wedged]
    assert [(r.host, r.outcome) for r in results] == [(wedged, engine.NEEDS_ATTENTION)] + [
        (p.host.name, engine.NOT_ATTEMPTED) for p in plans[1:]]
    assert results[0].error == "no answer within the 0.5 s deadline"
    assert all("never started" in r.detail for r in results[1:])
