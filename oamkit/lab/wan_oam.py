"""The WAN lab's OAM edge: an emulated device (any lab platform) whose WAN interfaces ARE the
CE router's wan1/wan2 veths.

    oamkit lab wan up --oam [--oam-platform cisco_xr] --inventory-out DIR

starts one detached process (``python -m oamkit.lab.wan_oam``) serving that device on
127.0.0.1 (SSH + NETCONF, like ``oamkit lab up``), and binds it to the veths:

* traffic counters follow the veth's kernel counters (``ip -j -s link``, polled every
  ``POLL_S``);
* every frame a netdev *ingress* rule drops on that veth inside the CE namespace (e.g. the DR
  degrade trigger's ``numgen random mod N < k counter drop``) is a frame the CE received with a
  bad FCS: the device counts it as a CRC error (from the rule's own counter);
* the device's link monitors (``oamkit.lab.events``, the vendor's window/threshold semantics)
  log Errored Frame events, and a high-threshold ``error-disable-interface`` takes the
  interface down: the veth goes down (``ip link set down``) so FRR/BFD reconverges. It stays
  down until the operator shuts and re-enables the interface on the device.

The process writes ``STATE/oam/edge.pid`` (so ``oamkit lab wan down`` stops it with the
routers) and ``STATE/oam/edge.json`` (port, device, interface map) once it serves.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from oamkit.lab.device import INTERFACE_NAMES, PLATFORMS, Device
from oamkit.lab.wan import LabError, WanLab

POLL_S = 0.05            # the device samples its veth this often: its monitors lag by at most this
EDGE_NAME = "ce-oam"
LINKS = ("wan1", "wan2")
READY_TIMEOUT_S = 20.0
CMD_TIMEOUT_S = 5.0
NETNS_DIR = Path("/run/netns")     # where `ip netns add` mounts a named namespace

# Policies for the edge, written into the inventory beside the example ones: a 1 s Errored
# Frame window with a low high threshold (lean CI runs), with and without the action. Junos
# fixes its windows (and counts 1-100); VRP holds no high threshold for errored frames (its
# `efm trigger if-down` acts on link faults only), so there the link is never taken down.
EDGE_POLICIES = """\
# WAN edge policies of the WAN lab's OAM edge (oamkit lab wan up --oam)
wan-degrade:
  description: WAN uplink - take the link down when errored frames pass the high threshold
  mode: active
  pdu_interval: 1s
  link_timeout: 5s
  link_monitor:
    frame: {FRAME}
  high_threshold_action: error-disable-interface

wan-degrade-no-action:
  description: the incident - a high threshold with no action, the link degrades and stays up
  mode: active
  pdu_interval: 1s
  link_timeout: 5s
  link_monitor:
    frame: {FRAME}

wan-degrade-high-threshold:
  description: the incident - a high threshold the link's frame rate can never reach
  extends: wan-degrade
  link_monitor:
    frame: {FRAME_HIGH}
