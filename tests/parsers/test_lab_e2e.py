"""Every parsed show/display command, run on the emulated lab over real SSH (netmiko, host keys
checked), configured through the device's own CLI and parsed by oamkit.parse.

Uses the `lab` fixture of tests/conftest.py. Nothing here fakes netmiko: a command the lab does
not answer, or answers in a layout the templates do not know, fails the test.
"""
from __future__ import annotations

import netmiko
import pytest

from oamkit.parse import parse_output

pytestmark = pytest.mark.lab

READ_TIMEOUT = 20  # seconds per command: every network operation has a deadline

# What each platform is configured with (rendered-syntax.md forms), which interface, and the
# IEEE values the parser must read back.
SETUPS = {
    "cisco_ios": {
        "interface": "GigabitEthernet0/1",
        "config": ["interface GigabitEthernet0/1", "ethernet oam", "ethernet oam mode active",
                   "ethernet oam link-monitor frame window 20",
                   "ethernet oam link-monitor frame threshold high 10",
                   "ethernet oam link-monitor frame-seconds window 300",
                   "ethernet oam link-monitor receive-crc window 100",
                   "ethernet oam link-monitor receive-crc threshold low 3000"],
        "commit": False,
        "status": "show ethernet oam status",
        "expect": {"mode": "active",
                   "frame": {"window": 20, "window_unit": "deciseconds", "high_threshold": 10},
                   "frame_seconds": {"window": 300},
                   "receive_crc": {"window": 100, "low_threshold": 3000}},
        "others": ["show ethernet oam summary", "show ethernet oam statistics",
                   "show ethernet oam discovery"],
        "counters": "show interfaces",
    },
    "cisco_xr": {
        "interface": "GigabitEthernet0/0/0/0",
        "config": ["ethernet oam profile OAMKIT-PARSE-TEST", "mode passive", "link-monitor",
                   "symbol-period window symbols 125000000",
                   "symbol-period threshold symbols low 1 high 10",
                   "frame window 2000", "frame threshold low 1 high 10",
                   "frame-period window frames 1000000",
                   "frame-seconds window 60000", "frame-seconds threshold low 1 high 5",
                   "exit", "exit", "interface GigabitEthernet0/0/0/0", "ethernet oam",
                   "profile OAMKIT-PARSE-TEST"],
        "commit": True,
        "status": "show ethernet oam configuration",
        "expect": {"mode": "passive",
                   "frame": {"window": 20, "window_unit": "deciseconds", "high_threshold": 10},
                   "frame_seconds": {"window": 600, "high_threshold": 5},
                   "symbol_period": {"window": 125_000_000, "window_unit": "symbols"},
                   "frame_period": {"window": 1_000_000, "window_unit": "frames"}},
        "others": ["show ethernet oam statistics", "show ethernet oam event-log"],
        "counters": "show interfaces",
    },
    "juniper_junos": {
        "interface": "ge-0/0/0",
        "config": ["set protocols oam ethernet link-fault-management interface ge-0/0/0 "
                   "link-discovery active",
                   "set protocols oam ethernet link-fault-management interface ge-0/0/0 "
                   "event-thresholds frame-error 10"],
        "commit": True,
        "status": "show oam ethernet link-fault-management",
        "expect": {"discovery_state": "operational", "remote_link_monitoring": True},
        "others": ["show oam ethernet link-fault-management detail"],
        "counters": "show interfaces extensive",
    },
    "huawei_vrp": {
        "interface": "GigabitEthernet0/1/0",
        "config": ["efm enable", "interface GigabitEthernet0/1/0", "efm mode active", "efm enable",
                   "efm error-frame period 2", "efm error-frame threshold 3",
                   "efm error-frame notification enable",
                   "efm error-frame-second period 60", "efm error-frame-period period 200000",
                   "quit"],
        "commit": True,
        "status": "display efm all",
        "expect": {"mode": "active",
                   "frame": {"window": 20, "window_unit": "deciseconds", "low_threshold": 3,
                             "notification": True},
                   "frame_seconds": {"window": 600},
                   "frame_period": {"window": 200_000, "window_unit": "frames"}},
        "others": ["display efm session all", "display efm link-event local",
                   "display efm interface GigabitEthernet0/1/0"],
        "counters": "display interface",
    },
}


