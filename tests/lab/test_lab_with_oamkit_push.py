"""The lab as the target of oamkit's own change engine, driven as a user would: `oamkit push`
against the inventory `Lab.write_inventory` wrote, then `oamkit diff` finds nothing left to do
(the lab accepted every rendered line, committed it, and shows it back the way the read-back
expects)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.lab, pytest.mark.timeout(240)]


def oamkit(*args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True, text=True,
                          timeout=200)


def outcomes(stdout: str) -> dict[str, str]:
    data = json.loads(stdout)
    hosts = data["hosts"] if isinstance(data, dict) else data
    return {h["host"]: h["outcome"] for h in hosts}


def test_push_then_diff_is_clean_on_every_platform(lab, lab_inventory):
    push = oamkit("push", "-i", str(lab_inventory), "--timeout", "60", "--json")
    assert push.returncode == 0, push.stdout[-2000:] + push.stderr[-2000:]
    assert outcomes(push.stdout) == {name: "changed" for name in lab.devices}
    diff = oamkit("diff", "-i", str(lab_inventory), "--json")
    assert diff.returncode == 0, diff.stderr[-2000:]
    assert outcomes(diff.stdout) == {name: "unchanged" for name in lab.devices}
    for dev in lab.devices.values():
        assert dev.commit_history or dev.platform == "cisco_ios"
        assert not dev.confirm_pending                       # push confirmed its commits
