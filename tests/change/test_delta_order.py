"""Deltas the device accepts line by line, over real SSH against the lab, on both SSH drivers.

- IOS checks a link monitor's low threshold against its high one as each line is entered
  (`% Low threshold must be lower than high threshold`): raising both must send the high one
  first, lowering both the low one first, and a rollback must restore its backup whichever way
  the push went.
- Huawei VRP refuses `efm interval` and `efm mode` (set, or `undo` back to the default) while
  EFM is enabled on the interface: changing them on an interface that runs EFM goes
  `undo efm enable` / the change / `efm enable` in one commit, and the result says the session
  was briefly disabled; turning EFM off sends `undo efm enable` before `undo efm mode` /
  `undo efm interval`.
"""
from __future__ import annotations

import json
import re

import pytest
import yaml

from oamkit import configtext
from oamkit.platforms import cisco_ios, huawei_vrp
# both SSH drivers (the fixture's params), the state folder and the lab password, the CLI
from tests.change.test_change_engine import env, lab_inventory, oamkit  # noqa: F401


def run(env, inventory, action, host, *extra):
    result = oamkit(env, action, "-i", str(inventory), "--limit", host, "--json", *extra)
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    return result.returncode, report["change_id"], report["hosts"][0]


def push(env, inventory, host):
    # the lab runs device time 100x fast: 600 s of confirm window is 6 s of real time
    return run(env, inventory, "push", host, "--confirm-timeout", "600")


def rollback(env, inventory, host, change_id):
    return run(env, inventory, "rollback", host, "--change", change_id)


def edit_policy(inventory, name, change) -> None:
    path = inventory / "policies" / "standard.yaml"
    policies = yaml.safe_load(path.read_text())
    change(policies[name])
    path.write_text(yaml.safe_dump(policies, sort_keys=False))


def monitor_lines(lab, host, event) -> list[str]:
    """The event's threshold lines (the same on both interfaces the lab inventory names)."""
    prefix = f"ethernet oam link-monitor {event} threshold "
    return sorted({line.strip() for line in lab.device(host).running.to_text().splitlines()
                  if line.strip().startswith(prefix)})


def test_ios_push_raising_both_thresholds_above_the_current_high(lab, lab_inventory, env):
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert monitor_lines(lab, "ios-1", "receive-crc") == [
        "ethernet oam link-monitor receive-crc threshold high 5000",
        "ethernet oam link-monitor receive-crc threshold low 3000"]

    edit_policy(lab_inventory, "lab-ios",
                lambda p: p["link_monitor"]["receive_crc"].update(low=6000, high=8000))
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    sent = host["commands"]
    assert sent.index("ethernet oam link-monitor receive-crc threshold high 8000") < \
        sent.index("ethernet oam link-monitor receive-crc threshold low 6000"), sent
    assert monitor_lines(lab, "ios-1", "receive-crc") == [
        "ethernet oam link-monitor receive-crc threshold high 8000",
        "ethernet oam link-monitor receive-crc threshold low 6000"]


def test_ios_rollback_of_lowered_thresholds_restores_the_backup(lab, lab_inventory, env):
    code, _, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    before = lab.device("ios-1").running.to_text()
    assert monitor_lines(lab, "ios-1", "frame-period") == [
        "ethernet oam link-monitor frame-period threshold high none",
        "ethernet oam link-monitor frame-period threshold low 500"]

    # frame-period low 500, high none -> low 1, high 10: lowering, the low one goes first
    edit_policy(lab_inventory, "lab-ios",
                lambda p: p["link_monitor"]["frame_period"].update(low=1, high=10))
    code, change_id, host = push(env, lab_inventory, "ios-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert monitor_lines(lab, "ios-1", "frame-period") == [
        "ethernet oam link-monitor frame-period threshold high 10",
        "ethernet oam link-monitor frame-period threshold low 1"]

    # undoing it raises the low one above the current high: `high none` must go first
    code, _, host = rollback(env, lab_inventory, "ios-1", change_id)
    assert (code, host["outcome"]) == (0, "changed"), host
    sent = host["commands"]
    assert sent.index("ethernet oam link-monitor frame-period threshold high none") < \
        sent.index("ethernet oam link-monitor frame-period threshold low 500"), sent
    assert lab.device("ios-1").running.to_text() == before


