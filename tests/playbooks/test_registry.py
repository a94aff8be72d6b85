"""The step registry is the single source of the step types: the schema accepts exactly the
registered ones, each has a runner, and the docs' step table lists the same types, in the same
order, with options the schema knows. No devices: these only read the package and the docs."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from oamkit import playbook
from oamkit.playbook.registry import STEPS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "playbooks.md"


def _docs_step_table() -> dict[str, str]:
    """The rows of the docs' step table: step type -> its options column."""
    rows = re.findall(r"^\| `(\w+)` \| (.*?) \| .* \|$", DOCS.read_text(), re.MULTILINE)
    return dict(rows)


def _step_errors(data: dict) -> list[dict]:
    try:
        playbook.Step.model_validate(data)
    except ValidationError as exc:
        return exc.errors()
    return []


def test_the_public_lists_are_views_of_the_registry():
    assert playbook.STEP_TYPES == tuple(STEPS)
    assert playbook.HOST_STEPS == tuple(n for n, t in STEPS.items() if t.selects_hosts)
    # logging in to hosts or planning their config needs hosts selected first
    assert all(t.selects_hosts for t in STEPS.values() if t.logs_in or t.plans_intent)


@pytest.mark.parametrize("kind", list(STEPS))
def test_every_registered_step_type_is_a_step_key_with_its_options_and_a_runner(kind):
    step_type = STEPS[kind]
    field = playbook.Step.model_fields[step_type.field]
    assert (field.alias or step_type.field) == kind
    assert step_type.options in getattr(field.annotation, "__args__", ())
    # whatever its options lack, the key itself is known: no "unknown step type"
    errors = _step_errors({kind: {}})
    assert not [e for e in errors if e["type"] == "extra_forbidden"], errors
    assert all(e["loc"][0] == kind for e in errors if e["loc"]), errors
    assert list(inspect.signature(step_type.run).parameters) == ["ctx", "step", "opts"]


def test_the_schema_has_no_step_type_the_registry_does_not_know():
    common = {"name", "filter", "limit", "ignore_errors", "register_"}
    assert set(playbook.Step.model_fields) - common == {t.field for t in STEPS.values()}
    assert {f.alias or name for name, f in playbook.Step.model_fields.items()
            if name not in common} == set(STEPS)
    assert [e["type"] for e in _step_errors({"pusj": {}})][:1] == ["extra_forbidden"]


def test_a_step_is_the_one_type_it_names():
    step = playbook.Step.model_validate({"wait": "2s"})
    assert (step.type, step.options.seconds, step.title) == ("wait", 2.0, "wait")
    assert "exactly one type (" + ", ".join(STEPS) + ")" in str(
        _step_errors({"wait": 1, "assert": {"that": "true"}}))


def test_the_docs_list_the_registered_step_types_in_order_with_known_options():
    table = _docs_step_table()
    assert list(table) == list(STEPS)
    for kind, options_column in table.items():
        documented = {re.split(r"[:\[ ]", name)[0] for name in re.findall(r"`([^`]+)`", options_column)}
        documented.discard(kind)   # `wait: 30s` shows the short form, not an option
        assert documented <= set(STEPS[kind].options.model_fields), (kind, documented)
