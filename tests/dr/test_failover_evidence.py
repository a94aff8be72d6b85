"""A PASS needs evidence that each site failed over (outside review, defect 1): its failover
path seen, or an outage after the trigger. A trigger that does nothing, on a plan without
`paths:`, was a PASS ("every site failed over and back as expected"); it is INCONCLUSIVE,
exit 3, naming the sites in every output. Also the outage wording of the reports (defect 10)
and a flap's sum in them (defect 2)."""
import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import yaml

from oamkit.dr.plan import parse_plan
from oamkit.dr.report import outage_text, write_reports
from oamkit.dr.runner import EXIT_FOR_VERDICT, DrRunner
from oamkit.playbook.steps import _dr_summary

from tests.dr.conftest import needs_root
from tests.dr.test_long_trigger import loopback_dict

DATA = Path(__file__).parent / "data"


loopback = loopback_dict


@needs_root()
def test_a_trigger_that_does_nothing_is_inconclusive_in_every_report(tmp_path):
    result = DrRunner(parse_plan(loopback()), realtime=False).run()
    assert result["verdict"] == "INCONCLUSIVE" and EXIT_FOR_VERDICT["INCONCLUSIVE"] == 3
    assert [s["verdict"] for s in result["sites"]] == ["INCONCLUSIVE", "INCONCLUSIVE"]
    assert all(s["failover_evidence"] == [] and not s["reasons"] for s in result["sites"])
    assert any(line.startswith("failover not demonstrated for 2 of 2 sites") and line.endswith(": a, b")
               for line in result["summary"]), result["summary"]
    assert any("the plan names no failover path" in n for n in result["sites"][0]["notes"])
    reports = write_reports(result, tmp_path)
    page = reports["html"].read_text()
    assert "every site failed over" not in page and "failover not demonstrated for 2 of 2 sites" in page
    assert "<b>INCONCLUSIVE</b>" in page
    suite = ET.parse(reports["junit"]).getroot()
    errors = {tc.get("name").split()[0]: tc.find("error") for tc in suite.iter("testcase")}
    assert suite.get("errors") == "2" and suite.get("failures") == "0"
    assert errors["a"] is not None and errors["a"].get("type") == "inconclusive"
    assert errors["b"] is not None
    assert _dr_summary(result).startswith("INCONCLUSIVE: failover not demonstrated")


@needs_root()
def test_the_failover_path_seen_is_evidence_enough(tmp_path):
    # on loopback the target answers a TTL-1 probe itself: "seen on the failover hop" for a
    sites = [{"name": "a", "target": "127.0.0.1", "paths": {"failover": {"hop": "127.0.0.1", "ttl": 1}}},
             {"name": "b", "target": "127.0.0.2"}]
    result = DrRunner(parse_plan(loopback(sites=sites)), realtime=False).run()
    a, b = result["sites"]
    assert (a["verdict"], a["failover_evidence"]) == ("PASS", ["path"])
    assert b["verdict"] == "INCONCLUSIVE" and result["verdict"] == "INCONCLUSIVE"
    assert any(line.endswith(": b") for line in result["summary"]), result["summary"]


@needs_root()
def test_drtest_exit_3_and_a_playbook_step_that_needs_attention(tmp_path):
    plan = tmp_path / "dr.yaml"
    plan.write_text(yaml.safe_dump(loopback()))
    p = subprocess.run([sys.executable, "-m", "oamkit.cli", "drtest", str(plan)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 3, p.stderr
    assert "INCONCLUSIVE" in p.stderr and "failover not demonstrated" in " ".join(p.stderr.split())
    play = tmp_path / "play.yaml"
    play.write_text(yaml.safe_dump({"name": "dr", "steps": [{"name": "dr", "drtest": {"plan": "dr.yaml"}}]}))
    run = subprocess.run([sys.executable, "-m", "oamkit.cli", "run", str(play), "--json"], capture_output=True,
                         text=True, timeout=120)
    report = json.loads(run.stdout)
    assert run.returncode == 3 and report["exit_code"] == 3, run.stderr[-2000:]
    step = report["steps"][0]
    assert step["exit_code"] == 3 and step["summary"].startswith("INCONCLUSIVE: failover not demonstrated")


def test_a_failing_site_makes_the_run_fail_with_the_unproven_ones_named(tmp_path):
    """Re-rendered: the verdict order is FAIL over INCONCLUSIVE, and the reports keep both."""
    result = json.loads((DATA / "half-routes.result.json").read_text())
    result["sites"][0]["verdict"] = "INCONCLUSIVE"
    result["sites"][0]["notes"] = ["failover not demonstrated: no outage after the trigger, and ..."]
    suite = ET.parse(write_reports(result, tmp_path)["junit"]).getroot()
    assert suite.get("failures") == "6" and suite.get("errors") == "1"


def test_outage_words_say_what_is_computed(tmp_path):
    """The table shows sharpened values (398 ± 18 ms): the footer and the timeline's title
    must not say "lost × interval ± one interval"."""
    result = json.loads((DATA / "healthy.result.json").read_text())
    page = write_reports(result, tmp_path)["html"].read_text()
    assert "± one interval" not in page and "Outage = lost probes" not in page
    assert "from the break to the repair" in page and "added up" in page and "scattered loss" in page
    assert outage_text({"recovered": True, "lost": 40, "outage_s": 0.398, "err_s": 0.018}, 0.01) == "398 ± 18 ms"
    flap = {"recovered": True, "lost": 362, "outage_s": 3.622, "err_s": 0.02,
            "outages": [{"start_rel_s": 1.0, "end_rel_s": 2.8, "lost": 181},
                        {"start_rel_s": 3.1, "end_rel_s": 4.9, "lost": 181}]}
    assert outage_text(flap, 0.01) == "3622 ± 20 ms in 2 outages"
    import matplotlib

    matplotlib.use("Agg")
    from oamkit.dr.report import timeline_figure

    title = timeline_figure(result)._suptitle.get_text()
    assert "± one interval" not in title and "break to repair" in title
