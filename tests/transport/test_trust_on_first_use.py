"""Trust on first use (`ssh.accept_new_host_keys`) on every transport: the first connection
records the device's real key where OpenSSH finds it, later connections are checked against
it, a changed key is refused naming both fingerprints (and how to drop the stale entry, never
the setting), and concurrent first connections lose no entry."""
from __future__ import annotations

import base64
import json
import multiprocessing
import os
import re
import stat
import subprocess
import sys
import threading
import time

import asyncssh
import paramiko
import pytest
import yaml

from oamkit.inventory import Inventory
from oamkit.lab.server import Lab
from oamkit.transport.hostkeys import KnownHostsFile
from oamkit.transport.netconf import NetconfSession
from oamkit.transport.ssh import SshSession, TransportError
from tests.transport.test_connect import _opened

TRANSPORTS = ["netmiko", "asyncssh", "asyncssh-loop", "netconf"]


def _settings(inventory_dir, transport: str, **ssh):
    """Every host on `transport` ("netconf": those that speak it; else an SSH driver) with
    these ssh settings."""
    defaults_file = inventory_dir / "defaults.yaml"
    defaults = yaml.safe_load(defaults_file.read_text())
    defaults["data"]["ssh"] = {**ssh, **({} if transport == "netconf" else
                                         {"driver": transport.removesuffix("-loop")})}
    defaults_file.write_text(yaml.safe_dump(defaults, sort_keys=False))
    hosts_file = inventory_dir / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    for host in hosts.values():
        netconf = transport == "netconf" and host["platform"] in ("cisco_xr", "juniper_junos")
        host["data"]["transport"] = "netconf" if netconf else "ssh"
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))


def _connect(inventory_dir, name: str, transport: str) -> None:
    """Open a session, prove it works, close it (raises TransportError when refused)."""
    inv = Inventory.load(inventory_dir)
    (host,) = inv.select(limit=name)
    if transport == "netconf":
        session = NetconfSession.open(inv, host, time.monotonic() + 30)
        try:
            assert session.supports("candidate")
        finally:
            session.close()
        return
    session = _opened(transport, lambda: SshSession.open(inv, host, time.monotonic() + 30))
    try:
        version = session.show("show version")
        assert version.strip() and "error" not in version.lower(), version
    finally:
        session.close()


def _lab_key(lab) -> tuple[str, str]:
    kind, b64 = lab.host_key.export_public_key("openssh").decode().split()[:2]
    return kind, b64


def _fingerprint(b64: str) -> str:
    return paramiko.PKey.from_type_string("ssh-ed25519", base64.b64decode(b64)).fingerprint


def _logins(device) -> list[str]:
    """Password checks the device saw: none means no credential was sent."""
    return [e.text for e in device.transcript if e.text.startswith("auth ")]


def _keygen_find(name: str, path) -> str:
    found = subprocess.run(["ssh-keygen", "-F", name, "-f", str(path)], capture_output=True, text=True,
                           timeout=30)
    assert found.returncode == 0, (name, found.stdout, found.stderr, path.read_text())
    return found.stdout


