"""Probe protocol specs: `icmp`, `tcp:PORT`, `udp:PORT`; probe intervals (`10ms`, `1s`)."""
from __future__ import annotations

import re
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


_UNITS = (("ms", 1e-3), ("us", 1e-6), ("s", 1.0))      # "ms" and "us" before "s"


def bare_number(value: object) -> bool:
    """A number without a unit: 10, 0.5, '10', ' 0.5 ' (True and False are no numbers)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and re.fullmatch(r"\s*(\d+\.?\d*|\.\d+)\s*", value) is not None


def parse_interval(text: object) -> float:
    """'10ms', '2ms', '0.5s', '1s', '100us' -> seconds. A bare number is refused, from the CLI,
    a playbook or a plan alike: `interval: 10` written for 10 ms would probe every 10 s (and
    a vendor's BFD `interval 100` is milliseconds)."""
    if bare_number(text):
        n = f"{float(text):g}"
        raise ValueError(f"give the interval a unit, e.g. '{n}ms' or '{n}s' (a bare number is ambiguous; "
                         f"nothing was sent)")
    t = str(text).strip().lower()
    for unit, scale in _UNITS:
        if t.endswith(unit):
            try:
                return float(t[:-len(unit)]) * scale
            except ValueError:
                break
    raise ValueError(f"bad interval {text!r}; use e.g. 10ms or 0.5s")
