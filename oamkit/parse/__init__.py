"""Parse saved show/display output into records with oamkit's field names, the same on every
platform.

    result = parse_output("cisco_ios", "show ethernet oam status", text)
    result.records  # [{"interface": "GigabitEthernet0/1", "mode": "active", ...,
                    #   "template": "cisco_ios_show_ethernet_oam_status.textfsm", "raw": {...}}]

Which template parses a command is decided by the clitable index `templates/textfsm/index`
(command completion like `sh[[ow]] eth[[ernet]] o[[am]] statu[[s]]`). Rows whose template starts
with `ntc-templates:` use the template shipped in the installed ntc-templates package, where it
already parses the command well; the others are oamkit's own templates in the same folder.

Output that does not parse is never silently empty or zero: a device error (`% Invalid input`,
`syntax error`, `Error: Wrong parameter`), a record cut short (truncated capture) or a value that
is not what the field holds raises `ParseError` naming the template and the input line. One
unknown line, state or missing optional counter never discards the whole output: lines no
template rule knows are skipped and counted in `warnings`, unknown states pass through as text,
optional counters an interface does not print are null. "Truncated" is decided from structure
only (the output stops inside a record, `oamkit.parse.structure`). Output that is empty (or only
header lines such as IOS `Load for five secs` or the XR timestamp) gives no records and
`empty=True`; VRP `Info:` notes land in `messages`. Null markers (`-`, `--`, `N/A`, `None`,
`none`) become None, never 0. Terminal captures may keep their echoed `prompt#command` line,
final prompt and pager debris.

Windows are in IEEE units (`oamkit.parse.values`): frame/frame-seconds/CRC in deciseconds,
frame-period in frames, symbol-period in symbols; `window_vendor` keeps the printed text.

The package, by concern:
  engine      parse_output: run the template, check each record is whole, normalise it
  capture     what in a saved capture is not output (headers, prompts, pager, device errors)
  index       the command index: which template parses a command, and the TemplateSpecs
  fsm         the TextFSM that tracks input lines; structure: evidence of a cut record
  result      ParseResult, ParseError, UnsupportedCommand
  values      value normalisation: nulls, counts, IEEE windows, states, flags, names
  spec        what a vendor module declares per template (TemplateSpec) and shares
  cisco_ios, cisco_xr, juniper_junos, huawei_vrp   one vendor's record normalisation each
"""
from __future__ import annotations

from oamkit.parse.engine import parse_file, parse_output
from oamkit.parse.index import TEMPLATE_DIR, supported_commands, template_for
from oamkit.parse.result import ParseError, ParseResult, UnsupportedCommand
from oamkit.parse.values import (
    OPERATIONAL,
    PLATFORMS,
    canonical_interface,
    canonical_platform,
    discovery_state,
)

__all__ = ["ParseError", "ParseResult", "UnsupportedCommand", "parse_output", "parse_file",
           "supported_commands", "template_for", "canonical_interface", "discovery_state",
           "TEMPLATE_DIR", "PLATFORMS", "canonical_platform", "OPERATIONAL"]
