"""SIGTERM (cron, systemd, a CI timeout) mid-push or mid-rollback is taken as Ctrl-C: nothing
new starts, the hosts already started finish within their deadlines, the --json report names
every host's outcome, the exit code is 130 and the change log does not say 'interrupted'.
It ended the process on the spot (-15): no report, IOS devices left with their revert timers
armed, the change listed as interrupted."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

FINISHED = ("changed", "unchanged", "failed-rolled-back")


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def _terminated_mid_run(lab, env, *args, slow, second: int | None = None):
    """Run oamkit with the `slow` devices slowed (0.3 s a command), send SIGTERM once one of
    them has heard from it (then `second` 0.5 s later, if given); the result and the hosts it
    contacted."""
    seen = {name: len(device.transcript) for name, device in lab.devices.items()}
    for name in slow:
        lab.set_faults(name, command_delay=0.3)
    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while all(len(lab.device(n).transcript) == seen[n] for n in slow) and proc.poll() is None:
            assert time.monotonic() < deadline, "oamkit never reached a device"
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        if second is not None:
            time.sleep(0.5)
            proc.send_signal(second)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for name in slow:
        lab.set_faults(name, command_delay=0)
    contacted = {n for n, d in lab.devices.items() if len(d.transcript) > seen[n]}
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), contacted


def _check_report(result, contacted, lab):
    assert result.returncode == 130, (result.returncode, result.stdout[-1500:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["exit_code"] == 130, report
    assert report["stopped"].startswith("interrupted (SIGTERM)"), report["stopped"]
    outcomes = {h["host"]: h["outcome"] for h in report["hosts"]}
    assert set(outcomes) == set(lab.devices), outcomes   # every host named
    # the started hosts were finished (the two workers' hosts), the queued ones never started
    assert contacted and all(outcomes[h] in FINISHED for h in contacted), (contacted, outcomes)
    assert all(outcomes[h] == "not-attempted" for h in set(lab.devices) - contacted), (contacted, outcomes)
    assert "not-attempted" in outcomes.values(), "the signal landed after the run"
    return report


def _change_log(env, change_id):
    changes = subprocess.run([sys.executable, "-m", "oamkit.cli", "changes", "--json"],
                             capture_output=True, text=True, env=env, timeout=60)
    entry, = [e for e in json.loads(changes.stdout) if e["id"] == change_id]
    return entry


@pytest.mark.lab
def test_sigterm_mid_push_finishes_the_started_hosts_and_reports(lab, lab_inventory, env):
    result, contacted = _terminated_mid_run(
        lab, env, "push", "-i", str(lab_inventory), "--json", "--workers", "2",
        "--confirm-timeout", "3600", slow=list(lab.devices), second=signal.SIGTERM)
    report = _check_report(result, contacted, lab)
    # the second SIGTERM is noted as a second Ctrl-C is, and does not end the wait
    assert "already started are finishing first" in result.stderr, result.stderr[-2000:]
    entry = _change_log(env, report["change_id"])
    assert "interrupted" not in json.dumps(entry), entry


@pytest.mark.lab
def test_sigterm_mid_rollback_finishes_the_started_hosts_and_reports(lab, lab_inventory, env):
    push = subprocess.run([sys.executable, "-m", "oamkit.cli", "push", "-i", str(lab_inventory),
                           "--json"], capture_output=True, text=True, env=env, timeout=180)
    pushed = json.loads(push.stdout)
    assert push.returncode == 0 and all(h["outcome"] == "changed" for h in pushed["hosts"]), push.stdout
    # one host at a time, the last two slowed: the signal lands while junos-1 is restored.
    # (rollback has no --confirm-timeout: a slowed IOS device's revert timer, at the lab's
    # time scale, would undo its restore by itself.)
    result, contacted = _terminated_mid_run(
        lab, env, "rollback", "--change", pushed["change_id"], "-i", str(lab_inventory), "--json",
        "--workers", "1", slow=["junos-1", "vrp-1"])
    report = _check_report(result, contacted, lab)
    entry = _change_log(env, report["change_id"])
    assert "interrupted" not in json.dumps(entry), entry


@pytest.mark.lab
@pytest.mark.parametrize("command", ["collect", "check"])
def test_sigterm_mid_read_reports_and_exits_130(lab, lab_inventory, env, command):
    result, _ = _terminated_mid_run(lab, env, command, "-i", str(lab_inventory), "-l", "junos-1",
                                    "--json", slow=["junos-1"])
    assert result.returncode == 130, (result.returncode, result.stdout[-1500:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["exit_code"] == 130, report


@pytest.mark.lab
def test_sigterm_mid_playbook_fleet_step_is_named_sigterm(lab, lab_inventory, env, tmp_path):
    """The play's fleet step takes the SIGTERM; the play still says it was SIGTERM, not Ctrl-C."""
    play = tmp_path / "play.yaml"
    play.write_text("name: p\nlimit: junos-1\nsteps:\n  - collect: {}\n  - wait: 0s\n"
                    "always:\n  - wait: 0s\n")
    result, _ = _terminated_mid_run(lab, env, "run", str(play), "-i", str(lab_inventory), "--json",
                                    slow=["junos-1"])
    assert result.returncode == 130, (result.returncode, result.stdout[-1500:], result.stderr[-3000:])
    report = json.loads(result.stdout)
    assert report["stopped"] == "interrupted (SIGTERM)", report["stopped"]
    assert [(s["type"], s["status"]) for s in report["steps"]] == [
        ("collect", "failed"), ("wait", "skipped"), ("wait", "ok")], report["steps"]


@pytest.fixture
def default_sigterm():
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigterm_as_interrupt_takes_the_default_and_puts_it_back(default_sigterm):
    from oamkit.runner import sigterm_as_interrupt

    with pytest.raises(KeyboardInterrupt):
        with sigterm_as_interrupt() as received:
            with sigterm_as_interrupt() as inner:   # nested: both runs hear of it
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(1)
    assert received == inner == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigterm_as_interrupt_leaves_a_callers_handler_and_other_threads_alone(default_sigterm):
    """The exporter stops on SIGTERM by its own handler (after the check under way); API
    callers on threads handle their signals themselves."""
    import threading

    from oamkit.runner import sigterm_as_interrupt

    def own(_signum, _frame):
        pass

    signal.signal(signal.SIGTERM, own)
    with sigterm_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) is own
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    seen = []

    def on_a_thread():
        with sigterm_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=on_a_thread)
    thread.start()
    thread.join()
    assert seen == [signal.SIG_DFL]
