"""Benchmark `oamkit render` of a large fleet against a floor measured in the same run.

    python bench/render.py [--hosts 10000] [--rounds 3] [--keep DIR]

Generates an inventory in a temporary folder: HOSTS hosts spread over the four platforms
(Cisco IOS, IOS-XR, Junos, Huawei VRP), two interfaces each, one policy for all of them and an
interface override on every tenth host of each platform. Then, interleaved, ROUNDS times each:

  oamkit  `oamkit render -i INV --out DIR` in a fresh process (what a user runs)
  floor   a script doing the least any renderer must: load the same YAML files with
          yaml.CSafeLoader, render one Jinja template per host, write one file per host

Prints each side's median and the ratio oamkit/floor against the goal (issue #20: <= 1.5x),
PASS or MISS, and the load average. Nothing here asserts a time; timings on a shared machine
are noisy, so compare ratios, not seconds.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from timing import timed  # bench/timing.py (this folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.5

PLATFORMS = {   # platform -> its two interfaces
    "cisco_ios": ("GigabitEthernet0/1", "GigabitEthernet0/2"),
    "cisco_xr": ("GigabitEthernet0/0/0/0", "TenGigE0/0/0/1"),
    "juniper_junos": ("ge-0/0/0", "xe-0/0/1"),
    "huawei_vrp": ("GigabitEthernet0/0/1", "XGigabitEthernet0/0/2"),
}

POLICY = """\
fleet-standard:
  description: one policy for every platform
  on_unsupported: skip         # Junos fixes event windows: left out there, and said so
  mode: active
  pdu_interval: 1s
  link_timeout: 5s
  link_monitor:
    frame: {window: 1s, low: 1}
    frame_seconds: {window: 60s, low: 1}
    frame_period: {low: 1}
    symbol_period: {low: 1}
"""


def write_inventory(folder: Path, hosts: int) -> None:
    (folder / "policies").mkdir(parents=True)
    (folder / "policies" / "fleet.yaml").write_text(POLICY)
    (folder / "defaults.yaml").write_text(
        "username: netops\ndata:\n  credentials:\n    password_env: OAMKIT_PASSWORD\n"
        "  oam:\n    policy: fleet-standard\n")
    (folder / "groups.yaml").write_text("".join(
        f"{p}:\n  platform: {p}\n  data:\n    site: site-{p}\n" for p in PLATFORMS))
    lines = []
    names = list(PLATFORMS)
    for n in range(hosts):
        platform = names[n % len(names)]
        first, second = PLATFORMS[platform]
        lines += [f"r{n:05d}-{platform}:", f"  hostname: 10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                  f"  groups: [{platform}]", "  data:", "    oam:", "      interfaces:",
                  f"        {first}: {{}}"]
        if n // len(names) % 10 == 0:   # every tenth host of each platform
            lines += [f"        {second}:", "          description: uplink",
                      "          overrides:", "            link_monitor:",
                      "              frame: {low: 5}"]
        else:
            lines.append(f"        {second}: {{}}")
    (folder / "hosts.yaml").write_text("\n".join(lines) + "\n")


FLOOR = r'''
import sys
from pathlib import Path

import jinja2
import yaml

inventory, out = Path(sys.argv[1]), Path(sys.argv[2])
load = lambda f: yaml.load(f.read_text(), Loader=yaml.CSafeLoader)
hosts, groups, defaults = (load(inventory / f"{n}.yaml") for n in ("hosts", "groups", "defaults"))
policies = {}
for f in sorted((inventory / "policies").glob("*.yaml")):
    policies.update(load(f))
env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
template = env.from_string(
    "{% for name, itf in interfaces.items() %}interface {{ name }}\n"
    " oam mode {{ policy.mode }} pdu {{ policy.pdu_interval }} timeout {{ policy.link_timeout }}\n"
    "{% for event, v in policy.link_monitor.items() %}"
    " monitor {{ event }} window {{ v.window | default('-') }} low {{ v.low }}\n"
    "{% endfor %}{% endfor %}")
out.mkdir(parents=True, exist_ok=True)
for name, host in hosts.items():
    group = groups[host["groups"][0]]
    policy = policies[defaults["data"]["oam"]["policy"]]
    text = template.render(platform=group["platform"], interfaces=host["data"]["oam"]["interfaces"],
                           policy=policy)
    (out / f"{name}.cfg").write_text(text)
print(len(hosts))
'''


def timed_render(cmd: list[str], out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `cmd`, into an empty `out`."""
    shutil.rmtree(out, ignore_errors=True)
    return timed(cmd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate the inventory here and keep it")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oamkit-bench-render-"))
    try:
        inventory = args.keep or work / "inv"
        if not (inventory / "hosts.yaml").is_file():
            write_inventory(inventory, args.hosts)
        floor_script = work / "floor.py"
        floor_script.write_text(FLOOR)
        oamkit = [sys.executable, "-m", "oamkit.cli", "render", "-i", str(inventory), "--out", str(work / "out")]
        floor = [sys.executable, str(floor_script), str(inventory), str(work / "out")]
        times: dict[str, list[float]] = {"oamkit": [], "floor": []}
        cpus: dict[str, list[float]] = {"oamkit": [], "floor": []}
        ratios, cpu_ratios = [], []
        for round_no in range(args.rounds):
            pair = [("floor", floor), ("oamkit", oamkit)]
            if round_no % 2:   # alternate which side runs first
                pair.reverse()
            measured = {side: timed_render(cmd, work / "out") for side, cmd in pair}
            for side, (seconds, cpu) in measured.items():
                times[side].append(seconds)
                cpus[side].append(cpu)
            ratios.append(measured["oamkit"][0] / measured["floor"][0])
            cpu_ratios.append(measured["oamkit"][1] / measured["floor"][1])
            print(f"round {round_no + 1}: oamkit {measured['oamkit'][0]:.2f} s "
                  f"(cpu {measured['oamkit'][1]:.2f} s), floor {measured['floor'][0]:.2f} s "
                  f"(cpu {measured['floor'][1]:.2f} s), ratio {ratios[-1]:.2f}x "
                  f"(cpu {cpu_ratios[-1]:.2f}x)", flush=True)
        files = len(list((work / "out").iterdir())) if (work / "out").is_dir() else 0
        oamkit_s, floor_s = statistics.median(times["oamkit"]), statistics.median(times["floor"])
        ratio, cpu_ratio = statistics.median(ratios), statistics.median(cpu_ratios)
        print(f"render {args.hosts} hosts x 2 interfaces ({files} files): oamkit median "
              f"{oamkit_s:.2f} s (cpu {statistics.median(cpus['oamkit']):.2f} s), floor median "
              f"{floor_s:.2f} s (cpu {statistics.median(cpus['floor']):.2f} s)")
        print(f"render ratio (median of paired rounds) {ratio:.2f}x the floor "
              f"(goal <= {GOAL}x): {'PASS' if ratio <= GOAL else 'MISS'}")
        print(f"render CPU-time ratio (median of paired rounds; less sensitive to load) "
              f"{cpu_ratio:.2f}x (goal <= {GOAL}x): {'PASS' if cpu_ratio <= GOAL else 'MISS'}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
