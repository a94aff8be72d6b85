"""Probe protocol specs: `icmp`, `tcp:PORT`, `udp:PORT`."""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("icmp", "tcp", "udp")


@dataclass(frozen=True)
class ProbeProto:
    kind: str           # icmp | tcp | udp
    port: int = 0       # destination port for tcp/udp

    @classmethod
    def parse(cls, text: str) -> "ProbeProto":
        text = str(text).strip().lower()
        if text == "icmp":
            return cls("icmp")
        kind, sep, port = text.partition(":")
        if kind not in ("tcp", "udp") or not sep:
            raise ValueError(f"unknown probe protocol {text!r}; use icmp, tcp:PORT or udp:PORT")
        try:
            number = int(port)
        except ValueError:
            raise ValueError(f"port in {text!r} is not a number") from None
        if not 1 <= number <= 65535:
            raise ValueError(f"port {number} out of range 1-65535")
        return cls(kind, number)

    def __str__(self) -> str:
        return self.kind if self.kind == "icmp" else f"{self.kind}:{self.port}"


def parse_interval(text: str | float) -> float:
    """'10ms', '2ms', '0.5s', '1s' or a number of seconds -> seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    t = str(text).strip().lower()
    try:
        if t.endswith("ms"):
            return float(t[:-2]) / 1000.0
        if t.endswith("us"):
            return float(t[:-2]) / 1e6
        if t.endswith("s"):
            return float(t[:-1])
        return float(t)
    except ValueError:
        raise ValueError(f"bad interval {text!r}; use e.g. 10ms or 0.5s") from None
