"""What a host's result is when the Dask cluster, not the host's work, failed it.

A push whose worker died, or whose scheduler was lost, may have sent part of its change: the
device may hold it with a revert timer or a confirmed commit pending. That is
`failed-needs-attention` (exit 3), never `error` (which oamkit reads as "nothing sent",
`engine.unfinished`), and never a second run of the push: the second run read the first
one's half change as the state to build on (`unchanged`, then the first attempt's revert
timer undid the change) or pushed again (two backups). Reads (diff, collect, check) only read:
Dask may run them again, and when the cluster fails them they are `error`, one line.
"""
from __future__ import annotations

from oamkit.errors import OamkitError

# Built-in actions that only read devices. Any other (push, a user's own task, which may
# change devices for all we know) runs at most once.
READ_ONLY_ACTIONS = frozenset({"diff", "collect", "check-read"})

# Scheduler metadata: {run: {task key: address of the worker that started it}}; a run's
# marks are dropped when it closes (`forget_run`), so a long-lived scheduler does not collect them.
_STARTED = "oamkit-started"


class ClusterUnusable(OamkitError):
    """A host's work could not be handed to the cluster: nothing was sent to the device."""


def may_run_twice(action: str) -> bool:
    return action in READ_ONLY_ACTIONS


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------------------- on the worker
def refuse_a_second_start(once: tuple[str, str], job, host: str, platform: str):
    """On a worker, before anything touches the device: None on the task's first start (which
    is recorded on the scheduler), else the host's `failed-needs-attention` result.

    The mark is set before the device is contacted, so a worker that dies before setting it had
    not touched the device and the second start may go ahead (it then finds no mark)."""
    from distributed import get_client, get_worker

    here = get_worker().address
    client = get_client()
    earlier = client.get_metadata([_STARTED, *once], default=None)
    if earlier is None:
        client.set_metadata([_STARTED, *once], here)
        return None
    return _needs_attention(job, host, platform,
                            f"the Dask worker running {_what(job, host)} ({earlier}) died "
                            f"mid-change and Dask started it again on {here}; it was not run a "
                            "second time")


def credentials_missing_here(inventory, host: str):
    """On a worker, before any login: the host's `error` result (nothing sent) when this worker
    lacks a credential the inventory names (a password variable not set in the worker's
    environment, a password file not there, ...), else None. The client checked its own
    environment, not the worker's: without this each host was a failed AAA login (lockout risk)."""
    from distributed import get_worker

    from oamkit.engine.results import ERROR, HostResult

    settings = inventory.hosts[host]
    problems = inventory.credential_problems([settings])
    if not problems:
        return None
    return HostResult(host, settings.platform, ERROR,
                      error=f"on Dask worker {get_worker().address}: "
                            + "; ".join(str(p) for p in problems)
                            + "; no login was tried, nothing was sent")


# ---------------------------------------------------------------------------- on the client
def forget_run(client, run: str) -> None:
    """Drop this run's marks on the scheduler (its tasks are all done or given up)."""
    client.set_metadata([_STARTED, run], None)


def is_the_tasks_own_error(remote, error: BaseException) -> bool:
    """The task raised (reported as threads report it), as opposed to the cluster losing it:
    a killed worker (KilledWorker) or a lost scheduler / connection (cancelled, comm errors)."""
    from distributed.scheduler import KilledWorker

    return getattr(remote, "status", None) == "error" and not isinstance(error, KilledWorker)


def lost(job, plan, error: BaseException, where: str):
    """The host's result when the cluster at `where` lost its task."""
    from distributed.scheduler import KilledWorker

    from oamkit.engine.results import ERROR, HostResult

    host = plan.host.name
    if isinstance(error, KilledWorker):
        cause = f"the Dask worker running {_what(job, host)} died (Dask gave up on it: {one_line(error)})"
    else:
        cause = f"lost the Dask scheduler at {where}"
    if may_run_twice(job.action):
        return HostResult(host, plan.platform.name, ERROR,
                          error=f"{cause} while reading {host}; nothing was changed: run it again")
    if not isinstance(error, KilledWorker):
        cause = f"lost the Dask scheduler ({where}) while {host} was being changed"
    return _needs_attention(job, host, plan.platform.name, cause)


def _what(job, host: str) -> str:
    return f"{host}'s {job.action}" if job.action in ("push", "diff", "collect") \
        else f"{job.action} on {host}"


def _needs_attention(job, host: str, platform: str, cause: str):
    from oamkit.engine.results import NEEDS_ATTENTION, HostResult

    change = dict(job.options).get("change_id")
    undo = (f"; to undo it: oamkit rollback --change {change} --limit {host}"
            if job.action == "push" and change else "")
    return HostResult(host, platform, NEEDS_ATTENTION,
                      error=f"{cause}; the device's state is unknown: check it with oamkit diff "
                            f"--limit {host}{undo}",
                      detail="the device may hold part of the change, with a revert timer or "
                             "confirmed commit pending")
