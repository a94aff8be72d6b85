"""The one list of step types. Each is registered here once, with the model of its options,
the function that runs it, and what it does with hosts: whether it selects them (takes
`filter:`/`limit:`, its hosts resolved from the inventory before anything runs), logs in to
them and renders their intended config (so credentials and policies are checked first, too).
The play model's step keys, the error messages that list the step types, host resolution and
the runner all read this table; adding a step type is one line here (plus its options model
and its run function)."""
from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel

from oamkit.playbook import steps
from oamkit.playbook.options import (AssertOpts, CheckOpts, CollectOpts, DiffOpts, DrtestOpts,
                                     MaintenanceOpts, ProbeOpts, PushOpts, RenderOpts, WaitOpts)


@dataclass(frozen=True)
class StepType:
    """One step type: its playbook key, its options, its run function, its use of hosts."""

    name: str                      # the step's key in the playbook: `push:`
    options: type[BaseModel]       # what that key accepts
    run: Callable                  # run(ctx, step, options) -> (exit code, result, summary)
    selects_hosts: bool = False    # works on inventory hosts: takes filter/limit
    logs_in: bool = False          # logs in to them: their credentials are checked first
    plans_intent: bool = False     # renders their intended config: the policies are checked first

    @property
    def field(self) -> str:
        """The attribute on the Step model (`assert` is a Python keyword: `assert_`)."""
        return self.name + "_" if keyword.iskeyword(self.name) else self.name


# In the order the docs and the error messages list them.
STEPS: dict[str, StepType] = {t.name: t for t in (
    StepType("render", RenderOpts, steps.run_render, selects_hosts=True, plans_intent=True),
    StepType("diff", DiffOpts, steps.run_diff, selects_hosts=True, logs_in=True, plans_intent=True),
    StepType("push", PushOpts, steps.run_push, selects_hosts=True, logs_in=True, plans_intent=True),
    StepType("collect", CollectOpts, steps.run_collect, selects_hosts=True, logs_in=True),
    StepType("check", CheckOpts, steps.run_check, selects_hosts=True, logs_in=True, plans_intent=True),
    StepType("probe", ProbeOpts, steps.run_probe),
    StepType("drtest", DrtestOpts, steps.run_drtest),
    StepType("wait", WaitOpts, steps.run_wait),
    StepType("maintenance", MaintenanceOpts, steps.run_maintenance, selects_hosts=True),
    StepType("assert", AssertOpts, steps.run_assert),
)}

# Views of the table, under the names callers have always used.
STEP_TYPES: tuple[str, ...] = tuple(STEPS)
HOST_STEPS: tuple[str, ...] = tuple(t.name for t in STEPS.values() if t.selects_hosts)
