"""While a fleet runs, young garbage collections are spaced out (`runner.FLEET_GC_THRESHOLD`):
every host's work sees the raised threshold, and the caller's thresholds are back afterwards,
also when hosts fail."""
from __future__ import annotations

import gc
from pathlib import Path

from oamkit.engine.results import CHANGED, HostResult
from oamkit.inventory import Inventory
from oamkit.render import plan_hosts
from oamkit.runner import FLEET_GC_THRESHOLD, Rollout, run_fleet

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"


def test_hosts_run_with_spaced_out_young_collections_and_the_callers_come_back():
    inv = Inventory.load(EXAMPLE)
    plans = plan_hosts(inv, inv.select())
    seen: list[tuple[int, int, int]] = []

    def work(plan, deadline):
        seen.append(gc.get_threshold())
        if plan is plans[-1]:
            raise RuntimeError("a host's bug")
        return HostResult(plan.host.name, plan.platform.name, CHANGED)

    before = gc.get_threshold()
    gc.set_threshold(900, 11, 12)
    try:
        results, _ = run_fleet(plans, work, Rollout(workers=2, timeout=30))
        assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*before)
    assert len(seen) == len(plans) > 1
    assert all(t == (FLEET_GC_THRESHOLD, 11, 12) for t in seen), seen
    assert results[-1].outcome == "error" and "a host's bug" in results[-1].error


def test_overlapping_fleets_leave_the_callers_thresholds_whichever_ends_first():
    # Two API calls in threads: the first ends while the second runs. Each putting back what
    # it had found left the process at FLEET_GC_THRESHOLD for good (the second had found it).
    import threading

    inv = Inventory.load(EXAMPLE)
    plans = plan_hosts(inv, inv.select())
    second_started, first_done = threading.Event(), threading.Event()

    def first(plan, deadline):
        assert second_started.wait(10)
        return HostResult(plan.host.name, plan.platform.name, CHANGED)

    def second(plan, deadline):
        second_started.set()
        assert first_done.wait(10)
        return HostResult(plan.host.name, plan.platform.name, CHANGED)

    before = gc.get_threshold()
    gc.set_threshold(900, 11, 12)
    try:
        def run_first():
            run_fleet(plans[:1], first, Rollout(workers=1, timeout=30))
            first_done.set()

        threads = [threading.Thread(target=run_first),
                   threading.Thread(target=run_fleet, args=(plans[1:2], second, Rollout(workers=1, timeout=30)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert gc.get_threshold() == (900, 11, 12)
    finally:
        gc.set_threshold(*before)
