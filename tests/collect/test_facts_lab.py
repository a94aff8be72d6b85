"""`oamkit facts` against the lab over real SSH: what devices are, and inventory mismatches."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def facts(env, inventory, *extra):
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", "facts", "-i", str(inventory),
                             "--json", *extra], capture_output=True, text=True, env=env, timeout=180)
    assert result.stdout, result.stderr
    return result.returncode, {h["host"]: h for h in json.loads(result.stdout)["hosts"]}


def test_facts_of_a_correct_inventory_match_on_every_platform(lab, lab_inventory, env):
    code, hosts = facts(env, lab_inventory)
    assert code == 0, hosts
    assert {h: f["detected_platform"] for h, f in hosts.items()} == {
        "ios-1": "cisco_ios", "xr-1": "cisco_xr", "junos-1": "juniper_junos", "vrp-1": "huawei_vrp"}
    assert hosts["junos-1"]["model"] == "mx204" and hosts["junos-1"]["version"] == "21.4R3.15"
    assert hosts["xr-1"]["version"] == "7.3.2"
    ios_ifs = {i["name"]: i for i in hosts["ios-1"]["interfaces"]}
    assert ios_ifs["GigabitEthernet0/1"]["speed"] == "1G"
    assert all(f["mismatches"] == [] for f in hosts.values())


def test_wrong_platform_and_missing_interface_are_reported(lab, lab_inventory, env):
    path = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(path.read_text())
    hosts["ios-1"]["platform"] = "cisco_xr"                       # really an IOS box
    hosts["ios-1"]["data"]["oam"]["interfaces"] = {"GigabitEthernet0/0/0/0": {}}
    hosts["junos-1"]["data"]["oam"]["interfaces"]["ge-0/0/9"] = {}  # not on the device
    hosts["xr-1"]["data"]["oam"]["interfaces"]["GigabitEthernet0/0/0/1"] = {"speed": "10G"}
    path.write_text(yaml.safe_dump(hosts))
    code, found = facts(env, lab_inventory)
    assert code == 1
    assert found["ios-1"]["outcome"] == "mismatch"
    assert found["ios-1"]["detected_platform"] == "cisco_ios"
    assert "declared cisco_xr but answers like cisco_ios" in found["ios-1"]["mismatches"][0]
    assert any("ge-0/0/9 is in the policy but the device has no such interface" in m
               for m in found["junos-1"]["mismatches"]), found["junos-1"]
    assert found["xr-1"]["mismatches"] == [
        "GigabitEthernet0/0/0/1: the policy was converted at 10G but the link runs at 1G"]
    assert found["vrp-1"]["outcome"] == "ok"
