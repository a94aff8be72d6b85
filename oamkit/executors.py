"""Where per-host work runs: threads in this process (`threads`, the default) or a Dask
distributed cluster (`dask`: an embedded LocalCluster of worker processes, or a real cluster
with `--scheduler tcp://HOST:PORT`).

`runner.run_fleet` owns rollout stages, deadlines and reporting; an executor only starts work
and hands back `concurrent.futures.Future`s, so results, progress and the deadline net
(deadline + GRACE, then "no answer within the deadline") are the same code for both.

Why Dask distributed rather than a home-made queue: it already has the scheduler, worker
processes, heartbeats, a dashboard and a deployment story (SSH, Kubernetes, HPC) our users can
run; the nornir-salt/nornir runners they asked about do not cross machines.

Work shipped to Dask workers is a `HostJob`: an action name, the inventory folder and plain
options. The worker loads the inventory itself (cached per process) and plans the host by
name; no live session, inventory object or secret crosses the wire. Workers therefore need the
inventory folder at the same path and the credentials it names (environment variable or
password file) themselves.

A host's deadline starts when its work starts (`HostClock`), on every executor: a host queued
behind busy workers is not using its time yet. (Set at submission, the last hosts of 40 on 2
workers, 1.5 s each, were out of time before their first packet: "no SSH login before the
deadline"; a real fleet of a few hundred slow devices on the default 20 workers hit the same.)
"""
from __future__ import annotations

import asyncio
import concurrent.futures as cf
import math
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from oamkit.errors import InputError, Problem

EXECUTORS = ("threads", "dask")


# ---------------------------------------------------------------------------- per-host jobs
def _diff(inv, plan, deadline, **_):
    from oamkit import engine

    return engine.diff_host(inv, plan, deadline)


def _push(inv, plan, deadline, *, change_id: str, confirm_timeout: int = 120,
          over_unfinished: tuple[tuple[str, str], ...] = (), **_):
    # over_unfinished: (host, change id) pairs the user chose to push over
    from oamkit import engine

    return engine.push_host(inv, plan, deadline, change_id, confirm_timeout,
                            dict(over_unfinished).get(plan.host.name))


def _collect(inv, plan, deadline, **_):
    # No store here: the caller stores snapshots in its own history database (the worker may
    # be another machine). Sessions close in the background of the process that opened them;
    # the Dask executor waits for those closes on every worker when it is closed.
    from oamkit import collect

    return collect.collect_host(inv, plan, deadline, store=None)


def _check_read(inv, plan, deadline, *, rules, sample=0.0, **_):
    # The read half of a check (device only); the caller judges it against its own history
    # (ops.reads.settle). `rules` crosses as JSON (Rules.model_dump_json()), already validated.
    from oamkit import checks

    rules = checks.Rules.model_validate_json(rules) if isinstance(rules, (str, bytes)) \
        else checks.Rules.model_validate(rules)
    return checks.read_for_check(inv, plan, deadline, rules, sample)


def _hazards_here() -> list[str]:
    """On a worker: what in its set-up is known to stall per-host work (see DaskExecutor)."""
    import sys

    import dask

    if sys.version_info[:2] == (3, 11) and sys.version_info < (3, 11, 9) and \
            dask.config.get("distributed.worker.profile.enabled", True):
        return [f"run Python {'.'.join(map(str, sys.version_info[:3]))} with Dask's statistical "
                "profiler on: it can freeze a worker for good (CPython gh-106883, fixed in "
                "3.11.9). Start them with DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False or a "
                "newer Python"]
    return []


class HostClock:
    """One host's time: `timeout` seconds from the moment its work starts (`start`, called by
    the executor there), not from when it was queued. `deadline` is None until then, and
    stays None here for work started elsewhere (a Dask worker starts its own clock)."""

    __slots__ = ("timeout", "deadline")

    def __init__(self, timeout: float) -> None:
        self.timeout, self.deadline = timeout, None

    def start(self) -> float:
        self.deadline = time.monotonic() + self.timeout
        return self.deadline


def _timed(work, plan, clock: HostClock):
    return work(plan, clock.start())


