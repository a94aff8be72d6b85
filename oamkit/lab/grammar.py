"""Declarative command grammar for the lab's CLI personalities.

A rule is a spec string plus data: the modes it is valid in, what it does, and named semantic
checks. Spec tokens:

- ``word``           literal keyword (unique prefixes are accepted, like real CLIs)
- ``{a|b|<1-10>}``   one of the alternatives
- ``<lo-hi>``        integer in range; ``<lo-hi/step>`` must also be a multiple of step
- ``IFNAME``         an interface of the device (abbreviations such as ``Gi0/1`` accepted)
- ``WORD``           any single word; ``LINE`` the rest of the line
- ``[ ... ]``        optional tail (only at the end of a spec)
- `` / ``            (Junos only) hierarchy boundary: each group becomes one config-tree node

Matching walks every rule of the current mode, finds the longest match and reports the first
word no rule accepts, so the session can print the platform's caret error at that position.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tok:
    kind: str                  # lit | int | word | line | ifname | choice
    text: str = ""
    lo: int = 0
    hi: int = 0
    step: int = 1
    options: tuple["Tok", ...] = ()

    def describe_range(self) -> str:
        return f"{self.lo}..{self.hi}"


def _parse_tok(s: str) -> Tok:
    if s.startswith("{") and s.endswith("}"):
        return Tok("choice", options=tuple(_parse_tok(o) for o in s[1:-1].split("|")))
    m = re.fullmatch(r"<(\d+)-(\d+)(?:/(\d+))?>", s)
    if m:
        return Tok("int", lo=int(m[1]), hi=int(m[2]), step=int(m[3] or 1))
    if s == "WORD":
        return Tok("word")
    if s == "LINE":
        return Tok("line")
    if s == "IFNAME":
        return Tok("ifname")
    return Tok("lit", s)


@dataclass
class Rule:
    spec: str
    modes: tuple[str, ...]
    action: str = "set"        # set (config line) | enter (set + enter sub-mode) | cmd (handler)
    enter: str | None = None   # sub-mode entered by an "enter" rule
    handler: str | None = None # session method for "cmd" rules
    key: str | None = None     # explicit replace key (canonical words); default: words before the first value
    checks: tuple[str, ...] = ()
    variants: list[tuple[list[Tok], list[int]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        words = self.spec.replace("[", " [ ").replace("]", " ] ").split()
        base: list[str] = []
        optional: list[str] = []
        target = base
        for w in words:
            if w == "[":
                target = optional
                continue
            if w == "]":
                continue
            target.append(w)
        for with_opt in ((False, True) if optional else (False,)):
            ws = base + (optional if with_opt else [])
            toks: list[Tok] = []
            groups: list[int] = []
            g = 0
            for w in ws:
                if w == "/":
                    g += 1
                    continue
                toks.append(_parse_tok(w))
                groups.append(g)
            self.variants.append((toks, groups))


@dataclass
class Match:
    rule: Rule
    words: list[str]           # canonical words (keywords expanded, interface names normalised)
    groups: list[int]
    values: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def line(self) -> str:   # matches are shared and never changed (see Grammar.match)
        return " ".join(self.words)

    def nodes(self) -> list[str]:
        """Junos: one config node per group."""
        out: list[list[str]] = []
        for w, g in zip(self.words, self.groups):
            while len(out) <= g:
                out.append([])
            out[g].append(w)
        return [" ".join(x) for x in out if x]

    def key_words(self) -> str | None:
        if "_key_words" not in self.__dict__:
            self.__dict__["_key_words"] = self._key_words()
        return self.__dict__["_key_words"]

    def _key_words(self) -> str | None:
        if self.rule.key is not None:
            return self.rule.key.format(*self.words)
        toks = self.rule.variants[0][0]
        keyw: list[str] = []
        for tok, w in zip(toks, self.words):
            if tok.kind != "lit":
                return " ".join(keyw) if len(keyw) < len(self.words) else None
            keyw.append(w)
        return None  # no value in the line: nothing to replace

    def last_node_key(self) -> str | None:
        """Junos: the words of the last node before its value (None if it has no value)."""
        toks = self.rule.variants[0][0]
        last = self.groups[-1] if self.groups else 0
        keyw: list[str] = []
        for tok, w, g in zip(toks, self.words, self.groups):
            if g != last:
                continue
            if tok.kind != "lit":
                return " ".join(keyw) if keyw else None
            keyw.append(w)
        return None

    def ints(self) -> list[int]:
        return [int(w) for w in self.words if w.isdigit()]


@dataclass
class NoMatch:
    position: int              # index of the offending word (== len(words) when incomplete)
    kind: str                  # keyword | value | incomplete
    tok: Tok | None = None     # the expected token at that position (for range texts)
    word: str = ""


def tokenize(line: str) -> list[tuple[str, int]]:
    """Words with their character offsets; double-quoted strings stay one word."""
    return [(m.group(0), m.start()) for m in re.finditer(r'"[^"]*"|\S+', line)]


def _remember(cache: dict, key, value) -> None:
    if len(cache) > 10_000:   # garbage input must not grow a cache forever
        cache.clear()
    cache[key] = value


class Grammar:
    def __init__(self, rules: list[Rule], normalise_ifname) -> None:
        self.rules = rules
        self.normalise_ifname = normalise_ifname
        self.by_mode: dict[str, list[Rule]] = {}
        # a word that is itself a keyword is never taken as an abbreviation of another one
        self.keywords = {t.text for r in rules for toks, _ in r.variants for t in toks
                         if t.kind == "lit"} | {o.text for r in rules for toks, _ in r.variants
                                                 for t in toks if t.kind == "choice"
                                                 for o in t.options if o.kind == "lit"}
        for r in rules:
            for m in r.modes:
                self.by_mode.setdefault(m, []).append(r)
        self._by_first_word: dict[tuple[str, str], list[Rule]] = {}
        # successful matches, shared by every device of the platform: a fleet receives the same
        # lines. Read-only for callers (failures are not kept: callers move their caret).
        self._matched: dict[tuple, Match] = {}

    def _tok_match(self, tok: Tok, word: str, ctx) -> tuple[int, str | None, str]:
        """-> (quality 2 exact / 1 prefix / 0 none, canonical word, failure kind)."""
        if tok.kind == "lit":
            if word == tok.text:
                return 2, word, ""
            if tok.text.startswith(word) and not word.isdigit() and word not in self.keywords:
                return 1, tok.text, ""
            return 0, None, "keyword"
        if tok.kind == "int":
            if not word.isdigit():
                return 0, None, "keyword" if word[:1].isalpha() else "value"
            v = int(word)
            if tok.lo <= v <= tok.hi and (v - tok.lo) % tok.step == 0:
                return 2, str(v), ""
            return 0, None, "value"
        if tok.kind == "word":
            return 2, word, ""
        if tok.kind == "ifname":
            name = self.normalise_ifname(ctx, word)
            return (2, name, "") if name else (0, None, "value")
        if tok.kind == "choice":
            best = (0, None, "keyword")
            value_fail = False
            for o in tok.options:
                q, c, k = self._tok_match(o, word, ctx)
                if q > best[0]:
                    best = (q, c, "")
                if k == "value":
                    value_fail = True
            if best[0] == 0 and value_fail:
                return 0, None, "value"
            return best
        return 0, None, "keyword"

    def match(self, mode: str, line: str, ctx=None, *, partial: bool = False,
              explain: bool = True) -> Match | NoMatch:
        """Match ``line`` against the rules of ``mode``. With ``partial`` a prefix of a rule is
        enough (used by ``no``/``undo``/``delete``). With ``explain`` False a failure is a bare
        NoMatch (for callers that try another mode next and explain only the last failure)."""
        # an interface name is matched against the device's own interfaces
        key = (mode, line, partial, getattr(ctx, "interface_names", None))
        found = self._matched.get(key)
        if found is not None:
            return found
        m = self._match(mode, line, ctx, partial, explain)
        if isinstance(m, Match):
            _remember(self._matched, key, m)
        return m

    def _match(self, mode: str, line: str, ctx, partial: bool, explain: bool) -> Match | NoMatch:
        words = [w for w, _ in tokenize(line)]
        rules = self.by_mode.get(mode, [])
        if words:
            # Only rules whose first token can take the first word can match; the full scan
            # runs only when none does (it finds the furthest failure for the caret error).
            best, best_fail = self._scan(self._candidates(mode, words[0]), words, ctx, partial)
            if best is not None:
                return best[1]
            if not explain:
                return best_fail
        best, best_fail = self._scan(rules, words, ctx, partial)
        if best is not None:
            return best[1]
        return best_fail

    def _candidates(self, mode: str, word: str) -> list[Rule]:
        key = (mode, word)
        found = self._by_first_word.get(key)
        if found is None:
            found = [r for r in self.by_mode.get(mode, [])
                     if any(not toks or self._may_take(toks[0], word) for toks, _ in r.variants)]
            _remember(self._by_first_word, key, found)
        return found

    def _may_take(self, tok: Tok, word: str) -> bool:
        if tok.kind == "lit":   # keywords and their abbreviations: the matcher's own rule
            return self._tok_match(tok, word, None)[0] > 0
        if tok.kind == "choice":
            return any(self._may_take(o, word) for o in tok.options)
        return True   # int, word, ifname, line: decided by the full match

    def _scan(self, rules: list[Rule], words: list[str], ctx, partial: bool):
        best_fail = NoMatch(0, "keyword", None, words[0] if words else "")
        best: tuple[tuple[int, int], Match] | None = None
        for rule in rules:
            for toks, groups in rule.variants:
                canon: list[str] = []
                quality = 0
                failed: NoMatch | None = None
                wi = 0
                for tok in toks:
                    if wi >= len(words):
                        break
                    if tok.kind == "line":
                        canon.append(" ".join(words[wi:]))
                        quality += 2
                        wi = len(words)
                        continue
                    q, c, kind = self._tok_match(tok, words[wi], ctx)
                    if not q:
                        failed = NoMatch(wi, kind, tok, words[wi])
                        break
                    canon.append(c)  # type: ignore[arg-type]
                    quality += q
                    wi += 1
                if failed is None:
                    if wi < len(words):
                        failed = NoMatch(wi, "keyword", None, words[wi])
                    elif len(canon) < len(toks) and not partial:
                        failed = NoMatch(len(words), "incomplete")
                if failed is not None:
                    if (failed.position, failed.kind == "value") > (best_fail.position, best_fail.kind == "value"):
                        best_fail = failed
                    continue
                score = (len(canon) if not partial else -len(toks), quality)
                m = Match(rule, canon, groups[: len(canon)])
                if best is None or score > best[0]:
                    best = (score, m)
        return best, best_fail


# --------------------------------------------------------------------------- platform tables
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
        Rule("ethernet oam link-monitor supported", ("config-if",)),
        Rule("ethernet oam link-monitor on", ("config-if",), checks=("oam_enabled",)),
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
        Rule("action high-threshold {error-disable-interface|log}", XR_ACTION_MODES),
        Rule("action {critical-event|dying-gasp|link-fault} {disable|error-disable-interface|log}",
             XR_ACTION_MODES, key="{0} {1}"),
        Rule("action {discovery-timeout|capabilities-conflict|session-down} {disable|efd|error-disable-interface|log}",
             XR_ACTION_MODES, key="{0} {1}"),
        Rule("require-remote mode {active|passive}", XR_ACTION_MODES),
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
         Rule("interfaces IFNAME / description LINE", m),
         Rule("interfaces IFNAME / disable", m),
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
        Rule("show [LINE]", cf, action="cmd", handler="junos_show"),
        Rule("commit [LINE]", cf, action="cmd", handler="commit"),
        Rule("rollback [<0-49>]", cf, action="cmd", handler="rollback"),
        Rule("run LINE", cf, action="cmd", handler="run"),
        Rule("top", cf, action="cmd", handler="noop"),
    ]


HW_IF = ("interface",)


def huawei_rules() -> list[Rule]:
    r = [
        Rule("efm mode {active|passive}", HW_IF, checks=("hw_global_efm",)),
        Rule("efm interval <100-1000/100>", HW_IF, checks=("hw_global_efm", "hw_if_efm_disabled")),
        Rule("efm timeout <300-30000/100>", HW_IF, checks=("hw_global_efm",)),
        Rule("efm enable", HW_IF, checks=("hw_global_efm",)),
        Rule("efm trigger if-down", HW_IF, checks=("hw_if_efm",)),
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


RULES = {"cisco_ios": ios_rules, "cisco_xr": xr_rules, "juniper_junos": junos_rules,
         "huawei_vrp": huawei_rules}


# --------------------------------------------------------------------------- semantic checks
# A check gets (session, match, path) where path is the config-tree path of the sub-mode the
# line is entered in, and returns an error text or None.

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


def check_xr_low_le_high(sess, match, path) -> str | None:
    words = match.words
    if "high" in words:
        low = int(words[words.index("low") + 1])
        high = int(words[words.index("high") + 1])
        if low > high:
            return "% Invalid input: the high threshold must not be lower than the low threshold"
    return None


def check_hw_global_efm(sess, match, path) -> str | None:
    if sess.tree().get(["efm enable"]) is None:
        return "Error: Please enable EFM OAM globally first."
    return None


def check_hw_if_efm(sess, match, path) -> str | None:
    node = sess.tree().get(path)
    if node is None or node.child("efm enable") is None:
        return "Error: Please enable EFM OAM on the interface first."
    return None


def check_hw_if_efm_disabled(sess, match, path) -> str | None:
    node = sess.tree().get(path)
    if node is not None and node.child("efm enable") is not None:
        return "Error: The interval cannot be changed when EFM OAM is enabled on the interface."
    return None


def check_junos_profile_exists(sess, match, path) -> str | None:
    return None  # Junos checks references at commit time; see junos_validate


CHECKS = {
    "oam_enabled": check_oam_enabled,
    "ios_low_lt_high": check_ios_low_lt_high,
    "template_exists": check_template_exists,
    "xr_low_le_high": check_xr_low_le_high,
    "hw_global_efm": check_hw_global_efm,
    "hw_if_efm": check_hw_if_efm,
    "hw_if_efm_disabled": check_hw_if_efm_disabled,
    "junos_profile_exists": check_junos_profile_exists,
}


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

VALIDATORS = {"juniper_junos": junos_validate, "cisco_xr": xr_validate}


def normalise_ifname(dev, word: str) -> str | None:
    if word in dev.interfaces:
        return word
    m = re.fullmatch(r"([A-Za-z-]+)\s*([\d/.]+)", word)
    if not m:
        return None
    typ, num = m[1].lower(), m[2]
    for name in dev.interfaces:
        nm = re.fullmatch(r"([A-Za-z-]+)([\d/.]+)", name)
        if nm and nm[2] == num and nm[1].lower().startswith(typ):
            return name
    return None


_GRAMMARS: dict[str, Grammar] = {}


def grammar_for(platform: str) -> Grammar:
    g = _GRAMMARS.get(platform)
    if g is None:
        g = _GRAMMARS[platform] = Grammar(RULES[platform](), normalise_ifname)
    return g
