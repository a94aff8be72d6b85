"""Structural evidence of a cut capture, and the warnings for lines a template does not know.

A parser decides "truncated" only from structure: the output stops *inside* a record. A record
that simply has fewer lines than another (an IOS/XR sub-interface prints no `input errors, CRC`
line, an XR bundle that is down prints no packet counters, a newer release adds a line) is not
truncated: its missing optional counters are null and unknown lines are skipped and counted.

Only the last record of an output can be cut (any record followed by another is complete by
definition), so these checks run on the last record only.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# ------------------------------------------------------------------ IOS / IOS-XR show interfaces
# Every interface record of IOS and IOS-XR `show interfaces` prints the `Last clearing of "show
# interface" counters` line, whatever the interface is (physical port, sub-interface, bundle,
# BVI, loopback, Null0, tunnel); see the real captures under tests/fixtures/parsers/cisco_*/
# show_interfaces/. A counter block that printed `packets input` always goes on to print
# `packets output` (physical ports, IOS-XR L2 and L3 sub-interfaces, Null0, tunnels alike).
_CISCO_HEADER = re.compile(r"^\s*\S+ is .*, line protocol is ")
_LAST_CLEARING = re.compile(r"^\s*Last clearing of .*counters", re.IGNORECASE)
_PACKETS_INPUT = re.compile(r"^\s*\d+ packets input\b")
_PACKETS_OUTPUT = re.compile(r"^\s*\d+ packets output\b")


# A physical Ethernet port (not a `.N` sub-interface, not a bundle / port-channel, which prints
# no counters while it has no members, nor an SVI/BVI/loopback/tunnel) always prints its
# `N input errors, N CRC, N frame` line, up or down (every physical port in the real captures).
_PHYSICAL_PORT = re.compile(
    r"^\s*(?:[A-Za-z]*Ethernet|[A-Za-z]*Gig(?:abit)?E|MgmtEth)\d+(?:/\d+)*\s+is\s")
_INPUT_ERRORS = re.compile(r"^\s*\d+ input errors\b")


def cisco_interface_cut(lines: Sequence[str]) -> str | None:
    """What the last record of IOS/IOS-XR `show interfaces` is missing, if the output stops
    inside it; None when the record is structurally complete."""
    if not any(_LAST_CLEARING.match(line) for line in lines):
        return 'the `Last clearing of "show interface" counters` line every interface prints'
    opened = next((i for i, line in enumerate(lines) if _PACKETS_INPUT.match(line)), None)
    if opened is not None and not any(_PACKETS_OUTPUT.match(line) for line in lines[opened:]):
        return "the `packets output` line that closes its packet counters"
    if (lines and _PHYSICAL_PORT.match(lines[0])
            and not any(_INPUT_ERRORS.match(line) for line in lines)):
        return "the `input errors, CRC` line every physical Ethernet port prints"
    return None


def starts_cisco_interface(line: str) -> bool:
    return bool(_CISCO_HEADER.match(line))


# ------------------------------------------------------------------------------ table rows
# A one-line table row whose line does not match the row rule is an unknown line (skipped and
# counted), except as the very last line of the output: a row that starts like a row (an
# interface name) but does not parse there is a row cut short.
ROW_STARTS = {
    "interface": re.compile(r"^\s*[*#&]?[A-Za-z][A-Za-z\-]*\d+[/\d.:]*(\s|$)"),
    "timestamp": re.compile(r"^\w{3}\s+\w{3}\s+\d+\s+\d+:"),   # XR event-log rows
}


def looks_like_row(kind: str, line: str) -> bool:
    return bool(ROW_STARTS[kind].match(line))


def still_before_table(state: str) -> bool:
    """The FSM never left its `Start` state: the table header never came (unknown layout)."""
    return state == "Start"


# ---------------------------------------------------------------------------- unknown lines
def unknown_lines_warning(unknown: Sequence[tuple[int, str]], shown: int = 3) -> str | None:
    """One warning for every line no template rule knew: how many, where, and the first few."""
    if not unknown:
        return None
    where = ", ".join(str(n) for n, _ in unknown[:10]) + (", ..." if len(unknown) > 10 else "")
    sample = "; ".join(repr(text.strip()) for _, text in unknown[:shown])
    return (f"skipped {len(unknown)} line(s) the template does not know (line {where}): "
            f"{sample}")


CutCheck = Callable[[Sequence[str]], "str | None"]