"""
EDGE_FRAME = {"juniper_junos": ("{low: 1, high: 5}", "{low: 1, high: 100}"),
              "huawei_vrp": ("{window: 1s, low: 5}", "{window: 1s, low: 5}")}
DEFAULT_FRAME = ("{window: 1s, low: 1, high: 5}", "{window: 1s, low: 1, high: 60000}")


def edge_policies(platform: str) -> str:
    frame, high = EDGE_FRAME.get(platform, DEFAULT_FRAME)
    text = EDGE_POLICIES.replace("{FRAME}", frame).replace("{FRAME_HIGH}", high)
    if platform == "huawei_vrp":
        text = text.replace("  high_threshold_action: error-disable-interface\n", "")
    return text


def edge_interfaces(platform: str) -> dict[str, str]:
    """Device interface -> CE veth."""
    names = INTERFACE_NAMES[platform]
    return {names[0]: LINKS[0], names[1]: LINKS[1]}


def _run(args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(args, capture_output=True, text=True, timeout=CMD_TIMEOUT_S)
    if check and p.returncode != 0:
        raise LabError(f"command failed ({p.returncode}): {' '.join(args)}: {p.stderr.strip()}")
    return p


def read_links(netns: str) -> dict[str, dict]:
    """veth name -> {up, rx_packets, rx_bytes, tx_packets, tx_bytes} from the kernel."""
    out = {}
    for link in json.loads(_run(["ip", "-n", netns, "-j", "-s", "link", "show"]).stdout or "[]"):
        stats = link.get("stats64") or link.get("stats") or {}
        rx, tx = stats.get("rx", {}), stats.get("tx", {})
        out[link.get("ifname")] = {"up": "UP" in link.get("flags", []),
                                   "rx_packets": rx.get("packets", 0), "rx_bytes": rx.get("bytes", 0),
                                   "tx_packets": tx.get("packets", 0), "tx_bytes": tx.get("bytes", 0)}
    return out


def read_ingress_drops(netns: str) -> dict[str, dict[tuple, int]]:
    """veth -> {(table, chain, rule handle): packets} of every counted drop rule in a netdev
    ingress chain of that device: frames that never reach the CE's stack, i.e. received bad.
    (Text output: nft 1.0.6's JSON leaves out a netdev chain's device.)"""
    p = _run(["ip", "netns", "exec", netns, "nft", "-a", "list", "ruleset", "netdev"], check=False)
    drops: dict[str, dict[tuple, int]] = {}
    table = chain = dev = None
    for line in p.stdout.splitlines() if p.returncode == 0 else []:
        line = line.strip()
        if m := re.match(r"^table netdev (\S+) \{", line):
            table, chain, dev = m.group(1), None, None
        elif m := re.match(r"^chain (\S+) \{", line):
            chain, dev = m.group(1), None
        elif m := re.search(r'hook ingress devices? (?:= \{ )?"?([^";\s}]+)', line):
            dev = m.group(1)
        elif dev and (m := re.search(r"counter packets (\d+) bytes \d+ drop\b.*# handle (\d+)", line)):
            drops.setdefault(dev, {})[(table, chain, int(m.group(2)))] = int(m.group(1))
    return drops


class VethBinder:
    """Keeps one device's interfaces in step with the CE's veths (see the module doc)."""

    def __init__(self, dev: Device, netns: str, mapping: dict[str, str]):
        self.dev = dev
        self.netns = netns
        self.mapping = mapping
        self.base: dict[str, dict] = {}
        self.last_drops: dict[str, dict[tuple, int]] = {}
        self.crc: dict[str, int] = {v: 0 for v in mapping.values()}
        self.applied: dict[str, bool] = {}

    def sample(self) -> tuple[dict, dict]:
        return read_links(self.netns), read_ingress_drops(self.netns)

    def apply(self, links: dict, drops: dict) -> dict[str, bool]:
        """Counters in, monitors run; returns veth -> wanted up/down. Runs on the lab's loop."""
        dev = self.dev
        with dev.lock:
            for iface, veth in self.mapping.items():
                link = links.get(veth)
                if link is None:
                    continue
                now, before = drops.get(veth, {}), self.last_drops.get(veth, {})
                # a rule deleted and made again starts from 0: count what it has, not a negative
                self.crc[veth] += sum(v - before[k] if v >= before.get(k, 0) and k in before else v
                                      for k, v in now.items())
                self.last_drops[veth] = now
                base = self.base.setdefault(veth, dict(link))
                c = dev.interfaces[iface].counters
                c["input_packets"] = max(0, link["rx_packets"] - base["rx_packets"] - self.crc[veth])
                c["input_bytes"] = max(0, link["rx_bytes"] - base["rx_bytes"])
                c["output_packets"] = link["tx_packets"] - base["tx_packets"]
                c["output_bytes"] = link["tx_bytes"] - base["tx_bytes"]
                grown = self.crc[veth] - c["crc"]
                if grown > 0:
                    c["crc"] += grown
                    c["input_errors"] += grown
        dev.tick()
        with dev.lock:
            return {veth: dev.interfaces[iface].admin_up and dev.interfaces[iface].oper_up
                    for iface, veth in self.mapping.items()}

    def set_links(self, wanted: dict[str, bool], links: dict) -> None:
        for veth, up in wanted.items():
            if veth in links and (self.applied.get(veth) != up or links[veth]["up"] != up):
                _run(["ip", "-n", self.netns, "link", "set", veth, "up" if up else "down"], check=False)
                self.applied[veth] = up


def edge_dir(lab: WanLab) -> Path:
    return lab.state_dir / "oam"


