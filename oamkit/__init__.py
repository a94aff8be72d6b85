"""oamkit: Ethernet link OAM policy, safe pushes, compliance checks and WAN failover tests.

The public Python API is the operations layer (`oamkit.ops`) and its result types:

    from oamkit import ops, InputError
    run = ops.push("inventory/", filter=["platform=cisco_xr"], canary=1)
    print(run.change_id, run.outcomes, run.exit_code)

`push`, `diff`, `rollback`, `check` and the result types are also importable from here
directly; `ops.render`, `ops.collect` and `ops.facts` are not, because `oamkit.render` and
`oamkit.collect` are modules of their own.

Each operation validates its whole input first and raises `InputError` (the CLI's exit 2)
before any device is contacted. See docs/api.md. Names load on first use, so `import oamkit`
(and the `oamkit` command's start-up) stays light.
"""
from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# asyncssh names cryptography's DSA classes at import (it still reads ssh-dss keys, which
# oamkit never offers): five lines of CryptographyDeprecationWarning on stderr of every run on
# `ssh.driver: asyncssh`, the lab's log and a scheduled check's mail, about nothing the user did
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh\.")

# public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(("diff", "push", "rollback", "check", "select", "load_inventory",
                     "find_change", "ChangeRun", "CollectRun", "FactsRun", "RenderRun",
                     "Selection"), "oamkit.ops"),
    **dict.fromkeys(("HostResult", "ConfigDriver", "new_change_id", "list_changes"), "oamkit.engine"),
    "CheckReport": "oamkit.report",
    **dict.fromkeys(("HostCheck", "CheckResult", "Rules"), "oamkit.checks"),
    "Inventory": "oamkit.inventory",
    "LinkOamIntent": "oamkit.policy",
    **dict.fromkeys(("OamkitError", "InputError", "Problem", "ExitCode"), "oamkit.errors"),
}
__all__ = ["__version__", "ops", *sorted(_EXPORTS)]

if TYPE_CHECKING:   # for type checkers and IDEs; at run time names load on first use
    from oamkit.checks import CheckResult, HostCheck, Rules
    from oamkit.engine import ConfigDriver, HostResult, list_changes, new_change_id
    from oamkit.errors import ExitCode, InputError, OamkitError, Problem
    from oamkit.inventory import Inventory
    from oamkit import ops
    from oamkit.ops import (ChangeRun, CollectRun, FactsRun, RenderRun, Selection, check, diff,
                            find_change, load_inventory, push, rollback, select)
    from oamkit.policy import LinkOamIntent
    from oamkit.report import CheckReport


def __getattr__(name: str):
    if name == "ops":
        return importlib.import_module("oamkit.ops")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'oamkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value   # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
