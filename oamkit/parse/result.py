"""What `parse_output` hands back: the `ParseResult`, or the error it raises instead.

Kept apart from the engine so that the value normalisers (which reject an unknown platform with
`UnsupportedCommand`) and the command index can raise these without importing the engine.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from oamkit.errors import ExitCode, OamkitError


class ParseError(OamkitError):
    """Output that does not parse: names the template and the input line (1-based)."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, template: str | None, line_no: int | None, line: str | None, reason: str):
        self.template = template
        self.line_no = line_no
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.template or "parser"
        if self.line_no is not None:
            where += f", line {self.line_no}"
        text = f"{where}: {self.reason}"
        if self.line is not None:
            text += f": {self.line.strip()!r}"
        return text

    def as_dict(self) -> dict:
        return {"template": self.template, "line_no": self.line_no, "line": self.line,
                "reason": self.reason}


class UnsupportedCommand(OamkitError):
    """Unknown platform, or no template for this command on this platform (exit 2)."""

    exit_code = ExitCode.BAD_INPUT


@dataclass
class ParseResult:
    platform: str
    command: str
    template: str
    source: str                      # "oamkit" or "ntc-templates"
    records: list[dict] = field(default_factory=list)
    empty: bool = False              # the output held nothing but blank/header lines
    messages: list[str] = field(default_factory=list)   # device notes, e.g. VRP `Info: ...`
    warnings: list[str] = field(default_factory=list)   # skipped lines, unknown values

    def as_dict(self) -> dict:
        return {"platform": self.platform, "command": self.command, "template": self.template,
                "source": self.source, "empty": self.empty, "messages": self.messages,
                "warnings": self.warnings, "records": self.records}
