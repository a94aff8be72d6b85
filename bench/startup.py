"""Benchmark `oamkit` start-up against the libraries it cannot start without, in the same run.

    python bench/startup.py [--rounds 15]

A Nagios/Icinga check runs `oamkit check` per host every minute: start-up is paid thousands of
times a day. Each round runs, in fresh processes and in a shuffled order:

  baseline       python -c "import typer, yaml, jinja2, pydantic"
  --version      oamkit --version
  check --help   oamkit check --help
  render 1 host  oamkit render of a one-host inventory (load, validate, render, print a table)
  python         python -c pass (for scale)

Prints each median and its ratio to the baseline's median; `--version` against the goal of
issue #20 (<= 1.5x the baseline), PASS or MISS; and the load average. Nothing here asserts a
time; on a shared machine compare ratios, not seconds.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from timing import timed  # bench/timing.py (this folder is on sys.path)

GOALS = {"--version": 1.5}   # issue #20; the other rows are reported, not judged

HOST = """\
r1:
  hostname: 192.0.2.1
  platform: cisco_ios
  data:
    oam:
      policy: standard
      interfaces:
        GigabitEthernet0/1: {}
        GigabitEthernet0/2: {}
"""
POLICY = """\
standard:
  mode: active
  pdu_interval: 1s
  link_timeout: 5s
  link_monitor:
    frame: {window: 1s, low: 1}
"""



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oamkit-bench-startup-"))
    try:
        inventory = work / "inv"
        (inventory / "policies").mkdir(parents=True)
        (inventory / "hosts.yaml").write_text(HOST)
        (inventory / "policies" / "standard.yaml").write_text(POLICY)
        oamkit = [sys.executable, "-m", "oamkit.cli"]
        commands = {
            "baseline": [sys.executable, "-c", "import typer, yaml, jinja2, pydantic"],
            "--version": [*oamkit, "--version"],
            "check --help": [*oamkit, "check", "--help"],
            "render 1 host": [*oamkit, "render", "-i", str(inventory)],
            "python": [sys.executable, "-c", "pass"],
        }
        for cmd in commands.values():   # warm the file cache and the .pyc files once
            timed(cmd)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            order = list(commands)
            random.shuffle(order)
            for name in order:
                wall, cpu = timed(commands[name])
                times[name].append(wall)
                cpus[name].append(cpu)
        medians = {name: statistics.median(values) for name, values in times.items()}
        cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
        base, cpu_base = medians["baseline"], cpu_medians["baseline"]
        print(f"start-up, median of {args.rounds} rounds (fresh processes, shuffled order); "
              "wall time, then CPU time (less sensitive to load):")
        for name, median in medians.items():
            ratio, cpu_ratio = median / base, cpu_medians[name] / cpu_base
            line = (f"  {name:14s} {median * 1000:6.0f} ms {ratio:5.2f}x the baseline | "
                    f"cpu {cpu_medians[name] * 1000:5.0f} ms {cpu_ratio:5.2f}x")
            if name in GOALS:
                goal = GOALS[name]
                line += (f"  (goal <= {goal}x: wall {'PASS' if ratio <= goal else 'MISS'}, "
                         f"cpu {'PASS' if cpu_ratio <= goal else 'MISS'})")
            print(line)
        print(f"baseline: python -c \"import typer, yaml, jinja2, pydantic\"; "
              f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
