"""Checks on strings that come from users' files and end up in a device command or a path.

Vendor-specific rules (which interface or profile names a platform holds) are platform data
(`Platform.names`); this module holds what is true everywhere: no control characters in any
key or value of an inventory, policy or plan file, and names that become file names stay
plain names, so `render --out DIR` or a state folder can never be escaped.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from oamkit.errors import Problem

# Names used as file names (hosts: render output, backups, locks). Letters, digits and . _ - @,
# starting with a letter, digit or underscore, so "..", "/x" and "-rf" are all refused.
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,252}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")   # a tab completes on a CLI
_MAX_STRING = 4096   # longer strings in an inventory are a mistake (or an attack), not data


def file_name_problem(name: str) -> str | None:
    """Why `name` cannot be used as a file name inside one of oamkit's folders, or None."""
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name) or set(name) == {"."}:
        return ("must be a plain name: letters, digits and . _ - @, starting with a letter, "
                "digit or underscore, at most 253 characters")
    return None


# A device's address as a resolver or socket takes it: a DNS name (labels of letters, digits,
# _ and -, not starting with -) or an IPv4/IPv6 address (an IPv6 scope after %).
_DNS_NAME = re.compile(r"(?=.{1,253}$)(?!-)[A-Za-z0-9_-]{1,63}(?:\.(?!-)[A-Za-z0-9_-]{1,63})*\.?")


def address_problem(value) -> str | None:
    """Why `value` cannot be a host's address (`hostname`), or None."""
    import ipaddress

    if isinstance(value, str):
        try:
            ipaddress.ip_address(value)
            return None
        except ValueError:
            if _DNS_NAME.fullmatch(value):
                return None
    return "not a host name or IP address (a DNS name of letters, digits, . _ -, or an IPv4/IPv6 address)"


def has_control(text: str) -> bool:
    return bool(_CONTROL.search(text))


def inside(folder: Path, name: str, replacing: bool = False) -> Path:
    """`folder / name`, refusing anything that would resolve outside `folder`. `replacing`: the
    file will be replaced (renamed over), not written through, so a link already there is not
    followed to judge where it leads."""
    base = folder.resolve()
    path = base / name if replacing else (base / name).resolve()
    if path.parent != base or (replacing and (name in ("", ".", "..") or os.sep in name)):
        raise ValueError(f"{name!r} would leave {folder}")
    return path


def shown(value: str, width: int = 60) -> str:
    """A long value shortened for an error message."""
    return value if len(value) <= width else value[:width - 3] + "..."


def text_problems(node, file: str, where: tuple[str, ...] = (), host: str | None = None
                  ) -> list[Problem]:
    """Control characters (newlines and tabs included) or huge strings in any key or
    value of a YAML document: every one of them would reach a device or a log line. A mapping
    or list that YAML aliases share is looked at once, where it first appears (nine aliases
    nested nine deep made 9**9 walks of a 700-byte file: every command hung)."""
    problems: list[Problem] = []
    seen: set[int] = set()

    def walk(node, where: tuple[str, ...]) -> None:
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                return
            seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                path = (*where, str(key))
                if isinstance(key, str):
                    problems.extend(_string_problems(key, file, path, host, is_key=True))
                walk(value, path)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*where, str(index)))
        elif isinstance(node, str):
            problems.extend(_string_problems(node, file, where, host))

    walk(node, where)
    return problems


def _string_problems(text: str, file: str, where: tuple[str, ...], host: str | None,
                     is_key: bool = False) -> list[Problem]:
    # a key is named by where it sits (the bad key itself is the value shown)
    field = ".".join(where[:-1] if is_key else where) or None
    what = "key" if is_key else "value"
    if _CONTROL.search(text):
        return [Problem(f"{what} contains a control character (newline, carriage return, escape "
                        "...): it would reach a device as a command of its own", file=file,
                        host=host, field=field, value=shown(text))]
    if len(text) > _MAX_STRING:
        return [Problem(f"{what} is {len(text)} characters long (at most {_MAX_STRING})",
                        file=file, host=host, field=field, value=shown(text))]
    return []
