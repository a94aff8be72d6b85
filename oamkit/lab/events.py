"""Link-event monitors: injected CRC/frame errors become 802.3ah Errored Frame events when they
reach the configured threshold in the configured window, as on the real devices, and an IOS/XR
high threshold with ``error-disable-interface`` takes the interface down.

Windows run in real seconds (the lab's time scale only shortens commit/revert timers).
``Lab`` registers ``frame_monitor`` on every device; ``Device.tick()`` calls it.
"""
from __future__ import annotations

import time

from oamkit.lab.device import Device, LinkEvent
from oamkit.lab.vendors.cisco_ios.show import ios_oam_settings
from oamkit.lab.vendors.cisco_xr.show import xr_oam_settings
from oamkit.lab.vendors.huawei_vrp.show import hw_efm_settings

MAX_EVENTS_PER_TICK = 50


def frame_settings(dev: Device, ifname: str) -> tuple[float, int, int | None, bool] | None:
    """(window seconds, low threshold, high threshold or None, error-disable on high) for the
    Errored Frame monitor of an interface, or None when OAM/monitoring is off there."""
    p = dev.platform
    if p == "cisco_ios":
        eff = ios_oam_settings(dev.running, ifname)
        if eff is None:
            return None
        high = eff.get("frame threshold high", "none")
        return (int(eff.get("frame window", "10")) / 10, int(eff.get("frame threshold low", "1")),
                None if high == "none" else int(high),
                eff.get("high-threshold action") == "error-disable-interface")
    if p == "cisco_xr":
        eff = xr_oam_settings(dev.running, ifname)
        if eff is None:
            return None
        high = eff.get("frame high")
        return (int(eff.get("frame window", "1000").split()[0]) / 1000, int(eff.get("frame low", "1")),
                int(high) if high else None,
                eff.get("action high-threshold") == "error-disable-interface")
    if p == "juniper_junos":
        node = dev.running.get(["protocols", "oam", "ethernet", "link-fault-management", f"interface {ifname}"])
        if node is None:
            return None
        thr = node.get(["event-thresholds"])
        count = next((int(c.line.split()[1]) for c in (thr.children if thr else [])
                      if c.line.startswith("frame-error ")), 1)
        high, down = _junos_action_profile(dev, node)
        return 1.0, count, high, down
    if p == "huawei_vrp":
        eff = hw_efm_settings(dev.running, ifname)
        if "enable" not in eff or "error-frame notification" not in eff:
            return None
        return (float(eff.get("error-frame period", "1")), int(eff.get("error-frame threshold", "1")), None, False)
    return None


def _junos_action_profile(dev: Device, node) -> tuple[int | None, bool]:
    """(link-event-rate frame-error count, action link-down) of the action-profile an LFM
    interface applies: Junos acts when the errored frames of one (fixed) window reach it."""
    applied = next((c.line.split()[1] for c in node.children if c.line.startswith("apply-action-profile ")), None)
    if applied is None:
        return None, False
    prof = dev.running.get(["protocols", "oam", "ethernet", "link-fault-management", f"action-profile {applied}"])
    if prof is None:
        return None, False
    rate = prof.get(["event", "link-event-rate"])
    high = next((int(c.line.split()[1]) for c in (rate.children if rate else [])
                 if c.line.startswith("frame-error ")), None)
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
            dev.derived[key] = frame_settings(dev, name)
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
    crossed_high = high is not None and errors >= high
    action = "Logged"
    if crossed_high and err_disable:
        action = "Err.D"
        st.oper_up = False
        st.err_disabled = True
    now = time.time()
    for _ in range(min(count, MAX_EVENTS_PER_TICK)):
        st.oam.local_events["frame"] += 1
        st.oam.event_tx += 1
        dev.event_log.append(LinkEvent(now, name, "Frame", "Local", action,
                                       high if crossed_high else low, int(errors)))
