"""The WAN failover lab: network namespaces + FRR (eBGP with BFD), built for DR tests.

    branch .10 -- ce .1 --(wan1 AS65101 | wan2 AS65102)-- dc AS65000 -- site1..4 (own netns)
                                                                    \\- sites 5..N: addresses on dc's lo

wan1 is the primary in both directions (local-pref 200 on ce and dc). Every veth is created
directly inside lab namespaces, so nothing touches the root namespace's interfaces. Each router
runs its own zebra, bfdd and bgpd with configs, pid files and sockets under the lab's state
directory. Scenarios reproduce real incidents:
  healthy        both WANs carry every site
  half-routes    dc's stale prefix-list to wan2 permits only the first half of the sites
  icmp-filtered  nftables on some sites drops ICMP echo while TCP (a listener on 443) passes
Needs root, iproute2, nftables and FRR. `down` removes everything, also leftovers of a crashed
run, found by the lab's own namespace-name prefix.
"""
from __future__ import annotations

import grp
import json
import math
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from oamkit.errors import OamkitError, input_error
from oamkit.lab.procs import pid_alive
from oamkit.probe.safety import state_root

ROUTERS = ("ce", "wan1", "wan2", "dc")
SCENARIOS = ("healthy", "half-routes", "icmp-filtered")
CUT_MODES = ("drop", "down")
CUT_WHERE = ("access", "core")
MAX_SITES = 250
NETNS_SITES = 4          # sites with their own namespace; the rest live on dc's loopback
SERVICE_TCP_PORT = 443
SERVICE_UDP_PORT = 7
PRIMARY_HOP = "10.11.0.2"
SECONDARY_HOP = "10.12.0.2"
DEFAULT_PREFIX = "owan"
PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")

# A tiny TCP listener (and UDP echo) started inside a site namespace: the service that a
# TCP-probed, ICMP-filtered site offers. Bounded: it only accepts and closes.
SERVICE_CODE = r"""
import select, socket, sys
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", int(sys.argv[1]))); t.listen(512)
us = []
for addr in sys.argv[3:] or ["0.0.0.0"]:  # one per address: replies must come from the probed one
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, int(sys.argv[2]))); us.append(u)
while True:
    r, _, _ = select.select([t, *us], [], [])
    for s in r:
        if s is t:
            c, _ = t.accept(); c.close()
        else:
            d, a = s.recvfrom(2048); s.sendto(d, a)
"""


class LabError(OamkitError):
    pass


