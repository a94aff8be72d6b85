"""Per-host code run as greenlets on the asyncssh event loop (hosts on `ssh.driver: asyncssh`).

The change engine is plain synchronous code (SshSession reads until a prompt, converge decides
what comes next). On a worker thread each exchange with a device costs two hand-offs between
that thread and the event loop's thread (the write, then the wake-up on the reply) and, with
tens of threads, a convoy on the GIL. Run as a greenlet on the loop's own thread, the same code
suspends at each wait and the loop resumes it when the reply is there: no thread, no hand-off.
Measured on bench/push.py's fleet (200 IOS devices, 50 at once, 5 alternating rounds): about 5%
less wall time than on threads.

This is SQLAlchemy's asyncio bridge (greenlet_spawn / await_only), in small:
  spawn(fn, *args)  a coroutine on the loop: runs fn in a greenlet until it returns
  wait(awaitable)   in that greenlet: suspend until the awaitable is done, return its result
  blocking(fn, ...) a call that may block (fsync): on a loop thread pool when in a greenlet
  Batched(run_many) the same for a call many hosts make: one worker-thread batch at a time
  sleep(seconds)    time.sleep that lets the other hosts run

Rules for code that runs here: anything that can block goes through `blocking`, and no lock is
held across a `wait` (another greenlet on the same thread would deadlock on it). Code not in
such a greenlet (a worker thread, a Dask worker) gets the plain behaviour from the same calls.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import greenlet


class _HostGreenlet(greenlet.greenlet):
    """A greenlet started by `spawn`: its parent is the loop's greenlet that awaits for it."""


def on_loop() -> bool:
    """Is the caller host code in a greenlet on the event loop?"""
    return isinstance(greenlet.getcurrent(), _HostGreenlet)


async def spawn(fn: Callable, *args: Any) -> Any:
    """Run `fn(*args)` in a greenlet on this loop; its `wait` calls are awaited here."""
    host = _HostGreenlet(fn, greenlet.getcurrent())
    request = host.switch(*args)
    while not host.dead:
        try:
            value = await request
        except BaseException as exc:  # noqa: BLE001 - raised where the host code waits
            request = host.throw(exc)
        else:
            request = host.switch(value)
    return request


def wait(awaitable) -> Any:
    """From host code in a greenlet: suspend until `awaitable` is done (its exception raises)."""
    return greenlet.getcurrent().parent.switch(awaitable)


def blocking(fn: Callable, *args: Any) -> Any:
    if on_loop():
        return wait(asyncio.get_running_loop().run_in_executor(None, fn, *args))
    return fn(*args)


class Batched:
    """A blocking call made for many hosts at once: `run_many(items)` -> one result per item.
    From host greenlets, items that arrive while a batch runs in a worker thread wait for the
    next batch, so a fleet pays one thread hand-off per batch rather than one per host (and
    `run_many` may share work between items: one fsync for every backup in the batch). An
    error in a batch is every item's of that batch. Elsewhere (a thread) it is a plain call.
    Its state is only touched on the loop's thread."""

    def __init__(self, run_many: Callable[[list], list]) -> None:
        self.run_many = run_many
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[Any, asyncio.Future]] = []
        self._running = False

    def __call__(self, item: Any) -> Any:
        if not on_loop():
            return self.run_many([item])[0]
        loop = asyncio.get_running_loop()
        if loop is not self._loop:   # another loop (a forked child's): nothing of the old one's
            self._loop, self._waiting, self._running = loop, [], False
        done = loop.create_future()
        self._waiting.append((item, done))
        if not self._running:
            self._start(loop)
        return wait(done)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._waiting = self._waiting, []
        self._running = True
        job = loop.run_in_executor(None, self.run_many, [item for item, _ in batch])

        def finished(job: asyncio.Future) -> None:
            self._running = False
            error = asyncio.CancelledError() if job.cancelled() else job.exception()
            results = [None] * len(batch) if error else job.result()
            for (_, done), result in zip(batch, results):
                if done.done():
                    continue
                if error:
                    done.set_exception(error)
                else:
                    done.set_result(result)
            if self._waiting:
                self._start(loop)

        job.add_done_callback(finished)


def sleep(seconds: float) -> None:
    if on_loop():
        wait(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)
