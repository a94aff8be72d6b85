"""Every real output layout the lab prints (oamkit.lab.device.LAYOUTS: the VRP AR, S-series,
VRP8-router and CloudEngine `display interface`; the IOS-XR capture with doubled blank lines;
Junos 100G `et-` ports and an `ae` bundle) is read by `oamkit collect` over real SSH into the
error counters the lab device counted: a lab with one device per layout, distinct counts per
port and per counter, compared value by value with the SQLite snapshot."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from oamkit.lab.device import LAYOUTS, PLATFORMS
from oamkit.lab.server import SHORT, Lab

pytestmark = [pytest.mark.lab, pytest.mark.timeout(240)]

# Counters a real layout does not print for a port (null in the snapshot, never 0): the VRP8
# router prints no input-error total and no frame counter, CloudEngine no frame counter, a
# Junos ae bundle no CRC/Align line (see the real captures named in LAYOUTS' modules).
NOT_PRINTED = {
    ("vrp8_router", "GigabitEthernet"): {"input_errors", "frame_errors"},
    ("cloudengine", "GigabitEthernet"): {"frame_errors"},
    ("ce_10ge", "10GE"): {"frame_errors"},     # `Frames: --`: the port keeps no such counter
    ("ae_bundle", "ae"): {"crc_errors"},
}


def specs():
    """One device per layout, named in the spec."""
    return [(f"{SHORT[p]}-{i + 1}", p, layout) for p in PLATFORMS for i, layout in enumerate(LAYOUTS[p])]


@pytest.fixture
def layout_lab(tmp_path):
    running = Lab(devices=specs(), time_scale=0.01).start()
    running.known_hosts = running.write_known_hosts(tmp_path / "known_hosts")
    try:
        yield running
    finally:
        running.stop()


def count_errors(dev, k):
    """Distinct CRC, extra input and frame errors on every port of the device."""
    for i, st in enumerate(dev.interfaces.values()):
        crc = 100 * k + 10 * i + 3
        st.counters["crc"] += crc
        st.counters["input_errors"] += crc + 5
        st.counters["frame"] += i + 1


def test_a_fleet_prints_every_layout_and_named_devices_the_default():
    every = {(p, layout) for p in PLATFORMS for layout in LAYOUTS[p]}
    fleet = Lab(devices=4 * max(len(v) for v in LAYOUTS.values()))     # as `oamkit lab up -n 16`
    assert {(d.platform, d.layout) for d in fleet.devices.values()} == every
    assert fleet.devices["junos-2"].layout == "et_100g" and fleet.devices["junos-4"].layout == "mx_ge"
    named = Lab(devices=[("junos-2", "juniper_junos")])
    assert named.devices["junos-2"].layout == "mx_ge"


def test_collect_reads_every_layout_into_the_counted_errors(layout_lab, tmp_path):
    inventory = layout_lab.write_inventory(tmp_path / "inventory")
    for k, dev in enumerate(layout_lab.devices.values()):
        layout_lab.call(count_errors, dev, k)
    env = {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "OAMKIT_LAB_PASSWORD": layout_lab.password}
    db = tmp_path / "h.sqlite"
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", "collect", "-i", str(inventory),
                             "--db", str(db), "--json"], capture_output=True, text=True, env=env, timeout=200)
    report = json.loads(result.stdout)
    hosts = {h["host"]: h for h in report["hosts"]}
    assert set(hosts) == set(layout_lab.devices), result.stderr
    for name, h in hosts.items():
        assert h["outcome"] == "ok" and "counters" not in h["role_errors"], (name, h)
    rows = {(host, iface): {"crc_errors": crc, "input_errors": inp, "frame_errors": frame}
            for host, iface, crc, inp, frame in sqlite3.connect(db).execute(
                "SELECT host, interface, crc_errors, input_errors, frame_errors FROM interfaces")}
    checked = 0
    for name, dev in layout_lab.devices.items():
        for iface, st in dev.interfaces.items():
            counted = {"crc_errors": st.counters["crc"], "input_errors": st.counters["input_errors"],
                       "frame_errors": st.counters["frame"]}
            missing = next((v for (layout, prefix), v in NOT_PRINTED.items()
                            if dev.layout == layout and iface.startswith(prefix)), set())
            expected = {k: (None if k in missing else v) for k, v in counted.items()}
            assert rows[(name, iface)] == expected, (name, dev.layout, iface)
            checked += 1
    assert checked == sum(len(d.interfaces) for d in layout_lab.devices.values())
