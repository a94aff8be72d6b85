"""Recovery and safety of change runs: the change journal on disk before any device is touched,
rollback of every host a change backed up (idempotent), per-device locks between runs, a
private state folder, and change ids / host names that cannot lead outside it."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.change.test_change_engine import CONFIG_WORDS, commands_received, oamkit, running_text

pytestmark = pytest.mark.lab


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def run_json(env, *args):
    result = oamkit(env, *args, "--json")
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    return result.returncode, report, {h["host"]: h for h in report["hosts"]}


def config_commands(device) -> list[str]:
    return [c for c in commands_received(device) if CONFIG_WORDS.match(c)]


def sessions(device) -> set[int]:
    return {e.session_id for e in device.transcript if e.direction == "in"}


def assert_restored(lab, env, change_id, original):
    """Every device's managed configuration, read from the lab device itself, equals the
    backup the change took; and its whole running configuration is the original, except on
    Junos: restoring by inverse delta (rollback --change) leaves the bare
    `protocols oam ethernet link-fault-management` statement, outside what oamkit manages."""
    from oamkit import backups
    from tests.change.test_killed_push import backup_config, managed_config

    taken = backups.read(Path(env["OAMKIT_STATE_DIR"]) / "changes" / change_id)
    for name, device in lab.devices.items():
        assert managed_config(device) == backup_config(taken[name], device.platform), name
        if device.platform != "juniper_junos":
            assert running_text(device) == original[name], name


# ---------------------------------------------------------------------------- the journal
def test_the_change_is_journalled_before_the_first_device_is_touched(lab, lab_inventory, tmp_path,
                                                                       monkeypatch):
    from typer.testing import CliRunner

    from oamkit.cli import app
    from oamkit.transport.ssh import SshSession

    state = tmp_path / "state"
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(state))
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    synced: set[str] = set()
    real_fsync = os.fsync

    def fsync_spy(fd):
        real_fsync(fd)
        synced.add(os.readlink(f"/proc/self/fd/{fd}"))

    def journal() -> tuple[Path, list[dict]]:
        path, = state.glob("changes/*/change.jsonl")
        return path, [json.loads(line) for line in path.read_text().splitlines()]

    opened, configured = [], []
    real_open, real_configure = SshSession.open.__func__, SshSession.configure

    def open_spy(cls, inventory, host, deadline):
        path, records = journal()
        opened.append((host.name, records[0], str(path) in synced, str(path.parent) in synced))
        return real_open(cls, inventory, host, deadline)

    def configure_spy(self, commands, *args, **kwargs):
        _, records = journal()
        configured.append((self.host.name, records))
        return real_configure(self, commands, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync_spy)
    monkeypatch.setattr(SshSession, "open", classmethod(open_spy))
    monkeypatch.setattr(SshSession, "configure", configure_spy)
    result = CliRunner().invoke(app, ["push", "-i", str(lab_inventory), "--json",
                                      "--confirm-timeout", "600"])
    assert result.exit_code == 0, result.output
    assert len(opened) == 4
    for host, first, file_synced, folder_synced in opened:
        assert first["state"] == "in-progress" and first["action"] == "push", first
        assert sorted(first["hosts"]) == ["ios-1", "junos-1", "vrp-1", "xr-1"]
        assert first["inventory"] == str(lab_inventory) and first["pid"] == os.getpid()
        assert file_synced and folder_synced, (host, synced)
    assert {host for host, _ in configured} == {"ios-1", "junos-1", "vrp-1", "xr-1"}
    for host, records in configured:   # the host's own state, before its first config line
        assert {"host": host, "state": "changing"}.items() <= next(
            r for r in records if r.get("host") == host).items(), (host, records)
    _, records = journal()
    assert records[-1]["state"] == "done" and set(records[-1]["hosts"].values()) == {"changed"}
    assert [r["id"] for r in json.loads(CliRunner().invoke(app, ["changes", "--json"]).output)] == \
        [records[0]["id"]]


def test_rollback_last_restores_a_needs_attention_host_and_running_it_twice_sends_nothing(
        lab, lab_inventory, env):
    original = {n: running_text(d) for n, d in lab.devices.items()}
    # ios-1's session drops mid-change and it cannot be reached again: needs attention.
    # 3600 s of revert timer is 36 s at the fixture's 100x time: our rollback must do it.
    lab.set_faults("ios-1", drop_after_commands=30, refuse_auth_after_drop=True)
    code, push, hosts = run_json(env, "push", "-i", str(lab_inventory), "--confirm-timeout", "3600")
    assert code == 3 and hosts["ios-1"]["outcome"] == "failed-needs-attention", hosts["ios-1"]
    assert {hosts[n]["outcome"] for n in ("xr-1", "junos-1", "vrp-1")} == {"changed"}
    assert running_text(lab.device("ios-1")) != original["ios-1"]
    lab.set_faults("ios-1", drop_after_commands=None, refuse_auth_after_drop=False, refuse_auth=False)

    code, report, hosts = run_json(env, "rollback", "--change", "last")   # no -i: the change's own
    assert code == 0, report
    assert report["change_id"] != push["change_id"]
    assert {h: r["outcome"] for h, r in hosts.items()} == {n: "changed" for n in original}
    assert hosts["ios-1"]["commands"], "ios-1 differed from its backup and was restored"
    assert_restored(lab, env, push["change_id"], original)
    assert not lab.device("ios-1").confirm_pending, "the dead session's revert timer is settled"

    sent = {n: len(config_commands(d)) for n, d in lab.devices.items()}
    code, _, hosts = run_json(env, "rollback", "--change", push["change_id"])
    assert code == 0 and {r["outcome"] for r in hosts.values()} == {"unchanged"}, hosts
    assert {n: len(config_commands(d)) for n, d in lab.devices.items()} == sent
    assert_restored(lab, env, push["change_id"], original)

    listing = json.loads(oamkit(env, "changes", "--json").stdout)
    assert [(c["action"], c["state"]) for c in listing] == [
        ("push", "done"), (f"rollback {push['change_id']}", "done"),
        (f"rollback {push['change_id']}", "done")]
    assert listing[0]["hosts"]["ios-1"] == "failed-needs-attention"
    # `last` is the last push, never a rollback: a third `--change last` undoes the push again
    code, _, hosts = run_json(env, "rollback", "--change", "last")
    assert code == 0 and {r["outcome"] for r in hosts.values()} == {"unchanged"}


def test_rollback_last_skips_a_re_push_that_changed_nothing(lab, lab_inventory, env):
    # The README's flow (push, re-push: nothing to do, rollback --change last) restored the
    # no-op re-push: nothing, silently, exit 0, while the real change stayed on the devices.
    original = {n: running_text(d) for n, d in lab.devices.items()}
    code, push, _ = run_json(env, "push", "-i", str(lab_inventory))
    assert code == 0
    again = oamkit(env, "push", "-i", str(lab_inventory))
    assert again.returncode == 0 and "rollback --change" not in again.stdout, again.stdout
    code, report, hosts = run_json(env, "rollback", "--change", "last")
    assert code == 0, report
    assert {h: r["outcome"] for h, r in hosts.items()} == {n: "changed" for n in original}
    assert_restored(lab, env, push["change_id"], original)
    assert f"rollback {push['change_id']}" in [c["action"] for c in json.loads(oamkit(env, "changes", "--json").stdout)]


# ---------------------------------------------------------------------------- locks
def test_a_second_run_finds_the_host_locked_sends_it_nothing_and_exits_1(lab, lab_inventory, env):
    xr = lab.device("xr-1")
    original = running_text(xr)
    lab.set_faults("xr-1", command_delay=0.2)   # run A spends seconds inside xr-1's change
    lock = Path(env["OAMKIT_STATE_DIR"]) / "locks" / "xr-1.lock"
    run_a = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "push", "-i", str(lab_inventory),
                              "--limit", "xr-1", "--json", "--confirm-timeout", "3600"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and run_a.poll() is None and \
                not (lock.exists() and lock.read_text()):
            time.sleep(0.05)
        holder = json.loads(lock.read_text())
        assert holder["pid"] == run_a.pid
        code, report, hosts = run_json(env, "push", "-i", str(lab_inventory), "--limit", "xr-1,ios-1",
                                       "--confirm-timeout", "3600")
        assert run_a.poll() is None, "run A must still hold the lock while run B ran"
        out_a, err_a = run_a.communicate(timeout=120)
    finally:
        if run_a.poll() is None:
            run_a.kill()
    assert code == 1, report
    assert hosts["xr-1"]["outcome"] == "locked", hosts["xr-1"]
    assert f"pid {run_a.pid}" in hosts["xr-1"]["error"] and holder["change"] in hosts["xr-1"]["error"]
    assert hosts["ios-1"]["outcome"] == "changed"
    assert run_a.returncode == 0, err_a[-800:]
    assert json.loads(out_a)["hosts"][0]["outcome"] == "changed"
    assert len(sessions(xr)) == 1, "run B never logged in to xr-1: one session, run A's"
    assert running_text(xr) != original
    assert lock.read_text() == "", "both runs let go of the lock"
    listing = {c["id"]: c for c in json.loads(oamkit(env, "changes", "--json").stdout)}
    assert listing[report["change_id"]]["hosts"] == {"xr-1": "locked", "ios-1": "changed"}


def test_a_lock_left_by_a_dead_process_is_taken_over_and_the_run_says_so(lab, lab_inventory, env):
    dead_change = "20240101T000000Z-abcdef"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import os, signal\nfrom oamkit import locks\n"
         f"locks.acquire('ios-1', '{dead_change}')\nos.kill(os.getpid(), signal.SIGKILL)"], env=env)
    assert holder.wait(timeout=30) == -signal.SIGKILL
    lock = Path(env["OAMKIT_STATE_DIR"]) / "locks" / "ios-1.lock"
    assert json.loads(lock.read_text())["pid"] == holder.pid   # left behind, nobody holds it
    code, _, hosts = run_json(env, "push", "-i", str(lab_inventory), "--limit", "ios-1",
                              "--confirm-timeout", "600")
    assert code == 0 and hosts["ios-1"]["outcome"] == "changed", hosts
    assert f"took over the lock of dead process {holder.pid} (change {dead_change})" in \
        hosts["ios-1"]["detail"]
    assert lock.read_text() == ""


def test_a_lock_on_an_asyncssh_host_answers_at_once_without_stalling_the_others(lab, tmp_path, env,
                                                                                  monkeypatch):
    from oamkit import locks

    inventory = lab.write_inventory(tmp_path / "inventory", ssh_driver="asyncssh")
    monkeypatch.setenv("OAMKIT_STATE_DIR", env["OAMKIT_STATE_DIR"])
    held = locks.acquire("junos-1", "20240101T000000Z-000001")   # a live holder: this test
    try:
        code, _, hosts = run_json(env, "push", "-i", str(inventory), "--confirm-timeout", "600")
    finally:
        held.release()
    assert code == 1
    assert hosts["junos-1"]["outcome"] == "locked" and f"pid {os.getpid()}" in hosts["junos-1"]["error"]
    assert {hosts[n]["outcome"] for n in ("ios-1", "xr-1", "vrp-1")} == {"changed"}
    assert not commands_received(lab.device("junos-1"))


# ---------------------------------------------------------------------------- the state folder
def test_state_is_private_whatever_the_umask(lab, lab_inventory, env):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                              text=True, env=env, timeout=180, preexec_fn=lambda: os.umask(0o022))

    pushed = run("push", "-i", str(lab_inventory), "--limit", "ios-1,xr-1", "--json",
                 "--confirm-timeout", "600")
    assert pushed.returncode == 0, pushed.stderr
    assert run("rollback", "--change", "last", "--json").returncode == 0
    assert run("collect", "-i", str(lab_inventory), "--limit", "ios-1").returncode == 0
    assert run("maintenance", "add", "ios-1", "-i", str(lab_inventory), "--until", "1h",
               "--reason", "test").returncode == 0
    state = Path(env["OAMKIT_STATE_DIR"])
    found = {p.relative_to(state).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in state.rglob("*")}
    names = {Path(p).name for p in found}
    assert {"changes.jsonl", "results.json", "change.jsonl", "backups.jsonl", "history.sqlite",
            "maintenance.json", "ios-1.lock"} <= names, sorted(found)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    loose = {p: oct(m) for p, m in found.items()
             if m != (0o700 if (state / p).is_dir() else 0o600)}
    assert not loose, loose


def test_an_existing_loose_state_folder_is_tightened(tmp_path, monkeypatch):
    from oamkit import statedir

    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(state))
    assert statedir.state_dir() == state
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


# ---------------------------------------------------------------------------- names as paths
def test_change_ids_and_hosts_that_lead_outside_the_state_folder_are_refused(lab, lab_inventory,
                                                                           env, tmp_path):
    code, push, _ = run_json(env, "push", "-i", str(lab_inventory), "--limit", "ios-1",
                             "--confirm-timeout", "600")
    assert code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "backups.jsonl").write_text(json.dumps(
        {"host": "y", "platform": "cisco_ios", "form": "cli", "taken": "", "managed": "SECRET\n",
         "running": ""}) + "\n")
    for args in (("changes", "--change", "../../outside", "--host", "y"),
                 ("changes", "--change", "/etc"),
                 ("rollback", "--change", "../outside", "-i", str(lab_inventory))):
        result = oamkit(env, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "--change" in result.stderr and args[2] in result.stderr, result.stderr
        assert "SECRET" not in result.stdout
    # a well-formed id whose folder is a symlink out of the state folder
    changes = Path(env["OAMKIT_STATE_DIR"]) / "changes"
    (changes / "20240101T000000Z-0000ff").symlink_to(outside)
    result = oamkit(env, "changes", "--change", "20240101T000000Z-0000ff", "--host", "y")
    assert result.returncode == 2 and "outside" in result.stderr and "SECRET" not in result.stdout
    # --host only names a host the change backed up; no path is built from it
    result = oamkit(env, "changes", "--change", push["change_id"], "--host", "../../../outside/x")
    assert result.returncode == 2 and "--host" in result.stderr and "ios-1" in result.stderr
    assert oamkit(env, "changes", "--change", "20991231T000000Z-abcdef").returncode == 2
    not_an_id = oamkit(env, "rollback", "--change", "changes", "-i", str(lab_inventory))
    assert not_an_id.returncode == 2 and "not a change id" in not_an_id.stderr, not_an_id.stderr
    assert oamkit(env, "changes", "--change", "last", "--host", "ios-1").returncode == 0


def test_host_names_become_safe_distinct_lock_file_names():
    from oamkit.statedir import file_name_for

    names = ["ios-1", "../x", "..", ".hidden", "a/b", "a%2Fb", "%2E%2E"]
    files = [file_name_for(n) for n in names]
    assert files[0] == "ios-1"
    assert len(set(files)) == len(names)
    assert all("/" not in f and not f.startswith(".") for f in files), files
