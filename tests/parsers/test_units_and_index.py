"""Unit conversion back to IEEE units, null markers, and the template index."""
from __future__ import annotations

from pathlib import Path

import pytest

from oamkit import parse
from oamkit.parse import ParseError, UnsupportedCommand, parse_output, template_for
from oamkit.parse.values import NULL_MARKERS, count_or_null, window_to_ieee


@pytest.mark.parametrize("event, text, platform, value, unit", [
    # IOS prints the multiplier: read it from the text, whatever the docs say it counts
    ("frame", "10 x 100 milliseconds", "cisco_ios", 10, "deciseconds"),
    ("frame_seconds", "600 x 100 milliseconds", "cisco_ios", 600, "deciseconds"),
    ("receive_crc", "100 x 100 milliseconds", "cisco_ios", 100, "deciseconds"),
    ("frame_period", "1 x 100,000 frames", "cisco_ios", 100_000, "frames"),
    ("frame_period", "100 x 10,000 frames", "cisco_ios", 1_000_000, "frames"),
    ("symbol_period", "1 million symbols", "cisco_ios", 1_000_000, "symbols"),
    ("symbol_period", "3 million symbols", "cisco_ios", 3_000_000, "symbols"),
    # IOS-XR bare numbers are milliseconds; symbols/frames when configured so
    ("frame", "1000", "cisco_xr", 10, "deciseconds"),
    ("frame_seconds", "60000", "cisco_xr", 600, "deciseconds"),
    ("symbol_period", "125000000 symbols", "cisco_xr", 125_000_000, "symbols"),
    ("frame_period", "1000000 frames", "cisco_xr", 1_000_000, "frames"),
    # Huawei: seconds, frame-period in frames
    ("frame", "1", "huawei_vrp", 10, "deciseconds"),
    ("frame_seconds", "60", "huawei_vrp", 600, "deciseconds"),
    ("frame_period", "200000", "huawei_vrp", 200_000, "frames"),
])
def test_window_to_ieee(event, text, platform, value, unit):
    window = window_to_ieee(event, text, platform)
    assert (window.value, window.unit) == (value, unit)
    assert window.note is None


@pytest.mark.parametrize("event, text, platform, note", [
    ("frame", "1050", "cisco_xr", "not a whole number of deciseconds"),
    ("symbol_period", "1", "huawei_vrp", "needs the link speed"),
    ("frame_period", "1000", "cisco_xr", "needs the link speed"),
    ("symbol_period", "0", "cisco_xr", "platform default"),
])
def test_window_not_exactly_convertible_is_null_with_a_reason(event, text, platform, note):
    window = window_to_ieee(event, text, platform)
    assert window.value is None and note in window.note and window.vendor


@pytest.mark.parametrize("text", ["10", "ten x 100 ms", "10 x 100 furlongs"])
def test_window_garbage_is_refused(text):
    with pytest.raises(ValueError):
        window_to_ieee("frame", text, "cisco_ios")


@pytest.mark.parametrize("marker", ["-", "--", "N/A", "None", "none", "", "  "])
def test_null_markers_become_null_not_zero(marker):
    assert count_or_null(marker) is None
    assert window_to_ieee("frame", marker, "cisco_ios").value is None


def test_counts():
    assert count_or_null("1 error frame(s)") == 1
    assert count_or_null("3,000") == 3000
    assert count_or_null("1000ms") == 1000
    assert count_or_null("0") == 0
    with pytest.raises(ValueError):
        count_or_null("lots")
    assert {"-", "--", "n/a", "none"} <= NULL_MARKERS


def test_ieee_units_agree_with_policy():
    from oamkit import policy
    from oamkit.parse.values import IEEE_WINDOW_UNITS

    assert IEEE_WINDOW_UNITS == policy.WINDOW_UNITS


def test_dash_counter_is_null_in_records():
    text = (Path(__file__).parent.parent / "fixtures/parsers/huawei_vrp/display_interface/"
            "lower_case_and_dashes.raw").read_text()
    (record,) = parse_output("huawei_vrp", "display interface", text).records
    assert record["crc_errors"] is None and record["input_errors"] == 0
    assert record["interface"] == "GigabitEthernet0/1/1"


