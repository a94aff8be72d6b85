"""`oamkit lab up --base-port P` with P taken says which port, exit 2, no traceback (issue
"Operators' everyday use", 8)."""
from __future__ import annotations

import socket
import subprocess
import sys


def test_busy_base_port_is_named_and_exits_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "oamkit.cli", "lab", "up", "-n", "1",
                                 "--base-port", str(port), "--inventory-out", str(tmp_path / "inv"),
                                 "--state-dir", str(tmp_path / "state")],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"port {port}" in result.stderr
    assert "Traceback" not in result.stderr
