"""The inventory the lab writes is usable as is: oamkit's inventory loader and SSH transport
connect with it (host keys checked), and the renderer's output for every platform is accepted
by the lab's strict grammar and shows up in the running configuration."""
from __future__ import annotations

import os
import stat
import time

import pytest
from netmiko import ConnectHandler

from oamkit.inventory import Inventory
from oamkit.render import plan_host, render_plan
from oamkit.transport.ssh import SshSession

pytestmark = [pytest.mark.lab, pytest.mark.timeout(120)]

SHOW_VERSION = {"cisco_ios": "show version", "cisco_xr": "show version",
                "juniper_junos": "show version", "huawei_vrp": "display version"}


def test_inventory_files(lab, lab_inventory):
    assert {p.name for p in lab_inventory.iterdir()} >= {
        "hosts.yaml", "groups.yaml", "defaults.yaml", "known_hosts", ".lab-password", "policies"}
    assert stat.S_IMODE(os.stat(lab_inventory / ".lab-password").st_mode) == 0o600
    inv = Inventory.load(lab_inventory)
    assert set(inv.hosts) == set(lab.devices)
    for name, host in inv.hosts.items():
        assert host.port == lab.ports[name] and host.hostname == "127.0.0.1"
        assert host.platform == lab.devices[name].platform
        assert inv.password(host) == lab.password
    kh = (lab_inventory / "known_hosts").read_text().splitlines()
    assert sorted(kh) == sorted(f"[127.0.0.1]:{p} ssh-ed25519 {kh[0].split()[2]}" for p in lab.ports.values())


def test_oamkit_ssh_transport_uses_the_inventory(lab, lab_inventory):
    inv = Inventory.load(lab_inventory)
    for host in inv.hosts.values():
        session = SshSession.open(inv, host, time.monotonic() + 30)
        try:
            assert session.show(SHOW_VERSION[host.platform]).strip()
        finally:
            session.close()
    for dev in lab.devices.values():
        assert dev.config_commands() == []


def test_rendered_configuration_is_accepted_by_every_personality(lab, lab_inventory):
    inv = Inventory.load(lab_inventory)
    for host in inv.hosts.values():
        plan, problems = plan_host(inv, host)
        assert problems == []
        lines = [l for l in render_plan(plan).splitlines() if l.strip()]
        dev = lab.devices[host.name]
        params = lab.netmiko_params(host.name, lab_inventory / "known_hosts")
        with ConnectHandler(**params) as conn:
            conn.config_mode()
            for line in lines:
                out = conn.send_command(line.strip(), expect_string=r"[#\]]\s*$", strip_prompt=False)
                assert not any(marker in out for marker in ("Invalid input", "syntax error", "error:",
                                                            "Error:", "% ")), (host.name, line, out)
            if dev.platform != "cisco_ios":
                conn.send_command("commit", expect_string=r"[#\]]\s*$")
        running = dev.running
        expected = [l.strip() for l in lines if l.strip() not in ("!", "#")]
        flat = {p[-1] for p in running.all_paths()}
        if dev.platform == "juniper_junos":
            from oamkit.lab.show import junos_set_lines
            flat = set(junos_set_lines(running).splitlines())
        missing = [l for l in expected if l not in flat]
        assert missing == [], (host.name, missing)
