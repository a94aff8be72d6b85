"""`oamkit parse` end to end through the installed entry point."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parsers"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oamkit.cli", "parse", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_parse_file_prints_json():
    done = run("--platform", "cisco_ios", "--command", "show ethernet oam status",
               str(FIXTURES / "cisco_ios/show_ethernet_oam_status/basic.raw"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["template"] == "cisco_ios_show_ethernet_oam_status.textfsm"
    assert [r["interface"] for r in out["records"]] == ["GigabitEthernet0/1", "GigabitEthernet0/2"]
    assert out["records"][0]["link_events"]["frame"]["window"] == 10
    assert "raw" not in out["records"][0]


def test_parse_stdin_with_raw_fields():
    text = (FIXTURES / "cisco_xr/show_ethernet_oam_event-log/basic.raw").read_text()
    done = run("-p", "cisco_xr", "-c", "show ethernet oam event-log", "--raw", "-", stdin=text)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)["records"]
    assert [r["event_type"] for r in records] == ["dying_gasp", "frame_fail", "frame"]
    assert records[0]["raw"]["TYPE"] == "Dying gasp"


def test_parse_error_exits_2_naming_template_and_line():
    done = run("-p", "cisco_ios", "-c", "show ethernet oam status",
               str(FIXTURES / "cisco_ios/show_ethernet_oam_status/truncated.raw"))
    assert done.returncode == 2
    assert "cisco_ios_show_ethernet_oam_status.textfsm, line 33" in done.stderr
    assert done.stdout == ""


def test_parse_error_as_json():
    done = run("-p", "cisco_ios", "-c", "show ethernet oam status", "--json",
               str(FIXTURES / "cisco_ios/show_ethernet_oam_status/invalid_input.raw"))
    assert done.returncode == 2
    assert json.loads(done.stdout)["ok"] is False


def test_unknown_platform_and_command_exit_2():
    raw = str(FIXTURES / "cisco_ios/show_interfaces/basic.raw")
    done = run("-p", "nokia_sros", "-c", "show port", raw)
    assert done.returncode == 2 and "unknown platform" in done.stderr
    done = run("-p", "cisco_ios", "-c", "show version", raw)
    assert done.returncode == 2 and "no parser for 'show version'" in done.stderr


def test_empty_output_is_explicit():
    done = run("-p", "huawei_vrp", "-c", "display efm all", "-", stdin="\n\n")
    assert done.returncode == 0
    out = json.loads(done.stdout)
    assert out["empty"] is True and out["records"] == []


def test_list_supported_commands():
    done = run("--list")
    assert done.returncode == 0, done.stderr
    listed = {(row["platform"], row["command"]) for row in json.loads(done.stdout)}
    assert ("cisco_xr", "show ethernet oam event-log") in listed
    assert ("huawei_vrp", "display efm link-event local") in listed
    assert ("cisco_xr", "show ethernet oam configuration") in listed
    assert len(listed) == 16


def test_missing_arguments_exit_2():
    done = run("-p", "cisco_ios")
    assert done.returncode == 2 and "FILE, --command required" in done.stderr
