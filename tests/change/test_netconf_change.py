"""The change engine over NETCONF (ncclient) against the lab's netconf subsystem."""
from __future__ import annotations

import json
import re
import time

import pytest
import yaml
from ncclient import manager

from tests.lab.test_netconf_e2e import junos_lfm, xr_profile

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401 - fixtures

NC_HOSTS = ("xr-1", "junos-1")


@pytest.fixture
def nc_inventory(lab_inventory):
    hosts = yaml.safe_load((lab_inventory / "hosts.yaml").read_text())
    for name in NC_HOSTS:
        hosts[name]["data"]["transport"] = "netconf"
    (lab_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    return lab_inventory


def netconf_rpcs(device) -> list[str]:
    return [e.text for e in device.transcript if e.channel == "netconf" and e.direction == "in"]


def operations(device, since: int = 0) -> list[str]:
    """The operation of each RPC the device received (after the first `since` RPCs)."""
    found = [re.search(r"<(?:\w+:)?rpc\b[^>]*>\s*<(?:\w+:)?([\w-]+)", rpc)
             for rpc in netconf_rpcs(device)[since:]]
    return [m.group(1) for m in found if m]


def limit(*names):
    return ("--limit", ",".join(names))


def test_netconf_diff_sends_no_configuration_operation(lab, nc_inventory, env):
    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit(*NC_HOSTS), "--json")
    assert result.returncode == 0, result.stderr
    hosts = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert any("frame/threshold/threshold-high = 10" in c for c in hosts["xr-1"]["commands"])
    for name in NC_HOSTS:
        rpcs = " ".join(netconf_rpcs(lab.device(name)))
        assert "get-config" in rpcs
        for operation in ("edit-config", "commit", "lock", "discard-changes"):
            assert f"<{operation}" not in rpcs and f":{operation}" not in rpcs, (name, operation)


def test_netconf_push_is_idempotent_and_the_cli_sees_it(lab, nc_inventory, env):
    code, hosts = pushed(env, nc_inventory, *limit(*NC_HOSTS))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
    assert " ethernet oam\n  profile OAMKIT-LAB-XR" in running_text(lab.device("xr-1"))
    assert "frame threshold low 1 high 10" in running_text(lab.device("xr-1"))
    code, hosts = pushed(env, nc_inventory, *limit(*NC_HOSTS))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"unchanged"}
    # The SSH path reads the same device state and agrees nothing is left to do, but for what
    # the two forms write apart: lab-xr's `high_threshold_action: log` is a profile leaf in the
    # YANG model, and an interface override on XR's CLI ("available only in interface Ethernet
    # OAM configuration mode", ASR 9000 CR 5.3.x), so over SSH it moves to the interfaces.
    hosts_yaml = yaml.safe_load((nc_inventory / "hosts.yaml").read_text())
    for name in NC_HOSTS:
        hosts_yaml[name]["data"]["transport"] = "ssh"
    (nc_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts_yaml))
    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit(*NC_HOSTS), "--json")
    hosts = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert hosts["junos-1"]["outcome"] == "unchanged", result.stdout
    moved = [c for c in hosts["xr-1"]["commands"] if c != "exit"]
    assert moved == ["ethernet oam profile OAMKIT-LAB-XR", "no action high-threshold",
                     "interface GigabitEthernet0/0/0/0", "ethernet oam", "action high-threshold log",
                     "interface GigabitEthernet0/0/0/1", "ethernet oam", "action high-threshold log"], \
        result.stdout


@pytest.mark.parametrize("name", NC_HOSTS)
def test_netconf_commit_failure_is_rolled_back(lab, nc_inventory, env, name):
    original = running_text(lab.device(name))
    lab.set_faults(name, commit_error=True)
    code, hosts = pushed(env, nc_inventory, *limit(name))
    assert code == 1
    assert hosts[name]["outcome"] == "failed-rolled-back", hosts[name]
    assert hosts[name]["device_error"]
    assert running_text(lab.device(name)) == original