def _run(args: list[str], timeout: float = 20, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise LabError(f"command failed ({p.returncode}): {' '.join(args)}: {p.stderr.strip()}")
    return p


def frr_bin_dir() -> Path:
    for d in (os.environ.get("FRR_BIN"), "/usr/lib/frr", "/usr/libexec/frr", "/usr/local/sbin"):
        if d and (Path(d) / "zebra").exists():
            return Path(d)
    raise LabError("FRR daemons not found (apt-get install frr)")


def require_root_tools() -> None:
    if os.geteuid() != 0:
        raise LabError("the WAN lab needs root (network namespaces, veth, nftables, FRR)")
    for tool in ("ip", "nft", "vtysh"):
        if not shutil.which(tool):
            raise LabError(f"{tool} not found (apt-get install iproute2 nftables frr)")
    frr_bin_dir()


@dataclass
class Site:
    index: int
    name: str
    addr: str
    netns: str | None        # own namespace, or None: an address on dc's lo
    icmp_filtered: bool = False


@dataclass
class WanLab:
    prefix: str = DEFAULT_PREFIX
    sites: int = 12
    scenario: str = "healthy"
    bfd_ms: int = 100
    bfd_mult: int = 3
    state_dir: Path = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not PREFIX_RE.match(self.prefix):
            raise input_error("lab prefix must be 1-12 lower-case letters/digits, starting with a letter",
                              field="prefix", value=self.prefix)
        if not 1 <= self.sites <= MAX_SITES:
            raise input_error(f"sites must be 1..{MAX_SITES}", field="sites", value=self.sites)
        if self.scenario not in SCENARIOS:
            raise input_error("unknown scenario", field="scenario", value=self.scenario,
                              allowed=", ".join(SCENARIOS))
        if self.state_dir is None:
            self.state_dir = state_root() / "wanlab" / self.prefix

    # ---------------------------------------------------------------------- naming
    def ns(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    @property
    def branch_ns(self) -> str:
        return self.ns("branch")

    def site_list(self) -> list[Site]:
        out = []
        for i in range(1, self.sites + 1):
            own = i <= NETNS_SITES
            out.append(Site(i, f"site{i}", f"10.100.{i}.10" if own else f"10.100.{i}.1",
                            self.ns(f"site{i}") if own else None,
                            icmp_filtered=(self.scenario == "icmp-filtered" and i % 4 == 2)))
        return out

    def half_sites(self) -> int:
        return math.ceil(self.sites / 2)

    def namespaces(self) -> list[str]:
        return [self.ns(r) for r in ("branch", *ROUTERS)] + [s.netns for s in self.site_list() if s.netns]

    def router_dir(self, router: str) -> Path:
        return self.state_dir / router

    # ---------------------------------------------------------------------- build
    def up(self, wait: bool = True, timeout: float = 60, replace: bool = False) -> dict:
        require_root_tools()
        if self.leftovers():
            if (self.state_dir / "state.json").exists() and not replace:
                raise LabError(f"WAN lab {self.prefix!r} is already up (oamkit lab wan down --prefix {self.prefix})")
            self.down()          # leftovers of a crashed run
        t0 = time.time()
        blocked = frr_blocked_at(self.state_dir)
        if blocked is not None:
            raise LabError(
                f"FRR runs as user frr and cannot reach the lab's folder {self.state_dir}: {blocked} is "
                f"mode {stat.S_IMODE(os.stat(blocked).st_mode):04o} (private). The lab's own folders are made "
                f"usable by frr, yours are left alone: use an OAMKIT_RUN_DIR that others may traverse "
                f"(chmod o+x {blocked}), or unset it (default /run/oamkit). Nothing was built.")
        created = [d for d in (self.state_dir, *self.state_dir.parents) if not d.exists()]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # folders made here are the lab's own: open them to frr whatever the umask (077 made
        # a fresh OAMKIT_RUN_DIR private and zebra could not write its pid file)
        for d in {*created, self.state_dir, self.state_dir.parent}:
            os.chmod(d, 0o755)
        self._write_state(building=True)
        try:
            self._build()
            converge_s = self.wait_converged(timeout) if wait else None
        except BaseException:
            self.down()
            raise
        self._write_state(building=False)
        return {"prefix": self.prefix, "build_s": round(time.time() - t0, 3), "converged_s": converge_s}

    def _write_state(self, building: bool) -> None:
        data = {"prefix": self.prefix, "kind": "wan", "sites": self.sites, "scenario": self.scenario,
                "namespaces": self.namespaces(), "probe_from": self.branch_ns, "building": building,
                "site_addrs": [s.addr for s in self.site_list()], "created": time.time(),
                "bfd_ms": self.bfd_ms, "bfd_mult": self.bfd_mult}
        tmp = self.state_dir / "state.json.tmp"
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.state_dir / "state.json")

    @classmethod
    def load(cls, prefix: str = DEFAULT_PREFIX) -> "WanLab":
        path = state_root() / "wanlab" / prefix / "state.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            raise LabError(f"no WAN lab {prefix!r} is up (no {path})") from None
        return cls(prefix=prefix, sites=data["sites"], scenario=data["scenario"],
                   bfd_ms=data.get("bfd_ms", 100), bfd_mult=data.get("bfd_mult", 3))

    def _link(self, a: str, ia: str, addr_a: str, b: str, ib: str, addr_b: str) -> None:
        _run(["ip", "link", "add", ia, "netns", self.ns(a), "type", "veth", "peer", "name", ib,
              "netns", self.ns(b)])
        _run(["ip", "-n", self.ns(a), "addr", "add", addr_a, "dev", ia])
        _run(["ip", "-n", self.ns(b), "addr", "add", addr_b, "dev", ib])
        _run(["ip", "-n", self.ns(a), "link", "set", ia, "up"])
        _run(["ip", "-n", self.ns(b), "link", "set", ib, "up"])

    def _build(self) -> None:
        sites = self.site_list()
        for n in self.namespaces():
            _run(["ip", "netns", "add", n])
            _run(["ip", "-n", n, "link", "set", "lo", "up"])
        for r in ROUTERS:
            # forwarding on. The ICMP error rate limits stay at the kernel's defaults (burst 6,
            # then 1/s per destination): the lab must be at least as harsh as a real WAN, whose
            # routers police time-exceeded too; path checks pace themselves within that budget
            _run(["ip", "netns", "exec", self.ns(r), "sysctl", "-qw", "net.ipv4.ip_forward=1",
                  "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"])
        self._link("branch", "eth0", "10.10.0.10/24", "ce", "lan0", "10.10.0.1/24")
        self._link("ce", "wan1", "10.11.0.1/30", "wan1", "ce", "10.11.0.2/30")
        self._link("wan1", "dc", "10.11.1.1/30", "dc", "wan1", "10.11.1.2/30")
        self._link("ce", "wan2", "10.12.0.1/30", "wan2", "ce", "10.12.0.2/30")
        self._link("wan2", "dc", "10.12.1.1/30", "dc", "wan2", "10.12.1.2/30")
        for s in sites:
            if s.netns:
                self._link("dc", f"s{s.index}", f"10.100.{s.index}.1/24", s.name, "eth0", f"{s.addr}/24")
                _run(["ip", "-n", s.netns, "route", "add", "default", "via", f"10.100.{s.index}.1"])
            else:
                _run(["ip", "-n", self.ns("dc"), "addr", "add", f"{s.addr}/24", "dev", "lo"])
        _run(["ip", "-n", self.branch_ns, "route", "add", "default", "via", "10.10.0.1"])
        self._gen_configs()
        self._start_frr()
        self._start_services()
        self._write_cut_files()
        if self.scenario == "icmp-filtered":
            self._apply_icmp_filter(True)

    # ---------------------------------------------------------------------- FRR
    def _gen_configs(self) -> None:
        bfd = self.bfd_ms > 0
        for r in ROUTERS:
            d = self.router_dir(r)
            d.mkdir(parents=True, exist_ok=True)
            (d / "zebra.conf").write_text(f"hostname {r}\nlog file {d}/zebra.log informational\n")
            (d / "bfdd.conf").write_text(
                f"hostname {r}\nlog file {d}/bfdd.log informational\nbfd\n profile fast\n"
                f"  transmit-interval {self.bfd_ms or 100}\n  receive-interval {self.bfd_ms or 100}\n"
                f"  detect-multiplier {self.bfd_mult}\n exit\nexit\n")

        def nb(peer: str, asn: int) -> list[str]:
            lines = [f" neighbor {peer} remote-as {asn}", f" neighbor {peer} timers 1 3",
                     f" neighbor {peer} timers connect 1", f" neighbor {peer} advertisement-interval 0"]
            if bfd:
                lines.append(f" neighbor {peer} bfd profile fast")
            return lines

        def hdr(r: str) -> list[str]:
            return ["frr defaults datacenter", f"hostname {r}", f"log file {self.router_dir(r)}/bgpd.log informational"]

        # policy objects before `router bgp`: a route-map referenced before it exists denies
        # routes until the 5 s route-map delay timer fires
        ce = hdr("ce") + ["ip prefix-list BRANCH-OUT seq 5 permit 10.10.0.0/24",
                          "route-map PRIMARY permit 10", " set local-preference 200", "exit",
                          "router bgp 65010", " bgp router-id 10.255.0.1", " no bgp ebgp-requires-policy",
                          *nb("10.11.0.2", 65101), *nb("10.12.0.2", 65102),
                          " address-family ipv4 unicast", "  network 10.10.0.0/24",
                          "  neighbor 10.11.0.2 route-map PRIMARY in",
                          "  neighbor 10.11.0.2 prefix-list BRANCH-OUT out",
                          "  neighbor 10.12.0.2 prefix-list BRANCH-OUT out", " exit-address-family", "exit"]
        wan1 = hdr("wan1") + ["router bgp 65101", " bgp router-id 10.255.0.11", " no bgp ebgp-requires-policy",
                              *nb("10.11.0.1", 65010), *nb("10.11.1.2", 65000), "exit"]
        wan2 = hdr("wan2") + ["router bgp 65102", " bgp router-id 10.255.0.12", " no bgp ebgp-requires-policy",
                              *nb("10.12.0.1", 65010), *nb("10.12.1.2", 65000), "exit"]
        dc = hdr("dc") + ["route-map PRIMARY permit 10", " set local-preference 200", "exit"]
        dc += [f"ip prefix-list WAN2-OUT seq {i * 5} permit 10.100.{i}.0/24" for i in range(1, self.half_sites() + 1)]
        dc += ["router bgp 65000", " bgp router-id 10.255.0.100", " no bgp ebgp-requires-policy",
               *nb("10.11.1.1", 65101), *nb("10.12.1.1", 65102), " address-family ipv4 unicast"]
        dc += [f"  network 10.100.{i}.0/24" for i in range(1, self.sites + 1)]
        dc += ["  neighbor 10.11.1.1 route-map PRIMARY in"]
        if self.scenario == "half-routes":
            dc += ["  neighbor 10.12.1.1 prefix-list WAN2-OUT out"]
        dc += [" exit-address-family", "exit"]
        for r, lines in (("ce", ce), ("wan1", wan1), ("wan2", wan2), ("dc", dc)):
            (self.router_dir(r) / "bgpd.conf").write_text("\n".join(lines) + "\n")

    def _start_frr(self) -> None:
        frr = frr_bin_dir()
        for r in ROUTERS:
            d = self.router_dir(r)
            shutil.chown(d, "frr", "frr")
            for f in d.iterdir():
                shutil.chown(f, "frr", "frr")
            common = ["-d", "-u", "frr", "-g", "frr", "-z", f"{d}/zserv.api", "--vty_socket", str(d),
                      "-A", "127.0.0.1", "-P", "0"]
            ns = ["ip", "netns", "exec", self.ns(r)]
            _run([*ns, str(frr / "zebra"), *common, "-f", f"{d}/zebra.conf", "-i", f"{d}/zebra.pid",
                  "-s", "90000000"])
            for _ in range(100):
                if (d / "zserv.api").exists():
                    break
                time.sleep(0.05)
            _run([*ns, str(frr / "bfdd"), *common, "-f", f"{d}/bfdd.conf", "-i", f"{d}/bfdd.pid",
                  "--bfdctl", f"{d}/bfdd.sock"])
            _run([*ns, str(frr / "bgpd"), *common, "-f", f"{d}/bgpd.conf", "-i", f"{d}/bgpd.pid"])

    def vty(self, router: str, *commands: str, timeout: float = 15) -> str:
        args = ["ip", "netns", "exec", self.ns(router), "vtysh", "--vty_socket", str(self.router_dir(router))]
        for c in commands:
            args += ["-c", c]
        return _run(args, timeout=timeout).stdout

    def _start_services(self) -> None:
        hosts = [(s.netns, []) for s in self.site_list() if s.netns]
        if self.sites > NETNS_SITES:
            hosts.append((self.ns("dc"), [s.addr for s in self.site_list() if not s.netns]))
        svc = self.state_dir / "services"
        svc.mkdir(exist_ok=True)
        for ns, addrs in hosts:
            with open(svc / f"{ns}.log", "wb") as log:
                p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", SERVICE_CODE,
                                      str(SERVICE_TCP_PORT), str(SERVICE_UDP_PORT), *addrs],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
            (svc / f"{ns}.pid").write_text(str(p.pid))

    # ---------------------------------------------------------------------- scenarios
    def _filter_targets(self) -> list[tuple[str, list[str]]]:
        """(namespace, [addresses]) where ICMP echo is dropped in the icmp-filtered scenario."""
        out: dict[str, list[str]] = {}
        for s in self.site_list():
            if s.index % 4 == 2:
                out.setdefault(s.netns or self.ns("dc"), []).append(s.addr)
        return list(out.items())

    def filtered_sites(self) -> list[str]:
        return [s.name for s in self.site_list() if s.index % 4 == 2]

    def _apply_icmp_filter(self, on: bool) -> None:
        for ns, addrs in self._filter_targets():
            if on:
                rules = ("table inet oamfw {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
                         f"  ip daddr {{ {', '.join(addrs)} }} icmp type echo-request drop\n }}\n}}\n")
            else:
                rules = "table inet oamfw {}\ndelete table inet oamfw\n"
            _run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules)

    def set_scenario(self, scenario: str, timeout: float = 20) -> None:
        """Switch scenario at runtime (no rebuild); waits until routing reflects it."""
        if scenario not in SCENARIOS:
            raise input_error("unknown scenario", field="scenario", value=scenario, allowed=", ".join(SCENARIOS))
        cfg = ["configure terminal", "router bgp 65000", "address-family ipv4 unicast"]
        half = scenario == "half-routes"
        self.vty("dc", *cfg, ("" if half else "no ") + "neighbor 10.12.1.1 prefix-list WAN2-OUT out")
        self._apply_icmp_filter(scenario == "icmp-filtered")
        self.scenario = scenario
        self._write_state(building=False)
        self.wait_converged(timeout)

    # ---------------------------------------------------------------------- convergence
    def routing_state(self) -> dict:
        ce = json.loads(_run(["ip", "-n", self.ns("ce"), "-j", "-4", "route", "show", "proto", "bgp"]).stdout or "[]")
        dc = json.loads(_run(["ip", "-n", self.ns("dc"), "-j", "-4", "route", "show", "10.10.0.0/24"]).stdout or "[]")
        via = {"wan1": 0, "wan2": 0}
        for r in ce:
            if r.get("dst", "").startswith("10.100.") and r.get("dev") in via:
                via[r["dev"]] += 1
        summary = json.loads(self.vty("ce", "show bgp ipv4 unicast summary json") or "{}")
        peers = summary.get("peers", {})
        bfd = json.loads(self.vty("ce", "show bfd peers json") or "[]")
        return {"ce_sites_via": via, "dc_branch_via": [r.get("dev") for r in dc],
                "wan1_pfx": peers.get(PRIMARY_HOP, {}).get("pfxRcd", 0),
                "wan2_pfx": peers.get(SECONDARY_HOP, {}).get("pfxRcd", 0),
                "bfd_up": sum(1 for p in bfd if p.get("status") == "up")}

    def wait_converged(self, timeout: float = 60) -> float:
        """Until: every site via wan1 at ce, dc reaches the branch via wan1, wan2 offers the
        scenario's prefixes, BFD up on both sessions."""
        t0 = time.time()
        want_wan2 = self.half_sites() if self.scenario == "half-routes" else self.sites
        st: dict = {}
        while time.time() - t0 < timeout:
            try:
                st = self.routing_state()
            except (LabError, ValueError):
                st = {}
            if (st and st["ce_sites_via"]["wan1"] == self.sites and st["dc_branch_via"] == ["wan1"]
                    and st["wan2_pfx"] == want_wan2 and st["wan1_pfx"] == self.sites
                    and (self.bfd_ms == 0 or st["bfd_up"] >= 2)):
                return round(time.time() - t0, 3)
            time.sleep(0.1)
        raise LabError(f"WAN lab {self.prefix} did not converge in {timeout:.0f} s: {st}")

    # ---------------------------------------------------------------------- failure injection
    def _cut_iface(self, where: str) -> str:
        return "ce" if where == "access" else "dc"

    def _write_cut_files(self) -> None:
        for where in CUT_WHERE:
            dev = self._cut_iface(where)
            # ingress and egress drop in one transaction: the circuit dies at one instant,
            # carrier stays up (no netem on the CI kernel)
            (self.state_dir / f"cut-drop-{where}.nft").write_text(
                "table netdev oamcut {\n"
                f" chain in {{\n  type filter hook ingress device \"{dev}\" priority -500; policy drop;\n }}\n"
                f" chain out {{\n  type filter hook egress device \"{dev}\" priority -500; policy drop;\n }}\n}}\n")
        (self.state_dir / "restore-drop.nft").write_text("table netdev oamcut {}\ndelete table netdev oamcut\n")

    def cut_command(self, mode: str = "drop", where: str = "access") -> list[str]:
        if mode not in CUT_MODES or where not in CUT_WHERE:
            raise input_error("bad cut", field="mode/where", value=f"{mode}/{where}")
        if mode == "drop":
            return ["ip", "netns", "exec", self.ns("wan1"), "nft", "-f", str(self.state_dir / f"cut-drop-{where}.nft")]
        return ["ip", "-n", self.ns("wan1"), "link", "set", self._cut_iface(where), "down"]

    def restore_command(self, mode: str = "drop", where: str = "access") -> list[str]:
        if mode == "drop":
            return ["ip", "netns", "exec", self.ns("wan1"), "nft", "-f", str(self.state_dir / "restore-drop.nft")]
        return ["ip", "-n", self.ns("wan1"), "link", "set", self._cut_iface(where), "up"]

    def cut(self, mode: str = "drop", where: str = "access") -> tuple[float, float]:
        t0 = time.time()
        _run(self.cut_command(mode, where))
        return t0, time.time()

    def restore(self, mode: str | None = None, where: str = "access") -> None:
        for m in ([mode] if mode else list(CUT_MODES)):
            _run(self.restore_command(m, where), check=False)
        if mode is None:
            _run(self.restore_command("down", "core"), check=False)

    # ---------------------------------------------------------------------- plan
    def plan(self, mode: str = "drop", where: str = "access", interval: str = "10ms",
             convergence_bound: str = "3s") -> dict:
        sites = []
        for s in self.site_list():
            site = {"name": s.name, "target": s.addr,
                    "proto": f"tcp:{SERVICE_TCP_PORT}" if s.icmp_filtered else "icmp",
                    "fallback": f"tcp:{SERVICE_TCP_PORT}"}
            sites.append(site)
        return {
            "name": f"WAN lab {self.prefix} ({self.scenario}): cut the primary WAN ({mode}, {where})",
            "source": {"netns": self.branch_ns},
            "interval": interval,
            "sites": sites,
            "paths": {"normal": {"hop": PRIMARY_HOP, "ttl": 2, "label": "wan1 (primary)"},
                      "failover": {"hop": SECONDARY_HOP, "ttl": 2, "label": "wan2 (secondary)"}},
            "trigger": {"type": "command", "command": self.cut_command(mode, where),
                        "description": f"cut the primary WAN circuit ({'silent drop' if mode == 'drop' else 'link down'})"},
            "restore": {"type": "command", "command": self.restore_command(mode, where),
                        "description": "restore the primary WAN circuit"},
            "convergence_bound": convergence_bound,
        }

    def write_plan(self, path: str | Path, **kwargs) -> Path:
        import yaml

        path = Path(path)
        path.write_text(yaml.safe_dump(self.plan(**kwargs), sort_keys=False, width=200))
        return path

    # ---------------------------------------------------------------------- status / down
    def status(self) -> dict:
        present = set(list_netns())
        st: dict = {"prefix": self.prefix, "scenario": self.scenario, "sites": self.sites,
                    "namespaces": {n: n in present for n in self.namespaces()}, "daemons": {}}
        for r in ROUTERS:
            for d in ("zebra", "bfdd", "bgpd"):
                st["daemons"][f"{r}/{d}"] = _pid_alive(self.router_dir(r) / f"{d}.pid")
        try:
            st["routing"] = self.routing_state()
        except (LabError, ValueError, subprocess.TimeoutExpired) as exc:
            st["routing"] = {"error": str(exc)}
        return st

    def leftovers(self) -> list[str]:
        pat = re.compile(rf"^{re.escape(self.prefix)}-(branch|ce|wan1|wan2|dc|site\d+)$")
        return [n for n in list_netns() if pat.match(n)]

    def down(self) -> dict:
        """Idempotent: kill by pid file, then whatever still runs in our namespaces, delete them."""
        killed = 0
        pidfiles = list(self.state_dir.glob("*/*.pid")) if self.state_dir.exists() else []
        for pf in pidfiles:
            pid = _read_pid(pf)
            if pid and _pid_alive(pf):
                _signal(pid, signal.SIGTERM)
                killed += 1
        namespaces = sorted(set(self.leftovers()))
        for ns in namespaces:
            pids = _netns_pids(ns)
            for p in pids:
                _signal(p, signal.SIGTERM)
        deadline = time.time() + 3
        for ns in namespaces:
            while _netns_pids(ns) and time.time() < deadline:
                time.sleep(0.05)
            for p in _netns_pids(ns):
                _signal(p, signal.SIGKILL)
        for ns in namespaces:
            for _ in range(20):
                if _run(["ip", "netns", "del", ns], check=False).returncode == 0 or ns not in list_netns():
                    break
                time.sleep(0.05)
        if self.state_dir.exists():
            shutil.rmtree(self.state_dir, ignore_errors=True)
        return {"prefix": self.prefix, "namespaces_removed": namespaces, "processes_signalled": killed}


