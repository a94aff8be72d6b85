"""The reviewer's frame_seconds case against the lab over real SSH: a burst of 14 CRC errors
on an IOS-XR interface (frame_seconds 60 s, low 1, high 5) is not "60 errored seconds, the
high threshold would have fired": the device's own event log, read by the check, decides."""
from __future__ import annotations

import time

from tests.checks.test_check_lab import by_interface, check_json, env, oamkit  # noqa: F401

ITF = "GigabitEthernet0/0/0/0"


def test_a_burst_is_judged_by_the_devices_own_frame_seconds_events(lab, lab_inventory, env):
    pushed = oamkit(env, "push", "-i", str(lab_inventory), "--limit", "xr-1", "--json",
                    "--confirm-timeout", "3600")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    check_json(env, lab_inventory, "--limit", "xr-1")             # the baseline sample
    time.sleep(1.5)
    lab.inject_errors("xr-1", ITF, burst_crc=14)
    time.sleep(1.5)
    _, report = check_json(env, lab_inventory, "--limit", "xr-1")
    rate = by_interface(report, "xr-1")[1][ITF]["error_rate"]
    # the frame monitor's crossing is reported (unchanged); frame_seconds is not: the device
    # logged no frame-seconds event (the lab's monitor logs only Errored Frame events)
    assert "frame: at " in rate["message"] and "frame_seconds" not in rate["message"], rate
    assert rate["status"] == "WARNING", rate
    assert rate["perfdata"]["frame_seconds_events_logged"] == 0, rate
    assert rate["perfdata"]["frame_seconds_per_window_min"] == 1
    assert "frame_seconds_per_window" not in rate["perfdata"]