def _device(lab, platform: str) -> str:
    (device,) = [d for d in lab.by_platform(platform)][:1]
    return device.name


def _run(conn, command: str) -> str:
    return conn.send_command(command, read_timeout=READ_TIMEOUT)


def _wait_for_xr_event(conn, interface: str, timeout: float = 8.0):
    """The lab logs a link event when a monitor window ends with errors at or over its
    threshold (as real devices do), so poll the event log, bounded in time."""
    import time

    end = time.monotonic() + timeout
    while True:
        result = parse_output("cisco_xr", "show ethernet oam event-log",
                              _run(conn, "show ethernet oam event-log"))
        if any(r["interface"] == interface for r in result.records) or time.monotonic() > end:
            return result
        time.sleep(0.3)


@pytest.mark.parametrize("platform", list(SETUPS))
def test_lab_show_output_parses(lab, platform):
    setup = SETUPS[platform]
    name = _device(lab, platform)
    interface = setup["interface"]
    params = lab.netmiko_params(name, known_hosts=lab.known_hosts)
    with netmiko.ConnectHandler(**params) as conn:
        # Before any OAM configuration the status command answers with nothing to report.
        before = parse_output(platform, setup["status"], _run(conn, setup["status"]))
        assert before.records == [] and before.empty is True

        conn.send_config_set(setup["config"], exit_config_mode=False, read_timeout=READ_TIMEOUT)
        if setup["commit"]:
            conn.commit()
        conn.exit_config_mode()
        lab.inject_errors(name, interface, burst_crc=7)

        status = parse_output(platform, setup["status"], _run(conn, setup["status"]))
        (record,) = [r for r in status.records if r["interface"] == interface]
        assert record["template"] == status.template and record["raw"]
        for name_, wanted in setup["expect"].items():
            if not isinstance(wanted, dict):
                assert record[name_] == wanted, (name_, record)
                continue
            for key, value in wanted.items():
                assert record["link_events"][name_][key] == value, (name_, key, record)

        if platform == "cisco_xr":
            _wait_for_xr_event(conn, interface)
        for command in setup["others"]:
            result = parse_output(platform, command, _run(conn, command))
            assert not result.empty, command
            assert any(r["interface"] == interface for r in result.records), command

        counters = parse_output(platform, setup["counters"], _run(conn, setup["counters"]))
        by_name = {r["interface"]: r for r in counters.records}
        assert by_name[interface]["crc_errors"] == 7
        assert by_name[interface]["input_errors"] >= 7
        quiet = [r for n, r in by_name.items() if n != interface and "." not in n]
        assert quiet and all(r["crc_errors"] == 0 for r in quiet)
        # the lab baseline's sub-interface / logical unit prints no error counters, as real
        # devices: null, never 0 (Junos units are part of their port's record)
        subs = [r for n, r in by_name.items() if "." in n]
        if platform != "juniper_junos":
            assert subs and all(r["crc_errors"] is None and r["input_errors"] is None
                                for r in subs), subs


def test_lab_xr_event_log_records_injected_errors(lab):
    name = _device(lab, "cisco_xr")
    interface = "GigabitEthernet0/0/0/1"
    with netmiko.ConnectHandler(**lab.netmiko_params(name, known_hosts=lab.known_hosts)) as conn:
        conn.send_config_set([f"interface {interface}", "ethernet oam"], exit_config_mode=False,
                             read_timeout=READ_TIMEOUT)
        conn.commit()
        conn.exit_config_mode()
        lab.inject_errors(name, interface, burst_crc=12)
        result = _wait_for_xr_event(conn, interface)
    events = [r for r in result.records if r["interface"] == interface]
    assert events, result.records
    assert events[-1]["event_type"] == "frame"
    assert events[-1]["location"] == "local"
    assert events[-1]["value"] == 12
    assert isinstance(events[-1]["threshold"], int)
