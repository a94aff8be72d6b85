"""`oamkit lab up|status|down`: the emulated SSH/NETCONF device lab on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer

from oamkit.commands._common import print_json
from oamkit.errors import InputError, OamkitError, Problem
from oamkit.lab.process import is_our_lab, read_state, run_foreground, state_file
from oamkit.lab.procs import pid_alive, pid_exists
from oamkit.statedir import open_private, private_dir, write_private

DEFAULT_STATE_DIR = ".oamkit-lab"
StateDirOpt = typer.Option(
    Path(os.environ.get("OAMKIT_LAB_DIR", DEFAULT_STATE_DIR)), "--state-dir", envvar="OAMKIT_LAB_DIR",
    help="Where the lab keeps its pid file, state and (by default) its inventory.", metavar="DIR")


class LabError(OamkitError):
    pass


def _parse_platforms(text: str) -> list[str]:
    from oamkit.lab.device import PLATFORMS

    names = [p.strip() for p in text.split(",") if p.strip()]
    bad = [p for p in names if p not in PLATFORMS]
    if bad or not names:
        raise InputError([Problem(f"unknown platform {p!r}", field="--platforms", value=p,
                                  allowed=", ".join(PLATFORMS)) for p in bad]
                         or [Problem("no platform given", field="--platforms")])
    return names


def up(devices: int = typer.Option(4, "--devices", "-n", min=1, max=2000, help="Number of emulated devices."),
       platforms: str = typer.Option("cisco_ios,cisco_xr,juniper_junos,huawei_vrp", "--platforms",
                                     help="Comma-separated platforms, assigned round-robin."),
       inventory_out: Path = typer.Option(None, "--inventory-out", metavar="DIR",
                                          help="Write a ready inventory here (default: STATE_DIR/inventory)."),
       base_port: int = typer.Option(0, "--base-port", min=0, max=65535, help="First SSH port (0: let the OS choose)."),
       time_scale: float = typer.Option(1.0, "--time-scale", min=0.0001,
                                        help="Real seconds per device second (0.01 makes a commit-confirmed minute 0.6 s)."),
       faults: Path = typer.Option(None, "--faults", metavar="FILE", exists=True, dir_okay=False,
                                   help="YAML/JSON {device: {fault: value}} applied at start "
                                        "(reject_commands, command_delay, drop_after_commands, hang, ...)."),
       detach: bool = typer.Option(False, "--detach", "-d", help="Run in the background with a pid file."),
       state_dir: Path = StateDirOpt,
       as_json: bool = typer.Option(False, "--json", help="Print the lab description as JSON.")) -> None:
    """Start N emulated devices (one SSH port each, NETCONF on the same port) on 127.0.0.1."""
    plats = _parse_platforms(platforms)
    state_dir = state_dir.resolve()
    existing = read_state(state_dir)
    if existing and pid_alive(existing["pid"]) and is_our_lab(existing["pid"], existing):
        raise LabError(f"a lab is already running (pid {existing['pid']}); run `oamkit lab down` first")
    inventory = (inventory_out or state_dir / "inventory").resolve()
    faults_spec = _load_fault_spec(faults, _device_names(devices, plats)) if faults else {}
    # private, as oamkit's own state folder: the lab's log and faults are nobody else's to read
    private_dir(state_dir)
    write_private(state_dir / "faults.json", json.dumps(faults_spec))
    if detach:
        _spawn_detached(devices, plats, inventory, base_port, time_scale, state_dir, as_json)
        return
    asyncio.run(run_foreground(devices, plats, inventory, base_port, time_scale, state_dir, as_json,
                            os.environ.get("OAMKIT_LAB_TOKEN") or os.urandom(8).hex()))


def _spawn_detached(devices: int, plats: list[str], inventory: Path, base_port: int, time_scale: float,
                    state_dir: Path, as_json: bool) -> None:
    private_dir(state_dir)
    token = os.urandom(8).hex()
    env = dict(os.environ, OAMKIT_LAB_TOKEN=token)
    state_file(state_dir).unlink(missing_ok=True)
    log = os.fdopen(open_private(state_dir / "lab.log", os.O_WRONLY | os.O_APPEND), "ab")
    cmd = [sys.executable, "-m", "oamkit.lab", "--devices", str(devices), "--platforms",
           ",".join(plats), "--inventory-out", str(inventory), "--base-port", str(base_port),
           "--time-scale", str(time_scale), "--state-dir", str(state_dir)]
    with log:   # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True, close_fds=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = read_state(state_dir)
        if state and state.get("token") == token:
            if as_json:
                print_json(state)
            else:
                print(f"oamkit lab: started pid {state['pid']}, {len(state['devices'])} devices, "
                      f"inventory {state['inventory']}")
            return
        if proc.poll() is not None:
            raise LabError(f"the lab exited at start (code {proc.returncode}); see {state_dir / 'lab.log'}")
        time.sleep(0.05)
    proc.terminate()
    raise LabError("the lab did not become ready within 30 s")


def _device_names(devices: int, plats: list[str]) -> list[str]:
    """The names `Lab(devices, platforms=plats)` gives its devices (ios-1, xr-1, ...)."""
    from oamkit.lab.server import fleet

    return [name for name, _, _ in fleet(devices, plats)]


def _known_faults() -> set[str]:
    from oamkit.lab.device import Faults

    return set(Faults.__dataclass_fields__) | {"inject_errors", "peer_state"}


def _load_fault_spec(path: Path, devices: list[str] | None = None) -> dict:
    """The --faults file, checked before the lab starts: a device or fault name the lab does
    not know would otherwise be dropped silently (the lab would run without the fault)."""
    from oamkit import yamlfile

    try:
        data = yamlfile.load(path) or {}
    except InputError as exc:
        raise InputError([Problem(f"cannot read faults file: {p.message}", file=str(path))
                          for p in exc.problems]) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError([Problem("expected a mapping {device: {fault: value}}", file=str(path))])
    problems = []
    known = _known_faults()
    for device, entry in data.items():
        if devices is not None and device not in devices:
            problems.append(Problem(f"unknown device {device!r}", file=str(path), field=str(device),
                                    allowed=", ".join(devices[:8]) + (", ..." if len(devices) > 8 else "")))
        problems += [Problem(f"unknown fault {key!r}", file=str(path), field=f"{device}.{key}",
                             allowed=", ".join(sorted(known)))
                     for key in entry if key not in known and not str(key).startswith("netconf")]
        if entry.get("ssh_algorithms") is not None:   # read once, when the lab starts
            from oamkit.lab.ssh_profiles import resolve

            try:
                resolve(entry["ssh_algorithms"])
            except (ValueError, TypeError) as exc:
                problems.append(Problem(str(exc), file=str(path), field=f"{device}.ssh_algorithms",
                                        value=str(entry["ssh_algorithms"])))
    if problems:
        raise InputError(problems)
    return data


def fault(device: str = typer.Argument(..., help="Device name, e.g. ios-1."),
          settings: list[str] = typer.Argument(None, metavar="KEY=VALUE...",
                                               help="Fault fields (JSON values), e.g. command_delay=0.5 "
                                                    "'reject_commands=[\"^show version\"]' hang=true "
                                                    "'inject_errors={\"GigabitEthernet0/1\": 100}' "
                                                    "'peer_state={\"GigabitEthernet0/1\": \"down\"}'"),
          clear: bool = typer.Option(False, "--clear", help="Remove every fault of the device first."),
          state_dir: Path = StateDirOpt) -> None:
    """Change a running lab's faults for one device (applied within half a second)."""
    state_dir = state_dir.resolve()
    state = read_state(state_dir)
    if not state:
        raise LabError("no lab is running from this state dir")
    if device not in {d["name"] for d in state["devices"]}:
        raise InputError([Problem(f"unknown device {device!r}", field="DEVICE", value=device)])
    path = state_dir / "faults.json"
    try:
        spec = json.loads(path.read_text())
    except (OSError, ValueError):
        spec = {}
    entry = {} if clear else dict(spec.get(device, {}))
    for item in settings or []:
        key, sep, raw = item.partition("=")
        if not sep:
            raise InputError([Problem("expected KEY=VALUE", value=item)])
        try:
            entry[key] = json.loads(raw)
        except ValueError:
            entry[key] = raw
        if key == "ssh_algorithms":
            raise InputError([Problem("ssh_algorithms is read when the lab starts: give it in the "
                                      "--faults file of `oamkit lab up`", field="KEY", value=key)])
    known = _known_faults()
    unknown = [k for k in entry if k not in known and not k.startswith("netconf")]
    if unknown:
        raise InputError([Problem(f"unknown fault {k!r}", field="KEY", value=k, allowed=", ".join(sorted(known)))
                          for k in unknown])
    spec[device] = entry
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(spec, indent=2))
    tmp.replace(path)
    print(json.dumps({device: entry}))


