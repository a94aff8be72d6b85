"""`oamkit check` against the lab over real SSH (issue #21 item 4): a threshold the link can
never reach and a high threshold without an action are WARNING findings on that interface, in
the table, --json (matching docs/schema/check.schema.json), Nagios and JUnit outputs; the lab's
own policies raise none."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema" / "check.schema.json"
NEVER = ("frame: high 2000000 > 1488095 frames the 1G link can carry in 1s: never fires; "
         "frame_seconds: high 11 > 10 seconds in its 10s window: never fires; "
         "high threshold has no action: link stays up while degraded")


def oamkit(env, *args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=180)


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "250", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


@pytest.fixture
def inventory(lab_inventory):
    """xr-1 on a policy whose thresholds cannot fire at 1G; the others on the lab's own."""
    (lab_inventory / "policies" / "never.yaml").write_text(yaml.safe_dump({"never-fires": {
        "link_monitor": {"frame": {"window": "1s", "low": 1, "high": 2_000_000},
                         "frame_seconds": {"window": "10s", "low": 1, "high": 11}}}}))
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["xr-1"]["data"]["oam"]["policy"] = "never-fires"
    hosts_file.write_text(yaml.safe_dump(hosts))
    return lab_inventory


def test_check_warns_where_thresholds_never_fire_in_every_format(env, inventory, tmp_path):
    rules = tmp_path / "rules.yaml"   # this rule only: the others need a push and history
    rules.write_text(yaml.safe_dump({"rules": {name: {"enabled": False} for name in (
        "config_drift", "interface_present", "oam_session", "link_monitoring", "error_rate",
        "link_events")}}))
    base = ("check", "-i", str(inventory), "--rules", str(rules))
    result = oamkit(env, *base, "--format", "json")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout)
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(report)
    found = {(r["host"], r["interface"]): r for h in report["hosts"] for r in h["results"]}
    assert {r["rule"] for r in found.values()} == {"thresholds"}
    xr = [r for (host, _), r in found.items() if host == "xr-1"]
    assert len(xr) == 2 and all(r["status"] == "WARNING" and r["message"] == NEVER for r in xr)
    others = {host: r for (host, _), r in found.items() if host != "xr-1"}
    assert {r["status"] for r in others.values()} == {"OK"}, others
    assert report["status"] == "WARNING"

    nagios = oamkit(env, *base, "--format", "nagios")
    assert nagios.returncode == 1, nagios.stdout + nagios.stderr
    assert nagios.stdout.startswith("OAMKIT WARNING - 2 problem(s); WARNING xr-1 ")
    assert "warning=2;0;" in nagios.stdout.splitlines()[0]

    junit = oamkit(env, *base, "--format", "junit")
    suites = ET.fromstring(junit.stdout)
    [xr_suite] = [s for s in suites if s.get("name") == "xr-1"]
    assert xr_suite.get("failures") == "2"
    messages = [f.get("message") for f in xr_suite.iter("failure")]
    assert messages == [NEVER, NEVER]

    table = oamkit(env, *base)
    assert table.returncode == 1
    assert "thresholds" in table.stdout and "never fires" in table.stdout
