"""A device that logs us in and then never answers a channel request (the pseudo-terminal or
shell for the CLI, the `netconf` subsystem for NETCONF). paramiko waits for those answers
without any timeout; the host's deadline must still end the session's opening, and the
worker thread with it (a thread left waiting would hold the process at exit: a scheduled
check that never ends).

The device is paramiko's own SSH server (not our lab: asyncssh's server answers those
requests itself), holding its answer until the test ends."""
from __future__ import annotations

import re
import socket
import threading
import time

import paramiko
import pytest
import yaml

from oamkit.inventory import Inventory
from oamkit.transport.netconf import NetconfSession
from oamkit.transport.ssh import SshSession, TransportError
from tests.transport.slowlink import SlowLink
from tests.transport.test_jump_host import SilentServer


class _Mute(paramiko.ServerInterface):
    """Logs anyone in; holds its answer to `hang_on` ("pty" or "subsystem") until released."""

    def __init__(self, hang_on: str, release: threading.Event):
        self.hang_on, self.release = hang_on, release

    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED

    def check_channel_pty_request(self, channel, term, width, height, pixelwidth, pixelheight, modes):
        if self.hang_on == "pty":
            self.release.wait(120)
        return True

    def check_channel_shell_request(self, channel):
        if self.hang_on == "configuring":
            threading.Thread(target=_terminal_until_configure, args=(channel,), daemon=True).start()
        return True

    def check_channel_subsystem_request(self, channel, name):
        if self.hang_on == "subsystem":
            self.release.wait(120)
            return False
        if self.hang_on == "reading":   # a NETCONF server that says hello, then reads nothing
            channel.sendall(HELLO)
            return True
        return False


HELLO = (b'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
         b"<capabilities><capability>urn:ietf:params:netconf:base:1.0</capability>"
         b"<capability>urn:ietf:params:netconf:capability:candidate:1.0</capability>"
         b"<capability>urn:ietf:params:netconf:capability:rollback-on-error:1.0</capability></capabilities>"
         b"<session-id>7</session-id></hello>]]>]]>")


def _terminal_until_configure(channel):
    """An IOS terminal that answers every line with its prompt until `configure terminal`,
    then hangs: it reads nothing more, so its SSH window fills."""
    channel.sendall(b"ios-1#")
    pending = b""
    while True:
        data = channel.recv(1024)
        if not data:
            return
        pending += data
        while b"\r" in pending or b"\n" in pending:
            line, pending = re.split(rb"\r\n|\r|\n", pending, maxsplit=1)
            if line.strip() == b"configure terminal":
                channel.sendall(line + b"\r\nEnter configuration commands, one per line.\r\nios-1(config)#")
                return   # the CLI process hangs here; the channel stays open
            channel.sendall(line + b"\r\nios-1#")


class _MuteDevice:
    def __init__(self, hang_on: str):
        self.key = paramiko.ECDSAKey.generate()
        self.release = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.transports: list[paramiko.Transport] = []
        self.hang_on = hang_on
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            # a small receive window, as many devices advertise: full after 32 KiB unread
            # (4 KiB for the terminal, as small embedded SSH servers advertise)
            window = 4096 if self.hang_on == "configuring" else 32768
            transport = paramiko.Transport(conn, default_window_size=window)
            transport.add_server_key(self.key)
            self.transports.append(transport)
            transport.start_server(server=_Mute(self.hang_on, self.release))

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.key.get_name()} {self.key.get_base64()}\n"

    def close(self):
        self.release.set()
        self.server.close()
        for transport in self.transports:
            transport.close()


@pytest.fixture
def mute(request):
    device = _MuteDevice(request.param)
    yield device
    device.close()


def _host_on(device, lab_inventory, name: str, **data):
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts[name]["port"] = device.port
    hosts[name]["data"].update(data)
    hosts[name]["data"].setdefault("netconf", {})["port"] = device.port
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    if hasattr(device, "known_hosts_line"):   # a device that never gets to its host key has none
        with open(lab_inventory / "known_hosts", "a") as known:
            known.write(device.known_hosts_line())
    inv = Inventory.load(lab_inventory)
    (host,) = inv.select(limit=name)
    return inv, host


