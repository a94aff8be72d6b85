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

This module is the vendor-neutral engine. Each platform's rules, its semantic checks and its
commit-time validator live in ``oamkit.lab.vendors.<platform>.grammar``; a rule names its
checks, and the platform's ``Grammar`` resolves the names against its own ``checks`` table
(``Grammar.problem``). ``oamkit.lab.vendors.grammar_for(platform)`` hands out the grammars.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Callable


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
    # On by default (IOS `ethernet oam link-monitor supported`): the configuration keeps the
    # negation (`no ...`) when it is turned off, and the line itself never shows
    default_on: bool = False
    undo_checks: tuple[str, ...] = ()   # checks of its removal (`no`/`undo` + the line)
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


# A semantic check gets (session, match, path), where path is the config-tree path of the
# sub-mode the line is entered in (the session offers ``mode`` and ``tree()``), and returns the
# platform's error text or None. Rules name their checks; each platform's Grammar maps the names.
Check = Callable[[Any, "Match", list[str]], "str | None"]


class Grammar:
    def __init__(self, rules: list[Rule], normalise_ifname,
                 checks: dict[str, Check] | None = None) -> None:
        self.rules = rules
        self.normalise_ifname = normalise_ifname
        self.checks = checks or {}
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

    def problem(self, session, match: Match, path: list[str], *,
                removing: bool = False) -> str | None:
        """The error text of the first semantic check of the matched rule that fails, or None.
        ``removing``: the line is being removed (``Rule.undo_checks``)."""
        for name in match.rule.undo_checks if removing else match.rule.checks:
            problem = self.checks[name](session, match, path)
            if problem:
                return problem
        return None

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


def lazy_grammar(rules: Callable[[], list[Rule]], checks: dict[str, Check]) -> Callable[[], Grammar]:
    """A platform's grammar, built on first use and then shared by all its devices (a Grammar
    remembers matches, so one per platform)."""
    @functools.cache
    def grammar() -> Grammar:
        return Grammar(rules(), normalise_ifname, checks)
    return grammar


def normalise_ifname(dev, word: str) -> str | None:
    """The device's interface a word names: the name itself or an abbreviation (``Gi0/1``,
    ``gi 0/1``), the same rule on every platform; None when the device has no such interface."""
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
