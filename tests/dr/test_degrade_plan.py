"""Degrade triggers in DR plans: validated before anything is sent (exit 2 naming the key and
value), and the nftables rules they make are accepted by the kernel and removed again."""
import os
import subprocess

import pytest
import yaml

from oamkit.dr.degrade import apply, ruleset
from oamkit.dr.plan import Step, load_plan, parse_errored_frames
from oamkit.errors import InputError
from tests.dr.conftest import needs_root, run_cli

LINK = {"link": "wan1", "netns": "lab-ce", "interface": "wan1"}
GOOD = {
    "name": "t", "interval": "10ms", "sites": [{"name": "a", "target": "127.0.0.1"}],
    "trigger": {"type": "degrade", **LINK, "errored_frames": "2%"},
    "restore": {"type": "degrade", **LINK, "errored_frames": 0},
    "bfd": {"interval": "100ms", "multiplier": 3},
}


def write(tmp_path, data):
    p = tmp_path / "plan.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_good_degrade_plan(tmp_path):
    plan = load_plan(write(tmp_path, GOOD))
    assert plan.trigger.errored_frames == "2%" and plan.bfd.interval == 0.1 and plan.bfd.multiplier == 3
    assert parse_errored_frames("2%") == (0.02, None)
    assert parse_errored_frames("50/s") == (None, 50.0)
    assert parse_errored_frames(0) == (0.0, None)


@pytest.mark.parametrize("mutate,key,value", [
    (lambda d: d["trigger"].update(errored_frames="2"), "trigger", "2"),
    (lambda d: d["trigger"].update(errored_frames="150%"), "trigger", "150%"),
    (lambda d: d["trigger"].update(errored_frames=0), "trigger.errored_frames", None),
    (lambda d: d["restore"].update(errored_frames="1%"), "restore.errored_frames", None),
    (lambda d: d["trigger"].pop("netns"), "trigger", None),
    (lambda d: d["trigger"].update(interface="wan1; reboot"), "trigger", "wan1; reboot"),
    (lambda d: d["trigger"].update(netns="../../x"), "trigger", "../../x"),
    (lambda d: d["restore"].update(interface="wan2"), "restore", None),
    (lambda d: d["trigger"].update(device_interface="Gi0/1"), "trigger", None),
    (lambda d: d.update(bfd={"interval": "fast"}), "bfd.interval", "fast"),
])
def test_bad_degrade_plan_names_key_and_value(tmp_path, mutate, key, value):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(InputError) as exc:
        load_plan(path)
    text = str(exc.value)
    assert str(path) in text and key in text, text
    if value is not None:
        assert value in text, text


def test_degrade_naming_a_device_needs_an_inventory(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["trigger"].update(device="edge-1", device_interface="Gi0/1")
    p = run_cli("drtest", str(write(tmp_path, data)))
    assert p.returncode == 2 and "--inventory" in p.stderr, p.stderr


@needs_root()
def test_degrade_on_a_missing_namespace_stops_before_sending(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    for step in ("trigger", "restore"):
        data[step]["netns"] = f"nonexistent{os.getpid()}"
    p = run_cli("drtest", str(write(tmp_path, data)))
    assert p.returncode == 2, p.stdout + p.stderr
    assert "trigger.netns/interface" in p.stderr and "nothing was sent" in p.stderr


@needs_root()
@pytest.mark.parametrize("errored,expect", [("2%", "numgen random mod 1000000 < 20000"),
                                            ("50/s", "limit rate 50/second")])
def test_rules_are_accepted_by_nftables_and_removed(errored, expect):
    ns = f"dgp{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "add", "wan1", "type", "veth", "peer", "name", "wan1p"], check=True)
        step = Step(type="degrade", link="wan1", netns=ns, errored_frames=errored)
        assert expect in ruleset(step)
        apply(step)
        apply(step)                          # again: replaced in one transaction, not doubled
        listed = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"], capture_output=True,
                                text=True, check=True).stdout
        assert listed.count("counter packets") == 1 and 'device "wan1"' in listed and "drop" in listed
        apply(Step(type="degrade", link="wan1", netns=ns, errored_frames="0"))
        apply(Step(type="degrade", link="wan1", netns=ns, errored_frames="0"))   # idempotent
        listed = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"], capture_output=True,
                                text=True, check=True).stdout
        assert "oamkit_degrade" not in listed
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)
