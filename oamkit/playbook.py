"""Playbooks: a reviewed YAML file that says what to do, to which hosts, in what order, and what
must hold afterwards (`oamkit run PLAYBOOK.yaml`).

    name: Roll out the receive-CRC link monitor
    vars: {canary: 1}
    filter: [platform=cisco_ios]          # play-wide selection (the CLI's --filter/--limit)
    steps:
      - name: push with a canary
        push: {canary: "{{ canary }}"}
      - check: {}
      - assert:
          that: ["result.status == 'OK'"]
    always:                               # cleanup: runs whatever happened above
      - maintenance: {state: "off"}

Everything is validated before anything runs (`load()`): YAML, every key (pydantic, strict),
variables (Jinja, StrictUndefined), filters and limits against the inventory, policies, rules
files, DR plans and probe requests. A problem names the file, line and key, and `oamkit run`
exits 2 having contacted nothing. Steps call the library functions the CLI commands call (no
subprocesses). A failing step stops the play unless it says `ignore_errors: true`; `always:`
steps run regardless, each of them, like a DR test's restore.
"""
from __future__ import annotations

import getpass
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Literal

import jinja2
import jinja2.nativetypes
import jinja2.sandbox
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from oamkit import yamlfile
from oamkit.errors import ExitCode, InputError, OamkitError, Problem

STEP_TYPES = ("render", "diff", "push", "collect", "check", "probe", "drtest", "wait",
              "maintenance", "assert")
STEP_KEYS = ("name", "filter", "limit", "ignore_errors", "register")
OK, FAILED, IGNORED, SKIPPED = "ok", "failed", "failed-ignored", "skipped"


# ============================================================================ YAML with lines
class LineDict(dict):
    """A mapping from the playbook that remembers where it and each of its keys were."""

    line: int = 0
    key_lines: dict


