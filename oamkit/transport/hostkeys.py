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

import base64
import binascii
import fcntl
import fnmatch
import hashlib
import hmac
import os
import re
import shlex
import struct
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from oamkit import statedir


class HostKeyRefused(Exception):
    """The device's host key is not trusted; the text says why and what to do (no secrets).
    Where paramiko asks (netmiko, ncclient, the paramiko jump host), the refusal it sees is
    `paramiko_keys.ParamikoHostKeyRefused`: also a paramiko SSHException, so that paramiko and
    netmiko pass it on like their own refusals. This module does not import paramiko (~100 ms
    of every start-up on the asyncssh driver)."""


@dataclass(frozen=True, eq=False)
class PublicKey:
    """A public host key as SSH sends it: its type name and wire blob. Offers the methods the
    policy and its messages use on paramiko's PKey (the netmiko and ncclient paths hand those),
    with the same results: a PublicKey and a PKey of the same key are `same_key`."""

    name: str
    blob: bytes

    def get_name(self) -> str:
        return self.name

    def asbytes(self) -> bytes:
        return self.blob

    def get_base64(self) -> str:
        return base64.b64encode(self.blob).decode()

    @property
    def fingerprint(self) -> str:
        """As paramiko's `PKey.fingerprint` and OpenSSH: SHA256 of the blob, unpadded base64."""
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")

    def __eq__(self, other) -> bool:
        return hasattr(other, "asbytes") and same_key(self, other)

    def __hash__(self) -> int:
        return hash((self.name, self.blob))

    @classmethod
    def of(cls, key) -> "PublicKey":
        """`key` (a PublicKey or paramiko PKey) as a PublicKey."""
        return key if isinstance(key, PublicKey) else cls(key.get_name(), key.asbytes())

    @classmethod
    def from_wire(cls, key_type: str, blob: bytes) -> "PublicKey":
        """The key of type `key_type` (a name paramiko reads: ssh-rsa or an rsa-sha2-* alias,
        ecdsa-sha2-nistp256/384/521, ssh-ed25519) whose wire form is `blob`; ValueError when
        the type is not one of those or the blob is not a key of that type."""
        name = _KEY_TYPES.get(key_type)
        if name is None:
            raise ValueError(f"unsupported host key type {key_type!r}")
        fields = _wire_fields(blob, _KEY_FIELDS[name])
        if fields[0] != name.encode():
            raise ValueError(f"the {key_type} key holds a key of type {fields[0]!r}")
        if name.startswith("ecdsa-"):
            curve, point = fields[1], fields[2]
            if curve != name.rsplit("-", 1)[1].encode() or \
                    len(point) != 1 + 2 * _EC_COORD[name] or point[0] != 4:
                raise ValueError(f"invalid {name} key")
        elif name == "ssh-ed25519" and len(fields[1]) != 32:
            raise ValueError("invalid ssh-ed25519 key")
        return cls(name, blob)


def same_key(a, b) -> bool:
    """Whether two keys (PublicKey or paramiko PKey) are the same: type and wire blob."""
    return a.get_name() == b.get_name() and a.asbytes() == b.asbytes()


# The key types paramiko (5.x) reads in known_hosts, each with the name its keys go by; the
# RSA signature algorithms name RSA keys too. Certificates are skipped (OpenSSH trusts them
# only through @cert-authority lines, which are skipped as well).
_KEY_TYPES = {"ssh-rsa": "ssh-rsa", "rsa-sha2-256": "ssh-rsa", "rsa-sha2-512": "ssh-rsa",
              "ssh-ed25519": "ssh-ed25519", "ecdsa-sha2-nistp256": "ecdsa-sha2-nistp256",
              "ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384",
              "ecdsa-sha2-nistp521": "ecdsa-sha2-nistp521"}
_KEY_FIELDS = {"ssh-rsa": 3, "ssh-ed25519": 2, "ecdsa-sha2-nistp256": 3,
               "ecdsa-sha2-nistp384": 3, "ecdsa-sha2-nistp521": 3}   # strings and mpints
_EC_COORD = {"ecdsa-sha2-nistp256": 32, "ecdsa-sha2-nistp384": 48, "ecdsa-sha2-nistp521": 66}


def _wire_fields(blob: bytes, count: int) -> list[bytes]:
    """The first `count` length-prefixed fields (SSH strings or mpints) of `blob`."""
    fields, at = [], 0
    for _ in range(count):
        if at + 4 > len(blob):
            raise ValueError("truncated key")
        (size,) = struct.unpack_from(">I", blob, at)
        if at + 4 + size > len(blob):
            raise ValueError("truncated key")
        fields.append(blob[at + 4:at + 4 + size])
        at += 4 + size
    return fields


@dataclass(frozen=True)
class Entry:
    """One known_hosts line: its host names (or patterns, or |1|salt|hash) and key."""
    hostnames: list[str]
    key: PublicKey


def parse_line(line: str) -> Entry | None:
    """A known_hosts line (stripped) as paramiko's `HostKeyEntry.from_line` reads it: fields
    split at each single space or tab; comma-separated names, key type, base64 key, anything
    after is a comment. None for a line OpenSSH skips: blank, a comment, a marker (@revoked,
    @cert-authority), too few fields, bad base64, a key type paramiko does not read, or a key
    that is not of its stated type."""
    if not line or line.startswith(("#", "@")):
        return None
    fields = re.split(" |\t", line)
    if len(fields) < 3:
        return None
    names, key_type, data = fields[:3]
    try:
        blob = base64.decodebytes(data.encode())
        return Entry(names.split(","), PublicKey.from_wire(key_type, blob))
    except (binascii.Error, ValueError):
        return None


