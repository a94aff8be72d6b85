"""Thresholds relative to capacity (issue #21 item 4): `high: 1%` of what one window can count
at line rate, converted per interface speed like durations; bad percentages stop with exit 2
naming file, key and value; `policy explain -i` shows the conversion and warns, per host and
interface, about thresholds that can never fire and high thresholds without an action."""
from __future__ import annotations

import json

import pytest
import yaml

from oamkit.errors import InputError
from oamkit.policy import PolicySpec, resolve_intent

from .conftest import run_cli

GIG = 10**9


def resolved(link_monitor: dict, speed_bps: int = GIG, **extra):
    spec = PolicySpec.model_validate({"link_monitor": link_monitor, **extra})
    return resolve_intent(spec, host="h", interface="Gi0/1", policy="p", speed_bps=speed_bps)


@pytest.mark.parametrize("event, window, speed, low, high, counts", [
    # 1G: 1,488,095 minimum-size frames in 1 s; 1% = 14,880.95 -> 14,881 (rounded up)
    ("frame", "1s", GIG, "0.5%", "1%", (7441, 14881)),
    ("frame", "1s", 10 * GIG, "0.5%", "1%", (74405, 148810)),
    ("receive_crc", "10s", GIG, 1, "1%", (1, 148810)),
    # frame_period: % of the window's frames; frame_seconds: % of the window's seconds
    ("frame_period", 100_000, GIG, "1%", "2%", (1000, 2000)),
    ("frame_seconds", "60s", GIG, 1, "10%", (1, 6)),
    ("symbol_period", "1s", GIG, 1, "0.001%", (1, 12500)),
    ("frame", "1s", GIG, "0.00001%", "100%", (1, 1488095)),   # at least 1; 100% = capacity
])
def test_percentages_become_counts_at_the_interface_speed(event, window, speed, low, high, counts):
    intent = resolved({event: {"window": window, "low": low, "high": high}}, speed)
    assert (intent.events[event].low, intent.events[event].high) == counts


def test_a_fallback_gets_the_same_counts():
    intent = resolved({"receive_crc": {"window": "10s", "low": 1, "high": "1%",
                                       "fallback": "frame"}})
    assert intent.events["receive_crc"].fallback_intent.high == 148810


def test_percentages_are_compared_once_converted_and_need_a_window():
    with pytest.raises(InputError) as caught:
        resolved({"frame": {"window": "1s", "low": "1%", "high": "0.5%"}})
    [problem] = caught.value.problems
    assert "lower than the high threshold" in problem.message
    assert problem.value == "low 1% = 14881, high 0.5% = 7441"
    with pytest.raises(InputError) as caught:
        resolved({"frame": {"low": 1, "high": "1%"}})
    [problem] = caught.value.problems
    assert problem.field == "link_monitor.frame.high" and problem.value == "1%"
    assert "needs the event's window" in problem.message


@pytest.mark.parametrize("value, message", [
    ("0%", "above 0% and at most 100%"), ("150%", "above 0% and at most 100%"),
    ("1.2.3%", "not a count, 'none' or a percentage"), ("1 %%", "not a count"),
    ("-1%", "not a count")])
def test_bad_percentages_exit_2_naming_file_key_and_value(tmp_path, value, message):
    policy = tmp_path / "pct.yaml"
    policy.write_text(yaml.safe_dump({"pct": {"link_monitor": {
        "frame": {"window": "1s", "low": 1, "high": value}}}}))
    result = run_cli("policy", "explain", str(policy))
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(policy) in result.stderr
    assert "link_monitor.frame.high" in result.stderr
    assert message in result.stderr and f"(got '{value}')" in result.stderr


def test_a_bad_low_percentage_is_named_too(tmp_path):
    policy = tmp_path / "pct.yaml"
    policy.write_text("pct:\n  link_monitor:\n    frame: {window: 1s, low: 0%}\n")
    result = run_cli("policy", "explain", str(policy))
    assert result.returncode == 2
    assert "link_monitor.frame.low: a percentage threshold is above 0% and at most 100% " \
           "(got '0%')" in result.stderr


@pytest.fixture
def inventory(make_inventory):
    policies = {"p.yaml": {
        "relative": {"link_monitor": {"frame": {"window": "1s", "low": "0.5%", "high": "1%"}},
                     "high_threshold_action": "error-disable-interface"},
        "never": {"link_monitor": {"frame": {"window": "1s", "low": 1, "high": 2_000_000},
                                   "frame_seconds": {"window": "10s", "low": 1, "high": 11}}}}}
    hosts = {
        "xr-1g": {"hostname": "127.0.0.1", "platform": "cisco_xr", "data": {"oam": {
            "policy": "never", "speed": "1G", "interfaces": {"GigabitEthernet0/0/0/1": {}}}}},
        "xr-10g": {"hostname": "127.0.0.1", "platform": "cisco_xr", "data": {"oam": {
            "policy": "never", "speed": "10G", "interfaces": {"TenGigE0/0/0/1": {}}}}},
        "ios": {"hostname": "127.0.0.1", "platform": "cisco_ios", "data": {"oam": {
            "policy": "relative", "speed": "1G", "interfaces": {"GigabitEthernet0/1": {}}}}}}
    return make_inventory(hosts, policies=policies)


def test_explain_per_interface_warns_where_a_threshold_never_fires(inventory):
    result = run_cli("policy", "explain", "never", "-i", str(inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    targets = {t["host"]: t for t in json.loads(result.stdout)["targets"]}
    assert targets["xr-1g"]["warnings"] == [
        "frame: high 2000000 > 1488095 frames the 1G link can carry in 1s: never fires",
        "frame_seconds: high 11 > 10 seconds in its 10s window: never fires",
        "high threshold has no action: link stays up while degraded"]
    # at 10G the frame threshold fits; the errored-seconds one does at no speed
    assert targets["xr-10g"]["warnings"] == [
        "frame_seconds: high 11 > 10 seconds in its 10s window: never fires",
        "high threshold has no action: link stays up while degraded"]
    table = run_cli("policy", "explain", "never", "-i", str(inventory))
    assert ("WARNING: xr-1g GigabitEthernet0/0/0/1: frame: high 2000000 > 1488095 frames the "
            "1G link can carry in 1s: never fires") in table.stdout


def test_explain_shows_how_a_percentage_became_a_count(inventory):
    result = run_cli("policy", "explain", "relative", "-i", str(inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    [target] = json.loads(result.stdout)["targets"]
    [frame] = [k for k in target["keys"] if k["key"] == "link_monitor.frame"]
    assert frame["details"][:2] == [
        "low 0.5% of 1488095 frames the 1G link can carry in 1s = 7441",
        "high 1% of 1488095 frames the 1G link can carry in 1s = 14881"]
    assert " ethernet oam link-monitor frame threshold high 14881" in frame["commands"]
    assert target["warnings"] == []
