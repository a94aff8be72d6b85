"""The change engine against the lab over real SSH, every platform. Every test runs on both SSH
drivers: netmiko (the default) and `ssh.driver: asyncssh` set in the inventory's defaults."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

CONFIG_WORDS = re.compile(r"^(configure|conf t|system-view|set (?!cli )|delete |interface |ethernet oam|efm |commit)")


@pytest.fixture(params=["netmiko", "asyncssh"])
def lab_inventory(request, lab, tmp_path):
    return lab.write_inventory(tmp_path / "inventory", ssh_driver=request.param)


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def oamkit(env, *args, timeout=180):
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                            text=True, env=env, timeout=timeout)
    return result


def pushed(env, inventory, *extra):
    # The lab fixture runs device time 100x fast; 600 s of confirm window is 6 s of real time.
    result = oamkit(env, "push", "-i", str(inventory), "--json", "--confirm-timeout", "600", *extra)
    assert result.stdout, result.stderr
    return result.returncode, {h["host"]: h for h in json.loads(result.stdout)["hosts"]}


def commands_received(device) -> list[str]:
    return [e.text.strip() for e in device.transcript if e.direction == "in" and e.channel == "cli"]


def running_text(device) -> str:
    return device.running.to_text()


def test_a_run_prints_no_library_warnings(lab, lab_inventory, env):
    # asyncssh's import named cryptography's deprecated DSA classes: five warnings on stderr of
    # every run on `ssh.driver: asyncssh` (a scheduled check mails its stderr)
    result = oamkit(env, "diff", "-i", str(lab_inventory), "--limit", "ios-1")
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Warning" not in result.stderr, result.stderr


def test_diff_sends_no_configuration_command(lab, lab_inventory, env):
    result = oamkit(env, "diff", "-i", str(lab_inventory), "--json")
    assert result.returncode == 0, result.stderr
    hosts = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert set(hosts) == {"ios-1", "xr-1", "junos-1", "vrp-1"}
    assert all(h["outcome"] == "changed" and h["commands"] for h in hosts.values())
    assert "ethernet oam link-monitor receive-crc threshold low 3000" in hosts["ios-1"]["commands"]
    for device in lab.devices.values():
        received = commands_received(device)
        assert received, "the diff must have read the device"
        assert not [c for c in received if CONFIG_WORDS.match(c)], received


def test_push_then_repush_is_idempotent_on_every_platform(lab, lab_inventory, env):
    before = {name: running_text(d) for name, d in lab.devices.items()}
    code, hosts = pushed(env, lab_inventory)
    assert code == 0, hosts
    assert {h["outcome"] for h in hosts.values()} == {"changed"}
    assert "ethernet oam link-monitor receive-crc threshold low 3000" in running_text(lab.device("ios-1"))
    assert "frame threshold low 1 high 10" in running_text(lab.device("xr-1"))
    assert "efm error-frame-period period 200000" in running_text(lab.device("vrp-1"))
    assert any(running_text(d) != before[n] for n, d in lab.devices.items())
    sent_before = {n: len(commands_received(d)) for n, d in lab.devices.items()}
    code, hosts = pushed(env, lab_inventory)
    assert code == 0
    assert {h["outcome"] for h in hosts.values()} == {"unchanged"}
    for name, device in lab.devices.items():
        new = commands_received(device)[sent_before[name]:]
        assert not [c for c in new if CONFIG_WORDS.match(c)], (name, new)


# the block the rejected line was sent in, named when the line itself does not name it (the
# same line goes to every interface); none for a shared profile block or a Junos set line
@pytest.mark.parametrize("name,pattern,block", [
    ("ios-1", r"receive-crc threshold high", "(in 'interface GigabitEthernet0/1')"),
    ("xr-1", r"frame-seconds threshold", None),
    ("junos-1", r"event-thresholds frame-period ", None),
    ("vrp-1", r"efm error-frame-second threshold", "(in 'interface GigabitEthernet0/1/0')")])
def test_rejected_line_rolls_the_host_back(lab, lab_inventory, env, name, pattern, block):
    original = running_text(lab.device(name))
    lab.set_faults(name, reject_commands=[pattern])
    code, hosts = pushed(env, lab_inventory, "--limit", name)
    assert code == 1
    result = hosts[name]
    assert result["outcome"] == "failed-rolled-back", result
    assert re.search(pattern, result["error"])
    assert (block in result["error"]) if block else ("(in '" not in result["error"]), result["error"]
    assert result["device_error"]
    assert running_text(lab.device(name)) == original
    assert not lab.device(name).uncommitted(), "the candidate must not keep the half-applied change"


@pytest.mark.parametrize("name", ["xr-1", "junos-1", "vrp-1"])
def test_commit_failure_rolls_back_with_the_device_text(lab, lab_inventory, env, name):
    original = running_text(lab.device(name))
    lab.set_faults(name, commit_error=True)
    code, hosts = pushed(env, lab_inventory, "--limit", name)
    assert code == 1
    assert hosts[name]["outcome"] == "failed-rolled-back", hosts[name]
    assert running_text(lab.device(name)) == original
    assert not lab.device(name).uncommitted()


def test_session_dropped_mid_config_is_restored_on_a_new_session(lab, lab_inventory, env):
    original = running_text(lab.device("ios-1"))
    lab.set_faults("ios-1", drop_after_commands=12)
    code, hosts = pushed(env, lab_inventory, "--limit", "ios-1")
    lab.set_faults("ios-1", drop_after_commands=None)
    assert hosts["ios-1"]["outcome"] in ("failed-rolled-back", "error"), hosts["ios-1"]
    assert code == 1
    assert running_text(lab.device("ios-1")) == original


def test_a_hung_device_does_not_stall_the_fleet(lab, lab_inventory, env):
    lab.set_faults("junos-1", hang=True)
    code, hosts = pushed(env, lab_inventory, "--timeout", "8")
    assert hosts["junos-1"]["outcome"] in ("error", "failed-needs-attention"), hosts["junos-1"]
    assert {hosts[n]["outcome"] for n in ("ios-1", "xr-1", "vrp-1")} == {"changed"}
    assert code in (1, 3)


def test_canary_failure_stops_the_rollout_and_leaves_the_rest_untouched(lab, lab_inventory, env):
    untouched = {n: running_text(lab.device(n)) for n in ("xr-1", "junos-1", "vrp-1")}
    lab.set_faults("ios-1", reject_commands=["receive-crc"])
    code, hosts = pushed(env, lab_inventory, "--canary", "1")
    assert code == 1
    assert hosts["ios-1"]["outcome"] == "failed-rolled-back"
    assert {hosts[n]["outcome"] for n in untouched} == {"not-attempted"}
    for name, text in untouched.items():
        assert running_text(lab.device(name)) == text
        assert not [c for c in commands_received(lab.device(name)) if CONFIG_WORDS.match(c)]


def test_the_canary_is_the_first_host_the_change_touches(lab, lab_inventory, env):
    # ios-1, first in the inventory, already holds its intent: the canary used to be ios-1
    # (unchanged, so it "passed"), and xr-1's failure came with junos-1 and vrp-1 changed
    code, hosts = pushed(env, lab_inventory, "--limit", "ios-1")
    assert hosts["ios-1"]["outcome"] == "changed"
    untouched = {n: running_text(lab.device(n)) for n in ("junos-1", "vrp-1")}
    lab.set_faults("xr-1", reject_commands=["frame-seconds"])
    code, hosts = pushed(env, lab_inventory, "--canary", "1")
    assert code == 1
    assert [hosts[n]["outcome"] for n in ("ios-1", "xr-1", "junos-1", "vrp-1")] == [
        "unchanged", "failed-rolled-back", "not-attempted", "not-attempted"]
    for name, text in untouched.items():
        assert running_text(lab.device(name)) == text


def test_max_failures_stops_after_k_failures(lab, lab_inventory, env):
    lab.set_faults("ios-1", reject_commands=["receive-crc"])
    code, hosts = pushed(env, lab_inventory, "--batch-size", "1", "--max-failures", "1")
    assert hosts["ios-1"]["outcome"] == "failed-rolled-back"
    assert [hosts[n]["outcome"] for n in ("xr-1", "junos-1", "vrp-1")] == ["not-attempted"] * 3


def test_rollback_restores_a_past_change_and_changes_lists_it(lab, lab_inventory, env):
    original = running_text(lab.device("xr-1"))
    result = oamkit(env, "push", "-i", str(lab_inventory), "--limit", "xr-1", "--json")
    change_id = json.loads(result.stdout)["change_id"]
    assert running_text(lab.device("xr-1")) != original
    result = oamkit(env, "rollback", "--change", change_id, "-i", str(lab_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert running_text(lab.device("xr-1")) == original
    listing = json.loads(oamkit(env, "changes", "--json").stdout)
    assert [c["id"] for c in listing][0] == change_id
    assert listing[-1]["action"] == f"rollback {change_id}"


def test_the_password_never_appears_in_any_artefact(lab, lab_inventory, env, tmp_path):
    lab.set_faults("xr-1", commit_error=True)
    outputs = []
    for args in (("diff",), ("push",), ("changes",)):
        r = oamkit(env, *args, "-i", str(lab_inventory)) if args != ("changes",) else oamkit(env, "changes")
        outputs.append(r.stdout + r.stderr)
    assert all(lab.password not in text for text in outputs)
    for path in Path(env["OAMKIT_STATE_DIR"]).rglob("*"):
        if path.is_file():
            assert lab.password not in path.read_text(errors="replace"), path
    for device in lab.devices.values():
        assert all(lab.password not in e.text for e in device.transcript)


def test_unknown_host_key_is_refused_by_default(lab, lab_inventory, env):
    (lab_inventory / "known_hosts").write_text("")
    result = oamkit(env, "diff", "-i", str(lab_inventory), "--limit", "ios-1", "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert host["outcome"] == "error"
    assert "ios-1" in host["error"]
    assert not commands_received(lab.device("ios-1"))


def test_ios_push_arms_the_revert_timer_and_confirms_after_the_read_back(lab, lab_inventory, env):
    code, hosts = pushed(env, lab_inventory, "--limit", "ios-1")
    assert code == 0 and hosts["ios-1"]["outcome"] == "changed"
    received = commands_received(lab.device("ios-1"))
    armed = received.index("configure terminal revert timer 10")  # 600 s -> 10 minutes
    confirmed = received.index("configure confirm")
    last_show = max(i for i, c in enumerate(received) if c == "show running-config")
    assert armed < last_show < confirmed
    assert not lab.device("ios-1").confirm_pending


def _oam_interfaces(inventory: Path, host: str, names: list[str]) -> None:
    import yaml

    hosts_file = inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts[host]["data"]["oam"]["interfaces"] = {name: {} for name in names}
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))


@pytest.mark.parametrize("host,interfaces,missing,refusal", [
    # after a good block: the refused `interface` leaves IOS in global configuration, where
    # the block's closing `exit` leaves configuration mode, before the batch's last line
    ("ios-1", ["GigabitEthernet0/1", "GigabitEthernet0/7"], "GigabitEthernet0/7",
     "% Invalid input detected at '^' marker."),
    # the only block: system-view is left by its `quit`
    ("vrp-1", ["GigabitEthernet0/1/7"], "GigabitEthernet0/1/7", "Error: Wrong parameter found at '^' position."),
])
def test_an_interface_the_device_does_not_have_fails_the_push_at_once_and_it_rolls_back(
        lab, lab_inventory, env, host, interfaces, missing, refusal):
    # Before, the read of the batch waited for one configuration prompt per line until the
    # deadline (the device had left configuration mode), and the rollback had no time left.
    device = lab.device(host)
    original = running_text(device)
    _oam_interfaces(lab_inventory, host, interfaces)
    code, hosts = pushed(env, lab_inventory, "--limit", host, "--timeout", "60")
    assert code == 1 and hosts[host]["outcome"] == "failed-rolled-back", hosts[host]
    assert hosts[host]["error"].startswith(f"{host}: device rejected 'interface {missing}'"), hosts[host]
    assert refusal in hosts[host]["error"]
    assert running_text(device) == original


def _without_archive(device) -> None:
    """The many IOS routers whose configuration has no `archive` (the revert timer needs it)."""
    device.apply_running(lambda running: running.delete(["archive"]))


def test_ios_without_archive_refuses_the_revert_timer_and_the_push_goes_on_without_it(lab, lab_inventory,
                                                                                    env):
    device = lab.device("ios-1")
    _without_archive(device)
    code, hosts = pushed(env, lab_inventory, "--limit", "ios-1")
    assert code == 0 and hosts["ios-1"]["outcome"] == "changed", hosts["ios-1"]
    received = commands_received(device)
    refused = received.index("configure terminal revert timer 10")
    assert received[refused + 1] == "configure terminal"   # the plain way in, at once
    assert "configure confirm" not in received             # nothing armed, nothing to confirm
    assert not device.confirm_pending
    assert "ethernet oam link-monitor receive-crc" in running_text(device)


def test_ios_without_archive_rolls_a_refused_change_back_by_itself(lab, lab_inventory, env):
    """No revert timer on the device: the line it rejects mid-change leaves the lines before
    it applied, and oamkit's own inverse must take them back out."""
    device = lab.device("ios-1")
    _without_archive(device)
    original = running_text(device)
    lab.set_faults("ios-1", reject_commands=["receive-crc"])
    code, hosts = pushed(env, lab_inventory, "--limit", "ios-1")
    assert code == 1 and hosts["ios-1"]["outcome"] == "failed-rolled-back", hosts["ios-1"]
    received = commands_received(device)
    assert "configure terminal revert timer 10" in received and "configure confirm" not in received
    assert any(c.startswith("ethernet oam") for c in received)   # part of the change went in
    assert running_text(device) == original                       # and came back out


