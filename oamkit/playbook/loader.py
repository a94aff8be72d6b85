"""Reading a playbook's YAML so that every problem can name its file and line: mappings and
lists that remember the lines of their keys and items (LineDict, LineList, `line_of`), the
`{{ variable }}` substitution that keeps them (it renders in place), `-e` extra vars, and paths
written relative to the playbook. Nothing here knows the step types; the schema does."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import yaml

from oamkit import yamlfile
from oamkit.errors import InputError, Problem
from oamkit.playbook.expressions import jinja_env


class LineDict(dict):
    """A mapping from the playbook that remembers where it and each of its keys were."""

    line: int = 0
    key_lines: dict


class LineList(list):
    """A list from the playbook that remembers where it and each of its items were."""

    line: int = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    """A SafeLoader that builds LineDict/LineList (and refuses duplicate keys)."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    # Duplicates are looked for among the keys written here, before `<<: *anchor` merges:
    # a key written next to a merge overrides the merged one (YAML's merge key), and comes
    # after it once flattened, so the last one wins.
    yamlfile.check_unique_keys(loader, node)
    loader.flatten_mapping(node)
    out = LineDict()
    out.line, out.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(item, deep=True) for item in node.value)
    out.line, out.item_lines = node.start_mark.line + 1, [i.start_mark.line + 1 for i in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def read_yaml(file: Path) -> LineDict:
    """The playbook file as a LineDict. Raises InputError naming file:line when it is missing,
    is not YAML, or is not a mapping."""
    if not file.is_file():
        raise InputError([Problem("is a folder, not a playbook file" if file.is_dir() else
                                  "playbook not found", file=str(file))])
    text = yamlfile.read_text(file, encoding="utf-8")   # unreadable, Latin-1 bytes: exit 2
    try:
        raw = yaml.load(text, Loader=_Loader)   # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise InputError([Problem(f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                  file=where)]) from None
    if not isinstance(raw, LineDict):
        raise InputError([Problem("a playbook is a mapping with steps:", file=f"{file}:1")])
    return raw


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
    """A key path as the docs write it: steps[1].push.canary."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_extra_vars(items: list[str] | None, base: Path | None = None) -> dict:
    """`-e key=value` (value read as YAML: 3 is a number), `-e '{"a": 1}'`, `-e @vars.yaml`."""
    out: dict = {}
    for item in items or []:
        text = item.strip()
        file = None
        try:
            if text.startswith("@"):
                file = Path(text[1:]).expanduser()
                data = yaml.load(file.read_text(encoding="utf-8"), Loader=yamlfile.UniqueKeyLoader)  # noqa: S506
            elif text.startswith("{"):
                data = yaml.load(text, Loader=yamlfile.UniqueKeyLoader)  # noqa: S506
            elif "=" in text:
                key, value = text.split("=", 1)
                data = {key.strip(): yaml.safe_load(value) if value.strip() else ""}
            else:
                data = None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise InputError([Problem(f"cannot read: {exc}", file=str(file) if file else None,
                                      field="--extra-vars", value=item)]) from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and k for k in data):
            raise InputError([Problem("give KEY=VALUE, a JSON/YAML mapping, or @FILE.yaml",
                                      field="--extra-vars", value=item)])
        out.update(data)
    return out


def template_vars(declared: LineDict, extra_vars: dict, problems: list, file: str, raw) -> dict:
    """`vars:` rendered as every other string is (undefined-strict), in the order written: each
    sees the -e vars and the vars above it. A var -e sets wins and is taken as given."""
    variables = dict(extra_vars)
    for key in declared:
        if key not in extra_vars:
            declared[key] = substitute(declared[key], variables, ("vars", key), problems, file, raw)
            variables[key] = declared[key]
    return {**declared, **extra_vars}


def substitute(node: Any, context: dict, loc: tuple, problems: list, file: str, raw) -> Any:
    """Render `{{ }}` in every string (NativeEnvironment: "{{ n }}" stays a number), in place so
    line numbers survive. Assertions are expressions evaluated later, left alone."""
    if isinstance(node, LineDict):
        for key in list(node):
            if key == "assert" or key == "vars":
                continue
            node[key] = substitute(node[key], context, (*loc, key), problems, file, raw)
        return node
    if isinstance(node, LineList):
        for i, item in enumerate(node):
            node[i] = substitute(item, context, (*loc, i), problems, file, raw)
        return node
    if isinstance(node, str) and ("{{" in node or "{%" in node):
        try:
            value = jinja_env(native=True).from_string(node).render(**context)
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


def relative_to_playbook(playbook_file: Path, value: str | None) -> Path | None:
    """A path written in the playbook: `~` expanded, relative ones taken from the playbook's
    folder (not the working directory), so a play runs the same from anywhere."""
    if not value:
        return None
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else playbook_file.parent / p
