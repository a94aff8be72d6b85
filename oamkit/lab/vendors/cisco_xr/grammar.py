"""Cisco IOS-XR command grammar of the lab: the rules of every mode (the ``ethernet oam``
profile and interface sub-modes, exec commands and their session handlers), the check XR
applies as a line is entered (low not above high), and the commit-time validator (an applied
profile must exist). ``oamkit.lab.netconf_xlate`` judges NETCONF edits with the same grammar.
"""
from __future__ import annotations

from oamkit.lab.grammar import Rule, lazy_grammar


XR_LM_MODES = ("config-eoam-lm", "config-if-eoam-lm")
XR_ACTION_MODES = ("config-eoam", "config-if-eoam")
XR_EXEC = ("exec",)


def xr_rules() -> list[Rule]:
    lm = XR_LM_MODES
    r = [
        Rule("symbol-period window symbols <1-4294967295>", lm, key="symbol-period window"),
        Rule("symbol-period window milliseconds <1000-60000>", lm, key="symbol-period window"),
        Rule("symbol-period threshold symbols low <0-4294967295> [high <0-4294967295>]", lm,
             key="symbol-period threshold", checks=("xr_low_le_high",)),
        Rule("symbol-period threshold low <0-60000000> [high <0-60000000>]", lm,
             key="symbol-period threshold", checks=("xr_low_le_high",)),
        Rule("frame window <1000-60000>", lm),
        Rule("frame window milliseconds <1000-60000>", lm, key="frame window"),
        Rule("frame threshold low <0-60000000> [high <0-60000000>]", lm, key="frame threshold",
             checks=("xr_low_le_high",)),
        Rule("frame-period window frames <1-4294967295>", lm, key="frame-period window"),
        Rule("frame-period window <1000-60000>", lm, key="frame-period window"),
        Rule("frame-period window milliseconds <1000-60000>", lm, key="frame-period window"),
        Rule("frame-period threshold frames low <0-4294967295> [high <0-4294967295>]", lm,
             key="frame-period threshold", checks=("xr_low_le_high",)),
        Rule("frame-period threshold ppm low <1-1000000> [high <1-1000000>]", lm,
             key="frame-period threshold", checks=("xr_low_le_high",)),
        Rule("frame-seconds window <10000-900000/1000>", lm),
        Rule("frame-seconds threshold low <1-900> [high <1-900>]", lm, key="frame-seconds threshold",
             checks=("xr_low_le_high",)),
        Rule("mode passive", ("config-eoam",)),
        Rule("mode {active|passive}", ("config-if-eoam",)),
        Rule("hello-interval {1s|100ms}", XR_ACTION_MODES),
        Rule("connection timeout <2-30>", XR_ACTION_MODES),
        Rule("link-monitor", ("config-eoam",), action="enter", enter="config-eoam-lm"),
        Rule("link-monitor", ("config-if-eoam",), action="enter", enter="config-if-eoam-lm"),
        # `log` (and high-threshold's `disable`) only as an interface override: ASR 9000 CR
        # 5.3.x, `action high-threshold` log: "This action is available only in interface
        # Ethernet OAM configuration mode to override the OAM profile"; `action dying-gasp`:
        # "log - (Interface Ethernet OAM configuration only)"; NCS 6000 6.4.x guide, profile
        # steps: `action critical-event {disable | error-disable-interface}`, "the log keyword
        # option is available in Interface Ethernet OAM configuration mode to override the
        # profile setting". In a profile the word is refused like any unknown one.
        Rule("action high-threshold error-disable-interface", ("config-eoam",)),
        Rule("action high-threshold {disable|error-disable-interface|log}", ("config-if-eoam",)),
        Rule("action {critical-event|dying-gasp} {disable|error-disable-interface}", ("config-eoam",),
             key="{0} {1}"),
        Rule("action {critical-event|dying-gasp} {disable|error-disable-interface|log}",
             ("config-if-eoam",), key="{0} {1}"),
        # ASR 9000 CR 5.3.x: `action uni-directional link-fault` "replaces the action link-fault
        # command. Release 4.0.0"; the old keyword is refused like any unknown word.
        Rule("action uni-directional link-fault {disable|efd|error-disable-interface}", ("config-eoam",)),
        Rule("action uni-directional link-fault {disable|efd|error-disable-interface|log}",
             ("config-if-eoam",)),
        Rule("action {discovery-timeout|capabilities-conflict|session-down} {disable|efd|error-disable-interface}",
             ("config-eoam",), key="{0} {1}"),
        Rule("action {discovery-timeout|capabilities-conflict|session-down} {disable|efd|error-disable-interface|log}",
             ("config-if-eoam",), key="{0} {1}"),
        Rule("require-remote mode {active|passive}", XR_ACTION_MODES),
        Rule("remote-loopback", XR_ACTION_MODES),
        Rule("profile WORD", ("config-if-eoam",)),
        Rule("ethernet oam profile WORD", ("config",), action="enter", enter="config-eoam"),
        Rule("ethernet oam", ("config-if",), action="enter", enter="config-if-eoam"),
        Rule("interface IFNAME", ("config", "config-if"), action="enter", enter="config-if"),
        Rule("description LINE", ("config-if",)),
        Rule("shutdown", ("config-if",)),
        Rule("hostname WORD", ("config",)),
        Rule("commit [confirmed <30-65535>]", ("config",) + XR_ALL_SUB, action="cmd", handler="commit"),
        Rule("commit comment LINE", ("config",) + XR_ALL_SUB, action="cmd", handler="commit"),
        Rule("commit label WORD [confirmed <30-65535>]", ("config",) + XR_ALL_SUB, action="cmd", handler="commit"),
        Rule("abort", ("config",) + XR_ALL_SUB, action="cmd", handler="abort"),
        Rule("show configuration failed [LINE]", ("config",) + XR_ALL_SUB, action="cmd",
             handler="show_config_failed"),
        Rule("show configuration", ("config",) + XR_ALL_SUB, action="cmd", handler="show_candidate_changes"),
        Rule("show running-config [LINE]", ("config",) + XR_ALL_SUB, action="cmd", handler="show_running"),
        # exec
        Rule("show running-config [LINE]", XR_EXEC, action="cmd", handler="show_running"),
        Rule("show configuration commit changes [last <1-100>]", XR_EXEC + ("config",), action="cmd", handler="show_commit_changes"),
        Rule("show configuration commit changes WORD", XR_EXEC, action="cmd", handler="show_commit_changes"),
        Rule("show configuration commit list", XR_EXEC, action="cmd", handler="show_commit_list"),
        Rule("rollback configuration last <1-100>", XR_EXEC, action="cmd", handler="rollback_last"),
        Rule("show ethernet oam interfaces [interface IFNAME]", XR_EXEC, action="cmd", handler="show_oam_status"),
        Rule("show ethernet oam configuration [interface IFNAME]", XR_EXEC, action="cmd",
             handler="show_oam_configuration"),
        Rule("show ethernet oam statistics [interface IFNAME]", XR_EXEC, action="cmd", handler="show_oam_statistics"),
        Rule("show ethernet oam event-log [interface IFNAME]", XR_EXEC, action="cmd", handler="show_event_log"),
        Rule("show ethernet oam summary", XR_EXEC, action="cmd", handler="show_oam_summary"),
        Rule("show ethernet oam discovery [interface IFNAME]", XR_EXEC, action="cmd", handler="show_oam_discovery"),
        Rule("show interfaces [IFNAME]", XR_EXEC, action="cmd", handler="show_interfaces"),
        Rule("show version", XR_EXEC, action="cmd", handler="show_version"),
        Rule("terminal length <0-512>", XR_EXEC, action="cmd", handler="terminal_length"),
        Rule("terminal width <0-512>", XR_EXEC, action="cmd", handler="terminal_width"),
        Rule("configure [terminal]", XR_EXEC, action="cmd", handler="configure"),
    ]
    return r


