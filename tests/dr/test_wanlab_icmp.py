"""Real routers' ICMP limits (issue: DR tests on real networks, 2). The WAN lab keeps the
kernel's default ICMP error rate limits (burst 6, then 1/s per destination), like a real WAN;
24 sites behind one hop must still PASS, with every path seen."""
import os
import subprocess
import sys
import time

import pytest

from oamkit.dr.plan import parse_plan
from oamkit.dr.report import write_reports
from oamkit.dr.runner import DrRunner
from oamkit.lab.wan import PRIMARY_HOP, SECONDARY_HOP, WanLab, list_netns
from oamkit.probe.engine import Slot
from oamkit.probe.proto import ProbeProto
from oamkit.probe.trace import IcmpBudget, trace_paths

from tests.dr.conftest import OWNER_FILE, _missing_for_lab, needs_root

pytestmark = [pytest.mark.wanlab, needs_root()]


@pytest.fixture(scope="module")
def lab24():
    reason = _missing_for_lab()
    if reason:
        pytest.skip(reason)
    lab = WanLab(prefix=f"w{os.getpid() % 100000}", sites=24)
    lab.down()
    lab.state_dir.mkdir(parents=True, exist_ok=True)
    (lab.state_dir / OWNER_FILE).write_text(str(os.getpid()))   # removed by the next run if we are killed
    try:
        lab.up(timeout=90)
        yield lab
    finally:
        lab.down()
        assert not [n for n in list_netns() if n.startswith(lab.prefix + "-")]


def sysctl(ns, key):
    return subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-n", key], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_lab_routers_keep_the_kernel_default_icmp_limits(lab24):
    for r in ("ce", "wan1", "wan2", "dc"):
        assert sysctl(lab24.ns(r), "net.ipv4.icmp_ratelimit") == "1000"
        assert int(sysctl(lab24.ns(r), "net.ipv4.icmp_ratemask")) & (1 << 11)   # time exceeded


def test_paced_path_probes_are_answered_and_unpaced_ones_are_not(lab24):
    slots = [Slot(s.addr, ProbeProto("icmp")) for s in lab24.site_list()]
    paced = trace_paths(slots, [2], netns=lab24.branch_ns, retries=0)
    assert [p.hops.get(2) for p in paced] == [PRIMARY_HOP] * 24
    assert sum(p.answered for p in paced) == sum(p.sent for p in paced) == 24
    time.sleep(7)                     # wan1's bucket refills (6 tokens at 1/s)
    # the same probes sent at once, as before this issue: the lab polices them like a router
    unpaced = trace_paths(slots, [2], netns=lab24.branch_ns, retries=0, budget=IcmpBudget(burst=1000))
    lost = [p.addr for p in unpaced if 2 not in p.hops]
    assert len(lost) >= 12, [p.hops for p in unpaced]


def test_24_sites_behind_one_hop_fail_over_correctly_and_pass(lab24, tmp_path):
    time.sleep(7)
    plan = lab24.plan(mode="drop")
    for attempt in range(2):
        result = DrRunner(parse_plan(plan), log=lambda s: print(s, file=sys.stderr)).run()
        write_reports(result, tmp_path, stem=f"drtest-{attempt}")
        if result["verdict"] != "INVALID":
            break
        lab24.wait_converged(30)
    assert result["verdict"] == "PASS", result["summary"]
    assert len(result["sites"]) == 24
    for s in result["sites"]:
        assert s["path_before"]["status"] == "as expected" and s["path_before"]["seen"] == PRIMARY_HOP, s["name"]
        assert s["path_after"]["status"] == "as expected" and s["path_after"]["seen"] == SECONDARY_HOP, s["name"]
        assert s["path_failback"]["status"] == "as expected", s["name"]
        assert s["failover"]["recovered"] and s["failover"]["lost"] > 0
    probes = result["path_probes"]
    assert probes["baseline"]["answered"] == 24 and probes["steady"]["answered"] == 24, probes
