"""SSH jump hosts (`ssh.jump_host: user@host[:port]`, OpenSSH's ProxyJump) for the paramiko-based
sessions (netmiko and ncclient), tunnelled in-process: an SSH connection to the bastion, and a
`direct-tcpip` channel through it to the device, which netmiko and ncclient take as their socket.
The asyncssh driver does the same with asyncssh's `tunnel=` (see `asyncssh_driver`), and uses
only this module's names (KEYS_TRIED, jump_name, waited_too_long): paramiko is imported where
the bastion is opened, not at the top.

The bastion is treated as a device would be: its host key goes through the host's
`hostkeys.HostKeyPolicy` (same known_hosts file, same refusal of a changed or unknown key, trust
on first use only where the inventory accepts new keys), every step has the host's timeout,
and the host's deadline bounds them all (paramiko's steps, each within its timeout, could
together outlast it).
Login is by key only, as ProxyJump does without a terminal: `ssh.jump_key_file`, the keys of
the ssh-agent (SSH_AUTH_SOCK), then ~/.ssh's default keys. The device's password never goes to
the bastion.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from oamkit.inventory import HostSettings, JumpHost
from oamkit.transport import watchdog
from oamkit.transport.base import TransportError, load, open_socket
from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused, known_name

if TYPE_CHECKING:
    import paramiko

KEYS_TRIED = "jump_key_file, ssh-agent, ~/.ssh default keys"


def waited_too_long(deadline_first: bool) -> str:
    """Why a session gave up waiting while another one was logging in to the shared jump host."""
    return ("SSH to the jump host failed: no connection before the "
            f"{'deadline' if deadline_first else 'timeout'} (another session was opening it)")


def jump_name(host: HostSettings, jump: JumpHost) -> str:
    """How errors name a host reached through a bastion: `ios-1: jump host admin@bastion:22`."""
    return f"{host.name}: jump host {jump}"


def closed_during(host: HostSettings, what: str, jump_lost: bool, closed: str = "the session") -> str:
    """Why a session ended under its reader: the device closed it or, when the connection to
    its jump host went (every session through that bastion ends with it), the bastion.
    Named so that on-call looks at the bastion, not at each device behind it."""
    if jump_lost:
        return f"{host.name}: the connection to jump host {host.ssh.jump} was lost during {what}"
    return f"{host.name}: the device closed {closed} during {what}"


class Tunnel:
    """The channel to the device through the bastion (a socket to netmiko and ncclient); closing
    it lets go of the shared bastion connection (closed with the last session using it)."""

    def __init__(self, bastion: "_Bastion", channel: paramiko.Channel):
        self.bastion, self.channel = bastion, channel
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.channel.close()
        except Exception:
            pass
        self.bastion.release()

    def lost(self) -> bool:
        """Whether the bastion connection this channel runs on is gone (the channel with it)."""
        import paramiko

        transport = self.channel.get_transport()   # this channel's, not a later reconnection's
        if transport is None or not transport.is_active():
            return True
        # paramiko's reader thread records why it stopped, closes the channels, and only then
        # marks the transport inactive: a session that saw its channel close may look between
        # (a refused channel open records a ChannelException: the connection is fine)
        failure = transport.saved_exception
        return failure is not None and not isinstance(failure, paramiko.ChannelException)


class _Bastion:
    """One SSH connection to a jump host, shared by every session of the process that goes
    through it with the same login and host-key settings, as OpenSSH's ControlMaster would.
    One connection per device instead fails on a fleet: sshd drops handshakes beyond its
    MaxStartups (default 10:30:100; measured: 8 of 40 hosts at once refused with "Error reading
    SSH protocol banner"). The first session connects; the others wait for it (bounded by their
    timeout) and share its outcome."""

    def __init__(self, key: tuple):
        self.key = key
        self.users = 0
        self.client: paramiko.SSHClient | None = None
        self.attempts = 0                  # connection attempts so far
        self.failure: str | None = None   # why the last attempt failed
        self.lock = threading.Lock()      # held while connecting

    def connected(self, host: HostSettings, policy: HostKeyPolicy, key_file: Path | None,
                  timeout: float, deadline: float) -> paramiko.SSHClient:
        where = jump_name(host, host.ssh.jump)
        seen, left = self.attempts, deadline - time.monotonic()
        if not self.lock.acquire(timeout=max(0.0, min(timeout, left))):
            raise TransportError(f"{where}: {waited_too_long(left < timeout)}")
        try:
            if self.attempts != seen and self.failure is not None:   # failed while we waited
                raise TransportError(f"{where}: {self.failure}")
            transport = self.client.get_transport() if self.client else None
            if transport is None or not transport.is_active():
                self.attempts += 1
                try:
                    self.client, self.failure = _connect(host.ssh.jump, policy, key_file, timeout,
                                                         deadline), None
                except _Failed as exc:
                    self.failure = str(exc)
                    raise TransportError(f"{where}: {exc}") from None
            return self.client
        finally:
            self.lock.release()

    def release(self) -> None:
        with _BASTIONS_LOCK:
            self.users -= 1
            last = self.users == 0
            if last and _BASTIONS.get(self.key) is self:
                del _BASTIONS[self.key]
        if last and self.client is not None:
            self.client.close()


_BASTIONS: dict[tuple, _Bastion] = {}
_BASTIONS_LOCK = threading.Lock()


def _forget_bastions_in_child() -> None:
    # a forked child (a process pool) cannot use the parent's connections (their reader threads
    # did not come along): it opens its own
    global _BASTIONS, _BASTIONS_LOCK
    _BASTIONS, _BASTIONS_LOCK = {}, threading.Lock()


os.register_at_fork(after_in_child=_forget_bastions_in_child)


def _acquire(host: HostSettings, policy: HostKeyPolicy, key_file: Path | None) -> _Bastion:
    key = (str(host.ssh.jump), str(key_file), str(policy.path), policy.accept_new)
    with _BASTIONS_LOCK:
        bastion = _BASTIONS.get(key)
        if bastion is None:
            bastion = _BASTIONS[key] = _Bastion(key)
        bastion.users += 1
        return bastion


class _Failed(Exception):
    """Why the jump host could not be logged in to (no host name: each waiting host adds its own)."""


def open_tunnel(host: HostSettings, policy: HostKeyPolicy, key_file: Path | None,
                dest_port: int, timeout: float, deadline: float) -> Tunnel:
    """A channel to `host.hostname:dest_port` (as the bastion resolves and reaches it) on the
    process's connection to the host's jump host, logging in to it first when there is none.
    Every step waits at most `timeout`, all of them together until `deadline` (monotonic) at
    most; any failure raises TransportError naming the host and the bastion."""
    load("paramiko")   # here, not at the top: the asyncssh driver uses this module's names only
    import paramiko

    where = jump_name(host, host.ssh.jump)
    bastion = _acquire(host, policy, key_file)
    try:
        client = bastion.connected(host, policy, key_file, timeout, deadline)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TransportError(f"{where}: no channel to {host.hostname}:{dest_port} through the "
                                 "jump host before the deadline")
        try:
            # an OamkitTransport (`_connect`): each refusal with its own reason, even at once
            channel = client.get_transport().open_forward((host.hostname, dest_port), min(timeout, left))
        except paramiko.ChannelException as exc:
            raise TransportError(f"{where}: the jump host refused to forward to "
                                 f"{host.hostname}:{dest_port}: {exc.text or exc}") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise TransportError(f"{where}: no channel to {host.hostname}:{dest_port} through "
                                 f"the jump host: {_reason(exc)}") from None
    except BaseException:
        bastion.release()
        raise
    return Tunnel(bastion, channel)


def _connect(jump: JumpHost, policy: HostKeyPolicy, key_file: Path | None,
             timeout: float, deadline: float) -> paramiko.SSHClient:
    import paramiko

    from oamkit.transport.paramiko_keys import ParamikoPolicy, factory_for

    try:
        sock = open_socket("jump host", jump.host, jump.port,
                           max(0.1, min(timeout, deadline - time.monotonic())))
    except TransportError as exc:
        raise _Failed(str(exc).removeprefix("jump host: ")) from None
    client = paramiko.SSHClient()   # no host keys loaded: paramiko asks the policy about every key
    client.set_missing_host_key_policy(ParamikoPolicy(policy))

    def login() -> None:
        client.connect(jump.host, jump.port, username=jump.user, sock=sock,
                       key_filename=str(key_file) if key_file else None,
                       allow_agent=True, look_for_keys=True, timeout=timeout,
                       banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout,
                       transport_factory=factory_for(policy, known_name(jump.host, jump.port)))

    try:
        # each step within its timeout (every key tried waits for its answer) could together
        # outlast the deadline: it cuts the connection wherever the login is then
        if watchdog.cut_off(deadline, sock, login):
            raise _Failed("SSH to the jump host failed: no login before the deadline")
    except BaseException as exc:
        client.close()
        sock.close()
        if isinstance(exc, (HostKeyRefused, _Failed)):
            raise _Failed(str(exc)) from None
        if isinstance(exc, paramiko.AuthenticationException) or \
                str(exc) == "No authentication methods available":   # no key anywhere
            raise _Failed(f"authentication failed for user {jump.user!r} "
                          f"(keys tried: {KEYS_TRIED})") from None
        if isinstance(exc, (paramiko.SSHException, OSError)):
            raise _Failed(f"SSH to the jump host failed: {_reason(exc)}") from None
        raise
    return client


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "no answer before the timeout"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
