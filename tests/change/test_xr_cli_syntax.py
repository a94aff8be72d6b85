"""What oamkit renders for Cisco IOS-XR over the CLI, pushed to the lab's XR over real SSH (and
NETCONF where the YANG form differs): the keywords a current XR takes, the actions it allows in
a profile only as an interface override, and the values its CLI documents."""
from __future__ import annotations

import json

import pytest
import yaml

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401  (fixtures)


def xr_inventory(lab, tmp_path, policy: dict, transport: str = "ssh"):
    folder = lab.write_inventory(tmp_path / "inventory")
    (folder / "policies" / "xr-test.yaml").write_text(yaml.safe_dump(policy, sort_keys=False))
    groups = yaml.safe_load((folder / "groups.yaml").read_text())
    groups["cisco_xr"]["data"]["oam"]["policy"] = next(iter(policy))
    (folder / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    hosts["xr-1"]["data"]["transport"] = transport
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return folder


def shown_configuration(lab, environ, tmp_path) -> dict:
    """xr-1's `show ethernet oam configuration`, read over SSH and parsed by `oamkit parse`:
    the settings per interface as oamkit reads them back."""
    from netmiko import ConnectHandler

    conn = ConnectHandler(**lab.netmiko_params("xr-1", lab.known_hosts))
    try:
        text = conn.send_command("show ethernet oam configuration")
    finally:
        conn.disconnect()
    capture = tmp_path / "show_configuration.raw"
    capture.write_text(text)
    done = oamkit(environ, "parse", str(capture), "--platform", "cisco_xr",
                  "--command", "show ethernet oam configuration")
    assert done.returncode == 0, done.stdout + done.stderr
    return {r["interface"]: r for r in json.loads(done.stdout)["records"]}


# ---------------------------------------------------------------- A: action uni-directional link-fault
LINK_FAULT = {"xr-lf": {"extends": "lab-standard",
                        "remote_failure": {"link_fault": "error-disable-interface"}}}


@pytest.mark.parametrize("transport", ["ssh", "netconf"])
def test_link_fault_action_is_the_uni_directional_keyword_and_converges(lab, tmp_path, env, transport):  # noqa: F811
    # ASR 9000 CR 5.3.x: `action uni-directional link-fault` "replaces the action link-fault
    # command. Release 4.0.0"; the YANG leaf stays `link-fault` (NETCONF form)
    inventory = xr_inventory(lab, tmp_path, LINK_FAULT, transport)
    code, hosts = pushed(env, inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", json.dumps(hosts, indent=1)
    running = running_text(lab.device("xr-1"))
    assert "action uni-directional link-fault error-disable-interface" in running, running
    assert "action link-fault" not in running, running
    code, hosts = pushed(env, inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "unchanged", json.dumps(hosts, indent=1)
    shown = shown_configuration(lab, env, tmp_path)
    assert shown and all(r["remote_failure_actions"]["link_fault"] == "error-disable-interface"
                         for r in shown.values()), shown


def test_the_lab_xr_refuses_the_pre_4_0_link_fault_keyword(lab):
    from netmiko import ConnectHandler

    dev = lab.device("xr-1")
    conn = ConnectHandler(**lab.netmiko_params("xr-1", lab.known_hosts))
    try:
        out = conn.send_config_set(["ethernet oam profile P", "action link-fault error-disable-interface"],
                                   exit_config_mode=False)
        assert "% Invalid input detected at '^' marker." in out, out
        out = conn.send_config_set(["ethernet oam profile P",
                                    "action uni-directional link-fault error-disable-interface"],
                                   exit_config_mode=False)
        assert "Invalid" not in out, out
        conn.send_command_timing("abort")
    finally:
        conn.disconnect()
    assert "link-fault" not in running_text(dev)
