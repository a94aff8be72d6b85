"""Where each platform's OAM event time comes from (`Platform.event_timing`, vendors as data):
a timestamped event log, or link-event counters read from parsed show output. The counters are
the *local* events (what this end detected), never the peer's, on the interface asked for."""
from pathlib import Path

import pytest

from oamkit.dr_actions import counter_increments
from oamkit.errors import OamkitError
from oamkit.parse.engine import parse_output
from oamkit.platforms import get_platform, platform_names

FIXTURES = Path(__file__).parent.parent / "fixtures" / "parsers"

# platform -> (fixture folder, interface, its local Errored Frame event count in that capture)
COUNTED = {
    # `Local event logs: 2 Errored Frame records` (the remote log's 4 on Gi0/2 are the peer's)
    "cisco_ios": ("show_ethernet_oam_statistics", "GigabitEthernet0/1", 2),
    # `OAM transmitted frame error event information: Events: 0` (`received ... Events: 2`: peer's)
    "juniper_junos": ("show_oam_ethernet_link-fault-management_detail", "ge-0/0/0", 0),
    # `ErrFrameEventRunningTotal: 2`
    "huawei_vrp": ("display_efm_link-event_local", "GigabitEthernet0/1/0", 2),
}


def test_every_platform_says_where_its_event_times_come_from():
    for name in ("cisco_ios", "cisco_xr", "juniper_junos", "huawei_vrp"):
        timing = get_platform(name).event_timing
        assert timing is not None, name
        assert timing.role in get_platform(name).commands, name
        if timing.source == "log":
            assert timing.resolution_s and not timing.count, name
        else:
            assert timing.count and 0 < timing.poll_s <= 1.0, name
    assert get_platform("cisco_xr").event_timing.source == "log"
    assert {n for n in platform_names() if (t := get_platform(n).event_timing) and t.source == "counter"} \
        >= set(COUNTED)


@pytest.mark.parametrize("platform", sorted(COUNTED))
def test_event_counts_from_parsed_show_output(platform):
    folder, interface, frames = COUNTED[platform]
    p = get_platform(platform)
    command = p.commands[p.event_timing.role]
    records = parse_output(platform, command, (FIXTURES / platform / folder / "basic.raw").read_text()).records
    counts = p.event_counts(records, interface)
    assert counts["frame"] == frames, counts
    assert set(counts) <= set(p.events)
    assert p.event_counts(records, "GigabitEthernet9/9") == {}


def test_a_counter_rise_is_placed_between_the_reads_around_it():
    # reads: (sent, answered, counts); the errors began at 100.2
    samples = [(99.0, 99.1, {"frame": 3, "symbol_period": 0}),
               (100.0, 100.1, {"frame": 3, "symbol_period": 0}),
               (100.5, 100.6, {"frame": 3, "symbol_period": 0}),
               (101.0, 101.1, {"frame": 5, "symbol_period": 0}),
               (101.5, 101.6, {"frame": 6, "symbol_period": 0})]
    first, second = counter_increments(samples, since=100.2)
    # after the last read that did not count it (sent 100.5), before the first that did answered
    assert (first["event_type"], first["previous"], first["count"]) == ("frame", 3, 5)
    assert first["time"] == 100.5 and first["resolution_s"] == pytest.approx(0.6)
    assert second["time"] == 101.0 and second["count"] == 6
    # never placed before the errors began: the read before them bounds nothing earlier
    early = counter_increments(samples[:2] + [(100.5, 100.6, {"frame": 4})], since=100.2)
    assert early[0]["time"] == 100.2 and early[0]["resolution_s"] == pytest.approx(0.4)


def test_counters_first_read_after_the_errors_began_time_nothing():
    with pytest.raises(OamkitError, match="first read after the errors began"):
        counter_increments([(100.5, 100.6, {"frame": 3}), (101.0, 101.1, {"frame": 4})], since=100.2)
    assert counter_increments([(99.0, 99.1, {"frame": 3}), (100.5, 100.6, {"frame": 3})], since=100.2) == []


def test_the_report_says_where_the_event_time_came_from():
    from oamkit.dr.report import event_time_source

    log = event_time_source({"event_source": {"source": "log", "command": "show ethernet oam event-log",
                                              "resolution_s": 1.0}, "event_resolution_s": 1.0})
    assert "event log `show ethernet oam event-log`" in log and "1 s" in log
    polled = event_time_source({"event_source": {"source": "counter", "command": "show ethernet oam statistics",
                                                 "poll_s": 0.5}, "event_resolution_s": 0.51})
    assert "counter in `show ethernet oam statistics`, polled every 0.5 s, within 0.51 s" in polled
    assert event_time_source({}) == "the event log was not read"
