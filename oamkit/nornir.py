"""oamkit as Nornir tasks, for teams that run their own Nornir runbooks.

    from nornir import InitNornir
    from oamkit.nornir import oam_check, oam_diff, oam_push

    nr = InitNornir(inventory={"plugin": "SimpleInventory", "options": {
        "host_file": "inventory/hosts.yaml", "group_file": "inventory/groups.yaml",
        "defaults_file": "inventory/defaults.yaml"}})
    results = nr.filter(platform="cisco_xr").run(task=oam_push, confirm_timeout=300)

Each task works on an oamkit inventory folder read by Nornir's SimpleInventory: it finds the
folder from the Nornir configuration (or `inventory=`; with another inventory plugin, pass
`inventory="nornir:CONFIG.yaml"`, the Nornir config file, as the CLI's `--inventory` takes it), loads the policies and credentials the
way the CLI does, and runs the same operation (`oamkit.ops`) for the task's host. Results are
honest Nornir `Result`s: `changed` when the device was (push) or would be (diff) changed,
`failed` when the host failed, needs attention, has a CRITICAL finding or could not be
checked (check: UNKNOWN), `diff`
holding the configuration lines. `oam_push` honours Nornir's dry run (`InitNornir(dry_run=True)`
or `run(task=oam_push, dry_run=True)`, as napalm_configure does): it then diffs and sends
nothing. The inventory is loaded once per process and again whenever one of its files
changes. Bad input raises `oamkit.errors.InputError` in the task,
before that host is contacted; Nornir reports it as the host's failure.

Every push is its own change per host (its own id in `result.result["change_id"]`, undone with
`oamkit rollback --change ID`), because Nornir runs hosts independently.
"""
from __future__ import annotations

import threading
from pathlib import Path

from nornir.core.task import Result, Task

from oamkit import ops
from oamkit.checks import CRITICAL, UNKNOWN
from oamkit.engine import CHANGED, SKIPPED, UNCHANGED
from oamkit.executors import inventory_stamp
from oamkit.inventory import Inventory

_LOADED: dict[Path | str, tuple[tuple, Inventory]] = {}   # source -> (its files' stamp, inventory)
_LOADING = threading.Lock()


def _inventory(task: Task, inventory: str | Path | None) -> Inventory:
    """The oamkit inventory of the folder Nornir's SimpleInventory reads (loaded once, and
    again when one of its files changed: a runbook process outlives edits to the policies)."""
    if inventory is None:
        options = task.nornir.config.inventory.options or {}
        host_file = options.get("host_file")
        if not host_file:
            raise ValueError("oamkit's Nornir tasks need an oamkit inventory: use "
                             "SimpleInventory over its folder, or pass inventory=FOLDER (or "
                             "inventory='nornir:CONFIG.yaml' for another inventory plugin)")
        inventory = Path(host_file).parent
    text = str(inventory)
    source = f"nornir:{Path(text[7:]).resolve()}" if text.startswith("nornir:") \
        else Path(inventory).resolve()
    with _LOADING:
        hit = _LOADED.get(source)
        if hit is not None and hit[0] == _stamp(hit[1]):
            return hit[1]
        inv = Inventory.load(source)
        _LOADED[source] = (_stamp(inv), inv)
        return inv


def _stamp(inv: Inventory) -> tuple:
    """Changes when the inventory's files (or a Nornir config file it came from) change."""
    config = inv.path.stat().st_mtime_ns if inv.path.is_file() else None
    return (config, *inventory_stamp(str(inv.folder)))


def oam_render(task: Task, fmt: str = "cli", inventory: str | Path | None = None) -> Result:
    """The host's rendered configuration (cli or netconf). Sends nothing."""
    run = ops.render(_inventory(task, inventory), limit=[task.host.name], fmt=fmt)
    text = run.configs[task.host.name]
    return Result(host=task.host, result=text, changed=False)


def oam_diff(task: Task, timeout: float = 120.0, inventory: str | Path | None = None) -> Result:
    """What a push would send to the host. Sends no configuration command."""
    run = ops.diff(_inventory(task, inventory), limit=[task.host.name], workers=1, timeout=timeout)
    return _change_result(task, run)


def oam_push(task: Task, timeout: float = 120.0, confirm_timeout: int = 120,
             inventory: str | Path | None = None, dry_run: bool | None = None,
             over_unfinished: bool = False) -> Result:
    """Push the host's intent: backup, delta, confirmed commit, read back, verify, confirm;
    rolled back on any failure. Under Nornir's dry run, what a push would send (a diff). A
    host whose last change is unfinished is refused (failed, nothing sent) unless
    `over_unfinished`, as `oamkit push --over-unfinished`."""
    if task.is_dry_run(dry_run):
        return oam_diff(task, timeout=timeout, inventory=inventory)
    run = ops.push(_inventory(task, inventory), limit=[task.host.name], workers=1,
                   timeout=timeout, confirm_timeout=confirm_timeout,
                   action=f"push (nornir, {task.host.name})", over_unfinished=over_unfinished)
    return _change_result(task, run)


def oam_check(task: Task, rules: str | Path | None = None, db: str | Path | None = None,
              timeout: float = 60.0, inventory: str | Path | None = None) -> Result:
    """Compliance of the host (drift, session, monitoring, error rates, link events); failed
    when a finding is CRITICAL or the host could not be checked."""
    report = ops.check(_inventory(task, inventory), limit=[task.host.name], rules=rules, db=db,
                       workers=1, timeout=timeout)
    host = report.hosts[0]
    # not read at all (a NETCONF host its platform cannot be read over) is reported as an UNKNOWN
    # `reachable` finding without an error; `oamkit check` exits 1 for it, and so must the task.
    # An UNKNOWN finding of one interface (no error rate yet) is no failure to check the host.
    unchecked = any(r.rule == "reachable" and r.status == UNKNOWN for r in host.results)
    critical = any(r.status == CRITICAL for r in host.results)
    return Result(host=task.host, result=host.as_dict(), changed=False,
                  failed=critical or unchecked or bool(host.error),
                  exception=None)


def _change_result(task: Task, run: ops.ChangeRun) -> Result:
    found = run.results[0]
    changed = found.outcome == CHANGED
    failed = found.outcome not in (CHANGED, UNCHANGED, SKIPPED)   # skipped: marked down
    return Result(host=task.host, result=found.as_dict() | {"change_id": run.change_id},
                  changed=changed, failed=failed, diff="\n".join(found.commands))
