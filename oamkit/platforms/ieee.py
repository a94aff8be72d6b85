"""A device that implements the IEEE 802.3.2 `ieee802-ethernet-link-oam` YANG module over NETCONF.

The standard has one threshold per event (1..max, our low threshold), no high threshold or
actions, and windows in IEEE units with the Clause 30 limits (vendor notes §1.1, §1.4).
"""
from oamkit.platforms.base import Event, NetconfModel, Platform, Range, Toggle, Window

_T = Range(1, 2**64 - 1)
_U64 = Range(1, 2**64 - 1)
# Clause 30 (30.3.6.1.34, .38): symbol/frame-period windows from the PHY's count in 1 s to its
# count in 1 min (the YANG leaf is a bare uint64)
_ONE_S_TO_ONE_MIN = Range(1000, 60000)

PLATFORM = Platform(
    name="ieee",
    display="IEEE 802.3.2 YANG (NETCONF)",
    netmiko_device_type="",
    commit_model="candidate",
    transports=("netconf",),
    events={
        "symbol_period": Event("symbol-period-event", Window(_U64, unit_label="symbols",
                                                             span_ms=_ONE_S_TO_ONE_MIN), _T),
        "frame": Event("frame-event", Window(Range(10, 600), unit_label="deciseconds"), _T),
        "frame_period": Event("frame-period-event", Window(_U64, unit_label="frames",
                                                           span_ms=_ONE_S_TO_ONE_MIN), _T),
        "frame_seconds": Event("frame-seconds-event", Window(Range(100, 9000), unit_label="deciseconds"), _T),
    },
    # functions-supported/loopback, default true (vendor notes §1.4)
    remote_loopback=Toggle(on="true", off="false"),
    unsupported={
        "link_monitor.receive_crc": "the standard has no CRC event; receive-CRC is a Cisco IOS "
                                    "extension (vendor notes §1.4)",
        "link_monitor.transmit_crc": "the standard has no CRC event; transmit-CRC is a Cisco IOS "
                                     "extension (vendor notes §1.4)",
        "link_monitor.high": "the standard has one threshold per event, the policy's low "
                             "threshold (vendor notes §1.1, §1.4)",
        "high_threshold_action": "the IEEE YANG module has no actions (vendor notes §1.4)",
        "remote_failure": "the IEEE YANG module has no actions (vendor notes §1.4)",
        "pdu_interval": "not a configuration leaf of ieee802-ethernet-link-oam (vendor notes §1.4)",
        "pdu_max_rate": "not a configuration leaf of ieee802-ethernet-link-oam (vendor notes §1.4)",
        "link_timeout": "not a configuration leaf of ieee802-ethernet-link-oam (vendor notes §1.4)",
        "link_fault_holdup": "not a configuration leaf of ieee802-ethernet-link-oam (vendor "
                             "notes §1.4)",
    },
    templates={"netconf": "ieee/netconf.xml.j2"},
    confirmed_commit_unit="seconds",
    netconf=NetconfModel(
        list_keys={"interface": ("name",), "event-type": ("threshold-type",)},
        managed_lists={"interface": "intent"}, owned_path=r"link-oam"),
)
