"""Saved captures as engineers have them: what around the real output is not output.

Devices print header lines (IOS `Load for five secs`, the XR timestamp, Junos `{master}`) that
never make output non-empty; they refuse a command with an error line instead of output; VRP
prints `Info:` notes. Terminal captures keep their echoed `prompt#command` line, final prompt,
ANSI sequences and pager debris. The engine cleans and classifies lines with these before any
template sees them.
"""
from __future__ import annotations

import re

from oamkit.parse.index import template_for
from oamkit.parse.result import UnsupportedCommand
from oamkit.parse.spec import Line

# Lines devices print around the real output; they never make output non-empty.
_HEADER_LINES = [
    re.compile(r"^Load\s+for\s+five\s+secs"),                                   # IOS exec timestamp
    re.compile(r"^Time\s+source\s+is\s+"),
    re.compile(r"^\w{3}\s+\w{3}\s+\d{1,2}\s+\d+:\d+:\d+(\.\d+)?\s+[A-Z]{2,5}(\s+DST)?\s*$"),  # XR
    re.compile(r"^\{(master|backup|linecard)(:\d+)?\}\s*$"),                    # Junos
    # VRP/CloudEngine: `2020-06-03 10:17:27.684`, `2022-09-09 11:06:05.385 +08:00` (Huawei's
    # CE `display interface` examples), with the DST mark VRP adds in summer time
    re.compile(r"^\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2}:\d{2}(\.\d+)?(\s*[+-]\d{2}:\d{2})?(\s+DST)?\s*$"),
]
# Lines with which a device refuses a command: the capture holds no output to parse.
_DEVICE_ERRORS = [
    re.compile(r"^\s*%\s*(Invalid input|Incomplete command|Ambiguous command|Unknown command|"
               r"Unrecognized command|Error|Bad |Authorization failed|This command is not authorized|"
               r"Permission denied)", re.IGNORECASE),
    re.compile(r"^\s*Command authorization failed", re.IGNORECASE),   # IOS: AAA denied the user
    re.compile(r"^\s*syntax error", re.IGNORECASE),
    re.compile(r"^\s*error:\s", re.IGNORECASE),
    re.compile(r"^\s*unknown command", re.IGNORECASE),
]


# Informational notes instead of output (VRP: `Info: EFM OAM is not enabled on any interface.`).
INFO_LINE = re.compile(r"^\s*Info:\s*(?P<message>\S.*?)\s*$")


# Terminal-capture debris: ANSI colour/cursor sequences, pager prompts and their backspaces.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PAGER = re.compile(r"\s*-+\s*\(?more\b[^)\n]*\)?\s*-+\s*|\s*--More--\s*", re.IGNORECASE)
# A device prompt, alone (end of a capture) or before the echoed command (start of a capture):
# `ios-1#`, `RP/0/RP0/CPU0:xr-1#`, `admin@junos-1>`, `<vrp-1>`, `[~vrp-1]`, `[*vrp-1-GE0/1/0]`.
_PROMPT = r"(?:\S*[#>$%]|<[^<>\s]+>|\[[~*]?[^\[\]\s]+\])"
_PROMPT_ONLY = re.compile(rf"^\s*{_PROMPT}\s*$")
_PROMPT_AND_COMMAND = re.compile(rf"^\s*{_PROMPT}\s*(?P<command>\S.*?)\s*$")


def scrub(text: str) -> str:
    """The text without ANSI sequences and pager prompts, backspaces applied, tabs expanded."""
    # The searches run only on text that can hold what they remove: a parse scrubs every
    # line, and `_PAGER`'s leading \s* retries at every blank of column-aligned output.
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\x08" in text:  # a pager erases its prompt with backspaces: apply them
        kept: list[str] = []
        for char in text:
            if char == "\x08":
                if kept:
                    kept.pop()
            else:
                kept.append(char)
        text = "".join(kept)
    if "-" in text and "more" in text.lower():
        text = _PAGER.sub("", text)
    return text.expandtabs() if "\t" in text else text


def strip_session_lines(lines: list[Line], platform: str, template: str) -> list[Line]:
    """Drop the echoed `prompt# command` line of a saved session and the prompt at its end, so
    engineers can parse a terminal capture as it is. The echo is only dropped when it names a
    command the index maps to the same template (so abbreviations work)."""
    while lines and not lines[-1].text.strip():
        lines.pop()
    while lines and _PROMPT_ONLY.match(lines[-1].text):
        lines.pop()
        while lines and not lines[-1].text.strip():
            lines.pop()
    for i, line in enumerate(lines):
        if not line.text.strip() or is_header(line.text):
            continue
        echo = _PROMPT_AND_COMMAND.match(line.text)
        if echo:
            try:
                same = template_for(platform, echo.group("command")) == template
            except UnsupportedCommand:
                same = False
            if same:
                return lines[:i] + lines[i + 1:]
        break
    return lines


# Each list as one alternation: asked of every line of every output, a generator over the
# patterns cost more than the match itself.
_ANY_HEADER = re.compile("|".join(f"(?:{p.pattern})" for p in _HEADER_LINES))
_ANY_DEVICE_ERROR = re.compile("|".join(f"(?:{p.pattern})" for p in _DEVICE_ERRORS), re.IGNORECASE)
assert all(p.flags == _ANY_HEADER.flags for p in _HEADER_LINES)
assert all(p.flags == _ANY_DEVICE_ERROR.flags for p in _DEVICE_ERRORS)


def is_header(text: str) -> bool:
    return not text.strip() or _ANY_HEADER.match(text) is not None


def is_device_error(text: str) -> bool:
    return _ANY_DEVICE_ERROR.match(text) is not None
