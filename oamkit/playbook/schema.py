"""The play model: a playbook (name, inventory, vars, filter/limit, steps, always) and its steps,
validated strictly by pydantic. A step's type keys (`push:`, `check:`, ...) are generated from
the step registry, so a step type the registry knows is a key the schema accepts and nothing
else is; the keys every step has (name, filter, limit, ignore_errors, register) are written here."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from oamkit.errors import InputError
from oamkit.playbook.loader import LineDict
from oamkit.playbook.options import StrictModel
from oamkit.playbook.registry import HOST_STEPS, STEP_TYPES, STEPS

STEP_KEYS = ("name", "filter", "limit", "ignore_errors", "register")


def check_filters(expressions: list[str]) -> list[str]:
    """Every `filter:` expression parses as the CLI's --filter would."""
    from oamkit.inventory import _parse_filter

    for expression in expressions:
        try:
            _parse_filter(expression)
        except InputError as exc:
            raise ValueError(exc.problems[0].message + f" (got {expression!r})") from None
    return expressions


class HostSelection(StrictModel):
    """`filter` / `limit` as the CLI takes them: one expression or a list, checked before
    anything runs."""

    @field_validator("filter", mode="before", check_fields=False)
    @classmethod
    def _filters(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("filter", check_fields=False)
    @classmethod
    def _syntax(cls, v):
        return check_filters(v)


class StepKeys(HostSelection):
    """The keys every step has, and what a step tells about itself; `Step` adds one key per
    registered step type, of which a step has exactly one."""

    name: str | None = None
    filter: list[str] = Field(default_factory=list, description="narrows the play's filter")
    limit: str | list[str] | None = Field(None, description="replaces the play's limit")
    ignore_errors: bool = False
    register_: str | None = Field(None, alias="register", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    @model_validator(mode="before")
    @classmethod
    def _empty_options(cls, data):
        # `- diff:` (no options) means "with the defaults"
        if isinstance(data, dict):
            data = type(data)(data) if not isinstance(data, LineDict) else data
            for key in STEP_TYPES:
                if key in data and data[key] is None:
                    data[key] = {}
        return data

    @model_validator(mode="after")
    def _one_type(self):
        found = [t for t in STEP_TYPES if self.options_for(t) is not None]
        if len(found) != 1:
            raise ValueError(f"a step has exactly one type ({', '.join(STEP_TYPES)}); "
                             f"found {', '.join(found) or 'none'}")
        if (self.filter or self.limit) and found[0] not in HOST_STEPS:
            raise ValueError(f"filter/limit select hosts; a {found[0]} step has none")
        return self

    def options_for(self, kind: str):
        return getattr(self, STEPS[kind].field)

    @property
    def type(self) -> str:
        return next(t for t in STEP_TYPES if self.options_for(t) is not None)

    @property
    def options(self) -> BaseModel:
        return self.options_for(self.type)

    @property
    def title(self) -> str:
        return self.name or self.type


def _type_key(kind: str) -> tuple:
    """The Step field for one step type: its options model, absent by default, under the
    step type's name (`assert` is a Python keyword, so its field is `assert_`)."""
    step_type = STEPS[kind]
    alias = step_type.name if step_type.field != step_type.name else None
    return step_type.options | None, Field(None, alias=alias)


Step = create_model("Step", __base__=StepKeys, __module__=__name__,
                    __doc__="One step of a play: the common keys and exactly one step type.",
                    **{STEPS[kind].field: _type_key(kind) for kind in STEP_TYPES})


class Playbook(HostSelection):
    name: str = "playbook"
    inventory: str | None = Field(None, description="folder, relative to the playbook; -i wins")
    vars: dict[str, Any] = Field(default_factory=dict)
    filter: list[str] = Field(default_factory=list)
    limit: str | list[str] | None = None
    steps: list[Step] = Field(min_length=1)
    always: list[Step] = Field(default_factory=list)
