"""`oamkit lab up --detach` / `status` / `down` as a user runs them (subprocesses)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml
from netmiko import ConnectHandler

pytestmark = [pytest.mark.lab, pytest.mark.timeout(120)]


def oamkit(*args, env=None):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_up_detach_status_down(tmp_path):
    state = tmp_path / "state"
    inv = tmp_path / "inv"
    env = dict(os.environ)
    env.pop("OAMKIT_LAB_PASSWORD", None)
    up = oamkit("lab", "up", "--detach", "--devices", "3", "--platforms", "cisco_ios,huawei_vrp",
                "--inventory-out", str(inv), "--state-dir", str(state), "--json", env=env)
    assert up.returncode == 0, up.stderr
    desc = json.loads(up.stdout)
    try:
        # the lab's folder, log and faults are private, as oamkit's own state is
        modes = {p.name: p.stat().st_mode & 0o777 for p in (state, state / "lab.log", state / "faults.json")}
        assert modes == {"state": 0o700, "lab.log": 0o600, "faults.json": 0o600}, {k: oct(v) for k, v in modes.items()}
        assert [d["platform"] for d in desc["devices"]] == ["cisco_ios", "huawei_vrp", "cisco_ios"]
        again = oamkit("lab", "up", "--detach", "--state-dir", str(state), env=env)
        assert again.returncode == 1 and "already running" in again.stderr
        status = oamkit("lab", "status", "--state-dir", str(state), "--json", env=env)
        assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
        hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
        password = (inv / ".lab-password").read_text().strip()
        with ConnectHandler(device_type="cisco_ios", host="127.0.0.1", port=hosts["ios-1"]["port"],
                            username="admin", password=password, ssh_strict=True, system_host_keys=False,
                            alt_host_keys=True, alt_key_file=str(inv / "known_hosts")) as conn:
            assert "Cisco IOS Software" in conn.send_command("show version")
            set_fault = oamkit("lab", "fault", "ios-1", 'reject_commands=["^show version"]',
                               "--state-dir", str(state), env=env)
            assert set_fault.returncode == 0, set_fault.stderr
            deadline = time.monotonic() + 5
            while "% Invalid input" not in conn.send_command("show version") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "% Invalid input detected at '^' marker." in conn.send_command("show version")
        typo = oamkit("lab", "fault", "ios-1", "hnag=true", "--state-dir", str(state), env=env)
        assert typo.returncode == 2 and "unknown fault 'hnag'" in typo.stderr
        late = oamkit("lab", "fault", "ios-1", "ssh_algorithms=cisco-1.25", "--state-dir", str(state), env=env)
        assert late.returncode == 2 and "read when the lab starts" in late.stderr, late.stderr
    finally:
        down = oamkit("lab", "down", "--state-dir", str(state), env=env)
    assert down.returncode == 0 and f"stopped pid {desc['pid']}" in down.stdout
    status = oamkit("lab", "status", "--state-dir", str(state), env=env)
    assert status.returncode == 3 and "not running" in status.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(desc["pid"], 0)


def test_down_leaves_foreign_processes_alone(tmp_path):
    """A stale state file naming a pid that is not our lab: `down` must not signal it."""
    state = tmp_path / "state"
    state.mkdir()
    (state / "lab.json").write_text(json.dumps({"pid": os.getpid(), "proc_start": "1", "token": "not-ours",
                                                "devices": []}))
    down = oamkit("lab", "down", "--state-dir", str(state))
    assert down.returncode == 0 and "stale" in down.stdout
    assert not (state / "lab.json").exists()


def test_foreground_lab_stops_on_sigint(tmp_path):
    import signal

    state = tmp_path / "state"
    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "lab", "up", "--devices", "2",
                             "--state-dir", str(state)], stdout=subprocess.PIPE, text=True)
    try:
        assert "2 devices on 127.0.0.1" in proc.stdout.readline()
        status = oamkit("lab", "status", "--state-dir", str(state), "--json")
        assert json.loads(status.stdout)["pid"] == proc.pid
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (state / "lab.json").exists()
    assert oamkit("lab", "status", "--state-dir", str(state)).returncode == 3


def test_unknown_platform_is_bad_input(tmp_path):
    result = oamkit("lab", "up", "--platforms", "cisco_nxos", "--state-dir", str(tmp_path))
    assert result.returncode == 2 and "cisco_nxos" in result.stderr


def test_a_detached_lab_takes_ssh_profiles_from_its_faults_file(tmp_path):
    """`lab up --faults` with `ssh_algorithms`: the device offers the profile from its first
    connection (a detached lab takes other faults at run time; this one must be there at start)."""
    state, inv, faults = tmp_path / "state", tmp_path / "inv", tmp_path / "faults.yaml"
    faults.write_text("ios-1: {ssh_algorithms: cisco-1.25}\n")
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "oamkit-state")}
    env.pop("OAMKIT_LAB_PASSWORD", None)
    up = oamkit("lab", "up", "--detach", "--devices", "2", "--platforms", "cisco_ios", "--faults", str(faults),
                "--inventory-out", str(inv), "--state-dir", str(state), env=env)
    assert up.returncode == 0, up.stderr
    try:
        diff = oamkit("diff", "-i", str(inv), "--json", env=env)
        hosts = {h["host"]: h for h in json.loads(diff.stdout)["hosts"]}
        assert hosts["ios-2"]["outcome"] == "changed"
        assert hosts["ios-1"]["outcome"] == "error"
        assert "it offers diffie-hellman-group-exchange-sha1" in hosts["ios-1"]["error"]
        inventory = yaml.safe_load((inv / "hosts.yaml").read_text())
        inventory["ios-1"]["data"]["ssh"] = {**inventory["ios-1"]["data"].get("ssh", {}),
                                             "driver": "asyncssh", "legacy_algorithms": True}
        (inv / "hosts.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False))
        again = oamkit("diff", "-i", str(inv), "--limit", "ios-1", "--json", env=env)
        assert [h["outcome"] for h in json.loads(again.stdout)["hosts"]] == ["changed"], again.stdout
    finally:
        assert oamkit("lab", "down", "--state-dir", str(state), env=env).returncode == 0
