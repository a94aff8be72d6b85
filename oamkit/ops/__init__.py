"""oamkit's operations: the public Python API, and what the CLI commands and playbook steps
call (so the three behave the same).

    from oamkit import ops
    run = ops.push("inventory/", filter=["platform=cisco_xr"], canary=1)
    report = ops.check("inventory/")

Every operation validates its whole input first and raises `oamkit.errors.InputError`
(exit 2 on the CLI) before any device is contacted.

Names load on first use: `ops.render` does not import the change engine (netmiko, paramiko),
so a command that only renders or checks starts without them.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# public name -> the module that defines it (and the name it has there)
_EXPORTS = {
    **{name: ("oamkit.ops.changes", name) for name in ("ChangeRun", "diff", "find_change", "push", "rollback")},
    **{name: ("oamkit.ops.explain", name) for name in ("Explanation", "explain_policy")},
    **{name: ("oamkit.ops.reads", name) for name in ("CollectRun", "FactsRun", "check", "collect_fleet",
                                                     "facts", "history_path", "mark_checked")},
    "collect": ("oamkit.ops.reads", "collect_fleet"),   # the module `oamkit.collect` keeps its name
    **{name: ("oamkit.ops.rendering", name) for name in ("RenderRun", "render")},
    **{name: ("oamkit.ops.selection", name) for name in ("Selection", "load_inventory", "select")},
    "interrupted": ("oamkit.runner", "interrupted"),
}

__all__ = ["ChangeRun", "CollectRun", "Explanation", "FactsRun", "RenderRun", "Selection", "check", "collect",
           "diff", "explain_policy", "facts", "find_change", "history_path", "interrupted", "load_inventory", "mark_checked", "push",
           "render", "rollback", "select"]

if TYPE_CHECKING:   # for type checkers and IDEs; at run time names load on first use
    from oamkit.ops.changes import ChangeRun, diff, find_change, push, rollback
    from oamkit.ops.explain import Explanation, explain_policy
    from oamkit.ops.reads import (CollectRun, FactsRun, check, collect_fleet, facts, history_path,
                                   mark_checked)
    from oamkit.ops.rendering import RenderRun, render
    from oamkit.ops.selection import Selection, load_inventory, select
    from oamkit.runner import interrupted

    collect = collect_fleet


def __getattr__(name: str):
    target = _EXPORTS.get(name)
    if target is None:
        try:   # a submodule (`ops.reads.KEEP_DAYS`) not imported yet
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module, attribute = target
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value   # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
