"""Huawei VRP8 command grammar of the lab: the rules of the user, system and interface views
(``efm`` settings, ``display`` commands and their session handlers) and the checks VRP
applies as a line is entered (EFM enabled globally / on the interface first).
"""
from __future__ import annotations

from oamkit.lab.grammar import Rule, lazy_grammar


HW_IF = ("interface",)


def huawei_rules() -> list[Rule]:
    r = [
        # the working mode and the PDU interval are set only while the interface's `efm enable`
        # is not there, and `undo` (back to the default) is a change too (check_hw_mode_...)
        Rule("efm mode {active|passive}", HW_IF, checks=("hw_global_efm", "hw_mode_efm_disabled"),
             undo_checks=("hw_mode_efm_disabled",)),
        Rule("efm interval <100-1000/100>", HW_IF, checks=("hw_global_efm", "hw_if_efm_disabled"),
             undo_checks=("hw_if_efm_disabled",)),
        Rule("efm timeout <300-30000/100>", HW_IF, checks=("hw_global_efm",)),
        Rule("efm enable", HW_IF, checks=("hw_global_efm",)),
        Rule("efm trigger if-down", HW_IF, checks=("hw_if_efm",)),
        Rule("efm loopback ignore-request", HW_IF, checks=("hw_if_efm",)),
        Rule("efm holdup-timer <0-50>", HW_IF),
        Rule("efm error-code period <1-60>", HW_IF),
        Rule("efm error-code threshold <0-4294967295>", HW_IF),
        Rule("efm error-frame period <1-60>", HW_IF),
        Rule("efm error-frame threshold <0-4294967295>", HW_IF),
        Rule("efm error-frame-second period <10-900>", HW_IF),
        Rule("efm error-frame-second threshold <0-900>", HW_IF),
        Rule("efm error-frame-period period <1-4294967295>", HW_IF, checks=("hw_if_efm",)),
        Rule("efm error-frame-period threshold <0-4294967295>", HW_IF, checks=("hw_if_efm",)),
        Rule("efm error-frame-period notification enable", HW_IF, checks=("hw_if_efm",)),
    ]
    for ev in ("error-code", "error-frame", "error-frame-second"):
        r.append(Rule(f"efm {ev} notification enable", HW_IF))
    any_view = ("user", "system", "interface")
    cfg = ("system", "interface")
    r += [
        Rule("description LINE", HW_IF),
        Rule("shutdown", HW_IF),
        Rule("efm enable", ("system",)),
        Rule("sysname WORD", ("system",)),
        Rule("interface IFNAME", cfg, action="enter", enter="interface"),
        Rule("system-view", ("user",), action="cmd", handler="configure"),
        Rule("screen-length <0-512> temporary", any_view, action="cmd", handler="terminal_length"),
        Rule("screen-width <80-512>", ("user",), action="cmd", handler="terminal_width"),
        Rule("commit [comment LINE]", cfg, action="cmd", handler="commit"),
        Rule("abort", cfg, action="cmd", handler="abort"),
        Rule("display current-configuration [interface IFNAME]", any_view, action="cmd", handler="show_running"),
        Rule("display configuration candidate", cfg, action="cmd", handler="show_candidate"),
        Rule("display configuration candidate changes", cfg, action="cmd", handler="show_candidate_changes"),
        Rule("display efm all", any_view, action="cmd", handler="show_oam_status"),
        Rule("display efm interface IFNAME", any_view, action="cmd", handler="show_oam_status"),
        Rule("display efm session all", any_view, action="cmd", handler="show_oam_summary"),
        Rule("display efm session interface IFNAME", any_view, action="cmd", handler="show_oam_summary"),
        Rule("display efm link-event local [all]", any_view, action="cmd", handler="show_event_log"),
        Rule("display efm link-event local interface IFNAME", any_view, action="cmd", handler="show_event_log"),
        Rule("display interface [IFNAME]", any_view, action="cmd", handler="show_interfaces"),
        Rule("display version", any_view, action="cmd", handler="show_version"),
        Rule("save", ("user",), action="cmd", handler="write_memory"),
    ]
    return r


# A check gets (session, match, path) where path is the config-tree path of the sub-mode the
# line is entered in, and returns an error text or None (see oamkit.lab.grammar).

def check_hw_global_efm(sess, match, path) -> str | None:
    if sess.tree().get(["efm enable"]) is None:
        return "Error: Please enable EFM OAM globally first."
    return None


def check_hw_if_efm(sess, match, path) -> str | None:
    node = sess.tree().get(path)
    if node is None or node.child("efm enable") is None:
        return "Error: Please enable EFM OAM on the interface first."
    return None


def _if_efm_enabled(sess, path) -> bool:
    node = sess.tree().get(path)
    return node is not None and node.child("efm enable") is not None


def check_hw_if_efm_disabled(sess, match, path) -> str | None:
    # `efm interval`: "Prerequisites: EFM OAM has been globally enabled but has not been enabled
    # on an interface." ... "The interval at which an interface sends OAM PDUs cannot be changed
    # after EFM OAM is enabled on the interface." (NetEngine 8000 F1A command reference,
    # `efm interval`); `undo efm interval` restores the default, 1000 ms: a change too.
    if _if_efm_enabled(sess, path):
        return "Error: The interval cannot be changed when EFM OAM is enabled on the interface."
    return None


def check_hw_mode_efm_disabled(sess, match, path) -> str | None:
    # `efm mode`: "After EFM OAM is enabled on the interface, the EFM OAM working mode of the
    # interface cannot be changed." (NetEngine 8000 configuration guide, "Configuring an EFM OAM
    # Working Mode"); "Before changing the working mode of EFM on an interface, run the undo efm
    # enable command" (`efm mode` command reference). `undo efm mode` restores the default
    # (active): a change too. The docs give no error text: this one is NOT verbatim, it follows
    # the style of the interval's.
    if _if_efm_enabled(sess, path):
        return "Error: The working mode cannot be changed when EFM OAM is enabled on the interface."
    return None


CHECKS = {
    "hw_global_efm": check_hw_global_efm,
    "hw_if_efm": check_hw_if_efm,
    "hw_if_efm_disabled": check_hw_if_efm_disabled,
    "hw_mode_efm_disabled": check_hw_mode_efm_disabled,
}


# what oamkit.lab.vendors hands out for the platform
grammar = lazy_grammar(huawei_rules, CHECKS)