def test_netconf_session_dropped_at_commit_leaves_running_untouched(lab, nc_inventory, env):
    original = running_text(lab.device("xr-1"))
    lab.device("xr-1").faults.extra["netconf_drop_on"] = "commit"
    code, hosts = pushed(env, nc_inventory, *limit("xr-1"))
    assert hosts["xr-1"]["outcome"] == "failed-rolled-back", hosts["xr-1"]
    assert running_text(lab.device("xr-1")) == original


def other_operator(lab, name: str):
    """Another operator's NETCONF session, straight through ncclient."""
    return manager.connect(host="127.0.0.1", port=lab.ports[name], username="admin",
                           password=lab.password, hostkey_verify=False, allow_agent=False,
                           look_for_keys=False, timeout=10)


def test_candidate_locked_by_someone_else_fails_cleanly(lab, nc_inventory, env):
    """Refused the lock, nothing was changed: `locked` (it was "failed-rolled-back", with a
    hint to roll back a change that never happened), naming the session holding it."""
    original = running_text(lab.device("junos-1"))
    with other_operator(lab, "junos-1") as other:
        other.lock("candidate")
        code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
        holder = other.session_id
    assert code == 1
    assert hosts["junos-1"]["outcome"] == "locked", hosts["junos-1"]
    assert "lock-denied" in hosts["junos-1"]["error"]
    assert f"session {holder}" in hosts["junos-1"]["error"], hosts["junos-1"]
    assert hosts["junos-1"]["backup"] is None   # nothing to roll back
    assert running_text(lab.device("junos-1")) == original


THEIRS = {"xr-1": xr_profile("THEIRS-UNCOMMITTED"), "junos-1": junos_lfm("ge-0/0/3")}


@pytest.mark.parametrize("name", NC_HOSTS)
def test_another_sessions_uncommitted_candidate_is_left_alone(lab, nc_inventory, env, name):
    """Another session edits the shared candidate and has not committed yet. The device refuses
    oamkit's lock (RFC 6241 7.5); oamkit then sent <discard-changes/> without the lock and the
    operator's edit was gone. Now nothing is sent after the refused lock and the host is
    `locked`; the operator's edit is still there for them to commit."""
    device = lab.device(name)
    original = running_text(device)
    with other_operator(lab, name) as other:
        other.edit_config(target="candidate", config=THEIRS[name])
        assert device.uncommitted()
        sent_before = len(netconf_rpcs(device))
        code, hosts = pushed(env, nc_inventory, *limit(name))
        assert code == 1 and hosts[name]["outcome"] == "locked", hosts[name]
        assert "uncommitted" in hosts[name]["error"], hosts[name]
        ours = operations(device, sent_before)
        assert "lock" in ours, ours
        for operation in ("discard-changes", "edit-config", "commit"):
            assert operation not in ours, ours
        assert running_text(device) == original
        assert device.uncommitted(), "the other session's candidate edit was discarded"
        other.commit()
    theirs = "THEIRS-UNCOMMITTED" if name == "xr-1" else "interface ge-0/0/3"
    assert theirs in running_text(device) and theirs not in original


def test_a_netconf_lock_also_stops_a_cli_push(lab, nc_inventory, env):
    """Locks hold across channels: while another NETCONF session holds the candidate, a push
    over SSH fails at commit and leaves the device as it was."""
    hosts_yaml = yaml.safe_load((nc_inventory / "hosts.yaml").read_text())
    hosts_yaml["xr-1"]["data"]["transport"] = "ssh"
    (nc_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts_yaml))
    original = running_text(lab.device("xr-1"))
    with other_operator(lab, "xr-1") as other:
        other.lock("candidate")
        code, hosts = pushed(env, nc_inventory, *limit("xr-1"))
    assert hosts["xr-1"]["outcome"] == "failed-rolled-back", hosts["xr-1"]
    assert hosts["xr-1"]["device_error"]
    assert running_text(lab.device("xr-1")) == original