def test_ios_device_reverts_by_itself_when_the_session_dies_before_confirming(lab, lab_inventory, env):
    """The session drops mid-change and every later login is refused, so oamkit cannot put
    the device back: the revert timer it armed must restore running on the device's own."""
    import time

    device = lab.device("ios-1")
    original = running_text(device)
    lab.set_faults("ios-1", drop_after_commands=30, refuse_auth_after_drop=True)
    code, hosts = pushed(env, lab_inventory, "--limit", "ios-1")
    assert any(c.startswith("configure terminal revert timer") for c in commands_received(device))
    assert hosts["ios-1"]["outcome"] == "failed-needs-attention", hosts["ios-1"]
    assert code == 3
    assert running_text(device) != original, "the partial change is on the device until the timer fires"
    assert "undoes the change by itself: its revert timer (10 min)" in hosts["ios-1"]["detail"]
    # the report says how to see what the device held before: the backup, printed
    shown = re.search(r"oamkit changes --change (\S+) --host ios-1", hosts["ios-1"]["detail"])
    backup = oamkit(env, "changes", "--change", shown.group(1), "--host", "ios-1")
    assert backup.returncode == 0 and "interface GigabitEthernet0/1" in backup.stdout
    assert "receive-crc" not in backup.stdout
    deadline = time.monotonic() + 20   # 10 device minutes at the fixture's 100x time = 6 s
    while running_text(device) != original and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running_text(device) == original


