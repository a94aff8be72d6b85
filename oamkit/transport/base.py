"""What every transport shares: its errors, secret scrubbing, and the TCP connection an SSH
session (netmiko's, asyncssh's or ncclient's) runs over."""
from __future__ import annotations

import asyncio
import importlib
import ipaddress
import os
import socket
import sys
import threading
import time

from oamkit.errors import OamkitError
from oamkit.inventory import MASK
from oamkit.transport import sessionlog


class TransportError(OamkitError):
    """A device could not be reached or did not answer in time (host named, secret scrubbed)."""


class DeviceRejected(OamkitError):
    """The device refused a command; carries its own error text."""

    def __init__(self, host: str, command: str, output: str, section: str | None = None):
        # the device's words may quote a secret (a Junos commit error names the offending
        # statement, `plain-text-password ...`): masked before they reach any report
        output = sessionlog.mask(output)
        self.host, self.command, self.output = host, command, output
        # `section`: the block the line was sent in (`interface Gi0/2`), when the line alone
        # does not say which interface it was meant for
        where = f" (in {section!r})" if section else ""
        super().__init__(f"{host}: device rejected {command!r}{where}: {output.strip()}")


class ConfigurationLocked(DeviceRejected):
    """The device refused configuration mode because another session holds the configuration
    (or has changed it without committing); `output` is its refusal, naming the holder."""


# why a CLI session did not open when the device logged us in and then went silent
TERMINAL_UNOPENED = "logged in, but the device did not open the terminal (pty/shell) before the deadline"


def stopped_reading(seconds: float, what: str = "input") -> str:
    """Why a write failed when the device's SSH window stayed full (it read nothing more)."""
    return f"the device stopped reading: it took no more {what} for {seconds:.0f} s (its SSH window stayed full)"


_FIRST_IMPORTS = threading.Lock()


def load(module: str) -> None:
    """Import `module` if it is not yet, one such first import at a time in the process.

    Worker threads import the transport libraries on first use (a run that never speaks
    NETCONF does not pay for ncclient). ncclient and netmiko both import paramiko's parts, in
    their own orders: two threads doing so at once met in CPython's import locks, whose
    deadlock avoidance handed one of them a half-initialised module (`_DeadlockError` on
    paramiko.ssh_exception, then "cannot import name 'NetconfDriver'": once in 40 starts of 20
    threads, and once in the fault campaign's rollback of a mixed fleet)."""
    found = sys.modules.get(module)
    if found is not None and not getattr(found.__spec__, "_initializing", False):
        return
    with _FIRST_IMPORTS:
        importlib.import_module(module)


def scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, MASK) if secret else text


def open_socket(name: str, hostname: str, port: int, timeout: float) -> socket.socket:
    """The TCP connection an SSH session (netmiko's or ncclient's) runs over, with Nagle off,
    made within `timeout` in all: the name lookup and every address tried share it.

    socket.create_connection gives each address the whole timeout and the lookup none: with
    its DNS server silent, glibc's resolver waits 5 s x 2 attempts per server (a host given
    3 s took 10 s), so a DNS outage, as a DR test may bring, held every host past its deadline.

    SSH's handshake and a CLI session are small writes each waiting for an answer. With Nagle
    on (paramiko leaves it on), a write that follows another before its ACK waits for the
    peer's delayed ACK: ~40 ms, twice per login, measured 86 ms -> 5 ms per connect+auth
    against the lab. OpenSSH sets TCP_NODELAY on interactive sessions for the same reason."""
    deadline = time.monotonic() + timeout
    where = _where(name, hostname, port)
    if _is_address(hostname):
        addresses = _found(where, _getaddrinfo(hostname, port))
    else:
        answer: list = []
        done = threading.Event()
        _look_up(hostname, port, lambda found: (answer.append(found), done.set()))
        if not done.wait(timeout):
            raise _no_answer(name, hostname, port, timeout)
        addresses = _found(where, answer[0])
    failure: OSError | None = None
    for sock, address, remaining in _attempts(addresses, deadline, time.monotonic):
        try:
            sock.settimeout(remaining)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            failure = exc
            continue
        sock.settimeout(timeout)   # as create_connection leaves it; the SSH library sets its own
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise TransportError(f"{where}: {_reason(failure)}")


async def connect_socket(name: str, hostname: str, port: int, timeout: float) -> socket.socket:
    """`open_socket` for code on an event loop, without blocking it. Not asyncio's own connect:
    its name lookup runs on the loop's executor, whose threads the interpreter joins at exit
    (a silent DNS server held the process 10 s after its run had ended)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    where = _where(name, hostname, port)
    if _is_address(hostname):
        addresses = _found(where, _getaddrinfo(hostname, port))
    else:
        answer = loop.create_future()

        def deliver(found) -> None:
            try:
                loop.call_soon_threadsafe(lambda: answer.done() or answer.set_result(found))
            except RuntimeError:
                pass   # the loop closed while the resolver still waited: nobody asks any more

        _look_up(hostname, port, deliver)
        try:
            addresses = _found(where, await asyncio.wait_for(answer, timeout))
        except asyncio.TimeoutError:
            raise _no_answer(name, hostname, port, timeout) from None
    failure = None
    for sock, address, remaining in _attempts(addresses, deadline, loop.time):
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, address), remaining)
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError):   # cancelled: the caller's deadline
                raise
            failure = exc   # refused, unreachable, timed out (TimeoutError): the next address
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise TransportError(f"{where}: {_reason(failure)}")


def _attempts(addresses: list, deadline: float, now):
    """(a new socket, its address, the time left) for each address while time is left."""
    for family, kind, proto, _, address in addresses:
        remaining = deadline - now()
        if remaining <= 0:
            return
        yield socket.socket(family, kind, proto), address, remaining


def _no_answer(name: str, hostname: str, port: int, timeout: float) -> TransportError:
    return TransportError(f"{_where(name, hostname, port)}: looking up {hostname!r} got no answer "
                          f"within {timeout:.0f} s (is DNS reachable from here?)")


def _where(name: str, hostname: str, port: int) -> str:
    return f"{name}: cannot connect to {hostname}:{port}"


def _is_address(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname)
        return True
    except ValueError:
        return False


def _getaddrinfo(hostname: str, port: int) -> list | OSError:
    try:
        return socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return exc


def _look_up(hostname: str, port: int, deliver) -> None:
    """getaddrinfo on a daemon thread; `deliver(addresses or the error)` when it answers. The
    resolver has no timeout of its own: the caller waits as long as it may, and a lookup left
    waiting ends with the resolver's own timeouts, never holding the process at exit."""
    threading.Thread(target=lambda: deliver(_getaddrinfo(hostname, port)),
                     name="oamkit-name-lookup", daemon=True).start()


def _found(where: str, answer: list | OSError) -> list:
    if isinstance(answer, OSError):
        raise TransportError(f"{where}: {answer.strerror or answer}")
    return answer


def _reason(failure: OSError | None) -> str:
    if failure is None or isinstance(failure, TimeoutError):
        return "timed out"   # (a TimeoutError from asyncio has no text)
    # asyncio's text is "Connect call failed (address)": the system's says why
    return os.strerror(failure.errno) if failure.errno else str(failure)
