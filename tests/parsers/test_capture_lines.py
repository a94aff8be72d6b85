"""Lines a capture carries besides a command's output: exec headers and device refusals."""
from __future__ import annotations

import pytest

from oamkit.parse.capture import is_device_error, is_header


@pytest.mark.parametrize("line", [
    "Load for five secs: 1%/0%; one minute: 1%; five minutes: 1%",   # IOS exec timestamp
    "Time source is NTP, 10:01:02.345 UTC Sat Dec 5 2026",
    "Sat Dec  5 10:01:02.345 UTC",                                    # IOS-XR
    "{master:0}", "{backup}",                                         # Junos
    "", "   ",
])
def test_exec_headers_are_headers(line):
    assert is_header(line)


@pytest.mark.parametrize("line", [
    "GigabitEthernet0/1 is up, line protocol is up", "  {master:0} is not alone on its line",
    "Sat Dec  5 10:01:02.345 UTC and more",
])
def test_output_lines_are_not_headers(line):
    assert not is_header(line)


@pytest.mark.parametrize("line", [
    "% Invalid input detected at '^' marker.", "% incomplete COMMAND.", "syntax error, expecting <command>.",
    "  SYNTAX ERROR", "error: unknown command: foo", "Unknown command", "Error: Unrecognized command found",
])
def test_device_refusals_are_errors_in_any_case(line):
    assert is_device_error(line)


@pytest.mark.parametrize("line", ["Interface  Errors", "  CRC errors: 0", "% of time up: 99"])
def test_output_is_not_a_refusal(line):
    assert not is_device_error(line)
