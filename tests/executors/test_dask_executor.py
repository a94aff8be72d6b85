"""The Dask executor (LocalCluster, 2 worker processes) against the lab over real SSH: the same
results as the threaded runner, the same deadline reporting for a hung device and for work that
overruns its deadline, progress per host, and `--executor dask` from the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from oamkit import collect, engine
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
    return engine.HostResult(plan.host.name, plan.platform.name, engine.UNCHANGED, detail="late")


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


def _profiler_running(dask_worker) -> bool:
    return "profile" in dask_worker.periodic_callbacks


def test_our_workers_run_without_the_statistical_profiler(dask):
    # its sys._current_frames() every 10 ms froze a worker for good on Python 3.11.7 (CPython
    # gh-106883) in bench/scale.py; nothing of ours needs it
    assert set(dask.client.run(_profiler_running).values()) == {False}
    assert dask.warnings == []


def test_a_second_run_at_the_same_time_starts_its_cluster_without_warnings(dask):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")   # was: UserWarning "Port 8787 is already in use"
        second = DaskExecutor(workers=2, processes=1)
        try:
            assert second.cluster.scheduler.http_server.port != dask.cluster.scheduler.http_server.port
            assert second.client.run(os.getpid)
        finally:
            second.close()


def test_a_cluster_we_did_not_start_is_checked_for_that_hazard():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as theirs:
        executor = DaskExecutor(theirs.scheduler_address)
        try:
            assert set(executor.client.run(_profiler_running).values()) == {True}
            affected = sys.version_info[:2] == (3, 11) and sys.version_info < (3, 11, 9)
            assert [w for w in executor.warnings if "gh-106883" in w] == (
                [f"1 Dask worker(s) ({next(iter(theirs.workers.values())).address}) run Python "
                 f"{'.'.join(map(str, sys.version_info[:3]))} with Dask's statistical profiler on: "
                 "it can freeze a worker for good (CPython gh-106883, fixed in 3.11.9). Start them "
                 "with DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False or a newer Python"]
                if affected else [])
        finally:
            executor.close()


async def _block_the_event_loop(seconds: float) -> None:
    time.sleep(seconds)   # not awaited: the worker's event loop stops here


def test_closing_does_not_wait_for_a_wedged_worker():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=True, dashboard_address=None, silence_logs=50,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as theirs:
        executor = DaskExecutor(theirs.scheduler_address)
        executor.close_timeout = 2.0
        executor.client.run(_block_the_event_loop, 600, wait=False)
        done = threading.Event()
        closer = threading.Thread(target=lambda: (executor.close(), done.set()), daemon=True)
        closer.start()
        # unbounded, close() waited for the frozen worker's answer (until the scheduler's
        # 300 s worker-ttl dropped it)
        assert done.wait(60), "close() is still waiting for the wedged worker"


def broken(inv, plan, deadline):
    raise ValueError(f"no parser for {plan.host.name}")


def test_a_task_that_raises_is_reported_as_threads_report_it(lab_inventory, dask):
    inv = Inventory.load(lab_inventory)
    plans = [HostPlan(h, get_platform(h.platform)) for h in inv.select()]
    (t_results, _), (d_results, _), seen = both(plans, HostJob.make(f"{__name__}:broken", inv),
                                               Rollout(8, 30), dask)
    assert [r.as_dict() for r in d_results] == [r.as_dict() for r in t_results]
    assert d_results[0].outcome == engine.ERROR
    assert d_results[0].error == f"internal error: ValueError: no parser for {plans[0].host.name}"
    assert len(seen) == len(plans)


def test_diff_and_collect_give_the_same_results_as_threads(lab, lab_inventory, dask):
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    (t_results, t_stop), (d_results, d_stop), seen = both(plans, HostJob.make("diff", inv),
                                                         Rollout(8, 60), dask)
    assert t_stop is d_stop is None
    assert [(r.host, r.outcome, r.commands) for r in d_results] == \
        [(r.host, r.outcome, r.commands) for r in t_results]
    assert all(r.outcome == engine.CHANGED and r.commands for r in d_results)
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
    assert stopped is None and {r.outcome for r in results} == {engine.CHANGED}, results
    assert "receive-crc threshold low 3000" in lab.device("ios-1").running.to_text()
    again, _ = run_fleet(plans, HostJob.make("diff", inv), Rollout(8, 60), executor=dask)
    assert {r.outcome for r in again} == {engine.UNCHANGED}


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
    assert distributed["junos-1"].outcome in (engine.NEEDS_ATTENTION, engine.ERROR)
    assert distributed["junos-1"].error
    for name in ("ios-1", "xr-1", "vrp-1"):
        assert distributed[name].outcome == threads[name].outcome == engine.CHANGED
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
    def same(result):   # but how long each ran: the threads' clock is seen here, Dask's is not
        return {k: v for k, v in result.as_dict().items() if k != "seconds"}

    assert [same(r) for r in d_results] == [same(r) for r in t_results]
    assert {r.outcome for r in d_results} == {engine.NEEDS_ATTENTION}
    assert all(r.seconds >= rollout.timeout for r in t_results), t_results
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


# ---------------------------------------------------------------------------- check on Dask
def _oamkit(env, *args, timeout=240):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def _check(env, inventory, db, *extra):
    result = _oamkit(env, "check", "-i", str(inventory), "--json", "--db", str(db), *extra)
    assert result.stdout, result.stderr[-2000:]
    return result.returncode, json.loads(result.stdout)


def _statuses(report) -> dict:
    return {(h["host"], r["interface"], r["rule"]): r["status"]
            for h in report["hosts"] for r in h["results"]}


def _auths(device) -> int:
    """Logins the lab device accepted (the SSH server records each in the transcript)."""
    return sum(1 for e in device.transcript if e.direction == "event" and e.text.startswith("auth "))


@pytest.fixture
def check_env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def _push(env, inventory):
    # --confirm-timeout: the lab's 1/100 timers would make IOS's revert timer 1.2 s
    pushed = _oamkit(env, "push", "-i", str(inventory), "--json", "--confirm-timeout", "3600")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr


def test_cli_check_with_executor_dask_judges_and_stores_here(lab, lab_inventory, check_env, tmp_path):
    import sqlite3

    _push(check_env, lab_inventory)
    lab.set_peer_state("xr-1", "GigabitEthernet0/0/0/1", "down")
    t_code, threads = _check(check_env, lab_inventory, tmp_path / "threads.sqlite")
    db = tmp_path / "dask.sqlite"
    d_code, distributed = _check(check_env, lab_inventory, db, "--executor", "dask", "--workers", "4")
    assert d_code == t_code
    assert [(h["host"], h["status"]) for h in distributed["hosts"]] == \
        [(h["host"], h["status"]) for h in threads["hosts"]]
    assert _statuses(distributed) == _statuses(threads)
    statuses = _statuses(distributed)
    assert statuses[("xr-1", "GigabitEthernet0/0/0/1", "oam_session")] == "CRITICAL"
    assert statuses[("xr-1", "GigabitEthernet0/0/0/0", "oam_session")] == "OK"
    assert statuses[("ios-1", None, "config_drift")] == "OK"
    assert len(distributed["hosts"]) == 4 and all(h["results"] for h in distributed["hosts"])
    assert all(h["error"] is None and h["taken_at"] for h in distributed["hosts"])
    # the workers read, this process stored: a snapshot, its interfaces and the link-event
    # marker for every host, in the --db given (the same rows the threaded run wrote)
    con = sqlite3.connect(db)
    snaps = dict(con.execute("SELECT host, count(*) FROM snapshots WHERE ok=1 GROUP BY host"))
    assert snaps == dict.fromkeys(("ios-1", "xr-1", "junos-1", "vrp-1"), 1)
    rows = {tuple(r) for r in con.execute("SELECT host, interface FROM interfaces")}
    marked = {tuple(r) for r in con.execute("SELECT host, interface FROM last_check")}
    theirs = sqlite3.connect(tmp_path / "threads.sqlite")
    assert rows == {tuple(r) for r in theirs.execute("SELECT host, interface FROM interfaces")}
    assert marked and {h for h, _ in marked} == set(snaps)
    assert marked == {tuple(r) for r in theirs.execute("SELECT host, interface FROM last_check")}

    bad = _oamkit(check_env, "check", "-i", str(lab_inventory), "--db", str(tmp_path / "bad.sqlite"),
                  "--scheduler", "tcp://127.0.0.1:1")
    assert bad.returncode == 2 and "--scheduler needs --executor dask" in bad.stderr
    assert not (tmp_path / "bad.sqlite").exists()


def test_cli_check_with_executor_dask_finds_the_crc_fault_on_that_interface_only(
        lab, lab_inventory, check_env, tmp_path):
    _push(check_env, lab_inventory)
    lab.inject_errors("ios-1", "GigabitEthernet0/1", crc_per_second=200)
    # two checks each (the first stores the sample the second's rate is taken from), more than
    # the rules' 1 s min_interval apart; each executor with its own history
    runs = {"threads": (), "dask": ("--executor", "dask", "--workers", "4")}
    reports: dict = {}
    for round_ in range(2):
        for name, extra in runs.items():
            reports[name] = _check(check_env, lab_inventory, tmp_path / f"{name}.sqlite", *extra)
        time.sleep(1.2)
    for name, (code, report) in reports.items():
        assert code == 1 and report["status"] == "CRITICAL", (name, report)
        bad = {(host, itf) for (host, itf, _), status in _statuses(report).items()
               if status in ("CRITICAL", "WARNING", "UNKNOWN")}
        assert bad == {("ios-1", "GigabitEthernet0/1")}, (name, bad)
        statuses = _statuses(report)
        assert statuses[("ios-1", "GigabitEthernet0/1", "error_rate")] == "CRITICAL", name
        assert statuses[("ios-1", "GigabitEthernet0/2", "error_rate")] == "OK", name
    # the same judgement, rule by rule (new link events depend on when a window closed)
    same = {k: v for k, v in _statuses(reports["dask"][1]).items() if k[2] != "link_events"}
    assert same == {k: v for k, v in _statuses(reports["threads"][1]).items() if k[2] != "link_events"}


def test_cli_check_with_executor_dask_checks_a_host_in_maintenance_without_alerting(
        lab, lab_inventory, check_env, tmp_path, dask):
    import sqlite3

    from distributed import get_task_stream

    added = _oamkit(check_env, "maintenance", "add", "ios-1", "-i", str(lab_inventory), "--until",
                    "2h", "--reason", "optics swap CHG-7")
    assert added.returncode == 0, added.stderr
    before = {n: _auths(d) for n, d in lab.devices.items()}
    db = tmp_path / "h.sqlite"
    with get_task_stream(client=dask.client) as stream:   # this time on a running scheduler
        code, report = _check(check_env, lab_inventory, db, "--executor", "dask",
                              "--scheduler", dask.address)
    prefix = "oamkit-check-read-"   # the task keys: oamkit-ACTION-HOST-RANDOM
    sent = sorted(str(t["key"])[len(prefix):].rsplit("-", 1)[0] for t in stream.data
                  if str(t["key"]).startswith(prefix))
    # Maintenance holds findings, it does not hide them: ios-1 is read on the cluster too
    assert sent == ["ios-1", "junos-1", "vrp-1", "xr-1"], sent
    hosts = {h["host"]: h for h in report["hosts"]}
    assert hosts["ios-1"]["status"] == "MAINTENANCE"
    held = hosts["ios-1"]["results"]
    assert held[0]["rule"] == "maintenance" and "optics swap CHG-7" in held[0]["message"]
    assert len(held) > 1 and {r["status"] for r in held} == {"MAINTENANCE"}, held
    assert any(r.get("held") == "CRITICAL" for r in held), held   # not pushed: real drift, held
    after = {n: _auths(d) for n, d in lab.devices.items()}
    assert all(after[n] > before[n] for n in lab.devices), (before, after)
    assert code == (0 if report["status"] == "OK" else 1)
    hosts_stored = {h for (h,) in sqlite3.connect(db).execute("SELECT host FROM snapshots")}
    assert hosts_stored == {"ios-1", "xr-1", "junos-1", "vrp-1"}


def test_playbook_check_step_on_the_play_executor(lab, lab_inventory, dask, tmp_path, monkeypatch):
    import textwrap

    from oamkit import playbook

    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    db = tmp_path / "play.sqlite"
    file = tmp_path / "play.yaml"
    file.write_text(textwrap.dedent(f"""
        steps:
          - push: {{confirm_timeout: 3600}}
          - check: {{db: "{db}"}}
        """))
    lab.set_peer_state("xr-1", "GigabitEthernet0/0/0/1", "down")
    before = {n: _auths(d) for n, d in lab.devices.items()}
    play = playbook.load(file, {}, lab_inventory)
    from distributed import get_task_stream

    with get_task_stream(client=dask.client) as stream:
        report = playbook.run(play, executor=dask)
    reads = [t["key"] for t in stream.data if str(t["key"]).startswith("oamkit-check-read-")]
    assert len(reads) == 4, [t["key"] for t in stream.data]
    assert report["executor"] == "dask"
    push, step = report["steps"]
    assert push["status"] == "ok", push
    results = {(r["host"], r["interface"], r["rule"]): r["status"] for r in step["result"]["problems"]}
    assert results[("xr-1", "GigabitEthernet0/0/0/1", "oam_session")] == "CRITICAL", step
    assert ("xr-1", "GigabitEthernet0/0/0/0", "oam_session") not in results
    assert all(_auths(d) > before[n] for n, d in lab.devices.items())
    from oamkit.history import History

    with History(db) as history:   # judged and stored by this process
        assert history.last_check("xr-1", "GigabitEthernet0/0/0/1") is not None


def test_a_check_the_runner_gave_up_on_stores_a_failed_snapshot_only_off_threads(tmp_path):
    from types import SimpleNamespace

    from oamkit import checks
    from oamkit.history import History
    from oamkit.ops.reads import settle

    gave_up = engine.HostResult("ios-1", "cisco_ios", engine.NEEDS_ATTENTION,
                                error="no answer within the 4 s deadline",
                                detail="the device may be mid-change; check it by hand")
    crashed = engine.HostResult("xr-1", "cisco_xr", engine.ERROR, error="internal error: KeyError: 'x'")
    for executor, stored in ((None, []), (SimpleNamespace(name="dask"), ["ios-1"])):
        with History(tmp_path / f"{bool(executor)}.sqlite") as history:
            hosts = settle([], [gave_up, crashed], history=history, rules=checks.Rules(),
                                  held={}, executor=executor)
            rows = history.db.execute("SELECT host, ok, error FROM snapshots").fetchall()
        assert [(h.host, h.outcome, h.error) for h in hosts] == [
            ("ios-1", checks.UNKNOWN, "no answer within the 4 s deadline"),
            ("xr-1", checks.UNKNOWN, "internal error: KeyError: 'x'")]
        assert [r[0] for r in rows] == stored
        assert all(r[1] == 0 and r[2] == "no answer within the 4 s deadline" for r in rows)
