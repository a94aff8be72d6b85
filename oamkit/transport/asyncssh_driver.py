"""The asyncssh CLI driver (`ssh.driver: asyncssh`): the same sessions as the netmiko driver
(SshSession does every read and write the same way), on one asyncio event loop for every
session of the process instead of paramiko's thread per session.

Why: a fleet run against nearby devices is bound by the client's CPU, and with paramiko most
of it goes to its reader threads (each SSH packet is read, decrypted and handed over by one
thread and picked up by another, under the GIL: ~280 context switches per pushed device).
Here the key exchange, login and every packet are handled on the loop; a worker thread only
hands over what it writes and wakes once per reply.

Host keys go through the same `hostkeys.HostKeyPolicy` as netmiko's sessions (known_hosts,
trust on first use only where the inventory accepts new keys), with the same error texts.
"""
from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import functools
import getpass
import os
import queue
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import asyncssh

from oamkit.inventory import HostSettings
from oamkit.transport import algorithms, greenloop
from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused, PublicKey, known_name
from oamkit.transport.base import TERMINAL_UNOPENED, TransportError, connect_socket, scrub
from oamkit.transport.jump import KEYS_TRIED, jump_name, waited_too_long

_CLOSED = b""
_LAST_WORD = 0.25   # s the deadline waits past the steps' own timeouts, so that those say why

# asyncssh prefers chacha20-poly1305, which it drives from Python with new cipher objects for
# every packet; AES-GCM is one call into OpenSSL per packet (AES-NI). The rest of asyncssh's
# list follows, for devices that have no GCM.
CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
           "aes256-ctr", "aes192-ctr", "aes128-ctr")

# Password before keyboard-interactive, as paramiko (the netmiko driver) tries them: the same
# secret, one round trip less than asyncssh's default order (a server that offers both would
# otherwise get kbdint's request, challenge and answer). A key file goes first when given.
AUTH_WITH_PASSWORD = ("password", "keyboard-interactive")
AUTH_WITH_KEY = ("publickey", *AUTH_WITH_PASSWORD)

# No X.509 trust anchors: a host key is trusted by oamkit's policy (known_hosts) alone. Left at
# their defaults, asyncssh looks for ~/.ssh/ca-bundle.crt and ~/.ssh/crt on every connection
# (in a worker thread, a GIL hand-off each).
NO_X509_TRUST = {"x509_trusted_certs": None, "x509_trusted_cert_paths": []}


