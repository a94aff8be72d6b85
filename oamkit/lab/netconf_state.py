"""What the lab's NETCONF side keeps per device and per session, apart from the RPCs: the
settings read live from the Device (``netconf_model``, ``netconf_validate``... see
``oamkit.lab.netconf``), the bookkeeping of sessions and confirmed commits kept on the Device,
and the capabilities a hello advertises.

Its own module so that the server loop (``netconf``) and the RPC handlers (``netconf_rpcs``)
both read it without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oamkit.lab.device import Device
from oamkit.lab.netconf_yang import get_model

if TYPE_CHECKING:
    from oamkit.lab.netconf import NetconfSession

BASE10 = "urn:ietf:params:netconf:base:1.0"
BASE11 = "urn:ietf:params:netconf:base:1.1"
CAP = "urn:ietf:params:netconf:capability:"
CAP_CANDIDATE = CAP + "candidate:1.0"
CAP_CONFIRMED_10 = CAP + "confirmed-commit:1.0"
CAP_CONFIRMED_11 = CAP + "confirmed-commit:1.1"
CAP_VALIDATE_10 = CAP + "validate:1.0"
CAP_VALIDATE_11 = CAP + "validate:1.1"
CAP_ROLLBACK = CAP + "rollback-on-error:1.0"
CAP_WRITABLE_RUNNING = CAP + "writable-running:1.0"
DEFAULT_CONFIRM_TIMEOUT = 600


class SessionDropped(Exception):
    """The fault injector asked to drop the connection."""


# --------------------------------------------------------------------------- settings
@dataclass
class NetconfSettings:
    model: str
    validate_at: str
    base11: bool
    delay: float
    drop_on: frozenset[str]
    drop_after: frozenset[str]
    commit_delay: float
    ieee_namespace: str = "own"


def _setting(device: Device, name: str, default: Any) -> Any:
    if getattr(device, name, None) is not None:
        return getattr(device, name)
    return device.faults.extra.get(name, default)


def settings_for(device: Device) -> NetconfSettings:
    model = str(_setting(device, "netconf_model", "native"))
    if model == "native":
        model = {"cisco_xr": "cisco_xr", "juniper_junos": "junos"}.get(device.platform, "ieee")
    validate_at = str(_setting(device, "netconf_validate", "edit-config"))
    if validate_at not in ("edit-config", "commit"):
        raise ValueError(f"{device.name}: netconf_validate must be edit-config or commit")
    def names(key: str) -> frozenset[str]:
        value = _setting(device, key, ())
        return frozenset([value] if isinstance(value, str) else value or ())

    return NetconfSettings(model, validate_at, bool(_setting(device, "netconf_base11", True)),
                           float(_setting(device, "netconf_delay", 0.0) or 0.0),
                           names("netconf_drop_on"), names("netconf_drop_after"),
                           float(_setting(device, "netconf_commit_delay", 0.0) or 0.0),
                           str(_setting(device, "netconf_ieee_namespace", "own")))


@dataclass
class DeviceNetconfState:
    """NETCONF bookkeeping kept on the Device (attribute ``netconf_state``)."""

    sessions: dict[int, "NetconfSession"] = field(default_factory=dict)
    confirm_owner: int | None = None      # session that issued the pending confirmed commit
    persist: str | None = None            # its persist token, if any


def state_of(device: Device) -> DeviceNetconfState:
    st = getattr(device, "netconf_state", None)
    if st is None:
        st = DeviceNetconfState()
        device.netconf_state = st  # type: ignore[attr-defined]
    if not device.confirm_pending:
        st.confirm_owner = st.persist = None
    return st


def capabilities(device: Device, settings: NetconfSettings | None = None) -> list[str]:
    s = settings or settings_for(device)
    caps = [BASE10] + ([BASE11] if s.base11 else [])
    if device.has_candidate:
        caps += [CAP_CANDIDATE, CAP_CONFIRMED_10, CAP_CONFIRMED_11]
    else:
        caps.append(CAP_WRITABLE_RUNNING)
    caps += [CAP_VALIDATE_10, CAP_VALIDATE_11, CAP_ROLLBACK]
    caps += get_model(s.model).capabilities
    return caps
