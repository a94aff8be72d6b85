"""Maintenance windows: hosts whose alerts are held back until a time, with a reason.

Stored as JSON in the state dir (`OAMKIT_STATE_DIR`, as the change engine). A window ends by
itself: expired windows are ignored when read and dropped at the next write. A host can also be
marked in the inventory (`data.maintenance: {until: ..., reason: ...}` or `{down: true, reason:
...}`), e.g. a device being decommissioned.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oamkit import locks, textcheck
from oamkit.statedir import state_dir
from oamkit.errors import InputError, Problem

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$", re.I)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
LONGEST = timedelta(days=366)   # windows are meant to end
TOO_FAR = "more than a year ahead (at most 1 year): windows are meant to end"


def _as_utc(when: datetime) -> datetime:
    """A time as written; no zone means UTC."""
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_until(text: str, now: datetime | None = None) -> datetime:
    """'2h', '30m', '1d' from now, or an ISO 8601 time ('2026-11-23T06:00Z'; no zone = UTC)."""
    now = now or datetime.now(timezone.utc)
    match = _DURATION.match(text or "")
    if match:
        try:   # '3000000d' is past year 9999, '99999999999d' past what a timedelta holds
            return now + timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
        except OverflowError:
            raise ValueError(TOO_FAR) from None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ValueError(f"not a time: {text!r} (use 2h, 30m, 1d or ISO 8601 like "
                         "2026-11-23T06:00Z)") from None
    return _as_utc(when)


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:8])
    hosts: list[str] = Field(min_length=1)
    until: datetime
    reason: str = Field(min_length=3, max_length=500)
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    who: str | None = None
    selection: str | None = None   # the --filter expressions that chose the hosts, for people

    @field_validator("until", "created")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    def active(self, now: datetime | None = None) -> bool:
        return self.until > (now or datetime.now(timezone.utc))


_JSON_KINDS = {dict: "an object", str: "a string", int: "a number", float: "a number",
               bool: "true/false", type(None): "null"}


def _damaged(path: Path, why: str) -> InputError:
    """One error for every damaged form: never read as "no windows", which would silently
    drop every host's maintenance (their alerts fire, or a push goes where it should not)."""
    return InputError([Problem(f"maintenance file is damaged: {why}", file=str(path))])


def _file() -> Path:
    folder = state_dir()
    path = folder / "maintenance.json"
    if folder.exists() and not folder.is_dir():
        raise _damaged(path, f"the state folder {folder} (OAMKIT_STATE_DIR) is not a folder")
    return path


def _changing():
    """Held around every read-modify-write of the file: without it two `maintenance add` at
    once each read the same list and the later write drops the other's window (and a `remove`
    racing an `add` can bring the removed window back). Readers need no lock: the file is
    replaced whole."""
    return locks.file_lock(_file().with_name("maintenance.json.lock"))


def _read_all() -> list[Window]:
    path = _file()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:   # a folder, unreadable, not JSON, not UTF-8, empty
        raise _damaged(path, str(exc)) from None
    if not isinstance(data, list):
        raise _damaged(path, f"it holds {_JSON_KINDS.get(type(data), type(data).__name__)}, "
                             "not a list of windows")
    try:
        return [Window.model_validate(item) for item in data]
    except ValidationError as exc:
        raise _damaged(path, str(exc)) from None


def _write(windows: list[Window]) -> None:
    path = _file()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".maintenance.")
    with os.fdopen(fd, "w") as handle:
        json.dump([w.model_dump(mode="json") for w in windows], handle, indent=2)
    os.replace(tmp, path)   # readers never see half a file


def active_windows(now: datetime | None = None) -> list[Window]:
    return [w for w in _read_all() if w.active(now)]


def check_window(until: str, reason: str, now: datetime | None = None
                 ) -> tuple[datetime | None, list[Problem]]:
    """When a window asked for would end, and what is wrong with it (fields `--until` and
    `--reason`): `add` refuses those, and a playbook at load, before its first step runs."""
    now = now or datetime.now(timezone.utc)
    problems = []
    try:
        when = parse_until(until, now)
    except ValueError as exc:
        problems.append(Problem(str(exc), field="--until", value=until))
        when = None
    if when is not None and when <= now:
        problems.append(Problem("is in the past", field="--until", value=until))
    if isinstance(reason, str) and textcheck.has_control(reason):
        problems.append(Problem("contains a control character (newline, escape ...): it is "
                                "shown in every report", field="--reason", value=reason))
    if when is not None and when > now + LONGEST:
        problems.append(Problem(TOO_FAR, field="--until", value=until))
    try:
        Window(hosts=["-"], until=when or now, reason=reason, created=now)
    except ValidationError as exc:
        problems += [Problem(e["msg"], field="--" + str(e["loc"][0]) if e["loc"] else None,
                             value=e.get("input")) for e in exc.errors()]
    return when, problems


def add(hosts: list[str], until: str, reason: str, who: str | None = None,
        selection: str | None = None, now: datetime | None = None) -> Window:
    now = now or datetime.now(timezone.utc)
    when, problems = check_window(until, reason, now)
    if problems:
        raise InputError(problems)
    window = Window(hosts=hosts, until=when, reason=reason, who=who, selection=selection, created=now)
    with _changing():
        kept = [w for w in _read_all() if w.active(now)]
        _write(kept + [window])
    return window


def remove(ident: str | None = None, host: str | None = None) -> list[Window]:
    """Drop windows by id, or every window naming `host` (that host only); with both, that
    host out of that window only."""
    with _changing():
        return _remove(_read_all(), ident, host)


