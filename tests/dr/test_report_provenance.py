"""Report items (issue: DR tests on real networks, 4): who, when, which plan (SHA-256), which
oamkit; path labels from the plan beside hop addresses; coloured verdict rows; the plan's title."""
import datetime
import hashlib
import json
from pathlib import Path

import yaml

from oamkit import __version__
from oamkit.dr.plan import load_plan
from oamkit.dr.report import write_reports
from oamkit.dr.runner import DrRunner

from tests.dr.conftest import needs_root

DATA = Path(__file__).parent / "data"
# on loopback the target itself answers at TTL 1: seen "on the failover path", so a PASS
LOOPBACK_FAILOVER = {"failover": {"hop": "127.0.0.1", "ttl": 1}}


@needs_root()
def test_report_names_date_operator_plan_hash_and_version(tmp_path):
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump({
        "name": "Branch 12: annual DR test", "interval": "20ms", "baseline": "0.5s",
        "sites": [{"name": "a", "target": "127.0.0.1"}], "paths": LOOPBACK_FAILOVER,
        "trigger": {"type": "command", "command": ["true"]}, "restore": {"type": "command", "command": ["true"]},
        "convergence_bound": "1s", "failback_bound": "1s", "min_watch": "0.5s"}))
    runner = DrRunner(load_plan(plan_file), realtime=False)
    runner.plan_file = str(plan_file)
    result = runner.run()
    assert result["plan_sha256"] == hashlib.sha256(plan_file.read_bytes()).hexdigest()
    assert datetime.datetime.fromisoformat(result["started_iso"]).tzinfo is not None
    assert result["oamkit_version"] == __version__ and result["operator"]
    page = write_reports(result, tmp_path / "r")["html"].read_text()
    assert result["plan_sha256"] in page and result["started_iso"] in page and str(plan_file) in page
    assert "<h1>Branch 12: annual DR test</h1>" in page and "<title>Branch 12: annual DR test</title>" in page
    assert result["verdict"] == "PASS" and result["sites"][0]["failover_evidence"] == ["path"]
    assert f"<tr class='{result['sites'][0]['verdict'].lower()}'>" in page


def test_path_labels_beside_hops_and_rows_coloured(tmp_path):
    result = json.loads((DATA / "half-routes.result.json").read_text())
    for s in result["sites"]:
        if s["path_after"]:
            s["path_after"]["seen_label"] = "wan2 (secondary)"
    page = write_reports(result, tmp_path)["html"].read_text()
    assert "10.12.0.2 wan2 (secondary)" in page
    assert page.count("<tr class='fail'>") == 6 and page.count("<tr class='pass'>") == 6


@needs_root()
def test_playbook_drtest_step_names_and_hashes_its_plan(tmp_path):
    """A playbook's drtest step knows its plan only by the path in the play: the report must
    still name that file and its SHA-256 (they were empty)."""
    import subprocess
    import sys

    plan_file = tmp_path / "plans" / "dr.yaml"
    plan_file.parent.mkdir()
    plan_file.write_text(yaml.safe_dump({
        "name": "Playbook DR plan", "interval": "20ms", "baseline": "0.5s",
        "sites": [{"name": "a", "target": "127.0.0.1"}], "paths": LOOPBACK_FAILOVER,
        "trigger": {"type": "command", "command": ["true"]}, "restore": {"type": "command", "command": ["true"]},
        "convergence_bound": "1s", "failback_bound": "1s", "min_watch": "0.5s"}))
    play = tmp_path / "play.yaml"
    play.write_text(yaml.safe_dump({"name": "dr", "steps": [
        {"name": "dr", "drtest": {"plan": "plans/dr.yaml", "report": "rep"}}]}))
    run = subprocess.run([sys.executable, "-m", "oamkit.cli", "run", str(play), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads((tmp_path / "rep" / "drtest.json").read_text())
    assert Path(report["plan_file"]) == plan_file
    assert report["plan_sha256"] == hashlib.sha256(plan_file.read_bytes()).hexdigest()
    assert str(plan_file) in (tmp_path / "rep" / "drtest.html").read_text()