def hash_host(hostname: str, salt: bytes | None = None) -> str:
    """OpenSSH's hashed form of a host name, `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`,
    as paramiko's `HostKeys.hash_host` writes it."""
    salt = os.urandom(20) if salt is None else salt
    digest = _host_digest(salt, hostname)
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _host_digest(salt: bytes, hostname: str) -> bytes:
    return hmac.new(salt, hostname.encode(), hashlib.sha1).digest()


def _hashed(pattern: str) -> tuple[bytes, bytes] | None:
    """(salt, hash) of a `|1|salt|hash` name; None when it is not a valid one (never matches)."""
    parts = pattern.split("|")
    if len(parts) != 4 or parts[0] or parts[1] != "1":
        return None
    try:
        salt, digest = base64.decodebytes(parts[2].encode()), base64.decodebytes(parts[3].encode())
    except binascii.Error:
        return None
    return (salt, digest) if len(salt) == 20 else None


class KnownHosts:
    """A known_hosts file indexed by host name. paramiko's HostKeys compares every line with
    every other while loading and scans every line per lookup: quadratic in the fleet (3,000
    hosts: ~3 s; 10,000: ~35 s). Plain names are a dict lookup here; hashed names (|1|salt|hash)
    and patterns (wildcards, !negations) are checked per lookup, as OpenSSH does. The first key
    of each type wins, as in paramiko."""

    def __init__(self, path: Path | None):
        self.plain: dict[str, dict[str, PublicKey]] = {}
        self.others: list[tuple[list[str], PublicKey]] = []   # hashed or pattern entries
        for line in path.read_text().splitlines() if path else []:
            entry = parse_line(line.strip())
            if entry is None:
                continue   # like OpenSSH, a bad line is skipped
            if any(h.startswith("|1|") or any(c in h for c in "*?!") for h in entry.hostnames):
                self.others.append((entry.hostnames, entry.key))
                continue
            for name in entry.hostnames:
                self.add(name, entry.key)

    def add(self, name: str, key) -> None:
        key = PublicKey.of(key)
        self.plain.setdefault(name, {}).setdefault(key.get_name(), key)

    def lookup(self, name: str) -> dict[str, PublicKey]:
        keys = dict(self.plain.get(name, {}))
        for patterns, key in self.others:
            if _matches(name, patterns):
                keys.setdefault(key.get_name(), key)
        return keys


def _matches(name: str, patterns: list[str]) -> bool:
    matched = False
    for pattern in patterns:
        if pattern.startswith("|1|"):
            hashed = _hashed(pattern)
            if hashed is not None and not matched:
                salt, digest = hashed
                matched = hmac.compare_digest(_host_digest(salt, name), digest)
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
    key: PublicKey
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

    def record(self, name: str, key) -> None:
        """Append `name key` unless the file (re-read under the lock) has a key for `name` by
        now; raise HostKeyRefused if that key differs, or when the file cannot be written."""
        mine = _Pending(name, PublicKey.of(key))
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
        new: dict[str, PublicKey] = {}
        for pending in batch:
            recorded = index.lookup(pending.name)
            if not recorded and pending.name in new:   # twice in one batch: the first wins
                recorded = {new[pending.name].get_name(): new[pending.name]}
            if not recorded:
                new[pending.name] = pending.key
                continue
            expected = recorded.get(pending.key.get_name())
            if expected is None or not same_key(expected, pending.key):
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


class HostKeyPolicy:
    """Trust decisions for one host's connections, on every transport: netmiko and the
    paramiko jump host hand it to paramiko through `paramiko_keys.ParamikoPolicy` (paramiko's
    own stores stay empty, so paramiko asks it about every server), the asyncssh driver calls
    it from `validate_host_public_key`, and the NETCONF session from ncclient's unknown-host
    callback; all before any credential is sent. Keys are PublicKeys or paramiko PKeys."""

    def __init__(self, known: KnownHostsFile, accept_new: bool):
        self.known, self.accept_new = known, accept_new

    @property
    def path(self) -> Path:
        return self.known.path

    def recorded(self, names: Sequence[str]) -> tuple[str, dict[str, PublicKey]]:
        """The keys recorded for the first of `names` that has any (and that name); the first
        name (and no keys) when none has."""
        index = self.known.index()
        for name in names:
            keys = index.lookup(name)
            if keys:
                return name, keys
        return names[0], {}

    def check(self, names: Sequence[str], key) -> None:
        """Accept `key` for the host known as `names` (the first is where a new key is
        recorded; the others are older spellings still honoured), or raise HostKeyRefused."""
        key = PublicKey.of(key)
        name, keys = self.recorded(names)
        expected = keys.get(key.get_name())
        if expected is not None and same_key(expected, key):
            return
        if keys:   # a different key, or one of another type: not a new host either way
            raise _mismatch(self.path, name, key, keys)
        if not self.accept_new:
            raise HostKeyRefused(
                # `name` says whose key it is: the device's, or its jump host's (one policy serves both)
                f"host key not trusted: {name} not found in known_hosts {self.path} ({name} "
                f"offered {key.get_name()} {key.fingerprint}). Add its key after checking that "
                f"fingerprint ({_keyscan(name)} >> {shlex.quote(str(self.path))}), or set "
                "ssh.accept_new_host_keys to record it on the first connection")
        self.known.record(name, key)


def _mismatch(path: Path, name: str, offered: PublicKey,
              recorded: dict[str, PublicKey]) -> HostKeyRefused:
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
