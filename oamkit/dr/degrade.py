"""The degrade trigger of a DR test: a link that keeps running with errored frames, the chain
*errors -> OAM event -> link down -> failover* measured end to end.

    trigger: {type: degrade, link: wan1, netns: ce, interface: wan1, errored_frames: 2%,
              device: edge-1, device_interface: GigabitEthernet0/0/0/0}
    restore: {type: degrade, link: wan1, netns: ce, interface: wan1, errored_frames: 0,
              device: edge-1, device_interface: GigabitEthernet0/0/0/0}

Errored frames are frames the receiving interface drops as bad: one nftables netdev *ingress*
rule on `interface` inside `netns` (`numgen random mod 1000000 < k counter drop` for a
fraction, `limit rate N/second` for a rate), made and removed in one transaction. The watch
follows the interface's carrier (the link monitor's action takes it down) and its frame rate
(`ip -j -s link`). The restore removes the rule and, when the plan names the device, re-enables
the interface there as an operator does (shutdown, then no shutdown, through the action hook).

What the device's policy predicts (when each link monitor must cross its high threshold, plus
the routing's detection) comes from the OAM hook the command connects (`set_oam_hook`): the DR
runner knows no inventory.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from oamkit.dr.plan import Step, parse_errored_frames
from oamkit.errors import OamkitError

RANDOM_MOD = 1_000_000
POLL_S = 0.05
CMD_TIMEOUT_S = 5.0


class OamHook(Protocol):
    def predict(self, device: str, interface: str, *, frames_per_s: float, error_fraction: float | None,
                errors_per_s: float | None, routing_detect_s: float) -> dict: ...
    """{"predicted_s": float | None, "reason": str, "window_s": float | None, "monitors": [...]}"""

    def event_source(self, device: str) -> dict: ...
    """{"source": "log" | "counter" | None, "command", "resolution_s", "poll_s"}"""

    def watch_events(self, device: str, interface: str, max_s: float) -> Any: ...
    """Start timing events by polling counters (None: the device's log is read afterwards)."""

    def events(self, device: str, interface: str, since: float, timeout: float, watch: Any = None) -> list[dict]: ...
    """Link events the device logged since `since`, earliest first: [{"time": epoch,
    "resolution_s", "event_type", ...}], each within [time, time + resolution_s]"""


_oam_hook: OamHook | None = None


def set_oam_hook(hook: OamHook | None) -> None:
    global _oam_hook
    _oam_hook = hook


def oam_hook() -> OamHook | None:
    return _oam_hook


def table_name(step: Step) -> str:
    return "oamkit_degrade_" + re.sub(r"[^A-Za-z0-9_]", "_", step.interface or "")


def ruleset(step: Step) -> str:
    """The nft transaction for a degrade step: (re)make the table, or remove it (errors 0)."""
    fraction, per_s = parse_errored_frames(step.errored_frames)
    table = table_name(step)
    text = f"table netdev {table} {{}}\ndelete table netdev {table}\n"
    if fraction == 0:
        return text
    if fraction is not None:
        match = f"numgen random mod {RANDOM_MOD} < {max(1, round(fraction * RANDOM_MOD))}"
    else:
        match = f"limit rate {max(1, round(per_s or 0))}/second burst 1 packets"
    return text + (f"table netdev {table} {{\n chain rx {{\n  type filter hook ingress device \"{step.interface}\" "
                   f"priority -450; policy accept;\n  {match} counter drop\n }}\n}}\n")


def _ns_run(netns: str, argv: list[str], timeout: float, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", netns, *argv], capture_output=True, text=True,
                          timeout=timeout, input=input, stdin=None if input is not None else subprocess.DEVNULL,
                          start_new_session=True)   # a terminal's Ctrl-C must not kill the restore's nft


def apply(step: Step, timeout: float = CMD_TIMEOUT_S) -> str:
    """Start (or, with errored_frames 0, stop) the errored frames. Raises OamkitError."""
    try:
        p = _ns_run(step.netns or "", ["nft", "-f", "-"], timeout, input=ruleset(step))
    except subprocess.TimeoutExpired:
        raise OamkitError(f"nft in {step.netns} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise OamkitError(f"cannot run nft in {step.netns}: {exc}") from None
    if p.returncode != 0:
        raise OamkitError(f"nft in {step.netns}: {p.stderr.strip()[-300:]}")
    return f"{step.errored_frames} errored frames on {step.interface} in {step.netns}"


def link_sample(netns: str, interface: str, timeout: float = CMD_TIMEOUT_S) -> tuple[bool, int] | None:
    """(carrier up, received frames) of an interface in a namespace; None: cannot read."""
    try:
        p = subprocess.run(["ip", "-n", netns, "-j", "-s", "link", "show", "dev", interface],
                           capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        link = json.loads(p.stdout or "[]")[0]
    except (subprocess.TimeoutExpired, OSError, ValueError, IndexError):
        return None
    stats = link.get("stats64") or link.get("stats") or {}
    up = "UP" in link.get("flags", []) and "LOWER_UP" in link.get("flags", [])
    return up, int(stats.get("rx", {}).get("packets", 0))


@dataclass
class DegradeWatch:
    """What happened to the degraded link: its frame rate before, the trigger, when it went down."""

    step: Step
    routing_detect_s: float = 0.0
    frames_before: tuple[float, int] | None = None      # (time, rx frames) at the watch start
    frames_per_s: float | None = None                    # measured just before the trigger
    t_trigger: float | None = None
    t_down: float | None = None
    deadline: float | None = None
    prediction: dict = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    event_source: dict = field(default_factory=dict)
    event_watch: Any = None
    notes: list[str] = field(default_factory=list)

    def arm(self, max_s: float, ready_timeout: float = 10.0) -> None:
        """Before the watch: on a device whose event times come from polling its counters,
        start polling, and wait (bounded) for the first read, which must predate the errors."""
        hook = oam_hook()
        if hook is None or not (self.step.device and self.step.device_interface):
            return
        try:
            self.event_source = hook.event_source(self.step.device)
            self.event_watch = hook.watch_events(self.step.device, self.step.device_interface, max_s)
        except (OamkitError, ValueError, KeyError) as exc:
            self.notes.append(f"event counters not polled: {exc}")
            return
        if self.event_watch is not None and not self.event_watch.ready.wait(ready_timeout):
            self.notes.append(f"event counters: no first read within {ready_timeout:g} s")

    def disarm(self) -> None:
        if self.event_watch is not None:
            self.event_watch.stop()

    def start(self) -> None:
        s = link_sample(self.step.netns or "", self.step.interface or "")
        if s is not None:
            self.frames_before = (time.time(), s[1])

    def triggered(self, t_started: float, t_ended: float, max_watch_s: float) -> None:
        """The errors began at `t_started`: measure the frame rate up to it, predict, set the
        deadline (the latest predicted detection, `latest_detection`; or `max_watch_s` when
        nothing is predicted)."""
        self.t_trigger = t_started
        s = link_sample(self.step.netns or "", self.step.interface or "")
        if s is not None and self.frames_before is not None and t_ended > self.frames_before[0]:
            self.frames_per_s = (s[1] - self.frames_before[1]) / (t_ended - self.frames_before[0])
        fraction, per_s = parse_errored_frames(self.step.errored_frames)
        hook = oam_hook()
        if hook is not None and self.step.device and self.step.device_interface:
            try:
                self.prediction = hook.predict(self.step.device, self.step.device_interface,
                                               frames_per_s=self.frames_per_s or 0.0, error_fraction=fraction,
                                               errors_per_s=per_s, routing_detect_s=self.routing_detect_s)
            except (OamkitError, ValueError, KeyError) as exc:
                self.notes.append(f"no prediction: {exc}")
        else:
            self.notes.append("no prediction: the plan names no device/device_interface, or no inventory was given")
        predicted = self.prediction.get("predicted_s")
        if predicted is not None:
            self.deadline = t_started + min(latest_detection(self.prediction), max_watch_s)
        elif self.prediction.get("monitors"):
            # the policy can never take the link down: watch long enough to show it (two of its
            # longest windows), not the step's whole timeout
            longest = max((m.get("window_s") or 0.0) for m in self.prediction["monitors"])
            self.deadline = t_started + min(max(2 * longest, 2.0) + self.routing_detect_s, max_watch_s)
        else:
            self.deadline = t_started + max_watch_s

    def poll(self, now: float) -> str | None:
        """None: still degraded; "down": the link went down; "deadline": never taken down."""
        s = link_sample(self.step.netns or "", self.step.interface or "", timeout=1.0)
        if s is not None and not s[0]:
            self.t_down = now
            return "down"
        if self.deadline is not None and now >= self.deadline:
            return "deadline"
        return None

    def read_events(self, timeout: float = 10.0) -> None:
        hook = oam_hook()
        if hook is None or not (self.step.device and self.step.device_interface) or self.t_trigger is None:
            return
        counter = self.event_source.get("source") == "counter"
        try:
            # a log's stamps are whole seconds: ask from a second before; counter reads are
            # placed from the moment the errors began
            self.events = hook.events(self.step.device, self.step.device_interface,
                                      self.t_trigger if counter else self.t_trigger - 1.0, timeout,
                                      watch=self.event_watch)
        except (OamkitError, ValueError, KeyError) as exc:
            self.notes.append(f"event {'counters' if counter else 'log'} not read: {exc}")

    def as_dict(self, t_ref: float) -> dict:
        def rel(t: float | None) -> float | None:
            return None if t is None else round(t - t_ref, 4)

        first = next((e for e in self.events if e.get("time") is not None), None)
        return {"link": self.step.link, "interface": self.step.interface, "netns": self.step.netns,
                "errored_frames": self.step.errored_frames, "device": self.step.device,
                "device_interface": self.step.device_interface,
                "frames_per_s": None if self.frames_per_s is None else round(self.frames_per_s, 1),
                "routing_detect_s": self.routing_detect_s,
                "trigger_rel_s": rel(self.t_trigger), "link_down_rel_s": rel(self.t_down),
                "link_down_after_s": None if self.t_down is None or self.t_trigger is None
                else round(self.t_down - self.t_trigger, 4),
                "event_logged_rel_s": rel(first["time"]) if first else None,
                "event_resolution_s": first.get("resolution_s") if first else None,
                "event_source": self.event_source,
                "event": first, "events": self.events[:20],
                "deadline_rel_s": rel(self.deadline), "prediction": self.prediction, "notes": self.notes}


def restore(step: Step, action: Callable[[str, str, dict, float], str] | None, timeout: float) -> str:
    """Clear the errors; then re-enable the interface on the device the way an operator
    would: shutdown, then no shutdown (an error-disabled port stays down otherwise)."""
    out = [apply(step, min(timeout, CMD_TIMEOUT_S))]
    if step.device and step.device_interface:
        if action is None:
            raise OamkitError("the degrade restore re-enables the device's interface: no inventory is "
                              "connected for actions (oamkit drtest --inventory)")
        deadline = time.monotonic() + timeout
        for name in ("interface-shutdown", "interface-no-shutdown"):
            left = deadline - time.monotonic()
            if left <= 0:
                raise OamkitError(f"restore ran out of time before {name}")
            out.append(action(name, step.device, {"interface": step.device_interface}, left))
    return "; ".join(out)


def earliest_detection(prediction: dict) -> float:
    """Seconds after the errors began before which traffic on the secondary is too early: the
    prediction's `earliest_s` (random errors that reach a threshold only by chance: any
    window), else the prediction - one window."""
    predicted, window = prediction["predicted_s"], prediction.get("window_s") or 0.0
    earliest = prediction.get("earliest_s")
    return predicted - window if earliest is None else min(earliest, predicted - window)


def latest_detection(prediction: dict) -> float:
    """Seconds after the errors began by which the traffic must be on the secondary: the
    prediction's `latest_s` (the windows' phase, and with random errors their spread; see
    `oamkit.detection.latest_crossing_s`), never less than the prediction + one window."""
    predicted, window = prediction["predicted_s"], prediction.get("window_s") or 0.0
    return max(predicted + window, prediction.get("latest_s") or 0.0)


def site_degradation(run: Any, slot: int, watch: DegradeWatch, outage: dict) -> dict:
    """One site during the degradation: loss and RTT while degraded (trigger -> link down, or
    the whole watch), and how long users saw errors (degraded time + the outage after)."""
    from oamkit.probe.analysis import slot_stats

    t0 = watch.t_trigger
    t1 = watch.t_down
    stats = slot_stats(run, slot, t_from=t0, t_to=t1) if t0 is not None else {}
    end = t1 if t1 is not None else watch.deadline
    degraded_s = None if t0 is None or end is None else end - t0
    if t0 is not None and t1 is not None and outage.get("recovered"):
        # from the first errored frame until the traffic flowed again, on the secondary
        on_secondary = saw_errors = round((t1 - t0) + (outage.get("outage_s") or 0.0), 4)
    else:
        on_secondary, saw_errors = None, degraded_s     # never moved: errors the whole watch
    return {"degraded_s": None if degraded_s is None else round(degraded_s, 4),
            "loss_pct": stats.get("loss_pct"), "sent": stats.get("sent"), "lost": stats.get("lost"),
            "rtt_ms": (stats.get("rtt_ms") or {}).get("p50"),
            "rtt_p90_ms": (stats.get("rtt_ms") or {}).get("p90"),
            "on_secondary_after_s": on_secondary, "users_saw_errors_s": saw_errors}


def judge_sites(watch: DegradeWatch, run: Any, states: list, t_ref: float) -> str:
    """Fill each site's `degradation` and failure reasons; return the phase's note.

    A site fails when the link was never taken down (degraded for the whole watch), or when the
    errors -> traffic-on-the-secondary time is outside [`earliest_detection`,
    `latest_detection`] (the monitor's window start is not aligned with the errors' start, and
    random errors reach a threshold by chance), or when the link went down although the policy
    predicts it never can."""
    pred = watch.prediction or {}
    predicted = pred.get("predicted_s")
    earliest = latest = None
    if predicted is not None:
        earliest, latest = earliest_detection(pred), latest_detection(pred)
    has_prediction = bool(pred)
    for i, st in enumerate(states):
        d = site_degradation(run, i, watch, st.failover or {})
        d["predicted_s"] = predicted
        # how much earlier and later than predicted still passes
        d["slack_s"] = None if earliest is None else round(predicted - earliest, 4)
        d["late_slack_s"] = None if latest is None else round(latest - predicted, 4)
        st.degradation = d
        loss = f"{d['loss_pct']:.1f}% loss" if d["loss_pct"] is not None else "loss unknown"
        rtt = f", RTT p50 {d['rtt_ms']:.2f} ms" if d["rtt_ms"] is not None else ""
        if watch.t_down is None:
            watched = (watch.deadline or time.time()) - (watch.t_trigger or 0)
            why = f"degraded for the whole watch ({watched:.1f} s, {loss}{rtt}), link never taken down"
            if has_prediction and predicted is None:
                why += f"; the policy can never take it down: {pred.get('reason')}"
            elif predicted is not None:
                why += f" (predicted {predicted:.2f} s, at the latest {latest:.2f} s"
                why += ": the step's timeout ended the watch first)" if watched < latest - 1e-6 else ")"
            st.reasons.append(why)
            continue
        measured = d["on_secondary_after_s"]
        if measured is None or not has_prediction:
            continue
        if predicted is None:
            st.reasons.append(f"link taken down after {watch.t_down - (watch.t_trigger or 0):.2f} s although the "
                              f"policy predicts it never is ({pred.get('reason')})")
        elif not earliest <= measured <= latest:
            st.reasons.append(f"on the secondary {measured:.2f} s after the errors began, outside the prediction "
                              f"{predicted:.2f} s ({max(earliest, 0.0):.2f} s to {latest:.2f} s{_why_range(pred)})")
    down = watch.t_down
    if down is None:
        return (f"{watch.step.link} degraded ({watch.step.errored_frames} errored frames) for the whole watch, "
                f"link never taken down")
    took = down - (watch.t_trigger or down)
    return (f"{watch.step.link} taken down {took:.2f} s after the errors began"
            + (f", predicted {predicted:.2f} s" if predicted is not None else ""))


def _why_range(prediction: dict) -> str:
    return ": the windows' phase and the errors' random spread" if prediction.get("random_errors") \
        else ": the windows' phase"
