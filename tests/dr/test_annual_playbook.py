"""The shipped annual-DR playbook, end to end: alerts held on the device lab's hosts, the WAN
lab's primary cut and restored with probes measuring the failover, alerts released."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PLAYBOOK = Path(__file__).resolve().parents[2] / "examples" / "playbooks" / "annual-dr-test.yaml"


def test_the_annual_dr_playbook_passes_and_releases_the_alerts(lab, lab_inventory, healthy_lab, tmp_path):
    plan = healthy_lab.write_plan(tmp_path / "plan.yaml")
    state = tmp_path / "state"
    # The engine's state elsewhere than the WAN lab's registry (/run/oamkit): the probe guard
    # must still recognise the lab's namespaces.
    env = {**os.environ, "OAMKIT_LAB_PASSWORD": lab.password, "OAMKIT_STATE_DIR": str(state)}
    for attempt in range(2):
        run = subprocess.run([sys.executable, "-m", "oamkit.cli", "run", str(PLAYBOOK), "-i", str(lab_inventory),
                              "-e", f"plan={plan}", "-e", f"report={tmp_path / 'report'}", "--json"],
                             capture_output=True, text=True, env=env, timeout=300)
        # Exit 3 is the DR test's INVALID: its probe engine stalled next to the outage (the CI
        # VM frozen by its host), so its numbers are not to be trusted. Like the other DR
        # tests, rerun once; a FAIL is never rerun.
        if run.returncode != 3:
            break
        print(f"INVALID DR run, retrying: {run.stdout[-500:]}", file=sys.stderr)
        healthy_lab.wait_converged(30)
    assert run.returncode == 0, (run.stdout[:300] + "..." + run.stdout[-3000:] + run.stderr[-3000:])
    result = json.loads(run.stdout)
    assert [(s["name"], s["status"]) for s in result["steps"]] == [
        ("hold alerts on the branch", "ok"),
        ("primary WAN cut, failover and failback", "ok"),
        ("every site failed over within its bound and came back", "ok"),
        ("release the alerts", "ok")]
    report = json.loads((tmp_path / "report" / "drtest.json").read_text())
    assert report["verdict"] == "PASS" and len(report["sites"]) == len(healthy_lab.site_list())
    assert all(site["failover"]["recovered"] for site in report["sites"])
    # the window the play opened is closed again: nothing is held any more
    held = subprocess.run([sys.executable, "-m", "oamkit.cli", "maintenance", "list", "--json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert held.returncode == 0, held.stderr
    assert json.loads(held.stdout) == [], held.stdout
