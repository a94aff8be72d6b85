"""A directed broadcast (a subnet's last address) is no single host: where oamkit knows the
subnet (a subnet connected where the probes leave from, an allow-list prefix), such a target is
refused with exit 2 before any packet is sent, naming the site, the target and the subnet. A
/31 (RFC 3021) and a /32 have no broadcast address: their addresses stay allowed.

oamkit runs inside a namespace of this test's own (a veth with a /24 and a /31), as
on an operator's host: `ip netns exec NS oamkit ...`."""
import json
import os
import subprocess

import pytest
import yaml

from tests.dr.conftest import needs_root, oamkit_in

pytestmark = [needs_root()]


@pytest.fixture
def ns():
    name = f"t{os.getpid() % 100000}bc"          # per process, like the WAN lab's prefix
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for cmd in (["link", "add", "bc0", "type", "veth", "peer", "name", "bc1"], ["addr", "add", "192.0.2.1/24", "dev", "bc0"],
                    ["addr", "add", "198.51.100.0/31", "dev", "bc0"], ["link", "set", "bc0", "up"], ["link", "set", "bc1", "up"]):
            subprocess.run(["ip", "-n", name, *cmd], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _plan(tmp_path, sites: dict[str, str]):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({
        "sites": [{"name": n, "target": t} for n, t in sites.items()],
        "trigger": {"type": "command", "command": "true"}, "restore": {"type": "command", "command": "true"}}))
    return plan


def test_drtest_refuses_the_broadcast_of_a_connected_subnet_and_allows_a_31(ns, tmp_path):
    # the allow-list alone does not know the /24: 192.0.2.255 is no prefix's last address
    plan = _plan(tmp_path, {"lan-bcast": "192.0.2.255", "p2p": "198.51.100.1", "lan-host": "192.0.2.7"})
    done = oamkit_in(ns, "drtest", str(plan), "--check", "--allow", "192.0.0.0/8", "--allow", "198.51.100.0/24")
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"{plan}: sites.0.target: site lan-bcast: target 192.0.2.255 is the broadcast address of "
            f"192.0.2.0/24 (connected on bc0 here)") in done.stderr, done.stderr
    assert "sites.1" not in done.stderr and "sites.2" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr

    ok = oamkit_in(ns, "drtest", str(_plan(tmp_path, {"p2p": "198.51.100.1", "lan-host": "192.0.2.7"})),
                   "--check", "--allow", "192.0.0.0/8", "--allow", "198.51.100.0/24")
    assert ok.returncode == 0, ok.stdout + ok.stderr        # the /31's second address is a host


def test_probe_refuses_the_broadcast_of_a_connected_subnet_before_sending(ns):
    done = oamkit_in(ns, "probe", "192.0.2.255", "--allow", "192.0.0.0/8", "--count", "1", "--json")
    assert done.returncode == 2, done.stdout + done.stderr
    problems = json.loads(done.stdout)["problems"]          # --json: the refusal is in the JSON
    assert [(p["field"], p["value"]) for p in problems] == [("target", "192.0.2.255")], problems
    assert problems[0]["message"].startswith(
        "target 192.0.2.255 is the broadcast address of 192.0.2.0/24 (connected on bc0 here)"), problems


def test_drtest_refuses_the_last_address_of_an_allow_list_prefix_but_not_of_a_31(ns, tmp_path):
    # no interface holds 10.9.8.0/24 here: the allow-list prefix is what names the subnet
    plan = _plan(tmp_path, {"far-bcast": "10.9.8.255", "far-p2p": "10.9.9.1"})
    done = oamkit_in(ns, "drtest", str(plan), "--check", "--allow", "10.9.8.0/24", "--allow", "10.9.9.0/31")
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"{plan}: sites.0.target: site far-bcast: target 10.9.8.255 is the broadcast address of "
            f"10.9.8.0/24 (an allow-list prefix") in done.stderr, done.stderr
    assert "10.9.9.1" not in done.stderr and "sites.1" not in done.stderr, done.stderr
