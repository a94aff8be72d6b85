"""Over SSH too, a Junos statement another operator deactivated is not the intent: its
`deactivate` line (printed by `| display set` after the set lines) is read with the managed
lines, `diff` shows the `activate` the push sends, the push leaves it active, and a rollback
of that push deactivates it again. (Over NETCONF: tests/change/test_netconf_inactive.py.)"""
from __future__ import annotations

import json

from netmiko import ConnectHandler

from .test_change_engine import env, lab_inventory, oamkit, pushed, running_text  # noqa: F401 - fixtures

LFM = "protocols oam ethernet link-fault-management"


def _other_operator(lab, line: str) -> None:
    with ConnectHandler(**lab.netmiko_params("junos-1", lab.known_hosts)) as conn:
        conn.send_config_set(["top", line], exit_config_mode=False)
        conn.commit()
        conn.exit_config_mode()


def test_a_deactivated_managed_statement_is_activated_by_the_push(lab, lab_inventory, env):
    limit = ("--limit", "junos-1")
    code, hosts = pushed(env, lab_inventory, *limit)
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    _other_operator(lab, f"deactivate {LFM} interface ge-0/0/0")
    deactivated = running_text(lab.device("junos-1"))
    assert "inactive: interface ge-0/0/0" in deactivated
    result = oamkit(env, "diff", "-i", str(lab_inventory), *limit, "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert host["outcome"] == "changed", result.stdout + result.stderr
    assert host["commands"] == [f"activate {LFM} interface ge-0/0/0"]
    code, hosts = pushed(env, lab_inventory, *limit)
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    assert "inactive:" not in running_text(lab.device("junos-1"))
    code, hosts = pushed(env, lab_inventory, *limit)
    assert code == 0 and hosts["junos-1"]["outcome"] == "unchanged", hosts
    changes = json.loads(oamkit(env, "changes", "--json").stdout)
    result = oamkit(env, "rollback", "--change", changes[-2]["id"], "-i", str(lab_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert running_text(lab.device("junos-1")) == deactivated


def _pushed_then_drifted(lab, inventory, env) -> tuple[str, str, str]:
    """Push junos-1, then another operator sets ge-0/0/0's pdu-interval to another value:
    (the running configuration pushed, the leaf pushed, the other leaf)."""
    code, hosts = pushed(env, inventory, "--limit", "junos-1")
    assert code == 0, hosts
    running = lab.device("junos-1").running.to_text()
    leaf = next(line.strip() for line in running.splitlines() if line.strip().startswith("pdu-interval "))
    other = "pdu-interval " + ("500" if leaf != "pdu-interval 500" else "600")
    _other_operator(lab, f"set {LFM} interface ge-0/0/0 {other}")
    return running, leaf, other


def test_a_deactivated_leaf_wanted_with_another_value_is_set_again_active(lab, lab_inventory, env):
    limit = ("--limit", "junos-1")
    running, leaf, other = _pushed_then_drifted(lab, lab_inventory, env)
    _other_operator(lab, f"deactivate {LFM} interface ge-0/0/0 pdu-interval")
    assert f"inactive: {other}" in running_text(lab.device("junos-1"))
    code, hosts = pushed(env, lab_inventory, *limit)
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    after = running_text(lab.device("junos-1"))
    assert "inactive:" not in after and after.count("pdu-interval ") == running.count("pdu-interval "), after
    assert leaf in after


def _drift(env, inventory) -> list[tuple]:
    result = oamkit(env, "check", "-i", str(inventory), "--limit", "junos-1", "--json")
    report = json.loads(result.stdout)
    return [(r["interface"], r["status"], r["message"]) for h in report["hosts"] for r in h["results"]
            if r["rule"] == "config_drift" and r["status"] != "OK"]


def test_check_reports_a_deactivated_interface_or_lfm_as_drift(lab, lab_inventory, env):
    code, hosts = pushed(env, lab_inventory, "--limit", "junos-1")
    assert code == 0, hosts
    assert _drift(env, lab_inventory) == []
    _other_operator(lab, f"deactivate {LFM} interface ge-0/0/0")
    (drift,) = _drift(env, lab_inventory)
    assert drift[:2] == ("ge-0/0/0", "CRITICAL") and "activate" in drift[2], drift
    _other_operator(lab, f"activate {LFM} interface ge-0/0/0")
    _other_operator(lab, f"deactivate {LFM}")   # every interface's LFM without effect
    drift = _drift(env, lab_inventory)
    assert drift and all(d[1] == "CRITICAL" and f"activate {LFM}" in d[2] for d in drift), drift


def test_a_deactivated_statement_above_oamkits_part_is_said_and_never_activated(lab, lab_inventory, env):
    # `deactivate protocols oam` silences LFM with every other OAM setting of other teams (CFM):
    # the diff said `unchanged`, check OK, while no LFM ran. Activating it is not oamkit's call.
    limit = ("--limit", "junos-1")
    code, hosts = pushed(env, lab_inventory, *limit)
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    _other_operator(lab, "deactivate protocols oam")
    deactivated = running_text(lab.device("junos-1"))
    assert "inactive: oam" in deactivated
    result = oamkit(env, "diff", "-i", str(lab_inventory), *limit, "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert result.returncode == 1 and host["outcome"] == "error", result.stdout + result.stderr
    assert host["error"].startswith("junos-1: protocols oam is deactivated on the device, above the OAM "
                                    "configuration oamkit manages"), host["error"]
    assert "`activate protocols oam` in configuration mode, then commit" in host["error"], host["error"]
    sent = len(lab.device("junos-1").commands())
    code, hosts = pushed(env, lab_inventory, *limit)
    assert code == 1 and hosts["junos-1"]["outcome"] == "error", hosts
    assert "nothing was sent" in hosts["junos-1"]["error"] and hosts["junos-1"]["backup"] is None
    assert running_text(lab.device("junos-1")) == deactivated
    assert not [c for c in lab.device("junos-1").commands()[sent:] if c.strip().startswith(
        ("configure", "activate", "set protocols", "delete ", "commit"))]
    (drift,) = _drift(env, lab_inventory)
    assert drift[:2] == (None, "CRITICAL") and drift[2].startswith(
        "protocols oam is deactivated on the device: nothing under it has effect"), drift


def test_a_rollback_neither_activates_nor_deactivates_a_statement_above_oamkits_part(lab, lab_inventory, env):
    # A rollback restores oamkit's part as its backup had it, never the statement above it: a
    # backup taken while `protocols oam` was deactivated (it held the line once) must not
    # deactivate other teams' OAM again once its owner has activated it.
    limit = ("--limit", "junos-1")
    running, leaf, other = _pushed_then_drifted(lab, lab_inventory, env)
    code, hosts = pushed(env, lab_inventory, *limit)       # its backup holds `other`
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    push_id = json.loads(oamkit(env, "changes", "--json").stdout)[-1]["id"]
    _other_operator(lab, "deactivate protocols oam")
    result = oamkit(env, "rollback", "--change", push_id, "-i", str(lab_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    after = running_text(lab.device("junos-1"))
    assert "inactive: oam" in after and other in after, after   # restored, left inactive
    rollback_id = json.loads(oamkit(env, "changes", "--json").stdout)[-1]["id"]
    _other_operator(lab, "activate protocols oam")
    result = oamkit(env, "rollback", "--change", rollback_id, "-i", str(lab_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inactive:" not in running_text(lab.device("junos-1"))
