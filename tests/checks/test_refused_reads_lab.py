"""Reads the device refuses (AAA command authorization denying the monitoring user, as
`reject_commands` plays it) are UNKNOWN or said in the report, never a finding or a silent OK."""
from __future__ import annotations

import json
import time

from tests.checks.test_check_lab import by_interface, check_json, env, oamkit, pushed  # noqa: F401

CONFIG_READS = {"ios-1": ("^show running-config", "show running-config"),
                "xr-1": ("^show running-config", "show running-config"),
                "junos-1": ("^show configuration", "show configuration protocols oam | display set"),
                "vrp-1": ("^display current-configuration", "display current-configuration")}


def test_a_refused_configuration_read_is_unknown_not_drift(lab, pushed, env):  # noqa: F811
    for name, (pattern, _) in CONFIG_READS.items():
        lab.set_faults(name, reject_commands=[pattern])
    _, report = check_json(env, pushed)
    for name, (_, command) in CONFIG_READS.items():
        entry, _ = by_interface(report, name)
        drift = [r for r in entry["results"] if r["rule"] == "config_drift"]
        assert [r["status"] for r in drift] == ["UNKNOWN"], drift
        assert drift[0]["message"].startswith(
            f"configuration not read: the device refused {command!r}: "), drift
        assert drift[0]["host"] == name

    nagios = oamkit(env, "check", "-i", str(pushed), "--format", "nagios")
    assert nagios.returncode == 3, nagios.stdout + nagios.stderr
    assert nagios.stdout.startswith("OAMKIT UNKNOWN"), nagios.stdout
    assert "differ from the intent" not in nagios.stdout


def test_refused_show_reads_are_said_not_silently_ok(lab, pushed, env):  # noqa: F811
    # ios-1: `show version` (the uptime that tells a reboot) and `show ethernet oam status`
    # (the windows as the device counts them) refused; a second check has a rate to judge
    lab.set_faults("ios-1", reject_commands=["^show version", "^show ethernet oam status"])
    check_json(env, pushed, "--limit", "ios-1")
    time.sleep(1.2)
    _, report = check_json(env, pushed, "--limit", "ios-1")
    _, ios = by_interface(report, "ios-1")
    for name in ("GigabitEthernet0/1", "GigabitEthernet0/2"):
        rate = ios[name]["error_rate"]
        assert "uptime not read" in rate["message"], rate
        assert "the device refused 'show version': % Invalid input" in rate["message"], rate
        thresholds = ios[name]["thresholds"]
        assert thresholds["status"] == "UNKNOWN", thresholds
        assert ("the device refused 'show ethernet oam status': % Invalid input"
                in thresholds["message"]), thresholds

    nagios = oamkit(env, "check", "-i", str(pushed), "--limit", "ios-1", "--format", "nagios")
    assert nagios.returncode == 3, nagios.stdout + nagios.stderr
    assert "the device refused 'show ethernet oam status'" in nagios.stdout, nagios.stdout

    collected = oamkit(env, "collect", "-i", str(pushed), "--limit", "ios-1", "--json")
    (host,) = json.loads(collected.stdout)["hosts"]
    assert set(host["role_errors"]) == {"version", "oam_status"}, host
    assert host["role_errors"]["version"].startswith("the device refused 'show version': ")


def test_a_read_aaa_denies_is_unknown_as_the_device_words_it(lab, pushed, env):  # noqa: F811
    """Command authorization (TACACS+, XR task groups) does not answer `% Invalid input`: IOS
    prints `Command authorization failed.`, which matched no error pattern, so the refusal read
    as an empty configuration (CRITICAL drift) and, for a push, as nothing configured."""
    for name in ("ios-1", "xr-1"):
        lab.set_faults(name, deny_commands=["^show running-config"])
    _, report = check_json(env, pushed, "--limit", "ios-1,xr-1")
    for name, words in (("ios-1", "Command authorization failed."), ("xr-1", "% This command is not authorized")):
        entry, _ = by_interface(report, name)
        drift = [r for r in entry["results"] if r["rule"] == "config_drift"]
        assert [r["status"] for r in drift] == ["UNKNOWN"], drift
        assert drift[0]["message"] == f"configuration not read: the device refused 'show running-config': {words}", drift
    diff = oamkit(env, "diff", "-i", str(pushed), "--limit", "ios-1", "--json")
    (host,) = json.loads(diff.stdout)["hosts"]
    assert host["outcome"] == "error" and "Command authorization failed." in host["error"], host
