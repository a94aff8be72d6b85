"""A deadline for library calls that have none.

paramiko waits for the answer to a channel request (the CLI's pseudo-terminal and shell,
NETCONF's `netconf` subsystem) without any timeout (`Channel._wait_for_event`), and netmiko and
ncclient call it so. A device that logs us in and then never answers would hold that worker
thread for ever, and a thread pool's threads are joined at interpreter exit: the run would
never end. `at(deadline, action)` runs `action` (closing the session's socket or transport,
which ends paramiko's wait with an error) if the deadline passes before the caller cancels it.

One thread for the whole process, started on first use, sleeping until the earliest deadline:
a fleet's sessions share it (a `threading.Timer` per session would start a thread each).
"""
from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import Callable


class Armed:
    """An armed deadline: `cancel()` it when the guarded call returned. `fired` (also after
    cancel) says whether the action ran or is running: the session is then closed whatever the
    call returned, and the caller reports the deadline rather than the library's error."""

    __slots__ = ("action", "cancelled", "fired")

    def __init__(self, action: Callable[[], None]) -> None:
        self.action, self.cancelled, self.fired = action, False, False

    def cancel(self) -> None:
        if self.cancelled:   # again: paramiko cancels its handshake timer after every message
            return
        with _lock:   # after this, the watchdog either has fired it already or never will
            self.cancelled = True
            if not self.fired:
                self.action = None   # what it would have closed is not kept alive till the deadline

    def __enter__(self) -> "Armed":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()


_lock = threading.Condition()
_heap: list[tuple[float, int, Armed]] = []
_order = itertools.count()
_thread: threading.Thread | None = None


def at(deadline: float, action: Callable[[], None]) -> Armed:
    """Run `action` at `deadline` (time.monotonic()) unless cancelled before."""
    global _thread
    armed = Armed(action)
    with _lock:
        heapq.heappush(_heap, (deadline, next(_order), armed))
        if _thread is None:
            _thread = threading.Thread(target=_watch, name="oamkit-watchdog", daemon=True)
            _thread.start()
        if _heap[0][2] is armed:   # the earliest now: the watchdog sleeps too long otherwise
            _lock.notify()
    return armed


def cut_off(deadline: float, sock, call: Callable[[], object]) -> bool:
    """Run `call` (a paramiko wait without a timeout); at `deadline` the session on `sock` is
    cut. True when it was: whatever `call` returned or raised is then void (the deadline is the
    reason), and the session is closed."""
    with at(deadline, cut(sock)) as armed:
        try:
            call()
        except Exception:
            if not armed.fired:
                raise
    return armed.fired


def _watch() -> None:
    while True:
        with _lock:
            while _heap and _heap[0][2].cancelled:
                heapq.heappop(_heap)
            if not _heap:
                _lock.wait()
                continue
            wait = _heap[0][0] - time.monotonic()
            if wait > 0:
                _lock.wait(wait)
                continue
            armed = heapq.heappop(_heap)[2]
            if armed.cancelled:
                continue
            armed.fired = True
        try:
            armed.action()
        except Exception:   # noqa: BLE001 - closing an already broken session may fail; it is done
            pass


def _forget_in_child() -> None:
    # a forked child (a process pool) has no watchdog thread: it starts its own
    global _lock, _heap, _thread
    _lock, _heap, _thread = threading.Condition(), [], None


os.register_at_fork(after_in_child=_forget_in_child)


def cut(sock) -> Callable[[], None]:
    """An action that ends every wait on the session `sock` carries: a TCP socket is shut
    down (its descriptor stays ours until the owner closes it, so it cannot be reused under a
    reader), a jump host's channel closed. The SSH library then sees the connection end."""
    def action() -> None:
        if hasattr(sock, "get_transport"):   # a paramiko Channel (through a jump host)
            sock.close()
        else:
            sock.shutdown(2)   # socket.SHUT_RDWR
    return action