class _Loop:
    """The process's event loop for asyncssh sessions, on a daemon thread, started on first
    use (and anew in a forked child, which does not inherit the thread)."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid = 0

    @classmethod
    def get(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid():
                _name_local_user()
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="oamkit-asyncssh", daemon=True).start()
                cls._loop, cls._pid = loop, os.getpid()
            return cls._loop


def _name_local_user() -> None:
    """asyncssh asks `getpass.getuser()` for every connection (to match ~/.ssh/config). With
    none of LOGNAME, USER, LNAME, USERNAME set (cron, systemd units, CI) each ask reads the
    password database: half of asyncssh's per-connection set-up on a fleet run. Set LOGNAME
    once to the name getuser() finds there, so every later ask finds it in the environment."""
    if not any(os.environ.get(name) for name in ("LOGNAME", "USER", "LNAME", "USERNAME")):
        try:
            os.environ["LOGNAME"] = getpass.getuser()
        except (KeyError, OSError):
            pass   # no name at all: asyncssh says so itself, per connection


class _Client(asyncssh.SSHClient):
    """Checks the server's host key with oamkit's policy (on the loop, before the password
    is sent); keeps the reason of a refusal."""

    def __init__(self, policy: HostKeyPolicy, known_name: str):
        self.policy, self.known_name = policy, known_name
        self.refused: BaseException | None = None

    def validate_host_public_key(self, host, addr, port, key: asyncssh.SSHKey) -> bool:
        try:
            offered = PublicKey.from_wire(key.get_algorithm(), key.public_data)
            self.policy.check([self.known_name], offered)
        except (HostKeyRefused, ValueError) as exc:
            self.refused = exc
            return False
        return True

    def algorithm_options(self, legacy: bool) -> dict:
        """The driver's algorithms for this host: host-key algorithms that verify a key on
        record first (`algorithms.recorded_types_first`)."""
        options = _algorithm_options(legacy)
        recorded = self.policy.recorded([self.known_name])[1]
        if not recorded:
            return options
        return {**options, "server_host_key_algs": algorithms.recorded_types_first(
            options["server_host_key_algs"], recorded)}


def _unmatched(host: HostSettings, port: int, deadline: float) -> str | None:
    """Why the key exchange failed, when the device offers nothing this driver has of some
    kind (read from its KEXINIT anew: `algorithms.read_offer`); None otherwise. Not through a
    jump host: the device is not reachable directly."""
    if host.ssh.jump is not None:
        return None
    probe = algorithms.read_offer(host.hostname, port, min(5.0, max(0.1, deadline - time.monotonic())))
    if greenloop.on_loop():
        offer = greenloop.wait(probe)
    else:
        offer = asyncio.run_coroutine_threadsafe(probe, _Loop.get()).result()
    mismatch = algorithms.first_mismatch(offer, _ours(host.ssh.legacy_algorithms)) if offer else None
    return algorithms.no_common(*mismatch, "asyncssh", host.ssh.legacy_algorithms) if mismatch else None


@functools.lru_cache(maxsize=2)
def _algorithm_options(legacy: bool) -> dict:
    """`algorithms.asyncssh_options` as plain lists, expanded once: asyncssh reads pattern
    strings anew on every connection (~0.15 ms of CPU each)."""
    spec = algorithms.asyncssh_options(legacy, CIPHERS)
    options = asyncssh.SSHClientConnectionOptions(known_hosts=None, config=None, **spec)
    return dict(kex_algs=[a.decode() for a in options.kex_algs],
                encryption_algs=[a.decode() for a in options.encryption_algs],
                mac_algs=[a.decode() for a in options.mac_algs],
                server_host_key_algs=spec["server_host_key_algs"])


def _ours(legacy: bool) -> dict[str, list[str]]:
    """The algorithms this driver offers a device, by kind."""
    options = _algorithm_options(legacy)
    return {"kex": options["kex_algs"], "host_key": options["server_host_key_algs"],
            "cipher": options["encryption_algs"], "mac": options["mac_algs"]}


class _Output(asyncssh.SSHClientSession):
    """What the device sends, queued for whoever reads it (b"" once closed): a worker thread
    blocks on the queue; host code in a greenlet on the loop parks a future in `waiter`."""

    def __init__(self) -> None:
        self.received: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self.waiter: asyncio.Future | None = None

    def data_received(self, data: bytes, datatype) -> None:
        self.received.put(data)
        self._wake()

    def connection_lost(self, exc) -> None:
        self.received.put(_CLOSED)
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class AsyncsshChannel:
    """The CLI channel contract of `ssh.NetmikoChannel`, on asyncssh."""

    RETURN = "\n"   # what netmiko sends as Enter on every device type we drive over SSH

    def __init__(self, loop, conn, channel, output: _Output, tunnel=None):
        self._loop, self._conn, self._channel, self._output = loop, conn, channel, output
        self._tunnel = tunnel   # the shared jump host connection, released after the device's
        self._closed = False

    @classmethod
    def open(cls, sock, host: HostSettings, port: int, secret: str | None, step_timeout: float,
             deadline: float, policy: HostKeyPolicy, key_file: Path | None,
             jump_key_file: Path | None = None) -> "AsyncsshChannel":
        client = _Client(policy, known_name(host.hostname, port))   # as paramiko names it
        loop = _Loop.get()
        logged_in = False   # for the message when the deadline passes
        # The steps inside have timeouts of their own (name lookup, connect, the jump host),
        # which say what was pending when one ends; the host's deadline bounds the whole, a
        # moment later so that they speak first. asyncssh's own login timer only backs it up.
        whole = max(0.1, deadline - time.monotonic()) + _LAST_WORD

        async def connect():
            nonlocal sock
            tunnel = None
            try:
                if host.ssh.jump is not None:
                    # asyncssh opens a direct-tcpip channel to the device on the jump host
                    tunnel = await _SharedJump.acquire(host, policy, jump_key_file, step_timeout,
                                                       deadline)
                elif sock is None:   # host code on the loop: connected without blocking it
                    sock = await connect_socket(host.name, host.hostname, port, step_timeout)
                conn, _ = await asyncssh.create_connection(
                    lambda: client, host=host.hostname, port=port, sock=sock, tunnel=tunnel,
                    connect_timeout=None if sock else step_timeout,   # (a tunnel's channel)
                    username=host.username, password=secret,
                    client_keys=[str(key_file)] if key_file else None, agent_path=None,
                    known_hosts=([], [], []),   # nothing pre-trusted: every key goes to the policy
                    **NO_X509_TRUST, **client.algorithm_options(host.ssh.legacy_algorithms),
                    config=None, login_timeout=whole + _LAST_WORD,
                    preferred_auth=AUTH_WITH_KEY if key_file else AUTH_WITH_PASSWORD)
            except BaseException as exc:   # refused, failed or cancelled at the deadline
                # Closed here, on the loop that owns it: closed from the worker while the loop
                # still watches it, its descriptor could be reused by another connection.
                if sock is not None:
                    sock.close()
                if tunnel is not None:
                    tunnel.release()
                    if isinstance(exc, asyncssh.ChannelOpenError):
                        raise TransportError(f"{jump_name(host, host.ssh.jump)}: the jump host "
                                             f"refused to forward to {host.hostname}:{port}: "
                                             f"{exc.reason}") from None
                raise
            nonlocal logged_in
            logged_in = True
            try:
                channel, output = await conn.create_session(
                    _Output, term_type="vt100", term_size=(511, 1000), encoding=None)
            except BaseException:
                conn.abort()
                if tunnel is not None:
                    tunnel.release()
                raise
            return cls(loop, conn, channel, output, tunnel)

        try:
            if greenloop.on_loop():
                return greenloop.wait(asyncio.wait_for(connect(), whole))
            future = asyncio.run_coroutine_threadsafe(connect(), loop)
            try:
                return future.result(timeout=whole)
            except FutureTimeout:
                future.cancel()   # connect() closes the socket on the loop
                raise asyncio.TimeoutError from None
        except TransportError:
            raise
        except asyncio.TimeoutError:
            if logged_in:
                raise TransportError(f"{host.name}: SSH to {host.hostname}:{port} failed: "
                                     f"{TERMINAL_UNOPENED}") from None
            through = f" through jump host {host.ssh.jump}" if host.ssh.jump else ""
            raise TransportError(f"{host.name}: SSH to {host.hostname}:{port}{through} failed: "
                                 "no SSH login before the deadline") from None   # as on netmiko
        except OSError as exc:
            if sock is None and not isinstance(exc, ConnectionResetError):
                # no socket of ours (through a jump host): said as `base.open_socket` says it
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                raise TransportError(f"{host.name}: cannot connect to {host.hostname}:{port}: "
                                     f"{reason}") from None
            reason = _unmatched(host, port, deadline) or f"{type(exc).__name__}: {scrub(str(exc), secret)}"
            raise TransportError(f"{host.name}: SSH to {host.hostname}:{port} failed: {reason}") from None
        except asyncssh.PermissionDenied:
            raise TransportError(f"{host.name}: authentication failed for user {host.username!r}") from None
        except asyncssh.KeyExchangeFailed as exc:
            mismatch = algorithms.asyncssh_mismatch(str(exc))
            reason = algorithms.no_common(*mismatch, "asyncssh", host.ssh.legacy_algorithms) \
                if mismatch else _unmatched(host, port, deadline) or f"KeyExchangeFailed: {exc}"
            raise TransportError(f"{host.name}: SSH to {host.hostname}:{port} failed: "
                                 f"{scrub(reason, secret)}") from None
        except asyncssh.HostKeyNotVerifiable:
            reason = client.refused if isinstance(client.refused, HostKeyRefused) else \
                f"host key not trusted: {client.refused or 'refused'}; known_hosts: {policy.path}"
            raise TransportError(f"{host.name}: cannot connect to {host.hostname}:{port}: "
                                 f"{scrub(str(reason), secret)}") from None
        except Exception as exc:
            # a device that closes or resets the connection when no algorithm matches says
            # nothing; what it offers is asked again, and said when nothing is in common
            dropped = isinstance(exc, (asyncssh.ConnectionLost, asyncssh.DisconnectError))
            reason = (dropped and _unmatched(host, port, deadline)) or \
                f"{type(exc).__name__}: {scrub(str(exc), secret)}"
            raise TransportError(f"{host.name}: SSH to {host.hostname}:{port} failed: {reason}") from None

    def write(self, text: str, timeout: float) -> None:
        # never blocks: asyncssh buffers what the device's window does not take yet, and the
        # read that follows waits for the answer under the host's deadline (`timeout` unused)
        if self._closed:
            raise TransportError("the session is closed")
        if greenloop.on_loop():
            self._send(text.encode())
        else:
            self._loop.call_soon_threadsafe(self._send, text.encode())

    def _send(self, data: bytes) -> None:
        try:
            self._channel.write(data)
        except (OSError, asyncssh.Error, BrokenPipeError):
            pass   # the device went away: the next read says so

    def recv(self, timeout: float) -> bytes | None:
        if self._closed:
            return _CLOSED
        if greenloop.on_loop():   # never block the loop: wait parked, then take what came
            if self._output.received.empty():
                self._park(timeout)
            timeout = 0
        try:
            data = self._output.received.get(timeout=timeout)
        except queue.Empty:
            return None
        while data:
            try:
                more = self._output.received.get_nowait()
            except queue.Empty:
                break
            if more == _CLOSED:
                self._closed = True   # this read returns what came; the next says closed
                break
            data += more
        if data == _CLOSED:
            self._closed = True
        return data

    def _park(self, timeout: float) -> None:
        """Suspend this host's greenlet until the device sends something or `timeout` passes."""
        waiter = self._loop.create_future()
        timer = self._loop.call_later(timeout, lambda: waiter.done() or waiter.set_result(None))
        self._output.waiter = waiter
        try:
            greenloop.wait(waiter)
        finally:
            timer.cancel()
            self._output.waiter = None

    def is_active(self) -> bool:
        return not self._closed and not self._channel.is_closing()

    def jump_lost(self) -> bool:
        return self._tunnel is not None and self._tunnel.lost()

    def strip_ansi(self, text: str) -> str:
        return text   # as netmiko on these device types: they send no escape codes to strip

    @property
    def socket(self):
        return self._conn.get_extra_info("socket")

    def close(self) -> None:
        """Close without waiting (as the netmiko driver does); the process waits, bounded, at
        exit for closes still under way, so the last hosts' logouts are not cut off."""
        self._closed = True

        async def closing():
            self._conn.close()
            await self._conn.wait_closed()
            if self._tunnel is not None:
                self._tunnel.release()

        try:
            closed = asyncio.run_coroutine_threadsafe(closing(), self._loop)
        except RuntimeError:
            return   # the loop is gone (interpreter exit)
        with _closes_lock:
            _closes.add(closed)
        closed.add_done_callback(_forget_close)


