"""Scapy-templated raw-socket probe engine for reachability, path and outage measurement.

The names below load on first use: the engine pulls in numpy, and a light submodule (e.g.
`oamkit.probe.safety`, which the WAN lab needs) must not pay for it."""
from __future__ import annotations

import importlib

_EXPORTS = {"ProbeEngine": "engine", "ProbeRun": "engine", "Slot": "engine", "rounds_for": "engine",
            "run_probes": "engine", "ProbeProto": "proto", "parse_interval": "proto"}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
