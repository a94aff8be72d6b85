"""Plans are validated before anything is sent: bad plan -> InputError, exit 2, file and key."""
import sys
from pathlib import Path

import pytest
import yaml

from oamkit.dr.plan import load_plan
from oamkit.errors import InputError

from tests.dr.conftest import run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "drtest" / "plan.yaml"

GOOD = {
    "name": "t", "interval": "10ms",
    "sites": [{"name": "a", "target": "127.0.0.1"}, {"name": "b", "target": "127.0.0.2", "proto": "tcp:443"}],
    "paths": {"normal": {"hop": "10.11.0.2", "ttl": 2}},
    "trigger": {"type": "command", "command": "true"},
    "restore": {"type": "manual", "prompt": "restore it"},
    "convergence_bound": "2s",
}


def write(tmp_path, data):
    p = tmp_path / "plan.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_good_plan_loads_with_units(tmp_path):
    plan = load_plan(write(tmp_path, GOOD))
    assert plan.interval == pytest.approx(0.01) and plan.convergence_bound == 2.0
    assert plan.sites[1].proto == "tcp:443"
    assert plan.expect(plan.sites[0], "normal").hop == "10.11.0.2"


def test_next_hop_is_the_first_hop(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["sites"][0]["paths"] = {"failover": {"next_hop": "10.10.0.254"}}
    plan = load_plan(write(tmp_path, data))
    e = plan.expect(plan.sites[0], "failover")
    assert (e.hop, e.ttl) == ("10.10.0.254", 1)
    assert plan.expect(plan.sites[1], "failover") is None


@pytest.mark.parametrize("mutate,key", [
    (lambda d: d["sites"][1].update(proto="tcp:70000"), "sites.1.proto"),
    (lambda d: d["sites"][0].update(target="10.1.1"), "sites.0.target"),
    (lambda d: d.update(interval="0.1us"), "interval"),
    (lambda d: d.update(trigger={"type": "action", "action": "shutdown"}), "trigger"),
    (lambda d: d.update(extra_key=1), "extra_key"),
    (lambda d: d["sites"].append({"name": "a", "target": "127.0.0.3"}), "duplicate site names"),
    (lambda d: d["paths"].update(failover={"ttl": 2}), "paths.failover"),
    (lambda d: d["paths"].update(failover={"next_hop": "10.10.0.1", "hop": "10.10.0.2"}), "paths.failover"),
])
def test_bad_plan_names_file_and_key(tmp_path, mutate, key):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(InputError) as exc:
        load_plan(path)
    assert str(path) in str(exc.value) and key in str(exc.value)


def test_cli_exit_2_on_bad_plan_before_sending(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["sites"][0]["proto"] = "gre"
    path = write(tmp_path, data)
    p = run_cli("drtest", str(path))
    assert p.returncode == 2, p.stderr
    assert "sites.0.proto" in p.stderr and str(path) in p.stderr


def test_cli_exit_2_on_non_lab_target(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["sites"][0]["target"] = "192.0.2.10"
    p = run_cli("drtest", str(write(tmp_path, data)))
    assert p.returncode == 2 and "lab" in p.stderr, p.stderr


def test_example_plan_is_valid():
    plan = load_plan(EXAMPLE)
    assert plan.trigger.type in ("command", "manual", "action")
    assert sys.version_info >= (3, 11)


@pytest.mark.parametrize("mutate,expected", [
    # a bare number is seconds: 3000 meant as ms makes a 3032 s watch
    (lambda d: d.update(convergence_bound=3000),
     "plan.yaml: convergence_bound: 3000 s (a bare number is seconds; did you mean 3000ms?) makes the "
     "trigger watch last 3032 s (pre 0.5 s + trigger.timeout 30 s + convergence_bound 3000 s + settle 0.5 s "
     "+ 1 s), over the maximum 900 s (got 3000)"),
    (lambda d: d["trigger"].update(timeout="1e9s"),
     "plan.yaml: trigger.timeout: 1e9s makes the trigger watch last 1000000004 s"),
    (lambda d: d.update(interval="1ms", convergence_bound="200s"),     # 232 s, but 232,000 probes
     "plan.yaml: convergence_bound: 200s makes the trigger watch send 232000 probes per site at "
     "interval 1 ms"),
    (lambda d: d.update(failback_bound="700s"),                     # the manual restore's 300 s
     "plan.yaml: failback_bound: 700s makes the restore watch last 1002 s"),
    (lambda d: d.update(baseline="1000"),
     "plan.yaml: baseline: 1000 s (a bare number is seconds; did you mean 1000ms?) makes the baseline last "
     "1000 s, over the maximum 900 s"),
])
def test_a_too_long_run_is_refused_naming_the_plan_key_and_value_as_written(tmp_path, mutate, expected):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(data)
    p = run_cli("drtest", str(write(tmp_path, data)), "--check", cwd=tmp_path)
    assert p.returncode == 2, p.stdout + p.stderr
    assert expected in p.stderr, p.stderr
    assert "count" not in p.stderr and "nothing was sent" in p.stderr.lower()
