"""What each step type accepts: one strict pydantic model per step type (`push: {canary: 1}`
is PushOpts), with the defaults and bounds the docs' step table lists. The registry pairs each
model with its step type; the play model (schema.py) is built from that pairing."""
from __future__ import annotations

from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oamkit.playbook.expressions import jinja_env, private_names
from oamkit.runner import MAX_TIMEOUT   # the bound the CLI and oamkit.ops hold deadlines to


def seconds_of(value: Any) -> float:
    """A duration as playbooks write it (30s, 500ms, 2m, 1h or a number) in seconds."""
    from oamkit.probe.proto import bare_number, parse_interval

    if isinstance(value, bool):
        raise ValueError("a duration: 30s, 500ms, 2m or a number of seconds")
    if bare_number(value):         # a timeout or a wait: seconds, as documented (an interval is not)
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        try:
            seconds = float(text[:-1]) * 60 if text.endswith("m") and not text.endswith("ms") \
                else float(text[:-1]) * 3600 if text.endswith("h") else parse_interval(text)
        except ValueError:
            raise ValueError("a duration: 30s, 500ms, 2m or a number of seconds") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValueError("a duration: a finite number of seconds (got an infinite or NaN one)")
    if seconds < 0:
        raise ValueError("must not be negative")
    return seconds


class StrictModel(BaseModel):
    """A model that refuses unknown keys: a typo in a reviewed playbook is an error, not a default."""

    model_config = ConfigDict(extra="forbid")


class FleetOpts(StrictModel):
    """What every step that works on many hosts at once takes (as the CLI's --workers/--timeout)."""

    workers: int = Field(20, ge=1, le=10000, description="hosts worked on at once")
    timeout: float = Field(120.0, gt=0, le=MAX_TIMEOUT, description="deadline per host, seconds")

    @field_validator("timeout", mode="before")
    @classmethod
    def _t(cls, v):
        return seconds_of(v)


class RenderOpts(StrictModel):
    format: Literal["cli", "netconf"] = "cli"
    out: str | None = Field(None, description="folder for one file per host (relative to the playbook)")


class DiffOpts(FleetOpts):
    pass


class PushOpts(FleetOpts):
    canary: int = Field(0, ge=0)
    batch_size: int = Field(0, ge=0)
    max_failures: int | None = Field(None, ge=1)
    # ops.push refuses more, but only when the step runs: after the steps before it ran
    confirm_timeout: int = Field(120, ge=30, le=MAX_TIMEOUT)
    # as `oamkit push --over-unfinished`: push hosts whose last change is unfinished
    over_unfinished: bool = False


class CollectOpts(FleetOpts):
    timeout: float = Field(60.0, gt=0, le=MAX_TIMEOUT)   # FleetOpts' bound, kept
    db: str | None = None
    keep_days: float = Field(90.0, ge=0)   # as `oamkit collect --keep-days`


class CheckOpts(FleetOpts):
    timeout: float = Field(60.0, gt=0, le=MAX_TIMEOUT)   # FleetOpts' bound, kept
    rules: str | None = None
    db: str | None = None
    keep_days: float = Field(90.0, ge=0)   # as `oamkit check --keep-days`


class ProbeOpts(StrictModel):
    targets: list[str] = Field(min_length=1)
    proto: str = "icmp"
    # a number too, so that `interval: 10` reaches parse_interval's "give the interval a unit"
    # (naming the step and key) rather than a type error
    interval: str | int | float = "10ms"
    count: int = Field(100, ge=1, le=1_000_000)
    netns: str | None = None
    timeout: float = Field(1.0, gt=0, le=10)


class DrtestOpts(StrictModel):
    plan: str
    report: str | None = None
    realtime: bool = True


class WaitOpts(StrictModel):
    seconds: float = Field(ge=0, le=86400)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, v):   # `wait: 30s`
        return v if isinstance(v, dict) else {"seconds": v}

    @field_validator("seconds", mode="before")
    @classmethod
    def _s(cls, v):
        return seconds_of(v)


class MaintenanceOpts(StrictModel):
    state: Literal["on", "off"]
    until: str | None = Field(None, description="2h, 30m, 1d or ISO 8601 (state on)")
    reason: str | None = None

    @field_validator("state", mode="before")
    @classmethod
    def _bool(cls, v):   # YAML 1.1 reads a bare on/off as a boolean
        return {True: "on", False: "off"}.get(v, v) if isinstance(v, bool) else v

    @model_validator(mode="after")
    def _on(self):
        if self.state == "on" and not (self.until and self.reason):
            raise ValueError("state on needs until and reason")
        return self


class AssertOpts(StrictModel):
    that: list[str] = Field(min_length=1, description="Jinja expressions over `result` (the "
                            "previous step's result), `results` (registered) and the vars")
    fail_msg: str | None = Field(None, description="a template over what `that` sees")

    @field_validator("fail_msg")
    @classmethod
    def _renders(cls, v):
        if v is not None:
            try:
                jinja_env().parse(v)
            except jinja2.TemplateSyntaxError as exc:
                raise ValueError(f"{v!r} is not a valid template: {exc.message}") from None
        return v

    @field_validator("that", mode="before")
    @classmethod
    def _one(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("that")
    @classmethod
    def _compiles(cls, v):
        for expression in v:
            try:
                jinja_env().compile_expression(expression)
            except jinja2.TemplateSyntaxError as exc:
                raise ValueError(f"{expression!r} is not a valid expression: {exc.message}") from None
            unsafe = private_names(expression)
            if unsafe:
                raise ValueError(f"{expression!r} reaches {', '.join(unsafe)}: attributes "
                                 "starting with '_' are not for playbooks (unsafe)")
        return v
