"""State of one emulated device, shared by its CLI (SSH shell) and NETCONF sessions.

Contract (the NETCONF subsystem codes against these names; they do not get renamed):

- ``ConfigTree``: ordered hierarchical configuration. Every node is one config line (``line``),
  its ``children`` are the sub-mode lines. A *path* is a list of lines from the top, e.g.
  ``["interface GigabitEthernet0/1", "ethernet oam mode active"]``. Junos trees use one node per
  hierarchy word group (``["protocols", "oam", "ethernet", "link-fault-management",
  "interface ge-0/0/0", "pdu-interval 1000"]``).
  Methods: ``copy()``, ``to_text(indent=" ")``, ``ConfigTree.from_text(text)``, ``get(path)``,
  ``set(path, replace_key=None)`` (creates missing nodes; with ``replace_key`` the last line
  replaces a sibling whose line equals the key or starts with ``key + " "``), ``delete(path)``,
  ``delete_prefix(parent_path, key)``, ``paths()`` (every leaf path), ``diff(other)`` and the
  module function ``diff_text(old, new)``.
- ``Device``: ``name``, ``platform`` (cisco_ios | cisco_xr | juniper_junos | huawei_vrp),
  ``layout`` (which real output layout of the platform the device prints, see ``LAYOUTS``),
  ``running``, ``candidate`` (both ``ConfigTree``; candidate is shared by all sessions of the
  device; ``has_candidate`` is False for cisco_ios whose CLI writes running directly),
  ``commit(*, session_id, confirmed_seconds=None, comment=None, channel="cli")`` (raises
  ``CommitError`` whose ``str()`` is the platform's error text), ``confirm()``,
  ``cancel_confirmed()`` (rolls back at once), ``discard_changes()``, ``rollback(n)`` (returns the
  running config as it was n commits ago and loads it into the candidate, Junos semantics),
  ``rollback_running(n)`` (applies it to running directly, XR ``rollback configuration last n``),
  ``commit_history`` (list of ``CommitRecord``, oldest first), ``confirm_pending`` (bool),
  ``interfaces`` (name -> ``InterfaceState``), ``event_log`` (list of ``LinkEvent``),
  ``transcript`` (list of ``TranscriptEntry``; use ``record()`` to append — it masks secrets),
  ``faults`` (``Faults``), ``locks`` (``{"running": session_id|None, "candidate": ...}``),
  ``time_scale`` (seconds of real time per device second; timers multiply by it),
  ``loop`` (the asyncio loop serving the device, set by the lab), ``lock`` (a threading.RLock to
  hold while mutating state from another thread), ``new_session_id()``.
- Helpers: ``apply_running(fn)`` (cisco_ios: change running directly), ``arm_revert(seconds)``
  (IOS revert timer), ``uncommitted()``, ``commands()`` / ``config_commands()`` (what a client
  sent, for assertions such as "no config-mode command was received"), ``record()``,
  ``tick()`` (grow counters, run ``monitors``: injected errors become Errored Frame events),
  ``inject_errors(iface, crc_per_second=..., burst_crc=...)``,
  ``set_peer_state(iface, "down"|"operational")``, ``sync_interface_state()``.
- Confirmed commits: ``commit(confirmed_seconds=N)`` schedules a rollback after
  ``N * time_scale`` real seconds on ``loop``; a later ``commit()`` or ``confirm()`` confirms.
- Faults (``device.faults``) are one object for CLI and NETCONF; NETCONF-only switches may be
  added by the NETCONF side in ``faults.extra`` (a dict).
"""
from __future__ import annotations

import asyncio
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from oamkit.lab.config_tree import ConfigTree, diff_text  # noqa: F401 - re-exported, see the contract above

PLATFORMS = ("cisco_ios", "cisco_xr", "juniper_junos", "huawei_vrp")


