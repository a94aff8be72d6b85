"""Interface and source pinning (issue: DR tests on real networks, 1): a pinned interface or
source address applies to every probe, path probes included. oamkit runs inside `host`, a
namespace this test creates, with two uplinks to two different next hops; the default route
uses eth0, so anything not pinned leaves by eth0. nftables counters in `host` count oamkit's
probes per outgoing interface and source address:

    host eth0 10.77.0.1, .2 -- pa 10.77.0.9 --\\
                                               dst (10.77.9.9 on lo)
    host eth1 10.78.0.1     -- pb 10.78.0.9 --/
"""
import json
import os
import subprocess

import pytest
import yaml

from tests.dr.conftest import nft_counters, oamkit_in

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="needs root: namespaces and raw sockets")]

TARGET = "10.77.9.9"
ALLOW = ["10.77.9.0/24", "10.77.0.9", "10.78.0.9"]
# oamkit's own probes only: echo requests, SYNs (not the kernel's RSTs to SYN-ACKs, which are
# routed by the kernel, not sent by oamkit) and TTL-1 path probes, per interface and source
RULES = {
    "eth0 echo": 'oifname "eth0" icmp type echo-request', "eth1 echo": 'oifname "eth1" icmp type echo-request',
    "eth0 syn": 'oifname "eth0" tcp flags & (syn | ack) == syn',
    "eth1 syn": 'oifname "eth1" tcp flags & (syn | ack) == syn',
    "eth0 ttl1": 'oifname "eth0" ip ttl 1', "eth1 ttl1": 'oifname "eth1" ip ttl 1',
    ".1 syn": 'ip saddr 10.77.0.1 tcp flags & (syn | ack) == syn',
    ".2 syn": 'ip saddr 10.77.0.2 tcp flags & (syn | ack) == syn',
    ".1 ttl1": 'ip saddr 10.77.0.1 ip ttl 1', ".2 ttl1": 'ip saddr 10.77.0.2 ip ttl 1',
}


def sh(*args, check=True, input=None):
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30, input=input)


def link(a, ia, addr_a, b, ib, addr_b):
    sh("ip", "link", "add", ia, "netns", a, "type", "veth", "peer", "name", ib, "netns", b)
    sh("ip", "-n", a, "addr", "add", addr_a, "dev", ia)
    sh("ip", "-n", b, "addr", "add", addr_b, "dev", ib)
    sh("ip", "-n", a, "link", "set", ia, "up")
    sh("ip", "-n", b, "link", "set", ib, "up")