def _opening_ends(open_session, within: float) -> BaseException:
    """Run the opening on a thread (as the fleet does); it must end, with an error, in time."""
    outcome: list[BaseException | object] = []

    def run():
        try:
            outcome.append(open_session())
        except BaseException as exc:   # noqa: BLE001 - the test looks at it
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(within)
    assert not worker.is_alive(), f"still waiting {time.monotonic() - started:.0f} s after the start"
    assert isinstance(outcome[0], TransportError), outcome
    return outcome[0]


@pytest.mark.parametrize("mute", ["pty"], indirect=True)
@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_a_cli_session_whose_terminal_is_never_answered_ends_at_the_deadline(mute, lab, lab_inventory,
                                                                          monkeypatch, driver):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    inv, host = _host_on(mute, lab_inventory, "ios-1", ssh={"known_hosts": "known_hosts", "driver": driver})
    error = _opening_ends(lambda: SshSession.open(inv, host, time.monotonic() + 3), within=15)
    assert str(error) == f"ios-1: SSH to 127.0.0.1:{mute.port} failed: logged in, but the device " \
                         "did not open the terminal (pty/shell) before the deadline"


@pytest.mark.parametrize("mute", ["subsystem"], indirect=True)
def test_a_netconf_subsystem_never_answered_ends_at_the_deadline(mute, lab, lab_inventory, monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    inv, host = _host_on(mute, lab_inventory, "xr-1", transport="netconf",
                         ssh={"known_hosts": "known_hosts"})
    error = _opening_ends(lambda: NetconfSession.open(inv, host, time.monotonic() + 3), within=15)
    assert str(error) == f"xr-1: NETCONF to 127.0.0.1:{mute.port} failed: logged in, but the " \
                         "device did not answer the netconf subsystem request before the deadline"


def test_the_watchdog_runs_what_was_not_cancelled_in_time_and_only_that():
    from oamkit.transport import watchdog

    ran: list[str] = []
    later = watchdog.at(time.monotonic() + 60, lambda: ran.append("later"))   # armed first
    time.sleep(0.2)   # the watchdog now sleeps until `later`: an earlier deadline must wake it
    due = watchdog.at(time.monotonic() + 0.05, lambda: ran.append("due"))
    cancelled = watchdog.at(time.monotonic() + 0.05, lambda: ran.append("cancelled"))
    cancelled.cancel()
    for _ in range(100):   # bounded: 5 s
        if ran:
            break
        time.sleep(0.05)
    later.cancel()
    time.sleep(0.1)
    assert ran == ["due"]
    assert due.fired and not cancelled.fired and not later.fired


@pytest.mark.parametrize("mute", ["reading"], indirect=True)
def test_a_netconf_device_that_stops_reading_ends_the_rpc_not_the_worker(mute, lab, lab_inventory,
                                                                       monkeypatch):
    """The device's SSH window stays full: paramiko's channel waited for it for ever (its
    default channel timeout is none), inside our RPC's write, before the deadline check."""
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    inv, host = _host_on(mute, lab_inventory, "xr-1", transport="netconf", netconf={"timeout": 2},
                         ssh={"known_hosts": "known_hosts"})
    session = NetconfSession.open(inv, host, time.monotonic() + 60)
    try:
        big = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><description>'
               + "x" * 200_000 + "</description></config>")
        error = _opening_ends(lambda: session.edit_config(big), within=15)
    finally:
        mute.close()   # first: a write still stuck in the full window ends, and its lock with it
        session.close()
    assert str(error) == "xr-1: edit-config failed: TransportError: the device stopped reading: it " \
                         "took no more of the message for 2 s (its SSH window stayed full)", str(error)


