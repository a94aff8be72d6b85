"""Fixtures for the DR tests. The WAN lab fixture needs root, iproute2, nftables and FRR (CI
runs as root with them installed); without them those tests skip with the reason."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from oamkit.lab.wan import WanLab, frr_bin_dir, list_netns


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
    prefix = f"t{os.getpid() % 100000}"      # own prefix: never collides with a user's lab
    lab = WanLab(prefix=prefix, sites=12)
    lab.down()
    info = lab.up(timeout=90)
    print(f"\nWAN lab {prefix} built in {info['build_s']} s (converged in {info['converged_s']} s)", file=sys.stderr)
    try:
        yield lab
    finally:
        lab.down()
        left = [n for n in list_netns() if n.startswith(prefix + "-")]
        assert not left, f"namespaces leaked: {left}"


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