# --------------------------------------------------------------------------- runtime state
@dataclass
class OamSession:
    """802.3ah session state of one interface (runtime; settings live in the running config)."""

    peer_state: str = "operational"     # operational | down | link-fault | passive-wait ...
    peer_mac: str = "0000.0c9f.f001"
    peer_vendor_oui: str = "00000C"
    peer_mode: str = "active"
    info_tx: int = 0
    info_rx: int = 0
    event_tx: int = 0
    event_rx: int = 0
    duplicate_event_tx: int = 0
    duplicate_event_rx: int = 0
    loopback_tx: int = 0
    loopback_rx: int = 0
    # remote loopback: None, "control" (this side started it) or "be controlled" (the peer did)
    loopback: str | None = None
    loopback_timeout: int = 20          # minutes (VRP counts the loopback test in minutes), on the controlling side
    variable_request_tx: int = 0
    variable_request_rx: int = 0
    variable_response_tx: int = 0
    variable_response_rx: int = 0
    org_specific_tx: int = 0
    org_specific_rx: int = 0
    unsupported_tx: int = 0
    unsupported_rx: int = 0
    frames_lost: int = 0
    local_events: dict[str, int] = field(default_factory=lambda: {
        "symbol-period": 0, "frame": 0, "frame-period": 0, "frame-seconds": 0})
    remote_events: dict[str, int] = field(default_factory=lambda: {
        "symbol-period": 0, "frame": 0, "frame-period": 0, "frame-seconds": 0})


COUNTER_NAMES = ("input_packets", "output_packets", "input_bytes", "output_bytes",
                 "input_errors", "crc", "frame", "overrun", "ignored", "runts", "giants",
                 "output_errors", "symbol_errors")


@dataclass
class InterfaceState:
    name: str
    speed_bps: int = 1_000_000_000
    admin_up: bool = True
    oper_up: bool = True
    mac: str = "5254.0012.3401"
    counters: dict[str, int] = field(default_factory=lambda: {n: 0 for n in COUNTER_NAMES})
    oam: OamSession = field(default_factory=OamSession)
    # error injection: errors per second, accumulated lazily by Device.tick()
    crc_rate: float = 0.0
    frame_rate: float = 0.0
    # a link-event high-threshold action took it down: it stays down until an operator shuts
    # and re-enables it (any other config change leaves it down, as on real gear)
    err_disabled: bool = False
    _acc: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class LinkEvent:
    time: float
    interface: str
    type: str            # "Frame" | "Frame period" | "Frame seconds" | "Symbol period" |
                         # "Dying gasp" | "Link fault" | "Critical event" | "Session down" ...
    location: str = "Remote"   # Local | Remote
    action: str = "Logged"
    threshold: int | None = None
    value: int | None = None
    detail: str = ""


@dataclass
class TranscriptEntry:
    time: float
    session_id: int
    channel: str         # "cli" | "netconf"
    direction: str       # "in" (received from the client) | "out" (sent) | "event"
    text: str
    mode: str = ""       # CLI mode at the time ("exec", "config", "config-if", ...)


@dataclass
class CommitRecord:
    id: int
    time: float
    session_id: int
    channel: str
    comment: str | None
    confirmed_seconds: float | None
    before: ConfigTree
    after: ConfigTree


class CommitError(Exception):
    """A commit was refused; ``str(exc)`` is the device's own error text."""


@dataclass
class Faults:
    """Faults injected into one device. Change fields at run time; sessions read them live.

    - ``reject_commands``: regexes; a matching command gets the platform's error text.
    - ``deny_commands``: regexes; a matching command gets the platform's command-authorization
      refusal (AAA denying the user: IOS `Command authorization failed.`, IOS-XR `% This
      command is not authorized`; the other platforms' error text).
    - ``command_delay``: seconds to wait before answering each command.
    - ``drop_after_commands``: close the session after this many commands (per session).
    - ``refuse_auth_after_drop``: once a session was dropped that way, every later login fails
      (the change cut the device off from its management path).
    - ``drop_on_commit``: close the session while a commit runs (nothing gets committed).
    - ``hang``: never send a prompt (new sessions, and existing ones at the next command).
    - ``exec_timeout``: close CLI sessions idle for this many seconds (real seconds).
    - ``banner``: SSH auth banner text; ``header_lines``: lines printed before every show output
      (e.g. "Load for five secs: 2%/0%; one minute: 1%; five minutes: 1%").
    - ``commit_error``: True for the platform's default failure text, or a string to print.
    - ``refuse_auth``: every login fails.
    - ``ssh_algorithms``: the SSH algorithms the device offers, a profile of `ssh_profiles`
      (e.g. "cisco-1.25": SHA-1 only) or a dict with changes; read when the lab starts.
    - ``extra``: free-form switches for the NETCONF side.
    """

    reject_commands: list[str] = field(default_factory=list)
    deny_commands: list[str] = field(default_factory=list)
    command_delay: float = 0.0
    drop_after_commands: int | None = None
    refuse_auth_after_drop: bool = False
    drop_on_commit: bool = False
    hang: bool = False
    exec_timeout: float | None = None
    banner: str | None = None
    header_lines: list[str] = field(default_factory=list)
    commit_error: bool | str = False
    refuse_auth: bool = False
    ssh_algorithms: str | dict | None = None
    extra: dict = field(default_factory=dict)

    def rejects(self, command: str) -> bool:
        return any(re.search(p, command) for p in self.reject_commands)

    def denies(self, command: str) -> bool:
        return any(re.search(p, command) for p in self.deny_commands)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Faults":
        data = dict(data or {})
        known = {k: data.pop(k) for k in list(data) if k in cls.__dataclass_fields__}
        f = cls(**known)
        f.extra.update(data)
        return f


