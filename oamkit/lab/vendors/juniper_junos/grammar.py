"""Junos command grammar of the lab: the statements valid after ``set``/``delete`` (mode
"set", one config-tree node per `` / `` group), the operational and configuration-mode
commands with their session handlers, and the commit-time validator (an applied action
profile must exist; Junos checks references at commit, not as lines are entered).
"""
from __future__ import annotations

from oamkit.lab.grammar import Rule, lazy_grammar


LFM = "protocols / oam / ethernet / link-fault-management"
JUNOS_LIST_KEYS = frozenset({"interface", "action-profile"})   # named entries, not values
# Containers whose presence means something (LFM on), kept when a delete empties them.
JUNOS_PRESENCE = frozenset({"link-fault-management"})
JUNOS_EVENTS = ("frame-error", "frame-period", "frame-period-summary", "symbol-period")


def junos_set_rules() -> list[Rule]:
    """Statements valid after ``set``/``delete`` (mode "set")."""
    m = ("set",)
    r = [Rule(f"{LFM} / interface IFNAME", m),   # Juniper's own first step: LFM on, defaults
         Rule(f"{LFM} / interface IFNAME / link-discovery {{active|passive}}", m),
         Rule(f"{LFM} / interface IFNAME / pdu-interval <100-1000>", m),
         Rule(f"{LFM} / interface IFNAME / pdu-threshold <3-10>", m),
         Rule(f"{LFM} / interface IFNAME / apply-action-profile WORD", m, checks=("junos_profile_exists",)),
         Rule(f"{LFM} / interface IFNAME / remote-loopback", m),
         Rule(f"{LFM} / interface IFNAME / negotiation-options / allow-remote-loopback", m),
         Rule(f"{LFM} / interface IFNAME / negotiation-options / no-allow-link-events", m),
         Rule(f"{LFM} / action-profile WORD / event / {{link-adjacency-loss|protocol-down}}", m),
         Rule(f"{LFM} / action-profile WORD / action / {{link-down|syslog|send-critical-event}}", m),
         # another team's OAM beside oamkit's (Junos CFM): `protocols oam` holds more than LFM,
         # and stays when LFM is gone (deactivated, it silences both)
         Rule("protocols / oam / ethernet / connectivity-fault-management / maintenance-domain WORD "
              "/ level <0-7>", m),
         # one node per hierarchy level, as the baseline and `show configuration` have them
         Rule("interfaces / IFNAME / description LINE", m),
         Rule("interfaces / IFNAME / disable", m),
         Rule("system / host-name WORD", m)]
    for ev in JUNOS_EVENTS:
        r.append(Rule(f"{LFM} / interface IFNAME / event-thresholds / {ev} <1-100>", m))
        r.append(Rule(f"{LFM} / action-profile WORD / event / link-event-rate / {ev} <1-100>", m))
    return r


def junos_rules() -> list[Rule]:
    ex, cf = ("exec",), ("config",)
    return junos_set_rules() + [
        Rule("configure [{private|exclusive}]", ex, action="cmd", handler="configure"),
        Rule("show configuration [LINE]", ex, action="cmd", handler="show_configuration"),
        Rule("show oam ethernet link-fault-management [LINE]", ex, action="cmd", handler="show_oam_status"),
        Rule("show interfaces [LINE]", ex, action="cmd", handler="show_interfaces"),
        Rule("show version", ex, action="cmd", handler="show_version"),
        Rule("show system commit", ex, action="cmd", handler="show_commit_list"),
        Rule("set cli screen-length <0-100000>", ex, action="cmd", handler="terminal_length"),
        Rule("set cli screen-width <0-1024>", ex, action="cmd", handler="terminal_width"),
        Rule("set cli complete-on-space {on|off}", ex, action="cmd", handler="complete_on_space"),
        Rule("set LINE", cf, action="cmd", handler="junos_set"),
        Rule("delete LINE", cf, action="cmd", handler="junos_delete"),
        Rule("deactivate LINE", cf, action="cmd", handler="junos_deactivate"),
        Rule("activate LINE", cf, action="cmd", handler="junos_activate"),
        Rule("show [LINE]", cf, action="cmd", handler="junos_show"),
        Rule("commit [LINE]", cf, action="cmd", handler="commit"),
        Rule("rollback [<0-49>]", cf, action="cmd", handler="rollback"),
        Rule("run LINE", cf, action="cmd", handler="run"),
        Rule("top", cf, action="cmd", handler="noop"),
    ]


# A check gets (session, match, path) where path is the config-tree path of the sub-mode the
# line is entered in, and returns an error text or None (see oamkit.lab.grammar).

def check_junos_profile_exists(sess, match, path) -> str | None:
    return None  # Junos checks references at commit time; see junos_validate


CHECKS = {"junos_profile_exists": check_junos_profile_exists}


def junos_validate(device, tree) -> str | None:
    """Commit-time check: an applied action profile must exist."""
    lfm = tree.get(["protocols", "oam", "ethernet", "link-fault-management"])
    if lfm is None:
        return None
    profiles = {c.line.split(" ", 1)[1] for c in lfm.children if c.line.startswith("action-profile ")}
    for c in lfm.children:
        if not c.line.startswith("interface "):
            continue
        for leaf in c.children:
            if leaf.line.startswith("apply-action-profile "):
                name = leaf.line.split(" ", 1)[1]
                if name not in profiles:
                    return ("[edit protocols oam ethernet link-fault-management "
                            f"{c.line}]\n  'apply-action-profile {name}'\n"
                            f"    Referenced action profile {name} is not defined\n"
                            "error: configuration check-out failed")
    return None


# what oamkit.lab.vendors hands out for the platform
grammar = lazy_grammar(junos_rules, CHECKS)
