"""The public Python API and the Nornir tasks, driven against the lab as their users would: the
documented example scripts run as they are, and the results say honestly what happened."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from nornir import InitNornir

import oamkit
from oamkit import ops
from oamkit.nornir import oam_check, oam_diff, oam_push, oam_render

pytestmark = [pytest.mark.lab, pytest.mark.timeout(240)]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    return {**os.environ, "COLUMNS": "200"}


def test_the_api_example_renders_diffs_pushes_and_checks(lab, lab_inventory, env):
    result = subprocess.run([sys.executable, str(REPO / "examples/api/push_and_check.py"),
                             str(lab_inventory)], capture_output=True, text=True, timeout=200, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "ios-1: " in result.stdout and "line(s) to send" in result.stdout
    assert "{'changed': 4}" in result.stdout and "check: OK" in result.stdout
    again = ops.diff(lab_inventory)          # what the example pushed is on the devices
    assert again.outcomes == {"unchanged": 4} and again.exit_code == 0


def test_bad_input_is_an_input_error_before_any_device_is_contacted(lab, lab_inventory, env):
    before = {n: len(d.transcript) for n, d in lab.devices.items()}
    with pytest.raises(oamkit.InputError, match="no host matches"):
        ops.push(lab_inventory, filter=["platform=cisco_nxos"])
    result = subprocess.run([sys.executable, str(REPO / "examples/api/push_and_check.py"),
                             str(lab_inventory), "--filter", "nosuch"], capture_output=True,
                            text=True, timeout=60, env=env)
    assert result.returncode == 2 and "invalid input" in result.stderr
    assert {n: len(d.transcript) for n, d in lab.devices.items()} == before


@pytest.mark.parametrize("call, field", [
    # typed into the device's configuration session as `commit confirmed <value>`
    (lambda inv: ops.push(inv, confirm_timeout="60\ninterface GigabitEthernet0/0/0/3"), "--confirm-timeout"),
    (lambda inv: ops.push(inv, confirm_timeout=0), "--confirm-timeout"),
    (lambda inv: ops.collect(inv, keep_days=-1), "--keep-days"),       # emptied the history
    (lambda inv: ops.push(inv, batch_size=-1), "--batch-size"),        # attempted no host
    (lambda inv: ops.push(inv, canary=-1), "--canary"),                # all but the last host
    (lambda inv: ops.push(inv, workers=0), "--workers"),
    (lambda inv: ops.push(inv, max_failures=0), "--max-failures"),
    (lambda inv: ops.check(inv, sample="2s"), "--sample"),             # a TypeError
])
def test_the_api_checks_its_numbers_as_the_cli_does_before_any_contact(lab, lab_inventory, env,
                                                                       tmp_path, call, field):
    history = tmp_path / "state" / "history.sqlite"
    before = {n: len(d.transcript) for n, d in lab.devices.items()}
    with pytest.raises(oamkit.InputError, match=field):
        call(lab_inventory)
    assert {n: len(d.transcript) for n, d in lab.devices.items()} == before
    assert not history.exists()


def test_a_failing_on_done_callback_does_not_abandon_the_fleet(lab, lab_inventory, env, caplog):
    # it raised out of ops.push after the first host: no ChangeRun, the hosts still committing
    # on the workers, and the change listed as interrupted
    def progress(result):
        raise ZeroDivisionError("the caller's own bug")

    run = ops.push(lab_inventory, limit=["ios-1", "vrp-1"], workers=1, on_done=progress)
    assert run.outcomes == {"changed": 2}
    assert ops.diff(lab_inventory, limit=["ios-1", "vrp-1"]).outcomes == {"unchanged": 2}
    listed = subprocess.run([sys.executable, "-m", "oamkit.cli", "changes", "--json"], env=env,
                            capture_output=True, text=True, timeout=60)
    entry = next(c for c in __import__("json").loads(listed.stdout) if c["id"] == run.change_id)
    assert entry["state"] == "done", entry
    assert "the on_done callback failed for ios-1" in caplog.text


def test_public_names_are_the_operations_and_their_result_types():
    assert oamkit.push is ops.push and oamkit.check is ops.check
    assert isinstance(ops.diff, type(ops.push)) and oamkit.ChangeRun is ops.ChangeRun
    assert (REPO / "oamkit" / "py.typed").is_file()


def _nornir(inventory: Path):
    return InitNornir(runner={"plugin": "threaded", "options": {"num_workers": 4}},
                      inventory={"plugin": "SimpleInventory", "options": {
                          "host_file": str(inventory / "hosts.yaml"),
                          "group_file": str(inventory / "groups.yaml"),
                          "defaults_file": str(inventory / "defaults.yaml")}},
                      logging={"enabled": False})


def test_nornir_tasks_report_changed_and_failed_honestly(lab, lab_inventory, env):
    nr = _nornir(lab_inventory)
    rendered = nr.run(task=oam_render)
    assert "ethernet oam" in rendered["ios-1"][0].result and not rendered.failed
    diff = nr.run(task=oam_diff)
    assert all(r[0].changed and not r[0].failed and r[0].diff for r in diff.values())
    assert not any(d.config_commands() for d in lab.devices.values())   # a diff sends nothing
    lab.set_faults("xr-1", reject_commands=[r"frame-seconds"])
    pushed = nr.run(task=oam_push)
    assert pushed["xr-1"][0].failed and not pushed["xr-1"][0].changed
    assert pushed["xr-1"][0].result["outcome"] == "failed-rolled-back"
    for name in ("ios-1", "junos-1", "vrp-1"):
        assert pushed[name][0].changed and not pushed[name][0].failed, pushed[name][0].result
        assert pushed[name][0].result["change_id"]
    again = nr.run(task=oam_push, on_failed=True)
    assert not again["ios-1"][0].changed                     # nothing left to do there
    checked = nr.filter(name="ios-1").run(task=oam_check)
    assert not checked["ios-1"][0].failed, checked["ios-1"][0].result
    lab.set_peer_state("vrp-1", "GigabitEthernet0/1/0", "down")   # a CRITICAL finding
    checked = nr.filter(name="vrp-1").run(task=oam_check)
    assert checked["vrp-1"][0].failed and checked.failed


def test_nornir_push_honours_dry_run_and_sees_an_edited_policy(lab, lab_inventory, env):
    # Nornir's dry run pushed for real; an edited policy went unseen by a runbook's process
    nr = InitNornir(dry_run=True, inventory={"plugin": "SimpleInventory", "options": {
        "host_file": str(lab_inventory / "hosts.yaml"), "group_file": str(lab_inventory / "groups.yaml"),
        "defaults_file": str(lab_inventory / "defaults.yaml")}}, logging={"enabled": False})
    dry = nr.filter(name="ios-1").run(task=oam_push)
    assert dry["ios-1"][0].changed and dry["ios-1"][0].diff and not dry["ios-1"][0].failed
    assert not lab.device("ios-1").config_commands()           # a dry run sends nothing
    live = nr.filter(name="ios-1").run(task=oam_push, dry_run=False)
    assert live["ios-1"][0].changed and live["ios-1"][0].result["outcome"] == "changed"
    assert not nr.filter(name="ios-1").run(task=oam_diff)["ios-1"][0].changed
    policies = lab_inventory / "policies"
    for file in policies.glob("*.yaml"):   # the IOS policy's mode, edited under the process
        text = file.read_text()
        if "mode: active" in text:
            file.write_text(text.replace("mode: active", "mode: passive"))
    assert nr.filter(name="ios-1").run(task=oam_diff)["ios-1"][0].changed


def test_the_nornir_example_runs_a_runbook(lab, lab_inventory, env):
    result = subprocess.run([sys.executable, str(REPO / "examples/nornir/runbook.py"),
                             str(lab_inventory)], capture_output=True, text=True, timeout=200, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert sum(line.startswith("oam_push") and " changed " in line for line in lines) == 4, result.stdout
    assert sum(line.startswith("oam_check") and " ok " in line for line in lines) == 4, result.stdout


def test_the_documented_calls_take_what_docs_api_shows():
    # docs/api.md: `Inventory.intents(host)` with a host's name, `.exit_code()` without nagios=
    from oamkit.inventory import Inventory
    from oamkit.report import CheckReport

    inv = Inventory.load(REPO / "inventories" / "example")
    name = next(iter(inv.hosts))
    assert inv.intents(name) == inv.intents(inv.hosts[name]) and inv.intents(name)
    with pytest.raises(oamkit.InputError, match="unknown host"):
        inv.intents("no-such-host")
    assert CheckReport([], 0.0, 1.0).exit_code() == 0
    # one filter expression as a string: not its characters one by one ("(got 'p')")
    assert ops.select(inv, filter="platform=cisco_ios", credentials=False).hosts == \
        ops.select(inv, filter=["platform=cisco_ios"], credentials=False).hosts != []


@pytest.mark.parametrize("call, field", [
    (lambda inv: ops.rollback(5), "--change"),                            # a TypeError
    (lambda inv: ops.check(inv, rules={"error_rate": {}}), "--rules"),   # a TypeError from Path()
])
def test_a_wrong_type_is_an_input_error_naming_the_option(call, field, tmp_path, monkeypatch):
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    with pytest.raises(oamkit.InputError) as refused:
        call(REPO / "inventories" / "example")
    assert field in str(refused.value)


def test_one_template_folder_given_as_a_string_is_that_folder(tmp_path):
    # it was walked character by character: "template folder not found (got 't, m, p')"
    done = ops.render(REPO / "inventories" / "example", templates=str(tmp_path))
    assert done.configs


def test_nornir_check_fails_a_host_it_could_not_check(lab, lab_inventory, env):
    # `oamkit check` exits 1 for it (UNKNOWN: IOS-XR is read over SSH only); the task said ok
    import yaml

    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["xr-1"]["data"]["transport"] = "netconf"
    hosts_file.write_text(yaml.safe_dump(hosts))
    checked = _nornir(lab_inventory).filter(name="xr-1").run(task=oam_check)
    result = checked["xr-1"][0]
    assert [(r["rule"], r["status"]) for r in result.result["results"]] == [("reachable", "UNKNOWN")]
    assert result.failed and checked.failed


def _sessions_since(device, sent: int) -> list:
    """Logins and sessions on the device after its first `sent` transcript entries (a session
    that ends later still writes its `exit` there: not a new one)."""
    before = {e.session_id for e in device.transcript[:sent]}
    return [e for e in device.transcript[sent:] if e.text.startswith("auth ")
            or e.session_id not in before]


def test_the_api_and_nornir_refuse_a_host_left_needing_attention(lab, lab_inventory, env):
    """ops.push and the Nornir task check the change log as the CLI does: a host whose last
    change ended failed-needs-attention is refused, nothing sent (it pushed over it, confirming
    the half change the device was about to undo); `over_unfinished=True` goes over it."""
    device = lab.device("ios-1")
    lab.set_faults("ios-1", drop_after_commands=20, refuse_auth_after_drop=True)
    first = ops.push(lab_inventory, limit=["ios-1"], confirm_timeout=3600)
    assert first.results[0].outcome == "failed-needs-attention" and first.exit_code == 3
    lab.set_faults("ios-1", drop_after_commands=None, refuse_auth_after_drop=False, refuse_auth=False)
    sent = len(device.transcript)
    again = ops.push(lab_inventory, limit=["ios-1"])
    refused = again.results[0]
    assert refused.outcome == "error" and again.exit_code == 1, refused
    assert f"its last change {first.change_id} (push) is unfinished" in refused.error
    assert not _sessions_since(device, sent) and device.confirm_pending
    diff = ops.diff(lab_inventory, limit=["ios-1"])
    assert any("is unfinished" in note for note in diff.notes["ios-1"]), diff.notes
    sent = len(device.transcript)   # the diff read the device
    nr = _nornir(lab_inventory).filter(name="ios-1")
    task = nr.run(task=oam_push)["ios-1"][0]
    assert task.failed and not task.changed and task.result["outcome"] == "error", task.result
    assert not _sessions_since(device, sent), device.transcript[sent:]
    task = nr.run(task=oam_push, over_unfinished=True, on_failed=True)["ios-1"][0]
    assert task.changed and not task.failed and not device.confirm_pending, task.result
