"""The maintenance windows file (`<state dir>/maintenance.json`): what many processes writing
it at once, and damaged forms of it, do."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

WRITERS, EACH = 4, 25

ADD_MANY = """
import sys
from oamkit import maintenance
for i in range(int(sys.argv[2])):
    maintenance.add(["ios-1"], "2h", f"parallel {sys.argv[1]}-{i}")
"""


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state")}


def oamkit(env, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_windows_added_by_processes_at_once_are_all_kept(env):
    # Real processes, each adding windows as fast as it can: without the file lock two of
    # them read the same list and the later write drops the other's window.
    writers = [subprocess.Popen([sys.executable, "-c", ADD_MANY, str(n), str(EACH)], env=env,
                                stderr=subprocess.PIPE, text=True) for n in range(WRITERS)]
    for w in writers:
        assert w.wait(timeout=120) == 0, w.stderr.read()
    listed = oamkit(env, "maintenance", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    reasons = sorted(w["reason"] for w in json.loads(listed.stdout))
    assert reasons == sorted(f"parallel {n}-{i}" for n in range(WRITERS) for i in range(EACH))