def _change_id(env) -> str:
    return json.loads(oamkit(env, "changes", "--json").stdout)[-1]["id"]


def test_rollback_of_a_netconf_change_restores_running_and_changes_shows_the_backup(lab, nc_inventory, env):
    original = {name: running_text(lab.device(name)) for name in NC_HOSTS}
    code, hosts = pushed(env, nc_inventory, *limit(*NC_HOSTS))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
    change_id = _change_id(env)
    shown = oamkit(env, "changes", "--change", change_id, "--host", "xr-1")
    assert shown.returncode == 0 and shown.stdout.startswith("<data"), shown.stdout
    assert "OAMKIT-" not in shown.stdout   # the state before the change: no profile yet
    sent_before = {name: len(netconf_rpcs(lab.device(name))) for name in NC_HOSTS}
    result = oamkit(env, "rollback", "--change", change_id, "-i", str(nc_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {h["outcome"] for h in json.loads(result.stdout)["hosts"]} == {"changed"}, result.stdout
    for name in NC_HOSTS:
        assert running_text(lab.device(name)) == original[name], name
        edits = [r for r in netconf_rpcs(lab.device(name))[sent_before[name]:] if "edit-config" in r]
        assert len(edits) == 1 and 'operation="remove"' in edits[0], (name, edits)
    # Rolled back once, there is nothing left to restore: the second time sends no edit.
    edits = {name: " ".join(netconf_rpcs(lab.device(name))).count("edit-config") for name in NC_HOSTS}
    result = oamkit(env, "rollback", "--change", change_id, "-i", str(nc_inventory), "--json")
    assert {h["outcome"] for h in json.loads(result.stdout)["hosts"]} == {"unchanged"}, result.stdout
    assert edits == {name: " ".join(netconf_rpcs(lab.device(name))).count("edit-config") for name in NC_HOSTS}


def test_rollback_of_a_netconf_change_puts_back_the_settings_it_replaced(lab, nc_inventory, env):
    code, _ = pushed(env, nc_inventory, *limit(*NC_HOSTS))
    assert code == 0
    first = {name: running_text(lab.device(name)) for name in NC_HOSTS}
    for policies in (nc_inventory / "policies").glob("*.yaml"):
        policies.write_text(policies.read_text().replace("link_timeout: 5s", "link_timeout: 7s"))
    code, hosts = pushed(env, nc_inventory, *limit(*NC_HOSTS))
    assert code == 0 and {h["outcome"] for h in hosts.values()} == {"changed"}, hosts
    assert all(running_text(lab.device(name)) != first[name] for name in NC_HOSTS)
    sent_before = {name: len(netconf_rpcs(lab.device(name))) for name in NC_HOSTS}
    result = oamkit(env, "rollback", "--change", _change_id(env), "-i", str(nc_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in NC_HOSTS:
        assert running_text(lab.device(name)) == first[name], name
        edits = [r for r in netconf_rpcs(lab.device(name))[sent_before[name]:] if "edit-config" in r]
        assert len(edits) == 1 and 'operation="replace"' in edits[0], (name, edits)


@pytest.mark.parametrize("name,interface", [("xr-1", "GigabitEthernet0/0/0/0"), ("junos-1", "ge-0/0/0")])
def test_the_health_gate_holds_over_netconf_too(lab, nc_inventory, env, name, interface):
    """`require_operational` is the push's health gate on every transport: a NETCONF push whose
    OAM session stays down is rolled back (it used to be confirmed regardless)."""
    policies = nc_inventory / "policies" / "standard.yaml"
    for group_policy in ("lab-xr", "lab-junos"):
        policies.write_text(policies.read_text().replace(
            f"{group_policy}:\n", f"{group_policy}:\n  require_operational: true\n  operational_wait: 2s\n", 1))
    original = running_text(lab.device(name))
    lab.set_peer_state(name, interface, "down")
    code, hosts = pushed(env, nc_inventory, *limit(name))
    assert hosts[name]["outcome"] == "failed-rolled-back", hosts[name]
    assert "health gate failed" in hosts[name]["error"] and interface in hosts[name]["error"]
    assert running_text(lab.device(name)) == original
    lab.set_peer_state(name, interface, "operational")
    code, hosts = pushed(env, nc_inventory, *limit(name))
    assert hosts[name]["outcome"] == "changed", hosts[name]


@pytest.mark.parametrize("setting, sent", [(None, True), ("auto", True), ("always", True),
                                           ("never", False)])
def test_netconf_validate_setting_decides_the_separate_validate(lab, nc_inventory, env, setting, sent):
    """`netconf.validate`: the lab advertises :validate and is no server known to lose the
    change after it, so auto (the default) validates; never leaves it to <commit>."""
    if setting is not None:
        hosts = yaml.safe_load((nc_inventory / "hosts.yaml").read_text())
        hosts["xr-1"]["data"]["netconf"] = {"validate": setting}
        (nc_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    code, hosts = pushed(env, nc_inventory, *limit("xr-1"))
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", hosts
    sent_ops = operations(lab.device("xr-1"))
    assert "commit" in sent_ops and "edit-config" in sent_ops, sent_ops
    assert ("validate" in sent_ops) is sent, sent_ops


def test_a_failure_before_the_commit_is_no_rollback_and_leaves_the_host_pushable(lab, nc_inventory, env):
    """A slow device (every reply 0.8 s late) and a 5 s deadline: the push stopped at
    <validate>, before any <commit>. It said failed-needs-attention ("The device may hold part
    of the change", exit 3) and the next push was refused as unfinished. Running cannot have
    changed without a commit: `error`, saying so, and the host is pushable again."""
    device = lab.device("junos-1")
    original = running_text(device)
    device.faults.extra["netconf_delay"] = 0.8
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"), "--timeout", "5")
    host = hosts["junos-1"]
    assert "commit" not in operations(device), operations(device)
    assert (code, host["outcome"]) == (1, "error"), host
    assert "nothing was committed" in host["detail"] and "may hold" not in host["detail"], host
    assert running_text(device) == original
    device.faults.extra["netconf_delay"] = 0.0
    # a device keeps a gone session's lock until it notices the session ended (the lab after
    # the reply delay in hand): until then the next push is `locked`, rightly
    deadline = time.monotonic() + 15
    while any(device.locks.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert (code, hosts["junos-1"]["outcome"]) == (0, "changed"), hosts["junos-1"]


def test_a_late_reply_to_the_confirm_is_not_reported_as_a_pending_revert(lab, nc_inventory, env, tmp_path):
    """Every commit takes 3 s and the deadline is 7 s: the confirming <commit/> is answered
    after the deadline, yet it took effect. oamkit's <cancel-commit> was refused ("No confirmed
    commit is in progress") and the report still said the device would undo the change by
    itself, though the change was confirmed and permanent. Now it says what the device said."""
    device = lab.device("xr-1")
    device.faults.extra["netconf_commit_delay"] = 3
    # a confirm window of 6000 device seconds (60 s here): only the deadline is at play
    result = oamkit(env, "push", "-i", str(nc_inventory), "--json", "--confirm-timeout", "6000",
                    *limit("xr-1"), "--timeout", "7", "--session-log", str(tmp_path / "sl"))
    host = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}["xr-1"]
    sent = operations(device)
    assert sent.count("commit") >= 2 and "cancel-commit" in sent, sent
    assert not device.confirm_pending
    held = "OAMKIT-LAB-XR" in running_text(device)
    if host["outcome"] == "failed-needs-attention":   # the restore ran out of time
        assert held
        assert "undoes the change by itself" not in host["detail"], host["detail"]
        assert "No confirmed commit is in progress" in host["detail"], host["detail"]
        # what is true comes first: the whole change is confirmed (it is sent only once the
        # read-back equals the intent), not "may hold part of" it
        assert host["detail"].startswith("The change is confirmed and stays on the device: "
                                          "the confirming commit had been sent"), host["detail"]
        assert "may hold part" not in host["detail"], host["detail"]
        assert "oamkit rollback --change " in host["detail"], host["detail"]
    else:
        assert host["outcome"] == "failed-rolled-back" and not held, host


def test_a_device_without_candidate_is_refused_before_anything_is_sent(lab, nc_inventory, env):
    """A NETCONF server with only :writable-running (the lab's ios-1, driven as `platform:
    ieee`): every push failed at `lock candidate` (operation-not-supported) and was reported
    failed-rolled-back. The hello says so before anything is sent: refused, naming what it lacks
    and what it offers."""
    hosts = yaml.safe_load((nc_inventory / "hosts.yaml").read_text())
    hosts["ios-1"].update(platform="ieee", groups=["lab"])
    hosts["ios-1"]["data"].update(transport="netconf")
    hosts["ios-1"]["data"]["oam"]["policy"] = "nc-ieee"
    (nc_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    with (nc_inventory / "policies" / "standard.yaml").open("a") as policies:
        policies.write("\nnc-ieee:\n  mode: active\n  link_monitor:\n    frame: {window: 1s, low: 1}\n"
                       "    frame_seconds: {window: 60s, low: 1}\n")
    device = lab.device("ios-1")
    original = running_text(device)
    code, hosts = pushed(env, nc_inventory, *limit("ios-1"))
    host = hosts["ios-1"]
    assert (code, host["outcome"]) == (1, "error"), host
    assert ":candidate" in host["error"] and ":writable-running" in host["error"], host["error"]
    sent = operations(device)
    assert not {"lock", "edit-config", "discard-changes", "commit"} & set(sent), sent
    assert host["backup"] is None and running_text(device) == original


def test_every_rpc_error_is_reported_with_its_path_and_bad_element(lab, nc_inventory, env):
    """Only the first rpc-error's tag and message were reported: where the device pointed
    (error-path, bad-element) and every later error were lost."""
    device = lab.device("junos-1")
    device.faults.extra["netconf_rpc_errors"] = {"edit-config": [
        {"tag": "invalid-value", "message": "pdu-interval out of range",
         "path": "/configuration/protocols/oam/ethernet/link-fault-management/interface[name='ge-0/0/0']",
         "bad-element": "pdu-interval"},
        {"tag": "data-missing", "message": "link-discovery is required", "bad-element": "link-discovery"}]}
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    error = hosts["junos-1"]["error"]
    assert code == 1 and hosts["junos-1"]["outcome"] == "failed-rolled-back", hosts["junos-1"]
    for said in ("invalid-value: pdu-interval out of range", "interface[name='ge-0/0/0']",
                 "bad-element pdu-interval", "data-missing: link-discovery is required",
                 "bad-element link-discovery"):
        assert said in error, (said, error)


def test_a_commit_answered_with_warnings_only_is_a_success_with_notes(lab, nc_inventory, env):
    """A Junos commit that succeeds with warnings answers rpc-errors of severity warning and no
    <ok/>; ncclient calls that reply not ok, and the push failed and rolled back a good change.
    Warnings are notes: the push succeeds and says what the device warned."""
    device = lab.device("junos-1")
    device.faults.extra["netconf_rpc_errors"] = {"commit": [
        {"tag": "operation-failed", "severity": "warning",
         "message": "statement has no effect on this interface type"}]}
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    host = hosts["junos-1"]
    assert (code, host["outcome"]) == (0, "changed"), host
    assert "warned at commit" in host["detail"], host
    assert "statement has no effect on this interface type" in host["detail"], host
    assert "link-fault-management" in running_text(device)
