"""Fixtures for the DR tests. The WAN lab fixture needs root, iproute2, nftables and FRR (CI
runs as root with them installed); without them those tests skip with the reason."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from oamkit.lab.procs import pid_alive
from oamkit.lab.wan import WanLab, frr_bin_dir, list_netns
from oamkit.probe.safety import state_root


def _missing_for_lab() -> str | None:
    if os.geteuid() != 0:
        return "needs root: network namespaces, veth, nftables, FRR and raw sockets"
    for tool in ("ip", "nft", "vtysh"):
        if not shutil.which(tool):
            return f"{tool} not installed (apt-get install iproute2 nftables frr)"
    try:
        frr_bin_dir()
    except Exception as exc:  # noqa: BLE001 - reported as the skip reason
        return str(exc)
    return None


def needs_root() -> pytest.MarkDecorator:
    return pytest.mark.skipif(os.geteuid() != 0, reason="needs root for raw sockets (CAP_NET_RAW)")


@pytest.fixture(scope="session")
def wanlab():
    reason = _missing_for_lab()
    if reason:
        pytest.skip(reason)
    remove_labs_of_killed_runs()
    prefix = f"t{os.getpid() % 100000}"      # own prefix: never collides with a user's lab
    lab = WanLab(prefix=prefix, sites=12)
    lab.down()
    lab.state_dir.mkdir(parents=True, exist_ok=True)
    (lab.state_dir / OWNER_FILE).write_text(str(os.getpid()))
    # A run stopped with SIGTERM (a CI timeout) skips the finalizer below: take the lab down
    # first, then die of the signal as before. (Not an interrupt: the DR runner rightly treats
    # one as Ctrl-C, aborts that DR test and carries on.)
    previous = signal.signal(signal.SIGTERM, _down_then_die(lab, os.getpid()))
    try:
        info = lab.up(timeout=90)
        print(f"\nWAN lab {prefix} built in {info['build_s']} s (converged in {info['converged_s']} s)", file=sys.stderr)
        yield lab
    finally:
        lab.down()
        signal.signal(signal.SIGTERM, previous)
        left = [n for n in list_netns() if n.startswith(prefix + "-")]
        assert not left, f"namespaces leaked: {left}"


OWNER_FILE = "pytest.pid"


def _down_then_die(lab: WanLab, owner: int):
    def handler(signum, frame):
        if os.getpid() == owner:   # not in a forked probe sender, which inherits this handler
            lab.down()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    return handler


def remove_labs_of_killed_runs() -> list[str]:
    """Labs a test run built and never removed because it was killed (SIGKILL runs no
    finalizer): their owner's pid is gone. Labs from `oamkit lab wan up` have no owner file
    and are left alone."""
    removed = []
    for owner in sorted((state_root() / "wanlab").glob(f"t*/{OWNER_FILE}")):
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not pid_alive(pid):
            WanLab(prefix=owner.parent.name).down()
            removed.append(owner.parent.name)
    if removed:
        print(f"\nremoved WAN labs of killed test runs: {', '.join(removed)}", file=sys.stderr)
    return removed


@pytest.fixture
def healthy_lab(wanlab):
    """The lab in the healthy scenario, converged on the primary; put back afterwards whatever
    the test did (a test that failed half-way must not poison the next one)."""
    if wanlab.scenario != "healthy":
        wanlab.set_scenario("healthy")
    yield wanlab
    wanlab.restore()
    if wanlab.scenario != "healthy":
        wanlab.set_scenario("healthy", timeout=30)
    else:
        wanlab.wait_converged(30)


def run_cli(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout, **kw)


def oamkit_in(ns: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """oamkit run inside namespace `ns`, as on an operator's host (no --netns)."""
    return subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m", "oamkit.cli", *args],
                          capture_output=True, text=True, timeout=timeout)


def nft_counters(ns: str, table: str, name_of) -> dict:
    """Packet counters of the rules in `inet table` inside `ns`, keyed by name_of(rule)."""
    import json

    out = subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "list", "table", "inet", table],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return {name_of(item["rule"]): next(e["counter"]["packets"] for e in item["rule"]["expr"] if "counter" in e)
            for item in json.loads(out)["nftables"] if "rule" in item}