class LineList(list):
    line: int = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line, out.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (lines {out.key_lines[key]} and "
                f"{key_node.start_mark.line + 1})", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(item, deep=True) for item in node.value)
    out.line, out.item_lines = node.start_mark.line + 1, [i.start_mark.line + 1 for i in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def line_of(raw: Any, loc: tuple) -> int | None:
    """The line of the deepest key of `loc` found in the loaded YAML."""
    node, line = raw, getattr(raw, "line", None)
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.item_lines[part], node[part]
        # else: a pydantic union tag or a missing key; the enclosing line stands
    return line


def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ============================================================================ models
def _seconds(value: Any) -> float:
    from oamkit.probe.proto import parse_interval

    if isinstance(value, bool):
        raise ValueError("a duration: 30s, 500ms, 2m or a number of seconds")
    if isinstance(value, (int, float)):
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_filters(expressions: list[str]) -> list[str]:
    from oamkit.inventory import _parse_filter

    for expression in expressions:
        try:
            _parse_filter(expression)
        except InputError as exc:
            raise ValueError(exc.problems[0].message + f" (got {expression!r})") from None
    return expressions


class _Fleet(_Strict):
    workers: int = Field(20, ge=1, le=10000, description="hosts worked on at once")
    timeout: float = Field(120.0, gt=0, le=86400, description="deadline per host, seconds")

    @field_validator("timeout", mode="before")
    @classmethod
    def _t(cls, v):
        return _seconds(v)


class RenderOpts(_Strict):
    format: Literal["cli", "netconf"] = "cli"
    out: str | None = Field(None, description="folder for one file per host (relative to the playbook)")


class DiffOpts(_Fleet):
    pass


class PushOpts(_Fleet):
    canary: int = Field(0, ge=0)
    batch_size: int = Field(0, ge=0)
    max_failures: int | None = Field(None, ge=1)
    confirm_timeout: int = Field(120, ge=30)


class CollectOpts(_Fleet):
    timeout: float = Field(60.0, gt=0)
    db: str | None = None
    keep_days: float = Field(90.0, ge=0)   # as `oamkit collect --keep-days`


class CheckOpts(_Fleet):
    timeout: float = Field(60.0, gt=0)
    rules: str | None = None
    db: str | None = None
    keep_days: float = Field(90.0, ge=0)   # as `oamkit check --keep-days`


class ProbeOpts(_Strict):
    targets: list[str] = Field(min_length=1)
    proto: str = "icmp"
    interval: str = "10ms"
    count: int = Field(100, ge=1, le=1_000_000)
    netns: str | None = None
    timeout: float = Field(1.0, gt=0, le=10)


class DrtestOpts(_Strict):
    plan: str
    report: str | None = None
    realtime: bool = True


class WaitOpts(_Strict):
    seconds: float = Field(ge=0, le=86400)

    @model_validator(mode="before")
    @classmethod
    def _short(cls, v):   # `wait: 30s`
        return v if isinstance(v, dict) else {"seconds": v}

    @field_validator("seconds", mode="before")
    @classmethod
    def _s(cls, v):
        return _seconds(v)


class MaintenanceOpts(_Strict):
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


class AssertOpts(_Strict):
    that: list[str] = Field(min_length=1, description="Jinja expressions over `result` (the "
                            "previous step's result), `results` (registered) and the vars")
    fail_msg: str | None = None

    @field_validator("that", mode="before")
    @classmethod
    def _one(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("that")
    @classmethod
    def _compiles(cls, v):
        for expression in v:
            try:
                _jinja().compile_expression(expression)
            except jinja2.TemplateSyntaxError as exc:
                raise ValueError(f"{expression!r} is not a valid expression: {exc.message}") from None
            unsafe = _private_names(expression)
            if unsafe:
                raise ValueError(f"{expression!r} reaches {', '.join(unsafe)}: attributes "
                                 "starting with '_' are not for playbooks (unsafe)")
        return v


def _private_names(expression: str) -> list[str]:
    """Attribute and item names starting with '_' in a Jinja expression (the sandbox would
    refuse them only when the assertion runs)."""
    from jinja2 import nodes

    env = _jinja()
    tree = env.parse("{{ " + expression + " }}")
    found = [n.attr for n in tree.find_all(nodes.Getattr) if n.attr.startswith("_")]
    found += [n.arg.value for n in tree.find_all(nodes.Getitem)
              if isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str)
              and n.arg.value.startswith("_")]
    return list(dict.fromkeys(found))


OPTIONS: dict[str, type[BaseModel]] = {
    "render": RenderOpts, "diff": DiffOpts, "push": PushOpts, "collect": CollectOpts,
    "check": CheckOpts, "probe": ProbeOpts, "drtest": DrtestOpts, "wait": WaitOpts,
    "maintenance": MaintenanceOpts, "assert": AssertOpts}
HOST_STEPS = ("render", "diff", "push", "collect", "check", "maintenance")


class _HostSelection(_Strict):
    """`filter` / `limit` as the CLI takes them: one expression or a list, checked before
    anything runs."""

    @field_validator("filter", mode="before", check_fields=False)
    @classmethod
    def _filters(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("filter", check_fields=False)
    @classmethod
    def _syntax(cls, v):
        return _check_filters(v)


class Step(_HostSelection):
    name: str | None = None
    filter: list[str] = Field(default_factory=list, description="narrows the play's filter")
    limit: str | list[str] | None = Field(None, description="replaces the play's limit")
    ignore_errors: bool = False
    register_: str | None = Field(None, alias="register", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    render: RenderOpts | None = None
    diff: DiffOpts | None = None
    push: PushOpts | None = None
    collect: CollectOpts | None = None
    check: CheckOpts | None = None
    probe: ProbeOpts | None = None
    drtest: DrtestOpts | None = None
    wait: WaitOpts | None = None
    maintenance: MaintenanceOpts | None = None
    assert_: AssertOpts | None = Field(None, alias="assert")

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
        return getattr(self, "assert_" if kind == "assert" else kind)

    @property
    def type(self) -> str:
        return next(t for t in STEP_TYPES if self.options_for(t) is not None)

    @property
    def options(self) -> BaseModel:
        return self.options_for(self.type)

    @property
    def title(self) -> str:
        return self.name or self.type


class Playbook(_HostSelection):
    name: str = "playbook"
    inventory: str | None = Field(None, description="folder, relative to the playbook; -i wins")
    vars: dict[str, Any] = Field(default_factory=dict)
    filter: list[str] = Field(default_factory=list)
    limit: str | list[str] | None = None
    steps: list[Step] = Field(min_length=1)
    always: list[Step] = Field(default_factory=list)


# ============================================================================ loading
class _SandboxedNativeEnvironment(jinja2.nativetypes.NativeEnvironment,
                                  jinja2.sandbox.SandboxedEnvironment):
    """Native types ("{{ n }}" stays a number) with the sandbox's attribute and call checks:
    a playbook is reviewed text, not code, so `{{ ''.__class__.__mro__ }}` must not run."""


def _jinja(native: bool = False) -> jinja2.Environment:
    cls = _SandboxedNativeEnvironment if native else jinja2.sandbox.SandboxedEnvironment
    return cls(undefined=jinja2.StrictUndefined, autoescape=False)


def parse_extra_vars(items: list[str] | None, base: Path | None = None) -> dict:
    """`-e key=value` (value read as YAML: 3 is a number), `-e '{"a": 1}'`, `-e @vars.yaml`."""
    out: dict = {}
    for item in items or []:
        text = item.strip()
        try:
            if text.startswith("@"):
                file = Path(text[1:]).expanduser()
                data = yaml.load(file.read_text(), Loader=yamlfile.UniqueKeyLoader)  # noqa: S506
            elif text.startswith("{"):
                data = yaml.load(text, Loader=yamlfile.UniqueKeyLoader)  # noqa: S506
            elif "=" in text:
                key, value = text.split("=", 1)
                data = {key.strip(): yaml.safe_load(value) if value.strip() else ""}
            else:
                data = None
        except (OSError, yaml.YAMLError) as exc:
            raise InputError([Problem(f"cannot read: {exc}", field="--extra-vars", value=item)]) from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and k for k in data):
            raise InputError([Problem("give KEY=VALUE, a JSON/YAML mapping, or @FILE.yaml",
                                      field="--extra-vars", value=item)])
        out.update(data)
    return out


def _substitute(node: Any, context: dict, loc: tuple, problems: list, file: str, raw) -> Any:
    """Render `{{ }}` in every string (NativeEnvironment: "{{ n }}" stays a number), in place so
    line numbers survive. Assertions are expressions evaluated later, left alone."""
    if isinstance(node, LineDict):
        for key in list(node):
            if key == "assert" or key == "vars":
                continue
            node[key] = _substitute(node[key], context, (*loc, key), problems, file, raw)
        return node
    if isinstance(node, LineList):
        for i, item in enumerate(node):
            node[i] = _substitute(item, context, (*loc, i), problems, file, raw)
        return node
    if isinstance(node, str) and ("{{" in node or "{%" in node):
        try:
            value = _jinja(native=True).from_string(node).render(**context)
            if isinstance(value, jinja2.Undefined):   # native rendering of a lone "{{ x }}"
                str(value)                             # raises UndefinedError (StrictUndefined)
            return value
        except jinja2.UndefinedError as exc:
            problems.append(Problem(f"undefined variable: {exc.message} (set it in vars: or "
                                    "--extra-vars)", file=f"{file}:{line_of(raw, loc)}",
                                    field=dotted(loc), value=node))
        except jinja2.TemplateError as exc:
            problems.append(Problem(f"template error: {exc}", file=f"{file}:{line_of(raw, loc)}",
                                    field=dotted(loc), value=node))
    return node


def _keys_in(raw, loc: tuple, kind: str) -> tuple:
    """The part of a pydantic error location that names keys of the file (union tags dropped);
    a missing key keeps its name."""
    node, out = raw, []
    for i, part in enumerate(loc):
        if isinstance(node, LineDict) and part in node:
            node = node[part]
            out.append(part)
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            out.append(part)
        elif kind == "missing" and i == len(loc) - 1:
            out.append(part)
    return tuple(out)


def _validation_problems(exc: ValidationError, raw, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        key_loc = _keys_in(raw, err["loc"], err["type"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            inside_step = len(key_loc) == 3 and key_loc[0] in ("steps", "always")
            message = ("unknown step type or key; step types: " + ", ".join(STEP_TYPES)
                       + "; step keys: " + ", ".join(STEP_KEYS)) if inside_step else "unknown key"
            if len(key_loc) > 3 and key_loc[0] in ("steps", "always"):
                model = OPTIONS.get(key_loc[2])
                if model is not None:
                    message += "; allowed: " + ", ".join(model.model_fields)
        value = err.get("input")
        if isinstance(value, (dict, list)):
            value = None
        problems.append(Problem(message, file=f"{file}:{line_of(raw, key_loc)}",
                                field=dotted(key_loc) or None, value=value))
    return problems


@dataclass
class LoadedPlay:
    """A validated playbook, ready to run: every step's hosts resolved, files found."""

    book: Playbook
    file: Path
    raw: Any
    variables: dict
    inventory: Any = None            # oamkit.inventory.Inventory, when a step selects hosts
    hosts: dict[int, list] = field(default_factory=dict)    # id(step) -> HostSettings
    extras: dict[int, Any] = field(default_factory=dict)    # id(step) -> rules, DR plan, ...

    def where(self, section: str, index: int, *keys) -> str:
        return f"{self.file}:{line_of(self.raw, (section, index, *keys))}"


def load(path: str | Path, extra_vars: dict | None = None, inventory: str | Path | None = None
         ) -> LoadedPlay:
    """Read, substitute variables, validate, and resolve every step's hosts. Raises InputError
    (exit 2) naming file:line and key; nothing has been sent to any device."""
    file = Path(path)
    if not file.is_file():
        raise InputError([Problem("playbook not found", file=str(file))])
    try:
        raw = yaml.load(file.read_text(), Loader=_Loader)   # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise InputError([Problem(f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                  file=where)]) from None
    if not isinstance(raw, LineDict):
        raise InputError([Problem("a playbook is a mapping with steps:", file=f"{file}:1")])
    declared = raw.get("vars") or {}
    if not isinstance(declared, dict):
        raise InputError([Problem("vars must be a mapping", file=f"{file}:{line_of(raw, ('vars',))}",
                                  field="vars")])
    variables = {**declared, **(extra_vars or {})}
    problems: list[Problem] = []
    _substitute(raw, variables, (), problems, str(file), raw)
    try:
        book = Playbook.model_validate(raw)
    except ValidationError as exc:
        # a key whose variable is undefined is reported once, as that
        templated = {p.field for p in problems}
        problems += [p for p in _validation_problems(exc, raw, str(file)) if p.field not in templated]
        raise InputError(problems) from None
    if problems:
        raise InputError(problems)
    play = LoadedPlay(book, file, raw, variables)
    _resolve(play, inventory)
    return play


def _relative(play: LoadedPlay, value: str | None) -> Path | None:
    if not value:
        return None
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else play.file.parent / p


def _resolve(play: LoadedPlay, inventory: str | Path | None) -> None:
    """Everything that can be checked before running: hosts, policies, rules, DR plans, probes."""
    from oamkit import checks
    from oamkit.inventory import Inventory
    from oamkit.render import plan_hosts

    book = play.book
    problems: list[Problem] = []
    sections = [("steps", i, s) for i, s in enumerate(book.steps)] + \
               [("always", i, s) for i, s in enumerate(book.always)]
    folder = Path(inventory) if inventory else _relative(play, book.inventory) if book.inventory \
        else Path(os.environ.get("OAMKIT_INVENTORY", "inventory"))
    if any(s.type in HOST_STEPS for _, _, s in sections):
        play.inventory = Inventory.load(folder)
    for section, index, step in sections:
        where = play.where(section, index)

        def located(found, key=None):
            for p in found:
                message = p.message if not p.file or p.file in p.message else f"{p.file}: {p.message}"
                problems.append(Problem(message, file=play.where(section, index, *(key or ())),
                                        host=p.host, interface=p.interface,
                                        field=f"{section}[{index}]" + (f".{p.field}" if p.field else ""),
                                        value=p.value, allowed=p.allowed))

        kind, opts = step.type, step.options
        if kind in HOST_STEPS:
            key = ("limit",) if step.limit else ("filter",) if step.filter else ()
            try:
                hosts = play.inventory.select(book.filter + step.filter, step.limit or book.limit)
            except InputError as exc:
                located(exc.problems, key)
                continue
            if not hosts:
                problems.append(Problem("no host matches the selection", file=where,
                                        field=f"{section}[{index}].filter/limit"))
                continue
            play.hosts[id(step)] = hosts
            if kind in ("diff", "push", "collect", "check"):
                located(play.inventory.credential_problems(hosts), key)
            if kind in ("render", "diff", "push", "check"):
                try:
                    plan_hosts(play.inventory, [h for h in hosts if kind != "check" or h.transport == "ssh"])
                except InputError as exc:
                    located(exc.problems)
        if kind == "check":
            try:
                play.extras[id(step)] = checks.Rules.load(_relative(play, opts.rules))
            except InputError as exc:
                located(exc.problems, (kind, "rules"))
        elif kind == "drtest":
            from oamkit.dr.plan import load_plan

            try:
                play.extras[id(step)] = dr_plan = load_plan(_relative(play, opts.plan))
            except InputError as exc:
                located(exc.problems, (kind, "plan"))
                continue
            actions = [(name, s) for name, s in (("trigger", dr_plan.trigger),
                                                 ("restore", dr_plan.restore)) if s.type == "action"]
            if actions:
                from oamkit.dr_actions import action_problems

                if play.inventory is None:
                    play.inventory = Inventory.load(folder)
                for name, s in actions:
                    located([Problem(f"{opts.plan}: {p.message}", host=p.host, field=p.field,
                                     value=p.value)
                             for p in action_problems(play.inventory, s.action, s.device,
                                                      s.args or {}, name)], (kind, "plan"))
        elif kind == "probe":
            from oamkit.probe.proto import ProbeProto, parse_interval
            from oamkit.probe.safety import check_probe_request

            try:
                proto, interval = ProbeProto.parse(opts.proto), parse_interval(opts.interval)
                check_probe_request(list(dict.fromkeys(opts.targets)), interval, opts.count, opts.netns)
                play.extras[id(step)] = (proto, interval)
            except ValueError as exc:
                problems.append(Problem(str(exc), file=play.where(section, index, kind),
                                        field=f"{section}[{index}].probe"))
            except OamkitError as exc:
                located(getattr(exc, "problems", None) or [Problem(str(exc))], (kind,))
        elif kind == "maintenance" and opts.state == "on":
            from oamkit.maintenance import parse_until

            try:
                if parse_until(opts.until) <= datetime.now(timezone.utc):
                    problems.append(Problem("is in the past", file=play.where(section, index, kind, "until"),
                                            field=f"{section}[{index}].maintenance.until",
                                            value=opts.until))
            except ValueError as exc:
                problems.append(Problem(str(exc), file=play.where(section, index, kind, "until"),
                                        field=f"{section}[{index}].maintenance.until"))
    if problems:
        raise InputError(problems)


# ============================================================================ running
@dataclass
class StepOutcome:
    name: str
    type: str
    section: str
    status: str                       # ok | failed | failed-ignored | skipped
    exit_code: int = 0
    seconds: float = 0.0
    summary: str = ""
    result: dict = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "section": self.section,
                "status": self.status, "exit_code": self.exit_code, "seconds": self.seconds,
                "summary": self.summary, "error": self.error, "result": self.result}


@dataclass
class Context:
    play: LoadedPlay
    check_mode: bool = False
    executor: Any = None
    log: Callable[[str], None] = lambda text: None
    result: dict = field(default_factory=dict)        # the previous step's result
    results: dict = field(default_factory=dict)       # registered results by name
    history_copies: list = field(default_factory=list)


def run(play: LoadedPlay, *, check_mode: bool = False, executor=None,
        on_step: Callable[[StepOutcome], None] | None = None,
        on_start: Callable[[str, int, Step], None] | None = None,
        log: Callable[[str], None] = lambda text: None) -> dict:
    """Run the steps in order, stop at the first failure (unless ignore_errors), then run every
    `always:` step. Returns the play's report (exit_code: 0 ok, 1 failed, 3 needs attention,
    130 interrupted)."""
    ctx = Context(play, check_mode, executor, log)
    started = time.time()
    outcomes: list[StepOutcome] = []
    stopped: str | None = None
    interrupted = False
    try:
        for index, step in enumerate(play.book.steps):
            if stopped:
                outcomes.append(StepOutcome(step.title, step.type, "steps", SKIPPED,
                                            summary=f"not run: {stopped}"))
                if on_step:
                    on_step(outcomes[-1])
                continue
            if on_start:
                on_start("steps", index, step)
            outcome = _run_step(ctx, step, "steps")
            outcomes.append(outcome)
            if on_step:
                on_step(outcome)
            if outcome.status == FAILED:
                stopped = f"step {index + 1} ({step.title}) failed"
    except KeyboardInterrupt:
        interrupted = True
        stopped = "interrupted (Ctrl-C)"
        done = len(outcomes)
        for step in play.book.steps[done:]:
            outcomes.append(StepOutcome(step.title, step.type, "steps", SKIPPED, summary=stopped))
    for index, step in enumerate(play.book.always):   # cleanup: every one of them, always
        if on_start:
            on_start("always", index, step)
        try:
            outcome = _run_step(ctx, step, "always")
        except KeyboardInterrupt:
            interrupted = True
            outcome = StepOutcome(step.title, step.type, "always", FAILED, 130,
                                  error="interrupted (Ctrl-C) during cleanup")
        outcomes.append(outcome)
        if on_step:
            on_step(outcome)
    for copy in ctx.history_copies:
        shutil.rmtree(copy, ignore_errors=True)
    failed = [o for o in outcomes if o.status == FAILED]
    if interrupted:
        code = 130
    elif any(o.exit_code == ExitCode.NEEDS_ATTENTION for o in failed):
        code = int(ExitCode.NEEDS_ATTENTION)
    elif failed:
        code = int(ExitCode.FAILED)
    else:
        code = int(ExitCode.OK)
    return {"ok": code == 0, "exit_code": code, "playbook": str(play.file), "name": play.book.name,
            "check_mode": check_mode, "stopped": stopped,
            "executor": getattr(executor, "name", "threads"),
            "seconds": round(time.time() - started, 3),
            "steps": [o.as_dict() for o in outcomes]}


def _run_step(ctx: Context, step: Step, section: str) -> StepOutcome:
    started = time.monotonic()
    outcome = StepOutcome(step.title, step.type, section, OK)
    try:
        code, result, summary = RUNNERS[step.type](ctx, step, step.options)
        outcome.exit_code, outcome.result, outcome.summary = int(code), result, summary
    except OamkitError as exc:
        outcome.exit_code, outcome.error = int(exc.exit_code), str(exc)
    except Exception as exc:  # noqa: BLE001 - a step's bug must not skip the cleanup steps
        outcome.exit_code, outcome.error = int(ExitCode.FAILED), f"internal error: {type(exc).__name__}: {exc}"
    if outcome.exit_code:
        outcome.status = IGNORED if step.ignore_errors else FAILED
    outcome.seconds = round(time.monotonic() - started, 3)
    ctx.result = outcome.result | {"exit_code": outcome.exit_code, "status": outcome.result.get(
        "status", outcome.status)} if outcome.result else {"exit_code": outcome.exit_code,
                                                           "status": outcome.status}
    if step.register_:
        ctx.results[step.register_] = ctx.result
    return outcome


def _hosts(ctx: Context, step: Step) -> list:
    return ctx.play.hosts[id(step)]


def _fleet_result(run) -> dict:
    return {"stopped": run.stopped, "outcomes": run.outcomes, "changed": run.changed,
            "failed": run.failed, "hosts": [r.as_dict() for r in run.results]}


def _summary(counts: dict) -> str:
    return ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))


# ---------------------------------------------------------------------------- step types
def _step_render(ctx, step, opts: RenderOpts):
    from oamkit import ops

    run = ops.render(_selection(ctx, step), fmt=opts.format, out=_relative(ctx.play, opts.out))
    hosts = [{k: v for k, v in h.items() if k in ("host", "platform", "lines", "config", "file")
              and v is not None} for h in run.as_dict()["hosts"]]
    return 0, {"hosts": hosts}, f"{len(hosts)} host(s) rendered ({opts.format})"


def _selection(ctx, step, *, intent: bool = True, ssh_only: bool = False):
    """The step's hosts (resolved and validated when the playbook loaded) as an ops Selection."""
    from oamkit import ops
    from oamkit.platforms import get_platform
    from oamkit.render import HostPlan, plan_hosts

    hosts = _hosts(ctx, step)
    chosen = [h for h in hosts if h.transport == "ssh"] if ssh_only else hosts
    plans = plan_hosts(ctx.play.inventory, chosen) if intent else \
        [HostPlan(h, get_platform(h.platform)) for h in chosen]
    return ops.Selection(ctx.play.inventory, plans, [h for h in hosts if h not in chosen])


def _diff_run(ctx, step, opts):
    from oamkit import ops

    return ops.diff(_selection(ctx, step), workers=opts.workers, timeout=opts.timeout,
                    executor=ctx.executor)


def _step_diff(ctx, step, opts: DiffOpts):
    run = _diff_run(ctx, step, opts)
    return run.exit_code, _fleet_result(run), _summary(run.outcomes)


def _step_push(ctx, step, opts: PushOpts):
    from oamkit import ops

    if ctx.check_mode:   # dry run: the exact delta a push would send, nothing sent
        run = _diff_run(ctx, step, opts)
        result = _fleet_result(run) | {"check_mode": True, "change_id": None}
        return run.exit_code, result, "check mode, would change: " + (
            ", ".join(result["changed"]) or "nothing")
    run = ops.push(_selection(ctx, step), workers=opts.workers, timeout=opts.timeout,
                   canary=opts.canary, batch_size=opts.batch_size, max_failures=opts.max_failures,
                   confirm_timeout=opts.confirm_timeout, executor=ctx.executor,
                   action=f"push (playbook {ctx.play.file.name})")
    result = _fleet_result(run) | {"change_id": run.change_id}
    return run.exit_code, result, _summary(run.outcomes) + (
        f"; stopped: {run.stopped}" if run.stopped else "") + f"; change {run.change_id}"


def _db(ctx, value: str | None) -> Path:
    from oamkit.ops import history_path

    return _relative(ctx.play, value) or history_path(os.environ.get("OAMKIT_DB"))


def _dry_db(ctx, db: Path) -> Path:
    """Check mode: a throw-away copy of the history, so nothing is recorded."""
    folder = Path(tempfile.mkdtemp(prefix="oamkit-check-"))
    ctx.history_copies.append(folder)
    copy = folder / db.name
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copy2(f"{db}{suffix}", f"{copy}{suffix}")
    return copy


def _step_collect(ctx, step, opts: CollectOpts):
    from oamkit import ops

    db = _db(ctx, opts.db)
    run = ops.collect(_selection(ctx, step, intent=False, ssh_only=True),
                      db=_dry_db(ctx, db) if ctx.check_mode else db, workers=opts.workers,
                      timeout=opts.timeout, keep_days=opts.keep_days, executor=ctx.executor)
    rows = run.rows
    result = {"db": None if ctx.check_mode else str(db), "failed": run.failed, "hosts": rows,
              "outcomes": {o: sum(1 for r in rows if r["outcome"] == o) for o in {r["outcome"] for r in rows}}}
    return run.exit_code, result, _summary(result["outcomes"]) + (
        " (check mode: not stored)" if ctx.check_mode else f" into {db}")


def _step_check(ctx, step, opts: CheckOpts):
    from oamkit import ops

    db = _db(ctx, opts.db)
    report = ops.check(_selection(ctx, step, ssh_only=True), rules=ctx.play.extras[id(step)],
                       rules_file=opts.rules, db=_dry_db(ctx, db) if ctx.check_mode else db,
                       workers=opts.workers, timeout=opts.timeout, keep_days=opts.keep_days,
                       executor=ctx.executor)
    report.db = str(db)
    result = report.as_dict()
    result["problems"] = [r.as_dict() for r in report.problems()]
    return report.exit_code(nagios=False), result, f"{report.status}: " + _summary(report.counts())


def _step_probe(ctx, step, opts: ProbeOpts):
    from oamkit.probe.analysis import run_summary, slot_stats
    from oamkit.probe.engine import ProbeEngine, Slot

    proto, interval = ctx.play.extras[id(step)]
    engine = ProbeEngine([Slot(t, proto) for t in dict.fromkeys(opts.targets)], interval, opts.count,
                         netns=opts.netns, timeout=opts.timeout)
    engine.start()
    try:
        run_ = engine.finish()
    except KeyboardInterrupt:
        engine.stop()
        engine.finish(grace=0.2)
        raise
    summary = run_summary(run_)
    stats = [slot_stats(run_, i) for i in range(len(run_.slots))]
    code = 3 if not summary["trusted"] else 1 if any(s["answered"] == 0 for s in stats) else 0
    text = "; ".join(f"{s['target']} {s['loss_pct']:.1f}% loss" for s in stats[:6])
    return code, {"engine": summary, "targets": stats}, text


def _step_drtest(ctx, step, opts: DrtestOpts):
    from oamkit.dr.report import write_reports
    from oamkit.dr.runner import EXIT_FOR_VERDICT, DrRunner

    plan = ctx.play.extras[id(step)]
    if any(s.type == "action" for s in (plan.trigger, plan.restore)):
        from oamkit.dr.runner import set_action_hook
        from oamkit.dr_actions import make_action_hook

        set_action_hook(make_action_hook(ctx.play.inventory))
    runner = DrRunner(plan, realtime=opts.realtime, log=ctx.log)
    if ctx.check_mode:   # the bounds are checked, no probe and no trigger sent
        runner.preflight()
        return 0, {"check_mode": True, "plan": plan.name, "sites": len(plan.sites)}, \
            f"check mode: plan {plan.name!r} valid, {len(plan.sites)} site(s); nothing sent"
    result = runner.run()
    if opts.report:
        write_reports(result, _relative(ctx.play, opts.report))
    return EXIT_FOR_VERDICT.get(result["verdict"], 1), result, _dr_summary(result)


def _dr_summary(result: dict) -> str:
    """One line for the play log: the verdict, then the findings or, on a pass, the worst
    failover outage against the bound."""
    findings = "; ".join(result.get("summary") or [])[:300]
    if findings:
        return f"{result['verdict']}: {findings}"
    outages = [(site.get("failover") or {}).get("outage_s") for site in result.get("sites") or []]
    outages = [o for o in outages if o is not None]
    if not outages:
        return result["verdict"]
    return (f"{result['verdict']}: {len(outages)} site(s), worst failover outage {max(outages):.2f} s "
            f"(bound {result.get('convergence_bound_s')} s)")


def _step_wait(ctx, step, opts: WaitOpts):
    if ctx.check_mode:
        return 0, {"seconds": opts.seconds, "check_mode": True}, f"check mode: would wait {opts.seconds:g} s"
    end = time.monotonic() + opts.seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))
    return 0, {"seconds": opts.seconds}, f"waited {opts.seconds:g} s"


