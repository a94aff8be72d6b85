"""The contract every platform fills in with data, and the one generic translator.

A platform module declares (scrapli-style, no code paths per vendor) what the device accepts:
which events exist and under which keyword, the unit and range of every window, threshold and
timer, which actions it knows, how it commits, which templates render it. `translate()` turns a
vendor-neutral `LinkOamIntent` into the vendor's values using only that data, and says precisely
why when it cannot.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from oamkit import units
from oamkit.errors import Problem
from oamkit.policy import HIGH_NONE, IEEE_EVENT_NAMES, WINDOW_UNITS, LinkOamIntent


@dataclass(frozen=True)
class Range:
    low: int
    high: int
    step: int = 1

    def accepts(self, value: int) -> bool:
        return self.low <= value <= self.high and (value - self.low) % self.step == 0

    def __str__(self) -> str:
        text = f"{self.low}-{self.high}"
        return text + (f" in steps of {self.step}" if self.step != 1 else "")


@dataclass(frozen=True)
class Window:
    """How a platform counts one event's window.

    counts: what the vendor number counts. 'ieee' = the IEEE unit scaled by `scale`
    (e.g. IOS x100 ms, IOS-XR ms, IOS x10,000 frames); 'time' = a duration although the
    IEEE unit is frames/symbols (Huawei error-code seconds), converted at the link speed.
    """

    range: Range
    scale: units.Scale = units.IDENTITY
    counts: Literal["ieee", "time"] = "ieee"
    unit_label: str = ""
    # a counted window the platform also takes as a duration (IOS-XR `symbol-period window
    # milliseconds N`): a policy's duration within this range is sent as it is, exactly, rather
    # than converted to a count at the link speed (1 s at 10G is 1.25e10 symbols, more than
    # XR's count can hold); one outside it is converted as before
    by_time: Range | None = None
    # a count of frames/symbols that must span this many milliseconds at the link speed (IEEE
    # 802.3 Clause 30 and IOS-XR: from the count in 1 s to the count in 1 min of the PHY)
    span_ms: Range | None = None

    def describe(self) -> str:
        text = f"{self.range} ({self.unit_label})" if self.unit_label else str(self.range)
        return f"{text}, or {self.by_time} (milliseconds)" if self.by_time else text


@dataclass(frozen=True)
class Event:
    keyword: str
    window: Window | None = None          # None: the window is fixed by the platform
    low: Range | None = None               # None: no low/only threshold
    high: Range | None = None              # None: no high threshold
    high_none: bool = True                 # the platform can say "high threshold none"
    high_requires_low: bool = False        # IOS-XR: `threshold low X high Y` on one line
    low_below_high: bool = True


@dataclass(frozen=True)
class Timer:
    """A PDU interval or link timeout: a duration in a unit, a fixed choice list, or a count of
    PDU intervals (IOS-XR connection timeout, Junos pdu-threshold)."""

    range: Range | None = None
    scale: units.Scale = units.Scale("ms")   # vendor unit against milliseconds
    choices: dict[int, str] = field(default_factory=dict)  # ms -> vendor keyword
    multiple_of_interval: bool = False
    unit_label: str = ""


def no_crc_monitor(vendor: str) -> dict[str, str]:
    """`Platform.unsupported` entries of a platform without Cisco's CRC monitors."""
    why = (f"{vendor} has no CRC monitor; receive-/transmit-CRC are Cisco IOS extensions "
           "outside the standard (vendor notes §1.4, §8)")
    return {"link_monitor.receive_crc": why, "link_monitor.transmit_crc": why}


@dataclass(frozen=True)
class Toggle:
    """A yes/no policy setting as the vendor writes it: the configuration line for each
    answer. None: that answer is the platform's default, so nothing is written (and a line
    oamkit wrote for the other answer is removed)."""
    on: str | None
    off: str | None


_LOST_PDUS = 3   # PDU intervals a link timeout should at least span (see translate)


