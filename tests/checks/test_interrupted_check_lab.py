"""Ctrl-C during `check --format json`: the process exits 130 and the JSON report says 130 as
well (valid against docs/schema/check.schema.json), with the hosts read so far."""
from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jsonschema

from tests.checks.test_check_lab import env  # noqa: F401

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema" / "check.schema.json"
READ = ("ios-1", "xr-1", "vrp-1")


def _stored(db: Path) -> set:
    if not db.exists():
        return set()
    con = sqlite3.connect(db, timeout=30)
    try:
        return {r[0] for r in con.execute("SELECT DISTINCT host FROM snapshots WHERE ok=1")}
    except sqlite3.OperationalError:   # the schema not written yet
        return set()
    finally:
        con.close()


def test_ctrl_c_exit_code_and_json_agree(lab, lab_inventory, env):  # noqa: F811
    db = Path(env["OAMKIT_STATE_DIR"]) / "history.sqlite"
    lab.set_faults("junos-1", hang=True)   # the run waits for it (its deadline) when interrupted
    # SIGINT at its default even when this test runs in a shell's background job
    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "check", "-i", str(lab_inventory),
                             "--format", "json", "--timeout", "15"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        until = time.monotonic() + 30
        while not set(READ) <= _stored(db) and time.monotonic() < until and proc.poll() is None:
            time.sleep(0.2)
        assert set(READ) <= _stored(db) and proc.poll() is None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err[-2000:])
    report = json.loads(out)
    assert report["exit_code"] == 130, report["exit_code"]
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(report)
    assert {h["host"] for h in report["hosts"]} >= set(READ)
