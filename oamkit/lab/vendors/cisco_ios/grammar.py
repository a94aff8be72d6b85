"""Cisco IOS command grammar of the lab: the rules of every mode (config lines, the sub-modes
they enter, exec commands and the session handler each runs) and the semantic checks IOS
applies when a line is entered (OAM on the interface, low below high, the template exists).
"""
from __future__ import annotations

from oamkit.lab.grammar import Rule, lazy_grammar


IOS_LM = {  # event: (window range, low range, high range)
    "symbol-period": ("<1-65535>", "<0-65535>", "{<1-65535>|none}"),
    "frame": ("<10-600>", "<0-65535>", "{<1-65535>|none}"),
    "frame-period": ("<1-65535>", "<0-65535>", "{<1-65535>|none}"),
    "frame-seconds": ("<100-9000>", "<1-900>", "{<1-900>|none}"),
    "receive-crc": ("<10-1800>", "<0-65535>", "{<1-65535>|none}"),
    "transmit-crc": ("<10-1800>", "<0-65535>", "{<1-65535>|none}"),
}

IOS_EXEC = ("exec",)
IOS_CFG = ("config", "config-if", "config-template")


def ios_rules() -> list[Rule]:
    r: list[Rule] = []
    lm_modes = ("config-if", "config-template")
    for ev, (win, low, high) in IOS_LM.items():
        base = f"ethernet oam link-monitor {ev}"
        chk_if = ("oam_enabled",)
        r += [Rule(f"{base} window {win}", lm_modes, checks=chk_if),
              Rule(f"{base} threshold low {low}", lm_modes, checks=(*chk_if, "ios_low_lt_high")),
              Rule(f"{base} threshold high {high}", lm_modes, checks=(*chk_if, "ios_low_lt_high"))]
    r += [
        Rule("ethernet oam link-monitor high-threshold action {error-disable-interface|failover}",
             lm_modes, checks=("oam_enabled",)),
        # "This is the default. You need to enter this command only if it has been disabled by
        # previously entering the no ethernet oam link-monitor supported command." (Cisco IE
        # 2000U configuration guide, Configuring Ethernet OAM Link Monitoring)
        Rule("ethernet oam link-monitor supported", ("config-if",), default_on=True),
        Rule("ethernet oam link-monitor on", ("config-if",), checks=("oam_enabled",)),
        Rule("ethernet oam remote-loopback supported", ("config-if",), checks=("oam_enabled",)),
        Rule("ethernet oam remote-failure {critical-event|dying-gasp|link-fault} action error-disable-interface",
             lm_modes, key="{0} {1} {2} {3}", checks=("oam_enabled",)),
        Rule("ethernet oam", ("config-if",)),
        Rule("ethernet oam mode {active|passive}", ("config-if",)),
        Rule("ethernet oam min-rate <1-10>", ("config-if",)),
        Rule("ethernet oam max-rate <1-10>", ("config-if",)),
        Rule("ethernet oam timeout <2-30>", ("config-if",)),
        Rule("source template WORD", ("config-if",), checks=("oam_enabled", "template_exists")),
        Rule("description LINE", ("config-if",)),
        Rule("shutdown", ("config-if",)),
        Rule("no ip address", ("config-if",)),
        Rule("interface IFNAME", ("config", "config-if", "config-template"), action="enter", enter="config-if"),
        Rule("template WORD", ("config", "config-template"), action="enter", enter="config-template"),
        Rule("hostname WORD", ("config",)),
        # exec commands
        Rule("show running-config [interface IFNAME]", IOS_EXEC, action="cmd", handler="show_running"),
        Rule("show ethernet oam status [interface IFNAME]", IOS_EXEC, action="cmd", handler="show_oam_status"),
        Rule("show ethernet oam summary", IOS_EXEC, action="cmd", handler="show_oam_summary"),
        Rule("show ethernet oam statistics [interface IFNAME]", IOS_EXEC, action="cmd", handler="show_oam_statistics"),
        Rule("show ethernet oam discovery [interface IFNAME]", IOS_EXEC, action="cmd", handler="show_oam_discovery"),
        Rule("show interfaces [IFNAME]", IOS_EXEC, action="cmd", handler="show_interfaces"),
        Rule("show version", IOS_EXEC, action="cmd", handler="show_version"),
        Rule("show archive config differences", IOS_EXEC, action="cmd", handler="show_archive_diff"),
        Rule("terminal length <0-512>", IOS_EXEC, action="cmd", handler="terminal_length"),
        Rule("terminal width <0-512>", IOS_EXEC, action="cmd", handler="terminal_width"),
        Rule("configure terminal", IOS_EXEC, action="cmd", handler="configure"),
        Rule("configure terminal revert timer <1-120>", IOS_EXEC, action="cmd", handler="configure_revert"),
        Rule("configure confirm", IOS_EXEC, action="cmd", handler="configure_confirm"),
        Rule("write memory", IOS_EXEC, action="cmd", handler="write_memory"),
        Rule("copy running-config startup-config", IOS_EXEC, action="cmd", handler="write_memory"),
        Rule("enable", IOS_EXEC + ("user",), action="cmd", handler="enable"),
        Rule("disable", IOS_EXEC, action="cmd", handler="disable"),
        Rule("show version", ("user",), action="cmd", handler="show_version"),
        Rule("terminal length <0-512>", ("user",), action="cmd", handler="terminal_length"),
        Rule("terminal width <0-512>", ("user",), action="cmd", handler="terminal_width"),
    ]
    return r


# A check gets (session, match, path) where path is the config-tree path of the sub-mode the
# line is entered in, and returns an error text or None (see oamkit.lab.grammar).

def _ios_thresholds(tree, path, event):
    node = tree.get(path)
    lows = highs = None
    prefix = f"ethernet oam link-monitor {event} threshold "
    for c in (node.children if node is not None else ()):
        if c.line.startswith(prefix):
            which, _, value = c.line[len(prefix):].partition(" ")
            if value.isdigit() and which == "low":
                lows = int(value)
            elif value.isdigit() and which == "high":
                highs = int(value)
    return lows, highs


def check_oam_enabled(sess, match, path) -> str | None:
    if sess.mode != "config-if":
        return None
    node = sess.tree().get(path)
    if node is None or node.child("ethernet oam") is None and not any(
            c.line.startswith("ethernet oam mode") for c in node.children):
        return "% OAM not enabled on interface"
    return None


def check_ios_low_lt_high(sess, match, path) -> str | None:
    event = match.words[3]
    low, high = _ios_thresholds(sess.tree(), path, event)
    which, value = match.words[5], match.words[6]
    if value == "none":
        return None
    if which == "low":
        low = int(value)
    else:
        high = int(value)
    if low is not None and high is not None and low >= high:
        return "% Low threshold must be lower than high threshold"
    return None


def check_template_exists(sess, match, path) -> str | None:
    if sess.tree().get([f"template {match.words[-1]}"]) is None:
        return f"% Template {match.words[-1]} does not exist"
    return None


CHECKS = {
    "oam_enabled": check_oam_enabled,
    "ios_low_lt_high": check_ios_low_lt_high,
    "template_exists": check_template_exists,
}


# what oamkit.lab.vendors hands out for the platform
grammar = lazy_grammar(ios_rules, CHECKS)
