"""The lab's Errored Frame monitor (oamkit/lab/events.py): events per elapsed window, as a device
logs them, however long nobody looked. Driven through Device.tick(); the elapsed time is set on
the device's own clock rather than slept."""
from __future__ import annotations

import pytest

from oamkit.lab.device import Device
from oamkit.lab.events import frame_monitor

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
