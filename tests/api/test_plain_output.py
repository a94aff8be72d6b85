"""Into a pipe or a file, oamkit prints plain lines: nothing folded or cut at 80 columns, no
ANSI (issue "Operators' everyday use", 5). stdout is a pipe here, as under cron or `| grep`,
and COLUMNS=80 is what a narrow terminal would have exported."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oamkit import backups


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "80", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def oamkit(env, *args):
    result = subprocess.run([sys.executable, "-m", "oamkit.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, timeout=180)
    assert "\x1b" not in result.stdout, result.stdout[:2000]
    return result


def test_long_junos_set_lines_change_ids_and_tables_arrive_whole(env, lab_inventory):
    inv = ["-i", str(lab_inventory)]
    rendered = json.loads(oamkit(env, "render", *inv, "-l", "junos-1", "--json").stdout)
    long_lines = [line for line in rendered["hosts"][0]["config"].splitlines() if len(line) > 80]
    assert long_lines, "the test needs a Junos line longer than 80 columns"
    text_lines = oamkit(env, "render", *inv, "-l", "junos-1", "--show").stdout.splitlines()
    for line in long_lines:
        assert line in text_lines

    push = oamkit(env, "push", *inv, "--confirm-timeout", "3600")
    assert push.returncode == 0, push.stdout + push.stderr
    pushed_lines = push.stdout.splitlines()
    for line in long_lines:                    # the commands a push shows, before its table
        assert line in pushed_lines
    change_id = json.loads(oamkit(env, "changes", "--json").stdout)[0]["id"]
    assert f"change id: {change_id} (oamkit rollback --change {change_id})" in pushed_lines
    folder = Path(env["OAMKIT_STATE_DIR"]) / "changes" / change_id
    assert f"backups: {folder} (oamkit changes --change {change_id})" in pushed_lines, push.stdout
    assert set(backups.read(folder)) == {"ios-1", "xr-1", "junos-1", "vrp-1"}, folder
    listed = oamkit(env, "changes").stdout
    assert any(change_id in line and "push" in line for line in listed.splitlines()), listed

    facts = oamkit(env, "facts", *inv)
    wanted = json.loads(oamkit(env, "facts", *inv, "--json").stdout)["hosts"]
    for host in wanted:                        # each version string on one line, not folded
        assert host["version"] in facts.stdout, facts.stdout


def test_a_device_error_is_printed_once(lab, env, lab_inventory):
    lab.set_faults("junos-1", reject_commands=["event-thresholds frame-period "])
    push = oamkit(env, "push", "-i", str(lab_inventory), "-l", "junos-1")
    assert push.returncode == 1, push.stdout + push.stderr
    assert push.stdout.count("syntax error.") == 1, push.stdout
