"""`oamkit demo` without --keep leaves nothing behind (outside reviewer: every run left a
/tmp/oamkit-demo-* folder holding the lab inventory and its password file)."""
from __future__ import annotations

import os
import subprocess
import sys


def test_the_demo_removes_its_temporary_folder(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path), "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", "demo", "--no-dr"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "temporary files removed" in result.stdout
    assert not list(tmp_path.glob("oamkit-demo-*")), list(tmp_path.rglob("*"))[:20]
