"""The ICMP probes the engine sends are what scapy builds for the same fields (checksum
included): the engine computes the checksum from the template's constant sum, not per packet."""
from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import ICMP
from scapy.packet import Raw, raw

from oamkit.probe.engine import MAGIC, ProbeEngine, Slot
from oamkit.probe.proto import ProbeProto


@pytest.fixture
def engine():
    # nothing is sent: the engine only builds packets (1,000 slots, for slot numbers that high)
    e = ProbeEngine([Slot("127.0.0.1", ProbeProto("icmp"))] * 1000, 10.0, 1, realtime=False)
    yield e
    e.close()


@pytest.mark.parametrize("slot,k", [(0, 0), (1, 1), (2, 0xFFFF), (2, 0x10000), (1, 0x1234ABCD),
                                    (0, 0xFFFFFFFF), (999, 199_999)])
def test_icmp_probe_is_scapys_packet_for_the_same_fields(engine, slot, k):
    for ident in (1, 0x7FFF, 0xFFFF, 0xFEDC):   # carries out of the 16-bit sum included
        engine.ident = ident
        engine._prepare_icmp()
        payload = MAGIC + struct.pack("!HHI", slot, ident, k) + b"\0" * 4
        want = raw(ICMP(type=8, code=0, id=ident, seq=k & 0xFFFF) / Raw(payload))
        assert engine.packet(slot, k) == want


def test_icmp_checksum_whose_first_fold_carries(engine):
    """Slots chosen so that folding the sum once still leaves a carry (the rare case)."""
    engine.ident = 0xFFFF
    engine._prepare_icmp()
    carrying = []
    for k in range(0x10000):
        for slot in (0, 1, 999):
            total = engine._icmp_sum + slot + (k >> 16) + 2 * (k & 0xFFFF)
            if (total >> 16) + (total & 0xFFFF) > 0xFFFF:
                carrying.append((slot, k))
    assert carrying, "no probe makes the fold carry; pick other fields"
    for slot, k in carrying[:5]:
        payload = MAGIC + struct.pack("!HHI", slot, 0xFFFF, k) + b"\0" * 4
        assert engine.packet(slot, k) == raw(ICMP(type=8, code=0, id=0xFFFF, seq=k & 0xFFFF) / Raw(payload))
