"""paramiko's key-exchange timeout runs on oamkit's one watchdog thread, not on a
`threading.Timer` per session (a thread started in the middle of every login: ~5% of the
client's CPU when 50 sessions open at once), and still ends a stalled key exchange."""
from __future__ import annotations

import socket
import threading
import time

import paramiko
import pytest

from oamkit.transport.netconf import NetconfSession
from oamkit.transport.paramiko_keys import OamkitTransport
from oamkit.transport.ssh import SshSession
from tests.transport.test_connect import _host


def _timers_during_key_exchanges(monkeypatch) -> list[int]:
    """How many threading.Timer threads are alive each time a login reads the device's
    KEXINIT: mid key exchange, while paramiko's handshake timer (if any) is running."""
    seen: list[int] = []
    parse = OamkitTransport._parse_kex_init

    def counting(self, m):
        seen.append(sum(isinstance(t, threading.Timer) for t in threading.enumerate()))
        return parse(self, m)

    monkeypatch.setattr(OamkitTransport, "_parse_kex_init", counting)
    return seen


@pytest.mark.lab
@pytest.mark.timeout(120)
def test_paramiko_logins_start_no_timer_thread(lab, lab_inventory, monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    seen = _timers_during_key_exchanges(monkeypatch)
    inv, host = _host(lab_inventory, "ios-1", ssh={"known_hosts": "known_hosts", "driver": "netmiko"})
    session = SshSession.open(inv, host, time.monotonic() + 30)
    try:
        assert "hostname ios-1" in session.show("show running-config")
    finally:
        session.close()
    inv, host = _host(lab_inventory, "xr-1", transport="netconf")
    netconf = NetconfSession.open(inv, host, time.monotonic() + 30)
    try:
        assert netconf.supports("candidate")
    finally:
        netconf.close()
    assert seen == [0, 0], f"Timer threads alive during the key exchanges: {seen}"


def test_a_stalled_key_exchange_still_ends_at_the_handshake_timeout():
    """A server that sends its version and then nothing: the handshake timeout ends the login
    (paramiko's timer did; the watchdog's entry must too), long before start_client's own."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    held: list[socket.socket] = []

    def stall() -> None:
        conn, _ = listener.accept()
        held.append(conn)
        conn.sendall(b"SSH-2.0-Stalled_1.0\r\n")   # and never a KEXINIT

    server = threading.Thread(target=stall, daemon=True)
    server.start()
    sock = socket.create_connection(listener.getsockname(), timeout=5)
    transport = OamkitTransport(sock)
    transport.handshake_timeout = 0.5
    started = time.monotonic()
    try:
        with pytest.raises((paramiko.SSHException, EOFError)):   # paramiko re-raises its reader's
            transport.start_client(timeout=60)
        assert time.monotonic() - started < 30, "the stalled key exchange waited for start_client's timeout"
    finally:
        transport.close()
        for conn in held:
            conn.close()
        listener.close()
