"""See what was sent (issue #19, 7): `--session-log DIR` writes every line sent to and received
from each device into DIR/<host>.log (SSH CLI on both drivers, and NETCONF RPCs and replies),
never a secret; `--debug` does the same into a private folder of the state dir and logs on
stderr, masked too."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from oamkit.transport import sessionlog


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def oamkit(env, *args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=240)


def secrets_of(lab) -> set[str]:
    return {lab.password, lab.enable_secret}


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_push_over_ssh_logs_each_host_sent_and_received_and_no_secret(lab, tmp_path, env, driver):
    inventory = lab.write_inventory(tmp_path / "inventory", ssh_driver=driver)
    logs = tmp_path / "logs"
    result = oamkit(env, "push", "-i", str(inventory), "--session-log", str(logs),
                    "--confirm-timeout", "600")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in logs.iterdir()) == sorted(f"{n}.log" for n in lab.devices)
    ios = (logs / "ios-1.log").read_text()
    # what oamkit sent, and what the device answered (its prompt, its running config)
    assert "ssh > ethernet oam link-monitor receive-crc threshold low 3000" in ios
    assert "ssh > interface GigabitEthernet0/1" in ios
    assert "ssh < ios-1(config-if)#" in ios or "ssh < ios-1(config" in ios, ios[-3000:]
    assert "ssh < interface GigabitEthernet0/1" in ios, "the device's show output is logged"
    assert "session opened: ssh admin@127.0.0.1" in ios
    junos = (logs / "junos-1.log").read_text()
    assert "ssh > commit confirmed" in junos, junos[-3000:]
    for path in logs.iterdir():
        text = path.read_text()
        assert not any(s in text for s in secrets_of(lab)), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not any(s in result.stdout + result.stderr for s in secrets_of(lab))


def test_push_over_netconf_logs_rpcs_and_replies(lab, tmp_path, env):
    inventory = lab.write_inventory(tmp_path / "inventory")
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    hosts["xr-1"]["data"]["transport"] = "netconf"
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    logs = tmp_path / "logs"
    result = oamkit(env, "push", "-i", str(inventory), "--limit", "xr-1", "--session-log",
                    str(logs), "--confirm-timeout", "600")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in logs.iterdir()] == ["xr-1.log"]
    text = (logs / "xr-1.log").read_text()
    sent = [line for line in text.splitlines() if " netconf > " in line]
    received = [line for line in text.splitlines() if " netconf < " in line]
    assert any("<edit-config" in line or ":edit-config" in line for line in sent), text[:3000]
    assert any("<commit" in line or ":commit" in line for line in sent), text[:3000]
    assert any("threshold-high" in line for line in sent)
    assert any("<rpc-reply" in line or ":rpc-reply" in line for line in received), text[:3000]
    assert any("<ok/>" in line or ":ok/>" in line for line in received)
    assert any("hello" in line for line in received), "the device's hello"
    assert lab.password not in text


def test_debug_logs_into_a_private_state_folder_and_stderr_without_secrets(lab, lab_inventory, env):
    result = oamkit(env, "diff", "-i", str(lab_inventory), "--limit", "ios-1", "--debug")
    assert result.returncode == 0, result.stderr[-3000:]
    root = Path(env["OAMKIT_STATE_DIR"]) / "session-logs"
    [folder] = list(root.iterdir())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    log = folder / "ios-1.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "ssh > show running-config" in log.read_text()
    assert "DEBUG" in result.stderr and "paramiko" in result.stderr, result.stderr[-2000:]
    assert lab.password not in result.stderr and lab.password not in log.read_text()


def test_a_secret_the_device_echoes_is_masked_even_across_reads(tmp_path):
    """The device may echo a secret (a config line holding a key); it can arrive in two reads."""
    log = sessionlog.SessionLog(tmp_path / "r1.log", "ssh", secrets=("s3cr3t-pw",))
    log.sent("username x secret s3cr3t-pw\n")
    log.received("r1(config)#username x secret s3c")
    log.received("r3t-pw\nr1(config)#")
    log.close()
    text = (tmp_path / "r1.log").read_text()
    assert "s3c" not in text.replace("secret ********", "") and text.count("********") == 2, text


@pytest.mark.parametrize("host", ["../escape", "a/b", "..", ".", ""])
def test_host_names_cannot_lead_outside_the_folder(tmp_path, host):
    from oamkit.errors import InputError

    with pytest.raises(InputError):
        sessionlog.path_for(tmp_path / "logs", host)


def test_a_host_name_with_an_at_sign_is_a_file_of_its_own_name(tmp_path):
    assert sessionlog.path_for(tmp_path, "edge@ams") == (tmp_path / "edge@ams.log").resolve()


def test_the_debug_formatter_masks_every_secret_a_session_registered():
    import logging

    sessionlog.add_secret("debug-pw-123")
    record = logging.LogRecord("paramiko.transport", logging.DEBUG, __file__, 1,
                               "auth with %s", ("debug-pw-123",), None)
    line = sessionlog.MaskingFormatter("%(name)s: %(message)s").format(record)
    assert line == "paramiko.transport: auth with ********"


def test_a_link_planted_where_a_log_goes_stops_the_run_before_any_login(lab, lab_inventory, env, tmp_path):
    # found after the login (the password had gone to the device), as a host's "internal
    # error" naming the host name, while the other hosts went on
    folder = tmp_path / "logs"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    (folder / "ios-1.log").symlink_to(victim)
    before = {name: len(d.transcript) for name, d in lab.devices.items()}
    result = oamkit(env, "diff", "-i", str(lab_inventory), "--session-log", str(folder))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "ios-1.log" in result.stderr and "symbolic link" in result.stderr, result.stderr
    assert {name: len(d.transcript) for name, d in lab.devices.items()} == before
    assert victim.read_text() == "not yours\n"


def test_enabled_blocks_in_threads_share_one_folder_and_put_back_what_they_found(tmp_path, monkeypatch):
    # each block saved and restored the process's variable: overlapping blocks in two threads
    # sent one thread's logs to the other's folder and left logging on after both had ended
    import threading

    from oamkit.errors import InputError

    monkeypatch.delenv(sessionlog.ENV, raising=False)
    inside, release = threading.Event(), threading.Event()

    def hold():
        with sessionlog.enabled(tmp_path / "a"):
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    with sessionlog.enabled(tmp_path / "a"):          # the same folder: shared
        assert sessionlog.directory() == tmp_path / "a"
    assert sessionlog.directory() == tmp_path / "a"   # the other block still runs
    with pytest.raises(InputError, match="already go to"):
        with sessionlog.enabled(tmp_path / "b"):
            pass
    release.set()
    holder.join(10)
    assert sessionlog.directory() is None
