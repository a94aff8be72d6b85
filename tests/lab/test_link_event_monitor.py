"""The lab's Errored Frame monitor (oamkit/lab/events.py): events per elapsed window, as a device
logs them, however long nobody looked. Driven through Device.tick(); the elapsed time is set on
the device's own clock rather than slept."""
from __future__ import annotations

import pytest

from oamkit.lab.device import Device
from oamkit.lab.events import MONITORS, frame_monitor

IFACE = "GigabitEthernet0/1/1"


def vrp_monitoring(period: int = 1, threshold: int = 1) -> Device:
    dev = Device("vrp-9", "huawei_vrp")
    for line in ("efm enable", "efm error-frame notification enable",
                 f"efm error-frame period {period}", f"efm error-frame threshold {threshold}"):
        dev.running.set([f"interface {IFACE}", line])
    dev.monitors.append(frame_monitor)
    dev.tick()
    return dev


def frame_events(dev: Device) -> list:
    return [e for e in dev.event_log if e.interface == IFACE and e.type == "Frame"]


def elapse(dev: Device, seconds: float) -> None:
    dev._last_tick -= seconds
    dev.tick()


@pytest.mark.parametrize("quiet_seconds", [1.5, 7.0, 600.0])
def test_a_burst_is_one_event_however_long_before_the_next_look(quiet_seconds):
    dev = vrp_monitoring(period=1, threshold=3)
    dev.inject_errors(IFACE, burst_crc=5)
    elapse(dev, quiet_seconds)
    (event,) = frame_events(dev)
    assert event.value == 5 and event.threshold == 3
    elapse(dev, 5.0)
    assert len(frame_events(dev)) == 1          # nothing new afterwards


def test_a_burst_below_the_threshold_logs_nothing():
    dev = vrp_monitoring(period=1, threshold=10)
    dev.inject_errors(IFACE, burst_crc=5)
    elapse(dev, 3.0)
    assert frame_events(dev) == []


def test_a_steady_rate_logs_every_window_it_fills():
    dev = vrp_monitoring(period=2, threshold=10)
    dev.inject_errors(IFACE, crc_per_second=10)      # 20 per 2 s window
    elapse(dev, 6.0)
    events = frame_events(dev)
    assert len(events) == 3 and all(18 <= e.value <= 22 for e in events), events
    dev.inject_errors(IFACE, crc_per_second=2)        # 4 per window: under the threshold
    elapse(dev, 6.0)
    assert len(frame_events(dev)) == 3


def test_errors_without_a_monitor_configured_never_become_events():
    dev = Device("vrp-9", "huawei_vrp")
    dev.monitors.append(frame_monitor)
    dev.tick()
    dev.inject_errors(IFACE, burst_crc=50)
    elapse(dev, 2.0)
    for line in ("efm enable", "efm error-frame notification enable"):
        dev.running.set([f"interface {IFACE}", line])
    dev.derived.clear()
    elapse(dev, 2.0)
    assert frame_events(dev) == []


# -- Errored Frame Seconds Summary: seconds with errors, counted per window

def xr_seconds_monitoring(window_ms: int = 10_000, low: int = 2, high: int | None = None) -> Device:
    xr_if = "GigabitEthernet0/0/0/0"
    dev = Device("xr-9", "cisco_xr")
    dev.running.set([f"interface {xr_if}", "ethernet oam", "link-monitor",
                     f"frame-seconds window {window_ms}"])
    dev.running.set([f"interface {xr_if}", "ethernet oam", "link-monitor",
                     f"frame-seconds threshold low {low}" + (f" high {high}" if high else "")])
    dev.monitors.extend(MONITORS)
    dev.tick()
    return dev


def seconds_events(dev: Device) -> list:
    return [e for e in dev.event_log if e.type == "Frame seconds"]


@pytest.mark.parametrize("look_every", [0.25, 30.0])   # ticks as the lab runs them; one late look
def test_a_burst_is_one_errored_second_and_stays_under_a_low_threshold_of_two(look_every):
    dev = xr_seconds_monitoring(low=2)
    dev.inject_errors("GigabitEthernet0/0/0/0", burst_crc=5000)
    for _ in range(int(30 / look_every)):
        elapse(dev, look_every)
    assert seconds_events(dev) == []
    # the Errored Frame monitor did see the burst: only the seconds summary stays quiet
    assert dev.interfaces["GigabitEthernet0/0/0/0"].oam.local_events["frame-seconds"] == 0


@pytest.mark.parametrize("look_every", [0.25, 30.0])
def test_a_steady_rate_makes_every_second_errored_one_event_per_window(look_every):
    dev = xr_seconds_monitoring(low=2, high=8)
    dev.inject_errors("GigabitEthernet0/0/0/0", crc_per_second=3)
    for _ in range(int(30 / look_every)):
        elapse(dev, look_every)
    events = seconds_events(dev)
    assert [(e.value, e.threshold, e.location) for e in events] == [(10, 8, "Local")] * 3, events
    assert dev.interfaces["GigabitEthernet0/0/0/0"].oam.local_events["frame-seconds"] == 3


def test_a_slow_rate_errs_only_the_seconds_an_error_lands_in():
    dev = xr_seconds_monitoring(low=2, high=8)
    dev.inject_errors("GigabitEthernet0/0/0/0", crc_per_second=0.3)   # 3 errors per 10 s
    for _ in range(40):
        elapse(dev, 0.25)
    (event,) = seconds_events(dev)
    assert event.value == 3 and event.threshold == 2


def test_vrp_and_ios_count_frame_seconds_events_in_their_own_units():
    vrp = Device("vrp-9", "huawei_vrp")
    for line in ("efm enable", "efm error-frame-second notification enable",
                 "efm error-frame-second period 10", "efm error-frame-second threshold 4"):
        vrp.running.set([f"interface {IFACE}", line])
    ios = Device("ios-9", "cisco_ios")
    for line in ("ethernet oam", "ethernet oam link-monitor frame-seconds window 100",   # x 100 ms
                 "ethernet oam link-monitor frame-seconds threshold low 4"):
        ios.running.set(["interface GigabitEthernet0/1", line])
    for dev, itf in ((vrp, IFACE), (ios, "GigabitEthernet0/1")):
        dev.monitors.extend(MONITORS)
        dev.tick()
        dev.inject_errors(itf, crc_per_second=1)
        for _ in range(40):
            elapse(dev, 0.25)
        assert [e.value for e in seconds_events(dev)] == [10], dev.platform
        assert dev.interfaces[itf].oam.local_events["frame-seconds"] == 1