# -------------------------------------------------------------------------- helpers
def frr_blocked_at(state_dir: Path) -> Path | None:
    """The first existing folder above the lab's own ones (state_root()/wanlab/PREFIX, which
    the lab creates and opens to frr) that user frr may not traverse; None: all fine."""
    try:
        pw = pwd.getpwnam("frr")
    except KeyError:
        return None                 # no frr user: frr_bin_dir() reports the missing FRR
    groups = {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if "frr" in g.gr_mem}
    own = {state_dir, state_dir.parent}
    for folder in [*reversed(state_dir.parents)]:
        if folder in own or not folder.exists():
            continue
        st = os.stat(folder)
        bit = 0o100 if st.st_uid == pw.pw_uid else 0o010 if st.st_gid in groups else 0o001
        if not st.st_mode & bit:
            return folder
    return None


def list_netns() -> list[str]:
    p = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    return [line.split()[0] for line in p.stdout.splitlines() if line.strip()]


def _netns_pids(ns: str) -> list[int]:
    p = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=10)
    return [int(x) for x in p.stdout.split() if x.isdigit() and int(x) != os.getpid()]


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _pid_alive(path: Path) -> bool:
    pid = _read_pid(path)
    return bool(pid) and pid_alive(pid)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# -------------------------------------------------------------------------- ground truth