def _bounded(seconds: float, call: Callable, *args):
    """`call(*args)` on a helper thread, given up after `seconds` (TimeoutError): for the
    Dask client calls that have no deadline of their own."""
    outcome: cf.Future = cf.Future()

    def run() -> None:
        try:
            outcome.set_result(call(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome.set_exception(exc)

    threading.Thread(target=run, name="oamkit-dask-call", daemon=True).start()
    try:
        return outcome.result(timeout=seconds)
    except cf.TimeoutError:
        raise TimeoutError(f"no answer from the Dask cluster within {seconds:.0f} s") from None


def _finish_closing_here(timeout: float = 15.0) -> int:
    from oamkit import collect

    return collect.finish_closing(timeout)


ACTIONS: dict[str, tuple[Callable, bool]] = {
    # name: (function(inv, plan, deadline, **options), needs the policy intent)
    "diff": (_diff, True),
    "push": (_push, True),
    "collect": (_collect, False),
    "check-read": (_check_read, True),   # drift compares the configuration with the intent
}


def resolve_action(name: str) -> tuple[Callable, bool]:
    """A built-in action, or your own per-host task as "package.module:function" (importable on
    every worker; called as function(inventory, plan, deadline, **options), no policy intent)."""
    if name in ACTIONS:
        return ACTIONS[name]
    module, _, function = name.partition(":")
    if not module or not function:
        raise ValueError(f"unknown action {name!r} (built in: {', '.join(ACTIONS)}; or "
                         "'package.module:function')")
    import importlib

    return getattr(importlib.import_module(module), function), False


@dataclass(frozen=True)
class HostJob:
    """One kind of per-host work, picklable: `job(plan, deadline)` here, or by host name on a
    Dask worker (`run_remote`)."""

    action: str
    inventory: str
    options: tuple[tuple[str, Any], ...] = ()
    # the live inventory of the process that made the job; never pickled
    local: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def make(cls, action: str, inventory, **options) -> "HostJob":
        resolve_action(action)   # fails here, not on a worker
        return cls(action, inventory.source, tuple(sorted(options.items())),
                   local=inventory)

    def __getstate__(self):
        return {"action": self.action, "inventory": self.inventory, "options": self.options}

    def __setstate__(self, state):
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "local", None)

    def __call__(self, plan, deadline: float):
        inv = self.local if self.local is not None else _inventory(self.inventory)
        function, _ = resolve_action(self.action)
        return function(inv, plan, deadline, **dict(self.options))


_cache_lock = threading.Lock()
_inventories: dict[str, tuple[tuple, Any]] = {}
_plans: dict[tuple[str, str], tuple[tuple, Any]] = {}


def inventory_stamp(folder: str) -> tuple:
    """Changes when the inventory (or its policies) changes, so a cached copy is never stale."""
    root = Path(folder)
    files = [root / f"{n}.yaml" for n in ("hosts", "groups", "defaults")]
    files += sorted((root / "policies").glob("*.yaml")) if (root / "policies").is_dir() else []
    return tuple((str(f), f.stat().st_mtime_ns) if f.exists() else (str(f), None) for f in files)


_loading: dict[str, threading.Lock] = {}


def _inventory(folder: str):
    from oamkit.inventory import Inventory

    stamp = inventory_stamp(folder)
    with _cache_lock:
        hit = _inventories.get(folder)
        if hit and hit[0] == stamp:
            return hit[1]
        loading = _loading.setdefault(folder, threading.Lock())
    # One load per process: the worker's threads all ask at once when a run starts, and a
    # thousand-host inventory takes seconds to validate.
    with loading:
        with _cache_lock:
            hit = _inventories.get(folder)
            if hit and hit[0] == stamp:
                return hit[1]
        inv = Inventory.load(folder)
        with _cache_lock:
            _inventories[folder] = (stamp, inv)
    return inv


def _plan(folder: str, host: str, intent: bool):
    from oamkit.platforms import get_platform
    from oamkit.render import HostPlan, plan_hosts

    inv = _inventory(folder)
    key = (folder, host, intent)
    stamp = inventory_stamp(folder)
    with _cache_lock:
        hit = _plans.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
    settings = inv.hosts[host]
    plan = plan_hosts(inv, [settings])[0] if intent else HostPlan(settings, get_platform(settings.platform))
    with _cache_lock:
        _plans[key] = (stamp, plan)
    return plan


def run_remote(job: HostJob, host: str, timeout: float, once: tuple[str, str] | None = None):
    """What a Dask worker runs: the host's plan from the inventory folder, then the job, with
    `timeout` seconds from now (the task may have queued on the worker).

    `once` (the run and a push's task key): the task runs at most once. Dask starts a task again on another
    worker when the one running it dies, and the scheduler's allowed-failures cannot be set from
    a client. A second start of a push would read the half-done first attempt as the state to
    build on (`unchanged`, while the first attempt's revert timer undoes the change minutes
    later) or push again; so it ends at once, without touching the device (`dask_outcomes`)."""
    deadline = time.monotonic() + timeout
    if once is not None:
        from oamkit import dask_outcomes

        refused = dask_outcomes.refuse_a_second_start(once, job, host,
                                                      _inventory(job.inventory).hosts[host].platform)
        if refused is not None:
            return refused
    if job.action in ACTIONS:   # oamkit's own actions log in: not without the credentials
        from oamkit import dask_outcomes

        missing = dask_outcomes.credentials_missing_here(_inventory(job.inventory), host)
        if missing is not None:
            return missing
    plan = _plan(job.inventory, host, resolve_action(job.action)[1])
    return job(plan, deadline)


# ---------------------------------------------------------------------------- executors
def runs_on_loop(work, plan) -> bool:
    """Does this host's work run as a greenlet on the asyncssh loop (`transport.greenloop`)?
    Only oamkit's own actions, whose blocking calls are known and routed, on hosts whose every
    session is asyncssh; a user's action may block anywhere, so it keeps a thread."""
    return (isinstance(work, HostJob) and work.action in ACTIONS and work.local is not None
            and plan.host.transport == "ssh" and plan.host.ssh.driver == "asyncssh")


class _LoopRunner:
    """Host work as greenlets on the asyncssh event loop, at most `workers` at once. The
    futures behave as a thread pool's: cancel() stops a host that has not started, never one
    that has (it must finish, and roll back if it fails)."""

    def __init__(self, workers: int) -> None:
        from oamkit.transport.asyncssh_driver import _Loop

        self.loop = _Loop.get()
        self.slots = asyncio.Semaphore(max(1, workers))
        self.tasks: set[asyncio.Task] = set()   # referenced until done (the loop keeps weak refs)
        self.submitted: list[cf.Future] = []

    def submit(self, work, plan, clock: HostClock) -> cf.Future:
        future: cf.Future = cf.Future()
        self.submitted.append(future)
        self.loop.call_soon_threadsafe(self._start, work, plan, clock, future)
        return future

    def _start(self, work, plan, clock, future) -> None:
        task = self.loop.create_task(self._run(work, plan, clock, future))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, work, plan, clock: HostClock, future: cf.Future) -> None:
        from oamkit.transport import greenloop

        async with self.slots:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = await greenloop.spawn(work, plan, clock.start())
            except BaseException as exc:  # noqa: BLE001 - the runner reports it for this host
                future.set_exception(exc)
            else:
                future.set_result(result)

    def cancel_queued(self) -> None:
        for future in self.submitted:
            future.cancel()   # False, and nothing happens, for a host already started


