"""`data.credentials.password_command` (e.g. `pass show net/lab`): run without a shell, with a
deadline, once per command per run; its first stdout line is the password. A failing command is
exit 2 naming the host and the exit code, never the command's output, and nothing is sent."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from oamkit import secrets
from oamkit.errors import InputError


def oamkit(tmp_path, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("OAMKIT_LAB_PASSWORD", "OAMKIT_PASSWORD")}
    env.update({"COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"), **(env_extra or {})})
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=180)


def use_command(inv: Path, script: str, command: str) -> Path:
    """The inventory's credentials become just `password_command: command` (the lab password
    file is removed so nothing else could log in)."""
    tool = inv / "get-pass"
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o700)
    (inv / ".lab-password").unlink()
    defaults = yaml.safe_load((inv / "defaults.yaml").read_text())
    defaults["data"]["credentials"] = {"password_command": command}
    (inv / "defaults.yaml").write_text(yaml.safe_dump(defaults))
    return tool


@pytest.mark.lab
def test_collect_logs_in_with_the_commands_password_run_once(lab, lab_inventory, tmp_path):
    calls = tmp_path / "calls"
    # arguments reach it unsplit by any shell: `$1` is the literal 'net/lab one' (a space in it)
    use_command(lab_inventory, f'echo "$1" >> {calls}\n[ "$1" = "net/lab one" ] || exit 9\n'
                f'printf "%s\\nsecond line: not the password\\n" "{lab.password}"\n',
                "./get-pass 'net/lab one'")
    result = oamkit(tmp_path, "collect", "-i", str(lab_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls.read_text() == "net/lab one\n"   # four hosts, one run of the command
    assert lab.password not in result.stdout + result.stderr


@pytest.mark.lab
def test_a_failing_command_is_exit_2_naming_host_and_exit_code_not_its_output(lab, lab_inventory,
                                                                              tmp_path):
    calls = tmp_path / "calls"
    use_command(lab_inventory, f'echo run >> {calls}\necho "{lab.password}"\n'
                f'echo "gpg: leaked {lab.password}" >&2\nexit 3\n', "./get-pass net/lab")
    result = oamkit(tmp_path, "collect", "-i", str(lab_inventory))
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    for host in ("ios-1", "xr-1", "junos-1", "vrp-1"):
        assert f"host {host}: credentials.password_command: command failed with exit code 3" in out, out
    assert "./get-pass net/lab" in out
    assert calls.read_text() == "run\n"   # a failed password manager is not asked four times
    assert lab.password not in out and "leaked" not in out
    assert not any(e.direction == "in" for e in lab.devices["ios-1"].transcript)  # nothing sent


def test_missing_command_and_empty_output_are_input_errors(tmp_path):
    with pytest.raises(InputError) as missing:
        secrets.from_command(["./no-such-tool"], host="r1", field="credentials.password_command",
                             cwd=tmp_path)
    assert "command not found" in str(missing.value) and "r1" in str(missing.value)
    with pytest.raises(InputError) as empty:
        secrets.from_command(["true"], host="r1", field="credentials.password_command", cwd=tmp_path)
    assert "printed no secret" in str(empty.value)


def test_a_command_past_its_deadline_is_stopped(tmp_path):
    with pytest.raises(InputError) as late:
        secrets.from_command(["sleep", "20"], host="r1", field="credentials.password_command",
                             cwd=tmp_path, timeout=0.5)
    assert "did not finish within 0.5 s" in str(late.value)


def test_no_shell_runs_the_command(tmp_path):
    argv = secrets.command_argv("echo $HOME; touch pwned", host="r1", field="f")
    assert argv == ["echo", "$HOME;", "touch", "pwned"]
    assert secrets.from_command(argv, host="r1", field="f", cwd=tmp_path) == "$HOME; touch pwned"
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(InputError):
        secrets.command_argv("pass show 'unclosed", host="r1", field="f")
