"""An interface in the inventory that the device does not have is reported once, by
`interface_present`, not also as configuration drift (which would suggest pushing to it)."""
from __future__ import annotations

import yaml

from tests.checks.test_check_lab import by_interface, check_json, env, oamkit, pushed  # noqa: F401

ABSENT = "GigabitEthernet0/0/0/9"


def test_a_missing_interface_is_interface_present_only(lab, pushed, env):  # noqa: F811
    hosts_file = pushed / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["xr-1"]["data"]["oam"]["interfaces"][ABSENT] = {}
    hosts_file.write_text(yaml.safe_dump(hosts))

    code, report = check_json(env, pushed, "--limit", "xr-1")
    _, xr = by_interface(report, "xr-1")
    assert xr[ABSENT]["interface_present"]["status"] == "CRITICAL", xr[ABSENT]
    assert "config_drift" not in xr[ABSENT], xr[ABSENT]
    # the interfaces it has were pushed as intended: no drift anywhere else either
    drift = [(r["interface"], r["status"]) for h in report["hosts"] for r in h["results"]
             if r["rule"] == "config_drift"]
    assert drift == [(None, "OK")], drift
    assert code == 1

    nagios = oamkit(env, "check", "-i", str(pushed), "--limit", "xr-1", "--format", "nagios")
    assert nagios.returncode == 2, nagios.stdout + nagios.stderr
    problems = nagios.stdout.splitlines()[1:]              # the long output: one per problem
    criticals = [line for line in problems if line.startswith("CRITICAL")]
    assert criticals == [f"CRITICAL: xr-1 {ABSENT} interface_present: the device has no such "
                         "interface"], nagios.stdout
    assert "config_drift" not in nagios.stdout
