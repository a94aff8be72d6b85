"""The state folder (`OAMKIT_STATE_DIR`, else ~/.local/state/oamkit): change journals, backups,
results, locks, the history database. It holds device configurations, so it is private:
folders 0700, files 0600, set explicitly (never left to the umask).

A state folder written by an older oamkit may hold 0644 files and 0755 folders; the state
folder itself is tightened to 0700 when found looser, which closes everything under it.

Names that become paths here (change ids, host names) go through `child`: one plain name, and
the resolved path must stay inside its folder.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from urllib.parse import quote

from oamkit.errors import InputError, Problem

FOLDER_MODE, FILE_MODE = 0o700, 0o600
# what `engine.new_change_id` makes: 20240131T235959Z-1a2b3c
CHANGE_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,199}")


def state_dir() -> Path:
    named = os.environ.get("OAMKIT_STATE_DIR")
    path = Path(named) if named else Path.home() / ".local" / "state" / "oamkit"
    private_dir(path)
    if path in _tightened:   # a fleet run asks a few times per host
        return path
    try:
        info = path.stat()
        # A shared sticky folder (/tmp) is nobody's state folder: leave its mode alone.
        # Not a folder (OAMKIT_STATE_DIR naming a file): left as found, its user is told by
        # what reads it; a 0700 mode would make their file executable.
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and info.st_mode & 0o077 \
                and not info.st_mode & stat.S_ISVTX:
            os.chmod(path, FOLDER_MODE)
        _tightened.add(path)
    except OSError:
        pass
    return path


# State folders `state_dir` found (or made) private in this process: an older oamkit's loose
# modes are fixed on first use; the folder stays ours (0700) afterwards.
_tightened: set[Path] = set()


def private_dir(path: Path) -> Path:
    """Make `path` and any missing parents as 0700 folders (existing ones are left as found)."""
    missing = []
    probe = Path(path)
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, FOLDER_MODE)
        except FileExistsError:
            continue   # another thread or process made it (with this same code)
        os.chmod(folder, FOLDER_MODE)   # the umask may have taken bits away
    return path


def open_private(path: Path, flags: int) -> int:
    """os.open with O_CREAT and mode 0600; a file an older oamkit left looser is tightened."""
    fd = os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, text: str) -> None:
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def child(folder: Path, name: str, what: str = "name", field: str | None = None) -> Path:
    """`folder / name` for a name that is one plain path component and resolves inside
    `folder` (no "..", no "/", no symlink out)."""
    if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name):
        raise InputError([Problem(f"not a valid {what}: letters, digits, '.', '_' and '-' only, "
                                  "not starting with '.' or '-'", field=field, value=str(name))])
    path = folder / name
    if path in _inside:
        return path
    base, resolved = folder.resolve(), path.resolve()
    if not resolved.is_relative_to(base) or resolved == base:
        raise InputError([Problem(f"{what} leads outside {folder}", field=field, value=name)])
    if len(_inside) < 10_000:
        _inside.add(path)
    return path


# Paths `child` found inside their folder, in this process. resolve() walks every component
# with lstat; a push asks for its change folder a few times per host. What is checked once
# stays checked: the state folder is private (0700), so only its owner can swap a component
# for a symlink afterwards.
_inside: set[Path] = set()


def file_name_for(name: str) -> str:
    """A host name as one safe file name: plain names as they are, anything else %-quoted
    (injective, so two hosts never share a file)."""
    if _PLAIN_NAME.fullmatch(name):
        return name
    quoted = quote(name, safe="")
    return "%2E" + quoted[1:] if quoted.startswith(".") else quoted


def change_folder(change_id: str, field: str | None = None) -> Path:
    return child(private_dir(state_dir() / "changes"), change_id, "change id", field)
