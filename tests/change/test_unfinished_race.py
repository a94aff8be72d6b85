"""A push refuses a host whose previous change became unfinished after the push started.

A push checks every host for an unfinished change before it touches any (test_unfinished_change).
A change still running in another process is not unfinished then: its host lock will answer
for it. But if that process is killed while the new push is busy with other hosts, the host lock
is free again when the new push reaches the host: before this fix the new push took the dead
run's lock over and pushed over its half change (its revert timer still pending on the device,
to take the new change off as well a few minutes later). Now the push looks again when it takes
over a dead process's lock, and refuses the host as the check at its start would have.

Over real SSH against the lab: run A pushes ios-2 slowly; run B pushes ios-1 (slow) then ios-2,
one host at a time; A is killed (SIGKILL) mid-change while B is on ios-1."""
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

from .test_killed_push import host_states_in
from .test_unfinished_change import sessions_since

pytestmark = pytest.mark.lab


def host_states(state: Path) -> dict[str, dict[str, str]]:
    """change id -> host -> its last state in that change's journal."""
    return {journal.parent.name: host_states_in(journal)
            for journal in state.glob("changes/*/change.jsonl")}


def wait_for(what: str, condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def lab():
    running = Lab(devices=[("ios-1", "cisco_ios"), ("ios-2", "cisco_ios")], time_scale=1).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.timeout(240)
def test_a_host_whose_change_is_killed_while_the_push_runs_is_refused(lab, tmp_path):
    inventory = lab.write_inventory(tmp_path / "inventory")
    state = tmp_path / "state"
    env = {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(state),
           "OAMKIT_LAB_PASSWORD": lab.password}
    target = lab.device("ios-2")
    command = [sys.executable, "-m", "oamkit.cli", "push", "-i", str(inventory), "--json",
               "--confirm-timeout", "600"]

    lab.set_faults("ios-2", command_delay=0.2)
    first = subprocess.Popen([*command, "--limit", "ios-2"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
    second = None
    try:
        wait_for("run A to be changing ios-2",
                 lambda: "changing" in [h.get("ios-2") for h in host_states(state).values()])
        time.sleep(1.0)   # a few configuration lines in
        (first_id,) = host_states(state)
        lab.set_faults("ios-1", command_delay=0.3)   # B spends seconds on ios-1 before ios-2
        second = subprocess.Popen([*command, "--limit", "ios-1,ios-2", "--workers", "1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        # B has made its check for unfinished changes (A was alive) and is busy with ios-1
        wait_for("run B to be working on ios-1", lambda: any(
            change != first_id and hosts.get("ios-1") not in (None, "pending")
            for change, hosts in host_states(state).items()))
        assert first.poll() is None, "run A ended before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert target.confirm_pending, "run A left its revert timer armed on ios-2"
        sent = len(target.transcript)
        lab.set_faults("ios-2", command_delay=0.0)
        out, err = second.communicate(timeout=180)
    finally:
        for run in (first, second):
            if run is not None and run.poll() is None:
                run.kill()

    assert second.returncode == 1, out + err
    hosts = {h["host"]: h for h in json.loads(out)["hosts"]}
    assert hosts["ios-1"]["outcome"] == "changed", hosts["ios-1"]
    refusal = hosts["ios-2"]
    assert refusal["outcome"] == "error", refusal
    assert refusal["error"].startswith(f"ios-2: its last change {first_id} (push) is unfinished"), refusal
    assert "caught mid-change by a killed run" in refusal["error"]
    assert "died while this run was waiting to reach the host" in refusal["error"]
    assert f"oamkit rollback --change {first_id} --limit ios-2" in refusal["error"]
    assert not sessions_since(target, sent), "nothing may be sent to the refused host, not even a login"
    assert target.confirm_pending, "A's pending change is left for its rollback"

    # the refusal stands for the next push too, and a rollback of A settles the host
    again = subprocess.run([*command, "--limit", "ios-2"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert again.returncode == 1 and "is unfinished" in again.stdout, again.stdout + again.stderr
    undo = subprocess.run([sys.executable, "-m", "oamkit.cli", "rollback", "--change", first_id,
                           "--limit", "ios-2", "--json"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert not target.confirm_pending
