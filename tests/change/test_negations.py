"""Negations as the device writes them.

A setting that is on by default, turned off by the policy: IOS link monitoring.

"ethernet oam link-monitor supported ... This is the default. You need to enter this command only
if it has been disabled by previously entering the no ethernet oam link-monitor supported
command." (Cisco IE 2000U configuration guide). The running config keeps the negation, so
`link_monitoring: false` is configuration oamkit pushes, reads back and checks, and turning it
on again sends the line itself. The change engine once took the rendered negation for a removal
and dropped it: the push said `changed`, sent nothing of it, and a diff then said `unchanged`
while the device went on monitoring. Over real SSH against the lab, on both SSH drivers, in
the interface form and in the template form (where the line goes on the interface).

A setting whose negation names its value: "no ethernet oam [max-rate | min-rate | mode {active |
passive} | timeout]" (MWR 2941 command reference, 15.1(3)MR). A policy that drops `mode` sent
`no ethernet oam mode`.
"""
from __future__ import annotations

import pytest
import yaml

# both SSH drivers (the fixture's params), the state folder and the lab password, the CLI
from tests.change.test_change_engine import env, lab_inventory, oamkit  # noqa: F401
from tests.change.test_delta_order import edit_policy, push, rollback, run

OFF = "no ethernet oam link-monitor supported"
ON = "ethernet oam link-monitor supported"


def interface_lines(lab, host: str, interface: str) -> list[str]:
    """The lines of the interface's block in the device's running config."""
    lines, inside = [], False
    for line in lab.device(host).running.to_text().splitlines():
        if not line.startswith(" "):
            inside = line.strip() == f"interface {interface}"
        elif inside:
            lines.append(line.strip())
    return lines


def use_form(inventory, form: str) -> None:
    if form == "interface":
        return
    path = inventory / "hosts.yaml"
    hosts = yaml.safe_load(path.read_text())
    hosts["ios-1"].setdefault("data", {}).setdefault("oam", {})["form"] = form
    path.write_text(yaml.safe_dump(hosts, sort_keys=False))


@pytest.mark.parametrize("form", ["interface", "template"])
def test_ios_link_monitoring_off_is_pushed_checked_and_undone(lab, lab_inventory, env, form):
    use_form(lab_inventory, form)
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert OFF not in interface_lines(lab, "ios-1", "GigabitEthernet0/1")

    edit_policy(lab_inventory, "lab-ios", lambda p: p.update(link_monitoring=False))
    code, off_change, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert OFF in host["commands"], host["commands"]
    for interface in ("GigabitEthernet0/1", "GigabitEthernet0/2"):
        assert OFF in interface_lines(lab, "ios-1", interface)

    # read back as configuration: nothing left to do, nothing drifted
    code, _, host = run(env, lab_inventory, "diff", "ios-1")
    assert host["outcome"] == "unchanged", host

    # on again: the line itself puts the default back (not `no no ...`)
    edit_policy(lab_inventory, "lab-ios", lambda p: p.update(link_monitoring=True))
    code, on_change, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert ON in host["commands"] and not any(c.startswith("no no ") for c in host["commands"])
    assert OFF not in interface_lines(lab, "ios-1", "GigabitEthernet0/1")

    # and the rollback of that change turns it off again, as the backup had it
    code, _, host = rollback(env, lab_inventory, "ios-1", on_change)
    assert code == 0, host
    assert OFF in interface_lines(lab, "ios-1", "GigabitEthernet0/1")


def test_ios_oam_disabled_takes_the_turned_off_default_with_it(lab, lab_inventory, env):
    edit_policy(lab_inventory, "lab-ios", lambda p: p.update(link_monitoring=False))
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert OFF in interface_lines(lab, "ios-1", "GigabitEthernet0/1")

    # `no ethernet oam` removes every OAM line of the interface, the kept negation too: the
    # delta sends nothing after it (`ethernet oam link-monitor supported` would restore a
    # default of an interface without OAM)
    edit_policy(lab_inventory, "lab-ios", lambda p: p.update(enabled=False))
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert ON not in host["commands"], host["commands"]
    lines = interface_lines(lab, "ios-1", "GigabitEthernet0/1")
    assert not [line for line in lines if "ethernet oam" in line], lines


def test_ios_mode_removal_names_the_mode(lab, lab_inventory, env):
    edit_policy(lab_inventory, "lab-ios", lambda p: p.update(mode="passive"))
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert "ethernet oam mode passive" in interface_lines(lab, "ios-1", "GigabitEthernet0/1")

    edit_policy(lab_inventory, "lab-ios", lambda p: p.pop("mode"))
    edit_policy(lab_inventory, "lab-standard", lambda p: p.pop("mode"))
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert "no ethernet oam mode passive" in host["commands"], host["commands"]
    assert not [line for line in interface_lines(lab, "ios-1", "GigabitEthernet0/1")
                if line.startswith("ethernet oam mode")]
