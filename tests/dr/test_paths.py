"""Path verdicts and the ICMP budget (issue: DR tests on real networks, 2). No root needed."""
import pytest

from oamkit.dr.paths import path_verdict
from oamkit.dr.plan import PathExpect, parse_plan
from oamkit.dr.runner import DrRunner, SiteState
from oamkit.probe.proto import ProbeProto
from oamkit.probe.trace import IcmpBudget

EXP = PathExpect(hop="10.11.0.2", ttl=2, label="wan1 (primary)")


def trace(hops, reached=None):
    return {"target": "10.100.1.10", "hops": hops, "reached_at": reached, "probes_sent": 1, "probes_answered": 0}


def test_no_answer_is_unknown_never_a_wrong_path():
    v = path_verdict(trace(["-", "*"]), EXP)
    assert v["status"] == "unknown" and v["match"] is None and "unknown" in v["note"]


def test_only_a_positively_seen_other_hop_is_wrong():
    v = path_verdict(trace(["-", "10.12.0.2"]), EXP, {"10.12.0.2": "wan2 (secondary)"})
    assert v["status"] == "wrong" and v["match"] is False
    assert "saw 10.12.0.2 (wan2 (secondary))" in v["note"] and "wan1 (primary)" in v["note"]
    assert path_verdict(trace(["-", "!net unreachable from 10.10.0.1"]), EXP)["status"] == "wrong"
    # the target answered at hop 1: the expected hop 2 is not on the path
    assert path_verdict(trace(["10.100.1.10"], reached=1), EXP)["status"] == "wrong"
    assert path_verdict(trace(["-", "10.11.0.2"]), EXP)["status"] == "as expected"


def test_anywhere_on_the_path():
    anywhere = PathExpect(hop="10.11.0.2")
    assert path_verdict(trace(["10.10.0.1", "*", "10.100.1.10"], reached=3), anywhere)["status"] == "unknown"
    assert path_verdict(trace(["10.10.0.1", "10.12.0.2", "10.100.1.10"], reached=3), anywhere)["status"] == "wrong"
    assert path_verdict(trace(["10.10.0.1", "10.11.0.2", "*"]), anywhere)["status"] == "as expected"


def test_budget_is_a_linux_style_bucket_per_router():
    b = IcmpBudget()                       # Linux defaults: burst 6, then 1 per second
    assert [b.take("r1", 100.0) for _ in range(7)] == [True] * 6 + [False]
    assert b.take("r2", 100.0)             # another router has its own bucket
    # one token a second, asked with a margin (the router counts from the probe's arrival)
    assert not b.take("r1", 101.0) and b.take("r1", 101.15) and not b.take("r1", 101.2)
    b.adjust("r1", 101.2, +1)              # refund: the prediction was wrong
    assert b.take("r1", 101.2)
    assert b.tokens("r1", 1000.0) == 6     # never more than the burst


@pytest.mark.parametrize("policy,fails", [("warn", False), ("fail", True)])
def test_unknown_path_fails_the_site_only_when_the_plan_says_so(policy, fails):
    plan = parse_plan({"sites": [{"name": "a", "target": "127.0.0.1"}], "paths_unknown": policy,
                       "trigger": {"type": "command", "command": "true"},
                       "restore": {"type": "command", "command": "true"}})
    runner = DrRunner(plan)
    st = SiteState(plan.sites[0], ProbeProto("icmp"))
    assert runner._judge_path(st, path_verdict(trace(["-", "*"]), EXP), "baseline", "baseline path") == "unknown"
    assert bool(st.reasons) is fails and bool(st.notes) is not fails
    note, ok = runner._path_note({"a": "unknown"}, "not on the normal path")
    assert ok is not fails and "path unknown" in note[0]
    st2 = SiteState(plan.sites[0], ProbeProto("icmp"))
    runner._judge_path(st2, path_verdict(trace(["-", "10.12.0.2"]), EXP), "baseline", "baseline path")
    assert st2.reasons                          # wrong fails under either policy
