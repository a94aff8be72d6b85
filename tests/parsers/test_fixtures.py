"""Every `.raw` fixture parses to exactly its `.yml`, field by field (ntc-templates style)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from oamkit.parse import ParseError, parse_output

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parsers"
RAW_FILES = sorted(FIXTURES.glob("*/*/*.raw"))


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES).with_suffix(""))


def _load(raw: Path) -> dict:
    expected_file = raw.with_suffix(".yml")
    assert expected_file.exists(), f"{_id(raw)} has no expected .yml"
    return yaml.safe_load(expected_file.read_text())


def _command(raw: Path, expected: dict) -> tuple[str, str]:
    return raw.parts[-3], expected.get("command") or raw.parts[-2].replace("_", " ")


def _compare(actual, wanted, where: str) -> None:
    """Field-by-field comparison that names the first differing field."""
    if isinstance(wanted, dict):
        assert isinstance(actual, dict), f"{where}: expected a mapping, got {actual!r}"
        assert set(actual) == set(wanted), (
            f"{where}: fields differ: missing {sorted(set(wanted) - set(actual))}, "
            f"unexpected {sorted(set(actual) - set(wanted))}")
        for key, value in wanted.items():
            _compare(actual[key], value, f"{where}.{key}")
    elif isinstance(wanted, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert len(actual) == len(wanted), f"{where}: {len(actual)} items, expected {len(wanted)}"
        for i, (a, w) in enumerate(zip(actual, wanted)):
            _compare(a, w, f"{where}[{i}]")
    else:
        # bool is an int in Python: keep True from passing for 1 and None from passing for 0
        assert type(actual) is type(wanted) and actual == wanted, (
            f"{where}: got {actual!r}, expected {wanted!r}")


def test_fixtures_exist():
    assert len(RAW_FILES) >= 60


@pytest.mark.parametrize("raw", RAW_FILES, ids=_id)
def test_fixture(raw: Path):
    expected = _load(raw)
    platform, command = _command(raw, expected)
    text = raw.read_text()
    if "parse_error" in expected:
        wanted = expected["parse_error"]
        with pytest.raises(ParseError) as caught:
            parse_output(platform, command, text)
        error = caught.value
        assert error.template == wanted["template"]
        assert error.line_no == wanted["line_no"]
        assert wanted["reason_contains"] in error.reason
        # the error quotes the very input line it names
        assert error.line.strip() == text.splitlines()[error.line_no - 1].strip()
        assert error.template in str(error) and f"line {error.line_no}" in str(error)
        return
    result = parse_output(platform, command, text)
    assert result.template == expected["template"]
    assert result.empty is expected["empty"]
    assert result.messages == expected.get("messages", [])
    # skipped unknown lines and unknown values are reported, never silent, never fatal
    assert result.warnings == expected.get("warnings", [])
    assert result.source == ("ntc-templates" if result.template.startswith("ntc-templates:")
                             else "oamkit")
    for record in result.records:
        assert record.pop("template") == result.template
        raw_fields = record.pop("raw")
        assert raw_fields and all(k == k.upper() for k in raw_fields)
    _compare(result.records, expected["parsed_sample"], _id(raw))


def _template_dirs() -> dict[str, list[Path]]:
    by_template: dict[str, list[Path]] = {}
    for raw in RAW_FILES:
        expected = _load(raw)
        template = expected.get("template") or expected["parse_error"]["template"]
        by_template.setdefault(template, []).append(raw)
    return by_template


def test_every_template_has_empty_error_and_data_fixtures():
    index_templates = {row["Template"] for row in _index_rows()}
    by_template = _template_dirs()
    assert set(by_template) == index_templates
    for template, raws in by_template.items():
        kinds = [_load(r) for r in raws]
        assert any(k.get("empty") for k in kinds), f"{template}: no empty-output fixture"
        assert any("parse_error" in k for k in kinds), f"{template}: no truncated/bad fixture"
        assert any(k.get("parsed_sample") for k in kinds), f"{template}: no fixture with records"


def _index_rows():
    from oamkit.parse.index import command_index

    return list(command_index().index.index)