DEFAULT_COMMIT_ERRORS = {
    "cisco_ios": "% Configuration failed: commit error",
    "cisco_xr": ("% Failed to commit one or more configuration items during a pseudo-atomic "
                 "operation. All changes made have been reverted. Please issue 'show "
                 "configuration failed [inheritance]' from this session to view the errors"),
    "juniper_junos": "error: configuration check-out failed",
    # netmiko's HuaweiVrpv8SSH.commit() looks for "Failed to generate committed config"
    "huawei_vrp": "Error: Failed to generate committed config. Please check the configuration.",
}

INTERFACE_NAMES = {
    "cisco_ios": [f"GigabitEthernet0/{i}" for i in range(1, 5)],
    "cisco_xr": [f"GigabitEthernet0/0/0/{i}" for i in range(0, 4)],
    "juniper_junos": [f"ge-0/0/{i}" for i in range(0, 4)],
    "huawei_vrp": [f"GigabitEthernet0/1/{i}" for i in range(0, 4)],
}

# The output layouts each platform's lab devices print, as the real captures of
# tests/fixtures/parsers/*/real_* show them: the same command prints differently per platform
# family and release. A lab device prints one layout for its life (``Device.layout``); ``Lab``
# started with a device count (`oamkit lab up`) gives a platform's devices these layouts in
# turn, so a fleet of several devices per platform prints every real layout the parsers claim
# to read; named devices print the default (the first) unless their spec names a layout. Per
# layout: the ports it has (default: INTERFACE_NAMES) and their speed.
LAYOUTS: dict[str, dict[str, dict]] = {
    "cisco_ios": {"standard": {}},
    "cisco_xr": {"standard": {}, "sxfd_doubled_blank_lines": {}},
    "juniper_junos": {
        "mx_ge": {},
        "et_100g": {"interfaces": [f"et-0/0/{i}" for i in range(0, 4)], "speed_bps": 100_000_000_000},
        "ae_bundle": {"interfaces": [f"ge-0/0/{i}" for i in range(0, 4)] + ["ae0"]},
    },
    "huawei_vrp": {"ar_router": {}, "s_switch": {}, "vrp8_router": {}, "cloudengine": {},
                   "ce_10ge": {"interfaces": [f"10GE1/0/{i}" for i in range(1, 5)],
                               "speed_bps": 10_000_000_000}},
}


def layout_for(platform: str, index: int) -> str:
    """The layout of a platform's index-th lab device (0-based): the layouts in turn."""
    names = list(LAYOUTS[platform])
    return names[index % len(names)]


_session_ids = itertools.count(1)


# VLAN (and unit / sub-interface number) of the one sub-interface every lab baseline has.
LAB_SUBIF_VLAN = 100


