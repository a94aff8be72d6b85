"""Faults injected into lab devices, observed through the real netmiko client."""
from __future__ import annotations

import time

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, ReadException, ReadTimeout

from oamkit.lab.server import Lab

pytestmark = [pytest.mark.lab, pytest.mark.timeout(60)]

DROPPED = (OSError, EOFError, ReadException, ReadTimeout, ValueError)


def connect(lab, name, **extra):
    return ConnectHandler(**lab.netmiko_params(name, lab.known_hosts, **extra))


def test_rejected_command_gets_the_platform_error(lab):
    lab.set_faults("ios-1", reject_commands=[r"^show ethernet oam"])
    lab.set_faults("junos-1", reject_commands=[r"^show oam"])
    with connect(lab, "ios-1") as conn:
        assert "% Invalid input detected at '^' marker." in conn.send_command("show ethernet oam summary")
        assert "Cisco IOS Software" in conn.send_command("show version")
    with connect(lab, "junos-1") as conn:
        assert "syntax error." in conn.send_command("show oam ethernet link-fault-management")


def test_slow_output_beats_a_short_read_timeout(lab):
    with connect(lab, "ios-1") as conn:
        lab.set_faults("ios-1", command_delay=2.0)
        with pytest.raises(ReadTimeout):
            conn.send_command("show version", read_timeout=0.5)


def test_session_dropped_after_n_commands(lab):
    lab.set_faults("xr-1", drop_after_commands=4)   # netmiko's session preparation sends 2-3
    with pytest.raises(DROPPED):
        with connect(lab, "xr-1") as conn:
            for _ in range(5):   # netmiko notices a dead channel only at its read timeout
                conn.send_command("show version", read_timeout=2)
    assert any("session dropped" in e.text for e in lab.devices["xr-1"].transcript)


def test_session_dropped_mid_commit_commits_nothing(lab):
    dev = lab.devices["xr-1"]
    lab.set_faults("xr-1", drop_on_commit=True)
    with pytest.raises(DROPPED):
        with connect(lab, "xr-1") as conn:
            conn.send_config_set(["hostname dropped"])
            conn.commit(read_timeout=2)
    assert dev.running.get(["hostname dropped"]) is None
    assert dev.commit_history == []


def test_hung_session_never_shows_a_prompt(lab):
    lab.set_faults("ios-1", hang=True)
    started = time.monotonic()
    with pytest.raises((ReadTimeout, ValueError, OSError)):
        ConnectHandler(**lab.netmiko_params("ios-1", lab.known_hosts, read_timeout_override=2))
    assert time.monotonic() - started < 55  # bounded by netmiko's own timeouts, not by the lab


def test_exec_timeout_closes_idle_sessions(lab):
    dev = lab.devices["ios-1"]
    with connect(lab, "ios-1") as conn:
        lab.set_faults("ios-1", exec_timeout=0.3)
        time.sleep(1.0)
        with pytest.raises(DROPPED):
            conn.send_command("show version", read_timeout=3)
    assert any("exec-timeout" in e.text for e in dev.transcript)


def test_auth_banner_reaches_an_ssh_client(lab):
    import asyncio

    import asyncssh

    lab.set_faults("xr-1", banner="Authorized access only")
    banners = []

    class Client(asyncssh.SSHClient):
        def auth_banner_received(self, msg, lang):
            banners.append(msg)

    async def login():
        async with asyncssh.connect("127.0.0.1", lab.ports["xr-1"], username=lab.username,
                                    password=lab.password, known_hosts=str(lab.known_hosts),
                                    client_factory=Client):
            pass
    asyncio.run(asyncio.wait_for(login(), 20))
    assert banners == ["Authorized access only\n"]


def test_banner_and_header_lines(lab):
    lab.set_faults("ios-1", banner="Authorized access only",
                   header_lines=["Load for five secs: 2%/0%; one minute: 1%; five minutes: 1%",
                                 "Time source is NTP, 00:00:00.000 UTC Sun Nov 22 2026"])
    with connect(lab, "ios-1") as conn:
        out = conn.send_command("show interfaces GigabitEthernet0/1")
        parsed = conn.send_command("show interfaces GigabitEthernet0/1", use_textfsm=True)
    assert out.splitlines()[0].startswith("Load for five secs")
    assert isinstance(parsed, list) and parsed[0]["interface"] == "GigabitEthernet0/1"


