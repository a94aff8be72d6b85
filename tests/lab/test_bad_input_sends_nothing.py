"""Bad input against a live lab: `oamkit push` stops with exit 2 and the devices see nothing —
not even a login (their transcripts stay empty)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from oamkit.lab.server import PASSWORD_ENV

pytestmark = [pytest.mark.lab, pytest.mark.timeout(120)]


def oamkit(*args, env=None):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, timeout=100, env={**os.environ, "COLUMNS": "200", **(env or {})})


def edit_hosts(inventory, change):
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    change(hosts)
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))


def transcripts(lab):
    return {name: len(dev.transcript) for name, dev in lab.devices.items()}


def test_an_injected_interface_name_reaches_no_device(lab, lab_inventory, tmp_path):
    before = transcripts(lab)
    edit_hosts(lab_inventory, lambda h: h["ios-1"]["data"]["oam"]["interfaces"].update(
        {"GigabitEthernet0/1\nhostname PWNED": {}}))
    result = oamkit("push", "-i", str(lab_inventory), "--json",
                    env={"OAMKIT_STATE_DIR": str(tmp_path / "state")})
    assert result.returncode == 2, result.stdout + result.stderr
    assert json.loads(result.stdout)["problems"][0]["host"] == "ios-1"
    assert transcripts(lab) == before
    assert not any("PWNED" in e.text for d in lab.devices.values() for e in d.transcript)


def without_passwords(*args, state):
    """`oamkit ARGS` with no password in the environment (only files can provide one)."""
    env = {k: v for k, v in os.environ.items() if k not in (PASSWORD_ENV, "OAMKIT_PASSWORD")}
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, timeout=100, env={**env, "COLUMNS": "200", "OAMKIT_STATE_DIR": state})


def test_no_password_is_exit_2_before_any_login(lab, lab_inventory, tmp_path):
    (lab_inventory / ".lab-password").unlink()
    before = transcripts(lab)
    result = without_passwords("diff", "-i", str(lab_inventory), state=str(tmp_path / "s"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "host ios-1: credentials: no password and no SSH key" in " ".join(result.stderr.split())
    assert transcripts(lab) == before


def test_a_password_file_others_can_read_is_refused(lab, lab_inventory, tmp_path):
    (lab_inventory / ".lab-password").chmod(0o644)
    before = transcripts(lab)
    result = without_passwords("push", "-i", str(lab_inventory), state=str(tmp_path / "s"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "readable by others (mode 0644)" in result.stderr
    assert transcripts(lab) == before


def test_an_empty_policy_enables_oam_and_converges_on_every_platform(lab, lab_inventory, tmp_path):
    """A policy with nothing but its name: OAM on with the platform's defaults (Junos: the bare
    link-fault-management interface statement), and a second push has nothing to do."""
    (lab_inventory / "policies" / "bare.yaml").write_text("bare: {}\n")
    edit_hosts(lab_inventory, lambda h: [entry["data"]["oam"].update({"policy": "bare"})
                                         for entry in h.values()])
    env = {"OAMKIT_STATE_DIR": str(tmp_path / "state")}
    push = oamkit("push", "-i", str(lab_inventory), "--json", env=env)
    assert push.returncode == 0, push.stdout[-3000:] + push.stderr[-2000:]
    outcomes = {h["host"]: h["outcome"] for h in json.loads(push.stdout)["hosts"]}
    assert set(outcomes.values()) == {"changed"}, outcomes
    junos = "\n".join(lab.devices["junos-1"].config_commands())
    assert "link-fault-management interface" in junos
    again = oamkit("diff", "-i", str(lab_inventory), "--json", env=env)
    assert {h["outcome"] for h in json.loads(again.stdout)["hosts"]} == {"unchanged"}, again.stdout
