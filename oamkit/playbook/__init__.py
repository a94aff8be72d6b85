"""Playbooks: a reviewed YAML file that says what to do, to which hosts, in what order, and what
must hold afterwards (`oamkit run PLAYBOOK.yaml`).

    name: Roll out the receive-CRC link monitor
    vars: {canary: 1}
    filter: [platform=cisco_ios]          # play-wide selection (the CLI's --filter/--limit)
    steps:
      - name: push with a canary
        push: {canary: "{{ canary }}"}
      - check: {}
      - assert:
          that: ["result.status == 'OK'"]
    always:                               # cleanup: runs whatever happened above
      - maintenance: {state: "off"}

Everything is validated before anything runs (`load()`): YAML, every key (pydantic, strict),
variables (Jinja, StrictUndefined), filters and limits against the inventory, policies, rules
files, DR plans and probe requests. A problem names the file, line and key, and `oamkit run`
exits 2 having contacted nothing. Steps call the library functions the CLI commands call (no
subprocesses). A failing step stops the play unless it says `ignore_errors: true`; `always:`
steps run regardless, each of them, like a DR test's restore.

The package, in the order a play goes through it: `loader` (YAML with line numbers, variables,
-e extra vars), `options` (what each step type accepts), `steps` (what each step type does),
`registry` (the one table of step types tying the two together), `schema` (the play model built
from the registry), `resolve` (validation and host resolution: `load()`), `runner` (`run()`).
The names below are the package's public API, importable from `oamkit.playbook` as before.
"""
from __future__ import annotations

from oamkit.playbook.loader import LineDict, LineList, dotted, line_of, parse_extra_vars
from oamkit.playbook.options import (AssertOpts, CheckOpts, CollectOpts, DiffOpts, DrtestOpts,
                                     MaintenanceOpts, ProbeOpts, PushOpts, RenderOpts, WaitOpts)
from oamkit.playbook.registry import HOST_STEPS, STEP_TYPES, STEPS, StepType
from oamkit.playbook.resolve import LoadedPlay, load
from oamkit.playbook.runner import StepOutcome, run, to_json
from oamkit.playbook.schema import STEP_KEYS, Playbook, Step
from oamkit.playbook.steps import FAILED, IGNORED, OK, SKIPPED, Context

__all__ = [
    "AssertOpts", "CheckOpts", "CollectOpts", "Context", "DiffOpts", "DrtestOpts", "FAILED",
    "HOST_STEPS", "IGNORED", "LineDict", "LineList", "LoadedPlay", "MaintenanceOpts", "OK",
    "Playbook", "ProbeOpts", "PushOpts", "RenderOpts", "SKIPPED", "STEPS", "STEP_KEYS",
    "STEP_TYPES", "Step", "StepOutcome", "StepType", "WaitOpts", "dotted", "line_of", "load",
    "parse_extra_vars", "run", "to_json",
]
