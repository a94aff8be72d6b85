"""What a vendor module declares for each template it normalises, and what the engine hands it.

The engine (`oamkit.parse.engine`) runs a template and checks that each record is complete; a
vendor module (`cisco_ios`, `cisco_xr`, `juniper_junos`, `huawei_vrp`) says, per template, how
one raw TextFSM record becomes oamkit records and which fields prove a record complete: a
`TemplateSpec`. The pieces more than one vendor uses (interface error counters, link-event
blocks, "is this an Ethernet port") live here too, so no vendor module imports another's
internals for them.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from oamkit.parse.structure import CutCheck
from oamkit.parse.values import canonical_interface, count_or_null, window_block


@dataclass(frozen=True)
class Line:
    number: int   # 1-based line number in the text the caller gave
    text: str


@dataclass(frozen=True)
class RecordContext:
    """One raw TextFSM record, as a normaliser gets it."""
    platform: str
    raw: dict
    record_line: Line | None
    warnings: list[str] = field(default_factory=list)   # the ParseResult's: normalisers add


# Each normaliser maps one raw TextFSM record to one or more oamkit records.
Normaliser = Callable[[RecordContext], list[dict]]
# Each preprocessing step rewrites the lines before the template runs (a vendor's layout quirk).
Preprocess = Callable[[list[Line]], list[Line]]


@dataclass(frozen=True)
class TemplateSpec:
    normalise: Normaliser
    # raw fields every record must have; a record without one was cut short (truncated)
    required: tuple[str, ...] = ()
    # groups of raw fields that come together: if any is set, all must be (a section cut short)
    together: tuple[tuple[str, ...], ...] = ()
    preprocess: tuple[Preprocess, ...] = ()
    # commands whose output legitimately holds a header but no rows (no peers, no events)
    allow_no_records: bool = False
    # the template skips lines it does not know (ntc-templates, counter templates)
    lenient: bool = False
    # `required` applies only to records this accepts (None: all records)
    required_if: Callable[[dict], bool] | None = None
    # fields of `required` a given record legitimately does not print (e.g. Junos `ae`)
    excused: Callable[[dict], tuple[str, ...]] | None = None
    # more completeness rules: returns the name of a missing field, or None
    check: Callable[[dict], str | None] | None = None
    # every record of one output prints the same fields, so the last record (the only one a
    # cut can shorten) must have every field all the earlier ones have; minus these
    uniform: bool = False
    uniform_ignore: tuple[str, ...] = ()
    # structural check of the last record's lines: what it is missing if the output stops
    # inside it (oamkit.parse.structure)
    cut: CutCheck | None = None
    # one record per table row, starting like this: an unparsable last line that starts like a
    # row is a row cut short (oamkit.parse.structure.ROW_STARTS)
    table: str | None = None
    # section titles the template lists in its SECTIONS field -> the raw field prefix whose
    # `_WINDOW` a section that printed its title must have (a section cut after its title)
    section_windows: dict[str, str] = field(default_factory=dict)


def field_groups(prefixes, fields=("WINDOW", "LOW_THRESHOLD", "HIGH_THRESHOLD")):
    """`TemplateSpec.together` groups: for each prefix, its fields that come together."""
    return tuple(tuple(f"{p}_{f}" for f in fields) for p in prefixes)


def event_blocks(ctx: RecordContext, names) -> dict:
    """Per link event, the window/threshold block of the events the output printed."""
    r = ctx.raw
    events = {}
    for event in names:
        key = event.upper()
        if any(r[f"{key}_{f}"] for f in ("WINDOW", "LOW_THRESHOLD", "HIGH_THRESHOLD")):
            events[event] = window_block(ctx.platform, event, r[f"{key}_WINDOW"],
                                         r[f"{key}_LOW_THRESHOLD"], r[f"{key}_HIGH_THRESHOLD"])
    return events


# ------------------------------------------------------------------ interface error counters
def interface_counters(input_errors: str, crc: str, frame: str) -> Normaliser:
    """The normaliser of a `show interfaces`-like command: the three error counters, named by
    the raw fields this template gives them."""
    def normalise(ctx: RecordContext) -> list[dict]:
        r = ctx.raw
        interface = r["INTERFACE"]
        if ctx.platform != "juniper_junos":
            interface = canonical_interface(ctx.platform, interface)
        return [{"interface": interface,
                 "input_errors": count_or_null(r[input_errors]),
                 "crc_errors": count_or_null(r[crc]),
                 "frame_errors": count_or_null(r[frame])}]
    return normalise


# Interfaces that count Ethernet errors. Others in the same output (Loopback0, Null0, NULL0,
# Tunnel, Vlanif, lo0, irb) print no error counters at all; their counters are null, not an error.
_ETHERNET_NAME = re.compile(
    r"^(?:[A-Za-z]*Ethernet|[A-Za-z]*Gig(?:abit)?E|MgmtEth|Eth-Trunk|Bundle-Ether|Port-channel"
    r"|\d+GE|X?GE|Fa|Gi|Te|Twe|Fo|Hu|BE|Po|(?:fe|ge|xe|et|mge)-|ae)\d", re.IGNORECASE)


def counts_ethernet_errors(raw: dict) -> bool:
    """A physical or aggregate Ethernet port (not a `.N` sub-interface, which prints none)."""
    name = raw.get("INTERFACE") or ""
    return bool(_ETHERNET_NAME.match(name)) and "." not in name
