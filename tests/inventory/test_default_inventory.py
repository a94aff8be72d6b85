"""A command run without -i and without OAMKIT_INVENTORY, where there is no ./inventory, says
which folder it looked for (absolutely) and how to give one, and exits 2 (bad input)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HINT = "point oamkit at an inventory with -i DIR or OAMKIT_INVENTORY=DIR"
ROOT = Path(__file__).resolve().parents[2]


def run(cwd: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OAMKIT_INVENTORY"}
    env.update(OAMKIT_STATE_DIR=str(cwd / "state"),
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]), **extra_env)
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("argv", [
    ("maintenance", "add", "xr-1", "--until", "1h", "--reason", "test"),
    ("check", "--limit", "xr-1", "--format", "json"),
    ("render",),
])
def test_the_default_folder_is_named_absolutely_with_how_to_give_one(tmp_path, argv):
    done = run(tmp_path, *argv)
    assert done.returncode == 2, (done.stdout, done.stderr)
    err = " ".join((done.stderr + done.stdout).split())   # check --format json: a JSON report
    assert f"{tmp_path / 'inventory'}: inventory folder not found" in err, err
    assert "neither -i DIR nor OAMKIT_INVENTORY was given" in err and HINT in err, err


def test_a_missing_folder_from_oamkit_inventory_is_named_absolutely(tmp_path):
    done = run(tmp_path, "maintenance", "add", "xr-1", "--until", "1h", "--reason", "test",
               OAMKIT_INVENTORY="inv")
    assert done.returncode == 2, (done.stdout, done.stderr)
    err = " ".join((done.stderr + done.stdout).split())   # check --format json: a JSON report
    assert f"{tmp_path / 'inv'}: inventory folder not found; {HINT}" in err, err
