"""Junos keeps `link-fault-management` (a presence container) when its last interface is
deleted. `rollback --change` must take it away again when oamkit's push created it — and must
never touch it while another team's interface still lives under it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from netmiko import ConnectHandler

pytestmark = [pytest.mark.lab, pytest.mark.timeout(180)]

LFM = "set protocols oam ethernet link-fault-management"


def oamkit(env, *args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, timeout=150, env={**os.environ, "COLUMNS": "200", **env})


def lfm_lines(lab):
    dev = lab.device("junos-1")
    with dev.lock:
        node = dev.running.get(["protocols", "oam", "ethernet", "link-fault-management"])
        return None if node is None else sorted(" ".join(p) for p in node.paths())


@pytest.fixture
def junos_only(lab, lab_inventory, tmp_path):
    hosts = yaml.safe_load((lab_inventory / "hosts.yaml").read_text())
    (lab_inventory / "hosts.yaml").write_text(yaml.safe_dump({"junos-1": hosts["junos-1"]}))
    return lab_inventory, {"OAMKIT_STATE_DIR": str(tmp_path / "state")}


def test_rollback_removes_the_container_the_push_created(lab, junos_only):
    inventory, env = junos_only
    assert lfm_lines(lab) is None
    assert oamkit(env, "push", "-i", str(inventory)).returncode == 0
    assert lfm_lines(lab)
    result = oamkit(env, "rollback", "--change", "last", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert lfm_lines(lab) is None, "link-fault-management left behind"
    with lab.device("junos-1").lock:   # and Junos dropped the containers the delete emptied
        assert lab.device("junos-1").running.get(["protocols", "oam"]) is None
    again = oamkit(env, "rollback", "--change", "last", "--json")
    assert {h["outcome"] for h in json.loads(again.stdout)["hosts"]} == {"unchanged"}, again.stdout


def test_another_teams_interface_keeps_the_container(lab, junos_only):
    inventory, env = junos_only
    with ConnectHandler(**lab.netmiko_params("junos-1", lab.known_hosts)) as conn:
        conn.send_config_set([f"{LFM} interface ge-0/0/3 link-discovery passive"], exit_config_mode=False)
        conn.commit()
    assert oamkit(env, "push", "-i", str(inventory)).returncode == 0
    result = oamkit(env, "rollback", "--change", "last", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert lfm_lines(lab) == ["interface ge-0/0/3 link-discovery passive"]
