"""Session logs (`--session-log DIR`, `--debug`): every line sent to and received from each
device, one file per host (`DIR/<host>.log`, 0600, appended to by every session of the run:
a push may open a NETCONF session and a CLI one, or reconnect to restore), secrets masked.

Where: for CLI sessions at `SshSession`'s write and read points, which every byte after login
goes through on both drivers (netmiko's own `session_log` would miss our reads: they bypass
netmiko's read_channel for speed); for NETCONF, at the transport, the RPCs as written
(`PromptSSHSession.send`) and every message ncclient receives, raw XML, hello included.

The folder is named by the environment (`OAMKIT_SESSION_LOG`), so that worker processes (Dask)
and every thread of the run log the same way; `enabled(DIR)` sets it for a block of Python.
Every secret a session knows (its password; any other registered with `add_secret`) is
replaced by ******** in every line written, and by the `--debug` log handler.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from oamkit import statedir, textcheck
from oamkit.errors import InputError, Problem
from oamkit.inventory import MASK

ENV = "OAMKIT_SESSION_LOG"

_secrets: set[str] = set()
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def add_secret(secret: str | None) -> None:
    """A secret no session log or debug log line may show."""
    if secret:
        _secrets.add(secret)


def mask(text: str, secrets=()) -> str:
    # longest first: a secret that contains another is masked whole
    forms = {form for secret in {*_secrets, *(s for s in secrets if s)} for form in _written(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


@functools.lru_cache(maxsize=None)   # every session-log line and debug record masks: forms made once
def _written(secret: str) -> frozenset[str]:
    """The secret as text, and as a library's debug line may print it: netmiko logs
    `write_channel: b'...'`, the repr of the bytes, where a backslash is doubled, a quote may be
    escaped and a non-ASCII letter is \\xNN (a line masked on the text alone showed the secret)."""
    forms = {secret}
    for inner in (repr(secret)[1:-1], repr(secret.encode())[2:-1]):
        forms |= {inner, inner.replace("'", "\\'"), inner.replace('"', '\\"'),
                  inner.replace("\\'", "'"), inner.replace('\\"', '"')}
    return frozenset(form for form in forms if form)


def directory() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


_enabled_guard = threading.Lock()
_enabled_by: list = []   # [folder, blocks open, the value found] while enabled() blocks run


@contextmanager
def enabled(folder: Path):
    """Session logs into `folder` for the block (Python callers; the CLI sets the variable).
    The setting is the process's (worker threads and processes read it): blocks in several
    threads at once may share one folder, and the last one out puts back what the first found;
    another folder at the same time is refused (InputError) rather than mixing the logs."""
    folder = Path(folder)
    with _enabled_guard:
        if _enabled_by and _enabled_by[0] != folder:
            raise InputError([Problem(f"session logs already go to {_enabled_by[0]} in this process "
                                      "(an enabled() block of another thread); one folder at a time",
                                      field="session log", value=str(folder))])
        if _enabled_by:
            _enabled_by[1] += 1
        else:
            _enabled_by[:] = [folder, 1, os.environ.get(ENV)]
            os.environ[ENV] = str(folder)
    try:
        yield folder
    finally:
        with _enabled_guard:
            _enabled_by[1] -= 1
            if _enabled_by[1] == 0:
                previous = _enabled_by[2]
                _enabled_by.clear()
                if previous is None:
                    os.environ.pop(ENV, None)
                else:
                    os.environ[ENV] = previous


def path_for(folder: Path, host: str) -> Path:
    """`folder/<host>.log`. Host names are checked when the inventory loads (plain file names);
    checked again here, and the path must resolve inside `folder` (`../x`, `a/b` refused)."""
    unfit = textcheck.file_name_problem(host)
    if not unfit:
        planted = Path(folder) / f"{host}.log"
        if planted.is_symlink():   # someone else's link where our log goes: never written through
            raise InputError([Problem("is a symbolic link; session logs are not written through "
                                      "links", file=str(planted), field="--session-log")])
        try:
            return textcheck.inside(Path(folder), f"{host}.log")
        except ValueError as exc:
            unfit = str(exc)
    raise InputError([Problem(f"host name {unfit}", field="session log", value=str(host))])


def check_path(host: str) -> None:
    """Raise InputError now, before the host is logged in to, if its session log could not be
    written (a link planted in the folder): found after the login, the password had been sent."""
    folder = directory()
    if folder is not None:
        path_for(folder, host)


def open_log(host: str, kind: str, peer: str, secrets=()) -> "SessionLog | None":
    """The host's session log when session logging is on, else None."""
    folder = directory()
    if folder is None:
        return None
    statedir.private_dir(folder)
    log = SessionLog(path_for(folder, host), kind, secrets)
    log.note(f"session opened: {kind} {peer}")
    return log


class SessionLog:
    """One session's lines, appended to its host's file: `> ` sent, `< ` received, `# ` notes.
    Received text is written a whole line at a time (a secret split across two reads is still
    masked); a partial line is written before the next thing sent, and at close."""

    def __init__(self, path: Path, kind: str, secrets=()):
        self.path, self.kind, self.secrets = path, kind, tuple(s for s in secrets if s)
        self._pending = ""
        with _locks_guard:
            self._lock = _locks.setdefault(path.resolve(), threading.Lock())

    def sent(self, text: str) -> None:
        self._flush_received()
        self._write(">", text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n"))

    def received(self, text: str) -> None:
        text = self._pending + text.replace("\r\n", "\n").replace("\r", "")
        *lines, self._pending = text.split("\n")
        self._write("<", lines)

    def note(self, text: str) -> None:
        self._flush_received()
        self._write("#", [text])

    def close(self, why: str = "session closed") -> None:
        self.note(why)

    def _flush_received(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, ""
            self._write("<", [pending])

    def _write(self, direction: str, lines: list[str]) -> None:
        if not lines:
            return
        stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        text = "".join(f"{stamp} {self.kind} {direction} {mask(line, self.secrets)}\n"
                       for line in lines)
        try:
            with self._lock:
                fd = statedir.open_private(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
                try:
                    os.write(fd, text.encode("utf-8", "replace"))
                finally:
                    os.close(fd)
        except OSError:
            pass   # a log that cannot be written (disk full) must not fail a change half-way


class MaskingFormatter(logging.Formatter):
    """`--debug` on stderr: library debug lines (paramiko, ncclient, asyncssh) with every
    registered secret masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))
