"""Link-event monitors: injected CRC/frame errors become 802.3ah Errored Frame events when they
reach the configured threshold in the configured window, and Errored Frame Seconds Summary
events when the seconds holding them do, as on the real devices; an IOS/XR high threshold with
``error-disable-interface`` takes the interface down.

Windows run in real seconds (the lab's time scale only shortens commit/revert timers).
``Lab`` registers ``MONITORS`` on every device; ``Device.tick()`` calls them.
"""
from __future__ import annotations

import math
import time

from oamkit.lab.device import Device, LinkEvent
from oamkit.lab.vendors.cisco_ios.show import ios_oam_settings
from oamkit.lab.vendors.cisco_xr.show import xr_oam_settings
from oamkit.lab.vendors.huawei_vrp.show import hw_efm_settings

MAX_EVENTS_PER_TICK = 50


# How each platform's running config names a monitor (as oamkit's templates render it):
# IOS window in 100 ms units, XR in ms, Junos fixed (1 s frame, 60 s frame-period-summary), VRP in s.
_IOS_WINDOW_DEFAULT = {"frame": "10", "frame-seconds": "600"}
_XR_WINDOW_DEFAULT = {"frame": "1000", "frame-seconds": "60000"}
_JUNOS_EVENT = {"frame": ("frame-error", 1.0), "frame-seconds": ("frame-period-summary", 60.0)}
_VRP_EVENT = {"frame": ("error-frame", "1"), "frame-seconds": ("error-frame-second", "60")}


def monitor_settings(dev: Device, ifname: str, event: str = "frame") -> tuple[float, int, int | None, bool] | None:
    """(window seconds, low threshold, high threshold or None, error-disable on high) of the
    interface's Errored Frame (`frame`) or Errored Frame Seconds Summary (`frame-seconds`)
    monitor, or None when OAM/monitoring is off there."""
    p = dev.platform
    if p == "cisco_ios":
        eff = ios_oam_settings(dev.running, ifname)
        if eff is None:
            return None
        high = eff.get(f"{event} threshold high", "none")
        return (int(eff.get(f"{event} window", _IOS_WINDOW_DEFAULT[event])) / 10,
                int(eff.get(f"{event} threshold low", "1")),
                None if high == "none" else int(high),
                eff.get("high-threshold action") == "error-disable-interface")
    if p == "cisco_xr":
        eff = xr_oam_settings(dev.running, ifname)
        if eff is None:
            return None
        high = eff.get(f"{event} high")
        return (int(eff.get(f"{event} window", _XR_WINDOW_DEFAULT[event]).split()[0]) / 1000,
                int(eff.get(f"{event} low", "1")), int(high) if high else None,
                eff.get("action high-threshold") == "error-disable-interface")
    if p == "juniper_junos":
        node = dev.running.get(["protocols", "oam", "ethernet", "link-fault-management", f"interface {ifname}"])
        if node is None:
            return None
        keyword, window = _JUNOS_EVENT[event]
        thr = node.get(["event-thresholds"])
        count = next((int(c.line.split()[1]) for c in (thr.children if thr else [])
                      if c.line.startswith(f"{keyword} ")), 1)
        high, down = _junos_action_profile(dev, node, keyword)
        return window, count, high, down
    if p == "huawei_vrp":
        eff = hw_efm_settings(dev.running, ifname)
        keyword, period = _VRP_EVENT[event]
        if "enable" not in eff or f"{keyword} notification" not in eff:
            return None
        return float(eff.get(f"{keyword} period", period)), int(eff.get(f"{keyword} threshold", "1")), None, False
    return None


def _junos_action_profile(dev: Device, node, keyword: str) -> tuple[int | None, bool]:
    """(link-event-rate `keyword` count, action link-down) of the action-profile an LFM
    interface applies: Junos acts when the count of one (fixed) window reaches it."""
    applied = next((c.line.split()[1] for c in node.children if c.line.startswith("apply-action-profile ")), None)
    if applied is None:
        return None, False
    prof = dev.running.get(["protocols", "oam", "ethernet", "link-fault-management", f"action-profile {applied}"])
    if prof is None:
        return None, False
    rate = prof.get(["event", "link-event-rate"])
    high = next((int(c.line.split()[1]) for c in (rate.children if rate else [])
                 if c.line.startswith(f"{keyword} ")), None)
    action = prof.get(["action"])
    return high, action is not None and any(c.line == "link-down" for c in action.children)


