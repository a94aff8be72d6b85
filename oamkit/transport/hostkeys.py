"""Host keys for every transport (netmiko, asyncssh, NETCONF over ncclient): the one place
that decides whether a device's key is trusted, and records new ones.

The known_hosts file is `data.ssh.known_hosts`, or oamkit's own `<state dir>/known_hosts`
(`OAMKIT_STATE_DIR`, default ~/.local/state/oamkit) when the inventory names none.

- A key recorded for the host: it must be the same key, else the connection is refused
  (whatever `accept_new_host_keys` says), naming both fingerprints.
- No key recorded: refused, unless `accept_new_host_keys` is set. Then the key is trusted on
  first use: appended to the file as OpenSSH writes it (`[host]:port type base64`, the bare host
  on port 22), and every later connection is checked against it.

Recording is atomic (a temp file in the same folder, fsync, rename) so OpenSSH and other
processes never see half a file, and serialised (a lock per file in this process, flock on its
folder between processes) with the file re-read under the lock, so concurrent first
connections from threads, the asyncssh loop or other oamkit processes lose no entry. Writers
waiting for the lock leave their entries in a queue that whoever holds it writes in one go:
a fleet's first run costs a few rewrites, not one fsync per host.
"""
from __future__ import annotations

import fcntl
import fnmatch
import os
import shlex
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import paramiko
from oamkit import statedir


class HostKeyRefused(paramiko.SSHException):
    """The device's host key is not trusted; the text says why and what to do (no secrets).
    A paramiko SSHException so that paramiko and netmiko pass it on like their own refusals."""