def serve(prefix: str, platform: str, inventory: Path) -> None:
    """The edge process: serve the device and bind it until SIGTERM."""
    from oamkit.lab.server import Lab

    wan = WanLab.load(prefix)
    out = edge_dir(wan)
    out.mkdir(parents=True, exist_ok=True)
    mapping = edge_interfaces(platform)
    lab = Lab([(EDGE_NAME, platform)], platforms=[platform]).start()
    dev = lab.devices[EDGE_NAME]
    dev.synthetic_traffic = False
    binder = VethBinder(dev, wan.ns("ce"), mapping)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    write_edge_inventory(lab, inventory, mapping, wan)
    info = {"device": EDGE_NAME, "platform": platform, "port": lab.ports[EDGE_NAME], "pid": os.getpid(),
            "netns": wan.ns("ce"), "interfaces": mapping, "inventory": str(inventory)}
    tmp = out / "edge.json.tmp"
    tmp.write_text(json.dumps(info, indent=2))
    tmp.replace(out / "edge.json")
    try:
        while not stop.is_set():
            if not (NETNS_DIR / wan.ns("ce")).exists():
                # the lab was taken down without us (another state folder, a crash): go too
                print(f"oamkit lab wan edge: {wan.ns('ce')} is gone, stopping", file=sys.stderr, flush=True)
                break
            try:
                links, drops = binder.sample()
                wanted = lab.call(binder.apply, links, drops)
                binder.set_links(wanted, links)
            except (LabError, subprocess.TimeoutExpired, ValueError) as exc:
                print(f"oamkit lab wan edge: {exc}", file=sys.stderr, flush=True)
            stop.wait(POLL_S)
    finally:
        lab.stop()


def write_edge_inventory(lab, folder: Path, mapping: dict[str, str], wan: WanLab) -> None:
    import yaml

    lab.write_inventory(folder)
    (folder / "policies" / "wan-degrade.yaml").write_text(edge_policies(lab.devices[EDGE_NAME].platform))
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    host = hosts[EDGE_NAME]
    host["data"]["oam"] = {"policy": "wan-degrade",
                           "interfaces": {i: {"description": f"WAN uplink {v} of {wan.ns('ce')}"}
                                          for i, v in mapping.items()}}
    host["data"]["wan_lab"] = {"netns": wan.ns("ce"), "links": {v: i for i, v in mapping.items()}}
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))


def start_edge(wan: WanLab, platform: str, inventory: Path) -> dict:
    """Start the edge process for a running WAN lab and wait until it serves."""
    if platform not in PLATFORMS:
        raise LabError(f"unknown --oam-platform {platform!r}; choose from {', '.join(PLATFORMS)}")
    out = edge_dir(wan)
    out.mkdir(parents=True, exist_ok=True)
    (out / "edge.json").unlink(missing_ok=True)
    inventory = Path(inventory).resolve()
    with open(out / "edge.log", "wb") as log:
        p = subprocess.Popen([sys.executable, "-m", "oamkit.lab.wan_oam", "--prefix", wan.prefix,
                              "--platform", platform, "--inventory", str(inventory)],
                             stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    (out / "edge.pid").write_text(f"{p.pid}\n")
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if (out / "edge.json").exists():
            return json.loads((out / "edge.json").read_text())
        if p.poll() is not None:
            break
        time.sleep(0.1)
    if p.poll() is None:
        p.terminate()
    tail = (out / "edge.log").read_text(errors="replace")[-800:]
    raise LabError(f"the OAM edge device did not start: {tail}")


def degrade_plan(wan: WanLab, edge: dict, *, errored_frames: str = "10%", interval: str = "10ms",
                 convergence_bound: str = "3s") -> dict:
    """A DR plan that degrades wan1 (errored frames toward the CE) instead of cutting it; the
    restore clears the errors and re-enables the interface on the OAM device."""
    plan = wan.plan(interval=interval, convergence_bound=convergence_bound)
    dev_if = next(i for i, v in edge["interfaces"].items() if v == LINKS[0])
    link = {"link": LINKS[0], "netns": wan.ns("ce"), "interface": LINKS[0],
            "device": edge["device"], "device_interface": dev_if}
    plan["name"] = f"WAN lab {wan.prefix}: degrade the primary WAN ({errored_frames} errored frames)"
    plan["trigger"] = {"type": "degrade", **link, "errored_frames": errored_frames,
                       "description": f"{errored_frames} errored frames toward the CE on wan1"}
    plan["restore"] = {"type": "degrade", **link, "errored_frames": 0,
                       "description": "clear the errors, re-enable the interface (shutdown / no shutdown)"}
    plan["bfd"] = {"interval": f"{wan.bfd_ms}ms", "multiplier": wan.bfd_mult}
    return plan


def write_degrade_plan(wan: WanLab, edge: dict, path: str | Path, **kwargs) -> Path:
    import yaml

    path = Path(path)
    path.write_text(yaml.safe_dump(degrade_plan(wan, edge, **kwargs), sort_keys=False, width=200))
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m oamkit.lab.wan_oam")
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--platform", required=True, choices=PLATFORMS)
    ap.add_argument("--inventory", required=True, type=Path)
    a = ap.parse_args(argv)
    serve(a.prefix, a.platform, a.inventory)


if __name__ == "__main__":
    main()
