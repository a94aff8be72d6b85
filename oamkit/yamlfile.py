"""Reading users' YAML files: libyaml's speed, and no silently lost duplicate keys.

PyYAML keeps the last of two equal keys. In `hosts.yaml` that means a host defined twice is
quietly replaced by its second definition, and the whole fleet is pushed with it: every YAML
file oamkit reads refuses duplicate keys, naming both lines.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from oamkit.errors import InputError, Problem

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml: several times faster
_STR = "tag:yaml.org,2002:str"


def check_unique_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    """Raise a ConstructorError naming both lines when `node` repeats a key."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        tag = key_node.tag
        if tag == "tag:yaml.org,2002:merge":   # `<<: *anchor` may repeat
            continue
        # a plain string key (nearly all of them) is its text: no need to construct it twice
        key = key_node.value if tag == _STR else loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = seen.get(key)
            seen.setdefault(key, line)
        except TypeError:   # an unhashable key: the constructor reports it
            continue
        if first is not None:   # lines may be equal: `{a: 1, a: 2}`
            where = f"lines {first} and {line}" if first != line else f"twice on line {line}"
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} ({where})", key_node.start_mark)


class UniqueKeyLoader(_Base):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            check_unique_keys(self, node)
        return super().construct_mapping(node, deep=deep)


def error_problem(exc: yaml.YAMLError, file: Path | str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return Problem(f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}", file=str(file))


def load_text(text: str, file: Path | str) -> Any:
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)   # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InputError([error_problem(exc, file)]) from None


def read_text(file: Path | str, encoding: str | None = None) -> str:
    """The file's text; InputError (exit 2) naming it when it cannot be read or decoded."""
    try:
        return Path(file).read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(f"cannot read: {getattr(exc, 'strerror', None) or exc}",
                                  file=str(file))]) from None


def load(file: Path | str) -> Any:
    """The document in `file`; InputError (exit 2) naming the file and line otherwise."""
    return load_text(read_text(file), file)
