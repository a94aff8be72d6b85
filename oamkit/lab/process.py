"""The lab as a process: `oamkit lab up` in the foreground, or detached (`python -m
oamkit.lab`), its state file (ports, pid, inventory) and how to tell that the pid in it is
still that lab."""
from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

from oamkit.lab.procs import pid_alive


def state_file(state_dir: Path) -> Path:
    return state_dir / "lab.json"


def proc_start(pid: int) -> str | None:
    """Start time of a process (clock ticks since boot), to tell a recycled pid from ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def is_our_lab(pid: int, state: dict) -> bool:
    """The pid is still the lab process that wrote ``state`` (not a recycled pid)."""
    if not pid_alive(pid):
        return False
    started = proc_start(pid)
    return started is None or started == state.get("proc_start")


async def run_foreground(devices: int, plats: list[str], inventory: Path, base_port: int, time_scale: float,
                      state_dir: Path, as_json: bool, token: str) -> None:
    from oamkit.lab.server import Lab

    fault_file = state_dir / "faults.json"
    try:   # what a device offers over SSH is set when it starts listening, not later
        spec = json.loads(fault_file.read_text())
    except (OSError, ValueError):
        spec = {}
    at_start = {name: {"ssh_algorithms": entry["ssh_algorithms"]} for name, entry in spec.items()
                if isinstance(entry, dict) and entry.get("ssh_algorithms") is not None}
    lab = Lab(devices, platforms=plats, base_port=base_port, time_scale=time_scale, faults=at_start)
    await lab.start_async()
    watcher = asyncio.ensure_future(lab.watch_fault_file(fault_file))
    lab.write_inventory(inventory)
    state_dir.mkdir(parents=True, exist_ok=True)
    desc = lab.describe() | {"token": token, "inventory": str(inventory), "state_dir": str(state_dir),
                             "proc_start": proc_start(os.getpid())}
    tmp = state_file(state_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps(desc, indent=2))
    tmp.replace(state_file(state_dir))
    (state_dir / "lab.pid").write_text(f"{os.getpid()}\n")
    if as_json:
        print(json.dumps(desc, indent=2), flush=True)
    else:
        print(f"oamkit lab: {len(lab.devices)} devices on 127.0.0.1 "
              f"(ports {min(lab.ports.values())}-{max(lab.ports.values())}), inventory {inventory}",
              flush=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(lab.stop_async()))
    try:
        await lab.serve_forever()
    finally:
        watcher.cancel()
        current = read_state(state_dir)
        if current and current.get("token") == token:
            state_file(state_dir).unlink(missing_ok=True)
            (state_dir / "lab.pid").unlink(missing_ok=True)


def read_state(state_dir: Path) -> dict | None:
    try:
        return json.loads(state_file(state_dir).read_text())
    except (OSError, ValueError):
        return None
