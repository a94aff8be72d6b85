"""Device state and grammar without SSH: ConfigTree, commit model, grammar tables."""
from __future__ import annotations

import asyncio

import pytest

from oamkit.lab.cli import grammar_for
from oamkit.lab.device import CommitError, ConfigTree, Device, diff_text
from oamkit.lab.grammar import Match, NoMatch

TEXT = """hostname R1
!
interface GigabitEthernet0/1
 ethernet oam
 ethernet oam link-monitor frame window 10
!
template T
 ethernet oam link-monitor frame threshold high 5
"""


def test_config_tree_round_trip_and_paths():
    tree = ConfigTree.from_text(TEXT)
    assert tree.get(["interface GigabitEthernet0/1", "ethernet oam"]) is not None
    again = ConfigTree.from_text(tree.to_text(separator="!"))
    assert again == tree and again is not tree
    assert ("template T", "ethernet oam link-monitor frame threshold high 5") in set(tree.paths())
    copy = tree.copy()
    copy.set(["hostname R2"], replace_key="hostname")
    assert [c.line for c in copy.children][0] == "hostname R2" and tree.child("hostname R1")


def test_config_tree_replace_delete_and_diff():
    tree = ConfigTree.from_text(TEXT)
    new = tree.copy()
    new.set(["interface GigabitEthernet0/1", "ethernet oam link-monitor frame window 20"],
            replace_key="ethernet oam link-monitor frame window")
    assert new.get(["interface GigabitEthernet0/1", "ethernet oam link-monitor frame window 10"]) is None
    assert new.delete(["template T"]) and not new.delete(["template T"])
    assert new.delete_prefix(["interface GigabitEthernet0/1"], "ethernet oam") == 2
    d = tree.diff(new)
    assert ("-", ("template T",)) in d
    assert ("-", ("interface GigabitEthernet0/1", "ethernet oam")) in d
    text = diff_text(tree, new)
    assert "- template T" in text and "-  ethernet oam link-monitor frame threshold high 5" in text


def test_commit_confirm_cancel_and_rollback():
    async def scenario():
        dev = Device("xr-9", "cisco_xr", time_scale=0.001)
        dev.loop = asyncio.get_running_loop()
        dev.candidate.set(["hostname A"])
        dev.commit(session_id=1)
        dev.candidate.set(["hostname B"])
        dev.commit(session_id=1, confirmed_seconds=60)
        assert dev.confirm_pending and dev.running.get(["hostname B"])
        assert dev.cancel_confirmed() and dev.running.get(["hostname B"]) is None
        dev.candidate.set(["hostname C"])
        dev.commit(session_id=2, confirmed_seconds=60)
        assert dev.confirm()
        await asyncio.sleep(0.1)
        assert dev.running.get(["hostname C"]) is not None          # confirmed: no rollback
        dev.candidate.set(["hostname D"])
        dev.commit(session_id=2, confirmed_seconds=30)
        await asyncio.sleep(0.2)                                      # 30 s x 0.001
        assert dev.running.get(["hostname D"]) is None and not dev.confirm_pending
        assert dev.rollback(1).get(["hostname D"]) is not None       # candidate loaded, not applied
        dev.discard_changes()
        assert dev.candidate == dev.running
        dev.faults.commit_error = "boom"
        with pytest.raises(CommitError, match="boom"):
            dev.commit(session_id=3)
    asyncio.run(scenario())


def test_transcript_masks_secrets():
    dev = Device("ios-9", "cisco_ios", secrets=("hunter2",))
    dev.record(1, "cli", "in", "enable secret hunter2", "config")
    assert dev.transcript[-1].text == "enable secret ********"
    assert dev.config_commands() == ["enable secret ********"]


@pytest.mark.parametrize("platform,mode,line,expect", [
    ("cisco_ios", "config-if", "ethernet oam link-monitor frame window 600", "ok"),
    ("cisco_ios", "config-if", "ethernet oam link-monitor frame window 601", "value"),
    ("cisco_ios", "config-if", "ethernet oam link-monitor frame-seconds threshold high none", "ok"),
    ("cisco_ios", "config-if", "ethernet oam link-monitor receive-crc window 1800", "ok"),
    ("cisco_ios", "config-if", "ethernet oam max-rate 11", "value"),
    ("cisco_ios", "exec", "ethernet oam", "keyword"),
    ("cisco_ios", "exec", "sh run int gi0/1", "ok"),
    ("cisco_xr", "config-eoam-lm", "frame-seconds window 61000", "ok"),
    ("cisco_xr", "config-eoam-lm", "frame-seconds window 61500", "value"),
    ("cisco_xr", "config-eoam-lm", "frame threshold high 10", "keyword"),
    ("cisco_xr", "config-eoam", "mode active", "keyword"),
    ("cisco_xr", "config-if-eoam", "mode active", "ok"),
    ("juniper_junos", "set", "protocols oam ethernet link-fault-management interface ge-0/0/1 pdu-threshold 11", "value"),
    ("juniper_junos", "set", "protocols oam ethernet link-fault-management interface ge-9/9/9 pdu-threshold 5", "value"),
    ("huawei_vrp", "interface", "efm timeout 30000", "ok"),
    ("huawei_vrp", "interface", "efm timeout 350", "value"),
    ("huawei_vrp", "interface", "efm error-frame-second period 9", "value"),
    ("huawei_vrp", "interface", "efm error-code threshold 4294967295", "ok"),
])
def test_grammar_ranges_and_modes(platform, mode, line, expect):
    dev = Device("x", platform)
    m = grammar_for(platform).match(mode, line, dev)
    if expect == "ok":
        assert isinstance(m, Match), m
    else:
        assert isinstance(m, NoMatch) and m.kind == expect, m


def test_grammar_matches_are_shared_by_a_platform_but_interface_names_stay_per_device():
    small = Device("ios-small", "cisco_ios", interfaces=["GigabitEthernet0/1"])
    big = Device("ios-big", "cisco_ios", interfaces=["GigabitEthernet0/1", "GigabitEthernet0/9"])
    g = grammar_for("cisco_ios")
    first = g.match("config", "interface Gi0/1", small)
    assert isinstance(first, Match) and first.words[-1] == "GigabitEthernet0/1"
    assert g.match("config", "interface Gi0/1", small) is first      # asked again: remembered
    assert isinstance(g.match("config", "interface Gi0/9", big), Match)
    missing = g.match("config", "interface Gi0/9", small)
    assert isinstance(missing, NoMatch) and missing.kind == "value", missing
    # a failure is worked out afresh each time: callers shift its caret position in place
    again = g.match("config", "interface Gi0/9", small)
    assert isinstance(again, NoMatch) and again is not missing
