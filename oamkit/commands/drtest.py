"""`oamkit drtest PLAN.yaml`: run a DR failover test plan and write its reports."""
from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from oamkit.commands._common import stdout_console, print_json
from oamkit.textout import data


console = Console(stderr=True)


def drtest(
    plan_file: Path = typer.Argument(..., help="DR test plan (YAML)."),
    report: Path = typer.Option(None, "--report", help="Write drtest.json, drtest.junit.xml, drtest.html and the timeline PNG here."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    no_realtime: bool = typer.Option(False, "--no-realtime", help="Do not use SCHED_FIFO for the probe send loop."),
    inventory: Path = typer.Option(None, "--inventory", "-i", envvar="OAMKIT_INVENTORY",
                                   help="Inventory for `type: action` steps (e.g. interface-shutdown on a router)."),
    allow: list[str] = typer.Option(None, "--allow", help="CIDR (or address: /32) the targets and path hops may be in; "
                                    "repeatable, added to the plan's allow: list."),
    check: bool = typer.Option(False, "--check", help="Validate; print each target's source, interface and next hop "
                               "and the probe budget. Sends nothing, runs no trigger or restore."),
) -> None:
    """Baseline, trigger, failover watch, steady state, restore, failback watch. The restore
    step always runs. Exit 0 PASS, 1 FAIL, 3 INVALID (engine fell behind) or INCONCLUSIVE
    (a site not seen to fail over), 4 RESTORE FAILED (the primary may still be cut), 130
    aborted (Ctrl-C or SIGTERM)."""
    # here, not at the top: the probe engine (numpy) would slow every other command's start
    from oamkit.dr.plan import load_plan
    from oamkit.dr.report import outage_text, predicted_text, report_problems, write_reports
    from oamkit.dr.runner import EXIT_FOR_VERDICT, DrRunner
    from oamkit.errors import InputError, Problem

    plan = load_plan(plan_file)       # InputError (exit 2) before anything is sent
    if allow:
        from oamkit.probe.safety import parse_allow

        plan.allow = sorted({*(plan.allow or []), *(str(n) for n in parse_allow(allow))})
    actions = [s for s in (plan.trigger, plan.restore)
               if s.type == "action" or (s.type == "degrade" and s.device)]
    if actions and inventory is None:
        raise InputError([Problem("the plan's action steps act on inventory devices: give "
                                  "--inventory", file=str(plan_file), field="trigger/restore")])
    if inventory is not None:
        from oamkit.dr.runner import set_action_hook
        from oamkit.dr_actions import make_action_hook
        from oamkit.inventory import Inventory

        from oamkit.dr_actions import action_problems

        loaded = Inventory.load(inventory)
        problems = [p for name, step in (("trigger", plan.trigger), ("restore", plan.restore))
                    if step.type == "action"
                    for p in action_problems(loaded, step.action, step.device, step.args or {}, name)]
        if problems:
            raise InputError([Problem(p.message, file=p.file or str(plan_file), host=p.host, field=p.field,
                                      value=p.value) for p in problems])
        set_action_hook(make_action_hook(loaded))
        if plan.trigger.type == "degrade":
            from oamkit.dr.degrade import set_oam_hook
            from oamkit.dr_actions import OamHook

            for name, step in (("trigger", plan.trigger), ("restore", plan.restore)):
                if step.type == "degrade" and step.device:
                    problems += action_problems(loaded, "interface-shutdown", step.device,
                                                {"interface": step.device_interface}, name)
            if problems:
                raise InputError([Problem(p.message, file=p.file or str(plan_file), host=p.host, field=p.field,
                                          value=p.value) for p in problems])
            set_oam_hook(OamHook(loaded))
    if check:
        from oamkit.dr.check import check_plan

        runner = DrRunner(plan, realtime=not no_realtime)
        runner.preflight()            # the same bounds as a run: exit 2 naming what is outside
        info = check_plan(runner)
        if as_json:
            print_json(info)
        else:
            _print_check(info)
        # a target the kernel has no route to now would be "down" at baseline: say so here
        raise SystemExit(1 if any("error" in t for t in info["targets"]) else 0)
    if report is not None and (unwritable := report_problems(report)):
        raise InputError([Problem(f"the report cannot be written there: {p}", field="--report")
                          for p in unwritable])
    t0 = time.time()
    runner = DrRunner(plan, realtime=not no_realtime,
                      log=lambda s: console.print(f"[dim]{time.time() - t0:6.2f}s[/] {data(s)}", highlight=False))
    runner.plan_file = str(plan_file)
    result = runner.run()
    if report is not None:
        paths = write_reports(result, report)
        console.print("reports: " + ", ".join(str(p) for p in paths.values()), markup=False)
    if as_json:
        print_json(result)
    else:
        color = {"PASS": "green", "FAIL": "red", "RESTORE FAILED": "red reverse"}.get(result["verdict"], "yellow")
        console.print(f"[bold {color}]{result['verdict']}[/] {data(result['plan'])}")
        for line in result["summary"]:
            console.print(f"  - {line}", markup=False)
        for s in result["sites"]:
            console.print(f"  {s['name']:<12} {s['target']:<15} {s['classification']:<14} failover "
                          f"{outage_text(s['failover'], result['interval_s']):<26} {s['verdict']}", highlight=False, soft_wrap=True,
                          markup=False)
            g = s.get("degradation")
            if g:
                meas = "never" if g["on_secondary_after_s"] is None else f"{g['on_secondary_after_s']:.2f} s"
                pred = predicted_text(g)
                loss = "-" if g["loss_pct"] is None else f"{g['loss_pct']:.1f}%"
                console.print(f"  {'':<12} degraded: {loss} loss; on the secondary after {meas}; predicted {pred}",
                              highlight=False, soft_wrap=True, markup=False)
    # SystemExit, not typer.Exit: oamkit.cli runs click with standalone_mode=False, which turns
    # typer.Exit into a return value and the process would exit 0
    raise SystemExit(EXIT_FOR_VERDICT.get(result["verdict"], 1))


def _print_check(info: dict) -> None:
    out = stdout_console()
    out.print(f"plan {info['plan']!r}: valid; nothing sent, no trigger or restore run", highlight=False, markup=False)
    out.print(f"probing from {info['netns']}" + (f", source {info['pinned_source']}" if info["pinned_source"] else "")
              + (f", interface {info['pinned_interface']}" if info["pinned_interface"] else ""), highlight=False, markup=False)
    out.print(f"allow-list: {', '.join(info['allow']) if info['allow'] is not None else '(none: loopback and lab namespaces only)'}",
              highlight=False, markup=False)
    for t in info["targets"]:
        route = (f"error: {t['error']}" if "error" in t else
                 f"source {t['source']}  interface {t['interface']}  next hop {t['next_hop']}")
        out.print(f"  {t['site']:<12} {t['target']:<15} {t['proto']:<8} {route}", highlight=False, markup=False)
    b = info["budget"]
    out.print(f"budget: {b['per_target_pps']:g} packets/s per target, at most {b['max_total_pps']:g} packets/s in "
              f"total, at most {b['total_packets_max']} packets (path probes: at most {b['path_probes_max']}, "
              f"{b['path_probe_pace']}), at most {b['max_duration_s']:g} s", highlight=False, markup=False)
    for name, p in b["phases"].items():
        out.print(f"  {name}: {p['pps']:g} packets/s, {p['packets']} packets, up to {p['max_duration_s']:g} s", highlight=False, markup=False)
    out.print(f"trigger: {info['trigger']}; restore: {info['restore']}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("drtest")(drtest)
