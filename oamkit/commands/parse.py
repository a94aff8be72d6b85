"""`oamkit parse`: parse saved show/display output offline and print JSON.

    oamkit parse --platform cisco_ios --command "show ethernet oam status" capture.txt
    ssh r1 'show ethernet oam status' | oamkit parse -p cisco_ios -c "show ethernet oam status" -

Output that does not parse ends with exit 2 and names the template and input line.
"""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from oamkit.commands._common import print_json
from oamkit.errors import InputError, Problem


def register(app: typer.Typer) -> None:
    @app.command("parse")
    def parse_command(
        file: str = typer.Argument(None, metavar="FILE",
                                   help="Saved command output; '-' reads standard input."),
        platform: str = typer.Option(None, "--platform", "-p",
                                     help="cisco_ios, cisco_xr, juniper_junos or huawei_vrp."),
        command: str = typer.Option(None, "--command", "-c",
                                    help='The command that produced FILE, e.g. "show ethernet oam status".'),
        list_commands: bool = typer.Option(False, "--list",
                                           help="List the commands oamkit can parse and exit."),
        raw: bool = typer.Option(False, "--raw/--no-raw",
                                 help="Also print each record's raw TextFSM fields."),
        as_json: bool = typer.Option(True, "--json/--no-json", hidden=True,
                                     help="Output is always JSON; accepted for symmetry."),
    ) -> None:
        """Parse saved show/display output into oamkit's normalised fields (JSON)."""
        from oamkit.parse import ParseError, parse_output, supported_commands

        del as_json
        if list_commands:
            print_json([{"platform": p, "command": c} for p, c in supported_commands()])
            return
        missing = [name for name, value in (("FILE", file), ("--platform", platform),
                                            ("--command", command)) if value is None]
        if missing:
            raise InputError([Problem(f"{', '.join(missing)} required (or --list)")])
        if file == "-":
            text = sys.stdin.read()
        else:
            path = Path(file)
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                raise InputError([Problem(f"cannot read: {exc.strerror}", file=file)]) from None
        source = "<stdin>" if file == "-" else file
        if "\x00" in text:   # a capture is text; NUL bytes mean an image, an archive, a pcap
            raise InputError([Problem("binary data, not the saved output of a command",
                                      file=source)])
        try:
            result = parse_output(platform, command, text).as_dict()
        except ParseError as exc:   # name the capture as well as the template and line
            raise InputError([Problem(str(exc), file=source)]) from None
        if not raw:
            for record in result["records"]:
                record.pop("raw", None)
        print_json(result)   # versioned, as every JSON output (docs/schema/parse.schema.json)
