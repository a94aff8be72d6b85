"""Errors and exit codes shared by every oamkit command.

Exit codes mean the same thing everywhere, so schedulers and scripts can rely on them:
0 all good, 1 some hosts failed (and were rolled back), 2 bad input (nothing was sent),
3 a host needs attention.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    NEEDS_ATTENTION = 3


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    message: str
    file: str | None = None
    host: str | None = None
    interface: str | None = None
    field: str | None = None
    value: object = None
    allowed: str | None = None

    def __str__(self) -> str:
        where = [p for p in (self.file, f"host {self.host}" if self.host else None,
                             f"interface {self.interface}" if self.interface else None) if p]
        text = ": ".join([*where, f"{self.field}: {self.message}" if self.field else self.message])
        if self.value is not None:
            text += f" (got {self.value!r})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class OamkitError(Exception):
    """Base for errors that end a command with a clear message instead of a traceback."""

    exit_code = ExitCode.FAILED


@dataclass
class InputError(OamkitError):
    """Bad inventory, policy or plan: the command stops before touching any device (exit 2)."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = ExitCode.BAD_INPUT

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        return f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)


def input_error(message: str, **where) -> InputError:
    return InputError([Problem(message, **where)])


def require_numbers(*checks: tuple) -> None:
    """The operations layer's own check of its numeric arguments (the CLI's options have the
    same bounds, but a Python caller passes anything: a string confirm timeout was typed into
    the device's configuration session, a negative keep_days emptied the history). Each check
    is (field, value, minimum, maximum or None, integer, optional); InputError names every
    value out of bounds."""
    import math

    problems = []
    for name, value, minimum, maximum, integer, optional in checks:
        if value is None and optional:
            continue
        kind = int if integer else (int, float)
        ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value) \
            and value >= minimum and (maximum is None or value <= maximum)
        if not ok:
            what = "a whole number" if integer else "a number"
            bounds = f"at least {minimum:g}" + (f" and at most {maximum:g}" if maximum is not None else "")
            problems.append(Problem(f"must be {what}, {bounds}" + (" (or None)" if optional else ""),
                                    field=name, value=value))
    if problems:
        raise InputError(problems)