@pytest.fixture
def password(lab, monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_first_connection_records_the_devices_key_where_openssh_finds_it(lab, lab_inventory, password,
                                                                              transport):
    known = lab_inventory / "known_hosts"
    known.write_text("")   # nothing known yet
    _settings(lab_inventory, transport, known_hosts="known_hosts", accept_new_host_keys=True)
    port = lab.ports["xr-1"]
    kind, b64 = _lab_key(lab)

    _connect(lab_inventory, "xr-1", transport)
    assert known.read_text() == f"[127.0.0.1]:{port} {kind} {b64}\n"
    assert f"[127.0.0.1]:{port} {kind} {b64}" in _keygen_find(f"[127.0.0.1]:{port}", known)

    _connect(lab_inventory, "xr-1", transport)   # verified against the record, not recorded again
    assert known.read_text() == f"[127.0.0.1]:{port} {kind} {b64}\n"


@pytest.mark.parametrize("transport", ["netmiko", "netconf"])
def test_a_new_file_is_created_0600_in_the_state_folder_or_where_configured(lab, lab_inventory, password,
                                                                           monkeypatch, tmp_path, transport):
    state = tmp_path / "state"
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(state))
    _settings(lab_inventory, transport, accept_new_host_keys=True)   # no known_hosts configured
    _connect(lab_inventory, "xr-1", transport)
    own = state / "known_hosts"
    assert stat.S_IMODE(own.stat().st_mode) == 0o600
    _keygen_find(f"[127.0.0.1]:{lab.ports['xr-1']}", own)

    _settings(lab_inventory, transport, known_hosts="keys/known_hosts", accept_new_host_keys=True)
    _connect(lab_inventory, "junos-1", transport)
    configured = lab_inventory / "keys" / "known_hosts"
    assert stat.S_IMODE(configured.stat().st_mode) == 0o600
    assert stat.S_IMODE(configured.parent.stat().st_mode) == 0o700
    _keygen_find(f"[127.0.0.1]:{lab.ports['junos-1']}", configured)
    assert f"]:{lab.ports['junos-1']} " not in own.read_text()


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh", "netconf"])
def test_a_changed_key_is_refused_with_both_fingerprints_and_how_to_drop_the_stale_entry(
        lab, lab_inventory, password, transport):
    known = lab_inventory / "known_hosts"
    known.write_text("")
    _settings(lab_inventory, transport, known_hosts="known_hosts", accept_new_host_keys=True)
    port = lab.ports["junos-1"]
    _connect(lab_inventory, "junos-1", transport)
    kind, real = _lab_key(lab)
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[1]
    known.write_text(known.read_text().replace(real, other))   # as if the device had been re-keyed
    recorded = known.read_text()
    device = lab.device("junos-1")
    logins_before = len(_logins(device))

    with pytest.raises(TransportError) as refused:
        _connect(lab_inventory, "junos-1", transport)
    error = str(refused.value)
    assert error.startswith(f"junos-1: cannot connect to 127.0.0.1:{port}: host key not trusted"), error
    assert f"[127.0.0.1]:{port}" in error and kind in error, error
    assert _fingerprint(real) in error and _fingerprint(other) in error, error
    assert "accept_new" not in error, error
    assert len(_logins(device)) == logins_before   # refused before the password went out
    assert known.read_text() == recorded           # the record is not overwritten

    # the advice works: drop the stale entry as told, and the next connection records anew
    removal = re.search(r"`(ssh-keygen -R [^`]+)`", error).group(1)
    subprocess.run(removal, shell=True, check=True, capture_output=True, timeout=30)
    assert other not in known.read_text()
    _connect(lab_inventory, "junos-1", transport)
    assert f"[127.0.0.1]:{port} {kind} {real}" in _keygen_find(f"[127.0.0.1]:{port}", known)


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh-loop", "netconf"])
def test_an_unknown_key_stays_refused_without_accept_new_host_keys(lab, lab_inventory, password, transport):
    known = lab_inventory / "known_hosts"
    known.write_text("")
    _settings(lab_inventory, transport, known_hosts="known_hosts")
    port = lab.ports["xr-1"]
    with pytest.raises(TransportError) as refused:
        _connect(lab_inventory, "xr-1", transport)
    error = str(refused.value)
    assert error.startswith(f"xr-1: cannot connect to 127.0.0.1:{port}: host key not trusted"), error
    assert f"ssh-keyscan -p {port} 127.0.0.1 >> {known}" in error, error
    assert "ssh.accept_new_host_keys" in error and _fingerprint(_lab_key(lab)[1]) in error, error
    assert known.read_text() == "" and not _logins(lab.device("xr-1"))


@pytest.fixture
def big_lab(tmp_path):
    running = Lab(devices=8, time_scale=0.01).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh", "netconf"])
def test_oamkit_diff_records_every_host_of_a_concurrent_first_run_then_refuses_a_changed_one(
        big_lab, tmp_path, transport):
    inventory = big_lab.write_inventory(tmp_path / "inventory")
    known = inventory / "known_hosts"
    known.write_text("")
    _settings(inventory, transport, known_hosts="known_hosts", accept_new_host_keys=True)
    env = {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "OAMKIT_LAB_PASSWORD": big_lab.password}

    def diff() -> tuple[int, dict]:
        run = subprocess.run([sys.executable, "-m", "oamkit.cli", "diff", "-i", str(inventory), "--json",
                              "--workers", "8"], capture_output=True, text=True, env=env, timeout=300)
        assert run.stdout, run.stderr
        return run.returncode, {h["host"]: h for h in json.loads(run.stdout)["hosts"]}

    code, hosts = diff()
    assert code == 0 and all(h["outcome"] != "error" for h in hosts.values()), hosts
    kind, b64 = _lab_key(big_lab)
    lines = known.read_text().splitlines()
    assert sorted(lines) == sorted(f"[127.0.0.1]:{port} {kind} {b64}" for port in big_lab.ports.values())
    for port in big_lab.ports.values():
        _keygen_find(f"[127.0.0.1]:{port}", known)

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[1]
    port = big_lab.ports["xr-2"]
    known.write_text(known.read_text().replace(f"]:{port} {kind} {b64}", f"]:{port} {kind} {other}"))
    code, hosts = diff()
    assert code != 0 and hosts["xr-2"]["outcome"] == "error", hosts
    error = hosts["xr-2"]["error"]
    assert _fingerprint(b64) in error and _fingerprint(other) in error and "accept_new" not in error, error
    assert all(h["outcome"] != "error" for name, h in hosts.items() if name != "xr-2"), hosts


