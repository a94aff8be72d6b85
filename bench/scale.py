"""Benchmark the fleet at scale: `oamkit check` over 200 and 2,000 emulated devices (default),
or `collect` over 1,000+ devices on threads vs Dask distributed (--mode dask).

    python bench/scale.py [--sizes 200,2000] [--labs 4] [--workers 40] [--driver asyncssh]
    python bench/scale.py --mode dask [--devices 1000] [--labs 4] [--workers 40]
                          [--dask-processes 2] [--scheduler tcp://HOST:PORT] [--driver netmiko|asyncssh]

The devices are spread over several lab processes (`python -m oamkit.lab`, each its own
asyncio loop and state dir, all four platforms), merged into one inventory.

check (default): for each size, one inventory of that many devices drawn evenly from every
lab; `oamkit collect` first (untimed: it gives check earlier samples for its error rates),
then the real `oamkit check --format json` CLI as a subprocess (start-up, inventory, reads,
judging, history writes and the report are all timed). Prints, per size, wall time,
devices/s and the check process's own peak RSS (wait4 rusage), then time(largest) /
time(smallest) against the linear goal (10x the devices <= 11x the time) and the peak RSS
against 1 GiB, PASS or MISS. Both sizes run against the same labs in the same run.

dask: both sides run the
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
import json
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


def merge_inventories_of(labs: list[LabProcess], folder: Path, password: str,
                         devices: int) -> Path:
    """An inventory of `devices` hosts drawn evenly from every lab (the first of each lab's)."""
    merge_inventories(labs, folder, password)
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    by_lab: dict[str, list[str]] = {}
    for name in hosts:
        by_lab.setdefault(name.split("-", 1)[0], []).append(name)
    chosen: list[str] = []
    while len(chosen) < min(devices, len(hosts)):
        for names in by_lab.values():
            if names and len(chosen) < devices:
                chosen.append(names.pop(0))
    (folder / "hosts.yaml").write_text(yaml.safe_dump({n: hosts[n] for n in chosen}, sort_keys=False))
    return folder


def run_cli(args: list[str], env: dict) -> tuple[float, int, float, str, float]:
    """One `oamkit` command as its own process: (seconds, exit code, peak RSS MiB, stdout,
    CPU seconds it used)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-c", "from oamkit.cli import main; main()", *args],
                                env=env, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        out.seek(0)
        text = out.read().decode(errors="replace")
    if proc.returncode not in (0, 1):
        print(f"  oamkit {args[0]} exited {proc.returncode}: {err[-2000:]}", file=sys.stderr)
    return (seconds, proc.returncode, usage.ru_maxrss / 1024, text,   # ru_maxrss: KiB on Linux
            usage.ru_utime + usage.ru_stime)


def check_mode(args, labs: list[LabProcess], folder: Path, password: str) -> None:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    env = dict(os.environ, OAMKIT_STATE_DIR=str(folder / "state-oamkit"))
    env.pop("OAMKIT_LAB_PASSWORD", None)
    rows = []
    for size in sizes:
        inv = merge_inventories_of(labs, folder / f"inv-{size}", password, size)
        set_ssh_driver(inv, args.driver)
        db = folder / f"history-{size}.sqlite"
        common = ["--inventory", str(inv), "--db", str(db), "--workers", str(args.workers),
                  "--timeout", str(args.timeout)]
        c_s, c_rc, c_rss, _, _ = run_cli(["collect", *common, "--json"], env)
        print(f"{size:5d} devices: collect (untimed warm-up) {c_s:6.1f} s, exit {c_rc}, "
              f"peak RSS {c_rss:.0f} MiB", flush=True)
        s, rc, rss, text, cpu = run_cli(["check", *common, "--format", "json"], env)
        try:
            report = json.loads(text)
            hosts = report.get("hosts", [])
            unread = sum(1 for h in hosts if h.get("error"))
        except ValueError:
            hosts, unread = [], size
        print(f"{size:5d} devices: check {s:6.1f} s, exit {rc}, {len(hosts)} hosts reported, "
              f"{unread} unreadable, peak RSS {rss:.0f} MiB, CPU {cpu:.1f} s", flush=True)
        rows.append((size, s, rss, len(hosts), unread, cpu))
    load = os.getloadavg()
    print()
    print(f"oamkit check over {args.labs} lab processes, ssh driver {args.driver}, "
          f"{args.workers} hosts at once; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'devices':>8} {'seconds':>8} {'devices/s':>10} {'peak RSS MiB':>13} {'unreadable':>11} "
          f"{'oamkit CPU ms/device':>21}")
    for size, s, rss, _, unread, cpu in rows:
        print(f"{size:8d} {s:8.1f} {size / s:10.1f} {rss:13.0f} {unread:11d} {1000 * cpu / size:21.1f}")
    (small, t_small, *_), (big, t_big, *_) = rows[0], rows[-1]
    if big > small:
        allowed = 1.1 * big / small   # 10x the devices <= 11x the time
        ratio = t_big / t_small
        print(f"time({big}) / time({small}) = {ratio:.2f}x  (goal <= {allowed:.1f}x): "
              f"{'PASS' if ratio <= allowed else 'MISS'}")
    peak = max(r[2] for r in rows)
    print(f"peak RSS of oamkit check: {peak:.0f} MiB  (goal <= 1024 MiB): "
          f"{'PASS' if peak <= 1024 else 'MISS'}")
    if any(r[4] for r in rows):
        print("some devices could not be read: the times above include their failures",
              file=sys.stderr)


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
    ap.add_argument("--mode", choices=("check", "dask"), default="check",
                    help="check: `oamkit check` at each of --sizes; dask: collect, threads vs Dask")
    ap.add_argument("--sizes", default="200,2000", help="check: fleet sizes, comma-separated")
    ap.add_argument("--devices", type=int, default=1000, help="dask: devices")
    ap.add_argument("--labs", type=int, default=4, help="lab processes the devices are spread over")
    ap.add_argument("--workers", type=int, default=40, help="hosts read at once (both sides)")
    ap.add_argument("--timeout", type=float, default=600.0, help="deadline per host, seconds")
    ap.add_argument("--dask-processes", type=int, default=2, help="LocalCluster worker processes")
    ap.add_argument("--scheduler", default=None, help="a running Dask scheduler instead")
    ap.add_argument("--driver", choices=("netmiko", "asyncssh"), default=None,
                    help="ssh.driver of every host (asyncssh: in this process, hosts run on its "
                         "event loop; on Dask workers, on threads). Default: asyncssh for "
                         "check, netmiko for dask")
    args = ap.parse_args()
    args.driver = args.driver or ("asyncssh" if args.mode == "check" else "netmiko")
    if args.mode == "check":
        args.devices = max(int(s) for s in args.sizes.split(","))

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
        if args.mode == "check":
            check_mode(args, labs, folder, password)
            return
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
