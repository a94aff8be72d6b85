"""The lab's show/display output, fetched over SSH with netmiko, parses with oamkit's parsers
(`oamkit.parse.parse_output`, templates in templates/textfsm/ and ntc-templates) into the values
the lab state holds: the two sides meet on the layouts of tests/fixtures/parsers/."""
from __future__ import annotations

import pytest
from netmiko import ConnectHandler

from oamkit.parse import parse_output, supported_commands

pytestmark = [pytest.mark.lab, pytest.mark.timeout(120)]

SETUP = {
    "ios-1": ["interface GigabitEthernet0/1", "ethernet oam", "ethernet oam mode passive",
              "ethernet oam link-monitor frame window 20", "ethernet oam link-monitor frame threshold high 10"],
    "xr-1": ["ethernet oam profile P1", "mode passive", "link-monitor", "frame window 2000",
             "frame threshold low 1 high 10", "interface GigabitEthernet0/0/0/0", "ethernet oam",
             "profile P1", "commit"],
    "junos-1": ["set protocols oam ethernet link-fault-management interface ge-0/0/0 link-discovery active",
                "commit"],
    "vrp-1": ["efm enable", "interface GigabitEthernet0/1/0", "efm enable",
              "efm error-frame notification enable", "efm error-frame period 5", "commit"],
}
EXTRA = {  # per-interface and detail forms the parsers also accept
    "cisco_ios": ["show ethernet oam status interface GigabitEthernet0/1"],
    "cisco_xr": ["show ethernet oam statistics interface GigabitEthernet0/0/0/0"],
    "juniper_junos": ["show oam ethernet link-fault-management detail"],
    "huawei_vrp": ["display efm interface GigabitEthernet0/1/0"],
}
FIRST_IF = {"ios-1": "GigabitEthernet0/1", "xr-1": "GigabitEthernet0/0/0/0", "junos-1": "ge-0/0/0",
            "vrp-1": "GigabitEthernet0/1/0"}


def outputs(lab, name):
    dev = lab.devices[name]
    lab.inject_errors(name, FIRST_IF[name], burst_crc=7)
    with ConnectHandler(**lab.netmiko_params(name, lab.known_hosts)) as conn:
        conn.config_mode()
        for line in SETUP[name]:
            conn.send_command(line, expect_string=r"[#\]]\s*$")
        conn.exit_config_mode() if dev.platform in ("cisco_ios", "juniper_junos") else \
            conn.send_command("end" if dev.platform == "cisco_xr" else "return", expect_string=r"[#>]\s*$")
        lab.set_peer_state(name, FIRST_IF[name], "down")           # two event-log entries
        lab.set_peer_state(name, FIRST_IF[name], "operational")
        cmds = [cmd for plat, cmd in supported_commands() if plat == dev.platform] + EXTRA[dev.platform]
        return {cmd: conn.send_command(cmd) for cmd in cmds}


@pytest.mark.parametrize("name", list(SETUP))
def test_lab_output_parses_into_the_lab_state(lab, name):
    platform = lab.devices[name].platform
    texts = outputs(lab, name)
    assert texts, "no parser for this platform?"
    parsed = {cmd: parse_output(platform, cmd, text) for cmd, text in texts.items()}
    for cmd, result in parsed.items():
        assert result.records, (cmd, texts[cmd])
    iface = FIRST_IF[name]
    counters_cmd = {"cisco_ios": "show interfaces", "cisco_xr": "show interfaces",
                    "juniper_junos": "show interfaces extensive", "huawei_vrp": "display interface"}[platform]
    counters = {r["interface"]: r for r in parsed[counters_cmd].records}
    assert counters[iface]["crc_errors"] == lab.devices[name].interfaces[iface].counters["crc"] >= 7
    if platform == "cisco_ios":
        status = {r["interface"]: r for r in parsed["show ethernet oam status"].records}[iface]
        assert status["mode"] == "passive" and status["admin_state"] == "enabled"
        assert status["link_events"]["frame"]["window"] == 20          # deciseconds
        assert status["link_events"]["frame"]["high_threshold"] == 10
    if platform == "cisco_xr":
        rec = {r["interface"]: r for r in parsed["show ethernet oam configuration"].records}[iface]
        session = {r["interface"]: r for r in parsed["show ethernet oam interfaces"].records}[iface]
        assert session["discovery_state"] == "operational" and session["session_state"] == "send-any"
        assert rec["mode"] == "passive"
        assert rec["link_events"]["frame"]["window"] == 20             # 2000 ms
        assert rec["link_events"]["frame"]["high_threshold"] == 10
    if platform == "juniper_junos":
        rec = {r["interface"]: r for r in parsed["show oam ethernet link-fault-management"].records}[iface]
        assert rec["status"] == "running" and rec["discovery_state"] == "operational"
        detail = parsed["show oam ethernet link-fault-management detail"].records[0]
        assert detail["interface"] == iface and detail["status"] == "running"
    if platform == "huawei_vrp":
        rec = {r["interface"]: r for r in parsed["display efm session all"].records}[iface]
        assert rec["session_state"] == "detect"