@pytest.mark.parametrize("name,interface", [("ios-1", "GigabitEthernet0/1"), ("xr-1", "GigabitEthernet0/0/0/0"),
                                            ("junos-1", "ge-0/0/0"), ("vrp-1", "GigabitEthernet0/1/0")])
def test_health_gate_rolls_back_when_the_oam_session_stays_down(lab, lab_inventory, env, name, interface):
    policies = lab_inventory / "policies" / "standard.yaml"
    policies.write_text(policies.read_text().replace(
        "lab-standard:\n", "lab-standard:\n  require_operational: true\n  operational_wait: 2s\n"))
    for group_policy in ("lab-ios", "lab-xr", "lab-junos", "lab-huawei"):
        policies.write_text(policies.read_text().replace(
            f"{group_policy}:\n", f"{group_policy}:\n  require_operational: true\n  operational_wait: 2s\n", 1))
    original = running_text(lab.device(name))
    lab.set_peer_state(name, interface, "down")
    code, hosts = pushed(env, lab_inventory, "--limit", name)
    assert hosts[name]["outcome"] == "failed-rolled-back", hosts[name]
    assert "health gate failed" in hosts[name]["error"] and interface in hosts[name]["error"]
    assert running_text(lab.device(name)) == original
    lab.set_peer_state(name, interface, "operational")
    code, hosts = pushed(env, lab_inventory, "--limit", name)
    assert hosts[name]["outcome"] == "changed", hosts[name]


