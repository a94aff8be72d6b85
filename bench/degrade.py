"""Benchmark the degradation failover prediction: predicted vs measured detection over N runs.

    python bench/degrade.py [--runs 20] [--errored-frames 10%] [--platform cisco_xr] [--sites 2]

Builds the WAN lab with its OAM edge (`oamkit lab wan up --oam`), pushes the `wan-degrade`
policy (1 s Errored Frame window, high threshold 5, error-disable-interface) with `oamkit push`,
then runs the lab's degrade DR plan N times through the CLI (`oamkit drtest`). Per run and site
it prints the predicted detection (oamkit.detection: the crossing + BFD), the measured time from
the first errored frame to traffic on the secondary, the error measured - predicted, and the
range the verdict allows (one window earlier, or any time when random errors reach the
threshold only by chance; later by the prediction's latest detection: the windows' phase and,
with random errors, their spread, oamkit.detection.latest_crossing_s). The
goal: every healthy run inside that range (PASS), and how many would have been outside the old
one-window slack. Needs root and FRR. Prints; asserts nothing (timing goals live here, not in
tests). Not run in CI.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--errored-frames", default="10%")
    ap.add_argument("--platform", default="cisco_xr")
    ap.add_argument("--sites", type=int, default=2)
    ap.add_argument("--prefix", default="bdeg")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oamkit-bench-degrade-"))
    os.chmod(work, 0o755)
    os.environ["OAMKIT_STATE_DIR"] = str(work / "state")
    inv, plan = work / "inventory", work / "plan.yaml"
    errors: list[float] = []
    misses = 0
    outside = outside_one_window = 0
    try:
        p = cli("lab", "wan", "up", "--prefix", a.prefix, "--sites", str(a.sites), "--oam", "--oam-platform",
                a.platform, "--inventory-out", str(inv), "--plan-out", str(plan), "--errored-frames",
                a.errored_frames, "--replace")
        if p.returncode:
            sys.exit(f"lab did not start: {p.stderr[-800:]}")
        p = cli("push", "-i", str(inv))
        if p.returncode:
            sys.exit(f"push failed: {p.stdout[-800:]}{p.stderr[-800:]}")
        print(f"{'run':>3} {'site':<6} {'frames/s':>8} {'predicted':>9} {'measured':>8} {'error':>7} "
              f"{'allowed':>13} verdict")
        for run in range(1, a.runs + 1):
            report = work / f"run{run}"
            p = cli("drtest", str(plan), "-i", str(inv), "--report", str(report))
            try:
                r = json.loads((report / "drtest.json").read_text())
            except (OSError, ValueError):
                print(f"{run:>3} no report (exit {p.returncode}): {p.stderr[-300:]}")
                misses += 1
                continue
            d = r.get("degrade") or {}
            pred = (d.get("prediction") or {})
            window = pred.get("window_s") or 0.0
            for s in r["sites"]:
                g = s.get("degradation") or {}
                predicted, measured = g.get("predicted_s"), g.get("on_secondary_after_s")
                early, late = g.get("slack_s") or window, g.get("late_slack_s") or window
                allowed = f"-{early:.2f}/+{late:.2f}"
                if predicted is None or measured is None:
                    misses += 1
                    print(f"{run:>3} {s['name']:<6} {d.get('frames_per_s') or 0:>8.0f} {'-':>9} {'-':>8} "
                          f"{'-':>7} {allowed:>13} {s['verdict']}")
                    continue
                err = measured - predicted
                errors.append(err)
                outside += not -early <= err <= late
                outside_one_window += abs(err) > window
                print(f"{run:>3} {s['name']:<6} {d.get('frames_per_s') or 0:>8.0f} {predicted:>9.3f} {measured:>8.3f} "
                      f"{err:>+7.3f} {allowed:>13} {s['verdict']}")
    finally:
        cli("lab", "wan", "down", "--prefix", a.prefix)
    if errors:
        print(f"\nerror measured - predicted over {len(errors)} site-runs: mean {statistics.mean(errors):+.3f} s, "
              f"min {min(errors):+.3f} s, max {max(errors):+.3f} s; outside the verdict's range: {outside}; "
              f"outside +- one window (the slack before the range): {outside_one_window}; not measured: {misses}")
    else:
        print(f"\nnothing measured ({misses} misses)")


if __name__ == "__main__":
    main()
