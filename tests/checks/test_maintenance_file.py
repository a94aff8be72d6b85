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


@pytest.mark.parametrize("text, said", [
    ("{}", "it holds an object, not a list of windows"),
    ("null", "it holds null, not a list of windows"),
    ('"windows"', "it holds a string, not a list of windows"),
    ("", "Expecting value"),
    ("[1]", "Window"),
])
def test_a_damaged_maintenance_file_is_one_clean_error_never_no_windows(env, tmp_path, text, said):
    state = tmp_path / "state"
    state.mkdir()
    (state / "maintenance.json").write_text(text)
    for args in (["maintenance", "list", "--json"], ["maintenance", "remove", "--host", "ios-1"],
                 ["maintenance", "list"]):
        result = oamkit(env, *args)
        out = " ".join((result.stdout + result.stderr).split())   # --json: the error on stdout
        assert result.returncode == 2, (args, out)
        assert "maintenance file is damaged" in out and said in out, out
        assert str(state / "maintenance.json") in out
        assert "Traceback" not in out


def test_a_state_dir_that_is_a_file_is_named_not_read_as_no_windows(env, tmp_path):
    state = tmp_path / "state"
    state.write_text("not a folder\n")
    state.chmod(0o644)
    for args in (["maintenance", "list"], ["maintenance", "remove", "abcd1234"]):
        result = oamkit(env, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        said = " ".join(result.stderr.split())
        assert f"the state folder {state} (OAMKIT_STATE_DIR) is not a folder" in said, said
        assert "Traceback" not in result.stderr
    assert state.stat().st_mode & 0o777 == 0o644   # the user's file left as found


def test_removing_a_window_that_had_already_ended_says_so(env, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "maintenance.json").write_text(json.dumps([{
        "id": "0ld0ne00", "hosts": ["ios-1"], "until": "2001-01-01T00:00:00Z",
        "reason": "long done", "created": "2000-12-31T00:00:00Z"}]))
    result = oamkit(env, "maintenance", "remove", "0ld0ne00")
    assert result.returncode == 0, result.stderr
    assert "maintenance 0ld0ne00 for ios-1 had already ended at 2001-01-01T00:00" in result.stdout
    assert "ended maintenance" not in result.stdout
