"""Which SSH algorithms oamkit offers a device, and what it says when none is in common.

By default neither driver offers what is broken or obsolete: SHA-1 key exchanges (group1's
1024-bit prime, group14 and group-exchange with SHA-1), ssh-rsa (SHA-1) host-key signatures,
CBC and 3DES ciphers, MD5 and truncated SHA-1 MACs (where OpenSSH 9.2's client draws the line
by default). Old gear offers nothing else: a Catalyst
6500 on IOS 15.1(2)SY10 offers exactly those (its KEXINIT, logged by paramiko, in
ktbyers/netmiko#467), and a modern IOS XE offers none of them (IOL 17.16.1a's `show ip ssh`, in
ipspace/netlab#2976). `ssh.legacy_algorithms: true` lets a host use them, as OpenSSH's
`KexAlgorithms +...` would; asyncssh has them all. paramiko 5 (the netmiko driver) has no SHA-1
key exchange and no ssh-rsa at all (netmiko 4.8's note, ktbyers/netmiko#3892): such a device
needs `ssh.driver: asyncssh`, and the error says so.

A device that just closes the connection when nothing matches (or whose reset loses its
KEXINIT before the client reads it) is asked again by `read_offer`: the device's lists, read
from its KEXINIT on a fresh connection that sends nothing but a version line.

No import of paramiko or asyncssh here: both drivers use it.
"""
from __future__ import annotations

import asyncio
import re
import struct

from oamkit.transport.base import TransportError, connect_socket

LEGACY_KEX = ("diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1",
              "diffie-hellman-group1-sha1")
LEGACY_HOST_KEYS = ("ssh-rsa",)
LEGACY_CIPHERS = ("aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc")
LEGACY_MACS = ("hmac-sha1-96", "hmac-md5", "hmac-md5-96")
# host-key signatures both drivers accept by default: paramiko's list (no certificates: a host
# key is trusted by known_hosts alone)
HOST_KEYS = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "rsa-sha2-512", "rsa-sha2-256")

# what each kind is called in the inventory's hint and in the message
KINDS = {"kex": "key exchange", "host_key": "host key", "cipher": "cipher", "mac": "MAC"}
_LEGACY = {"kex": LEGACY_KEX, "host_key": LEGACY_HOST_KEYS, "cipher": LEGACY_CIPHERS,
           "mac": LEGACY_MACS}


# ---------------------------------------------------------------------------- asyncssh
def asyncssh_options(legacy: bool, ciphers: tuple[str, ...]) -> dict:
    """`asyncssh.connect` keyword arguments: asyncssh's defaults less the legacy algorithms it
    enables by default (group14-sha1, ssh-rsa), or with every legacy one added. Patterns, as
    asyncssh reads them (the driver expands them once, not on every connection)."""
    if legacy:
        return dict(kex_algs="+" + ",".join(k for k in LEGACY_KEX if k != "diffie-hellman-group14-sha1"),
                    server_host_key_algs=list(HOST_KEYS + LEGACY_HOST_KEYS),
                    encryption_algs=list(ciphers) + list(LEGACY_CIPHERS),
                    mac_algs="+" + ",".join(LEGACY_MACS))
    return dict(kex_algs="-diffie-hellman-group14-sha1,gss-group14-sha1,gss-gex-sha1,gss-group1-sha1",
                server_host_key_algs=list(HOST_KEYS), encryption_algs=list(ciphers))


def recorded_types_first(host_key_algs, recorded) -> list[str]:
    """Host-key algorithms with those that verify a key on record first, as OpenSSH orders
    them: a device with several keys (one gained in an upgrade) then shows the recorded one
    rather than one the policy would refuse as changed. An RSA key is recorded as `ssh-rsa`
    and verified with rsa-sha2-512/256 (or ssh-rsa where legacy algorithms are allowed)."""
    def key_type(algorithm: str) -> str:
        return "ssh-rsa" if algorithm.startswith("rsa-sha2-") else algorithm

    first = [a for a in host_key_algs if key_type(a) in recorded]
    return first + [a for a in host_key_algs if a not in first]


_ASYNCSSH_KIND = {"key exchange": "kex", "encryption": "cipher", "MAC": "mac", "host key": "host_key"}
_ASYNCSSH_MISMATCH = re.compile(r"No matching (.+?) algorithm found, sent .* and received (.*)$")


def asyncssh_mismatch(message: str) -> tuple[str, list[str]] | None:
    """(kind, what the device offered) from asyncssh's KeyExchangeFailed text, if it is one."""
    match = _ASYNCSSH_MISMATCH.search(message)
    if match is None or match.group(1) not in _ASYNCSSH_KIND:
        return None
    return _ASYNCSSH_KIND[match.group(1)], offered_names(match.group(2).split(","))


def offered_names(names: list[str]) -> list[str]:
    """The algorithms in a peer's list, without the markers that only signal extensions."""
    return [n for n in names if n and n != "<None>" and not n.startswith(("ext-info-", "kex-strict-"))]


