"""Benchmark scale-out: `collect` over 1,000+ emulated devices, threads vs Dask distributed.

    python bench/scale.py [--devices 1000] [--labs 4] [--workers 40] [--dask-processes 2]
                          [--scheduler tcp://HOST:PORT] [--driver netmiko|asyncssh]

The devices are spread over several lab processes (`python -m oamkit.lab`, each its own
asyncio loop and state dir, all four platforms), merged into one inventory. Both sides run the
same per-host job (`HostJob("collect")`: open SSH, run the platform's show commands, parse,
close) through the same `run_fleet` with the same deadline and number of hosts at once, and
both store every snapshot in SQLite here:

  threads  today's runner: a thread pool in this process
  dask     Dask distributed: an embedded LocalCluster of worker processes (or --scheduler),
           the inventory re-loaded on each worker; cluster start-up is timed apart

Prints devices/second for both and the ratio dask/threads (>1: Dask is faster). On a small
machine the labs, the clients and the workers share the same cores, so the ratio says how much
the GIL of one client process costs here, not what a real cluster of machines would do.
Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oamkit import collect  # noqa: E402
from oamkit.executors import DaskExecutor, HostJob  # noqa: E402
from oamkit.history import History  # noqa: E402
from oamkit.inventory import Inventory  # noqa: E402
from oamkit.lab.server import set_ssh_driver  # noqa: E402
from oamkit.platforms import get_platform  # noqa: E402
from oamkit.render import HostPlan  # noqa: E402
from oamkit.runner import Rollout, run_fleet  # noqa: E402

PLATFORMS = "cisco_ios,cisco_xr,juniper_junos,huawei_vrp"


class LabProcess:
    """One `python -m oamkit.lab` with its own state dir (how `oamkit lab up` runs it)."""

    def __init__(self, devices: int, folder: Path, password: str) -> None:
        self.dir = folder
        env = dict(os.environ, OAMKIT_LAB_PASSWORD=password, OAMKIT_LAB_TOKEN=secrets.token_hex(8))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oamkit.lab", "--devices", str(devices), "--platforms", PLATFORMS,
             "--inventory-out", str(folder / "inv"), "--state-dir", str(folder / "state")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.inventory = folder / "inv"

    def wait_ready(self, timeout: float = 180) -> None:
        started = time.monotonic()
        while not (self.dir / "state" / "lab.json").exists():
            if self.proc.poll() is not None or time.monotonic() - started > timeout:
                raise RuntimeError(f"lab in {self.dir} did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def merge_inventories(labs: list[LabProcess], folder: Path, password: str) -> Path:
    """One inventory over every lab: hosts renamed lab<N>-<name>, known_hosts concatenated."""
    folder.mkdir(parents=True, exist_ok=True)
    hosts, known = {}, []
    for number, lab in enumerate(labs, 1):
        for name, entry in (yaml.safe_load((lab.inventory / "hosts.yaml").read_text()) or {}).items():
            hosts[f"lab{number}-{name}"] = entry
        known.append((lab.inventory / "known_hosts").read_text())
    first = labs[0].inventory
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    shutil.copy(first / "groups.yaml", folder / "groups.yaml")
    shutil.copy(first / "defaults.yaml", folder / "defaults.yaml")
    shutil.copytree(first / "policies", folder / "policies", dirs_exist_ok=True)
    (folder / "known_hosts").write_text("".join(known))
    secret = folder / ".lab-password"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    return folder


def timed_collect(inv: Inventory, plans: list[HostPlan], workers: int, timeout: float, db: Path,
                  executor=None) -> tuple[float, int, list]:
    started = time.perf_counter()
    results, _ = run_fleet(plans, HostJob.make("collect", inv), Rollout(workers, timeout),
                           executor=executor)
    collect.finish_closing()
    with History(db) as history:
        for r in results:
            if isinstance(r, collect.CollectResult):
                history.store(r.snapshot)
    seconds = time.perf_counter() - started
    failed = [r for r in results if getattr(r, "outcome", None) != collect.OK]
    return seconds, len(results) - len(failed), failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--labs", type=int, default=4, help="lab processes the devices are spread over")
    ap.add_argument("--workers", type=int, default=40, help="hosts read at once (both sides)")
    ap.add_argument("--timeout", type=float, default=600.0, help="deadline per host, seconds")
    ap.add_argument("--dask-processes", type=int, default=2, help="LocalCluster worker processes")
    ap.add_argument("--scheduler", default=None, help="a running Dask scheduler instead")
    ap.add_argument("--driver", choices=("netmiko", "asyncssh"), default="netmiko",
                    help="ssh.driver of every host (asyncssh: in this process, hosts run on its "
                         "event loop; on Dask workers, on threads)")
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="oamkit-scale-"))
    os.environ["OAMKIT_STATE_DIR"] = str(folder / "state-oamkit")
    os.environ.pop("OAMKIT_LAB_PASSWORD", None)   # workers read the inventory's password file
    password = secrets.token_urlsafe(12)
    per_lab = [args.devices // args.labs + (i < args.devices % args.labs) for i in range(args.labs)]
    print(f"starting {args.labs} lab processes ({', '.join(map(str, per_lab))} devices, {PLATFORMS}) ...",
          flush=True)
    labs = [LabProcess(n, folder / f"lab{i + 1}", password) for i, n in enumerate(per_lab)]
    executor = None
    try:
        for lab in labs:
            lab.wait_ready()
        merged = merge_inventories(labs, folder / "inv", password)
        set_ssh_driver(merged, args.driver)
        inv = Inventory.load(merged)
        plans = [HostPlan(h, get_platform(h.platform)) for h in inv.select()]
        print(f"{len(plans)} devices in one inventory; {args.workers} hosts at once", flush=True)

        t0 = time.perf_counter()
        executor = DaskExecutor(args.scheduler, workers=args.workers, processes=args.dask_processes)
        startup = time.perf_counter() - t0
        where = args.scheduler or f"LocalCluster, {len(executor.client.scheduler_info()['workers'])} worker processes"
        print(f"dask: {where}, ready in {startup:.1f} s", flush=True)
        # one small warm-up per side (imports, worker inventory cache), not timed
        warm = plans[: min(len(plans), args.workers)]
        timed_collect(inv, warm, args.workers, args.timeout, folder / "warm.sqlite")
        timed_collect(inv, warm, args.workers, args.timeout, folder / "warm.sqlite", executor)

        threads = timed_collect(inv, plans, args.workers, args.timeout, folder / "threads.sqlite")
        print(f"threads: {threads[1]} ok in {threads[0]:.1f} s", flush=True)
        dask = timed_collect(inv, plans, args.workers, args.timeout, folder / "dask.sqlite", executor)
        print(f"dask:    {dask[1]} ok in {dask[0]:.1f} s", flush=True)
        for label, (_, _, failed) in (("threads", threads), ("dask", dask)):
            for r in failed[:3]:
                print(f"  {label}: {r.host}: {getattr(r, 'error', None) or r.outcome}", file=sys.stderr)

        n = len(plans)
        print()
        print(f"devices: {n} over {args.labs} lab processes, hosts at once: {args.workers}, "
              f"collect (show commands + parse + SQLite)")
        print(f"threads (one process):               {n / threads[0]:8.1f} devices/s  ({threads[0]:.1f} s, "
              f"{threads[1]} ok)")
        print(f"dask ({where}): {n / dask[0]:8.1f} devices/s  ({dask[0]:.1f} s, {dask[1]} ok; "
              f"+{startup:.1f} s cluster start)")
        print(f"ratio dask / threads (devices/s):    {threads[0] / dask[0]:8.2f}x")
    finally:
        if executor is not None:
            executor.close()
        for lab in labs:
            lab.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
