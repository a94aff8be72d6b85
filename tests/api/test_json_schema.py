"""Every `--json` output is versioned (`schema_version`) and matches its JSON Schema in
docs/schema/ (issue "Operators' everyday use", 9). Real outputs, from oamkit run as a user runs
it against the lab; timestamps are checked as ISO 8601 (drtest.json keeps its epoch floats and
adds ISO twins)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schema"

# jsonschema checks "format" only when told to, and its date-time checker needs an extra
# package: this one is what every reader of our timestamps uses anyway
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _iso_8601(value) -> bool:
    return not isinstance(value, str) or "T" in value and datetime.fromisoformat(value).tzinfo is not None


def validate(name: str, payload) -> None:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(payload)


def oamkit(env, *args):
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                            text=True, env=env, timeout=180)
    assert result.stdout, result.stderr[-2000:]
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def test_every_lab_command_json_is_versioned_and_matches_its_schema(env, lab_inventory, tmp_path):
    inv = ["-i", str(lab_inventory)]
    outputs = [("render", oamkit(env, "render", *inv, "--json")),
               ("change", oamkit(env, "diff", *inv, "--json")),
               ("change", oamkit(env, "push", *inv, "--json", "--confirm-timeout", "3600")),
               ("changes", oamkit(env, "changes", "--json")),
               ("collect", oamkit(env, "collect", *inv, "--json")),
               ("check", oamkit(env, "check", *inv, "--json")),
               ("facts", oamkit(env, "facts", *inv, "--json")),
               ("change", oamkit(env, "rollback", "--change", "last", "--json")),
               ("error", oamkit(env, "render", "-i", str(tmp_path / "missing"), "--json"))]
    for name, (code, payload) in outputs:
        validate(name, payload)
        for item in payload if isinstance(payload, list) else [payload]:
            assert item["schema_version"] == "1.0", name
        every_epoch_has_an_iso_twin(payload)   # ISO 8601 timestamps everywhere
    assert outputs[2][1][1]["ok"] and outputs[-1][1][0] == 2


def test_drtest_and_run_json_are_versioned_with_iso_timestamps(tmp_path):
    plan = tmp_path / "plans" / "dr.yaml"
    plan.parent.mkdir()
    plan.write_text(yaml.safe_dump({
        "name": "schema plan", "interval": "20ms", "baseline": "0.5s",
        "sites": [{"name": "a", "target": "127.0.0.1"}],
        "trigger": {"type": "command", "command": ["true"]},
        "restore": {"type": "command", "command": ["true"]},
        "convergence_bound": "1s", "failback_bound": "1s", "min_watch": "0.5s"}))
    play = tmp_path / "play.yaml"
    play.write_text(yaml.safe_dump({"name": "dr", "steps": [
        {"name": "dr", "drtest": {"plan": "plans/dr.yaml", "report": "rep"}}]}))
    code, report = oamkit(os.environ, "run", str(play), "--json")
    validate("run", report)
    written = json.loads((tmp_path / "rep" / "drtest.json").read_text())
    validate("drtest", written)
    # the epoch floats stay beside their ISO twins, and both say the same instant
    assert abs(datetime.fromisoformat(written["finished_iso"]).timestamp()
               - written["finished"]) < 1
    # every epoch time in the report has an ISO 8601 twin beside it, saying the same instant
    assert every_epoch_has_an_iso_twin(written) >= 7   # started, finished, t_ref, two per step
    code, printed = oamkit(os.environ, "drtest", str(plan), "--json")
    validate("drtest", printed)
    assert printed["schema_version"] == "1.0"


def every_epoch_has_an_iso_twin(payload) -> int:
    seen = 0
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if isinstance(value, (dict, list)):
                stack.append(value)
            elif isinstance(value, float) and value > 1e9:   # seconds since 1970, after 2001
                twin = item.get(f"{key}_iso")
                assert twin, f"{key}={value} has no {key}_iso"
                assert abs(datetime.fromisoformat(twin).timestamp() - value) < 1, (key, twin)
                seen += 1
    return seen


EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"


def test_inventory_maintenance_explain_probe_and_lab_json_match_their_schemas(tmp_path):
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "OAMKIT_LAB_DIR": str(tmp_path / "lab")}
    inv = ["-i", str(EXAMPLE)]
    listed = oamkit(env, "inventory", "list", *inv, "--json")[1]
    host = listed[0]["name"]
    outputs = [("inventory", listed),
               ("inventory", oamkit(env, "inventory", "show", host, *inv, "--json")[1]),
               ("explain", oamkit(env, "policy", "explain", "lab-ios", *inv, "--json")[1])]
    added = oamkit(env, "maintenance", "add", host, *inv, "--until", "2h", "--reason", "schema test",
                   "--json")[1]
    outputs += [("maintenance", added), ("maintenance", oamkit(env, "maintenance", "list", "--json")[1]),
                ("maintenance", oamkit(env, "maintenance", "remove", added["id"], "--json")[1]),
                ("probe", oamkit(env, "probe", "127.0.0.1", "--interval", "10ms", "--count", "5",
                                 "--json")[1]),
                ("probe", oamkit(env, "probe", "127.0.0.1", "--trace", "--json")[1]),
                ("lab", oamkit(env, "lab", "status", "--json")[1])]
    try:
        outputs += [("lab", oamkit(env, "lab", "up", "--devices", "1", "--detach", "--json",
                                   "--inventory-out", str(tmp_path / "labinv"))[1]),
                    ("lab", oamkit(env, "lab", "status", "--json")[1])]
    finally:
        subprocess.run([sys.executable, "-m", "oamkit.cli", "lab", "down"], env=env, timeout=60,
                       capture_output=True)
    for name, payload in outputs:
        validate(name, payload)
        for item in payload if isinstance(payload, list) else [payload]:
            assert item["schema_version"] == "1.0", name
        every_epoch_has_an_iso_twin(payload)
    assert outputs[-1][1]["running"] is True and outputs[-1][1]["started_at_iso"]
    assert [t["sent"] for t in outputs[6][1]["targets"]] == [5]


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "parsers"


def test_parse_json_is_versioned_and_matches_its_schema():
    # `oamkit parse` printed plain json.dumps: the one JSON output without schema_version
    capture = FIXTURES / "juniper_junos" / "show_oam_ethernet_link-fault-management" / "basic.raw"
    code, parsed = oamkit(os.environ, "parse", str(capture), "--platform", "juniper_junos",
                          "--command", "show oam ethernet link-fault-management", "--raw")
    assert code == 0 and parsed["records"], parsed
    validate("parse", parsed)
    assert parsed["schema_version"] == "1.0"
    code, listed = oamkit(os.environ, "parse", "--list")
    assert code == 0 and {"schema_version": "1.0", "platform": "cisco_ios",
                          "command": "show ethernet oam statistics"} in listed


@pytest.mark.parametrize("args", [["check", "--format", "json", "--timeout", "abc"],
                                  ["push", "--json", "--workers", "0"],
                                  ["collect", "--json", "--no-such-option"]])
def test_a_usage_error_under_json_is_the_json_error_document(tmp_path, args):
    """Click's own errors (a value of the wrong type, out of range, an unknown option) went to
    stderr only: a script that asked for JSON read an empty stdout."""
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state")}
    code, payload = oamkit(env, *args)
    assert code == 2
    validate("error", payload)
    assert payload["exit_code"] == 2 and payload["error"].startswith("usage: ")