@dataclass(frozen=True)
class WhileAbsent:
    """Lines of a block the device takes (set or removed) only while another line of the block
    is absent (Huawei VRP: `efm mode` and `efm interval` while the interface's `efm enable` is
    not there). Changing them where that line stays wanted sends, in one block: its negation,
    the changes, the line again; where that line goes, its removal comes first. `note`: what a
    human is told when a delta lifts the line for a moment; {block} is the block's name (the
    interface)."""

    lines: str          # regex of the lines
    absent: str         # the line that must be absent while they change
    note: str = ""


@dataclass(frozen=True)
class ConfigSyntax:
    """How the platform's configuration reads and changes, for the change engine."""

    style: Literal["indented", "set"]
    show_running: str                      # read the config oamkit compares against
    negate: str                            # "no", "undo", "delete"
    exit_command: str                      # leave a sub-mode
    interface_line: str                    # regex, group 1 = interface name
    managed_interface_lines: str = ".*"    # regex of interface lines oamkit owns
    managed_top: tuple[str, ...] = ()      # regexes of top-level blocks oamkit owns
    value_keys: tuple[str, ...] = ()       # regexes, group 1 = the setting a line sets
    # Lines whose removal removes every line that starts with them (IOS `no ethernet oam`).
    removal_covers: tuple[str, ...] = ()
    # Lines on by default, whose negation the configuration keeps when they are turned off
    # (IOS shows `no ethernet oam link-monitor supported`): a rendered negation of one is
    # wanted configuration, not a removal, and the line itself puts the default back.
    default_on: tuple[str, ...] = ()
    # Regexes of lines whose negation repeats the whole line, value included, where the
    # vendor's syntax has it so (IOS `no ethernet oam mode {active | passive}`); others are
    # negated by their value key (`no ethernet oam timeout`).
    negate_whole: tuple[str, ...] = ()
    # Pairs of lines of one block the device checks against each other as each is entered
    # (IOS: a monitor's low threshold must stay below its high one). Regexes with the groups
    # `pair` (what ties the two lines), `bound` ("low" or "high") and `value` (a number, or
    # `unbounded` for no high threshold). A delta that changes both sends them in the order
    # every state in between is accepted in: raising, high first; lowering, low first.
    ordered_bounds: tuple[str, ...] = ()
    unbounded: str = "none"
    while_absent: tuple[WhileAbsent, ...] = ()
    error_pattern: str = r"% ?Invalid|^%|[Ee]rror"   # device output that means "rejected"
    discard_command: str | None = None     # drop uncommitted candidate changes
    commit_command: str = "commit"
    confirmed_commit: str | None = None    # format with {value}
    # Platforms without a candidate but with a revert timer (IOS `configure terminal revert
    # timer`, which needs the archive feature): enter config this way, confirm from exec mode.
    revert_enter: str | None = None        # format with {value}
    revert_confirm: str | None = None
    # Config-mode commands that load the configuration as it was before the last commit
    # (Junos `rollback 1`); used to undo a commit exactly, presence statements included.
    rollback_last: tuple[str, ...] = ()
    # Set-style containers the device keeps (and prints bare) once their last entry is deleted:
    # Junos `link-fault-management` stays, LFM on, after `rollback --change` removed our
    # interfaces. Shown bare means empty, so deleting it then removes nothing of anyone else's.
    presence_containers: tuple[str, ...] = ()
    paging_off: str | None = None
    width_command: str | None = None       # wide terminal: long lines are echoed unwrapped
    # Mode handling with explicit prompts, so no read waits for output to go quiet (netmiko's
    # check_config_mode without a pattern costs ~2 s per call on some platforms).
    config_enter: str = "configure terminal"
    # A reply to `config_enter` matching this (a line of it) means another session holds the
    # configuration, or has changed it without committing: the host is `locked`, nothing is
    # sent (Junos `configure exclusive`: `error: configuration database locked by:` and the
    # holder's lines, or `error: configuration database modified`). None: no such lock.
    config_locked: str | None = None
    config_exit: str = "end"
    config_prompt: str = r"\(config[^)]*\)#\s*$"
    exec_prompt: str = r"[^)]#\s*$"
    # Leaving config mode with uncommitted changes asks a question; this answer abandons them.
    exit_question: str = r"\[(?:cancel|yes,no\]|Y\(yes\)).*[:)]\s*$"
    exit_abandon_answer: str = "no"
    logout: str = "exit"
    # IOS: from user EXEC (`Router>`) to privileged EXEC, answered with the enable secret
    enable_command: str | None = None


