"""Hosts on `ssh.driver: asyncssh` run oamkit's actions as greenlets on the asyncssh loop; other
hosts (netmiko, NETCONF) and users' own actions keep a worker thread. Against the lab."""
from __future__ import annotations

import threading
import time

import pytest
import yaml

from oamkit import backups, engine
from oamkit.executors import HostClock, HostJob, ThreadExecutor, runs_on_loop
from oamkit.inventory import Inventory
from oamkit.lab.server import set_ssh_driver
from oamkit.render import plan_hosts
from oamkit.runner import Rollout, run_fleet


def _mixed_inventory(lab_inventory):
    """ios-1 and vrp-1 on asyncssh, junos-1 on netmiko, xr-1 over NETCONF."""
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    for name in ("ios-1", "vrp-1"):
        hosts[name]["data"].setdefault("ssh", {})["driver"] = "asyncssh"
    hosts["xr-1"]["data"]["transport"] = "netconf"
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    return Inventory.load(lab_inventory)


def test_each_host_runs_where_its_transport_allows(lab, lab_inventory, monkeypatch, tmp_path):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    inv = _mixed_inventory(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    ran_on: dict[str, str] = {}

    def spy(real):
        def push(inventory, plan, *args, **kwargs):
            ran_on[plan.host.name] = threading.current_thread().name
            return real(inventory, plan, *args, **kwargs)
        return push

    monkeypatch.setattr(engine, "push_host", spy(engine.push_host))   # every transport's way in
    synced_on: list[str] = []   # a backup's fsync must not hold up the loop's other hosts
    real_record = backups.record_many   # per host on threads, in batches from the loop
    monkeypatch.setattr(backups, "record_many", lambda folder, entries: synced_on.extend(
        [threading.current_thread().name] * len(entries)) or real_record(folder, entries))
    job = HostJob.make("push", inv, change_id=engine.new_change_id(), confirm_timeout=600)
    assert [runs_on_loop(job, p) for p in plans] == [p.host.name in ("ios-1", "vrp-1") for p in plans]
    results, stopped = run_fleet(plans, job, Rollout(workers=4, timeout=60))
    assert stopped is None and {r.outcome for r in results} == {"changed"}, results
    assert ran_on["ios-1"] == ran_on["vrp-1"] == "oamkit-asyncssh"
    assert ran_on["junos-1"].startswith("oamkit-host") and ran_on["xr-1"].startswith("oamkit-host")
    assert len(synced_on) == 4 and "oamkit-asyncssh" not in synced_on, synced_on
    # a user's own action may block anywhere: it keeps a thread even on an asyncssh host
    own = HostJob.make("oamkit.executors:_collect", inv)
    assert not any(runs_on_loop(own, p) for p in plans)
    assert not runs_on_loop(lambda plan, deadline: None, plans[0])


def test_on_the_loop_a_hung_device_holds_up_no_other_host(lab, lab_inventory, monkeypatch, tmp_path):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))
    set_ssh_driver(lab_inventory, "asyncssh")
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select())
    lab.set_faults("ios-1", hang=True)
    done_at: dict[str, float] = {}
    started = time.monotonic()
    results, _ = run_fleet(plans, HostJob.make("diff", inv), Rollout(workers=4, timeout=4),
                           on_done=lambda r: done_at.setdefault(r.host, time.monotonic() - started))
    outcome = {r.host: r for r in results}
    assert outcome["ios-1"].outcome == "error" and "deadline" in outcome["ios-1"].error
    for name in ("xr-1", "junos-1", "vrp-1"):
        assert outcome[name].outcome == "changed", outcome[name]
        assert done_at[name] < done_at["ios-1"], done_at   # finished first: none waited for it


def test_a_host_not_yet_started_on_the_loop_can_be_cancelled_a_started_one_cannot(lab, lab_inventory,
                                                                                monkeypatch):
    monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
    set_ssh_driver(lab_inventory, "asyncssh")
    inv = Inventory.load(lab_inventory)
    plans = plan_hosts(inv, inv.select(limit=["ios-1", "vrp-1"]))
    lab.set_faults("ios-1", command_delay=0.5)
    executor = ThreadExecutor(workers=1)   # one at a time: the second host waits for a slot
    try:
        job = HostJob.make("diff", inv)
        first = executor.submit(job, plans[0], HostClock(30))
        second = executor.submit(job, plans[1], HostClock(30))
        deadline = time.monotonic() + 10
        while not first.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not first.cancel() and second.cancel()
        assert first.result(30).outcome == "changed" and second.cancelled()
    finally:
        executor.close()


OPEN_FILES = """
import resource
from oamkit.executors import ThreadExecutor
before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
ThreadExecutor(workers=300).close()
print(before, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


def test_a_thread_executor_raises_the_open_files_soft_limit_for_its_hosts():
    """A soft limit of 256 open files (a distribution default is 1024) and 300 hosts at once:
    the executor raises the soft limit (up to the hard one) before any host opens a socket."""
    import resource
    import subprocess
    import sys

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2000:
        pytest.skip(f"hard limit of open files here is {hard}")

    def low_soft_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

    out = subprocess.run([sys.executable, "-c", OPEN_FILES], preexec_fn=low_soft_limit,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    before, after = map(int, out.stdout.split())
    assert before == 256 and after >= 300 * 4
