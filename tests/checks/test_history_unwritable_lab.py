"""A history database that cannot be written or read (read-only, a full disk, a damaged file):
`oamkit check` and `oamkit collect` still report the devices they read, in every format asked
for, with a problem line naming the file and SQLite's error, and exit 3 (`--format nagios`: at
least UNKNOWN), never 0 or 1 (the systemd unit takes 1 for success), never a traceback. The
judgments that need earlier samples use what could be read of the file. Against the lab over
real SSH."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest
from prometheus_client.parser import text_string_to_metric_families

HOST = "ios-1"


def _env(lab, tmp_path):
    return {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def _run(env, inventory, db, command, *args, limit_kb=None):
    cmd = [sys.executable, "-m", "oamkit.cli", command, "-i", str(inventory), "--limit", HOST,
           "--db", str(db), *args]
    if limit_kb is not None:   # the shell's file size limit stands for a full disk
        cmd = ["bash", "-c", f'ulimit -f {limit_kb}; exec "$@"', "bash", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)


def _check(env, inventory, db, *args, limit_kb=None):
    return _run(env, inventory, db, "check", *args, limit_kb=limit_kb)


@pytest.fixture
def history(lab, lab_inventory, tmp_path):
    db = tmp_path / "real" / "history.sqlite"
    first = _check(_env(lab, tmp_path), lab_inventory, db, "--format", "nagios")
    assert first.returncode in (0, 1, 2), first.stdout + first.stderr   # judged: a real history
    return db


@pytest.fixture
def damaged(tmp_path):
    db = tmp_path / "damaged" / "history.sqlite"
    db.parent.mkdir()
    db.write_bytes(b"this is no SQLite file, a disk sector went bad here\n" * 200)
    return db


def _rules(report: dict) -> dict:
    return {(r["interface"], r["rule"]): r for h in report["hosts"] for r in h["results"]}


def test_a_damaged_history_still_reports_the_devices_in_every_format(lab, lab_inventory, damaged, tmp_path):
    env = _env(lab, tmp_path)
    as_json = _check(env, lab_inventory, damaged, "--json")
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 3 and report["exit_code"] == 3, as_json.stdout + as_json.stderr
    assert [h["host"] for h in report["hosts"]] == [HOST]
    assert report["hosts"][0]["taken_at"]                      # the device was read and judged
    assert ("GigabitEthernet0/1", "config_drift") in _rules(report), _rules(report).keys()
    problem = report["history_problem"]
    assert problem.startswith(f"{damaged}: ") and "not a database" in problem, problem
    assert "nothing of this run is stored" in problem and "no earlier samples" in problem
    assert f"oamkit: error: history: {damaged}: " in as_json.stderr

    nagios = _check(env, lab_inventory, damaged, "--format", "nagios")
    assert nagios.returncode == 3 or nagios.returncode == report["nagios_code"] != 0, nagios.stdout
    status_line, *long_output = nagios.stdout.splitlines()
    assert f"history: {damaged}: " in status_line and "not a database" in status_line
    assert any(line.startswith(f"UNKNOWN: history: {damaged}: ") for line in long_output)
    assert f"'{HOST}/GigabitEthernet0/1_crc'" in status_line or "problem(s)" in status_line

    table = _check(env, lab_inventory, damaged)
    assert table.returncode == 3 and HOST in table.stdout and "UNKNOWN history:" in table.stdout

    junit_file = tmp_path / "check.xml"
    junit = _check(env, lab_inventory, damaged, "--format", "junit", "--output", str(junit_file))
    assert junit.returncode == 3, junit.stderr
    suites = {s.get("name"): s for s in ET.parse(junit_file).getroot()}
    assert set(suites) == {HOST, "oamkit history"}
    error = suites["oamkit history"].find("testcase/error")
    assert str(damaged) in error.get("message") and "not a database" in error.get("message")

    prom_file = tmp_path / "oamkit.prom"
    prom = _check(env, lab_inventory, damaged, "--format", "prometheus", "--output", str(prom_file))
    assert prom.returncode == 3 and str(damaged) in prom.stderr, prom.stderr
    families = {f.name: f for f in text_string_to_metric_families(prom_file.read_text())}
    assert families["oamkit_check_history_written"].samples[0].value == 0
    assert families["oamkit_check_overall_status"].samples[0].value >= 2
    assert any(s.labels["host"] == HOST for s in families["oamkit_check_status"].samples)
    for run in (as_json, nagios, table, junit, prom):
        assert "Traceback" not in run.stderr, run.stderr
    assert damaged.read_bytes().startswith(b"this is no SQLite file")   # left as it was found


def test_a_damaged_history_still_lists_what_collect_read(lab, lab_inventory, damaged, tmp_path):
    run = _run(_env(lab, tmp_path), lab_inventory, damaged, "collect", "--json")
    out = json.loads(run.stdout)
    assert run.returncode == 3 and out["exit_code"] == 3 and out["ok"] is False, run.stdout
    assert [(h["host"], h["outcome"]) for h in out["hosts"]] == [(HOST, "ok")]
    assert out["history_problem"].startswith(f"{damaged}: ") and "not a database" in out["history_problem"]
    table = _run(_env(lab, tmp_path), lab_inventory, damaged, "collect")
    assert table.returncode == 3 and "NOT STORED" in table.stdout and HOST in table.stdout
    assert "Traceback" not in run.stderr + table.stderr


def test_a_full_disk_under_the_history_still_judges_with_its_earlier_samples(lab, lab_inventory, history, tmp_path):
    env = _env(lab, tmp_path)
    time.sleep(1.2)   # past error_rate.min_interval (1 s) since the first check's sample
    # stdout is a pipe, not a file: the size limit is the database's only
    as_json = _check(env, lab_inventory, history, "--json", limit_kb=4)
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 3 and report["exit_code"] == 3, as_json.stdout + as_json.stderr
    problem = report["history_problem"]
    assert problem.startswith(f"{history}: the history database cannot be written: "), problem
    assert "disk" in problem and "not an oamkit history database" not in problem
    assert "judged with earlier samples as read from it" in problem
    rate = _rules(report)[("GigabitEthernet0/1", "error_rate")]
    # the first check's sample was read from the file: a rate, not "needs two samples"
    assert "interval_s" in rate["perfdata"], rate["message"]
    nagios = _check(env, lab_inventory, history, "--format", "nagios", limit_kb=4)
    assert nagios.returncode != 0 and "history: " in nagios.stdout.splitlines()[0], nagios.stdout
    assert "Traceback" not in as_json.stderr + nagios.stderr
    # the file was not damaged: the next run with room judges again, and stores
    again = _check(env, lab_inventory, history, "--json")
    assert again.returncode in (0, 1) and json.loads(again.stdout)["history_problem"] is None


def test_a_read_only_history_reports_the_devices_naming_the_file(lab, lab_inventory, history, tmp_path):
    db = tmp_path / "ro" / "history.sqlite"
    db.parent.mkdir()
    shutil.copy(history, db)
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i (root on a file system with attributes) makes the read-only file")
    try:
        as_json = _check(_env(lab, tmp_path), lab_inventory, db, "--json")
    finally:
        subprocess.run(["chattr", "-i", str(db)])
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 3 and report["exit_code"] == 3, as_json.stdout + as_json.stderr
    assert [h["host"] for h in report["hosts"]] == [HOST]
    assert str(db) in report["history_problem"] and "read-only" in report["history_problem"]