@dataclass(frozen=True)
class NetconfModel:
    """How a platform's NETCONF payload is compared with the device, for the change engine."""

    list_keys: dict[str, tuple[str, ...]]   # list element -> its key leaves
    managed_lists: dict[str, str]           # list element -> "intent" (our interfaces) | "profile" (OAMKIT-*)
    owned_path: str                         # regex: leaves under this path are oamkit's
    # attributes that change what a statement means (Junos' `inactive`): compared as a leaf
    # `@name` under the element, so a deactivated statement is not equal to an active one
    flags: tuple[str, ...] = ()
    # the device runs operational commands over NETCONF and answers their CLI text (Junos
    # `<command format="text">`): `check`, `collect` and `facts` read a NETCONF host over
    # its NETCONF session with the platform's own show commands and parse templates
    command_rpc: bool = False


@dataclass(frozen=True)
class EventTiming:
    """Where oamkit learns *when* the device logged a link event (the DR degrade report,
    docs/drtest-wan.md §7).

    `source="log"`: the `role` command prints a timestamped event log (parsed records carry
    `interface`, `time`, `event_type`, `action`, ...), its stamps `resolution_s` apart.
    `source="counter"`: the device keeps no such log oamkit can read over the session; the
    `role` command's parsed records count each link event at `count` (keys into the record,
    "{event}" standing for oamkit's event name, e.g. `frame`), in the record whose fields equal
    `match`. The event is timed by polling that count every `poll_s` seconds."""

    source: Literal["log", "counter"]
    role: str
    count: tuple[str, ...] = ()
    match: tuple[tuple[str, str], ...] = ()
    poll_s: float = 0.5
    resolution_s: float | None = None


@dataclass(frozen=True)
class NameRules:
    """What the device accepts as a name, for every string oamkit derives a command from.

    Patterns are matched in full (`re.fullmatch`). They are ASCII on purpose: a name the device
    cannot hold must stop before anything is sent, never at the device's prompt (a newline in
    an interface key would otherwise become a command of its own)."""

    interface: str = r"[A-Za-z0-9][A-Za-z0-9._/:-]*"
    interface_max: int = 64
    profile: str = r"[A-Za-z0-9][A-Za-z0-9_.:-]*"   # XR profile, IOS template, Junos action-profile
    profile_max: int = 64
    description_max: int = 240          # the shortest of the vendors' documented limits
    source: str = ""                    # where the patterns come from

    def problem(self, kind: str, value: str) -> str | None:
        """Why `value` cannot be a `kind` ("interface", "profile", "description") name, or None."""
        if kind == "description":
            if len(value) > self.description_max:
                return f"longer than {self.description_max} characters"
            if not _PRINTABLE.fullmatch(value):
                return "only printable ASCII characters (no control characters or newlines)"
            return None
        pattern, longest = (self.interface, self.interface_max) if kind == "interface" \
            else (self.profile, self.profile_max)
        if not value:
            return "empty name"
        if len(value) > longest:
            return f"longer than {longest} characters"
        if not re.fullmatch(pattern, value):
            return f"not a valid {kind} name (must match {pattern})"
        return None


_PRINTABLE = re.compile(r"[ -~]*")