@pytest.mark.parametrize("name,interface", [("ios-1", "GigabitEthernet0/1"), ("junos-1", "ge-0/0/0")])
def test_a_health_gate_waiting_past_the_deadline_leaves_the_restore_its_time(lab, lab_inventory, env,
                                                                            name, interface):
    """The gate may wait 60 s; the host has 12. It stops early enough that a slow device
    (0.1 s per command: the change and the restore take ~3 s each) is still put back within
    the deadline (it stopped 1 s before it: the restore timed out, the device kept the change)."""
    policies = lab_inventory / "policies" / "standard.yaml"
    for policy in ("lab-standard", "lab-ios", "lab-xr", "lab-junos", "lab-huawei"):
        policies.write_text(policies.read_text().replace(
            f"{policy}:\n", f"{policy}:\n  require_operational: true\n  operational_wait: 60s\n", 1))
    original = running_text(lab.device(name))
    lab.set_peer_state(name, interface, "down")
    lab.set_faults(name, command_delay=0.1)
    code, hosts = pushed(env, lab_inventory, "--limit", name, "--timeout", "12")
    assert hosts[name]["outcome"] == "failed-rolled-back", json.dumps(hosts[name], indent=1)
    assert "health gate failed" in hosts[name]["error"] and interface in hosts[name]["error"]
    assert running_text(lab.device(name)) == original


