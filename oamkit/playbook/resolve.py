"""Everything checked before a play runs, so that `oamkit run` either runs a play that can run
or exits 2 naming file:line and key, having contacted nothing: the schema's errors mapped back
to the lines of the YAML, then each step's hosts selected from the inventory (with credentials
and intent planned), and its rules file, DR plan, probe request or maintenance time checked.
`load()` is the entry point; a LoadedPlay is what the runner runs."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oamkit.errors import InputError, OamkitError, Problem
from oamkit.playbook.loader import (LineDict, LineList, dotted, line_of, read_yaml,
                                    relative_to_playbook, substitute, template_vars)
from oamkit.playbook.registry import HOST_STEPS, STEP_TYPES, STEPS
from oamkit.playbook.schema import STEP_KEYS, Playbook
from oamkit.transport.reader import readable


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
                step_type = STEPS.get(key_loc[2])
                if step_type is not None:
                    message += "; allowed: " + ", ".join(step_type.options.model_fields)
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
    raw = read_yaml(file)
    declared = raw.get("vars") or {}
    if not isinstance(declared, dict):
        raise InputError([Problem("vars must be a mapping", file=f"{file}:{line_of(raw, ('vars',))}",
                                  field="vars")])
    problems: list[Problem] = []
    variables = template_vars(declared, extra_vars or {}, problems, str(file), raw)
    substitute(raw, variables, (), problems, str(file), raw)
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


def _resolve(play: LoadedPlay, inventory: str | Path | None) -> None:
    """Everything that can be checked before running: hosts, policies, rules, DR plans, probes."""
    from oamkit import checks
    from oamkit.inventory import Inventory
    from oamkit.render import plan_hosts

    book = play.book
    problems: list[Problem] = []
    sections = [("steps", i, s) for i, s in enumerate(book.steps)] + \
               [("always", i, s) for i, s in enumerate(book.always)]
    folder = Path(inventory) if inventory \
        else relative_to_playbook(play.file, book.inventory) if book.inventory \
        else Path(os.environ.get("OAMKIT_INVENTORY", "inventory"))
    if any(s.type in HOST_STEPS for _, _, s in sections):
        play.inventory = Inventory.load(folder)
    registered: set[str] = set()   # by the steps before the one being resolved
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
        if kind == "assert":
            problems += _assert_problems(play, section, index, opts, registered)
        if step.register_:
            registered.add(step.register_)
        if STEPS[kind].selects_hosts:
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
            if STEPS[kind].logs_in:
                located(play.inventory.credential_problems(hosts), key)
            if STEPS[kind].plans_intent:
                # a check reads only the hosts it can read (it skips the others, see
                # transport.reader.readable): only their policies are planned
                checked = [h for h in hosts if kind != "check" or readable(h)]
                try:
                    plan_hosts(play.inventory, checked)
                except InputError as exc:
                    located(exc.problems)
        if kind == "check":
            try:
                play.extras[id(step)] = checks.Rules.load(relative_to_playbook(play.file, opts.rules))
            except InputError as exc:
                located(exc.problems, (kind, "rules"))
        elif kind == "drtest":
            from oamkit.dr.plan import load_plan

            try:
                play.extras[id(step)] = dr_plan = load_plan(relative_to_playbook(play.file, opts.plan))
            except InputError as exc:
                located(exc.problems, (kind, "plan"))
                continue
            located([Problem(f"{opts.plan}: {p.message}", host=p.host, field=p.field, value=p.value)
                     for p in _drtest_problems(play, dr_plan, opts, folder)], (kind, "plan"))
            if opts.report:   # found after the DR test otherwise, its result lost with them
                from oamkit.dr.report import report_problems

                located([Problem(f"the report cannot be written there: {p}", field="report")
                         for p in report_problems(relative_to_playbook(play.file, opts.report))],
                        (kind, "report"))
        elif kind == "probe":
            from oamkit.probe.proto import ProbeProto, parse_interval
            from oamkit.probe.safety import check_probe_request

            try:
                interval = parse_interval(opts.interval)   # a bare number refused, as the CLI's --interval
            except ValueError as exc:
                problems.append(Problem(str(exc), file=play.where(section, index, kind),
                                        field=f"{section}[{index}].probe.interval", value=opts.interval))
                continue
            try:
                proto = ProbeProto.parse(opts.proto)
                check_probe_request(list(dict.fromkeys(opts.targets)), interval, opts.count, opts.netns)
                play.extras[id(step)] = (proto, interval)
            except ValueError as exc:
                problems.append(Problem(str(exc), file=play.where(section, index, kind),
                                        field=f"{section}[{index}].probe"))
            except OamkitError as exc:
                located(getattr(exc, "problems", None) or [Problem(str(exc))], (kind,))
        elif kind == "maintenance" and opts.state == "on":
            from oamkit.maintenance import check_window

            # the step's `until` and `reason` as `maintenance add` takes them (a control
            # character from -e found now, not when the steps before it have run)
            for p in check_window(opts.until, opts.reason)[1]:
                key = (p.field or "").lstrip("-")
                problems.append(Problem(p.message, file=play.where(section, index, kind, key),
                                        field=f"{section}[{index}].maintenance.{key}", value=p.value))
    if problems:
        raise InputError(problems)


def _not_defined(names: list[str], play: LoadedPlay) -> str:
    return f"names {', '.join(names)}: not defined (vars: {', '.join(sorted(play.variables)) or 'none'})"


def _assert_problems(play: LoadedPlay, section: str, index: int, opts, registered: set[str]) -> list[Problem]:
    """Names an assert step's expressions and its fail_msg use that nothing defines (a typo):
    found at load, not after the steps before it have run."""
    from oamkit.playbook.expressions import unknown_names, unknown_names_in_template

    known = {*play.variables, "result", "results"}
    problems = [Problem(f"{expression!r} {_not_defined(unknown, play)}",
                        file=play.where(section, index, "assert", "that"),
                        field=f"{section}[{index}].assert.that[{number}]")
                for number, expression in enumerate(opts.that)
                if (unknown := unknown_names(expression, known, registered))]
    # rendered when the assertion fails, with what the assertions see
    unknown = unknown_names_in_template(opts.fail_msg or "", known, registered)
    if unknown:
        problems.append(Problem(_not_defined(unknown, play), file=play.where(section, index, "assert", "fail_msg"),
                                field=f"{section}[{index}].assert.fail_msg", value=opts.fail_msg))
    return problems


def _drtest_problems(play: LoadedPlay, dr_plan, opts, folder: Path) -> list[Problem]:
    """What would stop a drtest step before its first probe, found before the play's first
    step: its action steps' devices and arguments against the inventory, and the bounds
    `oamkit drtest` checks (allow-list, rates, the source namespace, the trigger's program)."""
    from oamkit.dr.runner import DrRunner
    from oamkit.inventory import Inventory

    problems: list[Problem] = []
    actions = [(name, s) for name, s in (("trigger", dr_plan.trigger), ("restore", dr_plan.restore))
               if s.type == "action"]
    if actions:
        from oamkit.dr_actions import action_problems

        if play.inventory is None:
            play.inventory = Inventory.load(folder)
        for name, s in actions:
            problems += action_problems(play.inventory, s.action, s.device, s.args or {}, name)
    try:
        DrRunner(dr_plan, realtime=opts.realtime).preflight()
    except OamkitError as exc:
        problems += getattr(exc, "problems", None) or [Problem(str(exc))]
    return problems
