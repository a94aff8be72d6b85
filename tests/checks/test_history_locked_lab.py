"""Another process holding the history database: `check` still reports the devices it read, and
says so (the file, "locked") with exit 3, at least UNKNOWN under Nagios; the exporter logs it
and keeps serving its last results. The lock is held longer than the history's busy timeout (30 s), so this takes ~35 s."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from oamkit.history import BUSY_TIMEOUT
from tests.checks.test_check_lab import env  # noqa: F401
from tests.checks.test_monitoring_lab import free_port

HOLD = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _metrics(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def _wait_for(path, text: str, proc, seconds: float) -> str:
    until = time.monotonic() + seconds
    while time.monotonic() < until and proc.poll() is None:
        found = path.read_text()
        if text in found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {path}: {path.read_text()[-2000:]}")


def test_a_locked_history_still_reports_the_devices_and_the_exporter_keeps_serving(
        lab, lab_inventory, env, tmp_path):  # noqa: F811
    db = f"{env['OAMKIT_STATE_DIR']}/history.sqlite"
    port = free_port()
    err = tmp_path / "exporter.err"
    exporter = subprocess.Popen(
        [sys.executable, "-m", "oamkit.cli", "exporter", "-i", str(lab_inventory), "--limit",
         "ios-1", "--listen", f"127.0.0.1:{port}", "--interval", "3s", "--timeout", "20"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(err, "w"))
    holder = checks = None
    try:
        _wait_for(err, "run 1: ", exporter, 60)
        assert "run 1: error" not in err.read_text(), err.read_text()
        good = _metrics(port)["oamkit_check_status"].samples
        assert any(s.labels["host"] == "ios-1" for s in good)
        # the exporter is between two runs: take the database from it and from the checks
        holder = subprocess.Popen([sys.executable, "-c", HOLD, db, str(BUSY_TIMEOUT + 25)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        checks = {fmt: subprocess.Popen(
            [sys.executable, "-m", "oamkit.cli", "check", "-i", str(lab_inventory), "--format",
             fmt], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for fmt in ("json", "nagios")}
        done = {fmt: (p.communicate(timeout=BUSY_TIMEOUT + 30), p.returncode)
                for fmt, p in checks.items()}
        logged = _wait_for(err, "locked", exporter, 20)
        assert exporter.poll() is None, logged[-2000:]          # still running
        after = _metrics(port)                                   # ... and serving the last results
        assert after["oamkit_check_status"].samples == good
        assert after["oamkit_exporter_failures"].samples[0].value >= 1
        assert db in logged
    finally:
        for proc in (holder, exporter, *(checks or {}).values()):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=20)

    (out, stderr), code = done["json"]
    assert code == 3, (code, out, stderr)                       # not "1 = problems found"
    assert "Traceback" not in stderr, stderr
    report = json.loads(out)
    assert report["exit_code"] == 3 and report["hosts"], report   # the devices, judged
    problem = report["history_problem"]
    assert "locked by another process" in problem and db in problem, problem
    assert "nothing of this run is stored" in problem, problem
    (out, stderr), code = done["nagios"]
    status_line = out.splitlines()[0]
    assert code in (2, 3) and "history: " in status_line and "locked" in status_line, (out, stderr)
    assert "Traceback" not in stderr, stderr


def test_a_history_locked_in_the_middle_of_a_check_still_reports_the_host_naming_the_file(
        lab, lab_inventory, env):  # noqa: F811
    # Another process takes the database after the check opened it, while the device is being
    # read (each command 1 s late), and keeps it past the busy timeout. The host's store fails:
    # the run goes on in memory and reports the host, judged, with the error naming the file
    # (exit 3), not a traceback of sqlite3's "database is locked", and the later writes
    # (pruning) do not wait the timeout again.
    import sqlite3

    db = f"{env['OAMKIT_STATE_DIR']}/history.sqlite"
    lab.set_faults("ios-1", command_delay=1.0)
    started = time.monotonic()
    check = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "check", "-i", str(lab_inventory),
                              "--limit", "ios-1", "--format", "json", "--timeout", "120"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = None
    try:
        until = time.monotonic() + 30
        while True:   # the check's own first write (the schema) is in
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as reader:
                    if reader.execute("SELECT value FROM meta").fetchone():
                        break
            except sqlite3.Error:
                pass
            assert time.monotonic() < until and check.poll() is None, check.communicate()
            time.sleep(0.05)
        holder = subprocess.Popen([sys.executable, "-c", HOLD, db, str(BUSY_TIMEOUT + 40)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        assert check.poll() is None   # still reading the device
        out, stderr = check.communicate(timeout=2 * BUSY_TIMEOUT + 30)
        elapsed = time.monotonic() - started
    finally:
        for proc in (holder, check):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=20)
    assert check.returncode == 3, (check.returncode, out[-2000:], stderr[-2000:])
    assert "Traceback" not in stderr, stderr
    report = json.loads(out)
    assert report["exit_code"] == 3 and [h["host"] for h in report["hosts"]] == ["ios-1"], report
    assert report["hosts"][0]["taken_at"], report["hosts"][0]      # read and judged
    problem = report["history_problem"]
    assert db in problem and "locked by another process" in problem, problem
    assert "this run's writes did not all reach it" in problem, problem
    assert elapsed < 2 * BUSY_TIMEOUT, elapsed   # the store's wait only; pruning failed at once
