"""Reading a secret (login password, IOS enable secret) from where teams keep it: an environment
variable, a file only its owner can read, or a command such as `pass show net/core` (a password
manager, a vault client). Nothing here logs, and no error carries a secret or a command's output.

A command runs without a shell (the text is split as a shell would, but no expansion, no
pipes), with stdin closed and a deadline; the first line of its stdout is the secret. Its exit
code is reported on failure, never its output: a password manager may print the secret, or
parts of it, on stderr too.
"""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from oamkit.errors import InputError, Problem

COMMAND_TIMEOUT = 30.0   # seconds; a password manager that waits for a PIN entry is a failure


def open_to_others(file: Path) -> int | None:
    """The file's mode when its group or others have any access to it (ssh refuses such a key
    file; oamkit refuses such a password or key file alike), else None."""
    mode = file.stat().st_mode & 0o777
    return mode if mode & 0o077 else None


def from_file(file: Path, *, host: str, field: str) -> str | None:
    """The file's content (stripped); None when the file does not exist. Refused when others can read
    it, as ssh refuses such a key file."""
    if file.exists() and not file.is_file():   # a folder (or a device): a typo, not "no password"
        raise InputError([Problem("is not a file", file=str(file), host=host, field=field)])
    if not file.is_file():
        return None
    mode = open_to_others(file)
    if mode is not None:
        raise InputError([Problem(f"{field.rsplit('.', 1)[-1].replace('_', ' ')} is readable by "
                                  f"others (mode {mode:04o}); run chmod 600 on it",
                                  file=str(file), host=host, field=field)])
    try:
        return file.read_text(encoding="utf-8").strip() or None
    except UnicodeDecodeError as exc:   # the bytes are the secret: not shown
        raise InputError([Problem(f"is not UTF-8 text (byte {exc.start + 1} of the file)",
                                  file=str(file), host=host, field=field)]) from None
    except OSError as exc:
        raise InputError([Problem(f"cannot be read: {exc.strerror}", file=str(file), host=host,
                                  field=field)]) from None


def checked(secret: str, *, host: str, field: str) -> str:
    """A secret as found, unless it holds a control character: typed at a device's prompt (the
    enable secret), a newline would end it there and send the rest as a command, unmasked
    (the session log masks the whole secret, not its pieces). The value is never shown."""
    bad = next((c for c in secret if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        raise InputError([Problem(f"contains a control character ({bad!r}; the value is not "
                                  "shown): a newline would send the rest as a device command",
                                  host=host, field=field)])
    return secret


def command_argv(command: str | list[str], *, host: str, field: str) -> list[str]:
    """The argument vector of a `*_command` setting (a string split as a shell would, or a list)."""
    if isinstance(command, list):
        argv = [str(part) for part in command]
    else:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise InputError([Problem(f"cannot be split into arguments: {exc}", host=host,
                                      field=field, value=command)]) from None
    if not argv or not argv[0]:
        raise InputError([Problem("is empty", host=host, field=field)])
    return argv


def from_command(argv: list[str], *, host: str, field: str, cwd: Path,
                 timeout: float = COMMAND_TIMEOUT) -> str:
    """Run `argv` (relative program paths are taken from `cwd`, the inventory folder) and return
    the first line of its stdout."""
    shown = shlex.join(argv)
    program = argv[0]
    if "/" in program and not os.path.isabs(program):
        program = str(cwd / program)
    try:
        result = subprocess.run([program, *argv[1:]], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=timeout, cwd=cwd, shell=False)
    except FileNotFoundError:
        raise InputError([Problem("command not found", host=host, field=field,
                                  value=shown)]) from None
    except PermissionError:
        raise InputError([Problem("command is not executable", host=host, field=field,
                                  value=shown)]) from None
    except subprocess.TimeoutExpired:
        raise InputError([Problem(f"command did not finish within {timeout:g} s (it was "
                                  "stopped; its output is not shown)", host=host, field=field,
                                  value=shown)]) from None
    if result.returncode != 0:
        raise InputError([Problem(f"command failed with exit code {result.returncode} (its "
                                  "output is not shown)", host=host, field=field,
                                  value=shown)])
    first = result.stdout.decode("utf-8", "replace").split("\n", 1)[0].rstrip("\r")
    if not first:
        raise InputError([Problem("command printed no secret (its first line of output is "
                                  "empty)", host=host, field=field, value=shown)])
    return first
