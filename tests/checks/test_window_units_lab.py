"""`check` compares each window the device shows (its own show output, read in IEEE units)
with the intent: a device that counts a window in another unit than the one oamkit sent is
caught. IOS's frame-period window is documented in blocks of 10,000 frames, and the ASR 920
guide prints "x 100,000 frames": a lab IOS with that quirk says the 1,000,000-frame intent
(`window 100`) is 10,000,000 frames; the configuration lines alone match exactly."""
from __future__ import annotations

from .test_check_lab import by_interface, check_json, env, oamkit, pushed  # noqa: F401  (fixtures)


def test_a_window_the_device_counts_in_other_units_is_reported(lab, pushed, env):  # noqa: F811
    code, report = check_json(env, pushed, "--limit", "ios-1")
    _, ios = by_interface(report, "ios-1")
    assert ios["GigabitEthernet0/1"]["thresholds"]["status"] == "OK", ios["GigabitEthernet0/1"]
    lab.device("ios-1").faults.extra["ios_frame_period_block"] = 100_000
    code, report = check_json(env, pushed, "--limit", "ios-1")
    _, ios = by_interface(report, "ios-1")
    result = ios["GigabitEthernet0/1"]["thresholds"]
    assert result["status"] == "WARNING", result
    assert ("frame_period window as 10,000,000 frames, the intent is 1,000,000 frames"
            in result["message"]), result
    assert ios[None]["config_drift"]["status"] == "OK"   # the lines themselves are as sent
