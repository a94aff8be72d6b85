"""oamkit's operations: the public Python API, and what the CLI commands and playbook steps
call (so the three behave the same).

    from oamkit import ops
    run = ops.push("inventory/", filter=["platform=cisco_xr"], canary=1)
    report = ops.check("inventory/")

Every operation validates its whole input first and raises `oamkit.errors.InputError`
(exit 2 on the CLI) before any device is contacted.
"""
from oamkit.ops.changes import ChangeRun, diff, find_change, push, rollback
from oamkit.ops.explain import Explanation, explain_policy
from oamkit.ops.reads import CollectRun, FactsRun, check, collect_fleet, facts, history_path
from oamkit.ops.rendering import RenderRun, render
from oamkit.ops.selection import Selection, load_inventory, select
from oamkit.runner import interrupted

collect = collect_fleet   # `ops.collect(...)`; the module `oamkit.collect` keeps its name

__all__ = ["ChangeRun", "CollectRun", "Explanation", "FactsRun", "RenderRun", "Selection", "check", "collect",
           "diff", "explain_policy", "facts", "find_change", "history_path", "interrupted", "load_inventory", "push", "render",
           "rollback", "select"]
