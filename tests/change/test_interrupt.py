"""Ctrl-C (SIGINT) mid-run exits 130 on the long-running commands, as shells and cron expect
of an interrupted program (issue "Operators' everyday use", 8)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def _interrupted_mid_run(lab, env, *args) -> subprocess.CompletedProcess:
    lab.set_faults("junos-1", command_delay=2)     # every command now takes 2 s there
    seen = len(lab.device("junos-1").transcript)
    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        # "in its run": the slowed device has heard from this process
        while len(lab.device("junos-1").transcript) == seen and proc.poll() is None:
            assert time.monotonic() < deadline, "oamkit never reached the device"
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("command", [["push", "--confirm-timeout", "3600"], ["check"]])
def test_sigint_mid_run_exits_130(lab, lab_inventory, env, command):
    result = _interrupted_mid_run(lab, env, command[0], "-i", str(lab_inventory), "-l", "junos-1",
                                  *command[1:])
    assert result.returncode == 130, (result.returncode, result.stdout[-1500:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["collect", "facts"])
def test_sigint_mid_read_exits_130_and_reports(lab, lab_inventory, env, command):
    result = _interrupted_mid_run(lab, env, command, "-i", str(lab_inventory), "-l", "junos-1",
                                  "--json")
    assert result.returncode == 130, (result.returncode, result.stdout[-1500:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["exit_code"] == 130 and report["stopped"].startswith("interrupted")


def test_sigint_mid_playbook_exits_130_and_still_runs_the_cleanup(lab, lab_inventory, env, tmp_path):
    play = tmp_path / "play.yaml"
    play.write_text("name: p\nlimit: junos-1\nsteps:\n  - collect: {}\n  - wait: 0s\n"
                    "always:\n  - wait: 0s\n")
    result = _interrupted_mid_run(lab, env, "run", str(play), "-i", str(lab_inventory), "--json")
    assert result.returncode == 130, (result.returncode, result.stdout[-1500:], result.stderr[-3000:])
    import json

    steps = json.loads(result.stdout)["steps"]
    assert [(s["type"], s["status"]) for s in steps] == [
        ("collect", "failed"), ("wait", "skipped"), ("wait", "ok")], steps


def test_sigint_mid_probe_reports_what_was_measured_and_exits_130():
    import json

    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "probe", "127.0.0.1",
                             "--interval", "10ms", "--count", "6000", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(8)   # imported and probing (the run itself would take 60 s)
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out[-500:], err[-1500:])
    report = json.loads(out)
    assert report["interrupted"] is True and 0 < report["targets"][0]["sent"] < 6000, report["targets"]


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_a_second_ctrl_c_lets_the_started_host_finish_and_the_run_reports(lab, lab_inventory, env, driver):
    """The second Ctrl-C ended the wait for the started hosts: no report, a host on the
    asyncssh loop cut mid-change, the change log 'interrupted' about hosts that finished."""
    import json

    from oamkit.lab.server import set_ssh_driver

    set_ssh_driver(lab_inventory, driver)
    original = lab.device("junos-1").running.to_text()
    lab.set_faults("junos-1", command_delay=0.5)
    seen = len(lab.device("junos-1").transcript)
    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "push", "-i", str(lab_inventory),
                             "-l", "junos-1", "--json", "--confirm-timeout", "3600"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while len(lab.device("junos-1").transcript) == seen and proc.poll() is None:
            assert time.monotonic() < deadline, "oamkit never reached the device"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (proc.returncode, out[-1500:], err[-3000:])
    host, = json.loads(out)["hosts"]   # reported (the second Ctrl-C left no report at all)
    assert host["outcome"] in ("changed", "failed-rolled-back"), host
    assert "already started are finishing first" in err, err[-2000:]
    if host["outcome"] == "failed-rolled-back":
        assert lab.device("junos-1").running.to_text() == original
    else:
        diff = subprocess.run([sys.executable, "-m", "oamkit.cli", "diff", "-i", str(lab_inventory),
                               "-l", "junos-1", "--json"], capture_output=True, text=True, env=env,
                              timeout=120)
        assert json.loads(diff.stdout)["hosts"][0]["outcome"] == "unchanged", diff.stdout
    changes = subprocess.run([sys.executable, "-m", "oamkit.cli", "changes", "--json"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert "interrupted" not in json.dumps(json.loads(changes.stdout)[0]), changes.stdout
