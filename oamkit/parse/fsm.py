"""The TextFSM that oamkit.parse runs: it knows which input line it is on, where each record
started, and which lines only a template's catch-all rule matched (unknown lines)."""
from __future__ import annotations

import threading

import textfsm


class TrackingFSM(textfsm.TextFSM):
    """TextFSM that knows which input line it is on, and where each record started."""

    def __init__(self, template_file):
        super().__init__(template_file)
        self.reset()

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
        for rule in self._cur_state:
            matched = self._CheckRule(rule, line)
            if not matched:
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
                break

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


_built = threading.local()


def fsm_for(template: str, open_template) -> TrackingFSM:
    """The FSM of `template`, reset: built once per thread (reading and compiling a template
    cost more than parsing one device's output with it), then reused. Per thread because an
    FSM holds the parse in progress; a parse never yields, so greenlets sharing the asyncssh
    loop's thread never see each other's."""
    cache = _built.__dict__.setdefault("by_template", {})
    fsm = cache.get(template)
    if fsm is None:
        with open_template(template) as handle:
            fsm = cache[template] = TrackingFSM(handle)
        return fsm
    return fsm.reset()
