"""SIGINT and SIGTERM during a DR test. The first one aborts the run (KeyboardInterrupt; the
signal's name is kept for the report); any later one, and any once the restore has begun, is
only logged: the restore step always runs to its end. A terminal's second Ctrl-C, or the
second SIGTERM systemd and CI runners send, must not leave the primary cut."""
from __future__ import annotations

import signal
from typing import Callable

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def describe(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


class SignalGuard:
    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.received: str | None = None      # the signal that aborted the run ("Ctrl-C", "SIGTERM")
        self.shielded = False
        self._previous: dict[int, object] = {}

    def install(self) -> "SignalGuard":
        for signum in SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._handler)
            except ValueError:   # not the main thread: signals are delivered to that one only
                pass
        return self

    def shield(self) -> None:
        """From here on (the restore), signals are only logged."""
        self.shielded = True

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handler(self, signum, frame) -> None:
        if self.shielded or self.received is not None:
            self.log(f"{describe(signum)} received: restoring, please wait (the restore step always runs)")
            return
        self.received = describe(signum)
        raise KeyboardInterrupt