def test_backups_are_on_disk_before_the_device_is_touched(lab, lab_inventory, env, monkeypatch):
    from oamkit import backups, engine
    from oamkit.inventory import Inventory
    from oamkit.render import plan_hosts

    monkeypatch.setenv("OAMKIT_STATE_DIR", env["OAMKIT_STATE_DIR"])
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    device = lab.device("ios-1")
    synced: dict[str, tuple[int, int]] = {}   # path -> (its size, config commands the device had)

    def spy(real):
        def sync(fd):
            real(fd)
            synced[os.readlink(f"/proc/self/fd/{fd}")] = (
                os.fstat(fd).st_size, len([c for c in commands_received(device) if CONFIG_WORDS.match(c)]))
        return sync

    monkeypatch.setattr(os, "fsync", spy(os.fsync))
    monkeypatch.setattr(os, "fdatasync", spy(os.fdatasync))
    inv = Inventory.load(lab_inventory)
    plan, = plan_hosts(inv, inv.select(limit=["ios-1"]))
    result = engine.push_host(inv, plan, time.monotonic() + 60, "test-durable", 600)
    assert result.outcome == engine.CHANGED, result
    journal = Path(result.backup)
    backups.close(journal.parent)
    size, config_commands = synced[str(journal)]
    assert config_commands == 0 and size == journal.stat().st_size, (synced, journal.stat())
    for folder in (journal.parent, journal.parent.parent):   # the new names are durable too
        assert synced[str(folder)][1] == 0, (folder, synced)
    backup = backups.read(journal.parent)["ios-1"]
    assert backup.form == "cli" and "interface GigabitEthernet0/1" in backup.managed
    assert "receive-crc" not in backup.managed   # the state before the change


def test_changes_shows_the_backups_a_change_took(lab, lab_inventory, env):
    result = oamkit(env, "push", "-i", str(lab_inventory), "--limit", "ios-1,vrp-1", "--json")
    change_id = json.loads(result.stdout)["change_id"]
    listed = oamkit(env, "changes", "--change", change_id, "--json")
    assert listed.returncode == 0, listed.stderr
    assert sorted(b["host"] for b in json.loads(listed.stdout)) == ["ios-1", "vrp-1"]
    shown = oamkit(env, "changes", "--change", change_id, "--host", "ios-1")
    assert shown.returncode == 0 and "interface GigabitEthernet0/1" in shown.stdout
    assert "receive-crc" not in shown.stdout   # before the change
    missing = oamkit(env, "changes", "--change", change_id, "--host", "xr-1")
    assert missing.returncode == 2 and "xr-1" in missing.stderr and "ios-1, vrp-1" in missing.stderr
    assert oamkit(env, "changes", "--change", "no-such-change").returncode == 2


