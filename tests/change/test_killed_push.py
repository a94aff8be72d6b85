"""A push killed mid-flight (SIGKILL) on a 40-device lab is listed as interrupted, with each
host's last known state, and `oamkit rollback --change last` puts every device back to its
backup, read back from the lab devices themselves."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oamkit import backups, configtext
from oamkit.lab import show
from oamkit.lab.server import Lab
from oamkit.platforms import get_platform
from tests.change.test_change_engine import CONFIG_WORDS, commands_received

pytestmark = pytest.mark.lab


def managed_config(device) -> list[str]:
    """The part of a lab device's running configuration oamkit owns, read from the device
    object (no SSH, no oamkit session), as normalised lines."""
    syntax = get_platform(device.platform).config
    interfaces = set(list(device.interfaces)[:2])   # what Lab.write_inventory puts in the policy
    if syntax.style == "set":
        lines = show.junos_set_lines(device.running, ()).splitlines()
        return configtext.managed_set_lines([l.strip() for l in lines if l.strip()], syntax, interfaces)
    tree = configtext.parse_indented(device.running.to_text())
    return configtext.managed_tree(tree, syntax, interfaces).lines()


def backup_config(backup, platform: str) -> list[str]:
    syntax = get_platform(platform).config
    if syntax.style == "set":
        return configtext.parse_set(backup.managed)
    return configtext.parse_indented(backup.managed).lines()


@pytest.fixture
def big_lab(tmp_path):
    # Device time at 1/10: the 3600 s confirm window is 6 real minutes, so no revert timer or
    # confirmed commit undoes the killed change by itself during the test: the rollback must.
    lab = Lab(devices=40, time_scale=0.1).start()
    try:
        yield lab
    finally:
        lab.stop()


def journal_states(state: Path) -> dict[str, str]:
    """host -> its last state in the (first) change's journal."""
    found = list(state.glob("changes/*/change.jsonl"))
    return host_states_in(found[0]) if found else {}


def host_states_in(journal: Path) -> dict[str, str]:
    """host -> its last state in one change's journal (a line cut short by a kill is skipped)."""
    states = {}
    for line in journal.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "host" in record:
            states[record["host"]] = record["state"]
    return states


@pytest.mark.timeout(240)
def test_a_killed_push_is_listed_interrupted_and_rollback_last_restores_every_device(big_lab, tmp_path):
    lab = big_lab
    inventory = lab.write_inventory(tmp_path / "inventory")
    state = tmp_path / "state"
    env = {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(state),
           "OAMKIT_LAB_PASSWORD": lab.password}
    original = {n: d.running.to_text() for n, d in lab.devices.items()}
    for name in lab.devices:
        lab.set_faults(name, command_delay=0.03)   # a host takes ~1-2 s: the kill lands mid-run
    push = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "push", "-i", str(inventory), "--json",
                             "--workers", "8", "--confirm-timeout", "3600"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 120
        states: dict[str, str] = {}
        while time.monotonic() < deadline and push.poll() is None:
            states = journal_states(state)
            if "changed" in states.values() and "changing" in states.values():
                break
            time.sleep(0.02)
        assert push.poll() is None, "the push ended before it could be killed"
        push.send_signal(signal.SIGKILL)
        push.wait(timeout=30)
    finally:
        if push.poll() is None:
            push.kill()
    for name in lab.devices:
        lab.set_faults(name, command_delay=0.0)

    listing = json.loads(subprocess.run([sys.executable, "-m", "oamkit.cli", "changes", "--json"],
                                        capture_output=True, text=True, env=env, timeout=60).stdout)
    killed, = listing
    assert killed["state"] == "interrupted" and killed["action"] == "push", killed
    assert set(killed["hosts"]) == set(lab.devices)
    last_known = set(killed["hosts"].values())
    assert {"changing", "changed", "pending"} <= last_known, killed["hosts"]
    taken = backups.read(state / "changes" / killed["id"])
    assert {h for h, s in killed["hosts"].items() if s in ("changing", "changed", "backed-up")} == set(taken)
    half_done = [n for n, s in killed["hosts"].items() if s == "changing"
                 and lab.devices[n].running.to_text() != original[n]]
    assert half_done, "the kill must catch some host with part of the change on it"

    table = subprocess.run([sys.executable, "-m", "oamkit.cli", "changes"], capture_output=True,
                           text=True, env=env, timeout=60)
    assert "interrupted" in table.stdout and "mid-change:" in table.stdout

    rollback = subprocess.run([sys.executable, "-m", "oamkit.cli", "rollback", "--change", "last", "--json"],
                              capture_output=True, text=True, env=env, timeout=180)
    assert rollback.returncode == 0, rollback.stdout[-2000:] + rollback.stderr[-2000:]
    restored = {h["host"]: h for h in json.loads(rollback.stdout)["hosts"]}
    assert set(restored) == set(taken), "every host with a backup, and only those"
    assert all(restored[n]["outcome"] == "changed" for n in half_done), restored
    for name, device in lab.devices.items():
        if name in taken:   # read back independently, against the backup on disk
            assert managed_config(device) == backup_config(taken[name], device.platform), name
            assert not device.confirm_pending, name
        else:
            assert device.running.to_text() == original[name], name
            assert not [c for c in commands_received(device) if CONFIG_WORDS.match(c)], name
        if device.platform != "juniper_junos":   # see test_recovery: Junos keeps a bare statement
            assert device.running.to_text() == original[name], name

    sent = {n: len(commands_received(d)) for n, d in lab.devices.items()}
    again = subprocess.run([sys.executable, "-m", "oamkit.cli", "rollback", "--change", killed["id"],
                            "--json"], capture_output=True, text=True, env=env, timeout=180)
    assert again.returncode == 0
    assert {h["outcome"] for h in json.loads(again.stdout)["hosts"]} == {"unchanged"}
    for name, device in lab.devices.items():
        assert not [c for c in commands_received(device)[sent[name]:] if CONFIG_WORDS.match(c)], name
