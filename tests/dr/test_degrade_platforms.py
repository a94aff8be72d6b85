"""Degradation failover (issue #21) with the other vendors' edges: the healthy scenario of
`test_degrade.py` with an IOS and a Junos edge, and VRP's (which never takes the link down).
Their OAM event time comes from polling parsed link-event counters (they keep no timestamped
event log oamkit reads; platform data, `Platform.event_timing`)."""
import pytest

from tests.dr.conftest import needs_root
from tests.dr.test_degrade import (assert_event_timed_between_errors_and_link_down, build_oam_wan, drtest,
                                  healthy_scenario, push_policy)

pytestmark = [pytest.mark.wanlab, needs_root()]

# platform -> (the command whose parsed counters time the event)
COUNTER_COMMANDS = {"cisco_ios": "show ethernet oam statistics",
                    "juniper_junos": "show oam ethernet link-fault-management detail"}


@pytest.fixture(scope="module", params=sorted(COUNTER_COMMANDS))
def edge_wan(request, tmp_path_factory):
    yield from build_oam_wan(tmp_path_factory, request.param)


def test_healthy_policy_on_the_edge_with_event_counters(edge_wan):
    d = healthy_scenario(edge_wan)["degrade"]
    assert_event_timed_between_errors_and_link_down(d, "counter", COUNTER_COMMANDS[edge_wan["platform"]])
    # the counter rose from the value read before the errors began
    assert d["event"]["count"] > d["event"]["previous"], d["event"]


@pytest.fixture(scope="module")
def vrp_wan(tmp_path_factory):
    yield from build_oam_wan(tmp_path_factory, "huawei_vrp")


def test_vrp_edge_logs_the_event_but_never_takes_the_link_down(vrp_wan):
    """VRP holds no high threshold for errored frames: the scenario FAILs as predicted, and the
    OAM event is still timed, from `display efm link-event local` (EventRunningTotal)."""
    push_policy(vrp_wan, "wan-degrade")
    r = drtest(vrp_wan, "vrp", errored_frames="40/s", timeout="6s")
    assert r["verdict"] == "FAIL", r["summary"]
    d = r["degrade"]
    assert d["link_down_rel_s"] is None and d["prediction"]["predicted_s"] is None, d["prediction"]
    assert d["event_source"]["source"] == "counter", d["event_source"]
    assert d["event_source"]["command"] == "display efm link-event local"
    assert d["event"] and d["event"]["event_type"] == "frame" and d["event"]["count"] > d["event"]["previous"], d
    # logged while degraded: after the errors began, before the watch ended
    assert d["trigger_rel_s"] <= d["event_logged_rel_s"] <= d["deadline_rel_s"], d
