"""Write `<case>.yml` for fixtures that have none, from what the parser returns today.

    python tests/parsers/regenerate_expected.py [--force] [GLOB]

A generated file is a proposal, not a test: read every value against the `.raw` before
committing it (that review is what makes the fixture assert anything).
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from oamkit.parse import ParseError, parse_output

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parsers"


def expected_for(raw: Path) -> dict:
    platform, command = raw.parts[-3], raw.parts[-2].replace("_", " ")
    try:
        result = parse_output(platform, command, raw.read_text())
    except ParseError as exc:
        return {"parse_error": {"template": exc.template, "line_no": exc.line_no,
                                "reason_contains": exc.reason.split(":")[0]}}
    records = [{k: v for k, v in r.items() if k not in ("raw", "template")} for r in result.records]
    out = {"template": result.template, "empty": result.empty, "parsed_sample": records}
    if result.messages:
        out["messages"] = result.messages
    if result.warnings:
        out["warnings"] = result.warnings
    return out


def main(argv: list[str]) -> None:
    force = "--force" in argv
    pattern = next((a for a in argv if not a.startswith("--")), "*/*/*.raw")
    for raw in sorted(FIXTURES.glob(pattern)):
        target = raw.with_suffix(".yml")
        if target.exists() and not force:
            continue
        target.write_text("---\n" + yaml.safe_dump(expected_for(raw), sort_keys=False,
                                                   default_flow_style=False, width=100))
        print("wrote", target.relative_to(FIXTURES))


if __name__ == "__main__":
    main(sys.argv[1:])
