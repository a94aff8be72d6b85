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
