"""The restore step always runs to its end: a second Ctrl-C from a terminal (sent to the whole
process group, so to the restore's own process too) or a second SIGTERM (systemd, CI runners)
must not kill it; a failed restore is loud; a manual step nobody can answer is refused up front."""
import json
import os
import shlex
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.dr.conftest import needs_root


def _read_until(proc, text: str, seen: list[str], timeout: float = 60) -> bool:
    """Read the run's log (stderr) until a line holds `text`; False at the end of the log."""
    deadline = time.monotonic() + timeout
    for line in proc.stderr:
        seen.append(f"< {line}")
        if text in line:
            return True
        if time.monotonic() > deadline:
            break
    return False


def _start(argv, **kw):
    # Ctrl-C as a terminal sends it: SIGINT at its default even under a shell's background job
    return subprocess.Popen([sys.executable, "-m", "oamkit.cli", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)


def _finish(proc, seen: list[str]) -> int:
    try:
        rc = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    seen.extend(f"< {line}" for line in proc.stderr)
    return rc


@pytest.mark.wanlab
@needs_root()
@pytest.mark.parametrize("how", ["second Ctrl-C to the process group", "second SIGTERM"])
def test_a_second_signal_does_not_stop_the_restore(healthy_lab, tmp_path, how):
    from tests.dr.test_wanlab import cut_in_wan1_present

    lab = healthy_lab
    plan_dict = lab.plan(mode="drop")
    plan_dict["convergence_bound"] = "10s"
    plan_dict["min_watch"] = "10s"            # keep the watch open long enough to interrupt it
    # a slow restore: the second signal lands while it runs
    plan_dict["restore"] = {"type": "command", "command": [
        "bash", "-c", f"sleep 4; exec {shlex.join(lab.restore_command('drop'))}"]}
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(plan_dict))
    terminal = how.startswith("second Ctrl-C")
    proc = _start(["drtest", str(plan), "--report", str(tmp_path / "r")], start_new_session=terminal)

    def send():
        if terminal:    # a terminal's Ctrl-C: the whole foreground process group
            os.killpg(proc.pid, signal.SIGINT)
        else:           # kill -TERM PID
            proc.send_signal(signal.SIGTERM)

    seen: list[str] = []
    try:
        assert _read_until(proc, "trigger: ok", seen), "".join(seen)
        time.sleep(0.5)
        assert cut_in_wan1_present(lab), "".join(seen)
        send()
        assert _read_until(proc, "aborted: FAILED", seen), "".join(seen)
        time.sleep(1.0)                      # the restore is sleeping its 4 s
        send()
        rc = _finish(proc, seen)
    finally:
        if proc.poll() is None:
            proc.kill()
    log = "".join(seen)
    assert rc == 130, log
    rep = json.loads((tmp_path / "r" / "drtest.json").read_text())
    assert rep["verdict"] == "ABORTED" and rep["steps"]["restore"]["ok"], rep["steps"]["restore"]
    assert rep["error"] == ("interrupted (Ctrl-C)" if terminal else "interrupted (SIGTERM)")
    assert "received: restoring, please wait" in log, log
    assert not cut_in_wan1_present(lab), log
    lab.wait_converged(30)                   # routing back on the primary


@needs_root()
def test_a_failed_restore_after_an_abort_is_loud_and_has_its_own_exit_code(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({
        "name": "loopback", "interval": "10ms", "baseline": "1s",
        "sites": [{"name": "a", "target": "127.0.0.1"}],
        "trigger": {"type": "command", "command": ["sleep", "20"]},
        "restore": {"type": "command", "command": ["false"]}}))
    proc = _start(["drtest", str(plan), "--report", str(tmp_path / "r")])
    seen: list[str] = []
    try:
        assert _read_until(proc, "baseline: ok", seen), "".join(seen)
        proc.send_signal(signal.SIGINT)      # during the trigger: the restore runs after the early end
        rc = _finish(proc, seen)
    finally:
        if proc.poll() is None:
            proc.kill()
    log = "".join(seen)
    assert rc == 4, log
    assert "RESTORE FAILED: the primary may still be cut" in log
    rep = json.loads((tmp_path / "r" / "drtest.json").read_text())
    assert rep["verdict"] == "RESTORE FAILED" and rep["restore_failed"] and rep["status"] == "aborted"
    assert "restore failed: exit status 1 — the primary may still be cut" in rep["summary"], rep["summary"]
    assert "- restore failed: exit status 1 — the primary may still be cut" in log


