"""oamkit from Python: render, diff, push and check an inventory, as the CLI would.

    python examples/api/push_and_check.py INVENTORY [--filter KEY=VALUE ...]

Exit code: the push's (0 all changed or unchanged, 1 some failed and were rolled back, 3 a host
needs attention), or 2 for bad input (nothing was sent), or 1 when the check finds a problem.
"""
from __future__ import annotations

import argparse
import sys
import time

from oamkit import InputError, Rules, ops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory")
    parser.add_argument("--filter", action="append", default=[])
    args = parser.parse_args()
    try:
        selection = ops.select(args.inventory, args.filter)   # every input checked, nothing sent
    except InputError as exc:
        print(f"invalid input: {exc}", file=sys.stderr)
        return 2

    # error rates need two samples: this one, and the check's own read after the push
    baseline = ops.collect(selection)
    sampled = time.monotonic()

    rendered = ops.render(selection)
    print(f"baseline: {len(baseline.results)} host(s) read into {baseline.db}")
    for host, text in rendered.configs.items():
        print(f"{host}: {len(text.splitlines())} configuration lines")

    diff = ops.diff(selection)
    for result in diff.results:
        print(f"{result.host}: {len(result.commands)} line(s) to send")

    push = ops.push(selection, canary=1)
    print(f"push {push.change_id}: {push.outcomes}" + (f" (stopped: {push.stopped})" if push.stopped else ""))
    if push.exit_code:
        for result in push.results:
            if result.error:
                print(f"  {result.host}: {result.outcome}: {result.error}")
        return push.exit_code

    # two samples closer than the rules' min_interval give no rate (UNKNOWN), not a noisy one
    time.sleep(max(0.0, Rules().error_rate.min_interval - (time.monotonic() - sampled)))
    report = ops.check(selection)
    print(f"check: {report.status} {report.counts()}")
    for finding in report.problems():
        print(f"  {finding.host} {finding.interface or ''} {finding.rule}: {finding.status} {finding.message}")
    return report.exit_code(nagios=False)


if __name__ == "__main__":
    sys.exit(main())
