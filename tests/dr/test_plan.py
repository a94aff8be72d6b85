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
