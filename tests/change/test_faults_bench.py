"""bench/faults.py at a small size: every fault kind at least once, and no device is left
half-configured without oamkit saying so, nor reported with an outcome its configuration
contradicts (configurations read from the lab's device objects, not through oamkit)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "faults.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("oamkit_bench_faults", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.lab
@pytest.mark.timeout(150)
def test_fault_campaign_leaves_no_device_half_configured():
    bench = load_bench()
    printed: list[str] = []
    # 12 devices, 9 faulted: seed 3 gives every kind a host that can carry it (two NETCONF
    # hosts among them). Device time 10x fast: a 2-minute revert timer runs out in 12 s, longer
    # than the slow host's change takes; the hung host's deadline is 8 s.
    result = bench.run_campaign(devices=12, fault_share=0.75, seed=3, time_scale=0.1, timeout=8.0,
                                workers=12, out=printed.append)
    report = "\n".join(printed)
    kinds = {a.kind for a in result["assignments"]}
    assert kinds >= set(bench.KINDS), (sorted(set(bench.KINDS) - kinds), report)
    after_push, after_timers, after_rollback = result["lines"]
    assert after_push == (0, 0), report
    assert after_timers == (0, 0), report
    assert "half-configured=0 wrong-outcome=0 hosts=12  (right after the push" in report
    # `rollback --change last` brings every host back, Junos over SSH included: removing our
    # interfaces leaves `link-fault-management` bare, and the rollback removes it too
    assert after_rollback == (0, 0), report
