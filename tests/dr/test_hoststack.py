"""DR tests and probes on "a real network" (issue: DR tests on real networks, 1 and 4): oamkit
runs *inside* a namespace this test creates, as if it were the operator's host: no `netns`
in the plan, an `allow:` list, targets in a second namespace. Nothing leaves these two."""
import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from oamkit.probe.analysis import slot_stats
from oamkit.probe.engine import ProbeEngine, Slot
from oamkit.probe.proto import ProbeProto
from oamkit.probe.safety import parse_allow
from tests.dr.conftest import nft_counters, oamkit_in

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="needs root: namespaces and raw sockets")]

TARGET = "10.77.9.9"


def sh(*args, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


@pytest.fixture(scope="module")
def hosts():
    """host (10.77.0.1 and .2 on eth0) -- peer (10.77.0.9; 10.77.9.9 on lo, TCP 8443 listener)."""
    p = f"okt{os.getpid() % 100000}"
    host, peer = f"{p}-host", f"{p}-peer"
    listener = None
    try:
        for ns in (host, peer):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "eth0", "netns", host, "type", "veth", "peer", "name", "eth0", "netns", peer)
        sh("ip", "-n", host, "addr", "add", "10.77.0.1/24", "dev", "eth0")
        sh("ip", "-n", host, "addr", "add", "10.77.0.2/24", "dev", "eth0")
        sh("ip", "-n", peer, "addr", "add", "10.77.0.9/24", "dev", "eth0")
        sh("ip", "-n", peer, "addr", "add", f"{TARGET}/32", "dev", "lo")
        for ns in (host, peer):
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", host, "route", "add", f"{TARGET}/32", "via", "10.77.0.9", "src", "10.77.0.1")
        # count what reaches the peer, by source address: proves "nothing sent" and pinning
        sh("ip", "netns", "exec", peer, "nft", "-f", "-", check=True) if False else None
        subprocess.run(["ip", "netns", "exec", peer, "nft", "-f", "-"], check=True, text=True, input=(
            "table inet okt {\n chain in {\n  type filter hook input priority 0; policy accept;\n"
            "  ip saddr 10.77.0.1 counter\n  ip saddr 10.77.0.2 counter\n }\n}\n"))
        listener = subprocess.Popen(["ip", "netns", "exec", peer, sys.executable, "-c",
                                     "import socket,time\ns=socket.socket();s.bind(('0.0.0.0',8443));s.listen(64)\n"
                                     "while True:\n c,_=s.accept();c.close()"])
        time.sleep(0.5)
        yield {"host": host, "peer": peer}
    finally:
        if listener:
            listener.kill()
            listener.wait(5)
        for ns in (host, peer):
            sh("ip", "netns", "del", ns, check=False)


def counters(ns):
    return nft_counters(ns, "okt", lambda rule: next(e["match"]["right"] for e in rule["expr"] if "match" in e))


def plan(tmp_path, **over):
    d = {"name": "Branch 7 annual DR test", "interval": "20ms", "baseline": "0.5s", "allow": ["10.77.9.0/24"],
         "sites": [{"name": "dc", "target": TARGET, "fallback": "tcp:8443"}],
         "trigger": {"type": "command", "command": ["true"]}, "restore": {"type": "command", "command": ["true"]},
         "convergence_bound": "1s", "failback_bound": "1s", "min_watch": "0.5s"}
    d.update(over)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def test_target_outside_the_allow_list_stops_with_exit_2_and_nothing_sent(hosts, tmp_path):
    before = counters(hosts["peer"])
    p = oamkit_in(hosts["host"], "drtest", str(plan(tmp_path, allow=["10.77.8.0/24"])))
    assert p.returncode == 2 and TARGET in p.stderr and "allow" in p.stderr, p.stderr
    p = oamkit_in(hosts["host"], "probe", TARGET, "--count", "3")          # no allow-list at all
    assert p.returncode == 2 and TARGET in p.stderr
    hop = {"normal": {"hop": "10.66.0.1", "ttl": 1}}
    p = oamkit_in(hosts["host"], "drtest", str(plan(tmp_path, paths=hop)))  # a hop outside the list
    assert p.returncode == 2 and "10.66.0.1" in p.stderr, p.stderr
    assert counters(hosts["peer"]) == before


