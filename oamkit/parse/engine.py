"""The engine: run a command's template over saved output and check every record is whole.

`parse_output` cleans the capture (`oamkit.parse.capture`), finds the template in the command
index (`oamkit.parse.index`), runs it with a TextFSM that tracks input lines
(`oamkit.parse.fsm`), decides from structure alone whether the output was cut short
(`oamkit.parse.structure` and the vendor's `TemplateSpec`), then lets the vendor module
normalise each record. Any failure is a `ParseError` naming the template and the input line.
"""
from __future__ import annotations

import os
import re

import textfsm

from oamkit.parse.capture import (
    INFO_LINE,
    is_device_error,
    is_header,
    scrub,
    strip_session_lines,
)
from oamkit.parse.fsm import fsm_for
from oamkit.parse.index import NTC_PREFIX, SPECS, clean_command, open_template, template_for
from oamkit.parse.result import ParseError, ParseResult
from oamkit.parse.spec import Line, RecordContext
from oamkit.parse.structure import looks_like_row, still_before_table, unknown_lines_warning
from oamkit.parse.values import canonical_platform

# TextFSM words its errors for template authors; ParseError keeps only the reason.
_FSM_ERROR = re.compile(r'^Error: "?(?P<reason>.*?)"?\. Rule Line: \d+\. Input Line: ', re.DOTALL)


def parse_output(platform: str, command: str, text: str) -> ParseResult:
    """Parse `text`, the saved output of `command` on `platform`.

    Raises UnsupportedCommand for an unknown platform/command and ParseError for output that
    does not parse (see the `oamkit.parse` package docstring)."""
    platform = canonical_platform(platform)
    template = template_for(platform, command)
    spec = SPECS[template]
    source = "ntc-templates" if template.startswith(NTC_PREFIX) else "oamkit"
    result = ParseResult(platform, clean_command(command), template, source)

    lines = [Line(n, scrub(t)) for n, t in enumerate(
        text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1)]
    lines = strip_session_lines(lines, platform, template)
    for line in lines:
        info = INFO_LINE.match(line.text)
        if info:
            result.messages.append(info.group("message"))
    lines = [line for line in lines if not INFO_LINE.match(line.text)]
    content = [line for line in lines if not is_header(line.text)]
    if not content:
        result.empty = True
        return result
    for line in content:
        if is_device_error(line.text):
            raise ParseError(template, line.number, line.text,
                             "the device rejected the command, there is no output to parse")
    for step in spec.preprocess:
        lines = step(lines)

    with fsm_for(template, open_template) as fsm:
        try:
            rows = fsm.ParseText("\n".join(line.text for line in lines))
        except textfsm.TextFSMError as exc:
            at = lines[min(fsm.line_index, len(lines)) - 1]
            match = _FSM_ERROR.match(str(exc))
            reason = match.group("reason") if match else str(exc)
            raise ParseError(template, at.number, at.text, reason) from None
        # what the checks below need; the FSM goes back for the next parse
        header, spans, unknown_at = fsm.header, fsm.record_spans, fsm.unknown
        end_state = fsm._cur_state_name

    last_line = content[-1]
    unknown = [lines[i - 1] for i in unknown_at if 0 < i <= len(lines)]
    if (unknown and spec.table and unknown[-1].number == last_line.number
            and looks_like_row(spec.table, last_line.text)):
        raise ParseError(template, last_line.number, last_line.text,
                         "the last table row is incomplete (truncated?)")
    if not rows and unknown and spec.table and still_before_table(end_state):
        raise ParseError(template, unknown[0].number, unknown[0].text,
                         "no table header found: output in an unknown layout")
    skipped = {line.number for line in unknown}
    if (not rows and (spec.lenient or not spec.allow_no_records)
            or all(line.number in skipped for line in content)):
        raise ParseError(template, content[0].number, content[0].text,
                         "no records recognised: output in an unknown layout")
    warning = unknown_lines_warning([(line.number, line.text) for line in unknown])
    if warning:
        result.warnings.append(warning)
    if not rows:
        return result

    for i, row in enumerate(rows):
        raw = dict(zip(header, row))
        start, _end = spans[i] if i < len(spans) else (None, None)
        start_line = lines[start - 1] if start else None
        is_last = i == len(rows) - 1
        label = raw.get("INTERFACE") or f"record {i + 1}"

        def incomplete(missing: str) -> ParseError:
            if is_last:
                return ParseError(template, last_line.number, last_line.text,
                                  f"output ends before {missing} of {label} (truncated?)")
            return ParseError(template, start_line.number if start_line else None,
                              start_line.text if start_line else None,
                              f"record for {label} has no {missing}")

        # Lenient (counter) templates: a counter line is optional for all but a cut last record.
        applies = ((spec.required_if is None or spec.required_if(raw))
                   and (is_last or not spec.lenient))
        excused = spec.excused(raw) if spec.excused else ()
        for name in spec.required if applies else ():
            if name not in excused and raw.get(name) in ("", None, []):
                raise incomplete(name)
        if is_last and spec.cut and start:
            cut = spec.cut([line.text for line in lines[start - 1:]])
            if cut:
                raise incomplete(cut)
        for group in spec.together:
            present = [name for name in group if raw.get(name) not in ("", None, [])]
            if present and len(present) != len(group):
                missing = next(name for name in group if name not in present)
                raise incomplete(missing)
        sections = raw.get("SECTIONS") or []
        for section in sections:
            key = spec.section_windows.get(section)
            if key and not raw.get(f"{key}_WINDOW"):
                raise incomplete(f"{key}_WINDOW")
        if spec.uniform and is_last and i > 0:
            earlier = [dict(zip(header, r)) for r in rows[:i]]
            for name in header:
                if name in spec.uniform_ignore or raw.get(name) not in ("", None, []):
                    continue
                if all(e.get(name) not in ("", None, []) for e in earlier):
                    raise incomplete(name)
            if "SECTIONS" in raw or "BLOCKS" in raw:
                key = "SECTIONS" if "SECTIONS" in raw else "BLOCKS"
                seen_before = set.intersection(*(set(e[key]) for e in earlier))
                gone = sorted(seen_before - set(raw[key]))
                if gone:
                    raise incomplete(f"the {gone[0]!r} block")
        missing_field = spec.check(raw) if spec.check else None
        if missing_field:
            raise incomplete(missing_field)
        try:
            records = spec.normalise(RecordContext(platform, raw, start_line, result.warnings))
        except (ValueError, KeyError) as exc:
            bad = _line_with_value(lines, spans[i] if i < len(spans)
                                   else None, getattr(exc, "text", None)) or start_line
            reason = f"cannot read {label}: {exc}"
            if is_last and bad is not None and bad.number == last_line.number:
                reason += " (truncated?)"
            raise ParseError(template, bad.number if bad else None, bad.text if bad else None,
                             reason) from None
        for record in records:
            record["template"] = template
            record["raw"] = raw
        result.records.extend(records)
    return result


def _line_with_value(lines: list[Line], span: tuple[int, int] | None,
                     value: str | None) -> Line | None:
    """The input line of a record that printed `value` (to point an error at it)."""
    if not span or not value or not value.strip():
        return None
    start, end = span
    for line in lines[start - 1:end]:
        if value.strip() in line.text:
            return line
    return None


def parse_file(platform: str, command: str, path: str | os.PathLike) -> ParseResult:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse_output(platform, command, handle.read())
