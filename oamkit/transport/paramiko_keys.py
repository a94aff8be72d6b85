"""The host-key policy as paramiko sees it, for the sessions paramiko opens (netmiko, ncclient,
the paramiko jump host). Imported only on those paths: `hostkeys` itself does not import
paramiko, so a run on the asyncssh driver never pays for it (~100 ms of start-up)."""
from __future__ import annotations

import paramiko

from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused


class ParamikoHostKeyRefused(HostKeyRefused, paramiko.SSHException):
    """A refusal paramiko, netmiko and ncclient pass on like their own (an SSHException), that
    oamkit still recognises as a HostKeyRefused."""


def refused_for_paramiko(exc: HostKeyRefused) -> ParamikoHostKeyRefused:
    return exc if isinstance(exc, ParamikoHostKeyRefused) else ParamikoHostKeyRefused(str(exc))


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
