"""Hard safety bounds for probing.

Without an allow-list, packets may only go to loopback, or to addresses that live inside
network namespaces an oamkit lab created (the lab registers itself in a state file), and the
probe must run inside such a namespace unless every target is loopback. With an explicit,
reviewable allow-list (plan key `allow:`, `--allow CIDR`), every target must fall inside it, and
the probe may run from the machine's own network stack: that is how a real WAN is tested.
Every run is bounded in total and per-target rate, count and duration. Anything else is
refused before a socket is opened.
"""
from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import json
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from oamkit.errors import InputError, Problem

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = Path("/run/netns")
# what `ip netns add` names: a file of NETNS_RUN_DIR, never a path
NETNS_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

# Absolute ceilings; a plan or the CLI can ask for less, never more.
MAX_RATE_PPS = 20_000
MAX_TARGET_PPS = 2_000        # one target never gets more than this (the interval floor)
MAX_PROBES_PER_TARGET = 200_000
MAX_DURATION_S = 900.0
MIN_INTERVAL_S = 0.0005
MAX_TARGETS = 1000


def state_root() -> Path:
    """Where WAN labs record the namespaces they created (the probe guard's registry).
    Runtime state like the namespaces themselves, so /run, and its own variable: sharing
    OAMKIT_STATE_DIR (the change engine's backups) made a playbook run with that set refuse
    to probe a lab that `oamkit lab wan up` had registered under the default."""
    return Path(os.environ.get("OAMKIT_RUN_DIR", "/run/oamkit"))


class SafetyError(InputError):
    """A probe request outside the safety bounds (exit 2, nothing sent)."""


def refuse(message: str, **where) -> SafetyError:
    return SafetyError([Problem(message, **where)])


# ------------------------------------------------------------------------------- namespaces
_libc = None


