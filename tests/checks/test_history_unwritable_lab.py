"""A history database that cannot be written (read-only, disk full): `oamkit check` says so,
naming the file, with exit 3 (Nagios UNKNOWN) and, for --json, the JSON error document; never
a traceback, never exit 0 or 1 (the systemd unit takes 1 for success), never "not an oamkit
history database" (an operator might delete it). Against the lab over real SSH."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

HOST = "ios-1"


def _env(lab, tmp_path):
    return {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def _check(env, inventory, db, *args, limit_kb=None):
    cmd = [sys.executable, "-m", "oamkit.cli", "check", "-i", str(inventory), "--limit", HOST,
           "--db", str(db), *args]
    if limit_kb is not None:   # the shell's file size limit stands for a full disk
        cmd = ["bash", "-c", f'ulimit -f {limit_kb}; exec "$@"', "bash", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)


@pytest.fixture
def history(lab, lab_inventory, tmp_path):
    db = tmp_path / "real" / "history.sqlite"
    first = _check(_env(lab, tmp_path), lab_inventory, db, "--format", "nagios")
    assert first.returncode in (0, 1, 2), first.stdout + first.stderr   # judged: a real history
    return db


def test_a_read_only_history_is_exit_3_naming_the_file_in_every_format(lab, lab_inventory, history, tmp_path):
    db = tmp_path / "ro" / "history.sqlite"
    db.parent.mkdir()
    shutil.copy(history, db)
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i (root on a file system with attributes) makes the read-only file")
    env = _env(lab, tmp_path)
    try:
        as_json = _check(env, lab_inventory, db, "--json")
        nagios = _check(env, lab_inventory, db, "--format", "nagios")
        junit = _check(env, lab_inventory, db, "--format", "junit", "--output", str(tmp_path / "j.xml"))
        prom_file = tmp_path / "oamkit.prom"
        prom_file.write_text("old\n")
        prom = _check(env, lab_inventory, db, "--format", "prometheus", "--output", str(prom_file))
    finally:
        subprocess.run(["chattr", "-i", str(db)])
    error = json.loads(as_json.stdout)
    assert as_json.returncode == 3 and error["exit_code"] == 3 and error["ok"] is False
    assert "schema_version" in error
    assert str(db) in error["error"] and "read-only" in error["error"]
    assert nagios.returncode == 3, nagios.stdout + nagios.stderr
    assert nagios.stdout.startswith(f"OAMKIT UNKNOWN - error: {db}: the history database cannot "
                                    "be written: it is read-only")
    for run in (as_json, nagios, junit, prom):
        assert "Traceback" not in run.stderr, run.stderr
    assert junit.returncode == 3 and str(db) in junit.stderr and "read-only" in junit.stderr
    assert prom.returncode == 3 and "read-only" in prom.stderr


def test_a_full_disk_under_the_history_is_exit_3_not_a_damaged_database(lab, lab_inventory, history, tmp_path):
    env = _env(lab, tmp_path)
    nagios = _check(env, lab_inventory, history, "--format", "nagios", limit_kb=4)
    assert nagios.returncode == 3, nagios.stdout + nagios.stderr
    line = nagios.stdout.splitlines()[0]
    assert line.startswith(f"OAMKIT UNKNOWN - error: {history}: the history database cannot be written: ")
    assert "not an oamkit history database" not in line and "disk" in line
    as_json = _check(env, lab_inventory, history, "--json", limit_kb=4)
    error = json.loads(as_json.stdout)
    assert as_json.returncode == 3 and error["exit_code"] == 3 and "schema_version" in error
    assert "Traceback" not in nagios.stderr + as_json.stderr
    # the file was not damaged: the next run with room judges again
    assert _check(env, lab_inventory, history, "--format", "nagios").returncode in (0, 1, 2)
