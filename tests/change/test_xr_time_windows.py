"""IOS-XR takes the symbol-period and frame-period windows as a count or as a duration
(`window milliseconds N`, Cisco-IOS-XR-ethernet-link-oam-cfg's `milliseconds` unit). A policy
that gives a duration gets it exactly, on a port of any speed: converted to symbols, the IEEE
default of 1 s was 1.25e10 at 10G, beyond XR's count, and refused. Pushed to the lab over the
CLI and NETCONF; each converges (a second push changes nothing)."""
from __future__ import annotations

import json

import pytest
import yaml

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401  (fixtures)

TIMED = {"xr-timed": {"extends": "lab-xr",
                      "link_monitor": {"symbol_period": {"window": "1s", "low": 10},
                                       "frame_period": {"window": "2s", "low": 5}}}}


@pytest.fixture
def timed_inventory(lab, tmp_path, request):
    folder = lab.write_inventory(tmp_path / "inventory")
    (folder / "policies" / "timed.yaml").write_text(yaml.safe_dump(TIMED, sort_keys=False))
    groups = yaml.safe_load((folder / "groups.yaml").read_text())
    groups["cisco_xr"]["data"]["oam"]["policy"] = "xr-timed"
    (folder / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    hosts["xr-1"]["data"]["transport"] = request.param
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return folder


@pytest.mark.parametrize("timed_inventory", ["ssh", "netconf"], indirect=True)
def test_a_duration_window_is_sent_in_milliseconds_and_converges(lab, timed_inventory, env):  # noqa: F811
    code, hosts = pushed(env, timed_inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", json.dumps(hosts, indent=1)
    running = running_text(lab.device("xr-1"))
    assert "symbol-period window milliseconds 1000" in running
    assert "frame-period window milliseconds 2000" in running
    code, hosts = pushed(env, timed_inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "unchanged", json.dumps(hosts, indent=1)


def test_a_duration_the_milliseconds_cannot_hold_is_a_count_within_a_second_to_a_minute(tmp_path, env):  # noqa: F811
    policy = tmp_path / "p.yaml"
    policy.write_text("p:\n  link_monitor:\n    symbol_period: {window: 1s, low: 10}\n"
                      "    frame_period: {window: 1500ms, low: 1}\n")
    done = oamkit(env, "policy", "explain", str(policy), "-p", "cisco_xr", "--speed", "10G")
    assert done.returncode == 0, done.stdout
    assert "symbol-period window milliseconds 1000" in done.stdout, done.stdout
    # not whole seconds (XR would round the milliseconds up): 1.5 s of 64-byte frames at 10G
    assert "frame-period window frames 22321428" in done.stdout, done.stdout
    # 90 s: past XR's 60 s of milliseconds, and as a count past "symbols (frames) per 1 min" of
    # the interface (Cisco: the count's range depends on the speed, 1 s to 1 min)
    policy.write_text("p:\n  link_monitor:\n    symbol_period: {window: 90s, low: 10}\n"
                      "    frame_period: {window: 90s, low: 1}\n")
    done = oamkit(env, "policy", "explain", str(policy), "-p", "cisco_xr", "--speed", "10G")
    text = " ".join(done.stdout.replace("│", " ").split())
    assert done.returncode == 3 and "symbol_period.window: out of range" in text, done.stdout
    assert "frame_period.window: out of range (got '90s'); allowed: 1s to 1m at 10G = 14880952 to " \
           "892857142 frames" in text, done.stdout