@pytest.mark.parametrize("name,marker", [("xr-1", "Failed to commit"),
                                         ("junos-1", "configuration check-out failed")])
def test_commit_failure_uses_the_platform_text(lab, name, marker):
    lab.set_faults(name, commit_error=True)
    lines = {"xr-1": ["hostname broken"], "junos-1": ["set system host-name broken"]}[name]
    with connect(lab, name) as conn:
        conn.send_config_set(lines, exit_config_mode=False)
        with pytest.raises(ValueError, match=marker):
            conn.commit()
        if name == "xr-1":
            failed = conn.send_command("show configuration failed", expect_string=r"\)#")
            assert "!! SEMANTIC ERRORS" in failed and "hostname broken" in failed
    assert lab.devices[name].commit_history == []


def test_huawei_commit_failure_text(lab):
    """netmiko's HuaweiVrpv8SSH.commit() looks for "Failed to generate committed config"; after a
    failed commit VRP8 asks about uncommitted changes on `return`, so drive the lines directly."""
    lab.set_faults("vrp-1", commit_error=True)
    with connect(lab, "vrp-1") as conn:
        conn.send_command("system-view", expect_string=r"\]")
        conn.send_command("sysname broken", expect_string=r"\]")
        out = conn.send_command("commit", expect_string=r"\]")
        conn.send_command("abort", expect_string=r">")
    assert "Error: Failed to generate committed config" in out
    assert lab.devices["vrp-1"].running.get(["sysname broken"]) is None


def test_authentication_refused(lab):
    lab.set_faults("ios-1", refuse_auth=True)
    with pytest.raises(NetmikoAuthenticationException):
        connect(lab, "ios-1")


def test_wrong_password_is_refused_and_never_logged(lab):
    params = lab.netmiko_params("ios-1", lab.known_hosts)
    params["password"] = "not-the-password"
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(**params)
    # The real password does cross the wire too: typed into a session, it is masked
    with connect(lab, "ios-1") as conn:
        conn.send_command(f"show running-config | include {lab.password}")
    texts = [e.text for e in lab.devices["ios-1"].transcript]
    assert any("show running-config | include ********" in t for t in texts), texts[-5:]
    assert not any(lab.password in t or "not-the-password" in t for t in texts)


def test_crc_counters_grow_with_time(lab):
    lab.inject_errors("ios-1", "GigabitEthernet0/1", crc_per_second=2000)
    with connect(lab, "ios-1") as conn:
        first = conn.send_command("show interfaces GigabitEthernet0/1", use_textfsm=True)[0]
        time.sleep(0.3)
        second = conn.send_command("show interfaces GigabitEthernet0/1", use_textfsm=True)[0]
    assert int(second["crc"]) > int(first["crc"]) > 0
    assert int(second["input_errors"]) >= int(second["crc"])


def test_crc_on_junos_and_huawei_counters(lab):
    lab.inject_errors("junos-1", "ge-0/0/0", burst_crc=42)
    lab.inject_errors("vrp-1", "GigabitEthernet0/1/0", burst_crc=17)
    with connect(lab, "junos-1") as conn:
        junos = conn.send_command("show interfaces extensive ge-0/0/0")
    with connect(lab, "vrp-1") as conn:
        vrp = conn.send_command("display interface GigabitEthernet0/1/0")
    assert any(l.split()[:2] == ["CRC/Align", "errors"] and l.split()[2] == "42" for l in junos.splitlines())
    assert any(l.strip().startswith("CRC:") and l.split()[1].rstrip(",") == "17" for l in vrp.splitlines())


def test_oam_peer_goes_down(lab):
    with connect(lab, "xr-1") as conn:
        conn.send_config_set(["interface GigabitEthernet0/0/0/0", "ethernet oam"])
        conn.commit()
        conn.exit_config_mode()
        before = conn.send_command("show ethernet oam interfaces")
        lab.set_peer_state("xr-1", "GigabitEthernet0/0/0/0", "down", reason="Link fault")
        after = conn.send_command("show ethernet oam interfaces")
        log = conn.send_command("show ethernet oam event-log")
    assert "In SEND_ANY state" in before
    assert "In ACTIVE_SEND_LOCAL state" in after
    assert "Link fault" in log
    assert lab.devices["xr-1"].event_log[-1].type == "Link fault"


