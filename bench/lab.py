"""Benchmark the device lab: netmiko vs a raw asyncssh client (the SSH floor) on the same lab.

    python bench/lab.py [--devices 40] [--rounds 20] [--concurrency 40]

Prints, for both clients: median connect time, median per-command latency, and sessions per
second (connect + `terminal length 0` + `show version` + close, run concurrently), then the
netmiko/asyncssh ratios. Both are measured in the same run against the same lab process, so the
ratio holds on any machine; absolute numbers depend on it. Nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncssh
from netmiko import ConnectHandler

from oamkit.lab.server import Lab


class ExternalLab:
    """The lab in its own process (`python -m oamkit.lab`), as `oamkit lab up` runs it, so the
    clients measured here do not share a GIL with the server."""

    def __init__(self, devices: int) -> None:
        self.dir = Path(tempfile.mkdtemp())
        env = dict(os.environ, OAMKIT_LAB_TOKEN=os.urandom(8).hex())
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oamkit.lab", "--devices", str(devices), "--platforms", "cisco_ios",
             "--inventory-out", str(self.dir / "inv"), "--state-dir", str(self.dir / "state")],
            env=env, stdout=subprocess.DEVNULL)
        state = self.dir / "state" / "lab.json"
        while not state.exists():
            if self.proc.poll() is not None or time.perf_counter() - t0 > 30:
                raise RuntimeError("lab did not start")
            time.sleep(0.01)
        self.ready_ms = (time.perf_counter() - t0) * 1000
        desc = json.loads(state.read_text())
        self.ports = {d["name"]: d["port"] for d in desc["devices"]}
        self.devices = self.ports
        self.username = "admin"
        self.password = (self.dir / "inv" / ".lab-password").read_text().strip()
        self.known_hosts = self.dir / "inv" / "known_hosts"

    def netmiko_params(self, name: str, known_hosts: Path) -> dict:
        return dict(device_type="cisco_ios", host="127.0.0.1", port=self.ports[name], username=self.username,
                    password=self.password, ssh_strict=True, system_host_keys=False, alt_host_keys=True,
                    alt_key_file=str(known_hosts))

    def write_known_hosts(self, path: Path) -> None:
        path.write_text(self.known_hosts.read_text())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def netmiko_session(lab: Lab, name: str, known_hosts: Path, commands: int) -> tuple[float, list[float]]:
    t0 = time.perf_counter()
    conn = ConnectHandler(**lab.netmiko_params(name, known_hosts))
    connect = time.perf_counter() - t0
    lat = []
    for _ in range(commands):
        t1 = time.perf_counter()
        conn.send_command("show version")
        lat.append(time.perf_counter() - t1)
    conn.disconnect()
    return connect, lat


async def raw_session(lab: Lab, name: str, known_hosts: Path, commands: int) -> tuple[float, list[float]]:
    """What an SSH client must do at least: connect, authenticate, open a shell, send a line and
    read until the prompt comes back."""
    prompt = f"{name}#"
    t0 = time.perf_counter()
    async with asyncssh.connect("127.0.0.1", lab.ports[name], username=lab.username,
                                password=lab.password, known_hosts=str(known_hosts)) as conn:
        proc = await conn.create_process(term_type="vt100")

        async def until_prompt() -> str:
            buf = ""
            while not buf.rstrip().endswith(prompt):
                chunk = await asyncio.wait_for(proc.stdout.read(65536), 10)
                if not chunk:
                    raise ConnectionError("session closed")
                buf += chunk
            return buf

        await until_prompt()
        proc.stdin.write("terminal length 0\n")
        await until_prompt()
        connect = time.perf_counter() - t0
        lat = []
        for _ in range(commands):
            t1 = time.perf_counter()
            proc.stdin.write("show version\n")
            await until_prompt()
            lat.append(time.perf_counter() - t1)
        proc.stdin.write("exit\n")
        proc.close()
    return connect, lat


def run_netmiko(lab: Lab, names: list[str], kh: Path, commands: int, concurrency: int) -> dict:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda n: netmiko_session(lab, n, kh, commands), names))
    wall = time.perf_counter() - t0
    return summarise(results, wall)


def run_raw(lab: Lab, names: list[str], kh: Path, commands: int, concurrency: int) -> dict:
    async def main() -> tuple[list, float]:
        sem = asyncio.Semaphore(concurrency)

        async def one(n: str):
            async with sem:
                return await raw_session(lab, n, kh, commands)
        t0 = time.perf_counter()
        res = await asyncio.gather(*(one(n) for n in names))
        return res, time.perf_counter() - t0
    results, wall = asyncio.run(main())
    return summarise(results, wall)


def summarise(results: list[tuple[float, list[float]]], wall: float) -> dict:
    connects = [c for c, _ in results]
    lats = [x for _, l in results for x in l]
    return {"sessions": len(results), "connect_ms": statistics.median(connects) * 1000,
            "command_ms": statistics.median(lats) * 1000 if lats else 0.0,
            "sessions_per_s": len(results) / wall, "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5, help="commands per session for latency")
    ap.add_argument("--concurrency", type=int, default=40)
    ap.add_argument("--in-process", action="store_true",
                    help="run the lab in this process (a thread) instead of its own process")
    args = ap.parse_args()

    t0 = time.perf_counter()
    if args.in_process:
        lab = Lab(args.devices, platforms=("cisco_ios",)).start()
        start_ms = (time.perf_counter() - t0) * 1000
        where = "in-process thread"
    else:
        lab = ExternalLab(args.devices)
        start_ms = lab.ready_ms
        where = "own process, python start-up and imports included"
    try:
        kh = Path(tempfile.mkdtemp()) / "known_hosts"
        lab.write_known_hosts(kh)
        names = list(lab.devices)
        # warm-up: imports, first handshakes
        netmiko_session(lab, names[0], kh, 1)
        asyncio.run(raw_session(lab, names[0], kh, 1))
        # latency: sequential sessions on a quiet lab
        seq = names[: min(10, len(names))]
        nm_seq = run_netmiko(lab, seq, kh, args.rounds, 1)
        raw_seq = run_raw(lab, seq, kh, args.rounds, 1)
        # throughput: every device at once
        nm_par = run_netmiko(lab, names, kh, 1, args.concurrency)
        raw_par = run_raw(lab, names, kh, 1, args.concurrency)
    finally:
        lab.stop()

    print(f"lab start: {args.devices} devices ready in {start_ms:.0f} ms ({where})")
    print(f"{'':<28}{'netmiko':>12}{'asyncssh':>12}{'ratio':>10}")
    rows = [("connect (median, ms)", nm_seq["connect_ms"], raw_seq["connect_ms"]),
            ("show version (median, ms)", nm_seq["command_ms"], raw_seq["command_ms"]),
            (f"sessions/s ({args.concurrency} conc.)", nm_par["sessions_per_s"], raw_par["sessions_per_s"])]
    for label, nm, raw in rows:
        print(f"{label:<28}{nm:>12.1f}{raw:>12.1f}{nm / raw if raw else float('nan'):>9.2f}x")


if __name__ == "__main__":
    main()
