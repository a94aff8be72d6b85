"""What every `oamkit` command pays before it starts: only the probing commands load the probe
engine (numpy), since a scheduled `oamkit check` runs the start-up every time."""
from __future__ import annotations

import subprocess
import sys


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, timeout=60)
    return set(out.stdout.split())


def test_the_cli_starts_without_the_probe_engine():
    loaded = _loaded_after("import oamkit.cli")
    assert "numpy" not in loaded and "oamkit.probe.engine" not in loaded
    assert "oamkit.commands.probe" in loaded and "oamkit.commands.drtest" in loaded   # registered


def test_the_probe_package_still_offers_its_names():
    loaded = _loaded_after("from oamkit.probe import ProbeEngine, parse_interval")
    assert "oamkit.probe.engine" in loaded
