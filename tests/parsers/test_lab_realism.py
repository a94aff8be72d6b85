"""The lab prints what real devices print, not only the shapes oamkit's templates expect:
sub-interfaces / logical units from its configuration (one in every baseline), their records
without error counters, extra informational lines, VRP remote-loopback session states. The
parsers must read all of it (null counters for sub-interfaces, never 0, and no warnings)."""
from __future__ import annotations

import pytest

from oamkit.lab import show
from oamkit.lab.device import LAB_SUBIF_VLAN, LAYOUTS, Device
from oamkit.lab.vendors.huawei_vrp.layouts import VRP_LAYOUTS
from oamkit.parse import parse_output

COUNTERS = {
    "cisco_ios": ("show interfaces", lambda d: show.interfaces(d, None)),
    "cisco_xr": ("show interfaces", lambda d: show.interfaces(d, None)),
    "juniper_junos": ("show interfaces extensive", lambda d: show.junos_interfaces(d, ["extensive"])),
    "huawei_vrp": ("display interface", lambda d: show.hw_interfaces(d, None)),
}


@pytest.mark.parametrize("platform", list(COUNTERS))
def test_baseline_sub_interface_is_printed_and_parses_to_null_counters(platform):
    dev = Device("lab-1", platform)
    first = next(iter(dev.interfaces))
    dev.interfaces[first].counters["crc"] = 3
    dev.interfaces[first].counters["input_errors"] = 3
    command, render = COUNTERS[platform]
    text = render(dev)
    result = parse_output(platform, command, text)
    assert result.warnings == []
    by_name = {r["interface"]: r for r in result.records}
    assert by_name[first]["crc_errors"] == 3
    assert all(by_name[n]["crc_errors"] == 0 for n in dev.interfaces if n != first)
    sub = f"{first}.{LAB_SUBIF_VLAN}"
    if platform == "juniper_junos":
        # a logical unit is part of its port's record, with its VLAN tag
        assert f"  Logical interface {sub} (Index" in text
        assert f"VLAN-Tag [ 0x8100.{LAB_SUBIF_VLAN} ]" in text
        assert set(by_name) == set(dev.interfaces)
        return
    assert by_name[sub] == {"interface": sub, "input_errors": None, "crc_errors": None,
                            "frame_errors": None, "template": result.template,
                            "raw": by_name[sub]["raw"]}
    lines = text[text.index(sub):].splitlines()
    starts = (lambda line: not line) if platform == "huawei_vrp" else \
        (lambda line: line and not line[0].isspace())   # VRP records end at a blank line
    end = next((i for i, line in enumerate(lines[1:], 1) if starts(line)), len(lines))
    record = "\n".join(lines[:end])
    assert "input errors" not in record and "CRC:" not in record and len(lines[:end]) > 5


def test_ios_sub_interface_record_has_no_counter_lines_and_xr_has_packets_only():
    ios = show.interfaces(Device("ios-1", "cisco_ios"), "GigabitEthernet0/1.100")
    assert ios.splitlines()[-1] == '  Last clearing of "show interface" counters never'
    assert "Encapsulation 802.1Q Virtual LAN, Vlan ID  100." in ios
    xr = show.interfaces(Device("xr-1", "cisco_xr"), "GigabitEthernet0/0/0/0.100")
    assert "Hardware is VLAN sub-interface(s)" in xr and "packets input" in xr
    assert "input errors" not in xr


def test_sub_interfaces_follow_the_configuration():
    dev = Device("ios-1", "cisco_ios")
    dev.running.set(["interface GigabitEthernet0/2.200", "encapsulation dot1Q 200"])
    dev.running.set(["interface GigabitEthernet0/2.200", "shutdown"])
    text = show.interfaces(dev, None)
    assert "GigabitEthernet0/2.200 is administratively down, line protocol is down" in text
    assert "Vlan ID  200." in text
    names = [r["interface"] for r in parse_output("cisco_ios", "show interfaces", text).records]
    # in device order: each port followed by its own sub-interfaces
    assert names.index("GigabitEthernet0/2.200") == names.index("GigabitEthernet0/2") + 1


def test_vrp_session_prints_remote_loopback_states():
    dev = Device("vrp-1", "huawei_vrp")
    for name in ("GigabitEthernet0/1/0", "GigabitEthernet0/1/1", "GigabitEthernet0/1/2"):
        dev.running.set([f"interface {name}", "efm enable"])
    dev.set_loopback("GigabitEthernet0/1/0", "control", timeout=19)
    dev.set_loopback("GigabitEthernet0/1/1", "be controlled")
    dev.set_peer_state("GigabitEthernet0/1/2", "down")
    result = parse_output("huawei_vrp", "display efm session all", show.hw_session(dev, None))
    assert result.warnings == []
    states = {r["interface"]: (r["session_state"], r["loopback_timeout_min"]) for r in result.records}
    assert states == {"GigabitEthernet0/1/0": ("loopback-control", 19),
                      "GigabitEthernet0/1/1": ("loopback-be-controlled", None),
                      "GigabitEthernet0/1/2": ("discovery", None)}
    dev.set_loopback("GigabitEthernet0/1/0", None)
    assert "loopback" not in show.hw_session(dev, "GigabitEthernet0/1/0")
    with pytest.raises(ValueError):
        dev.set_loopback("GigabitEthernet0/1/0", "sideways")


# ------------------------------------------------------------- every real layout the lab prints
COUNTER_LAYOUTS = [(p, layout) for p in COUNTERS for layout in LAYOUTS[p]]


@pytest.mark.parametrize("platform,layout", COUNTER_LAYOUTS)
def test_every_layout_parses_without_warnings(platform, layout):
    dev = Device("lab-1", platform, layout=layout)
    first = next(iter(dev.interfaces))
    dev.interfaces[first].counters.update(crc=11, input_errors=13)
    command, render = COUNTERS[platform]
    result = parse_output(platform, command, render(dev))
    assert result.warnings == []
    by_name = {r["interface"]: r for r in result.records}
    assert set(dev.interfaces) <= set(by_name)
    assert by_name[first]["crc_errors"] == 11


@pytest.mark.parametrize("layout", list(LAYOUTS["huawei_vrp"]))
def test_vrp_efm_items_of_every_layout_are_known(layout):
    dev = Device("vrp-1", "huawei_vrp", layout=layout)
    name = next(iter(dev.interfaces))
    for line in ("efm enable", "efm error-frame-period notification enable", "efm error-frame-period period 300"):
        dev.running.set([f"interface {name}", line])
    text = show.hw_efm(dev, None)
    newer = VRP_LAYOUTS[layout].efm_newer_items
    assert ("\n  Loopback IgnoreRequest:" in text) == newer and ("TriggerMacRenew:" in text) == newer
    if VRP_LAYOUTS[layout].efm_pair_on_one_line:
        assert "  Remote Multiplexer:            --  ErrFramePeriodNotification:    enable\n" in text
    for command in ("display efm all", f"display efm interface {name}"):
        result = parse_output("huawei_vrp", command, text)
        assert result.warnings == []            # known items: no warning
        (rec,) = result.records
        assert rec["link_events"]["frame_period"]["notification"] is True
        assert rec["link_events"]["frame_period"]["window"] == 300
    # a truly unknown item is still skipped and counted
    odd = text.replace("  OAMPDU MaxSize:", "  OAMPDU Jitter Tolerance:      5\n  OAMPDU MaxSize:")
    result = parse_output("huawei_vrp", "display efm all", odd)
    assert len(result.records) == 1 and len(result.warnings) == 1
    assert "OAMPDU Jitter Tolerance" in result.warnings[0]
