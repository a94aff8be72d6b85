"""What every transport shares: its errors, secret scrubbing, and the TCP connection an SSH
session (netmiko's, asyncssh's or ncclient's) runs over."""
from __future__ import annotations

import socket

from oamkit.errors import OamkitError
from oamkit.inventory import MASK


class TransportError(OamkitError):
    """A device could not be reached or did not answer in time (host named, secret scrubbed)."""


class DeviceRejected(OamkitError):
    """The device refused a command; carries its own error text."""

    def __init__(self, host: str, command: str, output: str):
        self.host, self.command, self.output = host, command, output
        super().__init__(f"{host}: device rejected {command!r}: {output.strip()}")


# why a CLI session did not open when the device logged us in and then went silent
TERMINAL_UNOPENED = "logged in, but the device did not open the terminal (pty/shell) before the deadline"


def stopped_reading(seconds: float, what: str = "input") -> str:
    """Why a write failed when the device's SSH window stayed full (it read nothing more)."""
    return f"the device stopped reading: it took no more {what} for {seconds:.0f} s (its SSH window stayed full)"


def scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, MASK) if secret else text


def open_socket(name: str, hostname: str, port: int, timeout: float) -> socket.socket:
    """The TCP connection an SSH session (netmiko's or ncclient's) runs over, with Nagle off.

    SSH's handshake and a CLI session are small writes each waiting for an answer. With Nagle
    on (paramiko leaves it on), a write that follows another before its ACK waits for the
    peer's delayed ACK: ~40 ms, twice per login, measured 86 ms -> 5 ms per connect+auth
    against the lab. OpenSSH sets TCP_NODELAY on interactive sessions for the same reason."""
    try:
        sock = socket.create_connection((hostname, port), timeout=timeout)
    except OSError as exc:
        raise TransportError(f"{name}: cannot connect to {hostname}:{port}: "
                             f"{exc.strerror or exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