@pytest.mark.parametrize("step", ["trigger", "restore"])
def test_a_manual_step_with_stdin_closed_is_refused_before_anything_is_sent(tmp_path, step):
    marker = tmp_path / "ran"
    other = {"type": "command", "command": ["touch", str(marker)]}
    body = {"name": "loopback", "interval": "10ms", "sites": [{"name": "a", "target": "127.0.0.1"}],
            "trigger": other, "restore": other}
    body[step] = {"type": "manual", "prompt": "press Enter"}
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(body))
    p = subprocess.run([sys.executable, "-m", "oamkit.cli", "drtest", str(plan), "--report", str(tmp_path / "r")],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    assert f"{step}.type" in p.stderr and "stdin is /dev/null" in p.stderr and "nothing was sent" in p.stderr
    assert not marker.exists() and not (tmp_path / "r" / "drtest.json").exists()
    # an operator on a pipe may answer: not refused
    p = subprocess.run([sys.executable, "-m", "oamkit.cli", "drtest", str(plan), "--check"],
                       input="\n\n", capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def test_a_hung_restore_still_ends_on_its_timeout_with_all_it_started(tmp_path):
    """Shielded from the terminal, the restore is still bounded: its timeout kills its whole
    session, also what it started in the background (a hung ssh, a sleep)."""
    from oamkit.dr.plan import parse_plan
    from oamkit.dr.steps import run_step
    from oamkit.lab.procs import pid_alive

    pidfile = tmp_path / "pid"
    step = parse_plan({"sites": [{"name": "a", "target": "127.0.0.1"}],
                       "trigger": {"type": "command", "command": ["true"]},
                       "restore": {"type": "command", "timeout": "1s", "command": [
                           "bash", "-c", f"sleep 60 & echo $! > {shlex.quote(str(pidfile))}; wait"]}}).restore
    rec = run_step(step, "restore")
    assert not rec.ok and rec.error == "timed out after 1 s"
    pid = int(pidfile.read_text())
    for _ in range(50):                      # reaped by init once killed
        if not pid_alive(pid):
            break
        time.sleep(0.1)
    try:
        assert not pid_alive(pid), "the restore's background process outlived its timeout"
    finally:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


@needs_root()
def test_a_play_whose_drtest_restore_failed_needs_attention(tmp_path):
    """In a play, a failed restore is not just "a step failed" (exit 1): the primary may still
    be cut, so the play exits 3 (needs attention) naming the step."""
    from oamkit import playbook

    (tmp_path / "plan.yaml").write_text(yaml.safe_dump({
        "name": "loopback", "interval": "10ms", "baseline": "1s",
        "sites": [{"name": "a", "target": "127.0.0.1"}],
        "trigger": {"type": "command", "command": ["true"]},
        "restore": {"type": "command", "command": ["false"]}}))
    (tmp_path / "play.yaml").write_text(yaml.safe_dump({
        "name": "dr", "steps": [{"name": "dr test", "drtest": {"plan": "plan.yaml"}}]}))
    report = playbook.run(playbook.load(tmp_path / "play.yaml", {}, None))
    step = report["steps"][0]
    assert report["exit_code"] == 3 and report["needs_attention"] == ["dr test"], report
    assert step["summary"].startswith("RESTORE FAILED: restore failed: exit status 1 — the primary may still be cut")
