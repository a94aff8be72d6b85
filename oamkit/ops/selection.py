"""Which hosts an operation works on: an inventory (a folder or a loaded `Inventory`), a
`--filter`/`--limit` selection, their plans, and everything checked before any device is
contacted (the selection is not empty, the policy renders, credentials exist, the transport
has a form)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from oamkit.errors import InputError, Problem
from oamkit.inventory import HostSettings, Inventory
from oamkit.platforms import get_platform
from oamkit.render import HostPlan, plan_hosts

DEFAULT_INVENTORY = "inventory"


def load_inventory(inventory: "InventoryLike") -> Inventory:
    """An `Inventory` as given, or loaded from a folder (default: $OAMKIT_INVENTORY, then
    ./inventory)."""
    if isinstance(inventory, Selection):
        return inventory.inventory
    if isinstance(inventory, Inventory):
        return inventory
    return Inventory.load(inventory or Path(os.environ.get("OAMKIT_INVENTORY", DEFAULT_INVENTORY)))


@dataclass
class Selection:
    inventory: Inventory
    plans: list[HostPlan]
    skipped: list[HostSettings] = field(default_factory=list)   # selected, but not for this operation

    @property
    def hosts(self) -> list[str]:
        return [p.host.name for p in self.plans]


# What operations take: a folder, a loaded inventory, or a selection made with `select()`.
InventoryLike = Selection | Inventory | str | Path | None


def select(inventory: InventoryLike, filter: list[str] | None = None,
           limit: str | list[str] | None = None, *, intent: bool = True,
           ssh_only: bool = False, credentials: bool = True) -> Selection:
    """The selected hosts and their plans. `intent`: render-check the policy (a change or a
    drift check needs it; facts and collect do not). `ssh_only`: NETCONF hosts are set aside
    in `skipped` (reads over the CLI). `credentials`: every planned host can log in.
    Raises InputError (exit 2) before anything is sent. A `Selection` passed in is used as is
    (a caller that validated first does not plan the fleet twice)."""
    if isinstance(inventory, Selection) and not filter and not limit:
        return inventory
    if isinstance(filter, str):   # one expression, not its characters one by one
        filter = [filter]
    inv = load_inventory(inventory)
    hosts = inv.select(filter, limit)
    if not hosts:
        if not inv.hosts:   # nothing to select from: not the filter's fault
            raise InputError([Problem("the inventory has no hosts", file=str(inv.hosts_file))])
        raise InputError([Problem("no host matches the selection", field="--filter/--limit")])
    chosen = [h for h in hosts if h.transport == "ssh"] if ssh_only else hosts
    # the complement by transport, not `h not in chosen`: that compares pydantic models
    # pairwise, quadratic in the fleet (2,000 hosts: two million comparisons, seconds)
    skipped = [h for h in hosts if h.transport != "ssh"] if ssh_only else []
    plans = plan_hosts(inv, chosen) if intent else [HostPlan(h, get_platform(h.platform)) for h in chosen]
    if credentials:
        inv.require_credentials(chosen)
    no_form = [p.host.name for p in plans if p.host.transport == "netconf" and p.platform.netconf is None]
    if no_form:
        raise InputError([Problem(f"transport netconf is not available for: {', '.join(no_form)}",
                                  field="transport")])
    return Selection(inv, plans, skipped)
