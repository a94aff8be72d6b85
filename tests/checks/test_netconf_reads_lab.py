"""`check`, `collect` and `facts` read a Junos host driven over NETCONF through its NETCONF
session (`<command format="text">`, the same show commands and parse templates as over SSH):
it was reported UNKNOWN for ever ("reads over SSH only"), so a scheduled check could not cover
a host pushed over NETCONF. A NETCONF host of a platform whose device runs no show command over
NETCONF (IOS-XR here) is still reported, never dropped. Over real NETCONF against the lab, whose
`<command>` refuses every pipe but `| display set` after `show configuration`, as Junos does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml
from netmiko import ConnectHandler

from oamkit.inventory import Inventory
from oamkit.transport.reader import open_reader


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def oamkit(env, *args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=180)


@pytest.fixture
def over_netconf(lab_inventory):
    """junos-1 and xr-1 driven over NETCONF, ios-1 and vrp-1 over SSH."""
    path = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(path.read_text())
    for name in ("junos-1", "xr-1"):
        hosts[name]["data"]["transport"] = "netconf"
    path.write_text(yaml.safe_dump(hosts, sort_keys=False))
    return lab_inventory


def _results(report, host):
    (entry,) = [h for h in report["hosts"] if h["host"] == host]
    return {(r["interface"], r["rule"]): r for r in entry["results"]}


def _cli_sessions(device) -> set[int]:
    return {e.session_id for e in device.transcript if e.channel == "cli"}


def test_check_reads_a_junos_host_over_netconf_and_sees_its_drift(lab, over_netconf, env):
    pushed = oamkit(env, "push", "-i", str(over_netconf), "--limit", "junos-1", "--json",
                    "--confirm-timeout", "3600")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    junos = lab.devices["junos-1"]
    cli_before = _cli_sessions(junos)
    result = oamkit(env, "check", "-i", str(over_netconf), "--limit", "junos-1,xr-1", "--format", "json")
    report = json.loads(result.stdout)
    results = _results(report, "junos-1")
    assert results[(None, "config_drift")]["status"] == "OK", results
    assert (None, "reachable") not in results or results[(None, "reachable")]["status"] == "OK", results
    monitoring = [r for (name, rule), r in results.items() if rule == "link_monitoring"]
    assert monitoring and all(r["status"] == "OK" for r in monitoring), results
    sent = junos.commands(channel="netconf")
    assert any("<command" in s and "show oam ethernet link-fault-management detail" in s for s in sent)
    assert _cli_sessions(junos) == cli_before   # not a single CLI session: all over NETCONF
    # xr-1's device runs no show command over NETCONF: reported, with what to do, never dropped
    xr = _results(report, "xr-1")
    assert list(xr) == [(None, "reachable")] and xr[(None, "reachable")]["status"] == "UNKNOWN"
    assert "data.transport: ssh" in xr[(None, "reachable")]["message"], xr
    assert result.returncode == 1, result.stdout   # UNKNOWN, never OK
    # another operator changes a threshold oamkit manages: drift, read over NETCONF
    with ConnectHandler(**lab.netmiko_params("junos-1", lab.known_hosts)) as conn:
        conn.send_config_set(["top", "set protocols oam ethernet link-fault-management interface "
                              "ge-0/0/0 event-thresholds frame-error 77"], exit_config_mode=False)
        conn.commit()
        conn.exit_config_mode()
    result = oamkit(env, "check", "-i", str(over_netconf), "--limit", "junos-1", "--format", "json")
    drift = _results(json.loads(result.stdout), "junos-1")[("ge-0/0/0", "config_drift")]
    assert drift["status"] == "CRITICAL" and "frame-error" in drift["message"], drift
    assert result.returncode == 1


def test_collect_and_facts_read_a_junos_host_over_netconf(lab, over_netconf, env):
    result = oamkit(env, "collect", "-i", str(over_netconf), "--limit", "junos-1,xr-1", "--json")
    rows = {h["host"]: h for h in json.loads(result.stdout)["hosts"]}
    assert rows["junos-1"]["outcome"] == "ok" and not rows["junos-1"].get("role_errors"), rows
    assert rows["xr-1"]["outcome"] == "skipped" and "data.transport: ssh" in rows["xr-1"]["error"]
    result = oamkit(env, "facts", "-i", str(over_netconf), "--limit", "junos-1", "--json")
    (facts,) = json.loads(result.stdout)["hosts"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert (facts["detected_platform"], facts["model"], facts["version"]) == \
        ("juniper_junos", "mx204", "21.4R3.15"), facts
    assert {i["name"] for i in facts["interfaces"]} >= {"ge-0/0/0", "ge-0/0/1"}, facts


def test_a_command_the_device_refuses_over_netconf_reads_as_its_refusal(lab, over_netconf, env):
    # Junos' <command> RPC takes no pipe but `| display set` after `show configuration`: an
    # rpc-error, which reads as the CLI's own refusal (never parsed as output, never a crash)
    os.environ["OAMKIT_LAB_PASSWORD"] = lab.password
    inventory = Inventory.load(over_netconf)
    (host,) = [h for h in inventory.select() if h.name == "junos-1"]
    reader = open_reader(inventory, host, time.monotonic() + 30)
    try:
        assert "Model: mx204" in reader.show("show version")
        refused = reader.show("show interfaces | match ge-0/0/0")
        assert refused.startswith("error: ") and "syntax error" in refused, refused
        assert reader.show("show no-such-thing").startswith("error: ")
        assert reader.show("show configuration protocols oam | display set").strip() == ""
    finally:
        reader.close()


def test_a_reply_without_text_is_never_read_as_empty_output(lab, over_netconf, env):
    # Junos answers some commands with no text at all (an <ok/>): taken as empty output, collect
    # said `ok` with no interface and no error, facts "answers like no platform oamkit knows"
    pushed = oamkit(env, "push", "-i", str(over_netconf), "--limit", "junos-1", "--json",
                    "--confirm-timeout", "3600")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    lab.devices["junos-1"].faults.extra["netconf_command_empty"] = True
    result = oamkit(env, "collect", "-i", str(over_netconf), "--limit", "junos-1", "--json")
    (row,) = json.loads(result.stdout)["hosts"]
    assert row["role_errors"] and all("held no text" in e for e in row["role_errors"].values()), row
    result = oamkit(env, "check", "-i", str(over_netconf), "--limit", "junos-1", "--format", "json")
    results = _results(json.loads(result.stdout), "junos-1")
    assert result.returncode == 1
    drift = results[(None, "config_drift")]
    assert drift["status"] == "UNKNOWN" and "held no text" in drift["message"], drift
    assert not [r for r in results.values() if r["status"] == "OK"], results
