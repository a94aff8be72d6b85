"""Shared pytest fixtures. Lab fixtures: ``lab`` (4 devices, one per platform, fresh per test,
time scale 0.01 so a device "minute" is 0.6 s) and ``lab_inventory`` (the folder written by
``Lab.write_inventory``). Others may add fixtures below; keep each one small."""
from __future__ import annotations

import pytest

from oamkit.lab import server
from oamkit.lab.server import Lab


@pytest.fixture(autouse=True)
def no_lab_crash():
    """A lab session that raised (a bug of ours) fails the test that met it, with its traceback,
    whatever the test asserted: the client only saw "the device closed the session"."""
    seen = len(server.CRASHES)
    yield
    crashed = server.CRASHES[seen:]
    if crashed:
        pytest.fail("the lab crashed (a bug of the lab, not of the device it plays):\n" + "\n".join(crashed),
                    pytrace=False)


@pytest.fixture
def lab(tmp_path):
    """A running in-process lab: ios-1, xr-1, junos-1, vrp-1 on 127.0.0.1 (ports chosen by the OS).
    ``lab.known_hosts`` is a known_hosts file for host-key verification."""
    running = Lab(devices=4, time_scale=0.01).start()
    running.known_hosts = running.write_known_hosts(tmp_path / "known_hosts")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def lab_inventory(lab, tmp_path):
    """The inventory folder for ``lab`` (hosts.yaml, groups.yaml, defaults.yaml, known_hosts, .lab-password)."""
    return lab.write_inventory(tmp_path / "inventory")