def baseline_config(platform: str, hostname: str, interfaces: list[str]) -> ConfigTree:
    t = ConfigTree()
    if platform == "cisco_ios":
        t.set(["version 15.2"])
        t.set([f"hostname {hostname}"])
        for name in interfaces:
            t.set([f"interface {name}", "no ip address"])
        # one dot1Q sub-interface per device, as production links have: `show interfaces`
        # then prints a record without error counters among the physical ports
        t.set([f"interface {interfaces[0]}.{LAB_SUBIF_VLAN}", f"encapsulation dot1Q {LAB_SUBIF_VLAN}"])
        t.set(["line vty 0 4", "login local"])
        # the configuration archive that `configure terminal revert timer` needs (the lab's
        # IOS refuses the timer without it, as IOS does: see cisco_ios.session)
        t.set(["archive", "path flash:archive"])
    elif platform == "cisco_xr":
        t.set([f"hostname {hostname}"])
        for name in interfaces:
            t.set([f"interface {name}", "description lab link"])
        t.set([f"interface {interfaces[0]}.{LAB_SUBIF_VLAN}", f"encapsulation dot1q {LAB_SUBIF_VLAN}"])
    elif platform == "juniper_junos":
        t.set(["system", f"host-name {hostname}"])
        for name in interfaces:
            t.set(["interfaces", name, "unit 0", "family ethernet-switching"])
        t.set(["interfaces", interfaces[0], f"unit {LAB_SUBIF_VLAN}", f"vlan-id {LAB_SUBIF_VLAN}"])
    elif platform == "huawei_vrp":
        t.set([f"sysname {hostname}"])
        for name in interfaces:
            t.set([f"interface {name}", "description lab link"])
        t.set([f"interface {interfaces[0]}.{LAB_SUBIF_VLAN}", f"vlan-type dot1q {LAB_SUBIF_VLAN}"])
    return t