# ---------------------------------------------------------------------------- paramiko
def paramiko_disabled(legacy: bool) -> dict:
    """paramiko's `disabled_algorithms`: its defaults still have CBC, 3DES and MD5 MACs."""
    return {} if legacy else {"ciphers": list(LEGACY_CIPHERS), "macs": list(LEGACY_MACS)}


# paramiko's IncompatiblePeer text -> kind
PARAMIKO_KIND = {"kex algorithm": "kex", "host key": "host_key", "ciphers": "cipher",
                 "macs": "mac"}


# ---------------------------------------------------------------------------- asking the device
KEXINIT_LISTS = ("kex", "host_key", "cipher", "cipher_s2c", "mac", "mac_s2c")
_MAX_PREAMBLE = 64 * 1024   # lines a server may send before its version (RFC 4253 4.2)


async def read_offer(host: str, port: int, timeout: float) -> dict[str, list[str]] | None:
    """The algorithm lists of the device's KEXINIT (RFC 4253 7.1), or None when it sent none
    within `timeout`. Sends only a version line: no key exchange, no login."""
    try:
        return await asyncio.wait_for(_read_offer(host, port, timeout), timeout)
    except (OSError, TransportError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
            struct.error):
        return None


async def _read_offer(host: str, port: int, timeout: float) -> dict[str, list[str]] | None:
    # our connect (its name lookup bounded) rather than asyncio's: see base.connect_socket
    sock = await connect_socket("offer", host, port, timeout)
    try:
        reader, writer = await asyncio.open_connection(sock=sock)
    except BaseException:
        sock.close()
        raise
    try:
        writer.write(b"SSH-2.0-oamkit_offer_check\r\n")
        seen = 0
        while True:   # a banner may come first; the version line starts with SSH-
            line = await reader.readline()
            seen += len(line)
            if not line or seen > _MAX_PREAMBLE:
                return None
            if line.startswith(b"SSH-"):
                break
        length, _padding = struct.unpack(">IB", await reader.readexactly(5))
        if not 17 < length <= 35000:
            return None
        payload = await reader.readexactly(length - 1)
        if payload[0] != 20:   # SSH_MSG_KEXINIT, the first packet after the versions
            return None
        return kexinit_lists(payload[1:])
    finally:
        writer.close()


def kexinit_lists(body: bytes) -> dict[str, list[str]]:
    """The name-lists of a KEXINIT (RFC 4253 7.1) whose message byte is already read: `body`
    starts at the 16-byte cookie. Raises struct.error or ValueError when it is cut short."""
    at, lists = 16, {}
    for kind in KEXINIT_LISTS:
        (size,) = struct.unpack_from(">I", body, at)
        if at + 4 + size > len(body):
            raise ValueError("KEXINIT cut short")
        lists[kind] = body[at + 4:at + 4 + size].decode("ascii").split(",")
        at += 4 + size
    return lists


def first_mismatch(offer: dict[str, list[str]], ours: dict[str, list[str]]) -> tuple[str, list[str]] | None:
    """(kind, what the device offers) for the first kind with nothing in common with `ours`."""
    ciphers = set(offered_names(offer.get("cipher", []))) & set(ours["cipher"])
    for kind in ("kex", "host_key", "cipher", "mac"):
        if kind == "mac" and any("gcm" in c or "chacha20" in c for c in ciphers):
            continue   # an AEAD cipher carries its own integrity: MACs are not negotiated
        theirs = offered_names(offer.get(kind, []))
        if not set(theirs) & set(ours[kind]):
            return kind, theirs
    return None


# ---------------------------------------------------------------------------- the message
# sessions on paramiko 5, which has no SHA-1 at all: what it is there, and the way in instead
_ON_PARAMIKO = {
    "netmiko": ("the netmiko driver",
                "set ssh.driver: asyncssh and ssh.legacy_algorithms: true for this host"),
    "netconf": ("ncclient's SSH library, for NETCONF",
                "the device's CLI is reachable with transport: ssh, ssh.driver: asyncssh and "
                "ssh.legacy_algorithms: true"),
}

def no_common(kind: str, offered: list[str], driver: str, legacy: bool) -> str:
    """Why the device and oamkit share no algorithm of this kind, and what to set."""
    what = KINDS[kind]
    said = f"no {what} algorithm in common with the device; it offers " + \
        (", ".join(offered) if offered else "nothing oamkit could read")
    old = [a for a in offered if a in _LEGACY[kind]]
    if not old:
        return said
    if driver in _ON_PARAMIKO and kind in ("kex", "host_key"):
        library, way_in = _ON_PARAMIKO[driver]
        return f"{said}: SHA-1, which paramiko 5 ({library}) no longer has; {way_in}"
    if legacy:
        return said
    return f"{said} (legacy: set ssh.legacy_algorithms: true for this host to allow {', '.join(old)})"