XR_ALL_SUB = ("config-eoam", "config-eoam-lm", "config-if", "config-if-eoam", "config-if-eoam-lm")


# A check gets (session, match, path) where path is the config-tree path of the sub-mode the
# line is entered in, and returns an error text or None (see oamkit.lab.grammar).

def check_xr_low_le_high(sess, match, path) -> str | None:
    words = match.words
    if "high" in words:
        low = int(words[words.index("low") + 1])
        high = int(words[words.index("high") + 1])
        if low > high:
            return "% Invalid input: the high threshold must not be lower than the low threshold"
    return None


CHECKS = {"xr_low_le_high": check_xr_low_le_high}


def xr_validate(device, tree) -> str | None:
    profiles = {c.line.split()[-1] for c in tree.children if c.line.startswith("ethernet oam profile ")}
    for c in tree.children:
        if c.line.startswith("interface "):
            eoam = c.child("ethernet oam")
            if eoam is None:
                continue
            for leaf in eoam.children:
                if leaf.line.startswith("profile ") and leaf.line.split()[1] not in profiles:
                    return DEFAULT_XR_FAIL
    return None


DEFAULT_XR_FAIL = ("% Failed to commit one or more configuration items during a pseudo-atomic "
                   "operation. All changes made have been reverted. Please issue 'show "
                   "configuration failed [inheritance]' from this session to view the errors")


# what oamkit.lab.vendors hands out for the platform
grammar = lazy_grammar(xr_rules, CHECKS)
