"""The Dask executor (LocalCluster, 2 worker processes) against the lab over real SSH: the same
results as the threaded runner, the same deadline reporting for a hung device and for work that
overruns its deadline, progress per host, and `--executor dask` from the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from oamkit import change, collect
from oamkit.executors import DaskExecutor, HostJob, make_executor
from oamkit.inventory import Inventory
from oamkit.platforms import get_platform
from oamkit.render import HostPlan, plan_hosts
from oamkit.runner import GRACE, Rollout, run_fleet


@pytest.fixture(scope="module")
def dask():
    """One LocalCluster for the module: starting one costs seconds."""
    executor = DaskExecutor(workers=8, processes=2)
    try:
        yield executor
    finally:
        executor.close()


def overrun(inv, plan, deadline, *, seconds: float):
    """A per-host task that ignores its deadline (what a wedged library call looks like)."""
    time.sleep(seconds)
    return change.HostResult(plan.host.name, plan.platform.name, change.UNCHANGED, detail="late")


def both(plans, job, rollout, dask):
    threads = run_fleet(plans, job, rollout)
    seen = []
    distributed = run_fleet(plans, job, rollout, on_done=seen.append, executor=dask)
    return threads, distributed, seen


def test_the_cluster_runs_worker_processes(dask):
    info = dask.client.scheduler_info()
    assert len(info["workers"]) == 2
    pids = set(dask.client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids


def test_diff_and_collect_give_the_same_results_as_threads(lab, lab_inventory, dask):
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    (t_results, t_stop), (d_results, d_stop), seen = both(plans, HostJob.make("diff", inv),
                                                         Rollout(8, 60), dask)
    assert t_stop is d_stop is None
    assert [(r.host, r.outcome, r.commands) for r in d_results] == \
        [(r.host, r.outcome, r.commands) for r in t_results]
    assert all(r.outcome == change.CHANGED and r.commands for r in d_results)
    assert sorted(r.host for r in seen) == sorted(p.host.name for p in plans)   # progress per host

    reads = [HostPlan(h, get_platform(h.platform)) for h in inv.select()]
    (t_snaps, _), (d_snaps, _), _ = both(reads, HostJob.make("collect", inv), Rollout(8, 60), dask)
    assert all(isinstance(r, collect.CollectResult) and r.outcome == collect.OK for r in d_snaps)
    for ours, theirs in zip(t_snaps, d_snaps):
        assert ours.host == theirs.host
        assert sorted(ours.snapshot.interfaces) == sorted(theirs.snapshot.interfaces)
        assert ours.snapshot.role_errors == theirs.snapshot.role_errors == {}


def test_push_on_the_cluster_changes_the_devices_then_nothing_to_do(lab, lab_inventory, dask,
                                                                     tmp_path, monkeypatch):
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    job = HostJob.make("push", inv, change_id="test-dask", confirm_timeout=600)
    results, stopped = run_fleet(plans, job, Rollout(8, 60, canary=1), executor=dask)
    assert stopped is None and {r.outcome for r in results} == {change.CHANGED}, results
    assert "receive-crc threshold low 3000" in lab.device("ios-1").running.to_text()
    again, _ = run_fleet(plans, HostJob.make("diff", inv), Rollout(8, 60), executor=dask)
    assert {r.outcome for r in again} == {change.UNCHANGED}


def test_a_hung_device_is_reported_the_same_way_within_its_deadline(lab, lab_inventory, dask):
    lab.set_faults("junos-1", hang=True)
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    rollout = Rollout(8, 4)
    started = time.monotonic()
    t_results, _ = run_fleet(plans, HostJob.make("diff", inv), rollout)
    t_seconds = time.monotonic() - started
    started = time.monotonic()
    d_results, _ = run_fleet(plans, HostJob.make("diff", inv), rollout, executor=dask)
    d_seconds = time.monotonic() - started
    threads = {r.host: r for r in t_results}
    distributed = {r.host: r for r in d_results}
    # the device never answers a prompt: the host's own deadline (or, past it, the runner's
    # deadline + GRACE net) ends it, for both executors in the same words
    def same(result):
        return {k: v for k, v in result.as_dict().items() if k != "seconds"}

    assert same(distributed["junos-1"]) == same(threads["junos-1"])
    assert distributed["junos-1"].outcome in (change.NEEDS_ATTENTION, change.ERROR)
    assert distributed["junos-1"].error
    for name in ("ios-1", "xr-1", "vrp-1"):
        assert distributed[name].outcome == threads[name].outcome == change.CHANGED
    for seconds in (t_seconds, d_seconds):
        assert rollout.timeout <= seconds < rollout.timeout + GRACE + 5


def test_work_overrunning_its_deadline_is_reported_exactly_as_threads_do(lab, lab_inventory, dask):
    inv = Inventory.load(lab_inventory)
    plans = [HostPlan(h, get_platform(h.platform)) for h in inv.select()]
    job = HostJob.make(f"{__name__}:overrun", inv, seconds=12)
    quick = HostJob.make(f"{__name__}:overrun", inv, seconds=0)
    rollout = Rollout(8, 1)
    started = time.monotonic()
    (t_results, _), (d_results, _), seen = both(plans, job, rollout, dask)
    assert time.monotonic() - started < 2 * (rollout.timeout + GRACE) + 10
    assert [r.as_dict() for r in d_results] == [r.as_dict() for r in t_results]
    assert {r.outcome for r in d_results} == {change.NEEDS_ATTENTION}
    assert d_results[0].error == "no answer within the 1 s deadline"
    assert len(seen) == len(plans)
    # the cluster is not left wedged by the overrunning tasks: the next run gets answers
    results, _ = run_fleet(plans, quick, Rollout(8, 30), executor=dask)
    assert {r.detail for r in results} == {"late"}


def test_cli_diff_and_push_with_executor_dask(lab, lab_inventory, tmp_path):
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"}
    run = subprocess.run([sys.executable, "-m", "oamkit.cli", "push", "-i", str(lab_inventory),
                          "--json", "--executor", "dask", "--workers", "4", "--confirm-timeout", "600",
                          "--canary", "1"], capture_output=True, text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert {h["outcome"] for h in report["hosts"]} == {"changed"}
    bad = subprocess.run([sys.executable, "-m", "oamkit.cli", "diff", "-i", str(lab_inventory),
                          "--scheduler", "tcp://127.0.0.1:1"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert bad.returncode == 2 and "--scheduler needs --executor dask" in bad.stderr


def test_cli_collect_with_executor_dask_stores_here(lab, lab_inventory, tmp_path):
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"}
    db = tmp_path / "history.sqlite"
    run = subprocess.run([sys.executable, "-m", "oamkit.cli", "collect", "-i", str(lab_inventory),
                          "--json", "--executor", "dask", "--workers", "4", "--db", str(db)],
                         capture_output=True, text=True, env=env, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    hosts = {h["host"]: h for h in json.loads(run.stdout)["hosts"]}
    assert {h["outcome"] for h in hosts.values()} == {"ok"} and len(hosts) == 4
    assert all(h["interfaces"] > 0 for h in hosts.values())
    from oamkit.history import History

    with History(db) as history:   # stored by the client process, not on the workers
        assert history.samples("ios-1", "GigabitEthernet0/1", limit=5)


def test_unknown_executor_is_bad_input():
    from oamkit.errors import InputError

    with pytest.raises(InputError, match="unknown executor"):
        make_executor("celery")
