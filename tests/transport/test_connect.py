"""How sessions reach a device: TCP with Nagle off (SSH and NETCONF), and a refused or closed
port reported with the host, address and the operating system's reason."""
from __future__ import annotations

import socket
import time

import pytest
import yaml

from oamkit.inventory import Inventory
from oamkit.transport.netconf import NetconfSession
from oamkit.transport.ssh import SshSession, TransportError


def _host(inventory_dir, name: str, **data):
    hosts_file = inventory_dir / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts[name]["data"].update(data)
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    inv = Inventory.load(inventory_dir)
    (host,) = inv.select(limit=name)
    return inv, host


def _opened(driver: str, open_session):
    """Open as the fleet runner would for that driver: "asyncssh-loop" runs the opening as host
    code in a greenlet on the asyncssh event loop (no socket of ours; asyncio connects)."""
    if driver != "asyncssh-loop":
        return open_session()
    import asyncio

    from oamkit.transport import greenloop
    from oamkit.transport.asyncssh_driver import _Loop

    return asyncio.run_coroutine_threadsafe(greenloop.spawn(open_session), _Loop.get()).result(30)


def _nodelay(sock) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh", "asyncssh-loop"])
def test_ssh_and_netconf_sessions_send_without_nagle(lab, lab_inventory, monkeypatch, driver):
    # With Nagle on, paramiko's login waited twice for the lab's delayed ACK (~40 ms each).
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    inv, host = _host(lab_inventory, "ios-1", ssh={"known_hosts": "known_hosts",
                                                   "driver": driver.removesuffix("-loop")})
    session = _opened(driver, lambda: SshSession.open(inv, host, time.monotonic() + 30))
    try:
        assert type(session.conn).__name__ == {"netmiko": "NetmikoChannel"}.get(driver, "AsyncsshChannel")
        assert _nodelay(session.conn.socket)
        assert "hostname ios-1" in session.show("show running-config")
    finally:
        session.close()
    inv, host = _host(lab_inventory, "xr-1", transport="netconf")
    nc = NetconfSession.open(inv, host, time.monotonic() + 30)
    try:
        assert _nodelay(nc.mgr._session._transport.sock)
        assert nc.supports("candidate")
    finally:
        nc.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # nothing listens here once the socket is closed


@pytest.mark.parametrize("transport,driver", [("ssh", "netmiko"), ("ssh", "asyncssh"), ("ssh", "asyncssh-loop"),
                                              ("netconf", "netmiko")])
def test_a_refused_connection_names_the_host_address_and_reason(lab, lab_inventory, monkeypatch, transport,
                                                                driver):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    port = _closed_port()
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["xr-1"]["port"] = port
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    # a lab-style host (new keys accepted), so the TCP connection is the first thing tried
    inv, host = _host(lab_inventory, "xr-1", transport=transport,
                      ssh={"known_hosts": "known_hosts", "accept_new_host_keys": True,
                           "driver": driver.removesuffix("-loop")})
    opener = SshSession if transport == "ssh" else NetconfSession
    with pytest.raises(TransportError) as failed:
        _opened(driver, lambda: opener.open(inv, host, time.monotonic() + 10))
    assert str(failed.value) == f"xr-1: cannot connect to 127.0.0.1:{port}: Connection refused"
    assert lab.password not in str(failed.value)


def test_the_asyncssh_driver_refuses_a_wrong_password_naming_host_and_user(lab, lab_inventory, monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", "not-" + lab.password)
    (lab_inventory / ".lab-password").unlink()
    inv, host = _host(lab_inventory, "vrp-1", ssh={"known_hosts": "known_hosts", "driver": "asyncssh"})
    with pytest.raises(TransportError) as failed:
        SshSession.open(inv, host, time.monotonic() + 10)
    assert str(failed.value) == "vrp-1: authentication failed for user 'admin'"


@pytest.mark.parametrize("base11", [True, False])
def test_netconf_rpcs_are_written_by_the_caller_not_queued_for_ncclients_loop(lab, lab_inventory,
                                                                                monkeypatch, base11):
    # ncclient queues each RPC for its session thread, which looks at the queue only between
    # 0.1 s waits on the channel: ~100 ms per RPC, ~1 s a push
    import threading

    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    lab.devices["junos-1"].faults.extra["netconf_base11"] = base11
    inv, host = _host(lab_inventory, "junos-1", transport="netconf")
    nc = NetconfSession.open(inv, host, time.monotonic() + 30)
    try:
        channel = nc.mgr._session._channel
        writers = []
        for name in ("send", "sendall"):   # a spy: the bytes still go out unchanged
            real = getattr(channel, name)
            monkeypatch.setattr(channel, name, lambda data, real=real: (
                writers.append(threading.current_thread()), real(data))[1])
        data = nc.get_config("running", None)
        assert nc.lock().ok and nc.unlock().ok   # replies framed both ways, parsed by ncclient
        assert data.tag == "{urn:ietf:params:xml:ns:netconf:base:1.0}data"
        assert writers and set(writers) == {threading.current_thread()}, writers
        assert ("urn:ietf:params:netconf:base:1.1" in nc.mgr.server_capabilities) == base11
    finally:
        nc.close()
