"""The host-key policy and the cipher preference as paramiko sees them, for the sessions paramiko
opens (netmiko, ncclient, the paramiko jump host). Imported only on those paths: `hostkeys`
itself does not import paramiko, so a run on the asyncssh driver never pays for it (~100 ms of
start-up)."""
from __future__ import annotations

import functools
import threading
import time
import weakref
from typing import Iterable

import paramiko

from oamkit.transport import algorithms, watchdog
from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused


class ParamikoHostKeyRefused(HostKeyRefused, paramiko.SSHException):
    """A refusal paramiko, netmiko and ncclient pass on like their own (an SSHException), that
    oamkit still recognises as a HostKeyRefused."""


def refused_for_paramiko(exc: HostKeyRefused) -> ParamikoHostKeyRefused:
    return exc if isinstance(exc, ParamikoHostKeyRefused) else ParamikoHostKeyRefused(str(exc))


class OamkitTransport(paramiko.Transport):
    """paramiko's Transport with four changes, for every session paramiko opens for oamkit
    (`transport_factory` of `SSHClient.connect`):

    - AES-GCM first, as the asyncssh driver has it. paramiko's default puts aes128-ctr with
      hmac-sha2-256 first, and compares each packet's MAC in a pure-Python loop where GCM checks
      its tag inside OpenSSL: ~5% less client CPU and time on the push bench (200 devices,
      netmiko driver). Only the order changes: a device without GCM still gets CTR.
    - Host-key algorithms that verify a key recorded for the host first (`recorded`, the
      recorded key types), as OpenSSH orders them (`algorithms.recorded_types_first`).
    - What the device offered is kept on the "no algorithm in common" error (`offered`, the
      lists of its KEXINIT), so that oamkit can say which algorithms it offers and what to set
      (`algorithms.no_common`) instead of paramiko's bare "Incompatible ssh peer".
    - The handshake timeout on oamkit's one watchdog thread (`_handshake_timer_on_watchdog`)
      instead of a `threading.Timer` per session.
    - A refused channel open says the server's own reason for that channel (`open_forward`).
    """

    def __init__(self, sock, recorded: Iterable[str] = (), **kwargs):
        super().__init__(sock, **kwargs)
        _handshake_timer_on_watchdog(self.packetizer)
        options = self.get_security_options()
        options.ciphers = sorted(options.ciphers, key=lambda name: "-gcm@" not in name)
        if recorded:
            options.key_types = algorithms.recorded_types_first(options.key_types, list(recorded))
        self._open_refusals: dict[int, tuple[int, str]] = {}   # channel id: (code, server's text)
        self._opening = threading.local()                       # the channel id this thread asked for

    def open_forward(self, dest: tuple[str, int], timeout: float) -> paramiko.Channel:
        """A `direct-tcpip` channel to `dest` (a jump host's forward to a device). paramiko
        keeps one refusal per connection (`saved_exception`) for all its channels: of several
        channels refused at once, some got another one's reason and the others none ("Unable
        to open channel."). Each refusal is kept here by channel id, with the server's text
        (OpenSSH's "Name or service not known" beside paramiko's bare "Connect failed")."""
        try:
            return self.open_channel("direct-tcpip", dest, ("127.0.0.1", 0), timeout=timeout)
        except paramiko.SSHException:
            with self.lock:
                refusal = self._open_refusals.pop(getattr(self._opening, "chanid", None), None)
            if refusal is None:
                raise
            code, text = refusal
            reason = paramiko.common.CONNECTION_FAILED_CODE.get(code, f"code {code}")
            detail = f" ({text})" if text and text not in ("open failed", reason) else ""
            raise paramiko.ChannelException(code, reason + detail) from None

    def _next_channel(self):
        # called by open_channel, under the lock, in the thread that asks for the channel
        chanid = super()._next_channel()
        self._opening.chanid = chanid
        return chanid

    def _parse_channel_open_failure(self, m):
        # paramiko's handler for SSH_MSG_CHANNEL_OPEN_FAILURE (a private name, stable since 1.x):
        # the refusal is kept for its channel before paramiko wakes the thread waiting for it
        chanid, code, text = m.get_int(), m.get_int(), m.get_text()
        m.rewind()
        with self.lock:
            self._open_refusals[chanid] = (code, text)
        return super()._parse_channel_open_failure(m)

    def _parse_kex_init(self, m):
        # paramiko's own hook for the peer's KEXINIT; a private name, stable since paramiko 1.x
        try:
            return super()._parse_kex_init(m)
        except paramiko.IncompatiblePeer as exc:
            # the message as received: its bytes start at the cookie (the type byte is read)
            exc.offered = algorithms.kexinit_lists(m.asbytes())
            raise