@pytest.mark.parametrize("mute", ["configuring"], indirect=True)
@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_a_device_that_stops_reading_mid_configuration_ends_the_push_at_the_deadline(
        mute, lab, lab_inventory, monkeypatch, driver):
    """The device hangs after `configure terminal`: the configuration lines fill its 4 KiB SSH
    window. netmiko's channel waited for window space for its own 100 s, past the host's
    deadline (and again for the logout when the session closed); asyncssh buffers the lines and
    its read ends at the deadline."""
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    inv, host = _host_on(mute, lab_inventory, "ios-1", ssh={"known_hosts": "known_hosts", "driver": driver})
    session = SshSession.open(inv, host, time.monotonic() + 4)
    try:
        session.enter_config()
        lines = [f"description {'x' * 200}"] * 60   # 12 KiB in one write: three windows
        error = _opening_ends(lambda: session.configure(lines, stay_in_config=False), within=15)
        _closing_ends(session, within=5)
    finally:
        mute.close()
    if driver == "netmiko":
        assert re.fullmatch(r"ios-1: the device stopped reading: it took no more input for \d s "
                            r"\(its SSH window stayed full\), sending configuration", str(error)), str(error)
    else:
        assert str(error).startswith("ios-1: deadline reached waiting for the prompt after configuration")


def _closing_ends(session, within: float):
    """Closing a session whose device hangs with a full window must not wait on it either."""
    worker = threading.Thread(target=session.close, daemon=True)
    worker.start()
    worker.join(within)
    assert not worker.is_alive(), "closing the session still waits on the device"


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_a_device_that_never_says_its_ssh_version_ends_at_the_deadline(lab, lab_inventory, monkeypatch,
                                                                       driver):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    device = SilentServer()   # takes the TCP connection, never sends its SSH version
    try:
        inv, host = _host_on(device, lab_inventory, "ios-1", ssh={"driver": driver})
        error = _opening_ends(lambda: SshSession.open(inv, host, time.monotonic() + 3), within=15)
    finally:
        device.close()
    assert str(error) == f"ios-1: SSH to 127.0.0.1:{device.port} failed: no SSH login before the deadline"


# The device's SSH version comes at once, every later answer 1.2 s late: each of paramiko's
# steps waits two round trips at most (key exchange: the device's offer, then its reply;
# authentication: service, then password), within its timeout (the 3 s left of the deadline
# when the login starts, below the host's 4 s), while the steps together (key exchange,
# authentication, channel, terminal or subsystem, first prompt or hello) outlast the deadline:
# the session must end at the deadline, not at the end of a step that began in time.
ROUND_TRIP, TIMEOUT, DEADLINE = 1.2, 4, 3


@pytest.mark.parametrize("transport", ["netmiko", "asyncssh", "netconf"])
def test_a_login_over_a_slow_link_ends_at_the_deadline_though_no_step_times_out(lab, lab_inventory,
                                                                                monkeypatch, transport):
    # NETCONF gave each step its timeout: the login went on ~2 s past the deadline
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    link = SlowLink(lab.ports["xr-1"], ROUND_TRIP, (lab_inventory / "known_hosts").read_text())
    try:
        netconf = transport == "netconf"
        inv, host = _host_on(link, lab_inventory, "xr-1", transport="netconf" if netconf else "ssh",
                             ssh={"known_hosts": "known_hosts", "timeout": TIMEOUT,
                                  "driver": "netmiko" if netconf else transport},
                             netconf={"timeout": TIMEOUT})
        opener = NetconfSession.open if netconf else SshSession.open
        error = _opening_ends(lambda: opener(inv, host, time.monotonic() + DEADLINE), within=DEADLINE + 1)
    finally:
        link.close()
    assert link.connections == 1, str(error)
    # where the deadline meets the login depends on the machine's speed: it says which
    assert re.fullmatch(rf"xr-1: (SSH|NETCONF) to 127\.0\.0\.1:{link.port} failed: "
                        r"(no SSH login|logged in, but .*) before the deadline", str(error)), str(error)