class Device:
    """One emulated router. All sessions (CLI and NETCONF) of the device share this object."""

    def __init__(self, name: str, platform: str, *, interfaces: list[str] | None = None,
                 faults: Faults | None = None, time_scale: float = 1.0,
                 secrets: tuple[str, ...] = (), username: str = "admin", layout: str | None = None) -> None:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        layout = layout or layout_for(platform, 0)
        if layout not in LAYOUTS[platform]:
            raise ValueError(f"unknown {platform} layout {layout!r}; choose from {', '.join(LAYOUTS[platform])}")
        self.name = name
        self.platform = platform
        self.layout = layout            # the output layout this device prints (see LAYOUTS)
        self.username = username
        self.has_candidate = platform != "cisco_ios"
        spec = LAYOUTS[platform][layout]
        names = interfaces or spec.get("interfaces") or INTERFACE_NAMES[platform]
        self.interfaces: dict[str, InterfaceState] = {}
        for i, n in enumerate(names):
            st = InterfaceState(n, mac=f"5254.00{hash(name) & 0xff:02x}.{0x3400 + i:04x}",
                                speed_bps=spec.get("speed_bps", 1_000_000_000))
            st.oam.peer_mac = f"0000.0c9f.{0xf000 + i:04x}"
            self.interfaces[n] = st
        self.interface_names = tuple(self.interfaces)   # fixed for the device's life
        self.running = baseline_config(platform, name, names)
        self._candidate: ConfigTree | None = None   # see the candidate property
        # facts derived from the running config (e.g. monitor settings), dropped on every change
        self.derived: dict = {}
        self.commit_history: list[CommitRecord] = []
        self.event_log: list[LinkEvent] = []
        self.transcript: list[TranscriptEntry] = []
        self.faults = faults or Faults()
        self.locks: dict[str, int | None] = {"running": None, "candidate": None}
        self.time_scale = time_scale
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = threading.RLock()
        self.secrets = tuple(s for s in secrets if s)
        self.boot_time = time.time()
        self.validator: Callable[["Device", ConfigTree], str | None] | None = None
        self.confirm_pending = False
        self._confirm_backup: ConfigTree | None = None
        self._confirm_handle: asyncio.TimerHandle | None = None
        self.confirm_until: float | None = None   # when the pending confirm window ends
        self._last_tick = time.monotonic()
        self.active_sessions: dict[int, str] = {}   # session id -> channel
        self.session_since: dict[int, float] = {}   # session id -> when it opened (time.time())
        # called by tick() as fn(device, seconds_elapsed): link-event monitors (oamkit.lab.events)
        self.monitors: list[Callable[["Device", float], None]] = []
        # False: traffic counters are set from outside (a WAN lab edge follows a real veth)
        self.synthetic_traffic = True

    # -- sessions and transcript
    @staticmethod
    def new_session_id() -> int:
        return next(_session_ids)

    def mask(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "********")
        return text

    transcript_limit = 200_000   # entries; a long-running lab drops the oldest half past this

    def record(self, session_id: int, channel: str, direction: str, text: str,
               mode: str = "") -> None:
        self.transcript.append(TranscriptEntry(time.time(), session_id, channel, direction,
                                               self.mask(text), mode))
        if len(self.transcript) > self.transcript_limit:
            del self.transcript[: self.transcript_limit // 2]

    def commands(self, *, channel: str = "cli", session_id: int | None = None,
                 modes: tuple[str, ...] | None = None) -> list[str]:
        """Commands received (direction "in"), optionally only those typed in given modes."""
        return [e.text for e in self.transcript
                if e.direction == "in" and e.channel == channel
                and (session_id is None or e.session_id == session_id)
                and (modes is None or e.mode in modes)]

    def config_commands(self, session_id: int | None = None) -> list[str]:
        """CLI commands received while in any configuration mode (not exec/user view)."""
        return [e.text for e in self.transcript
                if e.direction == "in" and e.channel == "cli"
                and (session_id is None or e.session_id == session_id)
                and e.mode not in ("", "exec", "user")]

    # -- counters and events
    def tick(self) -> None:
        """Grow counters by elapsed time: traffic, OAM PDUs, injected CRC/frame errors."""
        now = time.monotonic()
        dt = max(0.0, now - self._last_tick)
        self._last_tick = now
        with self.lock:
            for st in self.interfaces.values():
                acc = st._acc
                for key, rate in (("crc", st.crc_rate), ("frame", st.frame_rate),
                                  ("pkts", 1000.0 if self.synthetic_traffic else 0.0), ("pdu", 1.0)):
                    if rate <= 0:
                        continue
                    acc[key] = acc.get(key, 0.0) + rate * dt
                    whole = int(acc[key])
                    if not whole:
                        continue
                    acc[key] -= whole
                    c = st.counters
                    if key == "crc":
                        c["crc"] += whole
                        c["input_errors"] += whole
                    elif key == "frame":
                        c["frame"] += whole
                        c["input_errors"] += whole
                    elif key == "pkts":
                        c["input_packets"] += whole
                        c["output_packets"] += whole
                        c["input_bytes"] += whole * 512
                        c["output_bytes"] += whole * 512
                    elif key == "pdu" and st.oam.peer_state == "operational":
                        st.oam.info_tx += whole
                        st.oam.info_rx += whole
            for monitor in self.monitors:
                monitor(self, dt)

    def inject_errors(self, interface: str, *, crc_per_second: float = 0.0,
                      frame_per_second: float = 0.0, burst_crc: int = 0) -> None:
        """Start (or stop, with 0) CRC/frame error growth on an interface; ``burst_crc`` adds at once."""
        self.tick()
        with self.lock:
            st = self.interfaces[interface]
            st.crc_rate = crc_per_second
            st.frame_rate = frame_per_second
            if burst_crc:
                st.counters["crc"] += burst_crc
                st.counters["input_errors"] += burst_crc
                # link-event monitors count a burst whole in the window (and the second) it landed in
                for key in ("mon_burst", "fs_burst"):
                    st._acc[key] = st._acc.get(key, 0.0) + burst_crc

    def clear_counters(self, interface: str | None = None) -> None:
        """`clear counters [interface]`: the interface's (every interface's) counters back to 0,
        as a clear or a restart leaves them; the uptime goes on (the lab's is always over a day)."""
        self.tick()
        with self.lock:
            for st in ([self.interfaces[interface]] if interface else self.interfaces.values()):
                st.counters.update({k: 0 for k in st.counters})

    def set_peer_state(self, interface: str, state: str, *, reason: str = "Link fault") -> None:
        """Change the OAM peer state ("operational", "down", ...); logs an event."""
        with self.lock:
            st = self.interfaces[interface]
            old = st.oam.peer_state
            st.oam.peer_state = state
            if state != "operational" and old == "operational":
                self.event_log.append(LinkEvent(time.time(), interface, reason, "Remote",
                                                "Logged", None, None, f"peer {state}"))
            elif state == "operational" and old != "operational":
                self.event_log.append(LinkEvent(time.time(), interface, "Session up", "Local",
                                                "Logged", None, None, "peer operational"))

    def set_loopback(self, interface: str, role: str | None, *, timeout: int = 20) -> None:
        """Remote loopback on an OAM session: "control" (this side started it), "be controlled"
        (the peer did) or None (ended). Shown by VRP `display efm session`."""
        if role not in (None, "control", "be controlled"):
            raise ValueError(f"unknown loopback role {role!r}")
        with self.lock:
            st = self.interfaces[interface]
            st.oam.loopback = role
            st.oam.loopback_timeout = timeout

    # -- commit model
    def _call_later(self, delay: float, fn: Callable[[], None]) -> None:
        self.confirm_until = time.time() + delay   # `show system commit`: "rollback in N mins"
        loop = self.loop
        if loop is None:
            loop = asyncio.get_event_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._confirm_handle = loop.call_later(delay, fn)
        else:
            def arm() -> None:
                self._confirm_handle = loop.call_later(delay, fn)
            loop.call_soon_threadsafe(arm)

    def _cancel_timer(self) -> None:
        self.confirm_until = None
        if self._confirm_handle is not None:
            self._confirm_handle.cancel()
            self._confirm_handle = None

    def uncommitted(self) -> bool:
        return self.has_candidate and self.candidate != self.running

    def commit(self, *, session_id: int, confirmed_seconds: float | None = None,
               comment: str | None = None, channel: str = "cli") -> CommitRecord:
        with self.lock:
            if self.faults.commit_error:
                err = self.faults.commit_error
                raise CommitError(err if isinstance(err, str) else DEFAULT_COMMIT_ERRORS[self.platform])
            if self.validator is not None:
                problem = self.validator(self, self.candidate)
                if problem:
                    raise CommitError(problem)
            before = self.running.copy()
            if confirmed_seconds is not None:
                if not self.confirm_pending:
                    self._confirm_backup = before
                self._cancel_timer()
                self.confirm_pending = True
                self._call_later(confirmed_seconds * self.time_scale, self._auto_rollback)
            elif self.confirm_pending:
                self._confirm_done()
            self.running = self.candidate.copy()
            self.sync_interface_state()
            rec = CommitRecord(len(self.commit_history) + 1, time.time(), session_id, channel,
                               comment, confirmed_seconds, before, self.running.copy())
            self.commit_history.append(rec)
            return rec

    def sync_interface_state(self) -> None:
        """Admin/oper status follow the running config (``shutdown`` / Junos ``disable``).
        Every change of running ends here, so this is also where derived facts go stale."""
        self.derived.clear()
        # runs after every config line on IOS: one pass over the blocks, not one per interface
        if self.platform == "juniper_junos":
            parent = self.running.child("interfaces")
            blocks = {c.line: c for c in parent.children} if parent is not None else {}
            prefix, off = "", "disable"
        else:
            blocks = {c.line: c for c in self.running.children if c.children}
            prefix, off = "interface ", "shutdown"
        for name, st in self.interfaces.items():
            node = blocks.get(prefix + name)
            down = node is not None and node.child(off) is not None
            if down:
                st.err_disabled = False      # shut / no shut is how an operator recovers it
            st.admin_up = not down
            st.oper_up = not down and not st.err_disabled

    def _confirm_done(self) -> None:
        self._cancel_timer()
        self.confirm_pending = False
        self._confirm_backup = None

    def confirm(self) -> bool:
        """Confirm a pending confirmed commit. Returns False when none was pending."""
        with self.lock:
            if not self.confirm_pending:
                return False
            self._confirm_done()
            return True

    def cancel_confirmed(self) -> bool:
        """Roll a pending confirmed commit back now. Returns False when none was pending."""
        with self.lock:
            if not self.confirm_pending:
                return False
            self._restore_backup("cancel-commit")
            return True

    def _auto_rollback(self) -> None:
        with self.lock:
            self._confirm_handle = None
            if self.confirm_pending:
                self._restore_backup("automatic rollback")

    def _restore_backup(self, why: str) -> None:
        backup = self._confirm_backup or self.running
        before = self.running.copy()
        self._cancel_timer()
        self.confirm_pending = False
        self._confirm_backup = None
        self.running = backup.copy()
        self.candidate = backup.copy()
        self.sync_interface_state()
        self.commit_history.append(CommitRecord(len(self.commit_history) + 1, time.time(), 0,
                                                "system", why, None, before, self.running.copy()))
        self.record(0, "cli", "event", f"commit confirmed {why}: configuration rolled back")

    def discard_changes(self) -> None:
        with self.lock:
            self.candidate = self.running.copy()

    def config_as_of(self, n: int) -> ConfigTree:
        """Running config as it was ``n`` commits ago (0 = now)."""
        if n == 0:
            return self.running.copy()
        if n < 0 or n > len(self.commit_history):
            raise IndexError(n)
        return self.commit_history[-n].before.copy()

    def arm_revert(self, seconds: float) -> None:
        """IOS ``configure terminal revert timer``: roll running back unless confirmed in time."""
        with self.lock:
            if not self.confirm_pending:
                self._confirm_backup = self.running.copy()
            self._cancel_timer()
            self.confirm_pending = True
            self._call_later(seconds * self.time_scale, self._auto_rollback)

    def rollback(self, n: int) -> ConfigTree:
        with self.lock:
            self.candidate = self.config_as_of(n)
            return self.candidate

    def rollback_running(self, n: int, *, session_id: int = 0) -> CommitRecord:
        with self.lock:
            self.candidate = self.config_as_of(n)
            return self.commit(session_id=session_id, comment=f"rollback {n}")

    def apply_running(self, fn: Callable[[ConfigTree], None]) -> None:
        """Change running directly (cisco_ios CLI); keeps the candidate in step (copied when
        next read: a pasted config would otherwise copy the whole tree once per line)."""
        with self.lock:
            fn(self.running)
            self._candidate = None
            self.sync_interface_state()

    @property
    def candidate(self) -> ConfigTree:
        with self.lock:
            if self._candidate is None:
                self._candidate = self.running.copy()
            return self._candidate

    @candidate.setter
    def candidate(self, tree: ConfigTree) -> None:
        self._candidate = tree

    def injecting_errors(self) -> bool:
        """Errors are growing somewhere (then every command catches the monitors up first)."""
        return any(st.crc_rate > 0 or st.frame_rate > 0 for st in self.interfaces.values())


# The holder's line is the device's own `users` line: Juniper, "Enter Configuration Mode"
# (Junos 9.4 network operations guide) prints
#   error: configuration database locked by:
#     user2 terminal d0 (pid 1828) on since 19:47:58 EDT, idle 00:02:11
#         exclusive [edit protocols]
# and the Junos XML protocol guide ("Terminate a Junos XML Protocol Session") the same
# "user terminal (pid PID) on since YYYY-MM-DD hh:mm:ss TZ, idle hh:mm:ss exclusive [edit]".
LOCK_TEXTS = {
    "juniper_junos": ("error: configuration database locked by:\n"
                      "  {user} {how} (pid {sid}) on since {since}, idle {idle}\n"
                      "      exclusive [edit]"),
    "cisco_xr": "% Failed to commit: the configuration is locked by NETCONF session {sid}",
    "huawei_vrp": "Error: The configuration is locked by NETCONF session {sid}.",
    "cisco_ios": "% Configuration is locked by NETCONF session {sid}",
}


def lock_conflict(device: "Device", session_id: int) -> str | None:
    """For the CLI side: the platform's error text when a session other than ``session_id``
    (NETCONF, or a Junos `configure exclusive` CLI session) holds the candidate or running lock
    (call it before a CLI commit or config line), else None."""
    for name in ("candidate", "running"):
        holder = device.locks.get(name)
        channel = device.active_sessions.get(holder) if holder is not None else None
        if holder != session_id and channel in ("netconf", "cli"):
            how = "netconf" if channel == "netconf" else f"terminal p{holder}"
            opened = device.session_since.get(holder, time.time())
            since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(opened))
            idle = time.strftime("%H:%M:%S", time.gmtime(max(0.0, time.time() - opened)))
            return LOCK_TEXTS[device.platform].format(user=device.username, sid=holder, how=how,
                                                      since=since, idle=idle)
    return None
