"""Diffs a human reviews (issue #19, 6): `diff` and `push` show, per host and section, the
managed configuration before (`-`, what the device holds) and after (`+`, the intent), with
the interface stanza as context; over NETCONF each leaf's old and new value. Coloured only on
a terminal; `--json` carries the same as structured before/after."""
from __future__ import annotations

import json

from netmiko import ConnectHandler

from .test_change_engine import env, oamkit, pushed  # noqa: F401 - fixtures
from .test_netconf_change import nc_inventory  # noqa: F401 - fixture

IOS_LINE = "ethernet oam link-monitor receive-crc threshold low {}"


def change_by_hand(lab, name: str, lines: list[str]) -> None:
    """What an engineer does on the device's CLI over SSH, outside oamkit."""
    conn = ConnectHandler(**lab.netmiko_params(name, lab.known_hosts))
    try:
        conn.send_config_set(lines)
    finally:
        conn.disconnect()


def test_diff_shows_the_hand_changed_threshold_as_minus_old_plus_new(lab, lab_inventory, env):
    code, hosts = pushed(env, lab_inventory, "--limit", "ios-1")
    assert code == 0 and hosts["ios-1"]["outcome"] == "changed", hosts
    change_by_hand(lab, "ios-1", ["interface GigabitEthernet0/1", IOS_LINE.format(2000)])
    assert IOS_LINE.format(2000) in lab.device("ios-1").running.to_text()

    result = oamkit(env, "diff", "-i", str(lab_inventory), "--limit", "ios-1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out, "a pipe gets plain text"
    lines = out.splitlines()
    assert "@@ GigabitEthernet0/1 @@" in lines, out
    assert "- " + IOS_LINE.format(2000) in lines, out
    assert "+ " + IOS_LINE.format(3000) in lines, out
    # the stanza is the context: the interface line, unchanged, and only that interface
    assert " interface GigabitEthernet0/1" in lines, out
    assert "@@ GigabitEthernet0/2 @@" not in lines, out

    result = oamkit(env, "diff", "-i", str(lab_inventory), "--limit", "ios-1", "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert host["commands"], host
    [section] = host["diff"]
    assert section["section"] == "GigabitEthernet0/1"
    assert " " + IOS_LINE.format(2000) in section["before"]
    assert " " + IOS_LINE.format(3000) in section["after"]
    assert " " + IOS_LINE.format(3000) not in section["before"]
    assert "- " + IOS_LINE.format(2000) in section["unified"]


def test_push_shows_the_same_diff_and_a_clean_device_has_none(lab, lab_inventory, env):
    result = oamkit(env, "push", "-i", str(lab_inventory), "--limit", "ios-1",
                    "--confirm-timeout", "600")
    assert result.returncode == 0, result.stderr
    assert "+ " + IOS_LINE.format(3000) in result.stdout.splitlines(), result.stdout
    result = oamkit(env, "diff", "-i", str(lab_inventory), "--limit", "ios-1", "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert host["outcome"] == "unchanged" and host["diff"] == [], host


def test_diff_on_a_terminal_is_coloured(lab, lab_inventory, env):
    import os
    import pty
    import subprocess
    import sys

    code, _ = pushed(env, lab_inventory, "--limit", "ios-1")
    change_by_hand(lab, "ios-1", ["interface GigabitEthernet0/1", IOS_LINE.format(2000)])
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "diff", "-i", str(lab_inventory),
                             "--limit", "ios-1"], stdout=follower, stderr=subprocess.DEVNULL,
                            env={**env, "TERM": "xterm-256color"})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    out = b"".join(chunks).decode(errors="replace")
    assert IOS_LINE.format(2000) in out and IOS_LINE.format(3000) in out, out
    assert "\x1b[31m- " + IOS_LINE.format(2000) in out or "\x1b[31m-" in out, out
    assert "\x1b[32m+ " + IOS_LINE.format(3000) in out or "\x1b[32m+" in out, out


def test_netconf_diff_shows_each_leaf_old_and_new_value(lab, nc_inventory, env):
    code, hosts = pushed(env, nc_inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", hosts
    # by hand on the device's CLI: the frame event's high threshold 10 -> 12
    text = lab.device("xr-1").running.to_text()
    assert "frame threshold low 1 high 10" in text, text
    change_by_hand(lab, "xr-1", ["ethernet oam profile OAMKIT-LAB-XR",
                                 "link-monitor", "frame threshold low 1 high 12", "commit"])
    assert "frame threshold low 1 high 12" in lab.device("xr-1").running.to_text()

    result = oamkit(env, "diff", "-i", str(nc_inventory), "--limit", "xr-1", "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert host["outcome"] == "changed", host
    leaves = {d["path"]: d for d in host["diff"]}
    [path] = [p for p in leaves if p.endswith("frame/threshold/threshold-high")]
    assert (leaves[path]["before"], leaves[path]["after"]) == ("12", "10"), leaves

    result = oamkit(env, "diff", "-i", str(nc_inventory), "--limit", "xr-1")
    assert f"~ {path}: '12' -> '10'" in result.stdout.splitlines(), result.stdout


def test_playbook_diff_and_push_steps_show_the_diff(lab, lab_inventory, env, tmp_path):
    code, _ = pushed(env, lab_inventory, "--limit", "ios-1")
    assert code == 0
    change_by_hand(lab, "ios-1", ["interface GigabitEthernet0/1", IOS_LINE.format(2000)])
    play = tmp_path / "play.yaml"
    play.write_text("name: review\nlimit: ios-1\nsteps:\n  - diff: {}\n"
                    "  - push: {confirm_timeout: 600}\n")
    result = oamkit(env, "run", str(play), "-i", str(lab_inventory))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # once for the diff step, once for the push step
    assert lines.count("- " + IOS_LINE.format(2000)) == 2, result.stdout
    assert lines.count("+ " + IOS_LINE.format(3000)) == 2, result.stdout
    assert "\x1b[" not in result.stdout

    change_by_hand(lab, "ios-1", ["interface GigabitEthernet0/1", IOS_LINE.format(2500)])
    result = oamkit(env, "run", str(play), "-i", str(lab_inventory), "--json")
    steps = json.loads(result.stdout)["steps"]
    for step in steps:
        [section] = step["result"]["hosts"][0]["diff"]
        assert " " + IOS_LINE.format(2500) in section["before"], step
        assert " " + IOS_LINE.format(3000) in section["after"], step


def test_a_device_listing_lines_in_another_order_shows_only_what_changed():
    from oamkit.engine.review import unified, _align

    before = ["set a 1", "set b 2", "set c 3"]
    after = _align(before, ["set c 3", "set b 9", "set a 1"])   # rendered in another order
    changed = [line for line in unified(before, after)[3:] if line[:1] in "+-"]
    assert changed == ["-set b 2", "+set b 9"], unified(before, after)


def test_hosts_with_the_same_configuration_share_one_computation_not_their_dicts():
    from oamkit import configtext
    from oamkit.engine import review
    from oamkit.platforms import get_platform

    syntax = get_platform("cisco_ios").config
    before = "interface GigabitEthernet0/1\n ethernet oam\n ethernet oam mode passive\n"
    after = "interface GigabitEthernet0/1\n ethernet oam\n ethernet oam mode active\n"
    first = review.cli_sections(syntax, configtext.parse_indented(before), configtext.parse_indented(after))
    again = review.cli_sections(syntax, configtext.parse_indented(before), configtext.parse_indented(after))
    assert first == again and first[0] is not again[0]
    assert "+ ethernet oam mode active" in first[0]["unified"]
    # another host's other text is its own computation, never a neighbour's answer
    other = review.cli_sections(syntax, configtext.parse_indented(before.replace("0/1", "0/2")),
                                configtext.parse_indented(after.replace("0/1", "0/2")))
    assert other[0]["section"] == "GigabitEthernet0/2" and other != first
    assert review.cli_sections(syntax, configtext.parse_indented(after),
                               configtext.parse_indented(after)) == []