def test_drtest_from_the_host_stack_with_an_allow_list(hosts, tmp_path):
    before = counters(hosts["peer"])
    p = oamkit_in(hosts["host"], "drtest", str(plan(tmp_path)), "--json")
    # the `true` trigger cuts nothing and the plan has no failover path: not demonstrated (3)
    assert p.returncode == 3, p.stderr
    res = json.loads(p.stdout)
    assert res["verdict"] == "INCONCLUSIVE" and res["sites"][0]["reachable_before"]
    assert not res["sites"][0]["reasons"] and res["sites"][0]["failover_evidence"] == []
    after = counters(hosts["peer"])
    assert after["10.77.0.1"] > before["10.77.0.1"] and after["10.77.0.2"] == before["10.77.0.2"]


def test_check_prints_route_and_budget_and_sends_nothing(hosts, tmp_path):
    marker = tmp_path / "triggered"
    before = counters(hosts["peer"])
    p = oamkit_in(hosts["host"], "drtest", str(plan(tmp_path, trigger={"type": "command", "command": ["touch", str(marker)]})),
                  "--check", "--json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    t = info["targets"][0]
    assert (t["source"], t["interface"], t["next_hop"]) == ("10.77.0.1", "eth0", "10.77.0.9")
    # 50/s at the 20 ms interval; the baseline probes ICMP and the TCP fallback: 100/s to the target
    assert info["budget"]["per_target_pps"] == 100 and info["budget"]["total_packets_max"] > 0
    assert counters(hosts["peer"]) == before and not marker.exists()
    p = oamkit_in(hosts["host"], "drtest", str(plan(tmp_path)), "--check")
    assert p.returncode == 0 and "next hop 10.77.0.9" in p.stdout and "packets/s" in p.stdout, p.stdout


def test_pinned_source_address_applies_to_every_probe(hosts, tmp_path):
    before = counters(hosts["peer"])
    # the peer owns the target: it answers a TTL-1 path probe itself, the "failover hop" that
    # proves the site (path probes must carry the pinned source too)
    p = oamkit_in(hosts["host"], "drtest", str(plan(tmp_path, source={"address": "10.77.0.2"},
                                                    paths={"failover": {"hop": TARGET, "ttl": 1}})), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["sites"][0]["failover_evidence"] == ["path"]
    after = counters(hosts["peer"])
    assert after["10.77.0.2"] > before["10.77.0.2"] and after["10.77.0.1"] == before["10.77.0.1"]
    p = oamkit_in(hosts["host"], "probe", TARGET, "--allow", TARGET, "--interface", "eth0", "--count", "5", "--json")
    assert p.returncode == 0, p.stderr


def test_tcp_probes_follow_a_source_address_change(hosts):
    """Failover changes the source address: a TCP checksum computed once with the old one made
    every later SYN invalid, and the site never recovered."""
    host = hosts["host"]
    e = ProbeEngine([Slot(TARGET, ProbeProto("tcp", 8443))], 0.02, 100, netns=host, realtime=False,
                    allow=parse_allow([TARGET]))
    e.start()
    try:
        time.sleep(0.8)
        sh("ip", "-n", host, "route", "replace", f"{TARGET}/32", "via", "10.77.0.9", "src", "10.77.0.2")
        run = e.finish()
    finally:
        e.close()
        sh("ip", "-n", host, "route", "replace", f"{TARGET}/32", "via", "10.77.0.9", "src", "10.77.0.1")
    late = slot_stats(run, 0, t_from=run.t0 + 1.2)
    assert late["sent"] > 20 and late["answered"] == late["sent"], late