def _realtime_if_allowed() -> None:
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(25))
    except OSError:
        pass


class RouteMonitor:
    """`ip -ts monitor route|link` inside a namespace, lines stamped by iproute2 (local time,
    microseconds). The ground truth DR-test measurements are compared with."""

    def __init__(self, netns: str, what: str = "route", realtime: bool = True):
        self.netns = netns
        self.events: list[tuple[float, str]] = []
        # iproute2 stamps a line when it reads the netlink message: at normal priority under CPU
        # load that stamp lags (research: up to 56 ms), so run it SCHED_FIFO when allowed
        self.proc = subprocess.Popen(["ip", "-n", netns, "-ts", "monitor", what], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                     preexec_fn=_realtime_if_allowed if realtime else None)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            m = re.match(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\]\s*(.*)$", line.strip())
            if m:
                self.events.append((datetime.fromisoformat(m.group(1)).timestamp(), m.group(2)))

    def stop(self) -> list[tuple[float, str]]:
        self.proc.terminate()
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(3)
        self._thread.join(2)
        return self.events

    def first(self, prefix: str, after: float, accept=lambda text: True) -> tuple[float | None, str | None]:
        for t, text in self.events:
            if t >= after and (text.startswith(prefix + " ") or text.startswith(f"Deleted {prefix} ")) and accept(text):
                return t, text
        return None, None


def truth_window(ce: RouteMonitor, dc: RouteMonitor, site_prefix: str, cut_started: float,
                 cut_ended: float) -> tuple[float, float] | None:
    """Ground-truth outage of one site as a window: the cut happened somewhere inside
    [cut_started, cut_ended]; the path was whole again when both ce (route to the site) and dc
    (route back to the branch) had installed their new routes. None: never repaired."""
    t_dc, _ = dc.first("10.10.0.0/24", cut_started, lambda s: not s.startswith("Deleted"))
    t_ce, _ = ce.first(site_prefix, cut_started, lambda s: not s.startswith("Deleted"))
    if t_dc is None or t_ce is None:
        return None
    t_fix = max(t_ce, t_dc)
    return t_fix - cut_ended, t_fix - cut_started


def site_prefix(addr: str) -> str:
    a, b, c, _ = addr.split(".")
    return f"{a}.{b}.{c}.0/24"
