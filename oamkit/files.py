"""Files an operator names for output (`check --output`, `render --out`, DR reports): written
whole or not at all, and never through or over a link, a device, a pipe or a socket found
where the file goes."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from oamkit.errors import ExitCode, OamkitError


class OutputNotWritten(OamkitError):
    """An output file could not be written after the work was done (the devices were read,
    the probes sent): exit 3, the result did not reach whoever reads that file (exit 1 would
    read as "findings" to a scheduler that accepts it)."""

    exit_code = ExitCode.NEEDS_ATTENTION


def output_problem(path: str | Path, *, try_folder: bool = True) -> str | None:
    """Why a report cannot be written at `path`, or None. Called before any device is
    contacted, and again when writing.

    A regular file or a missing one is fine. A symbolic link is refused: written through, a
    link planted in a shared folder overwrote the file it pointed to; replaced, `-o /dev/stdout`
    replaced the system's /dev/stdout link with a file. Anything else (a FIFO, a device node)
    would have been replaced by a regular file and its reader got nothing. The folder must take a new file:
    one is made and removed (a read-only or pseudo file system such as /proc, or permissions,
    fail only when writing otherwise, after the devices were read); `try_folder=False` skips
    that (a writer makes its own new file there anyway)."""
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        return f"cannot be looked at: {exc.strerror}"
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            return "is a symbolic link (not written through, not replaced): give the file's own path"
        if stat.S_ISDIR(info.st_mode):
            return "is a folder, not a file"
        if not stat.S_ISREG(info.st_mode):
            return "is a device, pipe or socket, not a file (it would be replaced by one)"
    folder = path.parent
    if not try_folder:
        return None
    if not folder.is_dir():
        return f"its folder {folder} does not exist"
    probe = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        os.unlink(probe)
    except OSError as exc:
        return f"no file can be made in {folder}: {exc.strerror}"
    return None


def write_replacing(path: str | Path, text: str | bytes) -> None:
    """Write `text` into a new file beside `path`, then rename it over `path`: a reader (a CI
    job, node_exporter's textfile collector) never sees half a file. The new file gets the mode
    the umask gives, as a plain write would. OutputNotWritten (naming the path) when
    `output_problem` objects (a link, a device, a pipe) or the write fails."""
    path = Path(path)
    problem = output_problem(path, try_folder=False)
    if problem:
        raise OutputNotWritten(f"{path}: not written: {problem}")
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        raise OutputNotWritten(f"{path}: not written: {exc.strerror}") from None
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else os.fdopen(fd, "w", encoding="utf-8")) as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputNotWritten(f"{path}: not written: {exc.strerror or exc}") from None
        raise