class KnownHosts:
    """A known_hosts file indexed by host name. paramiko's HostKeys compares every line with
    every other while loading and scans every line per lookup: quadratic in the fleet (3,000
    hosts: ~3 s; 10,000: ~35 s). Plain names are a dict lookup here; hashed names (|1|salt|hash)
    and patterns (wildcards, !negations) are checked per lookup, as OpenSSH does. The first key
    of each type wins, as in paramiko."""

    def __init__(self, path: Path | None):
        self.plain: dict[str, dict[str, paramiko.PKey]] = {}
        self.others: list[tuple[list[str], paramiko.PKey]] = []   # hashed or pattern entries
        for number, line in enumerate(path.read_text().splitlines() if path else [], 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
            except (paramiko.SSHException, paramiko.hostkeys.InvalidHostKey):
                continue   # like OpenSSH, a bad line is skipped (paramiko would raise)
            if entry is None or entry.key is None:
                continue
            if any(h.startswith("|1|") or any(c in h for c in "*?!") for h in entry.hostnames):
                self.others.append((entry.hostnames, entry.key))
                continue
            for name in entry.hostnames:
                self.add(name, entry.key)

    def add(self, name: str, key: paramiko.PKey) -> None:
        self.plain.setdefault(name, {}).setdefault(key.get_name(), key)

    def lookup(self, name: str) -> dict[str, paramiko.PKey]:
        keys = dict(self.plain.get(name, {}))
        for patterns, key in self.others:
            if _matches(name, patterns):
                keys.setdefault(key.get_name(), key)
        return keys


def _matches(name: str, patterns: list[str]) -> bool:
    matched = False
    for pattern in patterns:
        if pattern.startswith("|1|"):
            matched = matched or paramiko.HostKeys.hash_host(name, pattern) == pattern
        elif pattern.startswith("!"):
            if fnmatch.fnmatch(name, pattern[1:]):
                return False
        elif fnmatch.fnmatch(name, pattern):
            matched = True
    return matched


def known_name(hostname: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts: the bare host on port 22, else [host]:port."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def default_known_hosts() -> Path:
    return statedir.state_dir() / "known_hosts"


@dataclass
class _Pending:
    name: str
    key: paramiko.PKey
    done: bool = False
    error: HostKeyRefused | None = None


class KnownHostsFile:
    """One known_hosts file as this process sees it: the parsed index, re-parsed only when the
    file changed under us (not after our own appends, which update the index in place), and
    the queue of keys waiting to be recorded. One instance per file per process."""

    def __init__(self, path: Path):
        self.path = path
        self._index = KnownHosts(None)
        self._seen: tuple | None = None   # (inode, mtime_ns, size) the index was built from
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []

    def _signature(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def index(self) -> KnownHosts:
        """The entries as the file holds them now."""
        signature = self._signature()
        with self._read_lock:
            if signature != self._seen:
                self._index = KnownHosts(self.path if signature else None)
                self._seen = signature
            return self._index

    def record(self, name: str, key: paramiko.PKey) -> None:
        """Append `name key` unless the file (re-read under the lock) has a key for `name` by
        now; raise HostKeyRefused if that key differs, or when the file cannot be written."""
        mine = _Pending(name, key)
        with self._queue_lock:
            self._queue.append(mine)
        with self._write_lock:
            if not mine.done:   # nobody wrote it while we waited: write everything queued
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    with _folder_lock(Path(os.path.realpath(self.path)).parent):
                        self._write(batch)
                except OSError as exc:
                    failed = HostKeyRefused(f"host key not trusted: cannot record it in "
                                            f"{self.path}: {exc.strerror or exc}")
                    for pending in batch:
                        pending.error = pending.error or failed
                finally:
                    for pending in batch:
                        pending.done = True
        if mine.error is not None:
            raise mine.error

    def _write(self, batch: list[_Pending]) -> None:
        index = self.index()   # another process may have written since we last looked
        new: dict[str, paramiko.PKey] = {}
        for pending in batch:
            recorded = index.lookup(pending.name)
            if not recorded and pending.name in new:   # twice in one batch: the first wins
                recorded = {new[pending.name].get_name(): new[pending.name]}
            if not recorded:
                new[pending.name] = pending.key
                continue
            expected = recorded.get(pending.key.get_name())
            if expected is None or expected.asbytes() != pending.key.asbytes():
                pending.error = _mismatch(self.path, pending.name, pending.key, recorded)
        if not new:
            return
        signature = self._replace_with_appended("".join(
            f"{name} {key.get_name()} {key.get_base64()}\n" for name, key in new.items()))
        with self._read_lock:   # our own lines: no need to parse the file again
            for name, key in new.items():
                index.add(name, key)
            if index is self._index:
                self._seen = signature

    def _replace_with_appended(self, text: str) -> tuple:
        target = Path(os.path.realpath(self.path))   # a symlinked file stays a symlink
        try:
            old = target.read_bytes()
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            old, mode = b"", 0o600
        if old and not old.endswith(b"\n"):
            old += b"\n"
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(old + text.encode())
                out.flush()
                os.fchmod(out.fileno(), mode)
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise
        _fsync_folder(target.parent)   # the rename itself survives a crash
        return self._signature()


class _folder_lock:
    """flock on the file's folder: serialises writers in other processes without leaving a
    lock file next to the user's known_hosts (the file itself is replaced, so it cannot be the
    lock)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        os.close(self.fd)   # releases the lock


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_FILES: dict[str, KnownHostsFile] = {}
_FILES_LOCK = threading.Lock()


def _forget_files_in_child() -> None:
    # a forked child (a process pool) gets copies of locks another thread may have held at the
    # fork: it starts with fresh ones; the folder's flock still serialises it with the parent
    global _FILES, _FILES_LOCK
    _FILES, _FILES_LOCK = {}, threading.Lock()


os.register_at_fork(after_in_child=_forget_files_in_child)


def known_hosts_file(path: Path) -> KnownHostsFile:
    """The process's one KnownHostsFile for `path` (one index, one queue, one lock)."""
    key = os.path.abspath(path)
    with _FILES_LOCK:
        known = _FILES.get(key)
        if known is None:
            known = _FILES[key] = KnownHostsFile(Path(key))
        return known


class HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Trust decisions for one host's connections, on every transport: netmiko hands it to
    paramiko (whose own stores stay empty, so paramiko asks it about every server), the
    asyncssh driver calls it from `validate_host_public_key`, and the NETCONF session from
    ncclient's unknown-host callback; all before any credential is sent."""

    def __init__(self, known: KnownHostsFile, accept_new: bool):
        self.known, self.accept_new = known, accept_new

    @property
    def path(self) -> Path:
        return self.known.path

    def recorded(self, names: Sequence[str]) -> tuple[str, dict[str, paramiko.PKey]]:
        """The keys recorded for the first of `names` that has any (and that name); the first
        name (and no keys) when none has."""
        index = self.known.index()
        for name in names:
            keys = index.lookup(name)
            if keys:
                return name, keys
        return names[0], {}

    def check(self, names: Sequence[str], key: paramiko.PKey) -> None:
        """Accept `key` for the host known as `names` (the first is where a new key is
        recorded; the others are older spellings still honoured), or raise HostKeyRefused."""
        name, keys = self.recorded(names)
        expected = keys.get(key.get_name())
        if expected is not None and expected.asbytes() == key.asbytes():
            return
        if keys:   # a different key, or one of another type: not a new host either way
            raise _mismatch(self.path, name, key, keys)
        if not self.accept_new:
            raise HostKeyRefused(
                f"host key not trusted: {name} not found in known_hosts {self.path} (the device "
                f"offered {key.get_name()} {key.fingerprint}). Add its key after checking that "
                f"fingerprint ({_keyscan(name)} >> {shlex.quote(str(self.path))}), or set "
                "ssh.accept_new_host_keys to record it on the first connection")
        self.known.record(name, key)

    def missing_host_key(self, client, hostname: str, key: paramiko.PKey) -> None:
        # paramiko names the host as OpenSSH does ([host]:port off port 22)
        self.check([hostname], key)


def _mismatch(path: Path, name: str, offered: paramiko.PKey,
              recorded: dict[str, paramiko.PKey]) -> HostKeyRefused:
    expected = recorded.get(offered.get_name()) or next(iter(recorded.values()))
    return HostKeyRefused(
        f"host key not trusted: the {offered.get_name()} key offered by {name} "
        f"({offered.fingerprint}) does not match the {expected.get_name()} key recorded in "
        f"{path} ({expected.fingerprint}). The device may have been replaced or re-keyed, or "
        "someone may be intercepting the connection. If the change is expected, remove the "
        f"stale entry with `ssh-keygen -R {shlex.quote(name)} -f {shlex.quote(str(path))}` and "
        "add the new key after checking its fingerprint")


def _keyscan(name: str) -> str:
    if name.startswith("["):
        host, port = name[1:].rsplit("]:", 1)
        return f"ssh-keyscan -p {port} {shlex.quote(host)}"
    return f"ssh-keyscan {shlex.quote(name)}"


def host_key_policy(known_hosts: Path | None, accept_new: bool) -> HostKeyPolicy:
    """The policy for a host whose inventory names `known_hosts` (resolved; None: oamkit's
    own file) and `accept_new_host_keys`."""
    return HostKeyPolicy(known_hosts_file(known_hosts or default_known_hosts()), accept_new)
