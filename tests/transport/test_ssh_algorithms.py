"""Which SSH algorithms oamkit offers a device, against lab devices that offer what real ones
do (`oamkit.lab.ssh_profiles`): classic IOS (a Catalyst 6500's KEXINIT) offers only SHA-1 key
exchanges, ssh-rsa, CBC ciphers and MD5 MACs; IOS XE 17 (IOL's `show ip ssh`) none of those.
By default neither driver takes the legacy ones and the error says what the device offered and
what to set; `ssh.legacy_algorithms: true` takes them where the driver's library has them."""
from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from oamkit.inventory import Inventory
from oamkit.lab.server import Lab
from oamkit.transport.ssh import SshSession, TransportError

FAULTS = {
    "old-1": {"ssh_algorithms": "cisco-1.25"},
    "xe-1": {"ssh_algorithms": "iosxe-17"},
    # an operator's `ip ssh server algorithm encryption ...` on IOS XE
    "ctr-1": {"ssh_algorithms": {"profile": "iosxe-17", "encryption_algs": ["aes256-ctr"]}},
    "cbc-1": {"ssh_algorithms": {"profile": "iosxe-17", "encryption_algs": ["aes128-cbc", "3des-cbc"]}},
    # an RSA host key signed with SHA-1 only (no rsa-sha2-*), key exchange modern
    "rsa-1": {"ssh_algorithms": {"profile": "iosxe-17", "host_key": "ssh-rsa", "host_key_algs": ["ssh-rsa"]}},
    "old-xr": {"ssh_algorithms": "cisco-1.25"},   # its NETCONF on the same SSH server
    # NETCONF devices (IOS-XR here) offering what the IOS XE record does, or CBC only, or an
    # RSA host key signed with rsa-sha2-* (most gear's key of old)
    "xe-xr": {"ssh_algorithms": "iosxe-17"},
    "cbc-xr": {"ssh_algorithms": {"profile": "iosxe-17", "encryption_algs": ["aes128-cbc", "3des-cbc"]}},
    "rsa-xr": {"ssh_algorithms": {"profile": "iosxe-17", "host_key": "ssh-rsa",
                                  "host_key_algs": ["rsa-sha2-512", "rsa-sha2-256"]}},
    # an RSA key on record, and an Ed25519 key the device gained later (which every client
    # here would ask for first)
    "keys-1": {"ssh_algorithms": {"profile": "iosxe-17", "host_key": ["ssh-rsa", "ssh-ed25519"],
                                  "host_key_algs": ["rsa-sha2-512", "rsa-sha2-256"]}},
    "keys-xr": {"ssh_algorithms": {"profile": "iosxe-17", "host_key": ["ssh-rsa", "ssh-ed25519"],
                                   "host_key_algs": ["rsa-sha2-512", "rsa-sha2-256"]}},
    # Huawei VRP's factory settings (CTR, HMAC-SHA2-256, finite-field key exchanges only), and
    # NE8000's key exchange: group exchange alone
    "vrp-ce": {"ssh_algorithms": "vrp-v200r019"},
    "vrp-ne": {"ssh_algorithms": {"profile": "vrp-v200r019",
                                  "kex_algs": ["diffie-hellman-group-exchange-sha256"]}},
}
PLATFORMS = {"old-xr": "cisco_xr", "xe-xr": "cisco_xr", "cbc-xr": "cisco_xr", "rsa-xr": "cisco_xr",
             "keys-xr": "cisco_xr", "vrp-ce": "huawei_vrp", "vrp-ne": "huawei_vrp"}


@pytest.fixture
def profiled(tmp_path, monkeypatch):
    lab = Lab(devices=[(name, PLATFORMS.get(name, "cisco_ios")) for name in FAULTS], faults=FAULTS,
              time_scale=0.01).start()
    try:
        folder = lab.write_inventory(tmp_path / "inventory")
        monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
        yield lab, folder
    finally:
        lab.stop()


def _set(folder, name: str, **ssh):
    hosts_file = folder / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts[name].setdefault("data", {}).setdefault("ssh", {}).update(ssh)
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))


def _open(folder, name: str) -> SshSession:
    inv = Inventory.load(folder)
    (host,) = inv.select(limit=name)
    return SshSession.open(inv, host, time.monotonic() + 30)


