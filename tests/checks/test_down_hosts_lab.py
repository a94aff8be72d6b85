"""Hosts marked down in the inventory (`data.maintenance: {down: true}`) are contacted by no
command: push, diff, collect, facts and check report them skipped (or held), and they never
fail the run. A host in a maintenance window is worked on, with a note."""
from __future__ import annotations

import json
import socket

import pytest
import yaml

from .test_check_lab import env, oamkit  # noqa: F401  (fixtures)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ios_down(lab_inventory):
    """ios-1 decommissioned: marked down, and nothing answers where it was."""
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["ios-1"]["port"] = closed_port()
    hosts["ios-1"]["data"]["maintenance"] = {"down": True, "reason": "decommissioning"}
    hosts_file.write_text(yaml.safe_dump(hosts))
    return lab_inventory


def by_host(rows):
    return {r["host"]: r for r in rows}


@pytest.mark.parametrize("command", [["push", "--confirm-timeout", "3600"], ["diff"]])
def test_push_and_diff_skip_a_host_marked_down(env, ios_down, command):
    result = oamkit(env, *command, "-i", str(ios_down), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    hosts = by_host(json.loads(result.stdout)["hosts"])
    assert hosts["ios-1"]["outcome"] == "skipped"
    assert "marked down in the inventory (decommissioning): not contacted" in hosts["ios-1"]["detail"]
    assert {hosts[h]["outcome"] for h in ("xr-1", "junos-1", "vrp-1")} <= {"changed", "unchanged"}
    table = oamkit(env, *command, "-i", str(ios_down))
    assert table.returncode == 0, table.stdout + table.stderr
    assert "skipped" in table.stdout and "not contacted" in table.stdout


def test_collect_and_facts_skip_a_host_marked_down(env, ios_down):
    collected = oamkit(env, "collect", "-i", str(ios_down), "--json")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    row = by_host(json.loads(collected.stdout)["hosts"])["ios-1"]
    assert (row["outcome"], row["reason"]) == ("skipped", "down")
    assert "not contacted" in row["error"]
    facts = oamkit(env, "facts", "-i", str(ios_down), "--json")
    assert facts.returncode == 0, facts.stdout + facts.stderr
    assert by_host(json.loads(facts.stdout)["hosts"])["ios-1"]["outcome"] == "skipped"


def test_a_push_into_a_maintenance_window_carries_a_note(env, lab_inventory):
    added = oamkit(env, "maintenance", "add", "xr-1", "-i", str(lab_inventory), "--until", "2h",
                   "--reason", "optics swap CHG-1")
    assert added.returncode == 0, added.stderr
    result = oamkit(env, "push", "-i", str(lab_inventory), "--json", "--confirm-timeout", "3600")
    assert result.returncode == 0, result.stdout + result.stderr
    hosts = by_host(json.loads(result.stdout)["hosts"])
    assert hosts["xr-1"]["outcome"] == "changed"
    assert any("in maintenance" in n and "optics swap CHG-1" in n for n in hosts["xr-1"]["notes"])
    assert not any("in maintenance" in n for n in hosts["ios-1"]["notes"])