@pytest.fixture(scope="module")
def net():
    p = f"okp{os.getpid() % 100000}"
    host, pa, pb, dst = (f"{p}-{r}" for r in ("host", "pa", "pb", "dst"))
    try:
        for ns in (host, pa, pb, dst):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
               "net.ipv4.conf.default.rp_filter=0")
        for r in (pa, pb):
            sh("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        link(host, "eth0", "10.77.0.1/24", pa, "lan0", "10.77.0.9/24")
        sh("ip", "-n", host, "addr", "add", "10.77.0.2/24", "dev", "eth0")
        link(host, "eth1", "10.78.0.1/24", pb, "lan0", "10.78.0.9/24")
        link(pa, "core0", "10.77.1.1/30", dst, "up0", "10.77.1.2/30")
        link(pb, "core0", "10.78.1.1/30", dst, "up1", "10.78.1.2/30")
        sh("ip", "-n", dst, "addr", "add", f"{TARGET}/32", "dev", "lo")
        sh("ip", "-n", pa, "route", "add", f"{TARGET}/32", "via", "10.77.1.2")
        sh("ip", "-n", pb, "route", "add", f"{TARGET}/32", "via", "10.78.1.2")
        sh("ip", "-n", dst, "route", "add", "10.77.0.0/24", "via", "10.77.1.1")
        sh("ip", "-n", dst, "route", "add", "10.78.0.0/24", "via", "10.78.1.1")
        # the preferred route by eth0 (source .1); a worse one by eth1, for a pinned eth1
        sh("ip", "-n", host, "route", "add", f"{TARGET}/32", "via", "10.77.0.9", "src", "10.77.0.1", "metric", "10")
        sh("ip", "-n", host, "route", "add", f"{TARGET}/32", "via", "10.78.0.9", "metric", "20")
        rules = "".join(f"  {r} counter comment \"{name}\"\n" for name, r in RULES.items())
        sh("ip", "netns", "exec", host, "nft", "-f", "-", input=(
            "table inet okp {\n chain out {\n  type filter hook output priority 0; policy accept;\n"
            f"{rules} }}\n}}\n"))
        yield host
    finally:
        for ns in (host, pa, pb, dst):
            sh("ip", "netns", "del", ns, check=False)


def counters(ns):
    return nft_counters(ns, "okp", lambda rule: rule["comment"])


def delta(host, before):
    return {k: v - before[k] for k, v in counters(host).items()}


def plan(tmp_path, **over):
    d = {"name": "pinning", "interval": "20ms", "baseline": "0.5s", "allow": ALLOW,
         "sites": [{"name": "icmp", "target": TARGET}, {"name": "tcp", "target": TARGET, "proto": "tcp:8443"}],
         "max_target_pps": 200,
         "trigger": {"type": "command", "command": ["true"]}, "restore": {"type": "command", "command": ["true"]},
         "convergence_bound": "1s", "failback_bound": "1s", "min_watch": "0.5s"}
    d.update(over)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def by_eth1(tmp_path):
    """Both path expectations name eth1's next hop: a path probe that left by eth0 would see
    10.77.0.9 there and fail the site."""
    hop = {"next_hop": "10.78.0.9", "label": "uplink B"}
    return plan(tmp_path, source={"interface": "eth1"}, paths={"normal": hop, "failover": hop})


def test_unpinned_probes_leave_by_the_default_route(net, tmp_path):
    """The control: without a pin the same plan leaves by eth0, and its path check sees pa."""
    before = counters(net)
    p = oamkit_in(net, "drtest", str(plan(tmp_path, paths={"normal": {"next_hop": "10.78.0.9"}})), "--json")
    d = delta(net, before)
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["sites"][0]["path_before"]["seen"] == "10.77.0.9"
    assert d["eth0 echo"] > 0 and d["eth0 syn"] > 0 and d["eth0 ttl1"] > 0 and d["eth1 echo"] == 0, d


def test_pinned_interface_carries_every_probe_path_probes_included(net, tmp_path):
    before = counters(net)
    p = oamkit_in(net, "drtest", str(by_eth1(tmp_path)), "--json")
    d = delta(net, before)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    res = json.loads(p.stdout)
    assert res["verdict"] == "PASS" and all(s["path_after"]["seen"] == "10.78.0.9" for s in res["sites"])
    assert d["eth1 echo"] > 0 and d["eth1 syn"] > 0 and d["eth1 ttl1"] > 0, d
    assert d["eth0 echo"] == d["eth0 syn"] == d["eth0 ttl1"] == 0, d


def test_probe_command_interface_pin_also_for_trace(net):
    before = counters(net)
    for proto in ("icmp", "tcp:8443"):
        p = oamkit_in(net, "probe", TARGET, "--allow", TARGET, "--interface", "eth1", "--proto", proto,
                      "--count", "5", "--json")
        assert p.returncode == 0, p.stderr
    p = oamkit_in(net, "probe", TARGET, "--allow", TARGET, "--interface", "eth1", "--trace", "--max-ttl", "3",
                  "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)[0]["hops"][0] == "10.78.0.9"
    d = delta(net, before)
    assert d["eth1 echo"] >= 5 and d["eth1 syn"] >= 5 and d["eth1 ttl1"] >= 1, d
    assert d["eth0 echo"] == d["eth0 syn"] == d["eth0 ttl1"] == 0, d


def test_pinned_source_address_is_used_by_tcp_and_path_probes(net, tmp_path):
    """TCP probes are built by oamkit (raw socket): the source pin must be in the packet and
    in its checksum, or the target drops every SYN and the site looks down."""
    before = counters(net)
    hop = {"next_hop": "10.77.0.9"}
    p = oamkit_in(net, "drtest", str(plan(tmp_path, source={"address": "10.77.0.2"},
                                          paths={"normal": hop, "failover": hop})), "--json")
    d = delta(net, before)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    res = json.loads(p.stdout)
    tcp = next(s for s in res["sites"] if s["name"] == "tcp")
    assert tcp["measured_with"] == "tcp:8443" and tcp["failover"]["recovered"] and tcp["verdict"] == "PASS"
    assert tcp["baseline"]["tcp:8443"]["answered"] == tcp["baseline"]["tcp:8443"]["sent"] > 0
    assert d[".2 syn"] > 0 and d[".1 syn"] == 0, d
    assert d[".2 ttl1"] > 0 and d[".1 ttl1"] == 0, d          # path probes from the pinned source too
    p = oamkit_in(net, "probe", TARGET, "--allow", TARGET, "--source", "10.77.0.2", "--proto", "tcp:8443",
                  "--count", "5", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["targets"][0]["answered"] == 5, p.stdout + p.stderr
    assert delta(net, before)[".2 syn"] >= d[".2 syn"] + 5
