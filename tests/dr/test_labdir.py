"""`oamkit lab wan up` with a private OAMKIT_RUN_DIR (issue: DR tests on real networks, 4):
FRR runs as user frr and must reach the lab's folder."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from oamkit.lab.wan import list_netns

from tests.dr.conftest import _missing_for_lab

pytestmark = [pytest.mark.wanlab]


@pytest.fixture
def lab_tools():
    reason = _missing_for_lab()
    if reason:
        pytest.skip(reason)


def cli(env_dir, *args, umask=None):
    env = {**os.environ, "OAMKIT_RUN_DIR": str(env_dir)}
    return subprocess.run([sys.executable, "-m", "oamkit.cli", "lab", "wan", *args], capture_output=True,
                          text=True, timeout=120, env=env,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def test_private_run_dir_stops_before_building_with_a_message(lab_tools, tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    os.chmod(private, 0o700)
    prefix = f"pv{os.getpid() % 100000}"
    p = cli(private / "run", "up", "--prefix", prefix, "--sites", "1")
    assert p.returncode == 1 and "frr" in p.stderr and str(private) in p.stderr and "0700" in p.stderr, p.stderr
    assert not [n for n in list_netns() if n.startswith(prefix + "-")]


def test_run_dir_created_under_umask_077_is_usable_by_frr(lab_tools):
    base = Path(tempfile.mkdtemp(prefix="oamkit-labdir-", dir="/tmp"))
    os.chmod(base, 0o755)             # /tmp itself is world-traversable; the fresh folders below are not yet there
    run_dir = base / "fresh" / "run"
    prefix = f"pu{os.getpid() % 100000}"
    try:
        p = cli(run_dir, "up", "--prefix", prefix, "--sites", "1", umask=0o077)
        assert p.returncode == 0, p.stderr
        st = cli(run_dir, "status", "--prefix", prefix)
        assert st.returncode == 0, st.stdout + st.stderr
    finally:
        cli(run_dir, "down", "--prefix", prefix)
        shutil.rmtree(base, ignore_errors=True)
    assert not [n for n in list_netns() if n.startswith(prefix + "-")]