def frame_monitor(dev: Device, dt: float) -> None:
    """Evaluate whole windows elapsed since the last tick (called with ``dev.lock`` held)."""
    for name, st in dev.interfaces.items():
        acc = st._acc
        crc = st.counters["crc"] + st.counters["frame"]
        last = acc.get("mon_errors")
        acc["mon_errors"] = crc
        if last is None:
            acc["mon_time"] = 0.0
            continue
        if not st.admin_up or st.err_disabled:
            # no link, no OAM session: monitoring starts afresh when the port comes back
            acc["mon_time"] = acc["mon_pending"] = 0.0
            acc.pop("mon_burst", None)
            continue
        key = ("frame_settings", name)   # the ticker asks every device, every tick
        if key not in dev.derived:
            dev.derived[key] = monitor_settings(dev, name, "frame")
        settings = dev.derived[key]
        if settings is None:
            acc["mon_time"] = 0.0
            acc.pop("mon_burst", None)   # errors with no monitor configured are never an event
            continue
        window, low, high, err_disable = settings
        window = max(window, 0.1)
        acc["mon_time"] = acc.get("mon_time", 0.0) + dt
        acc["mon_pending"] = acc.get("mon_pending", 0.0) + (crc - last)
        windows = int(acc["mon_time"] // window)
        if windows < 1:
            continue
        acc["mon_time"] -= windows * window
        # Errors growing at a rate are spread evenly over the elapsed windows; a burst landed at
        # one instant, in the first of them (ticks run before and after every injection), so it
        # counts whole there however long nobody looked.
        burst = min(acc.pop("mon_burst", 0.0), acc["mon_pending"])
        spread = (acc["mon_pending"] - burst) / windows
        acc["mon_pending"] = 0.0
        _log_window(dev, name, st, spread + burst, 1, low, high, err_disable)
        _log_window(dev, name, st, spread, windows - 1, low, high, err_disable)


def _log_window(dev: Device, name: str, st, errors: float, count: int, low: int,
                high: int | None, err_disable: bool) -> None:
    """Log ``count`` Errored Frame events of ``errors`` each when that reaches the low threshold."""
    if count < 1 or errors < max(low, 1):
        return
    for _ in range(min(count, MAX_EVENTS_PER_TICK)):
        _log_event(dev, name, st, "frame", int(errors), low, high, err_disable)


def _log_event(dev: Device, name: str, st, event: str, value: int, low: int,
               high: int | None, err_disable: bool) -> None:
    """One local link event (its count, the Event OAMPDU it sends, the log line); a crossed
    high threshold with error-disable takes the port down."""
    crossed_high = high is not None and value >= high
    action = "Logged"
    if crossed_high and err_disable:
        action = "Err.D"
        st.oper_up = False
        st.err_disabled = True
    st.oam.local_events[event] += 1
    st.oam.event_tx += 1
    dev.event_log.append(LinkEvent(time.time(), name, _LOG_TYPE[event], "Local", action,
                                   high if crossed_high else low, value))


_LOG_TYPE = {"frame": "Frame", "frame-seconds": "Frame seconds"}   # XR's event-log Type column


def frame_seconds_monitor(dev: Device, dt: float) -> None:
    """Errored Frame Seconds Summary (IEEE 802.3 57.5.3.4): a second with at least one errored
    frame is an errored second; when a window ends holding at least the low threshold of them,
    one event whose value is that count. So a burst is one errored second, however many frames
    it hit, and errors at a steady rate make every second errored (called with ``dev.lock``
    held; seconds run on the monitor's own clock, as ``frame_monitor``'s windows do)."""
    for name, st in dev.interfaces.items():
        acc = st._acc
        errors = st.counters["crc"] + st.counters["frame"]
        last = acc.get("fs_errors")
        acc["fs_errors"] = errors
        key = ("frame_seconds_settings", name)
        if key not in dev.derived:
            dev.derived[key] = monitor_settings(dev, name, "frame-seconds")
        settings = dev.derived[key]
        if last is None or settings is None or not st.admin_up or st.err_disabled:
            # no monitor, no link: it starts afresh (a burst meanwhile is never an event)
            for k in ("fs_clock", "fs_burst", "fs_windows", "fs_last_second"):
                acc.pop(k, None)
            continue
        window_s, low, high, err_disable = settings
        window = max(int(round(window_s)), 1)
        start = acc.get("fs_clock", 0.0)
        end = acc["fs_clock"] = start + dt
        new = errors - last
        burst = min(acc.pop("fs_burst", 0), new)
        spread = new - burst
        # the whole seconds this tick touched; older than the last MAX_EVENTS_PER_TICK windows
        # could only make events that are never logged anyway
        first = max(int(start), int(end) - window * MAX_EVENTS_PER_TICK)
        touched = max(first, math.ceil(end) - 1) - first + 1
        errored = {first} if burst > 0 else set()
        if spread > 0:   # errors at a rate, spread evenly over the touched seconds
            k = min(touched, math.ceil(spread))
            errored.update(first + (i * touched) // k for i in range(k))
        windows: dict[int, int] = acc.setdefault("fs_windows", {})
        seen = acc.get("fs_last_second", -1)
        for second in sorted(errored):
            if second > seen:   # a second two ticks share is counted once
                windows[second // window] = windows.get(second // window, 0) + 1
                seen = second
        acc["fs_last_second"] = seen
        for index in sorted(w for w in windows if (w + 1) * window <= end):
            count = windows.pop(index)
            if count >= max(low, 1):
                _log_event(dev, name, st, "frame-seconds", count, low, high, err_disable)


MONITORS = (frame_monitor, frame_seconds_monitor)
