"""A name lookup that gets no answer (the DNS server down or filtered away, as a DR test may
leave it) must not hold a host past its deadline. Python's resolver call has no timeout, and
glibc waits 5 s x 2 attempts for each silent server: a host given 3 s took 10 s, and the
error said only "Temporary failure in name resolution".

The test runs oamkit in a network namespace of its own whose resolv.conf (`ip netns exec`
mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf) names a DNS server on the
namespace's loopback that reads queries and never answers. Needs root and iproute2."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from oamkit.lab.procs import pid_alive
from oamkit.lab.wan import list_netns

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"),
                                reason="needs root and iproute2 (ip netns) for a DNS server of its own")

SILENT_DNS = ("import socket, time\n"
              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "s.bind(('127.0.0.1', 53))\n"
              "print('bound', flush=True)\n"
              "deadline = time.monotonic() + 300\n"
              "s.settimeout(1)\n"
              "while time.monotonic() < deadline:\n"
              "    try:\n"
              "        s.recv(4096)   # a query: read, never answered\n"
              "    except OSError:\n"
              "        pass\n")


# netmiko (the default), NETCONF (ncclient), and the asyncssh driver (its hosts on the event loop)
NAMES = ("ios-1", "xr-1", "vrp-1")


PREFIX = "oamkit-dns-"


def _remove(ns: str) -> None:
    subprocess.run(["ip", "netns", "del", ns])
    shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)


@pytest.fixture
def silent_dns():
    for stale in list_netns():   # left by a run that was killed: its test process is gone
        if stale.startswith(PREFIX) and stale[len(PREFIX):].isdigit() and \
                not pid_alive(int(stale[len(PREFIX):])):
            _remove(stale)
    ns = f"{PREFIX}{os.getpid()}"
    conf = Path("/etc/netns") / ns
    made_etc_netns = not conf.parent.exists()   # then it goes too: the machine is left as found
    subprocess.run(["ip", "netns", "add", ns], check=True)
    server = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "resolv.conf").write_text("nameserver 127.0.0.1\n")   # glibc's defaults: 5 s x 2
        server = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", SILENT_DNS],
                                  stdout=subprocess.PIPE, text=True)
        assert server.stdout.readline().strip() == "bound"
        yield ns
    finally:
        if server is not None:
            server.kill()
            server.wait()
        _remove(ns)
        if made_etc_netns:
            try:
                conf.parent.rmdir()
            except OSError:   # another namespace's folder appeared meanwhile: it stays
                pass


def test_a_silent_dns_server_ends_each_host_at_its_deadline_saying_so(silent_dns, lab, lab_inventory):
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["xr-1"].setdefault("data", {})["transport"] = "netconf"
    hosts["vrp-1"].setdefault("data", {}).setdefault("ssh", {})["driver"] = "asyncssh"
    for name in NAMES:
        hosts[name]["hostname"] = f"{name}.dead.example"
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    started = time.monotonic()
    diff = subprocess.run(["ip", "netns", "exec", silent_dns, sys.executable, "-m", "oamkit.cli",
                           "diff", "-i", str(lab_inventory), "--limit", ",".join(NAMES), "--timeout", "3",
                           "--json"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OAMKIT_LAB_PASSWORD": lab.password})
    took = time.monotonic() - started
    assert diff.returncode == 1, diff.stdout[-2000:] + diff.stderr[-2000:]
    errors = {h["host"]: h["error"] for h in json.loads(diff.stdout)["hosts"]}
    for name in NAMES:
        assert f"cannot connect to {name}.dead.example:" in errors[name], errors
        assert f"looking up '{name}.dead.example' got no answer within 3 s (is DNS reachable from " \
               "here?)" in errors[name], errors
    assert took < 9, f"{took:.1f} s"   # the resolver alone waits 10 s


def test_a_jump_host_whose_name_gets_no_answer_ends_at_the_deadline_too(silent_dns, lab, lab_inventory):
    """Through a bastion (paramiko's for netmiko, asyncssh's own), its name is looked up here."""
    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    for name, driver in (("ios-1", "netmiko"), ("vrp-1", "asyncssh")):
        hosts[name].setdefault("data", {})["ssh"] = {"driver": driver,
                                                     "jump_host": "admin@bastion.dead.example"}
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))
    started = time.monotonic()
    diff = subprocess.run(["ip", "netns", "exec", silent_dns, sys.executable, "-m", "oamkit.cli",
                           "diff", "-i", str(lab_inventory), "--limit", "ios-1,vrp-1", "--timeout", "3",
                           "--json"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OAMKIT_LAB_PASSWORD": lab.password})
    took = time.monotonic() - started
    assert diff.returncode == 1, diff.stdout[-2000:] + diff.stderr[-2000:]
    for host in json.loads(diff.stdout)["hosts"]:
        assert host["error"].startswith(f"{host['host']}: jump host admin@bastion.dead.example:22: "), host["error"]
        assert "cannot connect to bastion.dead.example:22: looking up 'bastion.dead.example' got no " \
               "answer within 3 s (is DNS reachable from here?)" in host["error"], host
    assert took < 9, f"{took:.1f} s"
