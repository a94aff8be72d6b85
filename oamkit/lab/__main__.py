"""`python -m oamkit.lab`: run the lab in the foreground with a small import footprint (what
`oamkit lab up --detach` spawns, so the lab is ready well under a second after it starts)."""
from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path


def main() -> None:
    from oamkit.lab.process import run_foreground
    from oamkit.lab.device import PLATFORMS

    ap = argparse.ArgumentParser(prog="python -m oamkit.lab")
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--platforms", default=",".join(PLATFORMS))
    ap.add_argument("--inventory-out", type=Path, required=True)
    ap.add_argument("--base-port", type=int, default=0)
    ap.add_argument("--time-scale", type=float, default=1.0)
    ap.add_argument("--state-dir", type=Path, required=True)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    asyncio.run(run_foreground(a.devices, a.platforms.split(","), a.inventory_out.resolve(), a.base_port,
                            a.time_scale, a.state_dir.resolve(), a.json,
                            os.environ.get("OAMKIT_LAB_TOKEN") or os.urandom(8).hex()))


if __name__ == "__main__":
    main()