def _cipher(session: SshSession) -> str:
    conn = session.conn
    if type(conn).__name__ == "NetmikoChannel":
        return conn.netmiko.remote_conn.get_transport().local_cipher
    return conn._conn.get_extra_info("send_cipher")


def _mac(session: SshSession) -> str:
    conn = session.conn
    if type(conn).__name__ == "NetmikoChannel":
        return conn.netmiko.remote_conn.get_transport().local_mac
    return conn._conn.get_extra_info("send_mac")


def _logged_in(lab, name: str) -> bool:
    return any("auth" in e.text for e in lab.device(name).transcript if e.direction == "event")


def _oamkit(*args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


@pytest.mark.parametrize("driver,hint", [
    ("netmiko", "paramiko 5 (the netmiko driver) no longer has; set ssh.driver: asyncssh and "
                "ssh.legacy_algorithms: true for this host"),
    ("asyncssh", "(legacy: set ssh.legacy_algorithms: true for this host to allow "
                 "diffie-hellman-group-exchange-sha1, diffie-hellman-group14-sha1, diffie-hellman-group1-sha1)"),
])
def test_classic_ios_is_refused_by_default_saying_what_it_offers_and_what_to_set(profiled, driver, hint):
    lab, folder = profiled
    _set(folder, "old-1", driver=driver)
    diff = _oamkit("diff", "-i", str(folder), "--limit", "old-1", "--json")
    assert diff.returncode != 0, diff.stdout
    (host,) = json.loads(diff.stdout)["hosts"]
    assert host["outcome"] == "error"
    assert "no key exchange algorithm in common with the device; it offers " \
           "diffie-hellman-group-exchange-sha1, diffie-hellman-group14-sha1, " \
           "diffie-hellman-group1-sha1" in host["error"], host["error"]
    assert hint in host["error"], host["error"]
    assert not _logged_in(lab, "old-1")   # refused before the password was sent


def test_legacy_algorithms_reach_classic_ios_on_asyncssh_and_push_works(profiled):
    lab, folder = profiled
    _set(folder, "old-1", driver="asyncssh", legacy_algorithms=True)
    session = _open(folder, "old-1")
    try:
        assert _cipher(session) == "aes128-cbc"
        assert session.conn._conn.get_extra_info("server_version") == "SSH-2.0-Cisco-1.25"
    finally:
        session.close()
    push = _oamkit("push", "-i", str(folder), "--limit", "old-1", "--json")
    assert push.returncode == 0, push.stdout[-2000:] + push.stderr[-2000:]
    assert [h["outcome"] for h in json.loads(push.stdout)["hosts"]] == ["changed"]
    assert "ethernet oam" in "\n".join(lab.device("old-1").commands(modes=("config-if",)))


def test_legacy_on_the_netmiko_driver_still_says_to_use_asyncssh_for_sha1(profiled):
    lab, folder = profiled
    _set(folder, "old-1", legacy_algorithms=True)
    with pytest.raises(TransportError, match=r"paramiko 5 \(the netmiko driver\) no longer has; set "
                                             r"ssh\.driver: asyncssh"):
        _open(folder, "old-1")


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_ios_xe_gets_aes_gcm_first_and_ctr_where_the_operator_left_only_ctr(profiled, driver):
    lab, folder = profiled
    for name, cipher in (("xe-1", "aes128-gcm@openssh.com"), ("ctr-1", "aes256-ctr")):
        _set(folder, name, driver=driver)
        session = _open(folder, name)   # its ECDSA host key checked against known_hosts
        try:
            assert _cipher(session) == cipher, name
            assert "hostname " + name in session.show("show running-config")
        finally:
            session.close()


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_cbc_only_device_needs_legacy_algorithms_on_either_driver(profiled, driver):
    lab, folder = profiled
    _set(folder, "cbc-1", driver=driver)
    with pytest.raises(TransportError) as refused:
        _open(folder, "cbc-1")
    assert "no cipher algorithm in common with the device; it offers aes128-cbc, 3des-cbc " \
           "(legacy: set ssh.legacy_algorithms: true for this host to allow aes128-cbc, 3des-cbc)" \
           in str(refused.value)
    _set(folder, "cbc-1", legacy_algorithms=True)
    session = _open(folder, "cbc-1")
    try:
        assert _cipher(session) == "aes128-cbc"
    finally:
        session.close()


@pytest.mark.parametrize("driver,hint", [
    ("netmiko", "SHA-1, which paramiko 5 (the netmiko driver) no longer has; set ssh.driver: asyncssh"),
    ("asyncssh", "(legacy: set ssh.legacy_algorithms: true for this host to allow ssh-rsa)"),
])
def test_an_ssh_rsa_only_host_key_is_named(profiled, driver, hint):
    lab, folder = profiled
    _set(folder, "rsa-1", driver=driver)
    with pytest.raises(TransportError) as refused:
        _open(folder, "rsa-1")
    assert "no host key algorithm in common with the device; it offers ssh-rsa" in str(refused.value)
    assert hint in str(refused.value), str(refused.value)
    if driver == "asyncssh":
        _set(folder, "rsa-1", legacy_algorithms=True)
        _open(folder, "rsa-1").close()


def test_netconf_to_sha1_only_gear_names_what_it_offers_and_the_cli_way_in(profiled):
    from oamkit.transport.netconf import NetconfSession

    lab, folder = profiled
    hosts_file = folder / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["old-xr"]["data"]["transport"] = "netconf"
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    inv = Inventory.load(folder)
    (host,) = inv.select(limit="old-xr")
    with pytest.raises(TransportError) as refused:
        NetconfSession.open(inv, host, time.monotonic() + 30)
    assert "no key exchange algorithm in common with the device; it offers " \
           "diffie-hellman-group-exchange-sha1, diffie-hellman-group14-sha1, diffie-hellman-group1-sha1: " \
           "SHA-1, which paramiko 5 (ncclient's SSH library, for NETCONF) no longer has; the device's " \
           "CLI is reachable with transport: ssh, ssh.driver: asyncssh and ssh.legacy_algorithms: true" \
           in str(refused.value), str(refused.value)
    assert not _logged_in(lab, "old-xr")


def _netconf(folder, name: str, **ssh):
    from oamkit.transport.netconf import NetconfSession

    hosts_file = folder / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts[name]["data"]["transport"] = "netconf"
    hosts[name]["data"].setdefault("ssh", {}).update(ssh)
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    inv = Inventory.load(folder)
    (host,) = inv.select(limit=name)
    return NetconfSession.open(inv, host, time.monotonic() + 30)


def _netconf_transport(session):
    return session.mgr._session._transport


def test_netconf_refuses_cbc_as_the_cli_drivers_do_until_legacy_is_set(profiled):
    """ncclient's own transport offered paramiko's defaults (CBC, 3DES, MD5 MACs): a NETCONF
    session took aes128-cbc where the CLI drivers refuse it."""
    lab, folder = profiled
    with pytest.raises(TransportError) as refused:
        _netconf(folder, "cbc-xr")
    assert "cbc-xr: NETCONF to 127.0.0.1:" in str(refused.value)
    assert "no cipher algorithm in common with the device; it offers aes128-cbc, 3des-cbc " \
           "(legacy: set ssh.legacy_algorithms: true for this host to allow aes128-cbc, 3des-cbc)" \
           in str(refused.value), str(refused.value)
    assert not _logged_in(lab, "cbc-xr")
    session = _netconf(folder, "cbc-xr", legacy_algorithms=True)
    try:
        assert _netconf_transport(session).local_cipher == "aes128-cbc"
        assert session.get_config("running", NUDGE_FREE_FILTER) is not None
    finally:
        session.close()


NUDGE_FREE_FILTER = '<filter type="subtree"><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"/></filter>'


def test_netconf_gets_aes_gcm_first_and_an_rsa_key_on_record_is_verified(profiled):
    """AES-GCM first, as on the CLI drivers. An RSA host key is recorded as ssh-rsa and verified
    with rsa-sha2-*: ncclient offered the recorded type's name itself, ssh-rsa, which paramiko 5
    cannot verify."""
    lab, folder = profiled
    for name, host_key in (("xe-xr", "ecdsa-sha2-nistp256"), ("rsa-xr", "rsa-sha2-512")):
        session = _netconf(folder, name)
        try:
            transport = _netconf_transport(session)
            assert transport.local_cipher == "aes128-gcm@openssh.com", name
            assert transport.host_key_type == host_key, name
            assert session.get_config("running", NUDGE_FREE_FILTER) is not None
        finally:
            session.close()


def test_an_unknown_lab_profile_stops_the_lab():
    with pytest.raises(ValueError, match="unknown SSH profile 'ios-99'"):
        Lab(devices=[("r1", "cisco_ios")], faults={"r1": {"ssh_algorithms": "ios-99"}}).start()


def _kexinit_bytes(port: int) -> bytes:
    """A lab device's KEXINIT packet as it sent it (unencrypted: the first packet)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"SSH-2.0-test\r\n")
        data = b""
        while b"\n" not in data:
            data += sock.recv(4096)
        data = data.split(b"\n", 1)[1]
        while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
            data += sock.recv(4096)
        return data[:4 + struct.unpack(">I", data[:4])[0]]


class _SilentDevice:
    """A device whose SSH resets the connection once the client's KEXINIT shows nothing in
    common, without sending its own first: the client learns nothing from the attempt. Asked
    with a version line alone, it answers with the KEXINIT it had (classic IOS's)."""

    def __init__(self, kexinit: bytes):
        self.kexinit, self.resets = kexinit, 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        for _ in range(10):   # bounded: a test makes a few connections at most
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"SSH-2.0-Cisco-1.25\r\n")
                conn.settimeout(0.5)
                seen = b""
                try:
                    while True:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        seen += chunk
                except socket.timeout:
                    pass
                if seen.count(b"\n") and len(seen.split(b"\n", 1)[1]) > 0:   # its KEXINIT came
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.resets += 1
                else:
                    conn.sendall(self.kexinit)

    def close(self):
        self.server.close()


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_a_device_that_resets_without_a_reason_is_asked_what_it_offers(profiled, driver):
    lab, folder = profiled
    silent = _SilentDevice(_kexinit_bytes(lab.ports["old-1"]))
    try:
        hosts_file = folder / "hosts.yaml"
        hosts = yaml.safe_load(hosts_file.read_text())
        hosts["old-1"]["port"] = silent.port
        hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
        _set(folder, "old-1", driver=driver)
        with pytest.raises(TransportError) as refused:
            _open(folder, "old-1")
        assert silent.resets == 1
        assert "no key exchange algorithm in common with the device; it offers " \
               "diffie-hellman-group-exchange-sha1, diffie-hellman-group14-sha1, " \
               "diffie-hellman-group1-sha1" in str(refused.value), str(refused.value)
    finally:
        silent.close()


@pytest.fixture
def legacy_openssh(tmp_path):
    """Debian's OpenSSH sshd configured as a legacy device's: SHA-1 key exchange, ssh-rsa,
    CBC only. An SSH server nobody here wrote; no login is needed for what is checked."""
    key = tmp_path / "host_rsa"
    subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(key)],
                   check=True, timeout=60, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {key}", f"PidFile {tmp_path / 'pid'}",
        "KexAlgorithms diffie-hellman-group14-sha1", "HostKeyAlgorithms ssh-rsa",
        "Ciphers aes128-cbc,aes256-cbc", "MACs hmac-sha1", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", ""]))
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(tmp_path / "log")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):   # bounded wait for the listener
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        known = tmp_path / "known_hosts"
        known.write_text(f"[127.0.0.1]:{port} " + " ".join(key.with_suffix(".pub").read_text().split()[:2]) + "\n")
        yield port, known
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_openssh_configured_as_legacy_gear_is_read_and_named(legacy_openssh, profiled):
    import asyncio

    from oamkit.transport import algorithms

    port, known = legacy_openssh
    offer = asyncio.run(algorithms.read_offer("127.0.0.1", port, 5))
    assert offer["kex"][0] == "diffie-hellman-group14-sha1" and offer["host_key"] == ["ssh-rsa"]
    assert offer["cipher"] == ["aes128-cbc", "aes256-cbc"] and offer["mac"] == ["hmac-sha1"]
    lab, folder = profiled
    hosts_file = folder / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["old-1"]["port"] = port
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    (folder / "known_hosts").write_text((folder / "known_hosts").read_text() + known.read_text())
    for driver, said in (("netmiko", "paramiko 5 (the netmiko driver) no longer has"),
                         ("asyncssh", "(legacy: set ssh.legacy_algorithms: true for this host to "
                                      "allow diffie-hellman-group14-sha1)")):
        _set(folder, "old-1", driver=driver)
        with pytest.raises(TransportError) as refused:
            _open(folder, "old-1")
        assert "no key exchange algorithm in common with the device; it offers " \
               "diffie-hellman-group14-sha1" in str(refused.value) and said in str(refused.value)
    _set(folder, "old-1", driver="asyncssh", legacy_algorithms=True)
    with pytest.raises(TransportError, match="authentication failed"):   # negotiated; no password login here
        _open(folder, "old-1")


