"""Degradation failover (issue #21) with the other vendors' edges: the healthy scenario of
`test_degrade.py` with an IOS and a Junos edge, whose OAM event time comes from polling their
parsed link-event counters (they keep no timestamped event log oamkit reads; platform data,
`Platform.event_timing`), and the edge's policy pushed over NETCONF."""
import json
import os

import pytest
import yaml

from tests.dr.conftest import needs_root, run_cli
from tests.dr.test_degrade import assert_event_timed_between_errors_and_link_down, build_oam_wan, healthy_scenario

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
