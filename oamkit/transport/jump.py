"""SSH jump hosts (`ssh.jump_host: user@host[:port]`, OpenSSH's ProxyJump) for the paramiko-based
sessions (netmiko and ncclient), tunnelled in-process: an SSH connection to the bastion, and a
`direct-tcpip` channel through it to the device, which netmiko and ncclient take as their socket.
The asyncssh driver does the same with asyncssh's `tunnel=` (see `asyncssh_driver`).

The bastion is treated as a device would be: its host key goes through the host's
`hostkeys.HostKeyPolicy` (same known_hosts file, same refusal of a changed or unknown key, trust
on first use only where the inventory accepts new keys), and every step has the host's timeout.
Login is by key only, as ProxyJump does without a terminal: `ssh.jump_key_file`, the keys of
the ssh-agent (SSH_AUTH_SOCK), then ~/.ssh's default keys. The device's password never goes to
the bastion.
"""
from __future__ import annotations

import socket
from pathlib import Path

import paramiko

from oamkit.inventory import HostSettings, JumpHost
from oamkit.transport.base import TransportError, open_socket
from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused

KEYS_TRIED = "jump_key_file, ssh-agent, ~/.ssh default keys"


def jump_name(host: HostSettings, jump: JumpHost) -> str:
    """How errors name a host reached through a bastion: `ios-1: jump host admin@bastion:22`."""
    return f"{host.name}: jump host {jump}"


class Tunnel:
    """The channel to the device through the bastion (a socket to netmiko and ncclient) and
    the bastion's client, closed with the session."""

    def __init__(self, client: paramiko.SSHClient, channel: paramiko.Channel):
        self.client, self.channel = client, channel

    def close(self) -> None:
        for closer in (self.channel, self.client):
            try:
                closer.close()
            except Exception:
                pass


def open_tunnel(host: HostSettings, policy: HostKeyPolicy, key_file: Path | None,
                dest_port: int, timeout: float) -> Tunnel:
    """Log in to the host's jump host and open a channel to `host.hostname:dest_port` (as the
    bastion resolves and reaches it). Every step waits at most `timeout`; any failure raises
    TransportError naming the host and the bastion."""
    jump = host.ssh.jump
    where = jump_name(host, jump)
    sock = open_socket(where, jump.host, jump.port, timeout)
    client = paramiko.SSHClient()   # no host keys loaded: paramiko asks the policy about every key
    client.set_missing_host_key_policy(policy)
    try:
        try:
            client.connect(jump.host, jump.port, username=jump.user, sock=sock,
                           key_filename=str(key_file) if key_file else None,
                           allow_agent=True, look_for_keys=True, timeout=timeout,
                           banner_timeout=timeout, auth_timeout=timeout, channel_timeout=timeout)
        except HostKeyRefused as exc:
            raise TransportError(f"{where}: {exc}") from None
        except paramiko.AuthenticationException:
            raise TransportError(f"{where}: authentication failed for user {jump.user!r} "
                                 f"(keys tried: {KEYS_TRIED})") from None
        except (paramiko.SSHException, OSError) as exc:
            if str(exc) == "No authentication methods available":   # no key anywhere
                raise TransportError(f"{where}: authentication failed for user {jump.user!r} "
                                     f"(keys tried: {KEYS_TRIED})") from None
            raise TransportError(f"{where}: SSH to the jump host failed: "
                                 f"{_reason(exc)}") from None
        try:
            channel = client.get_transport().open_channel(
                "direct-tcpip", (host.hostname, dest_port), ("127.0.0.1", 0), timeout=timeout)
        except paramiko.ChannelException as exc:
            raise TransportError(f"{where}: the jump host refused to forward to "
                                 f"{host.hostname}:{dest_port}: {exc.text or exc}") from None
        except (paramiko.SSHException, OSError) as exc:
            raise TransportError(f"{where}: no channel to {host.hostname}:{dest_port} through "
                                 f"the jump host: {_reason(exc)}") from None
    except BaseException:
        client.close()
        sock.close()
        raise
    return Tunnel(client, channel)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout):
        return "no answer before the timeout"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
