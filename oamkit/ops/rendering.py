"""`render`: each selected host's vendor configuration, from the policy. Sends nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oamkit import textcheck
from oamkit.errors import InputError, Problem
from oamkit.files import output_problem, write_replacing
from oamkit.inventory import gc_paused
from oamkit.ops.selection import InventoryLike, select
from oamkit.render import HostPlan, environment, render_plan

FORMATS = ("cli", "netconf")


@dataclass
class RenderRun:
    format: str
    plans: list[HostPlan]
    configs: dict[str, str]                                  # host -> rendered text
    files: dict[str, Path] = field(default_factory=dict)     # host -> file written (with `out`)

    def as_dict(self) -> dict:
        return {"ok": True, "format": self.format, "hosts": [
            {"host": p.host.name, "platform": p.platform.name,
             "interfaces": [i.intent.interface for i in p.interfaces],
             "profiles": p.profile_names, "notes": p.notes,
             "file": str(self.files[p.host.name]) if p.host.name in self.files else None,
             "config": self.configs[p.host.name], "lines": len(self.configs[p.host.name].splitlines()),
             "skipped": None} for p in self.plans]}   # "skipped" kept for scripts: every host renders or exit 2


def render(inventory: InventoryLike = None, filter=None, limit=None, *, fmt: str = "cli",
           out: str | Path | None = None, templates: list[Path] | None = None) -> RenderRun:
    """Render the selected hosts in `fmt` (cli | netconf), optionally one file per host into
    `out`; `templates`: folders whose files override oamkit's, file by file."""
    if fmt not in FORMATS:
        raise InputError([Problem("unknown format", field="--format", value=fmt,
                                  allowed=", ".join(FORMATS))])
    if isinstance(templates, (str, Path)):   # one folder, not its characters one by one
        templates = [templates]
    missing = [str(folder) for folder in templates or [] if not Path(folder).is_dir()]
    if missing:
        raise InputError([Problem("template folder not found", field="--templates",
                                  value=", ".join(missing))])
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise InputError([Problem("not a folder (render writes one file per host into it)",
                                  field="--out", value=str(out))])
    with gc_paused():   # a large fleet: see gc_paused
        chosen = select(inventory, filter, limit, credentials=False, fmt=fmt)
        no_form = [p for p in chosen.plans if fmt == "netconf" and "netconf" not in p.platform.templates]
        if no_form:   # rendering the rest and exiting 0 would hide that these hosts got nothing
            raise InputError([Problem(
                f"{p.platform.display} has no NETCONF form (it is configured over SSH only); "
                "leave it out with --filter platform!=" + p.platform.name, host=p.host.name,
                field="--format", value=fmt) for p in no_form])
        env = environment([Path(t) for t in templates or []])
        configs = {plan.host.name: render_plan(plan, fmt, env) for plan in chosen.plans}
        files: dict[str, Path] = {}
        if out:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            suffix = "xml" if fmt == "netconf" else "cfg"
            for name in configs:
                # host names are checked when the inventory loads; this keeps the promise local,
                # for every file before the first is written
                files[name] = textcheck.inside(folder, f"{name}.{suffix}", replacing=True)
            # a link, device or pipe where a file goes: refused before the first file is written
            refused = [Problem(f"the rendered file cannot be written there: {problem}", host=name,
                               field="--out", value=str(path))
                       for name, path in files.items() if (problem := output_problem(path, try_folder=False))]
            if refused:
                raise InputError(refused)
            for name, text in configs.items():
                write_replacing(files[name], text)
        return RenderRun(fmt, chosen.plans, configs, files)