# ------------------------------------------------------------------------------------ index
def test_every_index_template_exists():
    from oamkit.parse.index import TEMPLATE_DIR, command_index, ntc_template_dir

    rows = list(command_index().index.index)
    assert len(rows) == 16
    for row in rows:
        name = row["Template"]
        if name.startswith("ntc-templates:"):
            assert (ntc_template_dir() / name.removeprefix("ntc-templates:")).is_file()
        else:
            assert (TEMPLATE_DIR / name).is_file(), name
    own = {p.name for p in TEMPLATE_DIR.glob("*.textfsm")}
    assert own == {r["Template"] for r in rows if not r["Template"].startswith("ntc-")}


@pytest.mark.parametrize("platform, command, template", [
    ("cisco_ios", "sh eth oam statu", "cisco_ios_show_ethernet_oam_status.textfsm"),
    ("cisco_ios", "show ethernet oam status interface GigabitEthernet0/1",
     "cisco_ios_show_ethernet_oam_status.textfsm"),
    ("cisco_ios", "show ethernet oam stati", "cisco_ios_show_ethernet_oam_statistics.textfsm"),
    ("cisco_ios", "show  interfaces  Gi0/1", "ntc-templates:cisco_ios_show_interfaces.textfsm"),
    ("iosxe", "show interfaces", "ntc-templates:cisco_ios_show_interfaces.textfsm"),
    ("cisco_xr", "show ethernet oam configuration", "cisco_xr_show_ethernet_oam_configuration.textfsm"),
    ("cisco_xr", "sh eth oam int", "cisco_xr_show_ethernet_oam_interfaces.textfsm"),
    ("cisco_xr", "sh eth oam event-log", "cisco_xr_show_ethernet_oam_event-log.textfsm"),
    ("juniper_junos", "show oam ethernet link-fault-management detail ge-0/0/0 | no-more",
     "juniper_junos_show_oam_ethernet_link-fault-management.textfsm"),
    ("juniper_junos", "show interfaces ge-0/0/0 extensive",
     "juniper_junos_show_interfaces_extensive.textfsm"),
    ("huawei_vrp", "display efm interface GigabitEthernet 0/1/0", "huawei_vrp_display_efm_all.textfsm"),
    ("huawei_vrp", "dis efm session all", "huawei_vrp_display_efm_session_all.textfsm"),
    ("huawei_vrp", "display efm link-event local all",
     "huawei_vrp_display_efm_link-event_local.textfsm"),
    ("huawei_vrp", "display interface GigabitEthernet0/1/0", "huawei_vrp_display_interface.textfsm"),
    ("huawei_vrp", "display interface 10GE 1/0/1", "huawei_vrp_display_interface.textfsm"),
    # Junos ports that are not `xx-N/N/N`: SRX redundant Ethernet, management, IRB, loopback
    ("juniper_junos", "show interfaces fxp0 extensive", "juniper_junos_show_interfaces_extensive.textfsm"),
    ("juniper_junos", "show interfaces extensive reth0", "juniper_junos_show_interfaces_extensive.textfsm"),
    ("juniper_junos", "show interfaces irb extensive", "juniper_junos_show_interfaces_extensive.textfsm"),
    ("juniper_junos", "sh int mge-0/0/1 ext", "juniper_junos_show_interfaces_extensive.textfsm"),
])
def test_command_lookup(platform, command, template):
    assert template_for(platform, command) == template


@pytest.mark.parametrize("platform, command", [
    ("cisco_ios", "show ethernet oam stat"),       # ambiguous on the device too
    ("cisco_ios", "show interfaces status"),        # another table, not counters
    ("cisco_ios", "show version"),
    ("huawei_vrp", "display interface brief"),
    ("juniper_junos", "show interfaces terse extensive"),
    ("nokia_sros", "show port"),
])
def test_unknown_command_or_platform(platform, command):
    with pytest.raises(UnsupportedCommand):
        parse_output(platform, command, "anything")


def test_unknown_line_names_template_and_line():
    text = "GigabitEthernet0/1\nGeneral\n-------\n  Mode:   active\n  Flux capacitor: on\n"
    with pytest.raises(ParseError) as caught:
        parse_output("cisco_ios", "show ethernet oam status", text)
    assert caught.value.template == "cisco_ios_show_ethernet_oam_status.textfsm"
    assert caught.value.line_no == 5
    assert "Flux capacitor" in caught.value.line


def test_ntc_template_with_unknown_output_is_an_error_not_empty():
    with pytest.raises(ParseError) as caught:
        parse_output("cisco_ios", "show interfaces", "this is not show interfaces output\n")
    assert caught.value.template == "ntc-templates:cisco_ios_show_interfaces.textfsm"
    assert "no records" in caught.value.reason


