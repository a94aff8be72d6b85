"""The IOS enable secret over real SSH: the lab's IOS device, given an enable secret, starts
sessions in user EXEC (`ios-1>`), rejects configuration until `enable` is answered with the
secret, and says `% Access denied` to a wrong one. oamkit enters privileged mode on both SSH
drivers with `data.credentials.enable_secret_file` (written by `Lab.write_inventory`)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from oamkit.lab.server import Lab

ENABLE_SECRET = "En4ble-s3cret-lab"


@pytest.fixture
def enable_lab(tmp_path):
    lab = Lab(devices=[("ios-1", "cisco_ios")], time_scale=0.01, enable_secret=ENABLE_SECRET).start()
    try:
        yield lab
    finally:
        lab.stop()


def oamkit(tmp_path, lab, *args):
    env = {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "OAMKIT_LAB_PASSWORD": lab.password}
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=180)


def inventory(lab, tmp_path, driver):
    return lab.write_inventory(tmp_path / "inv", ssh_driver=driver)


@pytest.mark.lab
@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_push_and_collect_enter_privileged_mode_with_the_enable_secret(enable_lab, tmp_path, driver):
    inv = inventory(enable_lab, tmp_path, driver)
    assert (inv / ".lab-enable-secret").stat().st_mode & 0o777 == 0o600
    logs = tmp_path / "session-logs"
    pushed = oamkit(tmp_path, enable_lab, "push", "-i", str(inv), "--json", "--confirm-timeout", "3600",
                    "--session-log", str(logs))
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    session_log = (logs / "ios-1.log").read_text()
    assert "> enable" in session_log      # the log shows the exchange that was sent ...
    assert ENABLE_SECRET not in session_log and enable_lab.password not in session_log   # ... masked
    dev = enable_lab.devices["ios-1"]
    assert "ethernet oam" in dev.running.to_text()
    collected = oamkit(tmp_path, enable_lab, "collect", "-i", str(inv), "--json")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    transcript = "\n".join(e.text for e in dev.transcript)
    assert "enable" in transcript   # it started unprivileged and had to enable
    for text in (pushed.stdout + pushed.stderr, collected.stdout + collected.stderr, transcript):
        assert ENABLE_SECRET not in text and enable_lab.password not in text


@pytest.mark.lab
@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_wrong_enable_secret_fails_naming_the_host_and_changes_nothing(enable_lab, tmp_path, driver):
    inv = inventory(enable_lab, tmp_path, driver)
    wrong = "Wr0ng-enable-guess"
    (inv / ".lab-enable-secret").write_text(wrong + "\n")
    before = enable_lab.devices["ios-1"].running.to_text()
    pushed = oamkit(tmp_path, enable_lab, "push", "-i", str(inv), "--confirm-timeout", "3600")
    out = pushed.stdout + pushed.stderr
    assert pushed.returncode == 1, out
    assert "ios-1" in out and "enable refused" in out, out
    assert wrong not in out and ENABLE_SECRET not in out and enable_lab.password not in out
    assert enable_lab.devices["ios-1"].running.to_text() == before
    logs = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    for log in logs:
        data = log.read_bytes()
        assert wrong.encode() not in data and ENABLE_SECRET.encode() not in data, log


@pytest.mark.lab
def test_without_the_enable_secret_the_user_exec_session_cannot_configure(enable_lab, tmp_path):
    """The lab is as harsh as IOS: no enable, no configuration (so the tests above are real)."""
    inv = inventory(enable_lab, tmp_path, "netmiko")
    groups = yaml.safe_load((inv / "groups.yaml").read_text())
    del groups["cisco_ios"]["data"]["credentials"]
    (inv / "groups.yaml").write_text(yaml.safe_dump(groups))
    pushed = oamkit(tmp_path, enable_lab, "push", "-i", str(inv), "--confirm-timeout", "3600",
                    "--timeout", "8")
    assert pushed.returncode != 0, pushed.stdout + pushed.stderr
    # said at once (not at the 8 s deadline), naming the host and what to set
    assert "ios-1: the device is in user EXEC ('ios-1>')" in pushed.stdout + pushed.stderr, \
        pushed.stdout + pushed.stderr
    assert "deadline" not in pushed.stdout + pushed.stderr
    assert "ethernet oam" not in enable_lab.devices["ios-1"].running.to_text()