def _record_many(path, keys) -> None:
    known = KnownHostsFile(path)   # a process of its own: its own locks and queue
    threads = [threading.Thread(target=known.record, args=(name, key)) for name, key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_writers_in_threads_and_processes_lose_no_entry(tmp_path):
    path = tmp_path / "known_hosts"
    path.write_text("existing.example ssh-ed25519 "
                    + asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[1]
                    + "\n")
    key = paramiko.PKey.from_type_string("ssh-ed25519", asyncssh.generate_private_key("ssh-ed25519").public_data)
    batches = [[(f"[10.0.{proc}.{i}]:830", key) for i in range(24)] for proc in range(3)]
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_record_many, args=(path, batch)) for batch in batches[1:]]
    for child in children:
        child.start()
    _record_many(path, batches[0])
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    names = [line.split()[0] for line in path.read_text().splitlines()]
    assert names[0] == "existing.example"
    assert sorted(names[1:]) == sorted(name for batch in batches for name, _ in batch)
    assert not [p for p in tmp_path.iterdir() if p.name != "known_hosts"]   # no temp file left


def test_a_key_another_process_recorded_meanwhile_is_verified_not_appended_again(tmp_path):
    from oamkit.transport.hostkeys import HostKeyRefused

    path = tmp_path / "known_hosts"
    first, second = (paramiko.PKey.from_type_string(
        "ssh-ed25519", asyncssh.generate_private_key("ssh-ed25519").public_data) for _ in range(2))
    ours = KnownHostsFile(path)
    assert ours.index().lookup("[10.0.0.1]:22") == {}   # what we saw before the other writer
    KnownHostsFile(path).record("[10.0.0.1]:22", first)   # another process, its own instance
    with pytest.raises(HostKeyRefused) as refused:
        ours.record("[10.0.0.1]:22", second)
    assert first.fingerprint in str(refused.value) and second.fingerprint in str(refused.value)
    ours.record("[10.0.0.1]:22", first)
    assert path.read_text().count("[10.0.0.1]:22 ") == 1


def _push_loading(inventory, env, *args) -> tuple[subprocess.CompletedProcess, dict, set[str]]:
    """`oamkit push` in a fresh interpreter: the run, its hosts, the modules it had loaded at exit."""
    argv = ["oamkit", "push", "-i", str(inventory), "--json", "--confirm-timeout", "600", *args]
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n'))\n"
            f"sys.argv = {argv!r}\n"
            "from oamkit.cli import main\n"
            "main()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    modules = [ln for ln in run.stderr.splitlines() if ln.startswith("MODULES ")]
    assert run.stdout and modules, run.stderr
    return run, {h["host"]: h for h in json.loads(run.stdout)["hosts"]}, set(modules[-1].split()[1:])


def test_a_push_on_asyncssh_records_new_keys_and_refuses_a_changed_one_without_paramiko(
        lab, lab_inventory, tmp_path):
    """Issue #20: the host-key policy works on the asyncssh driver without paramiko loaded
    (~100 ms of every start-up), and still verifies keys before any password is sent."""
    known = lab_inventory / "known_hosts"
    known.write_text("")
    _settings(lab_inventory, "asyncssh", known_hosts="known_hosts", accept_new_host_keys=True)
    env = {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "OAMKIT_LAB_PASSWORD": lab.password}
    kind, b64 = _lab_key(lab)

    run, hosts, modules = _push_loading(lab_inventory, env, "--limit", "ios-1,xr-1")
    assert run.returncode == 0 and all(h["outcome"] != "error" for h in hosts.values()), hosts
    assert sorted(known.read_text().splitlines()) == sorted(
        f"[127.0.0.1]:{lab.ports[name]} {kind} {b64}" for name in ("ios-1", "xr-1"))
    assert "asyncssh" in modules and not [m for m in modules if m.split(".")[0] == "paramiko"]

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[1]
    port = lab.ports["xr-1"]
    known.write_text(known.read_text().replace(f"]:{port} {kind} {b64}", f"]:{port} {kind} {other}"))
    logins = len(_logins(lab.device("xr-1")))
    run, hosts, modules = _push_loading(lab_inventory, env, "--limit", "ios-1,xr-1")
    assert run.returncode != 0 and hosts["xr-1"]["outcome"] == "error", hosts
    error = hosts["xr-1"]["error"]
    assert "host key not trusted" in error and "does not match" in error, error
    assert _fingerprint(b64) in error and _fingerprint(other) in error, error
    assert hosts["ios-1"]["outcome"] != "error", hosts
    assert len(_logins(lab.device("xr-1"))) == logins   # refused before any password was sent
    assert f"]:{port} {kind} {other}" in known.read_text()   # the record is left as it was
    assert not [m for m in modules if m.split(".")[0] == "paramiko"]