class _SharedJump:
    """One asyncssh connection to a jump host, shared on the loop by every session that goes
    through it with the same login and host-key settings (see `jump._Bastion` for why: sshd
    drops handshakes beyond MaxStartups). Closed when the last session releases it. Only
    touched on the loop's thread."""

    _open: dict[tuple, "_SharedJump"] = {}

    def __init__(self, key: tuple):
        self.key, self.users = key, 0
        self.conn: asyncssh.SSHClientConnection | None = None
        self.lock = asyncio.Lock()
        self.attempts, self.failure = 0, None

    @classmethod
    async def acquire(cls, host: HostSettings, policy: HostKeyPolicy, key_file: Path | None,
                      timeout: float, deadline: float) -> "_SharedJump":
        key = (os.getpid(), str(host.ssh.jump), str(key_file), str(policy.path), policy.accept_new)
        shared = cls._open.get(key)
        if shared is None:
            shared = cls._open[key] = cls(key)
        shared.users += 1
        try:
            await shared._connected(host, policy, key_file, timeout, deadline)
        except BaseException:
            shared.release()
            raise
        return shared

    async def _connected(self, host: HostSettings, policy: HostKeyPolicy, key_file: Path | None,
                         timeout: float, deadline: float) -> None:
        where, seen = jump_name(host, host.ssh.jump), self.attempts
        left = deadline - time.monotonic()   # the deadline bounds the wait too, as on paramiko
        try:
            await asyncio.wait_for(self.lock.acquire(), max(0.0, min(timeout, left)))
        except asyncio.TimeoutError:
            raise TransportError(f"{where}: {waited_too_long(left < timeout)}") from None
        try:
            if self.attempts != seen and self.failure is not None:   # failed while we waited
                raise TransportError(f"{where}: {self.failure}")
            if self.conn is None or self.conn.is_closed():
                self.attempts += 1
                try:
                    self.conn, self.failure = await _jump_connection(host, policy, key_file, timeout,
                                                                     deadline), None
                except _JumpFailed as exc:
                    self.failure = str(exc)
                    raise TransportError(f"{where}: {exc}") from None
        finally:
            self.lock.release()

    def lost(self) -> bool:
        # asyncssh closes a lost connection's channels (the device's connection runs on one)
        # before it marks the connection closed, in the same loop callback: a session that saw
        # its device's connection close sees this one closed already
        return self.conn is None or self.conn.is_closed()

    async def create_connection(self, *args, **kwargs):
        """asyncssh's `tunnel=` contract: a connection to the device through the jump host."""
        return await self.conn.create_connection(*args, **kwargs)

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            if self._open.get(self.key) is self:
                del self._open[self.key]
            if self.conn is not None:
                self.conn.close()


