"""What every `oamkit` command pays before it starts. A scheduled `oamkit check` (Nagios runs
it per host every minute) pays the start-up every time, so the fast paths load no transport,
lab, probe engine or scale-out library: they are asserted by module name, never by time
(the times are in bench/startup.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from oamkit import commands

# What no fast path may load: the transports, the lab, the probe engine (numpy, scapy) and the
# scale-out and plotting libraries.
HEAVY = ("scapy", "netmiko", "paramiko", "ncclient", "asyncssh", "dask", "distributed",
         "matplotlib", "numpy", "oamkit.lab", "oamkit.probe", "oamkit.engine", "nornir")


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, timeout=60)
    return set(out.stdout.split())


def _loaded_by_cli(*args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """Run `oamkit ARGS` in a fresh interpreter; the modules it had loaded when it exited."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + ' '.join(sys.modules) + '\\n'))\n"
            f"sys.argv = ['oamkit', *{list(args)!r}]\n"
            "from oamkit.cli import main\n"
            "main()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    line = [ln for ln in run.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, run.stderr
    return set(line[-1].split()[1:]), run


def _heavy(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [("--version",), ("check", "--help"), ("render", "--help")])
def test_fast_paths_load_nothing_heavy(args):
    loaded, run = _loaded_by_cli(*args)
    assert run.returncode == 0, run.stderr
    assert _heavy(loaded) == []


def test_version_loads_no_command_module_rich_or_pydantic_models():
    loaded, run = _loaded_by_cli("--version")
    assert run.stdout.strip().startswith("oamkit ")
    assert sorted(m for m in loaded if m.startswith("oamkit.commands.")) == []
    assert "rich.console" not in loaded and "pydantic.main" not in loaded


def test_a_command_loads_only_its_own_module():
    loaded, run = _loaded_by_cli("check", "--help")
    assert "--format" in run.stdout
    assert sorted(m for m in loaded if m.startswith("oamkit.commands.")) == \
        ["oamkit.commands._common", "oamkit.commands.check"]


def test_help_still_lists_every_command():
    loaded, run = _loaded_by_cli("--help")
    assert run.returncode == 0, run.stderr
    for name in commands.COMMANDS:
        assert f" {name} " in run.stdout, name
    assert "oamkit.commands.probe" in loaded and "oamkit.commands.lab_wan" in loaded


def test_the_command_index_names_what_each_module_registers():
    """commands.COMMANDS is what lets `oamkit check` import one module: it must list every
    top-level command each module registers, and no other."""
    import importlib
    import pkgutil

    import typer
    import typer.main

    for module in pkgutil.iter_modules(commands.__path__):
        if module.name.startswith("_"):
            continue
        app = typer.Typer()
        importlib.import_module(f"oamkit.commands.{module.name}").register(app)
        registered = set(typer.main.get_group(app).commands)
        indexed = {name for name, modules in commands.COMMANDS.items() if module.name in modules}
        assert registered == indexed, module.name


def test_the_probe_package_still_offers_its_names():
    loaded = _loaded_after("from oamkit.probe import ProbeEngine, parse_interval")
    assert "oamkit.probe.engine" in loaded


def test_ops_names_load_on_first_use():
    loaded = _loaded_after("from oamkit import ops\nops.render")
    assert "oamkit.ops.rendering" in loaded
    assert "oamkit.ops.changes" not in loaded and "netmiko" not in loaded
    loaded = _loaded_after("from oamkit import ops\nassert ops.reads.KEEP_DAYS > 0")
    assert "oamkit.ops.reads" in loaded
    loaded = _loaded_after("from oamkit.ops import push, collect")
    assert "oamkit.ops.changes" in loaded


def test_the_change_engine_on_asyncssh_loads_neither_netmiko_nor_the_parsers():
    """`oamkit push` on `ssh.driver: asyncssh` pays for neither netmiko (only its driver
    needs it) nor TextFSM and the parse templates (only the health gate parses output)."""
    loaded = _loaded_after("import oamkit.commands.change, oamkit.engine, oamkit.transport.ssh, "
                           "oamkit.transport.asyncssh_driver")
    assert "oamkit.engine.converge" in loaded and "asyncssh" in loaded
    assert [m for m in loaded if m.split(".")[0] in ("netmiko", "textfsm")
            or m.startswith("oamkit.parse") or m == "oamkit.collect"] == []


def test_the_change_engine_on_asyncssh_loads_no_paramiko():
    """Issue #20: paramiko (~100 ms) is for the netmiko driver, NETCONF and the paramiko jump
    host; host keys on asyncssh are checked without it (see also test_trust_on_first_use's
    push on asyncssh, which runs without it end to end)."""
    loaded = _loaded_after("import oamkit.commands.change, oamkit.engine, oamkit.transport.ssh, "
                           "oamkit.transport.asyncssh_driver, oamkit.transport.hostkeys, "
                           "oamkit.transport.jump")
    assert "asyncssh" in loaded and "oamkit.transport.hostkeys" in loaded
    assert [m for m in loaded if m.split(".")[0] == "paramiko"] == []