def _remove(windows: list[Window], ident: str | None, host: str | None) -> list[Window]:
    removed, kept = [], []
    for w in windows:
        if ident and w.id != ident and host:
            kept.append(w)
        elif ident and w.id == ident and not host:
            removed.append(w)
        elif host and host in w.hosts:
            rest = [h for h in w.hosts if h != host]
            removed.append(w.model_copy(update={"hosts": [host]}))
            if rest:
                kept.append(w.model_copy(update={"hosts": rest}))
        else:
            kept.append(w)
    if not removed:
        raise InputError([Problem("no maintenance window matches", field="id/--host",
                                  value=ident or host)])
    _write([w for w in kept if w.active()])
    return removed


class InventoryMark(BaseModel):
    """`data.maintenance` of a host in the inventory."""

    model_config = ConfigDict(extra="forbid")
    down: bool = False
    until: datetime | None = Field(None, description="absolute time (ISO 8601); no zone = UTC")
    reason: str | None = None

    @field_validator("until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _as_utc(value)


def inventory_problems(hosts, now: datetime | None = None) -> list[Problem]:
    """Problems with `data.maintenance` in the inventory, found before any device is contacted.
    A relative time ('2h') would never end there, so only absolute times are accepted."""
    now = now or datetime.now(timezone.utc)
    problems = []
    for host in hosts:
        marked = getattr(host, "maintenance", None)
        if not marked:
            continue
        file = getattr(host, "maintenance_file", None)   # the inventory file that set it
        if isinstance(marked.get("until"), str) and _DURATION.match(marked["until"]):
            problems.append(Problem("must be an absolute time (ISO 8601) in the inventory; a "
                                    "relative one would never end", host=host.name, file=file,
                                    field="maintenance.until", value=marked["until"]))
            continue
        try:
            mark = InventoryMark.model_validate(marked)
        except ValidationError as exc:
            problems += [Problem(e["msg"], host=host.name, file=file,
                                 field="maintenance." + ".".join(str(x) for x in e["loc"]),
                                 value=e.get("input")) for e in exc.errors()]
            continue
        problems += [dataclasses.replace(p, file=file)
                     for p in _mark_problems(host.name, mark, marked, now)]
    return problems


def _mark_problems(name: str, mark: InventoryMark, marked: dict, now: datetime) -> list[Problem]:
    """The rules of `maintenance add` for a mark in the inventory: it ends, within a year.
    A host marked down is held until the mark is lifted (its `until` is not an end)."""
    if mark.down:
        return []
    if mark.until is None:
        return [Problem("a mark without down: true needs an end (an absolute time, ISO 8601); "
                        "without one it would hold the host forever", host=name,
                        field="maintenance.until", value=marked.get("until"))]
    if mark.until > now + LONGEST:
        return [Problem(TOO_FAR, host=name, field="maintenance.until", value=marked.get("until"))]
    return []


def status_for(host, now: datetime | None = None, windows: list[Window] | None = None
               ) -> dict | None:
    """Why `host` (HostSettings) is not alerting right now, or None.
    {"kind": "maintenance"|"down", "reason": ..., "until": iso|None, "source": ...}

    Every hold in force counts, not the first found: with overlapping windows (or an inventory
    mark and a window) the host is released when the last one ends, so `until` is the latest
    end (None: held until someone lifts the mark), `reason` and `source` name each of them."""
    now = now or datetime.now(timezone.utc)
    holds = []   # (kind, reason, until or None, source)
    marked = getattr(host, "maintenance", None) or {}
    if marked:
        mark = InventoryMark.model_validate(marked)   # checked up front by inventory_problems()
        if mark.down or mark.until is None or mark.until > now:
            holds.append(("down" if mark.down else "maintenance",
                          mark.reason or "marked in the inventory",
                          None if mark.down else mark.until, "inventory"))
    for w in windows if windows is not None else active_windows(now):
        if host.name in w.hosts and w.active(now):
            holds.append(("maintenance", w.reason, w.until, f"window {w.id}"))
    if not holds:
        return None
    ends = [until for _, _, until, _ in holds]
    last = None if None in ends else max(ends)
    return {"kind": "down" if any(kind == "down" for kind, *_ in holds) else "maintenance",
            "reason": "; ".join(dict.fromkeys(reason for _, reason, _, _ in holds)),
            "until": last.isoformat(timespec="seconds") if last else None,
            "source": ", ".join(source for *_, source in holds)}


def contacted(status: dict | None) -> bool:
    """Hosts in a maintenance window are contacted (checked, pushed to: someone's window, worked
    in knowingly); a host marked down in the inventory (being removed, powered off) is not by
    any command: it has nothing to show but a timeout that would cost the run its deadline."""
    return not status or status.get("kind") != "down"


def statuses(hosts, now: datetime | None = None) -> dict[str, dict | None]:
    """Host name -> `status_for` it, for the hosts a command is about to contact; the
    inventory's marks are checked first (InputError naming host and key, nothing contacted)."""
    now = now or datetime.now(timezone.utc)
    problems = inventory_problems(hosts, now)
    if problems:
        raise InputError(problems)
    windows = active_windows(now)
    return {h.name: status_for(h, now, windows) for h in hosts}


def not_contacted(status: dict) -> str:
    """Why a host marked down was left alone, for a command's report."""
    return f"marked down in the inventory ({status['reason']}): not contacted"


def in_window(status: dict) -> str:
    """The note a change to a host inside a maintenance window carries."""
    until = f" until {status['until']}" if status.get("until") else ""
    return f"in maintenance ({status['source']}: {status['reason']}{until}); worked on all the same"
