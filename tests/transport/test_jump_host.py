"""Jump hosts (`ssh.jump_host: user@host:port`) on every transport, through a real OpenSSH sshd
acting as the bastion (127.0.0.1, its own port, config, host key and authorized key; run by the
test, never the system's). The bastion may only forward to the devices it is told to
(`PermitOpen`): a device it does not permit is unreachable through it, which proves the
sessions really go through the bastion (a direct connection would not care), and its log shows
each forwarded channel."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

from oamkit.inventory import Inventory
from oamkit.transport.netconf import NetconfSession
from oamkit.transport.ssh import SshSession, TransportError
from tests.transport.slowlink import SlowLink
from tests.transport.test_connect import _opened

pytestmark = [pytest.mark.lab, pytest.mark.timeout(240)]

SSHD = "/usr/sbin/sshd"
TRANSPORTS = ["netmiko", "asyncssh", "asyncssh-loop", "netconf"]

if not os.path.exists(SSHD):   # installed by `scripts/install.sh --test` (openssh-server)
    pytest.skip("no OpenSSH server: run scripts/install.sh --test", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(path)],
                   check=True, timeout=30)
    return path.with_suffix(".pub").read_text().strip()


class Bastion:
    """An OpenSSH sshd on 127.0.0.1 that lets `root` in with one key and forwards only to
    `permit_open` ("127.0.0.1:PORT" each)."""

    def __init__(self, folder: Path, permit_open: list[str], forwarding: str = "yes"):
        folder.mkdir(parents=True)
        self.folder, self.port, self.user = folder, _free_port(), "root"
        self.host_key_line = _keygen(folder / "host_ed25519")
        self.client_key = folder / "client_ed25519"
        (folder / "authorized_keys").write_text(_keygen(self.client_key) + "\n")
        self.log = folder / "sshd.log"
        (folder / "sshd_config").write_text("\n".join([
            f"ListenAddress 127.0.0.1:{self.port}", f"HostKey {folder}/host_ed25519",
            f"PidFile {folder}/sshd.pid", f"AuthorizedKeysFile {folder}/authorized_keys",
            "AllowUsers root", "PermitRootLogin prohibit-password", "PubkeyAuthentication yes",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
            "StrictModes no", f"AllowTcpForwarding {forwarding}", "PermitTTY no", "X11Forwarding no",
            "AllowAgentForwarding no", "LogLevel DEBUG1",
            "PermitOpen " + (" ".join(permit_open) or "none"), ""]))
        os.makedirs("/run/sshd", exist_ok=True)   # sshd's privilege separation folder
        self.process = subprocess.Popen([SSHD, "-D", "-f", str(folder / "sshd_config"), "-E", str(self.log)])
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"sshd did not start: {self.log.read_text() if self.log.exists() else ''}")
                time.sleep(0.05)

    @property
    def jump_host(self) -> str:
        return f"{self.user}@127.0.0.1:{self.port}"

    def known_hosts_line(self) -> str:
        kind, b64 = self.host_key_line.split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {b64}\n"

    def forwarded_to(self) -> list[int]:
        """The ports sshd opened direct-tcpip channels to (its log, DEBUG1)."""
        return [int(p) for p in re.findall(r"server_request_direct_tcpip: originator \S* ?port \d+, "
                                           r"target 127\.0\.0\.1 port (\d+)", self.log.read_text())]

    def logins(self) -> int:
        return self.log.read_text().count("Accepted publickey for root")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def bastion(lab, tmp_path):
    """A bastion that forwards to every lab device but junos-1."""
    running = Bastion(tmp_path / "bastion", [f"127.0.0.1:{port}" for name, port in lab.ports.items()
                                            if name != "junos-1"])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home folder without keys and no ssh-agent: each test says where the bastion key is."""
    folder = tmp_path / "home"
    (folder / ".ssh").mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return folder


@pytest.fixture
def inventory(lab, lab_inventory, bastion, home, monkeypatch):
    """The lab inventory with every host behind the bastion (its key in known_hosts, the key
    to log in with in jump_key_file)."""
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    with open(lab_inventory / "known_hosts", "a") as known:
        known.write(bastion.known_hosts_line())
    _set_ssh(lab_inventory, jump_host=bastion.jump_host, jump_key_file=str(bastion.client_key))
    return lab_inventory