def test_faults_from_the_lab_config(tmp_path):
    lab = Lab(devices=[("ios-7", "cisco_ios")], faults={"ios-7": {"reject_commands": [r"^show version"]}}).start()
    try:
        lab.known_hosts = lab.write_known_hosts(tmp_path / "kh")
        with connect(lab, "ios-7") as conn:
            assert "% Invalid input" in conn.send_command("show version")
    finally:
        lab.stop()


def test_injected_errors_raise_frame_events_and_error_disable(lab):
    """Errors at 50/s against a 1 s window with high threshold 10 and the error-disable action:
    Errored Frame events are logged and the interface goes down, as configured."""
    with connect(lab, "ios-1") as conn:
        conn.send_config_set(["interface GigabitEthernet0/1", "ethernet oam",
                              "ethernet oam link-monitor frame window 10",
                              "ethernet oam link-monitor frame threshold high 10",
                              "ethernet oam link-monitor high-threshold action error-disable-interface"])
        lab.inject_errors("ios-1", "GigabitEthernet0/1", crc_per_second=50)
        time.sleep(1.5)
        stats = conn.send_command("show ethernet oam statistics interface GigabitEthernet0/1")
        intf = conn.send_command("show interfaces GigabitEthernet0/1")
    local = stats.split("Local event logs")[1].split("Remote event logs")[0]
    frames = int(next(l.split()[0] for l in local.splitlines() if "Errored Frame records" in l))
    assert frames >= 1
    assert intf.splitlines()[0].startswith("GigabitEthernet0/1 is down, line protocol is down")
    events = [e for e in lab.devices["ios-1"].event_log if e.type == "Frame"]
    assert events and events[-1].action == "Err.D" and events[-1].value >= 10


def test_errors_below_threshold_raise_no_event(lab):
    with connect(lab, "xr-1") as conn:
        conn.send_config_set(["ethernet oam profile P", "link-monitor", "frame window 1000",
                              "frame threshold low 1000 high 2000", "interface GigabitEthernet0/0/0/1",
                              "ethernet oam", "profile P"])
        conn.commit()
        conn.exit_config_mode()
        lab.inject_errors("xr-1", "GigabitEthernet0/0/0/1", crc_per_second=20)
        time.sleep(1.3)
        log = conn.send_command("show ethernet oam event-log interface GigabitEthernet0/0/0/1")
    assert "Frame  " not in log
    assert [e for e in lab.devices["xr-1"].event_log if e.type == "Frame"] == []


def test_a_fault_spec_that_no_longer_names_injected_errors_or_a_peer_state_stops_them(lab):
    # `oamkit lab fault ios-1 --clear` writes {"ios-1": {}}: the errors it had injected kept
    # growing (a check minutes later still said CRITICAL) and the peer stayed down
    device = lab.device("ios-1")
    lab.apply_fault_spec({"ios-1": {"inject_errors": {"GigabitEthernet0/1": 100000},
                                    "peer_state": {"GigabitEthernet0/2": "down"}}})
    assert device.injecting_errors()
    assert device.interfaces["GigabitEthernet0/2"].oam.peer_state == "down"
    lab.apply_fault_spec({"ios-1": {"reject_commands": ["^show clock"]}})
    assert not device.injecting_errors()
    assert device.interfaces["GigabitEthernet0/2"].oam.peer_state == "operational"
    assert device.faults.reject_commands == ["^show clock"]


def test_a_crash_of_the_lab_is_recorded_not_passed_off_as_a_dropped_session(lab):
    # asyncssh closes the connection of a handler that raised and logs it at debug level only:
    # the client sees what a device dropping the session looks like. The lab keeps the
    # traceback, and the autouse fixture fails any test that met one (this one takes it back).
    from oamkit.lab import server

    seen = len(server.CRASHES)
    dev = lab.devices["ios-1"]

    def broken_tick():
        raise RuntimeError("a bug of the lab")

    with pytest.raises(DROPPED):
        with connect(lab, "ios-1") as conn:
            dev.tick = broken_tick
            conn.send_command("show version", read_timeout=2)
    crashed = server.CRASHES[seen:]
    del server.CRASHES[seen:]
    assert len(crashed) == 1 and crashed[0].startswith("ios-1: Traceback"), crashed
    assert "RuntimeError: a bug of the lab" in crashed[0]
    assert any(e.text == "lab crashed: RuntimeError: a bug of the lab" for e in dev.transcript)
