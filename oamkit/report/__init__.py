"""One result model for `oamkit check`, rendered as a rich table, JSON, JUnit XML, a Nagios line
or a Prometheus textfile. Every format is made from `CheckReport` only, so they never disagree."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from oamkit.checks import MAINTENANCE, NAGIOS_CODES, OK, UNKNOWN, HostCheck, worst
from oamkit.errors import ExitCode


@dataclass
class CheckReport:
    hosts: list[HostCheck]
    started: float
    finished: float
    rules_file: str | None = None
    db: str | None = None
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False   # Ctrl-C: the hosts read so far are reported, then exit 130
    # the history database could not be written or read (the file and SQLite's error): the
    # results stand, judged on what could be read; the run is at least UNKNOWN, exit 3
    history_problem: str | None = None

    @property
    def status(self) -> str:
        """Worst status over every result; MAINTENANCE never raises it above OK; a history
        problem makes it at least UNKNOWN."""
        found = [r.status for h in self.hosts for r in h.results]
        found += [UNKNOWN] if self.history_problem else []
        overall = worst(found)
        return OK if overall == MAINTENANCE else overall

    @property
    def results(self):
        return [r for h in self.hosts for r in h.results]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for h in self.hosts:
            out[h.outcome] = out.get(h.outcome, 0) + 1
        return out

    def problems(self):
        return [r for r in self.results if r.status not in (OK, MAINTENANCE)]

    def exit_code(self, nagios: bool = False) -> int:
        """The CLI's exit code: 0 OK, 1 a problem found, 3 the history database could not be
        written or read (whatever was found), 130 interrupted (Ctrl-C); with
        `nagios` the plugin codes (Nagios knows UNKNOWN, not 130: the status of what was read)."""
        if nagios:
            return NAGIOS_CODES[self.status]
        if self.interrupted:
            return 130
        if self.history_problem:   # not 1: the systemd unit takes 1 for success
            return int(ExitCode.NEEDS_ATTENTION)
        return 0 if self.status == OK else 1

    def as_dict(self) -> dict:
        return {"status": self.status, "exit_code": self.exit_code(False),
                "nagios_code": NAGIOS_CODES[self.status],
                "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(timespec="seconds"),
                "seconds": round(self.finished - self.started, 3),
                "rules_file": self.rules_file, "db": self.db,
                "history_problem": self.history_problem, "host_counts": self.counts(),
                "notes": self.notes, "hosts": [h.as_dict() for h in self.hosts]}