def _step_maintenance(ctx, step, opts: MaintenanceOpts):
    from oamkit import maintenance

    names = [h.name for h in _hosts(ctx, step)]
    selection = " ".join(ctx.play.book.filter + step.filter) or None
    if ctx.check_mode:
        return 0, {"check_mode": True, "state": opts.state, "hosts": names}, \
            f"check mode: would turn maintenance {opts.state} for {len(names)} host(s)"
    if opts.state == "on":
        window = maintenance.add(names, opts.until, opts.reason, who=getpass.getuser(),
                                 selection=selection)
        return 0, {"state": "on", "window": window.model_dump(mode="json"), "hosts": names}, \
            f"window {window.id} for {len(names)} host(s) until {window.until.isoformat(timespec='minutes')}"
    ended = []
    for name in names:
        try:
            ended += [w.id for w in maintenance.remove(host=name)]
        except InputError:
            pass   # that host was in no window: nothing to end
    return 0, {"state": "off", "hosts": names, "windows": sorted(set(ended))}, \
        f"maintenance off for {len(names)} host(s)"


def _step_assert(ctx, step, opts: AssertOpts):
    env = _jinja()
    namespace = {**ctx.play.variables, "result": ctx.result, "results": ctx.results}
    checked = []
    for expression in opts.that:
        try:
            value = bool(env.compile_expression(expression, undefined_to_none=False)(**namespace))
            checked.append({"that": expression, "ok": value})
        except jinja2.UndefinedError as exc:
            checked.append({"that": expression, "ok": False, "error": f"undefined: {exc.message}"})
        except Exception as exc:  # noqa: BLE001 - a failing assertion, reported as such
            checked.append({"that": expression, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    failed = [c for c in checked if not c["ok"]]
    if failed:
        why = opts.fail_msg or "assertion failed: " + "; ".join(
            c["that"] + (f" ({c['error']})" if c.get("error") else "") for c in failed)
        return 1, {"assertions": checked, "status": FAILED}, why
    return 0, {"assertions": checked, "status": OK}, f"{len(checked)} assertion(s) hold"


RUNNERS: dict[str, Callable] = {
    "render": _step_render, "diff": _step_diff, "push": _step_push, "collect": _step_collect,
    "check": _step_check, "probe": _step_probe, "drtest": _step_drtest, "wait": _step_wait,
    "maintenance": _step_maintenance, "assert": _step_assert}


def to_json(report: dict) -> str:
    return json.dumps(report, indent=2, default=str)
