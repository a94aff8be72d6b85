"""Cutting a multi-record capture at any line never yields a silently partial record once the
cut is past the first record: the parser either raises ParseError or returns records exactly
equal to those of the full output (a cut between two records is indistinguishable from shorter
output and is fine). Inside the first record, optional trailing sections (IOS CRC sections,
VRP ErrFramePeriod lines) make some cuts indistinguishable from a device that prints less;
required fields catch the rest (see the truncated*.raw fixtures)."""
from __future__ import annotations

from pathlib import Path

import pytest

from oamkit.parse import ParseError, parse_output

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parsers"
# outputs with at least two multi-line records (one-line table rows are checked by the
# templates themselves: a cut row does not match)
FULL_OUTPUTS = sorted(p for p in FIXTURES.glob("*/*/*.raw")
                      if p.stem in ("basic", "threshold_events")
                      and p.parts[-2] not in ("display_efm_session_all",
                                              "show_ethernet_oam_summary"))


def _normalised(result) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "raw"} for r in result.records]


@pytest.mark.parametrize("raw", FULL_OUTPUTS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_cut_is_complete_or_an_error(raw: Path):
    platform, command = raw.parts[-3], raw.parts[-2].replace("_", " ")
    lines = raw.read_text().splitlines()
    full = _normalised(parse_output(platform, command, "\n".join(lines)))
    assert full
    silently_partial = []
    checked = 0
    for cut in range(1, len(lines)):
        try:
            got = _normalised(parse_output(platform, command, "\n".join(lines[:cut])))
        except ParseError:
            checked += 1
            continue
        if len(got) < 2:
            continue
        checked += 1
        if got != full[:len(got)]:
            silently_partial.append((cut, lines[cut - 1]))
    assert not silently_partial, silently_partial
    assert checked