class _JumpFailed(Exception):
    """Why the jump host could not be logged in to (no host name: each waiting host adds its own)."""


async def _jump_connection(host: HostSettings, policy: HostKeyPolicy, key_file: Path | None,
                           timeout: float, deadline: float) -> asyncssh.SSHClientConnection:
    """The SSH connection to the host's jump host, to open the device's channel on: its key
    checked by the host's policy, login with `key_file`, the ssh-agent's and ~/.ssh's default
    keys (as `jump.open_tunnel` on paramiko), within `timeout` and by `deadline`. Raises
    _JumpFailed saying why."""
    jump = host.ssh.jump
    client = _Client(policy, known_name(jump.host, jump.port))
    try:
        sock = await connect_socket("jump host", jump.host, jump.port,
                                    max(0.1, min(timeout, deadline - time.monotonic())))
    except TransportError as exc:
        raise _JumpFailed(str(exc).removeprefix("jump host: ")) from None
    left = deadline - time.monotonic()   # asyncssh's login timer is for the whole login
    login_timeout = max(0.1, min(timeout, left))
    try:
        try:
            conn, _ = await asyncssh.create_connection(
                lambda: client, host=jump.host, port=jump.port, username=jump.user, sock=sock,
                connect_timeout=login_timeout, login_timeout=login_timeout,
                client_keys=[str(key_file)] if key_file else (),   # (): ~/.ssh's default keys
                known_hosts=([], [], []), **NO_X509_TRUST, config=None,
                **client.algorithm_options(False),
                preferred_auth=("publickey",))
        except BaseException:
            sock.close()   # on the loop that watches it (see AsyncsshChannel.open)
            raise
        return conn
    except asyncssh.HostKeyNotVerifiable:
        reason = client.refused if isinstance(client.refused, HostKeyRefused) else \
            f"host key not trusted: {client.refused or 'refused'}; known_hosts: {policy.path}"
        raise _JumpFailed(str(reason)) from None
    except asyncssh.PermissionDenied:
        raise _JumpFailed(f"authentication failed for user {jump.user!r} (keys tried: {KEYS_TRIED})") from None
    except (asyncio.TimeoutError, TimeoutError):
        raise _JumpFailed("SSH to the jump host failed: " + ("no login before the deadline" if left < timeout
                                                             else "no answer before the timeout")) from None
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise _JumpFailed(f"cannot connect to {jump.host}:{jump.port}: {reason}") from None
    except asyncssh.Error as exc:
        raise _JumpFailed(f"SSH to the jump host failed: {type(exc).__name__}: {exc.reason}") from None


_closes: set[concurrent.futures.Future] = set()
_closes_lock = threading.Lock()


def _forget_close(closed: concurrent.futures.Future) -> None:
    with _closes_lock:
        _closes.discard(closed)


@atexit.register
def finish_closing(timeout: float = 2.0) -> None:
    with _closes_lock:
        pending = list(_closes)
    concurrent.futures.wait(pending, timeout)