# A host at work holds a socket, another while its last session closes in the background, and
# the asyncssh loop and SQLite hold a few of their own: file descriptors per host at once.
FILES_PER_HOST, FILES_SPARE = 4, 256


def ensure_open_files(needed: int) -> int:
    """Raise this process's soft limit of open files to `needed` (capped by the hard limit;
    never lowered): a distribution's default soft limit (1024) is reached by a few hundred
    hosts at once. Returns the soft limit now in force."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):   # not allowed here: run with the limit we have
            pass
    return soft


class ThreadExecutor:
    """Per-host work in this process: on a thread pool, or as greenlets on the asyncssh loop
    for hosts on `ssh.driver: asyncssh` (see `runs_on_loop`); `workers` bounds each."""

    name = "threads"

    def __init__(self, workers: int = 20) -> None:
        self.workers = workers
        ensure_open_files(FILES_PER_HOST * workers + FILES_SPARE)
        self.pool = cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="oamkit-host")
        self._loop_runner: _LoopRunner | None = None

    @property
    def concurrency(self) -> int:
        """How many hosts run at once (the runner's bound on a stage's time)."""
        return max(1, self.workers)

    def submit(self, work, plan, clock: HostClock) -> cf.Future:
        if runs_on_loop(work, plan):
            if self._loop_runner is None:
                self._loop_runner = _LoopRunner(self.workers)
            return self._loop_runner.submit(work, plan, clock)
        return self.pool.submit(_timed, work, plan, clock)

    def release(self, futures) -> None:
        for future in futures:
            future.cancel()

    def close(self) -> None:
        # Do not wait for a host that overran its deadline: its thread ends on its own once its
        # (deadline-bounded) network read gives up.
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self._loop_runner is not None:
            self._loop_runner.cancel_queued()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskExecutor:
    """Per-host work on Dask distributed. Without `scheduler`, an embedded LocalCluster of
    worker processes on 127.0.0.1 (no dashboard), sized so that `workers` hosts run at once."""

    name = "dask"
    close_timeout = 20.0   # seconds close() waits for the workers' SSH logouts

    def __init__(self, scheduler: str | None = None, workers: int = 20,
                 processes: int | None = None, connect_timeout: float = 30.0) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            # the interpreter running oamkit: on Debian a bare `pip` is the system's, which
            # refuses (externally managed) or installs where this venv does not look
            raise InputError([Problem(f"--executor dask needs Dask distributed: {sys.executable} "
                                      "-m pip install 'oamkit[dask]'", field="--executor",
                                      value="dask")]) from None
        self.cluster, self.workers = None, workers
        if scheduler:
            _check_scheduler_address(scheduler)   # a bad port or a refused connection: at once
            try:
                self.client = Client(scheduler, timeout=connect_timeout)
            except ValueError as exc:   # distributed's own address parsing: "missing port ..."
                raise InputError([Problem(f"not a Dask scheduler address ({exc}); give "
                                          "tcp://HOST:PORT", field="--scheduler",
                                          value=scheduler)]) from None
            except (OSError, TimeoutError) as exc:
                raise InputError([Problem(f"cannot reach the Dask scheduler: {exc}",
                                          field="--scheduler", value=scheduler)]) from None
        else:
            import dask

            count = processes or max(1, min(os.cpu_count() or 1, 4))
            # No statistical profiler on our workers: its sys._current_frames() every 10 ms
            # deadlocks a CPython 3.11 older than 3.11.9 (Debian 12 ships 3.11.2) that starts
            # threads while a garbage collection runs a callback (CPython gh-106883), and our
            # workers start one per SSH session. A frozen worker held a 12 s collect until its
            # 600 s deadline (bench/scale.py). The nannies hand this config to their workers.
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                self.cluster = LocalCluster(n_workers=count, processes=True, host="127.0.0.1",
                                            threads_per_worker=max(1, math.ceil(workers / count)),
                                            dashboard_address=None, silence_logs=40,
                                            # its HTTP endpoints on any free port: on 8787 a
                                            # second oamkit run printed "Port 8787 is already in use"
                                            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster, timeout=connect_timeout)
        # A lost scheduler is reported per host, in one line (`dask_outcomes`); the client's own
        # log of it was a traceback on stderr for each reconnection attempt.
        import logging

        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
        self._live: dict[cf.Future, Any] = {}
        self._lock = threading.Lock()
        self._run = uuid.uuid4().hex   # names this run's run-once marks on the scheduler
        # for the user: what could stall a run on a cluster we did not start
        self.warnings: list[str] = [] if self.cluster is not None else self._worker_hazards()
        if self.cluster is None:
            self._require_workers(scheduler)

    def _require_workers(self, scheduler: str) -> None:
        """A cluster with no workers runs nothing: say so before submitting (a push waited out
        its deadline, then said "no answer within the N s deadline", mid-change for all it knew)."""
        try:
            threads = _bounded(10.0, self.client.nthreads)
        except Exception:  # noqa: BLE001 - the scheduler's answer is the check; none: go on
            return
        if not threads:
            self.client.close(timeout=10)
            raise InputError([Problem(f"the Dask cluster at {scheduler} has no workers (start "
                                      f"some: dask worker {scheduler}); nothing was sent",
                                      field="--scheduler", value=scheduler)])

    def _worker_hazards(self) -> list[str]:
        try:
            found = _bounded(10.0, self.client.run, _hazards_here)
        except Exception as exc:  # noqa: BLE001 - a warning is all this can give
            return [f"could not ask the Dask workers about their set-up: {type(exc).__name__}: {exc}"]
        risky = sorted(address for address, hazards in found.items() if hazards)
        if not risky:
            return []
        more = ", ..." if len(risky) > 3 else ""
        return [f"{len(risky)} Dask worker(s) ({', '.join(risky[:3])}{more}) {found[risky[0]][0]}"]

    @property
    def address(self) -> str:
        return self.client.scheduler.address

    @property
    def concurrency(self) -> int:
        """How many hosts the cluster runs at once: its worker threads (at least `workers` on
        the embedded cluster; a cluster we did not start may have fewer)."""
        try:
            threads = sum(_bounded(10.0, self.client.nthreads).values())
        except Exception:  # noqa: BLE001 - the runner's bound is then the one asked for
            threads = 0
        return max(1, threads or self.workers)

    def submit(self, work, plan, clock: HostClock) -> cf.Future:
        if not isinstance(work, HostJob):
            raise TypeError("the dask executor runs HostJob work only (picklable: action name, "
                            f"inventory path, options), not {type(work).__name__}")
        from oamkit import dask_outcomes

        key = f"oamkit-{work.action}-{plan.host.name}-{uuid.uuid4().hex[:8]}"
        # Reads may run again after a lost worker; anything that may change a device may not.
        once = None if dask_outcomes.may_run_twice(work.action) else (self._run, key)
        try:
            remote = self.client.submit(run_remote, work, plan.host.name, clock.timeout, once,
                                        pure=False, key=key, retries=0)
        except Exception as exc:  # noqa: BLE001 - nothing was submitted: this host was not run
            raise dask_outcomes.ClusterUnusable(
                f"host {plan.host.name}: not sent to the Dask cluster at {self._where()}: "
                f"{dask_outcomes.one_line(exc)}; nothing was sent to the device") from None
        local: cf.Future = cf.Future()
        local.set_running_or_notify_cancel()
        with self._lock:
            self._live[local] = remote
        self.client.loop.add_callback(self._settle, remote, local, work, plan)
        return local

    def _where(self) -> str:
        try:
            return self.address
        except Exception:  # noqa: BLE001 - the client may have lost it
            return "(unknown address)"

    async def _settle(self, remote, local: cf.Future, work, plan) -> None:
        """Wait for one task and fetch its result, on the client's event loop. Not in a
        done-callback: Dask runs those one at a time on a single thread, so one result that
        could not be fetched at once (its worker lost, the task queued again) held back every
        other host's result behind it."""
        from oamkit import dask_outcomes

        try:
            value, error = await self.client.gather(remote, asynchronous=True), None
        except BaseException as exc:  # noqa: BLE001 - the task's own error, or cancelled
            value, error = None, exc
        with self._lock:
            released = self._live.pop(local, None) is None   # release() cancelled it
        if local.done():
            return
        if error is None:
            local.set_result(value)
        elif released or isinstance(error, asyncio.CancelledError):
            local.set_exception(cf.CancelledError())
        elif dask_outcomes.is_the_tasks_own_error(remote, error):
            local.set_exception(error)
        else:   # the cluster failed this host, not its work: a result that says what we know
            local.set_result(dask_outcomes.lost(work, plan, error, self._where()))

    def release(self, futures) -> None:
        """Cancel work not finished (queued tasks never start; running ones end at their
        deadline on the worker)."""
        with self._lock:
            remote = [self._live.pop(f) for f in list(futures) if f in self._live and not f.done()]
        if remote:
            try:
                self.client.cancel(remote)
            except Exception:  # noqa: BLE001 - the scheduler may be gone; nothing left to do
                pass

    def close(self) -> None:
        self.release(list(self._live))
        try:
            try:   # sessions the workers are still logging out of; bounded, as a wedged
                # worker must not hold the command after its hosts were reported
                if self.client.status != "running":   # the scheduler is gone: none to ask
                    raise ConnectionError(self.client.status)
                from oamkit import dask_outcomes

                _bounded(5.0, dask_outcomes.forget_run, self.client, self._run)
                _bounded(self.close_timeout, self.client.run, _finish_closing_here,
                         max(1.0, self.close_timeout - 5))
            except Exception:  # noqa: BLE001 - a worker gone away has nothing left to close
                pass
            self.client.close(timeout=10)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_scheduler_address(scheduler: str) -> None:
    """Exit 2 at once for a scheduler address with a port out of range, or whose port refuses
    the connection: Dask's client retried either until its 30 s timeout."""
    import socket

    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    def bad(message: str) -> InputError:
        return InputError([Problem(message, field="--scheduler", value=scheduler)])

    try:
        scheme, location = parse_address(scheduler)
        if scheme not in ("tcp", "tls"):   # inproc://, ucx://...: Dask's own checks
            return
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise bad(f"not a Dask scheduler address ({exc}); give tcp://HOST:PORT") from None
    if not 1 <= int(port) <= 65535:
        raise bad(f"port {port} is out of range (1 to 65535)")
    try:
        socket.create_connection((host, int(port)), timeout=5.0).close()
    except ConnectionRefusedError:
        raise bad(f"cannot reach the Dask scheduler: {host}:{port} refused the connection "
                  "(no scheduler listens there)") from None
    except OSError:   # slow or filtered: Dask's own connect (and its timeout) says what it finds
        pass


def make_executor(kind: str | None, scheduler: str | None = None, workers: int = 20):
    """`None` for the default threads (run_fleet then owns its pool, as before), else an
    executor the caller closes (use it as a context manager)."""
    kind = (kind or "threads").lower()
    if kind not in EXECUTORS:
        raise InputError([Problem("unknown executor", field="--executor", value=kind,
                                  allowed=", ".join(EXECUTORS))])
    if scheduler and kind != "dask":
        raise InputError([Problem("--scheduler needs --executor dask", field="--scheduler",
                                  value=scheduler)])
    if kind == "threads":
        return None
    return DaskExecutor(scheduler, workers)
