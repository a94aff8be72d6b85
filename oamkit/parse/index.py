"""The command index: which template parses a command on a platform, and where it lives.

Decided by the clitable index `templates/textfsm/index` (command completion like
`sh[[ow]] eth[[ernet]] o[[am]] statu[[s]]`). Rows whose template starts with `ntc-templates:` use
the template shipped in the installed ntc-templates package, where it already parses the command
well; the others are oamkit's own templates in the same folder. Every template the index names
must have a `TemplateSpec` in its vendor module (`SPECS` below gathers them).
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from textfsm import clitable

from oamkit.parse import cisco_ios, cisco_xr, huawei_vrp, juniper_junos
from oamkit.parse.result import UnsupportedCommand
from oamkit.parse.spec import TemplateSpec
from oamkit.parse.values import canonical_platform

TEMPLATE_DIR = Path(__file__).parent.parent / "templates" / "textfsm"
INDEX_FILE = "index"
NTC_PREFIX = "ntc-templates:"

# Every template oamkit can normalise, from the vendor modules.
SPECS: dict[str, TemplateSpec] = {**cisco_ios.SPECS, **cisco_xr.SPECS, **juniper_junos.SPECS,
                                  **huawei_vrp.SPECS}


class CommandIndex(clitable.CliTable):
    """Only the index lookup of CliTable; parsing is done by oamkit.parse.fsm.TrackingFSM."""

    def __init__(self, index_path: Path):
        super().__init__(INDEX_FILE, str(index_path.parent))


@cache
def command_index() -> CommandIndex:
    return CommandIndex(TEMPLATE_DIR / INDEX_FILE)


def ntc_template_dir() -> Path:
    import ntc_templates

    return Path(ntc_templates.__file__).parent / "templates"


def clean_command(command: str) -> str:
    text = " ".join(command.split())
    return re.sub(r"\s*\|\s*no-more$", "", text)   # Junos pipe that changes nothing


def template_for(platform: str, command: str) -> str:
    """The index's Template entry for this platform and command (`ntc-templates:` prefixed
    when ntc-templates parses it)."""
    platform = canonical_platform(platform)
    index = command_index().index
    row = index.GetRowMatch({"Platform": platform, "Command": clean_command(command)})
    if not row:
        raise UnsupportedCommand(
            f"no parser for {command!r} on {platform}; supported: "
            + "; ".join(c for p, c in supported_commands() if p == platform))
    template = index.index[row]["Template"]
    if template not in SPECS:
        raise UnsupportedCommand(f"index names {template!r} but oamkit has no normaliser for it")
    return template


def supported_commands() -> list[tuple[str, str]]:
    """(platform, command) for every index row, in index order, the command spelled out from
    the template name (`cisco_xr_show_ethernet_oam_event-log` -> `show ethernet oam event-log`)."""
    out = []
    for row in command_index().index.index:
        name = row["Template"].removeprefix(NTC_PREFIX).removesuffix(".textfsm")
        out.append((row["Platform"], name[len(row["Platform"]) + 1:].replace("_", " ")))
    return out


def open_template(template: str):
    if template.startswith(NTC_PREFIX):
        return open(ntc_template_dir() / template[len(NTC_PREFIX):], encoding="utf-8")
    return open(TEMPLATE_DIR / template, encoding="utf-8")
