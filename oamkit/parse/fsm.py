"""The TextFSM that oamkit.parse runs: it knows which input line it is on, where each record
started, and which lines only a template's catch-all rule matched (unknown lines).

It finds the first rule of the state that matches a line with one regular expression per
state (the rules' patterns as alternatives, in order) instead of TextFSM's loop of one match
per rule through two Python calls each: the same rule wins (`re` tries alternatives in order,
as TextFSM tries rules), and most lines cost one call into `re` instead of ~13 rule checks.
A state whose patterns cannot be joined (back-references, inline flags) keeps TextFSM's loop.
Joining costs a compile (~2 ms a template), which pays for itself after a few hundred lines: a
state is joined once the process has checked `join_after` lines in it with the loop (counted
over every thread's FSMs of that template), so a one-host `oamkit check` does not pay it and a
fleet does, from its first hosts on.
"""
from __future__ import annotations

import contextlib
import functools
import re
import threading

import textfsm

_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _joined_patterns(rules: list) -> tuple[str, ...] | None:
    """The state's rule patterns, ready to be joined as alternatives (a value's named group
    may recur across rules: plain groups); None keeps TextFSM's loop for this state."""
    patterns = []
    for rule in rules:
        pattern = rule.regex_obj.pattern
        if "(?P=" in pattern or re.search(r"\\[1-9]|\(\?[aiLmsux]+\)", pattern):
            return None
        patterns.append(_NAMED_GROUP.sub("(?:", pattern))
    return tuple(patterns) if _finder(tuple(patterns), 0) is not None else None


@functools.lru_cache(maxsize=4096)
def _finder(patterns: tuple[str, ...], start: int) -> re.Pattern | None:
    """Matches a line if any of patterns[start:] does; the group that matched (`r<j>`, the
    last to close) names the first such rule. Compiled once per process, shared by every
    thread's FSMs (a compiled pattern is immutable); suffixes only when a Continue needs them."""
    try:
        return re.compile("|".join(f"(?P<r{j}>{patterns[j]})" for j in range(start, len(patterns))))
    except re.error:
        return None


JOIN_AFTER = 300   # lines a state checks with TextFSM's loop before its rules are joined
_UNDECIDED = object()
# per state (its rules' patterns): lines checked with the loop so far, and the joined patterns
# once decided (None: the state keeps the loop). Shared by every thread; a lost increment in a
# race only delays the decision by a line.
_LOOPED: dict[tuple[str, ...], int] = {}
_JOINED: dict[tuple[str, ...], tuple[str, ...] | None] = {}


class TrackingFSM(textfsm.TextFSM):
    """TextFSM that knows which input line it is on, and where each record started.
    `join_after`: see the module's docstring; None: TextFSM's loop always."""

    def __init__(self, template_file, join_after: int | None = JOIN_AFTER):
        super().__init__(template_file)
        self.join_after = join_after
        self._keys = {name: tuple(rule.regex_obj.pattern for rule in rules)
                      for name, rules in self.states.items()}
        self._decided: dict[str, tuple[str, ...] | None] = {}
        # TextFSM rebuilds the header list on every call and finds a value by a scan of them
        # all, for every value a matched line assigns; both are fixed once the template is read
        self._header = super()._GetHeader()
        self._by_name = {value.name: value for value in self.values}   # names are unique
        self.reset()

    def _GetHeader(self):  # noqa: N802 - TextFSM's name
        header = self.__dict__.get("_header")   # None while TextFSM still reads the template
        return header if header is not None else super()._GetHeader()

    def _GetValue(self, name):  # noqa: N802
        return self._by_name.get(name)

    def _joined_rules(self, name: str, rules: list) -> tuple[str, ...] | None:
        """The state's joined patterns once joining is decided; None meanwhile (the loop)."""
        if self.join_after is None:
            return None
        key = self._keys[name]
        joined = _JOINED.get(key, _UNDECIDED)
        if joined is _UNDECIDED:
            looped = _LOOPED[key] = _LOOPED.get(key, 0) + 1
            if looped <= self.join_after:
                return None
            joined = _JOINED[key] = _joined_patterns(rules)
        self._decided[name] = joined
        return joined

    def reset(self) -> "TrackingFSM":
        """As freshly built from its template, ready for the next ParseText (TextFSM's Reset:
        state Start, no records, every value cleared; plus the line tracking here)."""
        self.Reset()
        self.line_index = 0            # 1-based index into the lines fed to ParseText
        self.record_spans: list[tuple[int, int]] = []
        self._record_start: int | None = None
        self.unknown: list[int] = []   # line_index of lines only a catch-all `^. -> Error` matched
        return self

    def _CheckLine(self, line):  # noqa: N802 - TextFSM's name (its loop, plus unknown lines)
        self.line_index += 1
        rules, name = self._cur_state, self._cur_state_name
        joined = self._decided.get(name, _UNDECIDED)
        if joined is _UNDECIDED:
            joined = self._joined_rules(name, rules)
        at = 0
        while at < len(rules):
            if joined is not None:
                hit = _finder(joined, at).match(line)
                if hit is None:
                    return
                at = int(hit.lastgroup[1:])
                rule = rules[at]
                matched = rule.regex_obj.regex.match(line)   # its own groups, by value name
            else:   # TextFSM's loop
                rule = rules[at]
                matched = self._CheckRule(rule, line)
                if not matched:
                    at += 1
                    continue
            # The catch-all error rule of an oamkit template means "a line this template does
            # not know": skip and count it (parse_output decides whether it is a cut record).
            if rule.line_op == "Error" and rule.match in ("^.", "^.*") and not rule.record_op:
                self.unknown.append(self.line_index)
                return
            for value in matched.groupdict():
                self._AssignVar(matched, value)
            if self._Operations(rule, line):
                if rule.new_state:
                    if rule.new_state not in ("End", "EOF"):
                        self._cur_state = self.states[rule.new_state]
                    self._cur_state_name = rule.new_state
                return
            at += 1   # Continue: the rules after this one, on the same line

    def _AssignVar(self, matched, value):  # noqa: N802
        if self._record_start is None and matched.group(value):
            self._record_start = self.line_index
        return super()._AssignVar(matched, value)

    def _AppendRecord(self):  # noqa: N802
        before = len(self._result)
        super()._AppendRecord()
        if len(self._result) > before:
            self.record_spans.append((self._record_start or self.line_index, self.line_index))
        self._record_start = None


_idle: dict[str, list[TrackingFSM]] = {}   # template -> FSMs no parse is using
_idle_lock = threading.Lock()


@contextlib.contextmanager
def fsm_for(template: str, open_template):
    """An FSM of `template`, reset, for one parse. Reading and compiling a template cost more
    than parsing one device's output with it, so an FSM is built once and kept when its parse
    is over, for the next parse in any thread (the worker threads of a fleet run come and go
    with each run). One parse at a time per FSM: it holds the parse in progress; a parse never
    yields, so greenlets on the asyncssh loop's thread never share one."""
    with _idle_lock:
        idle = _idle.get(template)
        fsm = idle.pop() if idle else None
    if fsm is None:
        with open_template(template) as handle:
            fsm = TrackingFSM(handle)
    else:
        fsm.reset()
    try:
        yield fsm
    finally:
        with _idle_lock:
            _idle.setdefault(template, []).append(fsm)