def _set_ssh(inventory_dir: Path, transport: str | None = None, **ssh) -> None:
    """Merge `ssh` into defaults' data.ssh; with `transport`, every host on it (as in
    test_trust_on_first_use: NETCONF where the platform speaks it)."""
    defaults_file = inventory_dir / "defaults.yaml"
    defaults = yaml.safe_load(defaults_file.read_text())
    defaults["data"]["ssh"].update(ssh)
    if transport and transport != "netconf":
        defaults["data"]["ssh"]["driver"] = transport.removesuffix("-loop")
    defaults_file.write_text(yaml.safe_dump(defaults, sort_keys=False))
    if transport:
        hosts_file = inventory_dir / "hosts.yaml"
        hosts = yaml.safe_load(hosts_file.read_text())
        for host in hosts.values():
            netconf = transport == "netconf" and host["platform"] in ("cisco_xr", "juniper_junos")
            host["data"]["transport"] = "netconf" if netconf else "ssh"
        hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))


def _open(inventory_dir: Path, name: str, transport: str):
    inv = Inventory.load(inventory_dir)
    (host,) = inv.select(limit=name)
    if transport == "netconf":
        return NetconfSession.open(inv, host, time.monotonic() + 30)
    return _opened(transport, lambda: SshSession.open(inv, host, time.monotonic() + 30))


def _connections_to(port: int) -> list:
    return [c for c in psutil.Process().net_connections("tcp")
            if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED]


