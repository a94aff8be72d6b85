"""Bad input on every command: exit 2, a message naming the file/host/key/value, no traceback,
nothing sent. The cases are data (`cases_*.py`); each one runs as a real `oamkit` process
against a copy of the shared lab's inventory, and every device's transcript must be the same
length afterwards (not even a login)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from .campaign import Case, Workspace
from .cases_devices import CASES as DEVICE_CASES
from .cases_inventory import CASES as INVENTORY_CASES
from .cases_offline import CASES as OFFLINE_CASES
from .cases_plans import CASES as PLAN_CASES

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]

CASES: list[Case] = [*INVENTORY_CASES, *DEVICE_CASES, *PLAN_CASES, *OFFLINE_CASES]
COMMANDS = ("render", "diff", "push", "check", "collect", "facts", "parse", "run", "drtest",
            "maintenance", "rollback", "changes", "probe", "lab")
CASE_TIMEOUT = 20   # a case that hangs (a lab that started, a probe that ran) fails, bounded


def oamkit(ws: Workspace, argv: tuple[str, ...], stdin: str | None = None
           ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OAMKIT_")}
    env.update(COLUMNS="200", OAMKIT_STATE_DIR=str(ws.state), OAMKIT_RUN_DIR=str(ws.root / "run"),
               OAMKIT_LAB_DIR=str(ws.root / "lab-state"))
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *(ws.fill(a) for a in argv)],
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, env=env, cwd=ws.root,
                          timeout=CASE_TIMEOUT)


def transcripts(lab) -> dict[str, int]:
    return {name: len(device.transcript) for name, device in lab.devices.items()}


@pytest.fixture
def workspace(base_inventory, tmp_path) -> Workspace:
    inv = tmp_path / "inventory"
    shutil.copytree(base_inventory, inv)     # copy2: .lab-password keeps its 0600
    (tmp_path / "state").mkdir()
    return Workspace(tmp_path, inv, tmp_path / "state")


def test_the_lab_inventory_reaches_the_devices(shared_lab, workspace):
    """The control: undamaged, the inventory every case starts from logs in and reads the
    devices, so an unchanged transcript below means the bad input stopped oamkit."""
    before = transcripts(shared_lab)
    result = oamkit(workspace, ("diff", "-i", "{inv}", "--limit", "ios-1,junos-1"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    after = transcripts(shared_lab)
    assert after["ios-1"] > before["ios-1"] and after["junos-1"] > before["junos-1"]
    assert after["xr-1"] == before["xr-1"]


def test_the_campaign_is_wide():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(CASES) >= 120, len(CASES)
    assert {c.command for c in CASES} >= set(COMMANDS), set(COMMANDS) - {c.command for c in CASES}
    assert all(c.expect for c in CASES)


def _param(c: Case):
    marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
    return pytest.param(c, id=c.id, marks=marks)


@pytest.mark.parametrize("bad", [_param(c) for c in CASES])
def test_bad_input(bad: Case, shared_lab, workspace):
    for step in bad.setup:
        step(workspace)
    before = transcripts(shared_lab)
    result = oamkit(workspace, bad.argv, bad.stdin)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == 2, f"exit {result.returncode}\n{output[-3000:]}"
    text = " ".join(result.stderr.split())
    for fragment in bad.expect:
        assert " ".join(workspace.fill(fragment).split()) in text, text[:3000]
    for secret in bad.absent:
        assert secret not in output
    assert transcripts(shared_lab) == before, "a device was contacted"
