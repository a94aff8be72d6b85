from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "inventories" / "example"


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=60)


@pytest.fixture
def make_inventory(tmp_path):
    """Write an inventory folder from dicts; `policies` maps file name -> YAML mapping."""

    def make(hosts: dict | str, groups: dict | None = None, defaults: dict | None = None,
             policies: dict | None = None) -> Path:
        folder = tmp_path / "inv"
        (folder / "policies").mkdir(parents=True, exist_ok=True)
        (folder / "hosts.yaml").write_text(hosts if isinstance(hosts, str) else yaml.safe_dump(hosts))
        (folder / "groups.yaml").write_text(yaml.safe_dump(groups or {}))
        (folder / "defaults.yaml").write_text(yaml.safe_dump(defaults or {}))
        base = {"p": {"mode": "active", "link_monitor": {"frame": {"window": "1s", "low": 1}}}}
        for name, body in (policies if policies is not None else {"base.yaml": base}).items():
            (folder / "policies" / name).write_text(body if isinstance(body, str) else yaml.safe_dump(body))
        return folder

    return make