def _wait_until(predicate, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _error(inventory_dir: Path, name: str, transport: str) -> str:
    with pytest.raises(TransportError) as refused:
        session = _open(inventory_dir, name, transport)
        session.close()
    return str(refused.value)


def _what_happened(run: subprocess.CompletedProcess, lab, hosts: list[str], bastion: Bastion) -> str:
    """A failed run's output with what each device and the bastion saw (a session that ended
    once in CI, not here: who closed it?)."""
    seen = [f"- {name} (last transcript entries):\n" + "\n".join(
        f"  {e.session_id} {e.channel} {e.direction} {e.text[:120]!r}"
        for e in lab.devices[name].transcript[-25:]) for name in hosts]
    return "\n".join([run.stdout[-2500:], run.stderr[-1500:], *seen,
                      "- bastion sshd log (end):", bastion.log.read_text()[-2500:]])


def _logins(device) -> list[str]:
    return [e.text for e in device.transcript if e.text.startswith("auth ")]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_session_goes_through_the_bastion_and_closes_it_with_itself(lab, inventory, bastion, transport):
    _set_ssh(inventory, transport)
    port = lab.ports["xr-1"]
    session = _open(inventory, "xr-1", transport)
    try:
        assert bastion.forwarded_to() == [port]
        assert len(_connections_to(bastion.port)) == 1
        if transport == "netconf":
            assert session.supports("candidate")
        else:
            assert "hostname xr-1" in session.show("show running-config")
    finally:
        session.close()
    assert _wait_until(lambda: not _connections_to(bastion.port)), "the bastion connection stayed open"


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh", "netconf"])
def test_sessions_at_once_share_one_bastion_login(lab, inventory, bastion, transport):
    # a login per device would hit sshd's MaxStartups on a fleet (default 10:30:100: 8 of 40
    # hosts at once were refused, "Error reading SSH protocol banner")
    _set_ssh(inventory, transport)
    names = ["ios-1", "xr-1", "vrp-1"]   # xr-1 on NETCONF with "netconf", the others on netmiko
    sessions, errors = {}, []

    def open_one(name):
        try:
            sessions[name] = _open(inventory, name, transport)
        except Exception as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert not errors, errors
        assert sorted(bastion.forwarded_to()) == sorted(lab.ports[name] for name in names)
        assert bastion.logins() == 1
        assert len(_connections_to(bastion.port)) == 1
    finally:
        for session in sessions.values():
            session.close()
    assert _wait_until(lambda: not _connections_to(bastion.port)), "the bastion connection stayed open"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_device_the_bastion_does_not_forward_to_is_unreachable_through_it(lab, inventory, bastion,
                                                                           transport):
    # junos-1 answers on 127.0.0.1 directly; only the bastion's PermitOpen keeps it out of reach
    name = "junos-1"
    _set_ssh(inventory, transport)
    message = _error(inventory, name, transport)
    assert message.startswith(f"{name}: jump host {bastion.jump_host}: the jump host refused to forward to "
                              f"127.0.0.1:{lab.ports[name]}: "), message
    assert not _logins(lab.devices[name])
    assert _wait_until(lambda: not _connections_to(bastion.port)), "the bastion connection stayed open"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_changed_bastion_key_is_refused_before_logging_in(lab, inventory, bastion, transport, tmp_path):
    _set_ssh(inventory, transport)
    other = _keygen(tmp_path / "other_ed25519").split()
    known = inventory / "known_hosts"
    known.write_text(known.read_text().replace(bastion.known_hosts_line(),
                                               f"[127.0.0.1]:{bastion.port} {other[0]} {other[1]}\n"))
    message = _error(inventory, "xr-1", transport)
    assert message.startswith(f"xr-1: jump host {bastion.jump_host}: host key not trusted: the ssh-ed25519 "
                              f"key offered by [127.0.0.1]:{bastion.port}"), message
    assert "does not match" in message and "ssh-keygen -R" in message
    assert "Accepted publickey" not in bastion.log.read_text()
    assert not bastion.forwarded_to() and not _logins(lab.devices["xr-1"])


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh", "netconf"])
def test_an_unknown_bastion_is_refused_or_trusted_on_first_use_like_a_device(lab, inventory, bastion,
                                                                            transport):
    _set_ssh(inventory, transport)
    known = inventory / "known_hosts"
    devices_only = known.read_text().replace(bastion.known_hosts_line(), "")
    known.write_text(devices_only)
    message = _error(inventory, "xr-1", transport)
    assert f"xr-1: jump host {bastion.jump_host}: host key not trusted: [127.0.0.1]:{bastion.port} " \
           "not found in known_hosts" in message, message
    # the key is the bastion's, not "the device"'s (one host-key policy serves both)
    assert f"([127.0.0.1]:{bastion.port} offered ssh-ed25519 SHA256:" in message, message
    assert "the device" not in message, message

    _set_ssh(inventory, accept_new_host_keys=True)
    _open(inventory, "xr-1", transport).close()
    assert known.read_text() == devices_only + bastion.known_hosts_line()


def _agent(home: Path, key: Path, monkeypatch) -> subprocess.Popen:
    sock = home / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        assert _wait_until(sock.exists, 10)
        subprocess.run(["ssh-add", "-q", str(key)], env={**os.environ, "SSH_AUTH_SOCK": str(sock)},
                       check=True, timeout=30, capture_output=True)
    except BaseException:   # the caller's finally only stops an agent it was handed
        agent.terminate()
        agent.wait(10)
        raise
    monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
    return agent


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("key_from", ["agent", "home", "nowhere"])
def test_the_bastion_login_uses_the_agent_or_the_default_keys(lab, inventory, bastion, home, transport,
                                                              key_from, monkeypatch):
    _set_ssh(inventory, transport, jump_key_file=None)
    agent = None
    if key_from == "agent":
        agent = _agent(home, bastion.client_key, monkeypatch)
    elif key_from == "home":
        (home / ".ssh" / "id_ed25519").write_bytes(bastion.client_key.read_bytes())
        os.chmod(home / ".ssh" / "id_ed25519", 0o600)
    try:
        if key_from == "nowhere":
            message = _error(inventory, "xr-1", transport)
            assert message == f"xr-1: jump host {bastion.jump_host}: authentication failed for user 'root' " \
                              "(keys tried: jump_key_file, ssh-agent, ~/.ssh default keys)"
            assert not bastion.forwarded_to()
        else:
            _open(inventory, "xr-1", transport).close()
            assert bastion.forwarded_to() == [lab.ports["xr-1"]]
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait(10)


class SilentServer:
    """Accepts TCP connections and never says anything (a bastion that hangs before its banner)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self):
        self.listener.close()
        for conn in self.accepted:
            conn.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_bastion_that_does_not_answer_fails_at_the_timeout_naming_it(lab, inventory, transport):
    silent = SilentServer()
    try:
        _set_ssh(inventory, transport, jump_host=f"root@127.0.0.1:{silent.port}", timeout=1)
        started = time.monotonic()
        message = _error(inventory, "xr-1", transport)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert message.startswith(f"xr-1: jump host root@127.0.0.1:{silent.port}: "), message
    assert silent.accepted, "nothing connected to the bastion"
    assert elapsed < 10, elapsed   # the 1 s timeout (each step), not the 30 s deadline or forever
    assert not _logins(lab.devices["xr-1"])


def _through_a_slow_bastion(inventory: Path, bastion: Bastion, transport: str):
    """The inventory pointed at `bastion` through a relay that makes every answer after its SSH
    version 1.2 s late (timeout 4 s): (the relay, to close; the loaded inventory; the session
    opener of `transport`)."""
    link = SlowLink(bastion.port, 1.2, bastion.known_hosts_line())
    with open(inventory / "known_hosts", "a") as known:
        known.write(link.known_hosts_line())
    _set_ssh(inventory, transport, jump_host=f"root@127.0.0.1:{link.port}", timeout=4)
    return link, Inventory.load(inventory), NetconfSession.open if transport == "netconf" else SshSession.open


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_slow_bastion_ends_the_opening_at_the_deadline_though_no_step_times_out(lab, inventory, bastion,
                                                                                  transport):
    # Every answer of the bastion after its SSH version 1.2 s late (a busy bastion, a long
    # path to it): each of paramiko's steps (key exchange, each key's authentication, the
    # device's channel) within the 4 s timeout, all of them together past the 3 s deadline.
    # paramiko's bastion login went on for each step's timeout after the deadline.
    link, inv, opener = _through_a_slow_bastion(inventory, bastion, transport)
    try:
        (host,) = inv.select(limit="xr-1")
        started = time.monotonic()
        with pytest.raises(TransportError) as ended:
            _opened(transport, lambda: opener(inv, host, time.monotonic() + 3)).close()
        elapsed = time.monotonic() - started
    finally:
        link.close()
    assert link.connections == 1
    assert str(ended.value).startswith(f"xr-1: jump host root@127.0.0.1:{link.port}: "), str(ended.value)
    assert str(ended.value).endswith(" before the deadline"), str(ended.value)
    assert elapsed < 4, elapsed
    assert not _logins(lab.devices["xr-1"])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_bastion_that_refuses_the_connection_is_named(lab, inventory, transport):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]   # nothing listens here once the socket is closed
    _set_ssh(inventory, transport, jump_host=f"root@127.0.0.1:{port}")
    assert _error(inventory, "xr-1", transport) == \
        f"xr-1: jump host root@127.0.0.1:{port}: cannot connect to 127.0.0.1:{port}: Connection refused"


def _oamkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True, text=True,
                          timeout=200)


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh", "netconf"])
def test_oamkit_push_then_collect_through_the_bastion(lab, inventory, bastion, transport):
    _set_ssh(inventory, transport)
    hosts = ["ios-1", "xr-1", "vrp-1"]   # the bastion does not forward to junos-1
    push = _oamkit("push", "-i", str(inventory), "--limit", ",".join(hosts), "--timeout", "60", "--json")
    assert push.returncode == 0, _what_happened(push, lab, hosts, bastion)
    outcomes = {h["host"]: h["outcome"] for h in json.loads(push.stdout)["hosts"]}
    assert outcomes == {name: "changed" for name in hosts}
    assert all(_logins(lab.devices[name]) for name in hosts)
    assert set(bastion.forwarded_to()) == {lab.ports[name] for name in hosts}
    assert lab.password not in push.stdout + push.stderr + bastion.log.read_text()

    collect = _oamkit("collect", "-i", str(inventory), "--limit", ",".join(hosts), "--json")
    assert collect.returncode == 0, collect.stdout[-2000:] + collect.stderr[-2000:]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_session_waiting_for_another_ones_bastion_login_gives_up_at_its_own_deadline(lab, inventory, bastion,
                                                                                       transport):
    # The first session logs in to a slow bastion (each answer 1.2 s late) and holds the shared
    # connection's lock until its deadline (3.5 s); the second, due 1 s after it starts, waits
    # for that login and gives up at its own deadline, saying so (it said "before the timeout":
    # the wait on the lock was bounded by the 4 s timeout; only the whole opening's bound ended
    # it at the deadline).
    link, inv, opener = _through_a_slow_bastion(inventory, bastion, transport)
    try:
        hosts = {name: inv.select(limit=name)[0] for name in ("ios-1", "vrp-1")}
        ended: dict[str, tuple[float, str]] = {}

        def open_one(name: str, due_in: float) -> None:
            started = time.monotonic()
            try:
                _opened(transport, lambda: opener(inv, hosts[name], started + due_in)).close()
                ended[name] = (time.monotonic() - started, "opened")
            except TransportError as exc:
                ended[name] = (time.monotonic() - started, str(exc))

        first = threading.Thread(target=open_one, args=("ios-1", 3.5))
        first.start()
        time.sleep(0.3)   # the first session holds the lock, logging in
        open_one("vrp-1", 1.0)
        first.join(30)
    finally:
        link.close()
    seconds, message = ended["vrp-1"]
    assert message == (f"vrp-1: jump host root@127.0.0.1:{link.port}: SSH to the jump host failed: "
                       "no connection before the deadline (another session was opening it)"), ended
    assert seconds < 2.8, ended   # its own deadline (1 s), not the first session's end (3.2 s)
    assert ended["ios-1"][1].endswith(" before the deadline"), ended
    assert link.connections == 1


def test_library_log_records_reach_stderr_only_with_debug(lab, inventory):
    # paramiko logs a bastion's missing banner (and the traceback) through its logger; nothing
    # in oamkit handled that logger, so Python's last-resort handler printed it to stderr: into
    # cron mail and Nagios long output, after the correct result line
    silent = SilentServer()
    try:
        _set_ssh(inventory, jump_host=f"root@127.0.0.1:{silent.port}", timeout=1)
        args = ("check", "-i", str(inventory), "--limit", "ios-1", "--format", "nagios", "--timeout", "8")
        quiet, debug = _oamkit(*args), _oamkit(*args, "--debug")
    finally:
        silent.close()
    assert quiet.stdout.startswith("OAMKIT UNKNOWN"), quiet.stdout
    assert f"jump host root@127.0.0.1:{silent.port}" in quiet.stdout, quiet.stdout
    assert quiet.stderr == "", quiet.stderr
    assert "paramiko.transport" in debug.stderr, debug.stderr   # through oamkit's --debug logging


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh"])
def test_losing_the_bastion_mid_read_names_the_jump_host_not_each_device(lab, inventory, bastion, transport):
    # The bastion's connection dies (its sshd child killed) while three slow devices are each
    # answering `show running-config`: every session ends at once, and each was reported as
    # "the device closed the session", sending on-call to three devices instead of the bastion.
    names = ["ios-1", "xr-1", "vrp-1"]
    _set_ssh(inventory, transport)
    for name in names:
        lab.set_faults(name, command_delay=1)
    check = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "check", "-i", str(inventory),
                              "--limit", ",".join(names), "--timeout", "60", "--format", "nagios"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def reading() -> bool:
            return all(any(c.strip().startswith(("show run", "display cur")) for c in lab.devices[n].commands())
                       for n in names)

        assert _wait_until(reading, 60), "the devices were never asked for their configuration"
        for child in psutil.Process(bastion.process.pid).children(recursive=True):
            child.kill()   # the connection's sshd processes; the listening sshd stays
        out, err = check.communicate(timeout=120)
    finally:
        if check.poll() is None:
            check.kill()
            check.communicate()
    lines = [line for line in out.splitlines() if line.startswith("UNKNOWN: ")]
    assert len(lines) == 3, out + err
    for name in names:
        assert any(line.startswith(f"UNKNOWN: {name} - reachable: cannot read the device: {name}: the "
                                   f"connection to jump host {bastion.jump_host} was lost during '")
                   for line in lines), out
    assert "closed the session" not in out


def test_hosts_refused_at_once_each_get_the_bastions_reason(lab, inventory, tmp_path):
    # paramiko keeps one refusal per connection for all its channels: of channels refused at
    # once through one bastion, some hosts got another's reason, the others "SSHException:
    # Unable to open channel."; and an unresolvable name said only "Connect failed"
    closed = Bastion(tmp_path / "no-forwarding", [], forwarding="no")
    try:
        with open(inventory / "known_hosts", "a") as known:
            known.write(closed.known_hosts_line())
        _set_ssh(inventory, jump_host=closed.jump_host, jump_key_file=str(closed.client_key))
        names = ["ios-1", "xr-1", "junos-1", "vrp-1"]
        diff = _oamkit("diff", "-i", str(inventory), "--limit", ",".join(names), "--json")
    finally:
        closed.stop()
    errors = {h["host"]: h.get("error", "") for h in json.loads(diff.stdout)["hosts"]}
    assert sorted(errors) == sorted(names), diff.stdout
    for name in names:
        assert errors[name] == (f"{name}: jump host {closed.jump_host}: the jump host refused to forward "
                                f"to 127.0.0.1:{lab.ports[name]}: Administratively prohibited"), errors


def test_a_name_the_bastion_cannot_resolve_is_said_with_its_reason(lab, inventory, tmp_path):
    anywhere = Bastion(tmp_path / "permit-any", ["any"])   # sshd resolves, and fails to
    try:
        with open(inventory / "known_hosts", "a") as known:
            known.write(anywhere.known_hosts_line())
        _set_ssh(inventory, jump_host=anywhere.jump_host, jump_key_file=str(anywhere.client_key))
        hosts_file = inventory / "hosts.yaml"
        hosts = yaml.safe_load(hosts_file.read_text())
        hosts["ios-1"]["hostname"] = "no-such-host.invalid"   # RFC 6761: never resolves
        hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
        diff = _oamkit("diff", "-i", str(inventory), "--limit", "ios-1", "--json")
    finally:
        anywhere.stop()
    (host,) = json.loads(diff.stdout)["hosts"]
    prefix = (f"ios-1: jump host {anywhere.jump_host}: the jump host refused to forward to "
              f"no-such-host.invalid:{lab.ports['ios-1']}: Connect failed (")
    assert host["error"].startswith(prefix), host["error"]   # then the bastion's resolver's words


def test_losing_the_bastion_under_a_netconf_session_names_the_jump_host(lab, inventory, bastion):
    # as over the CLI (test_losing_the_bastion_mid_read_...): the device is not the one to blame
    _set_ssh(inventory, "netconf")
    session = _open(inventory, "xr-1", "netconf")
    try:
        for child in psutil.Process(bastion.process.pid).children(recursive=True):
            child.kill()   # the connection's sshd processes; the listening sshd stays
        assert _wait_until(session.tunnel.lost), "the bastion connection did not end"
        with pytest.raises(TransportError) as lost:
            session.get_config("running", None)
    finally:
        session.close()
    assert str(lost.value) == f"xr-1: the connection to jump host {bastion.jump_host} was lost during get-config"


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh"])
def test_the_next_command_after_losing_the_bastion_names_the_jump_host(lab, inventory, bastion, transport):
    # The bastion went between two commands (CI caught vrp-1 there once): the write of the next
    # one fails on the closed channel, and said "writing to the device failed: OSError: Socket
    # is closed", blaming the device.
    _set_ssh(inventory, transport)
    session = _open(inventory, "vrp-1", transport)
    try:
        for child in psutil.Process(bastion.process.pid).children(recursive=True):
            child.kill()   # the connection's sshd processes; the listening sshd stays
        assert _wait_until(lambda: session.conn.jump_lost() and not session.conn.is_active()), \
            "the bastion connection did not end"
        with pytest.raises(TransportError) as lost:
            session.show("display interface")
    finally:
        session.close()
    assert str(lost.value) == (f"vrp-1: the connection to jump host {bastion.jump_host} was lost during "
                               f"'display interface'")
