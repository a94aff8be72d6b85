"""oamkit inside a team's own Nornir runbook: diff, push and check every host of an oamkit
inventory folder with Nornir's SimpleInventory and its threaded runner.

    python examples/nornir/runbook.py INVENTORY [--platform cisco_xr]

Prints one line per host and task; exit 1 when any host failed (a failed push was rolled back,
or a check found something CRITICAL), else 0.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nornir import InitNornir

from oamkit.nornir import oam_check, oam_diff, oam_push


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory", type=Path)
    parser.add_argument("--platform")
    args = parser.parse_args()
    folder = args.inventory
    nr = InitNornir(runner={"plugin": "threaded", "options": {"num_workers": 10}},
                    inventory={"plugin": "SimpleInventory", "options": {
                        "host_file": str(folder / "hosts.yaml"),
                        "group_file": str(folder / "groups.yaml"),
                        "defaults_file": str(folder / "defaults.yaml")}},
                    logging={"enabled": False})
    if args.platform:
        nr = nr.filter(platform=args.platform)
    failed = False
    for task in (oam_diff, oam_push, oam_check):
        results = nr.run(task=task)
        for host, multi in sorted(results.items()):
            result = multi[0]
            state = "FAILED" if result.failed else "changed" if result.changed else "ok"
            detail = result.exception or (result.result.get("outcome") or result.result.get("status")
                                          if isinstance(result.result, dict) else "")
            print(f"{task.__name__:<10} {host:<10} {state:<8} {detail}")
        failed |= results.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
