"""200 emulated devices in one lab process serve 200 concurrent netmiko sessions without errors
(about 10 s on 2 cores; runs in the default test run, no marker needed)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from netmiko import ConnectHandler

from oamkit.lab.server import Lab

pytestmark = [pytest.mark.lab, pytest.mark.timeout(240)]

N = 200
VERSION_CMD = {"cisco_ios": "show version", "cisco_xr": "show version",
               "juniper_junos": "show version", "huawei_vrp": "display version"}


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory):
    lab = Lab(devices=N).start()          # 50 of each platform
    lab.known_hosts = lab.write_known_hosts(tmp_path_factory.mktemp("scale") / "known_hosts")
    yield lab
    lab.stop()


def one_session(lab, name):
    dev = lab.devices[name]
    params = lab.netmiko_params(name, lab.known_hosts, conn_timeout=60, auth_timeout=60,
                                banner_timeout=60)
    with ConnectHandler(**params) as conn:
        out = conn.send_command(VERSION_CMD[dev.platform], read_timeout=60)
    return name, out


def test_200_devices_200_concurrent_netmiko_sessions(big_lab):
    names = list(big_lab.devices)
    assert len(names) == N and len(set(big_lab.ports.values())) == N
    errors, outputs = [], {}
    with ThreadPoolExecutor(max_workers=N) as pool:
        futures = [pool.submit(one_session, big_lab, n) for n in names]
        for fut in futures:
            try:
                name, out = fut.result(timeout=200)
                outputs[name] = out
            except Exception as exc:  # collected so the failure lists every broken session
                errors.append(repr(exc))
    assert errors == []
    assert len(outputs) == N
    assert all(any(s in o for s in ("Cisco IOS", "Junos:", "VRP (R)")) for o in outputs.values())
    # every device saw exactly one CLI session and no config-mode command
    assert all(big_lab.devices[n].config_commands() == [] for n in names)
