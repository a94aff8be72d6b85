"""The per-target packets-per-second ceiling (`max_target_pps`, `probe --max-target-pps`):
exceeding it is exit 2 naming the target and the rate, before anything is sent; within it the
run goes ahead, and a baseline that probes a target with several protocols slows down to stay
inside it."""
import json

import pytest
import yaml

from oamkit.dr.plan import parse_plan
from oamkit.dr.runner import DrRunner
from oamkit.probe.safety import SafetyError, check_probe_request
from tests.dr.conftest import needs_root, run_cli


def plan(**over):
    d = {"name": "rate", "interval": "20ms", "baseline": "0.5s",
         "sites": [{"name": "a", "target": "127.0.0.1"}, {"name": "b", "target": "127.0.0.2"}],
         "trigger": {"type": "command", "command": ["true"]}, "restore": {"type": "command", "command": ["true"]},
         "convergence_bound": "1s", "failback_bound": "1s", "min_watch": "0.5s"}
    d.update(over)
    return d


def test_guard_names_each_target_over_the_ceiling_and_its_rate():
    with pytest.raises(SafetyError) as exc:
        check_probe_request(["127.0.0.1", "127.0.0.2"], 0.01, 10, None, max_target_pps=50)
    text = str(exc.value)
    assert "127.0.0.1" in text and "127.0.0.2" in text and "100 packets/s" in text and "50" in text
    assert check_probe_request(["127.0.0.1", "127.0.0.2"], 0.01, 10, None, max_target_pps=100) is None


def test_two_protocols_to_one_address_count_together():
    # 127.0.0.1 twice (ICMP and TCP): 200 packets/s to it, over 150; 127.0.0.2 at 100 is fine
    with pytest.raises(SafetyError) as exc:
        check_probe_request(["127.0.0.1", "127.0.0.1", "127.0.0.2"], 0.01, 10, None, max_target_pps=150)
    assert "200 packets/s to target 127.0.0.1 " in str(exc.value) and "127.0.0.2" not in str(exc.value)


def test_plan_over_its_ceiling_stops_with_exit_2_naming_target_and_rate(tmp_path):
    marker = tmp_path / "triggered"
    f = tmp_path / "plan.yaml"
    f.write_text(yaml.safe_dump(plan(max_target_pps=40, trigger={"type": "command", "command": ["touch", str(marker)]})))
    for extra in ([], ["--check"]):
        p = run_cli("drtest", str(f), *extra, timeout=60)
        assert p.returncode == 2, p.stdout + p.stderr
        assert "50 packets/s to target 127.0.0.1, 127.0.0.2" in p.stderr and "40" in p.stderr, p.stderr
    assert not marker.exists()


def test_probe_command_over_the_ceiling_is_exit_2(tmp_path):
    p = run_cli("probe", "127.0.0.1", "--interval", "10ms", "--count", "3", "--max-target-pps", "50", timeout=60)
    assert p.returncode == 2 and "100 packets/s to target 127.0.0.1" in p.stderr, p.stderr


@needs_root()
def test_probe_command_within_the_ceiling_runs():
    p = run_cli("probe", "127.0.0.1", "--interval", "10ms", "--count", "5", "--max-target-pps", "100", "--json",
                timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["targets"][0]["sent"] == 5


@needs_root()
def test_baseline_with_a_fallback_stays_within_the_per_target_ceiling():
    """ICMP and the TCP fallback both go to the target at baseline: at the plan's interval
    that is twice the per-site rate, so the baseline must slow down, not exceed the ceiling."""
    sites = [{"name": "a", "target": "127.0.0.1", "fallback": "tcp:9"}]
    runner = DrRunner(parse_plan(plan(sites=sites, max_target_pps=50)), realtime=False)
    result = runner.run()
    # reachable at baseline and after; the `true` trigger shows no failover: not a PASS
    assert result["verdict"] == "INCONCLUSIVE", result["summary"]
    assert result["sites"][0]["reachable_before"] and not result["sites"][0]["reasons"]
    base = result["engine"]["baseline"]
    assert base["rate_pps"] <= 50 * 1.05, base
