"""The host-key policy and the cipher preference as paramiko sees them, for the sessions paramiko
opens (netmiko, ncclient, the paramiko jump host). Imported only on those paths: `hostkeys`
itself does not import paramiko, so a run on the asyncssh driver never pays for it (~100 ms of
start-up)."""
from __future__ import annotations

import paramiko

from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused


class ParamikoHostKeyRefused(HostKeyRefused, paramiko.SSHException):
    """A refusal paramiko, netmiko and ncclient pass on like their own (an SSHException), that
    oamkit still recognises as a HostKeyRefused."""


def refused_for_paramiko(exc: HostKeyRefused) -> ParamikoHostKeyRefused:
    return exc if isinstance(exc, ParamikoHostKeyRefused) else ParamikoHostKeyRefused(str(exc))


def aead_first_transport(sock, **kwargs) -> paramiko.Transport:
    """A paramiko Transport that prefers AES-GCM, as the asyncssh driver does (`transport_factory`
    of `SSHClient.connect`). paramiko's default puts aes128-ctr with hmac-sha2-256 first: it
    compares each packet's MAC in a pure-Python loop, where GCM checks its tag inside OpenSSL.
    Measured on the push bench (200 devices, netmiko driver): ~5% less client CPU and time.
    Only the order changes: a device without GCM still negotiates CTR (or whatever it shares
    with paramiko's list), and nothing paramiko refuses becomes allowed."""
    transport = paramiko.Transport(sock, **kwargs)
    options = transport.get_security_options()
    options.ciphers = sorted(options.ciphers, key=lambda name: "-gcm@" not in name)
    return transport


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
