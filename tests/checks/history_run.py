"""One `oamkit check --format json` of one host into a given history file, for the tests that
judge what the history holds (clears, huge counters, damaged rows)."""
from __future__ import annotations

import json
import subprocess
import sys


def check_host(env, inventory, db, host: str) -> tuple[int, dict]:
    """(exit code, the host's results keyed by (interface, rule))."""
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", "check", "-i", str(inventory),
                             "--limit", host, "--db", str(db), "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=180)
    assert result.stdout, result.stderr
    (found,) = json.loads(result.stdout)["hosts"]
    return result.returncode, {(r["interface"], r["rule"]): r for r in found["results"]}