def test_crlf_and_tabs():
    text = "  Interface                 EFM State                   Loopback Timeout\r\n" \
           "  ----------------\r\n  GigabitEthernet0/1/1\tdetect\t--\r\n"
    (record,) = parse_output("huawei_vrp", "display efm session all", text).records
    assert record["session_state"] == "detect" and record["discovery_state"] == "operational"


def test_canonical_interface():
    assert parse.canonical_interface("cisco_ios", "Gi0/1") == "GigabitEthernet0/1"
    assert parse.canonical_interface("cisco_xr", "Te0/0/0/1") == "TenGigE0/0/0/1"
    assert parse.canonical_interface("huawei_vrp", "gigabitethernet0/1/1") == "GigabitEthernet0/1/1"
    assert parse.canonical_interface("juniper_junos", "ge-0/0/0") == "ge-0/0/0"
    # standard abbreviations seen in summary tables (outside reviewer, session 19)
    assert parse.canonical_interface("cisco_xr", "FH0/0/0/0") == "FourHundredGigE0/0/0/0"
    assert parse.canonical_interface("cisco_xr", "Mg0/RP0/CPU0/0") == "MgmtEth0/RP0/CPU0/0"
    assert parse.canonical_interface("cisco_ios", "Tw1/0/1") == "TwoGigabitEthernet1/0/1"
    assert parse.canonical_interface("cisco_ios", "Twe1/0/1") == "TwentyFiveGigE1/0/1"
    assert parse.canonical_interface("huawei_vrp", "10ge1/0/1") == "10GE1/0/1"


@pytest.mark.parametrize("platform, name, speed", [
    ("huawei_vrp", "10GE1/0/1", 10**10), ("huawei_vrp", "40GE1/0/1", 4 * 10**10),
    ("huawei_vrp", "100GE1/0/1", 10**11), ("huawei_vrp", "400GE1/0/1", 4 * 10**11),
    ("cisco_xr", "FourHundredGigE0/0/0/0", 4 * 10**11), ("cisco_ios", "TwoGigabitEthernet1/0/1", 25 * 10**8),
])
def test_speed_named_ports_have_their_speed(platform, name, speed):
    """A port named by its speed is that speed: the policy's windows (frames, symbols per
    second) follow it; a 10GE port taken for the default 1G would get windows 10x too short."""
    from oamkit.platforms import get_platform

    assert get_platform(platform).speed_for_interface(name) == speed


def test_intent_short_names_match_parsed_full_names():
    """One alias table per platform: an intent written `BE100` / `Tf0/0/0/1` (canonicalised by
    the inventory with Platform.canonical_interface) names the same interface as parsed output
    that prints the full form, so facts does not report it missing."""
    from oamkit.platforms import get_platform

    real = (Path(__file__).resolve().parent.parent / "fixtures" / "parsers" / "cisco_xr"
            / "show_interfaces" / "real_genieparser_bundles_subinterfaces.raw").read_text()
    # reconstructed: a 25G port record in the XR layout, ending where a capture could
    tf = ("TwentyFiveGigE0/0/0/1 is up, line protocol is up\n"
          '  Last clearing of "show interface" counters never\n'
          "     1 packets input, 64 bytes, 0 total input drops\n"
          "     3 input errors, 2 CRC, 1 frame, 0 overrun, 0 ignored, 0 abort\n"
          "     1 packets output, 64 bytes, 0 total output drops\n")
    parsed = {r["interface"] for text in (real, tf)
              for r in parse.parse_output("cisco_xr", "show interfaces", text).records}
    xr = get_platform("cisco_xr")
    for written, full in (("BE100", "Bundle-Ether100"), ("be100", "Bundle-Ether100"),
                          ("BE100.12", "Bundle-Ether100.12"), ("Tf0/0/0/1", "TwentyFiveGigE0/0/0/1"),
                          ("twentyfivegige0/0/0/1", "TwentyFiveGigE0/0/0/1")):
        assert xr.canonical_interface(written) == full and full in parsed, written
        assert parse.canonical_interface("cisco_xr", written) == full
        assert not xr.names.problem("interface", full)
    assert get_platform("cisco_ios").canonical_interface("Po1") == "Port-channel1"
    assert parse.canonical_interface("cisco_ios", "Po1.100") == "Port-channel1.100"
    assert parse.canonical_interface("huawei_vrp", "eth-trunk1") == "Eth-Trunk1"