def _handshake_timer_on_watchdog(packetizer: paramiko.Packetizer) -> None:
    """paramiko bounds the key exchange with a `threading.Timer` per session: a thread started
    (and the transport thread made to wait until it runs) in the middle of every login, a third
    thread per session next to the worker and paramiko's reader. With 50 logins at once, that
    was ~5% of the client's CPU and time for opening the sessions (alternating rounds, 200 lab
    devices). The same timeout here is an entry in the process's watchdog (`watchdog.at`, one
    thread for all): at the timeout it sets the flag paramiko's timer would set; paramiko's
    `complete_handshake` cancels it as it cancelled the timer. The packetizer's state is
    private (name-mangled): a paramiko without it keeps its own timer."""
    if not all(hasattr(packetizer, f"_Packetizer__{name}")
               for name in ("timer", "timer_expired", "handshake_complete")):
        return
    owner = weakref.ref(packetizer)   # a login that failed is not kept alive until the timeout

    def expired() -> None:
        target = owner()
        if target is not None:
            target._Packetizer__timer_expired = True

    def start_handshake(timeout: float) -> None:
        target = owner()
        if target is not None and not target._Packetizer__timer:
            target._Packetizer__timer = watchdog.at(time.monotonic() + float(timeout), expired)

    packetizer.start_handshake = start_handshake


def factory_for(policy: HostKeyPolicy, name: str):
    """paramiko's `transport_factory` for a host known as `name`: an OamkitTransport that asks
    for the types of the keys recorded for it first."""
    return functools.partial(OamkitTransport, recorded=tuple(policy.recorded([name])[1]))


def offered_by_paramiko(disabled: dict) -> dict[str, list[str]]:
    """The algorithms an OamkitTransport offers a device, by kind, less `disabled_algorithms`."""
    lists = {"kex": paramiko.Transport._preferred_kex, "host_key": paramiko.Transport._preferred_keys,
             "cipher": paramiko.Transport._preferred_ciphers, "mac": paramiko.Transport._preferred_macs}
    off = {"kex": disabled.get("kex", []), "host_key": disabled.get("keys", []),
           "cipher": disabled.get("ciphers", []), "mac": disabled.get("macs", [])}
    return {kind: [a for a in names if a not in off[kind]] for kind, names in lists.items()}


def probe_mismatch(hostname: str, port: int, timeout: float,
                   disabled: dict) -> tuple[str, list[str]] | None:
    """(kind, what the device offers) when a fresh look at its KEXINIT shows nothing in common
    with what paramiko offers; None when something is, or the device said nothing. Called from
    a worker thread (never an event loop's)."""
    import asyncio

    offer = asyncio.run(algorithms.read_offer(hostname, port, timeout))
    return algorithms.first_mismatch(offer, offered_by_paramiko(disabled)) if offer else None


class ParamikoPolicy(paramiko.MissingHostKeyPolicy):
    """`policy` as paramiko's missing-host-key policy."""

    def __init__(self, policy: HostKeyPolicy):
        self.policy = policy

    def missing_host_key(self, client, hostname: str, key: paramiko.PKey) -> None:
        # paramiko names the host as OpenSSH does ([host]:port off port 22)
        check(self.policy, [hostname], key)


def check(policy: HostKeyPolicy, names: list[str], key: paramiko.PKey) -> None:
    """`policy.check`, its refusal raised as a ParamikoHostKeyRefused."""
    try:
        policy.check(names, key)
    except HostKeyRefused as exc:
        raise refused_for_paramiko(exc) from None