def blocks(lab, host) -> dict[str, list[str]]:
    """The running configuration, each block's lines sorted: VRP prints them in its own order
    (the lab in the order entered, so `efm enable` entered again comes last)."""
    return {node.line: sorted(c.line for c in node.children)
            for node in lab.device(host).running.children}


def test_vrp_pdu_interval_changes_on_an_interface_running_efm(lab, lab_inventory, env):
    code, _, host = push(env, lab_inventory, "vrp-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    before = blocks(lab, "vrp-1")
    assert "efm interval 1000" in before["interface GigabitEthernet0/1/0"]

    edit_policy(lab_inventory, "lab-huawei", lambda p: p.update(pdu_interval="500ms"))
    code, change_id, host = push(env, lab_inventory, "vrp-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    sent = host["commands"]
    at = sent.index("efm interval 500")
    assert sent[at - 1:at + 2] == ["undo efm enable", "efm interval 500", "efm enable"], sent
    assert "EFM" in (host["detail"] or "") and "disabled" in host["detail"], host
    assert "GigabitEthernet0/1/0" in host["detail"] and "GigabitEthernet0/1/1" in host["detail"]
    after = blocks(lab, "vrp-1")
    assert {block: [line.replace("efm interval 500", "efm interval 1000") for line in lines]
            for block, lines in after.items()} == before
    assert "efm interval 500" in after["interface GigabitEthernet0/1/0"]
    assert "efm enable" in after["interface GigabitEthernet0/1/0"]

    code, _, host = rollback(env, lab_inventory, "vrp-1", change_id)
    assert (code, host["outcome"]) == (0, "changed"), host
    at = host["commands"].index("efm interval 1000")
    assert host["commands"][at - 1:at + 2] == ["undo efm enable", "efm interval 1000",
                                               "efm enable"], host["commands"]
    assert blocks(lab, "vrp-1") == before


EFM_LIFTED = re.compile(r"^(?:undo )?efm (?:mode|interval)\b")


def refused_by_vrp(sent: list[str], running_blocks: dict[str, list[str]]) -> list[str]:
    """The lines VRP refuses, replayed against the interface's `efm enable` as the running
    configuration had it before them and as they change it."""
    refused, running = [], False
    for line in sent:
        if line.startswith("interface "):
            running = "efm enable" in running_blocks.get(line, [])
        elif line in ("undo efm enable", "efm enable"):
            running = line == "efm enable"
        elif running and EFM_LIFTED.match(line):
            refused.append(line)
    return refused


def vrp_change_and_rollback(lab, lab_inventory, env, change, start=None):
    """Push lab-huawei (after `start`), push it after `change`, roll that back: each over SSH,
    each accepted by the lab's VRP line by line. Returns (the change's host result, the running
    blocks after it)."""
    if start:
        edit_policy(lab_inventory, "lab-huawei", start)
    code, _, host = push(env, lab_inventory, "vrp-1")
    assert (code, host["outcome"]) == (0, "changed"), host
    before = blocks(lab, "vrp-1")
    assert "efm enable" in before["interface GigabitEthernet0/1/0"]

    edit_policy(lab_inventory, "lab-huawei", change)
    code, change_id, changed = push(env, lab_inventory, "vrp-1")
    assert (code, changed["outcome"]) == (0, "changed"), changed
    assert refused_by_vrp(changed["commands"], before) == [], changed["commands"]
    after = blocks(lab, "vrp-1")

    code, _, host = rollback(env, lab_inventory, "vrp-1", change_id)
    assert (code, host["outcome"]) == (0, "changed"), host
    assert refused_by_vrp(host["commands"], after) == [], host["commands"]
    assert blocks(lab, "vrp-1") == before
    return changed, after


def test_vrp_mode_changes_on_an_interface_running_efm(lab, lab_inventory, env):
    """The reviewer's case: passive, 500 ms -> active, 1 s; the rollback goes back."""
    def start(policy):
        policy.update(mode="passive", pdu_interval="500ms")
    changed, after = vrp_change_and_rollback(
        lab, lab_inventory, env, lambda p: p.update(mode="active", pdu_interval="1s"), start)
    sent = changed["commands"]
    at = sent.index("efm mode active")
    assert sent[at - 1:at + 3] == ["undo efm enable", "efm mode active", "efm interval 1000",
                                   "efm enable"], sent
    assert "efm mode" in changed["detail"] and "briefly disabled" in changed["detail"], changed
    for interface in ("interface GigabitEthernet0/1/0", "interface GigabitEthernet0/1/1"):
        assert {"efm mode active", "efm interval 1000", "efm enable"} <= set(after[interface])


def test_vrp_mode_and_interval_back_to_the_default_on_an_interface_running_efm(
        lab, lab_inventory, env):
    def drop(policy):
        del policy["mode"], policy["pdu_interval"]
    changed, after = vrp_change_and_rollback(lab, lab_inventory, env, drop)
    sent = changed["commands"]
    at = sent.index("undo efm mode")
    assert sent[at - 1:at + 3] == ["undo efm enable", "undo efm mode", "undo efm interval",
                                   "efm enable"], sent
    assert "briefly disabled" in changed["detail"], changed
    lines = after["interface GigabitEthernet0/1/0"]
    assert "efm enable" in lines and not [line for line in lines if EFM_LIFTED.match(line)]


def test_vrp_disabling_efm_undoes_efm_enable_first(lab, lab_inventory, env):
    changed, after = vrp_change_and_rollback(lab, lab_inventory, env,
                                             lambda p: p.update(enabled=False))
    sent = changed["commands"]
    for interface in ("interface GigabitEthernet0/1/0", "interface GigabitEthernet0/1/1"):
        block = sent[sent.index(interface):]
        assert block[1] == "undo efm enable", sent
        assert "undo efm mode" in block and "undo efm interval" in block
        assert "efm enable" not in block[:block.index("quit")], sent   # off for good
        assert not [line for line in after.get(interface, []) if line.startswith("efm ")], after
    assert not changed["detail"], changed   # not "briefly": EFM stays off


# ---------------------------------------------------------------- the delta itself, every case
IOS, VRP = cisco_ios.PLATFORM.config, huawei_vrp.PLATFORM.config
CRC = "ethernet oam link-monitor receive-crc threshold"


def ios_block(low, high, header="interface GigabitEthernet0/1") -> str:
    lines = [header, " ethernet oam"]
    lines += [f" {CRC} low {low}"] if low is not None else []
    lines += [f" {CRC} high {high}"] if high is not None else []
    return "\n".join(lines) + "\n"


def ios_delta(have: str, want: str) -> list[str]:
    return configtext.delta_indented(configtext.parse_indented(have),
                                     configtext.parse_indented(want), IOS)


def replay_as_ios_checks(low, high, commands) -> None:
    """Each threshold line as the lab's IOS (and IOS) judges it, against the state before it."""
    for line in commands:
        if line == f"no {CRC} low":
            low = None
        elif line == f"no {CRC} high":
            high = None
        elif line.startswith(CRC):
            which, value = line.split()[-2:]
            new_low, new_high = (value, high) if which == "low" else (low, value)
            if which == "low" or value != "none":
                assert new_low is None or new_high in (None, "none") or \
                    int(new_low) < int(new_high), f"refused: {line} with low {low} high {high}"
            low, high = new_low, new_high


VALUES = [None, "1", "10", "500", "3000", "5000", "6000", "8000"]
HIGHS = [*VALUES, "none"]
PAIRS = [(low, high) for low in VALUES for high in HIGHS
         if low is None or high in (None, "none") or int(low) < int(high)]


@pytest.mark.parametrize("header", ["interface GigabitEthernet0/1", "template OAMKIT-LAB-IOS"])
def test_every_ios_threshold_change_is_accepted_line_by_line(header):
    refused = []
    for have in PAIRS:
        for want in PAIRS:
            commands = ios_delta(ios_block(*have, header), ios_block(*want, header))
            try:
                replay_as_ios_checks(*have, commands)
            except AssertionError as exc:
                refused.append(f"{have} -> {want}: {exc}")
    assert not refused, f"{len(refused)} refused, e.g. " + "; ".join(refused[:3])


def test_ios_orders_by_direction():
    raising = ios_delta(ios_block("3000", "5000"), ios_block("6000", "8000"))
    assert raising[1:3] == [f"{CRC} high 8000", f"{CRC} low 6000"]
    lowering = ios_delta(ios_block("6000", "8000"), ios_block("1", "10"))
    assert lowering[1:3] == [f"{CRC} low 1", f"{CRC} high 10"]
    undo = ios_delta(ios_block("1", "10"), ios_block("500", "none"))
    assert undo[1:3] == [f"{CRC} high none", f"{CRC} low 500"]


def vrp_block(interval, enabled=True, more=(), mode="active") -> str:
    lines = ["efm enable", "interface GigabitEthernet0/1/0"]
    lines += [f" efm mode {mode}"] if mode is not None else []
    lines += [f" efm interval {interval}"] if interval is not None else []
    lines += [" efm enable"] if enabled else []
    lines += [f" {line}" for line in more]
    return "\n".join(lines) + "\n"


def vrp_delta(have: str, want: str) -> list[str]:
    return configtext.delta_indented(configtext.parse_indented(have),
                                     configtext.parse_indented(want), VRP)


def test_vrp_interval_change_lifts_efm_enable_around_it_only_where_it_runs():
    period = "efm error-frame-period threshold"
    sent = vrp_delta(vrp_block(1000, more=[f"{period} 1"]), vrp_block(500, more=[f"{period} 5"]))
    assert sent == ["interface GigabitEthernet0/1/0", "undo efm enable", "efm interval 500",
                    "efm enable", f"{period} 5", "quit"]
    notes = configtext.delta_notes(sent, VRP)
    assert len(notes) == 1 and "GigabitEthernet0/1/0 is briefly disabled" in notes[0]
    # the interval going back to the default is a change too
    assert vrp_delta(vrp_block(500), vrp_block(None)) == [
        "interface GigabitEthernet0/1/0", "undo efm enable", "undo efm interval", "efm enable",
        "quit"]
    # EFM not running there, or being enabled now (after the interval, as rendered): as it was
    assert vrp_delta(vrp_block(1000, enabled=False), vrp_block(500)) == [
        "interface GigabitEthernet0/1/0", "efm interval 500", "efm enable", "quit"]
    assert vrp_delta(vrp_block(1000, enabled=False), vrp_block(500, enabled=False)) == [
        "interface GigabitEthernet0/1/0", "efm interval 500", "quit"]
    # nothing about the interval: nothing lifted, nothing to tell
    sent = vrp_delta(vrp_block(1000, more=[f"{period} 1"]), vrp_block(1000, more=[f"{period} 5"]))
    assert sent == ["interface GigabitEthernet0/1/0", f"{period} 5", "quit"]
    assert configtext.delta_notes(sent, VRP) == []


def test_vrp_mode_change_and_efm_off_order_efm_enable_around_them():
    fpp = "efm error-frame-period threshold"
    # the mode and the interval changed together: one lift; a line needing EFM on comes after
    sent = vrp_delta(vrp_block(500, mode="passive", more=[f"{fpp} 1"]),
                     vrp_block(1000, mode="active", more=[f"{fpp} 5"]))
    assert sent == ["interface GigabitEthernet0/1/0", "undo efm enable", "efm mode active",
                    "efm interval 1000", "efm enable", f"{fpp} 5", "quit"]
    assert "`efm mode`" in configtext.delta_notes(sent, VRP)[0]
    # the mode back to the default
    assert vrp_delta(vrp_block(1000, mode="passive"), vrp_block(1000, mode=None)) == [
        "interface GigabitEthernet0/1/0", "undo efm enable", "undo efm mode", "efm enable", "quit"]
    # EFM off: `undo efm enable` first, and no "briefly disabled"
    have = vrp_block(500, mode="passive", more=[f"{fpp} 1"])
    sent = vrp_delta(have, "efm enable\ninterface GigabitEthernet0/1/0\n")
    assert sent == ["interface GigabitEthernet0/1/0", "undo efm enable", "undo efm mode",
                    "undo efm interval", f"undo {fpp}", "quit"]
    assert configtext.delta_notes(sent, VRP) == []
    # the interface's block gone from the managed configuration altogether: the same order
    assert vrp_delta(have, "efm enable\n") == sent
    # EFM not running there: nothing lifted
    assert vrp_delta(vrp_block(1000, enabled=False, mode="passive"), vrp_block(1000, enabled=False)) == [
        "interface GigabitEthernet0/1/0", "efm mode active", "quit"]