def status(state_dir: Path = StateDirOpt,
           as_json: bool = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")) -> None:
    """Show whether a lab started from this state dir is running, and its devices."""
    state = read_state(state_dir.resolve())
    running = bool(state) and pid_alive(state["pid"]) and is_our_lab(state["pid"], state)
    if as_json:
        print_json({"running": running, **({k: v for k, v in state.items() if k != "token"} if state else {})})
    elif not running:
        print("oamkit lab: not running")
    else:
        print(f"oamkit lab: running, pid {state['pid']}, inventory {state['inventory']}")
        for d in state["devices"]:
            print(f"  {d['name']:<12} {d['platform']:<14} 127.0.0.1:{d['port']}")
    if not running:
        raise SystemExit(3)  # "needs attention": nothing is running


def down(state_dir: Path = StateDirOpt,
         timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds to wait for the lab to stop.")) -> None:
    """Stop the lab started from this state dir (and only that one)."""
    state_dir = state_dir.resolve()
    state = read_state(state_dir)
    if not state:
        print("oamkit lab: not running")
        return
    pid = int(state["pid"])
    if not is_our_lab(pid, state):
        state_file(state_dir).unlink(missing_ok=True)
        (state_dir / "lab.pid").unlink(missing_ok=True)
        print("oamkit lab: not running (removed a stale state file)")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_exists(pid):   # until reaped, not only exited
        try:  # reap it if it is our child (tests start and stop in one process)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    if pid_alive(pid):   # a zombie has stopped; its parent reaps it
        raise LabError(f"lab pid {pid} did not stop within {timeout:.0f} s")
    state_file(state_dir).unlink(missing_ok=True)
    (state_dir / "lab.pid").unlink(missing_ok=True)
    print(f"oamkit lab: stopped pid {pid}")


def register(app: typer.Typer) -> None:
    lab_app = None
    for group in app.registered_groups:
        if group.name == "lab" and group.typer_instance is not None:
            lab_app = group.typer_instance
    if lab_app is None:
        lab_app = typer.Typer(help="Emulated labs.", no_args_is_help=True)
        app.add_typer(lab_app, name="lab")
    lab_app.command("up")(up)
    lab_app.command("status")(status)
    lab_app.command("down")(down)
    lab_app.command("fault")(fault)
