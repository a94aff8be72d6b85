"""A target that rate-limits ICMP (a router's control-plane policer) is not an outage: a site
whose ICMP baseline is lossy while its fallback answers every probe is measured over the
fallback, and the report says why (review of the DR tests, defect 5)."""
import subprocess
import sys

import pytest

from oamkit.dr.plan import parse_plan
from oamkit.dr.report import write_reports
from oamkit.dr.runner import DrRunner

from tests.dr.conftest import needs_root

pytestmark = [pytest.mark.wanlab, needs_root()]

# echo requests over 85/s dropped in the site: the plan probes every 10 ms (100/s)
POLICER = ("table inet fxlim {\n chain in {\n  type filter hook input priority 0;\n"
           "  icmp type echo-request limit rate over 85/second drop\n }\n}\n")


@pytest.fixture
def policed_site1(healthy_lab):
    ns = healthy_lab.ns("site1")
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=POLICER, text=True, check=True)
    try:
        yield healthy_lab
    finally:
        subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "fxlim"], check=False)


def run(lab, tmp_path, plan):
    for attempt in range(2):
        result = DrRunner(parse_plan(plan), log=lambda s: print(s, file=sys.stderr)).run()
        write_reports(result, tmp_path, stem=f"drtest-{attempt}")
        if result["verdict"] != "INVALID":
            return result
        lab.wait_converged(30)
    return result


def test_icmp_rate_limited_site_is_measured_over_its_clean_fallback(policed_site1, tmp_path):
    lab = policed_site1
    plan = lab.plan(mode="drop")
    plan["sites"] = plan["sites"][:3]
    result = run(lab, tmp_path, plan)
    site1, site2 = result["sites"][0], result["sites"][1]
    icmp = site1["baseline"]["icmp"]
    assert 0 < icmp["answered"] < icmp["sent"] * 0.99, icmp           # the policer bit
    assert site1["baseline"]["tcp:443"]["answered"] == site1["baseline"]["tcp:443"]["sent"]
    assert site1["measured_with"] == "tcp:443" and site1["classification"] == "ok"
    assert any(n.startswith(f"ICMP lossy at baseline ({icmp['answered']}/{icmp['sent']}, a rate limit?): "
                            "measured over tcp:443") for n in site1["notes"]), site1["notes"]
    assert site1["failover"]["recovered"] and site1["failback"]["recovered"], site1
    assert site2["measured_with"] == "icmp"                           # not policed: ICMP as planned
    assert result["verdict"] == "PASS", result["summary"]
    assert result["watch_windows"]["failback"]["ended_by"] == "window"


def test_icmp_rate_limited_site_without_fallback_names_the_persistent_loss(policed_site1, tmp_path):
    lab = policed_site1
    plan = lab.plan(mode="drop")
    plan["sites"] = plan["sites"][:2]
    del plan["sites"][0]["fallback"]
    result = run(lab, tmp_path, plan)
    site1 = result["sites"][0]
    assert site1["measured_with"] == "icmp"
    note = next((n for n in site1["notes"] if n.startswith("ICMP lossy at baseline: ")), None)
    assert note and "persistent" in note and "% loss, a rate limit? (no fallback in the plan)" in note, site1["notes"]
