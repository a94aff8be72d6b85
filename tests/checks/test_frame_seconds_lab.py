"""frame_seconds against the lab over real SSH: a burst of CRC errors on an IOS-XR interface
is not "every second of the window errored, the high threshold would have fired": the device's
own event log, read by the check, decides (the lab's Errored Frame Seconds Summary monitor
counts the seconds that held errors, oamkit/lab/events.py)."""
from __future__ import annotations

import re
import time

import pytest
import yaml

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
    # logged no frame-seconds event (its 60 s window has not ended, and held one errored second)
    assert "frame: at " in rate["message"] and "frame_seconds" not in rate["message"], rate
    assert rate["status"] == "WARNING", rate
    assert rate["perfdata"]["frame_seconds_events_logged"] == 0, rate
    assert rate["perfdata"]["frame_seconds_per_window_min"] == 1
    assert "frame_seconds_per_window" not in rate["perfdata"]


# (host, burst port, steady port, what the device's own record says of the steady port)
DEVICES = {
    # IOS-XR's event log holds each event's value: the high threshold is known to have fired
    "xr-1": ("GigabitEthernet0/0/0/0", "GigabitEthernet0/0/0/1", "CRITICAL",
             r"the device logged \d+ errored-frame-seconds event\(s\) between the samples: "
             r"the high threshold of 8 in 10 ?s( window)? fired"),
    # IOS counts its events per type (show ethernet oam statistics): that one fired, not which
    "ios-1": ("GigabitEthernet0/1", "GigabitEthernet0/2", "WARNING",
              r"the device counted \d+ errored-frame-seconds event\(s\) between the samples: "
              r"the low threshold of 2 in 10 ?s( window)? fired; the high threshold of 8 may "
              r"have fired too"),
}


@pytest.mark.parametrize("host", sorted(DEVICES))
def test_the_devices_frame_seconds_events_decide_a_burst_ok_and_a_steady_rate(host, lab, lab_inventory, env):
    """One window of 10 s, low 2, high 8: a burst of 5,000 errors on one interface is one errored
    second (the device has no event: OK, though the counters alone allow up to 10); 3 errors a
    second on the other make every second errored (the device's own record decides)."""
    burst_itf, steady_itf, steady_status, steady_message = DEVICES[host]
    (lab_inventory / "policies" / "seconds.yaml").write_text(yaml.safe_dump({"seconds-10s": {
        "link_monitor": {"frame_seconds": {"window": "10s", "low": 2, "high": 8}}}}))
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts[host]["data"]["oam"]["policy"] = "seconds-10s"
    hosts_file.write_text(yaml.safe_dump(hosts))
    pushed = oamkit(env, "push", "-i", str(lab_inventory), "--limit", host, "--json",
                    "--confirm-timeout", "3600")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    check_json(env, lab_inventory, "--limit", host)             # the baseline sample
    lab.inject_errors(host, burst_itf, burst_crc=5000)
    lab.inject_errors(host, steady_itf, crc_per_second=3)
    time.sleep(21)   # two whole 10 s windows of the device's monitor after the injection
    _, report = check_json(env, lab_inventory, "--limit", host)
    rates = {itf: r["error_rate"] for itf, r in by_interface(report, host)[1].items() if itf}
    burst, steady = rates[burst_itf], rates[steady_itf]
    assert burst["perfdata"]["frame_seconds_events_logged"] == 0, burst
    assert burst["perfdata"]["frame_seconds_per_window_max"] >= 2, burst   # the counters alone: maybe
    assert burst["status"] == "OK", burst
    assert steady["perfdata"]["frame_seconds_events_logged"] >= 2, steady
    assert re.search(steady_message, steady["message"]), steady
    assert steady["status"] == steady_status, steady
