"""Scapy-templated raw-socket probe engine for reachability, path and outage measurement."""
from oamkit.probe.engine import ProbeEngine, ProbeRun, Slot, rounds_for, run_probes
from oamkit.probe.proto import ProbeProto, parse_interval

__all__ = ["ProbeEngine", "ProbeRun", "ProbeProto", "Slot", "parse_interval", "rounds_for", "run_probes"]