def test_ctrl_c_finishes_the_host_mid_change_and_starts_no_other(lab, lab_inventory, env):
    import signal

    before = {name: running_text(d) for name, d in lab.devices.items()}
    for name in lab.devices:
        lab.set_faults(name, command_delay=0.1)   # a host takes seconds: time to interrupt it
    # One host at a time; SIGINT at its default, as in a terminal (see the DR Ctrl-C test).
    # 3600 s of confirm window is 36 s at the fixture's 100x device time: the slow change must
    # not outlast the revert timer (it would undo the change, and the host would roll back).
    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "push", "-i", str(lab_inventory),
                             "--json", "--workers", "1", "--confirm-timeout", "3600"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        mid_change = None
        while mid_change is None and time.monotonic() < deadline and proc.poll() is None:
            mid_change = next((n for n, d in lab.devices.items()
                               if any(CONFIG_WORDS.match(c) for c in commands_received(d))), None)
            time.sleep(0.02)
        assert mid_change, "no host started its change"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    # Ctrl-C exits 130 (as every command does); the report still says what was done
    assert proc.returncode == 130, (proc.returncode, [(h["host"], h["outcome"], h["seconds"]) for h in json.loads(out)["hosts"]], err[-800:])
    report = json.loads(out)
    assert "interrupted" in report["stopped"]
    hosts = {h["host"]: h for h in report["hosts"]}
    assert hosts[mid_change]["outcome"] == "changed", hosts[mid_change]   # finished, and reported
    assert running_text(lab.device(mid_change)) != before[mid_change]
    untouched = [n for n in lab.devices if n != mid_change]
    assert {hosts[n]["outcome"] for n in untouched} == {"not-attempted"}, hosts
    for name in untouched:
        assert running_text(lab.device(name)) == before[name], name
        assert not [c for c in commands_received(lab.device(name)) if CONFIG_WORDS.match(c)], name


def test_a_slow_device_is_changed_and_verified_like_a_fast_one(lab, lab_inventory, env):
    for name in lab.devices:
        lab.set_faults(name, command_delay=0.05)   # every answer late (~40 lines: ~2 s a host)
    result = oamkit(env, "push", "-i", str(lab_inventory), "--json", "--confirm-timeout", "3600")
    hosts = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert result.returncode == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
    again = oamkit(env, "diff", "-i", str(lab_inventory), "--json")
    assert {h["outcome"] for h in json.loads(again.stdout)["hosts"]} == {"unchanged"}


def test_a_device_too_slow_for_its_deadline_is_reported_and_reverts(lab, lab_inventory, env):
    device = lab.device("ios-1")
    original = running_text(device)
    lab.set_faults("ios-1", command_delay=0.3)   # ~40 lines: ~12 s, past a 4 s deadline
    result = oamkit(env, "push", "-i", str(lab_inventory), "--limit", "ios-1", "--json",
                    "--timeout", "4", "--confirm-timeout", "600")
    host, = json.loads(result.stdout)["hosts"]
    assert host["outcome"] == "failed-needs-attention" and "deadline" in host["error"], host
    assert "undoes the change by itself: its revert timer (10 min)" in host["detail"], host["detail"]
    lab.set_faults("ios-1", command_delay=0.0)
    deadline = time.monotonic() + 30   # the armed revert timer (10 device minutes: 6 s)
    while running_text(device) != original and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running_text(device) == original


def test_an_empty_backup_is_said_not_printed_as_a_blank_line(lab, lab_inventory, env):
    # junos-1 starts with no `protocols oam`: its backup holds nothing oamkit manages
    result = oamkit(env, "push", "-i", str(lab_inventory), "--limit", "junos-1", "--json")
    change_id = json.loads(result.stdout)["change_id"]
    shown = oamkit(env, "changes", "--change", change_id, "--host", "junos-1")
    assert shown.returncode == 0 and shown.stdout == "", shown
    assert "holds no configuration oamkit manages" in shown.stderr, shown.stderr