def _setns(fd: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def in_netns(name: str | None):
    """Run the block with this *thread* in network namespace `name` (None: stay). Sockets
    created inside keep that namespace after the block returns."""
    if not name:
        yield
        return
    target = NETNS_RUN_DIR / name
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        fd = os.open(target, os.O_RDONLY)
    except FileNotFoundError:
        os.close(own)
        raise refuse(f"network namespace {name!r} does not exist") from None
    try:
        _setns(fd)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(fd)
        os.close(own)


def current_netns_name() -> str | None:
    """Name of the named namespace this thread is in (None: unnamed, e.g. the root namespace)."""
    try:
        me = os.stat("/proc/thread-self/ns/net")
    except OSError:
        return None
    if NETNS_RUN_DIR.is_dir():
        for entry in NETNS_RUN_DIR.iterdir():
            try:
                st = os.stat(entry)
            except OSError:
                continue
            if (st.st_ino, st.st_dev) == (me.st_ino, me.st_dev):
                return entry.name
    return None


# ------------------------------------------------------------------------------- lab registry
@dataclass
class LabRecord:
    prefix: str
    namespaces: list[str]
    state_file: Path


def registered_labs() -> list[LabRecord]:
    labs = []
    base = state_root()
    for state_file in sorted(base.glob("*/*/state.json")):
        try:
            data = json.loads(state_file.read_text())
            labs.append(LabRecord(data["prefix"], list(data["namespaces"]), state_file))
        except (OSError, ValueError, KeyError):
            continue
    return labs


def lab_for_netns(name: str) -> LabRecord | None:
    for lab in registered_labs():
        if name in lab.namespaces and name.startswith(lab.prefix + "-"):
            return lab
    return None


def _ipv4_addresses(netns: str | None) -> list[tuple[str, dict]]:
    """(interface, addr_info) of every IPv4 address the kernel has in `netns` (None: where
    this process runs), from `ip -j -4 addr show`; [] when it cannot be read."""
    out = subprocess.run(["ip", *(["-n", netns] if netns else []), "-j", "-4", "addr", "show"],
                         capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        return []
    return [(link.get("ifname", "?"), info) for link in json.loads(out.stdout or "[]")
            for info in link.get("addr_info", []) if info.get("local")]


def addresses_in_netns(name: str) -> set[str]:
    return {info["local"] for _, info in _ipv4_addresses(name)}


def connected_subnets(netns: str | None) -> list[tuple[ipaddress.IPv4Network, str]]:
    """(subnet, interface) of every address configured in `netns` (None: where this process
    runs): the subnets the kernel knows the broadcast address of."""
    if netns and not NETNS_NAME.fullmatch(netns):      # refused by the guard, never looked up
        return []
    return [(ipaddress.IPv4Network(f"{info['local']}/{info.get('prefixlen', 32)}", strict=False), ifname)
            for ifname, info in _ipv4_addresses(netns)]


def lab_addresses(lab: LabRecord) -> set[str]:
    """Addresses actually configured inside the lab's (existing) namespaces right now."""
    addrs: set[str] = set()
    for ns in lab.namespaces:
        if (NETNS_RUN_DIR / ns).exists():
            addrs |= addresses_in_netns(ns)
    return {a for a in addrs if not ipaddress.ip_address(a).is_loopback}


def parse_allow(items, where: str = "--allow", file: str | None = None) -> list[ipaddress.IPv4Network]:
    """CIDRs or bare addresses (/32). Host bits set (10.1.1.1/24) are refused: an allow-list
    is reviewed by people, and that is likely a typo for something else."""
    out, problems = [], []
    for i, item in enumerate(items or []):
        try:
            out.append(ipaddress.IPv4Network(str(item).strip(), strict=True))
        except ValueError as exc:
            problems.append(Problem(f"not an IPv4 address or CIDR: {exc}", file=file,
                                    field=where if where.startswith("--") else f"{where}.{i}", value=item))
    if problems:
        raise SafetyError(problems)
    return out


def outside_allow(addrs, allow: list[ipaddress.IPv4Network]) -> list[str]:
    return [a for a in dict.fromkeys(addrs)
            if not is_loopback(a) and not any(ipaddress.IPv4Address(a) in net for net in allow)]


_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def non_unicast(addr) -> str | None:
    """Why an IPv4 address is no single host to probe (None: a unicast address). A directed
    broadcast (the last address of a subnet) needs the netmask: `directed_broadcast_problems`."""
    ip = ipaddress.IPv4Address(addr)
    if ip in _THIS_NETWORK:
        return "the unspecified address" if ip.is_unspecified else "a 'this network' address (0.0.0.0/8)"
    if ip == _LIMITED_BROADCAST:
        return "the broadcast address"
    if ip.is_multicast:
        return "a multicast address (224.0.0.0/4)"
    if ip.is_reserved:
        return "a reserved address (240.0.0.0/4)"
    return None


def directed_broadcast(addr, subnets) -> ipaddress.IPv4Network | None:
    """The subnet of `subnets` whose broadcast (last) address `addr` is, or None. A /31 (RFC
    3021: both addresses are hosts) and a /32 have no broadcast address."""
    ip = ipaddress.IPv4Address(addr)
    return next((net for net in subnets if net.prefixlen <= 30 and ip == net.broadcast_address), None)


def directed_broadcast_problems(targets, netns: str | None, allow: list[ipaddress.IPv4Network] | None,
                                where=None, file: str | None = None) -> list[Problem]:
    """A target that is the broadcast address of a subnet oamkit knows: an allow-list prefix,
    or a subnet connected in the namespace the probes leave from (`netns`; None: where this
    process runs). A router forwards a directed broadcast to every host of that subnet (or
    drops it): never one host's answer. `where(target)` -> (field, who) names it in the
    message (a plan's `sites.N.target` and the site)."""
    allow_nets = list(allow or [])
    connected = None          # read once, only when a target is worth looking up
    problems = []
    for t in dict.fromkeys(targets):
        try:
            ip = ipaddress.IPv4Address(t)
        except ValueError:
            continue            # named by the guard's own checks
        net, known = directed_broadcast(ip, allow_nets), "an allow-list prefix (plan key allow: or --allow)"
        if net is None:
            if connected is None:
                connected = connected_subnets(netns)
            hit = next(((n, ifname) for n, ifname in connected if directed_broadcast(ip, [n])), None)
            if hit is not None:
                net, known = hit[0], (f"connected on {hit[1]} in namespace {netns}" if netns
                                      else f"connected on {hit[1]} here")
        if net is not None:
            field, who = where(t) if where else ("target", None)
            problems.append(Problem(f"{who + ': ' if who else ''}target {t} is the broadcast address of {net} "
                                    f"({known}), not one host: probes go to unicast addresses; nothing was sent",
                                    file=file, field=field, value=t))
    return problems


def is_loopback(addr: str) -> bool:
    try:
        return ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------------------- the guard
def _per_target_rate_problems(targets: list[str], interval: float, ceiling: float) -> list[Problem]:
    """Packets per second to each address: one per slot per interval, and an address probed
    with several protocols (a baseline probes ICMP and the fallback) gets one per slot. The
    operator must see which target and what rate, to fix the right knob."""
    if not interval > 0:
        return []
    by_rate: dict[float, list[str]] = {}
    for addr, n in Counter(targets).items():
        rate = n / interval
        if rate > ceiling + 1e-9:
            by_rate.setdefault(rate, []).append(addr)
    out = []
    for rate, addrs in sorted(by_rate.items(), reverse=True):
        shown = ", ".join(addrs[:5]) + (f" and {len(addrs) - 5} more" if len(addrs) > 5 else "")
        out.append(Problem(f"{rate:g} packets/s to target {shown} exceeds the per-target maximum of "
                           f"{ceiling:g} packets/s (max_target_pps)", field="max_target_pps", value=shown))
    return out


def check_probe_request(targets: list[str], interval: float, rounds: int, netns: str | None,
                        allowed: set[str] | None = None, max_rate_pps: float = MAX_RATE_PPS,
                        max_duration_s: float = MAX_DURATION_S,
                        allow: list[ipaddress.IPv4Network] | None = None,
                        max_target_pps: float = MAX_TARGET_PPS) -> str | None:
    """Raise SafetyError unless the request is inside every bound. Returns the namespace the
    probe will run in (the given one, or the one the caller is already in). `allow`: the
    operator's allow-list (None: only loopback and registered lab namespaces)."""
    problems: list[Problem] = []
    if not targets:
        problems.append(Problem("no targets"))
    if len(targets) > MAX_TARGETS:
        problems.append(Problem(f"too many targets ({len(targets)} > {MAX_TARGETS})"))
    for t in targets:
        try:
            ip = ipaddress.ip_address(t)
        except ValueError:
            problems.append(Problem("not an IPv4 address (names are not resolved)", value=t))
            continue
        if ip.version != 4:
            problems.append(Problem("only IPv4 targets are supported", value=t))
        elif (why := non_unicast(ip)) is not None:
            problems.append(Problem(f"target {t} is {why}, not one host: probes go to unicast addresses",
                                    field="target", value=t))
    if interval != interval or interval == float("inf"):
        problems.append(Problem("interval must be a finite duration", field="interval",
                                value=interval))
    elif interval < MIN_INTERVAL_S:
        problems.append(Problem(f"interval below the floor of {MIN_INTERVAL_S * 1000:g} ms",
                                field="interval", value=interval))
    rate = len(targets) / interval if interval > 0 else float("inf")   # one probe per slot per interval
    if rate > min(max_rate_pps, MAX_RATE_PPS):
        problems.append(Problem(f"rate {rate:.0f} probes/s exceeds the maximum "
                                f"{min(max_rate_pps, MAX_RATE_PPS):.0f}", field="interval"))
    problems += _per_target_rate_problems(targets, interval, min(max_target_pps, MAX_TARGET_PPS))
    if rounds < 1 or rounds > MAX_PROBES_PER_TARGET:
        problems.append(Problem(f"count must be 1..{MAX_PROBES_PER_TARGET}", field="count", value=rounds))
    if rounds * interval > min(max_duration_s, MAX_DURATION_S):
        problems.append(Problem(f"run would last {rounds * interval:.1f} s, over the maximum "
                                f"{min(max_duration_s, MAX_DURATION_S):.0f} s", field="count"))
    if problems:
        raise SafetyError(problems)

    if allowed is not None:
        outside = [t for t in targets if t not in allowed]
        if outside:
            raise refuse("target is not in the plan", value=", ".join(outside))
    if netns and not NETNS_NAME.fullmatch(netns):   # `../../proc/PID/ns/net` passed the exists()
        raise refuse("not a network namespace name (a name in /run/netns, not a path)",
                     field="netns", value=netns)
    if netns and not (NETNS_RUN_DIR / netns).exists():
        raise refuse(f"network namespace {netns!r} does not exist", field="source.netns", value=netns)
    broadcasts = directed_broadcast_problems(targets, netns, allow)
    if broadcasts:
        raise SafetyError(broadcasts)
    if allow is not None:
        outside = outside_allow(targets, allow)
        if outside:
            raise refuse("target is outside the allow-list (plan key allow: or --allow CIDR); nothing was sent",
                         value=", ".join(outside))
        return netns          # the operator's reviewed list: the host stack or any namespace
    all_loopback = all(is_loopback(t) for t in targets)
    ns = netns or current_netns_name()
    if all_loopback:
        return netns
    if ns is None:
        raise refuse("refusing to probe non-loopback targets outside an oamkit lab namespace; "
                     "run inside the lab (--netns), probe 127.0.0.0/8, or give an allow-list "
                     "(--allow CIDR, plan key allow:)",
                     value=", ".join(t for t in targets if not is_loopback(t)))
    lab = lab_for_netns(ns)
    if lab is None:
        raise refuse(f"network namespace {ns!r} was not created by an oamkit lab, and no allow-list "
                     "(--allow CIDR, plan key allow:) covers the targets",
                     value=", ".join(t for t in targets if not is_loopback(t)))
    inside = lab_addresses(lab)
    outside = [t for t in targets if not is_loopback(t) and t not in inside]
    if outside:
        raise refuse(f"target is not an address inside lab {lab.prefix!r}", value=", ".join(outside))
    return ns
