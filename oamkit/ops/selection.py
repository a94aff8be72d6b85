"""Which hosts an operation works on: an inventory (a folder or a loaded `Inventory`), a
`--filter`/`--limit` selection, their plans, and everything checked before any device is
contacted (the selection is not empty, the policy renders, credentials exist, the transport
has a form)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from oamkit import maintenance
from oamkit.errors import InputError, Problem
from oamkit.inventory import POINT_AT_INVENTORY, HostSettings, Inventory
from oamkit.platforms import get_platform
from oamkit.render import HostPlan, plan_hosts
from oamkit.transport.reader import readable

DEFAULT_INVENTORY = "inventory"


def load_inventory(inventory: "InventoryLike") -> Inventory:
    """An `Inventory` as given, or loaded from a folder (default: $OAMKIT_INVENTORY, then
    ./inventory)."""
    if isinstance(inventory, Selection):
        return inventory.inventory
    if isinstance(inventory, Inventory):
        return inventory
    if inventory:
        return Inventory.load(inventory)
    given = os.environ.get("OAMKIT_INVENTORY")
    folder = Path(given or DEFAULT_INVENTORY)
    if not given and not folder.is_dir():
        # the default folder: say where that was (the working directory's) and how to give one
        raise InputError([Problem(f"inventory folder not found (the default: neither -i DIR nor "
                                  f"OAMKIT_INVENTORY was given); {POINT_AT_INVENTORY}",
                                  file=str(folder.absolute()))])
    return Inventory.load(folder)


@dataclass
class Selection:
    inventory: Inventory
    plans: list[HostPlan]
    skipped: list[HostSettings] = field(default_factory=list)   # selected, but not for this operation
    # how it was made (select's options): an operation that needs more gets it made again
    intent: bool = True
    readable_only: bool = False
    credentials: bool = True

    @property
    def hosts(self) -> list[str]:
        return [p.host.name for p in self.plans]

    def serves(self, intent: bool, readable_only: bool, credentials: bool) -> bool:
        """Made with everything an operation asking for these options relies on."""
        return (self.intent or not intent) and self.readable_only == readable_only and \
            (self.credentials or not credentials)


# What operations take: a folder, a loaded inventory, or a selection made with `select()`.
InventoryLike = Selection | Inventory | str | Path | None


def select(inventory: InventoryLike, filter: list[str] | None = None,
           limit: str | list[str] | None = None, *, intent: bool = True,
           readable_only: bool = False, credentials: bool = True, fmt: str | None = None) -> Selection:
    """The selected hosts and their plans. `intent`: render-check the policy (a change or a
    drift check needs it; facts and collect do not). `readable_only`: hosts that `check`,
    `collect` and `facts` cannot read (`split_readable`: NETCONF hosts of a platform without
    show commands over NETCONF) are set aside in `skipped`. `credentials`: every planned host
    can log in.
    Raises InputError (exit 2) before anything is sent. A `Selection` passed in is used as is
    when it was made with what this operation needs (a caller that validated first does not
    plan the fleet twice); otherwise its hosts are selected again for it (a selection made
    without the intent has no plan a push may act on), and `filter`/`limit` narrow it."""
    filter, limit = _selection_args(filter, limit)
    if isinstance(inventory, Selection):
        if not filter and not limit and inventory.serves(intent, readable_only, credentials):
            return inventory
        within = {h.name for h in [p.host for p in inventory.plans] + inventory.skipped}
    else:
        within = None
    inv = load_inventory(inventory)
    hosts = inv.select(filter, limit)
    if within is not None:
        hosts = [h for h in hosts if h.name in within]
    if not hosts:
        if not inv.hosts:   # nothing to select from: not the filter's fault
            raise InputError([Problem("the inventory has no hosts", file=str(inv.hosts_file))])
        raise InputError([Problem("no host matches the selection", field="--filter/--limit")])
    chosen, skipped = split_readable(hosts) if readable_only else (hosts, [])
    plans = plan_hosts(inv, chosen, fmt) if intent else [HostPlan(h, get_platform(h.platform)) for h in chosen]
    if credentials:
        inv.require_credentials(chosen)
    no_form = [p.host.name for p in plans if p.host.transport == "netconf" and p.platform.netconf is None]
    if no_form:
        raise InputError([Problem(f"transport netconf is not available for: {', '.join(no_form)}",
                                  field="transport")])
    return Selection(inv, plans, skipped, intent, readable_only, credentials)


def split_readable(hosts: list[HostSettings]) -> tuple[list[HostSettings], list[HostSettings]]:
    """(the hosts `check`, `collect` and `facts` can read, the others), each in order
    (`transport.reader.readable`). Split in one pass, not by `h not in chosen`: that compares
    pydantic models pairwise, quadratic in the fleet (2,000 hosts: two million comparisons)."""
    chosen: list[HostSettings] = []
    skipped: list[HostSettings] = []
    for host in hosts:
        (chosen if readable(host) else skipped).append(host)
    return chosen, skipped


def _selection_args(filter, limit) -> tuple[list[str] | None, str | list[str] | None]:
    """`filter` and `limit` as the inventory takes them, or InputError (a number where host
    names go was a TypeError deep in the inventory)."""
    if isinstance(filter, str):   # one expression, not its characters one by one
        filter = [filter]
    problems = []
    if filter is not None and not (isinstance(filter, (list, tuple))
                                   and all(isinstance(f, str) for f in filter)):
        problems.append(Problem("must be a filter expression or a list of them (KEY=VALUE)",
                                field="filter", value=repr(filter)))
    if limit is not None and not (isinstance(limit, str) or isinstance(limit, (list, tuple))
                                  and all(isinstance(n, str) for n in limit)):
        problems.append(Problem("must be host names (a comma-separated string or a list)",
                                field="limit", value=repr(limit)))
    if problems:
        raise InputError(problems)
    return (list(filter) if filter is not None else None), limit


def split_down(plans: list[HostPlan]) -> tuple[list[HostPlan], list[tuple[HostPlan, dict]], dict]:
    """(plans to contact, [(plan, status)] of the hosts marked down in the inventory, every
    host's maintenance status). Down hosts are reported skipped by every command that contacts
    devices, never contacted (`maintenance.contacted`); the inventory's marks are checked first
    (InputError, nothing contacted)."""
    held = maintenance.statuses([p.host for p in plans])
    down = [(p, held[p.host.name]) for p in plans if not maintenance.contacted(held[p.host.name])]
    gone = {p.host.name for p, _ in down}
    return [p for p in plans if p.host.name not in gone], down, held
