"""A push does not go over a host whose last change oamkit never finished. Two outside
reviewers found:

(a) after a push killed (SIGKILL) while an IOS host was mid-change, its revert timer armed, the
    next push read the device, found it equal to the intent, said `unchanged` and confirmed
    nothing: the revert timer then silently took the change off the device;
(b) a push over a host left `failed-needs-attention` (its revert timer pending) confirmed that
    half change, backed the half state up as the state to go back to, and said `changed`.

Now such a host is refused (error, exit 1, nothing sent) with a message naming the host, the
change, what is known and the way out; `oamkit diff` warns the same way; a rollback of that
change resolves it, and so does `push --over-unfinished`. Against the lab over real SSH, the
devices' timers at real speed so that no revert timer fires during a test."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oamkit.lab.server import Lab

from .test_change_engine import CONFIG_WORDS, oamkit, running_text
from .test_killed_push import journal_states

pytestmark = pytest.mark.lab


@pytest.fixture
def slow_lab(tmp_path):
    running = Lab(devices=4, time_scale=1).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def env(tmp_path, slow_lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": slow_lab.password}


def push(env, inventory, *extra):
    result = oamkit(env, "push", "-i", str(inventory), "--json", "--limit", "ios-1", *extra)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)["hosts"][0]


def sessions_since(device, sent: int) -> list:
    """Logins and sessions on the device after its first `sent` transcript entries (a session
    that ends later still writes its `exit` there: not a new one)."""
    before = {e.session_id for e in device.transcript[:sent]}
    return [e for e in device.transcript[sent:] if e.text.startswith("auth ")
            or e.session_id not in before]


def refused(env, inventory, device, change_id: str, known: str) -> None:
    """A push refuses the host, sends it nothing and says why and what to do; a diff warns."""
    sent = len(device.transcript)
    code, host = push(env, inventory)
    assert code == 1 and host["outcome"] == "error", host
    assert not sessions_since(device, sent), "nothing may be sent to a refused host, not even a login"
    message = host["error"]
    assert message.startswith(f"ios-1: its last change {change_id} (push) is unfinished"), message
    assert known in message, message
    assert "Nothing was sent to this host" in message
    assert f"oamkit rollback --change {change_id} --limit ios-1" in message, message
    assert "--over-unfinished" in message, message

    table = oamkit(env, "push", "-i", str(inventory), "--limit", "ios-1")
    assert table.returncode == 1 and "is unfinished" in table.stdout, table.stdout + table.stderr
    assert not sessions_since(device, sent), "nor by the push without --json"

    diff = oamkit(env, "diff", "-i", str(inventory), "--json", "--limit", "ios-1")
    assert diff.returncode == 0, diff.stdout + diff.stderr
    shown, = json.loads(diff.stdout)["hosts"]
    assert any(f"its last change {change_id} (push) is unfinished" in note and known in note
               for note in shown["notes"]), shown
    assert not [e.text for e in device.transcript[sent:]
                if e.direction == "in" and CONFIG_WORDS.match(e.text.strip())], "a diff sends no configuration"


def resolved_by_rollback(env, inventory, device, change_id: str, original: str) -> None:
    done = oamkit(env, "rollback", "--change", change_id, "--limit", "ios-1", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert running_text(device) == original and not device.confirm_pending
    code, host = push(env, inventory, "--confirm-timeout", "600")
    assert code == 0 and host["outcome"] == "changed", host
    assert not device.confirm_pending, "the push confirmed its own change"
    code, host = push(env, inventory)
    assert code == 0 and host["outcome"] == "unchanged", host


def killed_push(env, inventory, lab) -> str:
    """A push of ios-1 killed (SIGKILL) while the host is changing; its change id."""
    lab.set_faults("ios-1", command_delay=0.2)
    run = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "push", "-i", str(inventory),
                            "--json", "--limit", "ios-1", "--confirm-timeout", "600"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    state = Path(env["OAMKIT_STATE_DIR"])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and journal_states(state).get("ios-1") != "changing":
            time.sleep(0.05)
        time.sleep(1.0)   # a few configuration lines in
        assert run.poll() is None, "the push ended before it could be killed"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    lab.set_faults("ios-1", command_delay=0.0)
    listing = json.loads(oamkit(env, "changes", "--json").stdout)
    killed, = listing
    assert killed["state"] == "interrupted" and killed["hosts"] == {"ios-1": "changing"}, killed
    return killed["id"]


def test_a_host_a_killed_push_caught_mid_change_is_refused_until_rolled_back(slow_lab, tmp_path, env):
    lab, device = slow_lab, slow_lab.device("ios-1")
    inventory = lab.write_inventory(tmp_path / "inventory")
    original = running_text(device)
    change_id = killed_push(env, inventory, lab)
    assert device.confirm_pending, "the killed push left its revert timer armed"
    refused(env, inventory, device, change_id, "caught mid-change by a killed run")
    assert device.confirm_pending, "the refusal must not have confirmed the pending change"
    resolved_by_rollback(env, inventory, device, change_id, original)


def test_a_host_a_killed_push_caught_mid_change_is_pushed_with_over_unfinished(slow_lab, tmp_path, env):
    lab, device = slow_lab, slow_lab.device("ios-1")
    inventory = lab.write_inventory(tmp_path / "inventory")
    change_id = killed_push(env, inventory, lab)
    # the engineer checks the device by hand and settles its revert timer (`configure confirm`):
    # the flag says so; oamkit pushes the device as it finds it
    assert device.confirm_pending
    device.confirm()
    code, host = push(env, inventory, "--over-unfinished")
    assert code == 0 and host["outcome"] in ("changed", "unchanged"), host
    assert any(f"over its unfinished change {change_id}" in n for n in host["notes"]), host
    assert not device.confirm_pending, host
    code, host = push(env, inventory)   # resolved: the next push goes through without the flag
    assert code == 0 and host["outcome"] == "unchanged", host


def needs_attention(env, inventory, lab) -> str:
    """ios-1 dropped mid-change and locked out: failed-needs-attention, revert timer pending."""
    lab.set_faults("ios-1", drop_after_commands=20, refuse_auth_after_drop=True)
    code, host = push(env, inventory, "--confirm-timeout", "600")
    assert code == 3 and host["outcome"] == "failed-needs-attention", host
    assert "its revert timer (10 min)" in host["detail"]
    lab.set_faults("ios-1", drop_after_commands=None, refuse_auth_after_drop=False, refuse_auth=False)
    return json.loads(oamkit(env, "changes", "--json").stdout)[-1]["id"]


def test_a_host_left_needing_attention_is_refused_until_rolled_back(slow_lab, tmp_path, env):
    lab, device = slow_lab, slow_lab.device("ios-1")
    inventory = lab.write_inventory(tmp_path / "inventory")
    original = running_text(device)
    change_id = needs_attention(env, inventory, lab)
    assert device.confirm_pending and running_text(device) != original
    refused(env, inventory, device, change_id, "its revert timer (10 min)")
    assert device.confirm_pending, "the device's own self-revert must still be pending"
    resolved_by_rollback(env, inventory, device, change_id, original)


def test_a_host_left_needing_attention_is_pushed_with_over_unfinished(slow_lab, tmp_path, env):
    lab, device = slow_lab, slow_lab.device("ios-1")
    inventory = lab.write_inventory(tmp_path / "inventory")
    change_id = needs_attention(env, inventory, lab)
    code, host = push(env, inventory, "--over-unfinished", "--confirm-timeout", "600")
    assert code == 0 and host["outcome"] == "changed", host
    assert any(f"over its unfinished change {change_id}" in n for n in host["notes"]), host
    assert not device.confirm_pending
    code, host = push(env, inventory)
    assert code == 0 and host["outcome"] == "unchanged", host


def test_a_refused_push_does_not_count_as_finishing_the_change(slow_lab, tmp_path, env):
    """The refusing push's own record (error) is no later change of the host: the next push
    is refused too, and other hosts of the same push go through."""
    lab, device = slow_lab, slow_lab.device("ios-1")
    inventory = lab.write_inventory(tmp_path / "inventory")
    change_id = needs_attention(env, inventory, lab)
    first = oamkit(env, "push", "-i", str(inventory), "--json", "--limit", "ios-1,xr-1")
    hosts = {h["host"]: h for h in json.loads(first.stdout)["hosts"]}
    assert first.returncode == 1 and hosts["ios-1"]["outcome"] == "error", hosts
    assert hosts["xr-1"]["outcome"] == "changed", hosts
    refused(env, inventory, device, change_id, "its revert timer (10 min)")