@dataclass(frozen=True)
class Platform:
    name: str
    display: str
    netmiko_device_type: str
    commit_model: Literal["immediate", "candidate", "two-stage"]
    transports: tuple[str, ...]
    events: dict[str, Event]
    modes: tuple[str, ...] = ("active", "passive")
    pdu_interval: Timer | None = None
    pdu_max_rate: Range | None = None
    link_timeout: Timer | None = None
    # Hold-up after a link fault clears (Huawei `efm holdup-timer`); None: no such setting.
    link_fault_holdup: Timer | None = None
    remote_loopback: Toggle | None = None      # allow_remote_loopback true/false
    # Why a policy key has no form here ("high_threshold_action", "link_monitor.receive_crc",
    # "link_monitor.window" for every event's window...), with the vendor-notes section: the
    # text of errors, skip notes, `oamkit policy explain` and docs/support-matrix.md.
    unsupported: dict[str, str] = field(default_factory=dict)
    # The same for one form only ("cli", "cli-template", "netconf"): a key the platform holds in
    # one form and has no documented command for in another (IOS-XR: `link_monitoring: false`
    # is a YANG leaf, but no CLI command for it is documented). Applies to the keys translate()
    # leaves out by `unsupported` alone (link_monitoring).
    form_unsupported: dict[str, dict[str, str]] = field(default_factory=dict)
    high_threshold_actions: dict[str, str] = field(default_factory=dict)  # neutral -> vendor
    # The neutral high-threshold actions that take the link out of service here (its traffic
    # moves elsewhere); the others only report (`oamkit.detection`, `check`'s threshold rule).
    link_down_actions: tuple[str, ...] = ()
    remote_failure_events: dict[str, str] = field(default_factory=dict)
    remote_failure_actions: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)   # form -> template path
    # Forms whose settings live in a shared named profile, and whether a profile exists always
    # or only when the policy has high thresholds (Junos action-profiles).
    profile_forms: tuple[str, ...] = ()
    profile_needs_high_threshold: bool = False
    # Read-only show commands by role, for collection, checks and facts (`oamkit collect|check|
    # facts`); each must parse with oamkit.parse except `version`. Roles: counters (interface
    # CRC/frame errors), oam_status (settings, link monitoring), oam_session (discovery state),
    # oam_events (link-event counts), version (software/model).
    commands: dict[str, str] = field(default_factory=dict)
    # How a link event's time is read back (timestamped log or polled counter); None: not at all.
    event_timing: EventTiming | None = None
    # Regex that the `version` command's output matches on this platform only (`oamkit facts`
    # tells a host declared cisco_xr that answers like IOS).
    version_pattern: str | None = None
    # Where ntc-templates' template for the `version` command puts (software version, model).
    version_fields: tuple[str, str] | None = None
    interface_aliases: dict[str, str] = field(default_factory=dict)
    interface_speeds: dict[str, str] = field(default_factory=dict)  # name prefix -> speed
    confirmed_commit_unit: Literal["seconds", "minutes", None] = None
    # A confirmed commit someone else left pending, which oamkit's own commit would confirm
    # (Junos: "any commit confirms a pending commit confirmed"): the exec command that shows
    # it (over NETCONF too, as the platform's command RPC) and a regex matching its output
    # only while one is pending (group `left`: the time left). None: not checked.
    pending_commit_show: str | None = None
    pending_commit_pattern: str | None = None
    config: ConfigSyntax | None = None
    netconf: NetconfModel | None = None
    # Config lines that take an interface down / bring it back (DR-test triggers).
    interface_disable: tuple[str, ...] = ()
    interface_enable: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # Said when a policy gives more than one monitor a high threshold with an action, on a
    # platform whose one action profile takes its action only when all its events are true
    # (Junos); None where any one monitor crossing fires it (IOS, IOS-XR, VRP).
    combined_action_note: str | None = None
    names: NameRules = NameRules()

    # ------------------------------------------------------------------ interfaces
    def pending_commit(self, output: str) -> str | None:
        """What `pending_commit_show` printed about a confirmed commit still pending ("by
        alice via cli, rollback in 3mins"), or None when none is."""
        if not self.pending_commit_pattern:
            return None
        match = re.search(self.pending_commit_pattern, output, re.M)
        if match is None:
            return None
        entry = match.groupdict().get("entry")
        return f"a confirmed commit {entry + ', ' if entry else ''}rollback in {match.group('left')}"

    def canonical_interface(self, name: str) -> str:
        """'Gi0/1' -> 'GigabitEthernet0/1' using the platform's alias table (case-insensitive)."""
        lowered = name.strip().lower()
        for full in sorted(set(self.interface_aliases.values()), key=len, reverse=True):
            if lowered.startswith(full.lower()) and lowered[len(full):len(full) + 1].isdigit():
                return full + name.strip()[len(full):]
        for alias, full in sorted(self.interface_aliases.items(), key=lambda kv: -len(kv[0])):
            rest = name.strip()[len(alias):]
            if lowered.startswith(alias.lower()) and rest[:1].isdigit():
                return full + rest
        return name.strip()

    def event_counts(self, records: list[dict], interface: str) -> dict[str, int]:
        """Running counts of the local link events of one interface in parsed records, where
        `event_timing` says this platform prints them (`source="counter"`): {event: count}."""
        timing = self.event_timing
        out: dict[str, int] = {}
        if timing is None or timing.source != "counter":
            return out
        for event in self.events:
            for rec in records:
                if self.canonical_interface(rec.get("interface") or "") != interface:
                    continue
                if any(rec.get(key) != value.format(event=event) for key, value in timing.match):
                    continue
                value = rec
                for key in timing.count:
                    value = value.get(key.format(event=event)) if isinstance(value, dict) else None
                if isinstance(value, int):
                    out[event] = value
        return out

    def speed_for_interface(self, name: str) -> int | None:
        for prefix, speed in sorted(self.interface_speeds.items(), key=lambda kv: -len(kv[0])):
            if name.lower().startswith(prefix.lower()):
                return units.parse_speed(speed)
        return None

    # ------------------------------------------------------------------ translation
    def translate(self, intent: LinkOamIntent, form: str | None = None) -> tuple[dict, list[Problem], list[str]]:
        """Vendor values for `intent`, the problems that stop it, and notes worth reporting
        (explicit roundings, fallbacks, and settings left out under `on_unsupported: skip`).
        `form`: the form it is rendered in ("cli", "cli-template", "netconf"), for
        `form_unsupported`; None: whatever the form."""
        problems: list[Problem] = []
        notes: list[str] = []
        form_gaps = self.form_unsupported.get(form, {}) if form else {}

        def bad(field_name: str, message: str, value=None, allowed: str | None = None):
            problems.append(Problem(message, host=intent.host, interface=intent.interface,
                                    field=field_name, value=value,
                                    allowed=allowed and f"{allowed} on {self.display}"))

        def lacks(field_name: str, value=None, *, reason_key: str | None = None,
                  on_unsupported: str | None = None) -> None:
            """The platform cannot hold this setting at all: leave it out and say so (skip),
            or stop (error) naming why and both ways out."""
            why = form_gaps.get(reason_key or field_name) or self.reason_unsupported(reason_key or field_name)
            if (on_unsupported or intent.on_unsupported) == "skip":
                note = (f"{field_name} (policy {intent.policy}) left out on {self.display}: {why} "
                        "(on_unsupported: skip)")
                if note not in notes:
                    notes.append(note)
                return
            problems.append(Problem(
                f"not supported on {self.display}: {why}", host=intent.host,
                interface=intent.interface, field=field_name, value=value,
                allowed=f"leave {field_name} out of policies for {self.display} hosts, or set "
                        "on_unsupported: skip (policy or event) to leave it out there and have "
                        "it reported"))

        out: dict = {"interface": intent.interface, "enabled": intent.enabled,
                     "link_monitoring": intent.link_monitoring, "events": {}}
        if not intent.link_monitoring and ("link_monitoring" in self.unsupported
                                           or "link_monitoring" in form_gaps):
            lacks("link_monitoring", False)   # the templates have no line for it here
        # Always present (None = the platform's default), so profiles compare like for like.
        out["mode"] = intent.mode
        if intent.mode is not None and intent.mode not in self.modes:
            bad("mode", "mode not supported", intent.mode, "/".join(self.modes))
        out["pdu_interval"] = self._timer("pdu_interval", self.pdu_interval,
                                          intent.pdu_interval_ms, None, bad, lacks)
        out["link_timeout"] = self._timer("link_timeout", self.link_timeout,
                                          intent.link_timeout_ms, intent.pdu_interval_ms, bad, lacks)
        if out["link_timeout"] is not None and intent.pdu_interval_ms \
                and intent.link_timeout_ms < _LOST_PDUS * intent.pdu_interval_ms:
            # IEEE 802.3ah's own lost-link timer is 5 PDU intervals (5 s at 1 PDU/s); Huawei:
            # the timeout "must be three times the interval at which the remote interface
            # sends OAM PDUs or even longer" (NetEngine 8000, efm timeout)
            notes.append(f"link_timeout {units.format_duration_ms(intent.link_timeout_ms)} (policy "
                         f"{intent.policy}) is under {_LOST_PDUS} PDU intervals "
                         f"({units.format_duration_ms(intent.pdu_interval_ms)}): the session goes "
                         f"down when fewer than {_LOST_PDUS} PDUs in a row are lost")
        out["pdu_max_rate"] = None
        if intent.pdu_max_rate is not None:
            if self.pdu_max_rate is None:
                lacks("pdu_max_rate", intent.pdu_max_rate)
            else:
                if not self.pdu_max_rate.accepts(intent.pdu_max_rate):
                    bad("pdu_max_rate", "out of range", intent.pdu_max_rate, str(self.pdu_max_rate))
                out["pdu_max_rate"] = intent.pdu_max_rate
        out["link_fault_holdup"] = self._timer("link_fault_holdup", self.link_fault_holdup,
                                               intent.link_fault_holdup_ms, None, bad, lacks)
        out["allow_remote_loopback"] = out["remote_loopback"] = None
        if intent.allow_remote_loopback is not None:
            if self.remote_loopback is None:
                lacks("allow_remote_loopback", intent.allow_remote_loopback)
            else:
                out["allow_remote_loopback"] = intent.allow_remote_loopback
                toggle = self.remote_loopback
                out["remote_loopback"] = toggle.on if intent.allow_remote_loopback else toggle.off
        for name, wanted in intent.events.items():
            field_name = f"link_monitor.{name}"
            event = self.events.get(name)
            if event is None and wanted.fallback_intent is not None \
                    and wanted.fallback in self.events:
                target = wanted.fallback
                if target in out["events"]:
                    bad(f"{field_name}.fallback", f"another event already falls back to {target} "
                        f"on {self.display}", target)
                    continue
                notes.append(f"{field_name} (policy {intent.policy}) becomes {target} on "
                             f"{self.display} (fallback: {IEEE_EVENT_NAMES[target]}): "
                             f"{self.reason_unsupported(field_name)}")
                name, event, wanted = target, self.events[target], wanted.fallback_intent
                field_name = f"{field_name} (fallback {target})"
            elif event is None:
                lacks(field_name, reason_key=field_name, on_unsupported=wanted.on_unsupported)
                continue
            out["events"][name] = self._event(intent, name, field_name, event, wanted, bad,
                                              lacks, notes)

        out["high_threshold_action"] = None
        if intent.high_threshold_action is not None:
            if not self.high_threshold_actions:
                lacks("high_threshold_action", intent.high_threshold_action)
            else:
                action = self.high_threshold_actions.get(intent.high_threshold_action)
                if action is None:
                    bad("high_threshold_action", "action not supported",
                        intent.high_threshold_action, ", ".join(self.high_threshold_actions))
                out["high_threshold_action"] = action
        out["remote_failure"] = {}
        for failure, action in intent.remote_failure.items():
            vendor_event = self.remote_failure_events.get(failure)
            if vendor_event is None:
                lacks(f"remote_failure.{failure}", action)
                continue
            vendor_action = self.remote_failure_actions.get(action)
            if vendor_action is None:
                bad(f"remote_failure.{failure}", "remote-failure action not supported", action,
                    "/".join(self.remote_failure_actions))
                continue
            out["remote_failure"][vendor_event] = vendor_action
        highs = sorted(name for name, ev in out["events"].items()
                       if ev["high"] is not None and ev["high"] != "none")
        if self.combined_action_note and out["high_threshold_action"] and len(highs) > 1:
            notes.append(self.combined_action_note.format(monitors=", ".join(highs),
                                                          policy=intent.policy))
        return out, problems, notes

    def reason_unsupported(self, key: str) -> str:
        """Why this platform has no form for a policy key: its own documented reason, else the
        reason given for the key's family (link_monitor.frame.window -> link_monitor.window)."""
        parts = key.split(".")
        for candidate in (key, f"{parts[0]}.{parts[-1]}" if len(parts) > 2 else None,
                          parts[0] if len(parts) > 1 else None):
            if candidate and candidate in self.unsupported:
                return self.unsupported[candidate]
        return f"{self.display} has no such setting"

    def _event(self, intent, name, field_name, event: Event, wanted, bad, lacks, notes) -> dict:
        skip_as = wanted.on_unsupported
        values = {"keyword": event.keyword, "window": None, "window_unit": None, "low": None,
                  "high": None}
        if wanted.window is not None:
            if event.window is None:
                lacks(f"{field_name}.window", _window_text(name, wanted),
                      reason_key=f"link_monitor.{name}.window", on_unsupported=skip_as)
            elif event.window.by_time is not None and wanted.window_ms is not None \
                    and event.window.by_time.accepts(wanted.window_ms):
                values["window"], values["window_unit"] = wanted.window_ms, "milliseconds"
            else:   # a count (a duration outside the platform's milliseconds: at the link speed)
                values["window"] = self._window(intent, name, field_name, event, wanted, bad, notes)
        if wanted.low is not None:
            if event.low is None:
                lacks(f"{field_name}.low", wanted.low, reason_key=f"link_monitor.{name}.low",
                      on_unsupported=skip_as)
            else:
                if not event.low.accepts(wanted.low):
                    bad(f"{field_name}.low", "out of range", wanted.low, str(event.low))
                values["low"] = wanted.low
        if wanted.high is not None:
            if event.high is None:
                lacks(f"{field_name}.high", wanted.high, reason_key=f"link_monitor.{name}.high",
                      on_unsupported=skip_as)
                return values
            if wanted.high == HIGH_NONE:
                if not event.high_none:
                    bad(f"{field_name}.high", "cannot be 'none'", wanted.high, str(event.high))
            elif not event.high.accepts(wanted.high):
                bad(f"{field_name}.high", "out of range", wanted.high, str(event.high))
            if event.high_requires_low and wanted.low is None and wanted.high != HIGH_NONE:
                bad(f"{field_name}.high", "a high threshold needs a low threshold in the same "
                    "policy", wanted.high, "threshold low X high Y")
            values["high"] = wanted.high
        return values

    def _timer(self, field_name, timer: Timer | None, ms: int | None, interval_ms, bad, lacks):
        if ms is None:
            return None
        if timer is None:
            lacks(field_name, units.format_duration_ms(ms))
            return None
        if timer.choices:
            if ms not in timer.choices:
                bad(field_name, "not one of the platform's values", units.format_duration_ms(ms),
                    ", ".join(units.format_duration_ms(c) for c in timer.choices))
                return None
            return timer.choices[ms]
        if timer.multiple_of_interval:
            interval = interval_ms or 1000
            count = Fraction(ms, interval)
            if count.denominator != 1:
                bad(field_name, f"must be a whole number of PDU intervals "
                    f"({units.format_duration_ms(interval)})", units.format_duration_ms(ms))
                return None
            value = int(count)
        else:
            try:
                value = timer.scale.to_vendor(ms)
            except units.NotRepresentable:
                bad(field_name, f"not a whole number of {timer.scale.name}",
                    units.format_duration_ms(ms))
                return None
        if timer.range and not timer.range.accepts(value):
            bad(field_name, "out of range", value, f"{timer.range} {timer.unit_label}".strip())
        return value

    def _window(self, intent, name, event_field, event: Event, wanted, bad, notes):
        field_name = f"{event_field}.window"
        window = event.window
        if window.counts == "time" and WINDOW_UNITS[name] != "deciseconds":
            # The vendor counts time but the IEEE window is frames/symbols: use the policy's own
            # duration when it gave one, otherwise convert at the link speed and report it.
            if wanted.window_ms is not None:
                ms = Fraction(wanted.window_ms)
            else:
                convert = (units.duration_for_frames if name == "frame_period"
                           else units.duration_for_symbols)
                ms = convert(wanted.window, intent.speed_bps)
            vendor = ms * window.scale.per_ieee_unit / window.scale.per_vendor_unit
            if vendor.denominator != 1:
                rounded = max(1, round(vendor))
                notes.append(f"{intent.interface} {name} window {wanted.window} "
                             f"{WINDOW_UNITS[name]} at {units.format_speed(intent.speed_bps)} is "
                             f"{float(ms):.3f} ms; {self.display} counts {window.unit_label}, "
                             f"rounded to {rounded}")
                vendor = rounded
            value = int(vendor)
        else:
            try:
                value = window.scale.to_vendor(wanted.window)
            except units.NotRepresentable as exc:
                nearest = " or ".join(_format_window(name, n) for n in exc.nearest)
                bad(field_name, f"{self.display} counts this window in {window.unit_label}; "
                    f"{_window_text(name, wanted)} is not a whole number of them"
                    + (f" (nearest: {nearest})" if nearest else ""), _window_text(name, wanted))
                return None
            if wanted.window_rounded:
                notes.append(f"{intent.interface} {name} window {units.format_duration_ms(wanted.window_ms)} "
                             f"at {units.format_speed(intent.speed_bps)} is not a whole number of "
                             f"{WINDOW_UNITS[name]}; using {wanted.window}")
        if window.span_ms is not None and window.counts == "ieee" and window.range.accepts(value):
            _check_span(name, field_name, window.span_ms, wanted, intent.speed_bps, bad)
        if not window.range.accepts(value):
            low = _format_window(name, window.scale.to_ieee(window.range.low)) if window.counts == "ieee" else ""
            high = _format_window(name, window.scale.to_ieee(window.range.high)) if window.counts == "ieee" else ""
            span = f" = {low} to {high}" if low else ""
            bad(field_name, "out of range", _window_text(name, wanted),
                f"{window.describe()}{span}")
        return value


def _check_span(name: str, field_name: str, span: Range, wanted, speed_bps: int, bad) -> None:
    """A frame/symbol count outside what `span` (milliseconds) holds at the link speed."""
    count_in = units.frames_for_duration if name == "frame_period" else units.symbols_for_duration
    try:
        fewest, most = count_in(span.low, speed_bps)[0], count_in(span.high, speed_bps)[0]
    except ValueError:   # no symbol rate known for this speed: nothing to measure against
        return
    if not fewest <= wanted.window <= most:
        bad(field_name, "out of range", _window_text(name, wanted),
            f"{units.format_duration_ms(span.low)} to {units.format_duration_ms(span.high)} at "
            f"{units.format_speed(speed_bps)} = {fewest} to {most} {WINDOW_UNITS[name]}")


def _format_window(event: str, ieee_value: int) -> str:
    if WINDOW_UNITS[event] == "deciseconds":
        return units.format_duration_ms(ieee_value * 100)
    return f"{ieee_value} {WINDOW_UNITS[event]}"


def _window_text(event: str, wanted) -> str:
    if wanted.window_ms is not None:
        return units.format_duration_ms(wanted.window_ms)
    return _format_window(event, wanted.window)
