"""Benchmark `oamkit collect` (collect + parse + store) against Nornir + netmiko `use_textfsm=True`.

    python bench/collect.py [--devices 200] [--workers 20] [--rounds 1] [--no-push]
                             [--driver netmiko|asyncssh]

Both sides run in the same process, against the same lab (its own process, `python -m
oamkit.lab`, every platform), with the same show commands per host (`Platform.commands`, the
collect roles), the same number of worker threads, host-key checking on, and both store what
they parsed in SQLite. Differences that stay, on purpose:
  - oamkit parses every command (its own OAM templates); the baseline parses what ntc-templates
    has templates for (`show interfaces` on IOS/IOS-XR) and keeps raw text for the rest, so the
    baseline does less work.
  - oamkit gives every host a deadline; Nornir's runner has none.
Prints devices/second for each and the ratio oamkit/baseline (>1: oamkit is faster). Absolute
numbers depend on the machine; the ratio is measured in one run. Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from oamkit import collect, engine, ops  # noqa: E402
from oamkit.inventory import Inventory  # noqa: E402
from oamkit.lab.server import set_ssh_driver  # noqa: E402
from oamkit.platforms import get_platform  # noqa: E402
from oamkit.render import HostPlan, plan_hosts  # noqa: E402
from oamkit.runner import Rollout, run_fleet  # noqa: E402

PLATFORMS = "cisco_ios,cisco_xr,juniper_junos,huawei_vrp"


class ExternalLab:
    def __init__(self, devices: int, folder: Path) -> None:
        self.dir = folder
        env = dict(os.environ, OAMKIT_LAB_TOKEN=os.urandom(8).hex())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oamkit.lab", "--devices", str(devices), "--platforms", PLATFORMS,
             "--inventory-out", str(folder / "inv"), "--state-dir", str(folder / "state")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        while not (folder / "state" / "lab.json").exists():
            if self.proc.poll() is not None or time.monotonic() - started > 120:
                self.stop()
                raise RuntimeError("lab did not start")
            time.sleep(0.05)
        self.inventory = folder / "inv"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


def run_oamkit(inv: Inventory, plans: list[HostPlan], db: Path, workers: int) -> tuple[float, int]:
    """`ops.collect_fleet`, the code path of `oamkit collect` (selection, reads, parsing,
    batched history writes, background closes), on the inventory already loaded."""
    started = time.perf_counter()
    run = ops.collect_fleet(inv, db=db, workers=workers, timeout=120.0, keep_days=0)
    seconds = time.perf_counter() - started
    failed = [r for r in run.results if r.outcome != collect.OK]
    for r in failed[:5]:
        print(f"  oamkit: {r.host}: {r.error}", file=sys.stderr)
    return seconds, len(run.results) - len(failed)


def run_nornir(inv: Inventory, plans: list[HostPlan], db: Path, workers: int) -> tuple[float, int]:
    import logging

    from nornir import InitNornir
    from nornir.core.exceptions import NornirSubTaskError
    from nornir.core.inventory import ConnectionOptions
    from nornir_netmiko.tasks import netmiko_send_command

    password = inv.password(next(iter(inv.hosts.values())))
    known_hosts = str(inv.path / "known_hosts")
    commands = {p.host.name: sorted(set(collect.commands_for(p).values())) for p in plans}
    parse_failures: list[tuple[str, str, str]] = []

    def task(t):
        rows = []
        for command in commands[t.host.name]:
            try:
                out = t.run(task=netmiko_send_command, command_string=command, use_textfsm=True)
                rows.append((command, out.result))
            except NornirSubTaskError as exc:
                # ntc-templates raises on some of these outputs (Junos `show interfaces
                # extensive`, VRP `display interface`): count it, keep going like oamkit does
                parse_failures.append((t.host.name, command, str(exc.result.exception)[-120:]))
                rows.append((command, None))
        return rows

    logging.getLogger("nornir").setLevel(logging.CRITICAL)   # its per-failure tracebacks
    started = time.perf_counter()
    nr = InitNornir(runner={"plugin": "threaded", "options": {"num_workers": workers}},
                    inventory={"plugin": "SimpleInventory",
                               "options": {"host_file": str(inv.path / "hosts.yaml"),
                                           "group_file": str(inv.path / "groups.yaml"),
                                           "defaults_file": str(inv.path / "defaults.yaml")}},
                    logging={"enabled": False})
    nr.inventory.defaults.password = password
    for host in nr.inventory.hosts.values():
        platform = get_platform(inv.hosts[host.name].platform)
        host.connection_options["netmiko"] = ConnectionOptions(
            platform=platform.netmiko_device_type,
            extras={"ssh_strict": True, "system_host_keys": False, "alt_host_keys": True,
                    "alt_key_file": known_hosts, "fast_cli": True})
    result = nr.run(task=task)
    ran = time.perf_counter()
    con = sqlite3.connect(str(db))
    con.execute("CREATE TABLE IF NOT EXISTS results (host TEXT, ts REAL, command TEXT, data TEXT)")
    ok = 0
    with con:
        for host, multi in result.items():
            if multi[0].exception is not None:
                print(f"  nornir: {host}: {str(multi[0].exception)[-300:]}", file=sys.stderr)
                continue
            ok += 1
            con.executemany("INSERT INTO results VALUES (?,?,?,?)",
                            [(host, time.time(), cmd, json.dumps(data, default=str))
                             for cmd, data in multi[0].result])
    con.close()
    stored = time.perf_counter()
    nr.close_connections(on_good=True, on_failed=True)   # failed hosts too (its default skips them)
    closed = time.perf_counter()
    seconds = closed - started
    print(f"  nornir: run {ran - started:.2f} s, store {stored - ran:.2f} s, close "
          f"{closed - stored:.2f} s", file=sys.stderr)
    if parse_failures:
        kinds = sorted({(cmd, why) for _, cmd, why in parse_failures})
        print(f"  nornir: {len(parse_failures)} command output(s) ntc-templates could not parse, "
              f"e.g. {kinds[0][0]!r}: {kinds[0][1]}", file=sys.stderr)
    return seconds, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--workers", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds of each side")
    ap.add_argument("--no-push", action="store_true",
                    help="skip configuring OAM first (OAM show output then holds no sessions)")
    ap.add_argument("--driver", choices=("netmiko", "asyncssh"), default="netmiko",
                    help="oamkit's ssh.driver (the baseline is netmiko either way)")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="oamkit-bench-"))
    os.environ["OAMKIT_STATE_DIR"] = str(folder / "state-oamkit")
    print(f"starting a lab of {args.devices} devices ({PLATFORMS}) ...", flush=True)
    lab = ExternalLab(args.devices, folder)
    try:
        set_ssh_driver(lab.inventory, args.driver)
        inv = Inventory.load(lab.inventory)
        plans = plan_hosts(inv, list(inv.hosts.values()))
        if not args.no_push:
            t0 = time.perf_counter()
            pushed, _ = run_fleet(plans, lambda p, d: engine.push_host(inv, p, d, "bench"),
                                  Rollout(args.workers, 180.0))
            bad = [r.host for r in pushed if r.outcome not in (engine.CHANGED, engine.UNCHANGED)]
            print(f"configured OAM on {len(plans) - len(bad)}/{len(plans)} devices in "
                  f"{time.perf_counter() - t0:.1f} s" + (f" (failed: {bad[:5]})" if bad else ""))
        rows = []
        for round_no in range(args.rounds):
            ours = run_oamkit(inv, plans, folder / f"oamkit-{round_no}.sqlite", args.workers)
            theirs = run_nornir(inv, plans, folder / f"nornir-{round_no}.sqlite", args.workers)
            rows.append((ours, theirs))
            print(f"round {round_no + 1}: oamkit {ours[1]} ok in {ours[0]:.2f} s; "
                  f"nornir+netmiko(textfsm) {theirs[1]} ok in {theirs[0]:.2f} s", flush=True)
        ours_s = min(r[0][0] for r in rows)
        theirs_s = min(r[1][0] for r in rows)
        n = len(plans)
        commands = sum(len(set(collect.commands_for(p).values())) for p in plans)
        print()
        load = os.getloadavg()
        print(f"devices: {n}, show commands per run: {commands}, workers: {args.workers}, "
              f"oamkit ssh driver: {args.driver}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"oamkit collect (parse all + SQLite):        {n / ours_s:8.1f} devices/s  ({ours_s:.2f} s)")
        print(f"nornir + netmiko use_textfsm (+ SQLite):    {n / theirs_s:8.1f} devices/s  ({theirs_s:.2f} s)")
        print(f"ratio oamkit / baseline (devices/s):        {theirs_s / ours_s:8.2f}x")
        met = theirs_s / ours_s >= 6.0
        print(f"goals (issue #20):\n  {'PASS' if met else 'MISS'}  collect, {n} mixed devices, "
              f"ssh.driver {args.driver}, vs nornir + netmiko use_textfsm: {theirs_s / ours_s:.2f}x "
              f"the rate (best rounds; goal >= 6x)")
    finally:
        lab.stop()


if __name__ == "__main__":
    main()
