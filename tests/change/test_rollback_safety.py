"""What a push leaves to undo, undone: a rollback is never held by the intent's health gate, a
change confirmed after its confirm window is not reported as held, and a restore on a fresh
session leaves no bare Junos container. Against the lab over real SSH and NETCONF; the labs
here run device time at real speed where the device's own confirm window matters."""
from __future__ import annotations

import json
import os

import pytest
import yaml

from oamkit.lab.server import Lab

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401  (fixtures)

GATED = ("lab-standard", "lab-ios", "lab-xr", "lab-junos", "lab-huawei")


def _gate(inventory, wait: str) -> None:
    policies = inventory / "policies" / "standard.yaml"
    for policy in GATED:
        policies.write_text(policies.read_text().replace(
            f"{policy}:\n", f"{policy}:\n  require_operational: true\n  operational_wait: {wait}\n", 1))


def test_a_rollback_is_not_held_by_the_health_gate_of_the_push(lab, lab_inventory, env):  # noqa: F811
    """The rollback removes OAM: the intent's gate (sessions operational) cannot hold for it.
    It ran anyway, failed, and 'restored' the push: the push could not be undone."""
    _gate(lab_inventory, "5s")
    originals = {name: running_text(lab.device(name)) for name in lab.devices}
    code, hosts = pushed(env, lab_inventory)
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, json.dumps(hosts, indent=1)
    done = oamkit(env, "rollback", "-i", str(lab_inventory), "--change", "last", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = {h["host"]: h["outcome"] for h in json.loads(done.stdout)["hosts"]}
    assert set(outcomes.values()) == {"changed"}, done.stdout
    assert {name: running_text(lab.device(name)) for name in lab.devices} == originals


@pytest.fixture
def realtime_lab(tmp_path):
    running = Lab(devices=[("xr-1", "cisco_xr"), ("junos-1", "juniper_junos")], time_scale=1).start()
    running.known_hosts = running.write_known_hosts(tmp_path / "known_hosts")
    try:
        yield running
    finally:
        running.stop()


def _env(lab, tmp_path) -> dict:
    """The `env` fixture's environment, for a lab a test starts itself."""
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def _inventory(lab, tmp_path, transport: str):
    folder = lab.write_inventory(tmp_path / "inventory")
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    for host in hosts.values():
        host["data"]["transport"] = transport
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return folder


def test_no_confirm_is_sent_once_the_confirm_window_may_be_over(tmp_path):
    """XR over NETCONF with a 30 s confirm window and a commit that takes 25 s: the confirm
    would come after the window less its margin (7.5 s), when the device may already have
    rolled the commit back, and an <ok/> to it would report a change the device does not hold.
    oamkit does not send it: the change is taken back and the device is as before."""
    lab = Lab(devices=[("xr-1", "cisco_xr")], time_scale=1,
              faults={"xr-1": {"netconf_commit_delay": 25}}).start()
    try:
        lab.known_hosts = lab.write_known_hosts(tmp_path / "known_hosts")
        _slow_commit_push(lab, tmp_path)
    finally:
        lab.stop()


def _slow_commit_push(lab, tmp_path):
    inventory = _inventory(lab, tmp_path, "netconf")
    original = running_text(lab.device("xr-1"))
    env = _env(lab, tmp_path)
    done = oamkit(env, "push", "-i", str(inventory), "--limit", "xr-1", "--json",
                  "--confirm-timeout", "30", "--timeout", "120")
    host = json.loads(done.stdout)["hosts"][0]
    assert host["outcome"] == "failed-rolled-back", json.dumps(host, indent=1)
    assert "not confirmed within its 30 s confirm window" in host["error"], host["error"]
    assert running_text(lab.device("xr-1")) == original


def test_a_restore_on_a_fresh_session_leaves_no_bare_junos_container(realtime_lab, tmp_path):
    """The session drops right after `commit confirmed` lands; the restore on a new session
    deletes the interfaces, and the bare `link-fault-management` container the deletes leave
    goes too (it stayed, and the host needed attention)."""
    lab = realtime_lab
    inventory = _inventory(lab, tmp_path, "ssh")
    original = running_text(lab.device("junos-1"))
    lab.set_faults("junos-1", drop_after_commands=23, refuse_auth_after_drop=False)
    env = _env(lab, tmp_path)
    done = oamkit(env, "push", "-i", str(inventory), "--limit", "junos-1", "--json")
    host = json.loads(done.stdout)["hosts"][0]
    assert host["outcome"] == "failed-rolled-back", json.dumps(host, indent=1)
    assert running_text(lab.device("junos-1")) == original


def test_a_commit_stalled_past_the_deadline_does_not_hold_the_process(tmp_path):
    """A NETCONF commit that never returns: the host ends at its deadline, and its session's
    <close-session> waits a moment, not the RPC timeout (the process exited at twice the
    deadline: the runner had let the host go, the interpreter still waited for its thread)."""
    import time

    from oamkit.runner import GRACE

    lab = Lab(devices=[("junos-1", "juniper_junos")], time_scale=1,
              faults={"junos-1": {"netconf_commit_delay": 60}}).start()
    try:
        lab.known_hosts = lab.write_known_hosts(tmp_path / "known_hosts")
        inventory = _inventory(lab, tmp_path, "netconf")
        env = _env(lab, tmp_path)
        started = time.monotonic()
        done = oamkit(env, "push", "-i", str(inventory), "--json", "--timeout", "10")
        took = time.monotonic() - started
    finally:
        lab.stop()
    host = json.loads(done.stdout)["hosts"][0]
    assert host["outcome"] in ("failed-needs-attention", "failed-rolled-back"), host
    assert took < 10 + GRACE, took   # the deadline's contract, not a speed goal


def test_a_rollback_restores_an_interface_the_inventory_no_longer_names(lab, lab_inventory, env):  # noqa: F811
    """An operator takes the failing port out of the inventory, then rolls the push back: the
    port the push configured is restored too (the rollback read only the ports the inventory
    named now: IOS/VRP 'still to change', Junos 'action profile not defined', XR's commit
    refused, and every device kept the whole push)."""
    originals = {name: running_text(lab.device(name)) for name in lab.devices}
    code, hosts = pushed(env, lab_inventory)
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, json.dumps(hosts, indent=1)
    inventory = yaml.safe_load((lab_inventory / "hosts.yaml").read_text())
    for host in inventory.values():
        interfaces = host["data"]["oam"]["interfaces"]
        del interfaces[list(interfaces)[-1]]
    (lab_inventory / "hosts.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    done = oamkit(env, "rollback", "-i", str(lab_inventory), "--change", "last", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert {h["outcome"] for h in json.loads(done.stdout)["hosts"]} == {"changed"}, done.stdout
    assert {name: running_text(lab.device(name)) for name in lab.devices} == originals
