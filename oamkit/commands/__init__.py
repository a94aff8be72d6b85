"""CLI command modules. Each module with a `register(app)` function is picked up by `oamkit.cli`.

`COMMANDS` says which modules register each top-level command, so `oamkit check` imports
`commands/check.py` (and what it needs) and nothing else: start-up is paid by every scheduled
check. A module missing here still works (an unknown name loads every module); the test in
tests/foundation/test_cli_startup.py fails until it is listed.
"""

# top-level command -> the modules whose register() adds it (several: a shared group)
COMMANDS: dict[str, tuple[str, ...]] = {
    "diff": ("change",), "push": ("change",), "rollback": ("change",), "changes": ("change",),
    "check": ("check",),
    "collect": ("collect",),
    "demo": ("demo",),
    "drtest": ("drtest",),
    "exporter": ("exporter",),
    "facts": ("facts",),
    "inventory": ("inventory",),
    "lab": ("lab", "lab_wan"),
    "maintenance": ("maintenance",),
    "parse": ("parse",),
    "policy": ("policy",),
    "probe": ("probe",),
    "render": ("render",),
    "run": ("run",),
}