def test_paramikos_refusal_carries_what_the_device_offered(profiled):
    """The netmiko driver names the offer from paramiko's own refusal (no second connection);
    the fresh look at the device is only for one that resets before saying anything."""
    import paramiko

    from oamkit.transport.paramiko_keys import OamkitTransport
    from oamkit.transport.ssh import algorithm_mismatch

    lab, _ = profiled
    transport = OamkitTransport(socket.create_connection(("127.0.0.1", lab.ports["old-1"]), timeout=5))
    try:
        with pytest.raises(paramiko.IncompatiblePeer) as refused:
            transport.start_client(timeout=10)
    finally:
        transport.close()
    assert algorithm_mismatch(refused.value) == (
        "kex", ["diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"])


def test_host_key_algorithms_for_a_recorded_key_come_first():
    """As OpenSSH orders HostKeyAlgorithms: a device with several keys shows the recorded one
    (another type would be refused as a changed key). RSA is recorded as ssh-rsa."""
    from oamkit.transport.algorithms import recorded_types_first

    paramikos = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256")
    assert recorded_types_first(paramikos, ["ssh-rsa"]) == [
        "rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519", "ecdsa-sha2-nistp256"]
    assert recorded_types_first(paramikos, ["ecdsa-sha2-nistp256"])[0] == "ecdsa-sha2-nistp256"
    assert recorded_types_first(paramikos, []) == list(paramikos)


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh", "netconf"])
def test_a_device_with_a_newer_key_shows_the_one_on_record(profiled, transport):
    """A device that gained an Ed25519 key (an upgrade) still has the RSA key known_hosts
    records. OpenSSH asks for the recorded type first; so does oamkit now. Before, every
    transport asked for Ed25519 first and the policy refused it as a changed key: a false
    alarm that stopped the host."""
    lab, folder = profiled
    if transport == "netconf":
        session = _netconf(folder, "keys-xr")
        try:
            assert _netconf_transport(session).host_key_type == "rsa-sha2-512"
        finally:
            session.close()
        return
    _set(folder, "keys-1", driver=transport)
    session = _open(folder, "keys-1")
    try:
        conn = session.conn
        if transport == "netmiko":
            assert conn.netmiko.remote_conn.get_transport().host_key_type == "rsa-sha2-512"
        else:
            assert conn._conn.get_server_host_key().algorithm == b"ssh-rsa"
        assert "Ethernet" in session.show("show running-config")
    finally:
        session.close()


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_huawei_vrp_factory_ssh_settings_are_reached_by_default_and_a_push_works(profiled, driver):
    """No AES-GCM and no encrypt-then-MAC (both drivers' first choices), no curve25519 or
    ECDH: AES-CTR with HMAC-SHA2-256 over a finite-field key exchange, by default."""
    lab, folder = profiled
    for name in ("vrp-ce", "vrp-ne"):
        _set(folder, name, driver=driver)
        session = _open(folder, name)
        try:
            assert _cipher(session) in ("aes128-ctr", "aes256-ctr") and _mac(session) == "hmac-sha2-256"
        finally:
            session.close()
    push = _oamkit("push", "-i", str(folder), "--limit", "vrp-ce,vrp-ne", "--json")
    assert push.returncode == 0, push.stdout[-2000:] + push.stderr[-2000:]
    assert sorted((h["host"], h["outcome"]) for h in json.loads(push.stdout)["hosts"]) == \
        [("vrp-ce", "changed"), ("vrp-ne", "changed")]
    for name in ("vrp-ce", "vrp-ne"):
        assert any("efm" in line for line in lab.device(name).config_commands()), name
