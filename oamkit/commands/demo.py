"""`oamkit demo`: the main job end to end with no hardware, on the built-in lab.

Starts a dozen emulated devices across the four platforms, renders the example policy, shows
the diff, pushes with a canary, re-pushes (nothing to do), injects CRC errors on one link and
shows `check` catching it, and stops the lab. It calls the operations layer (`oamkit.ops`)
in this process, as any Python caller would. As root
with FRR installed it also runs a short WAN failover DR test and writes its HTML report.
Everything it starts, it stops; state goes to a temporary folder unless --keep is given.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import typer

from oamkit.commands._common import stdout_console

from oamkit import engine, ops
from oamkit.errors import ExitCode, OamkitError
from oamkit.textout import DataTable, data

console = stdout_console()


def _table(title: str, results) -> DataTable:
    table = DataTable(title=title, title_justify="left")
    for column in ("host", "platform", "outcome", "lines", "seconds", "detail"):
        table.add_column(column)
    for r in results:
        table.add_row(r.host, r.platform, r.outcome, str(len(r.commands)), f"{r.seconds:.2f}",
                      "\n".join(x for x in (r.error, r.detail) if x))
    return table


def _step(number: int, text: str) -> None:
    console.rule(f"[bold cyan]{number}. {text}", align="left")


def demo(devices: int = typer.Option(12, "--devices", "-n", min=4, max=200,
                                     help="Emulated devices (round-robin over the four platforms)."),
         dr: bool = typer.Option(True, "--dr/--no-dr", help="Also run the WAN failover DR test "
                                 "(needs root and FRR)."),
         keep: Path = typer.Option(None, "--keep", metavar="DIR",
                                   help="Keep the lab inventory, state and reports in DIR.")) -> None:
    """Run the main job on the built-in lab: render, diff, canary push, re-push, CRC check,
    and (as root) a WAN failover DR test."""
    from oamkit.inventory import Inventory
    from oamkit.lab.server import Lab
    from oamkit.render import plan_hosts, render_plan

    started = time.monotonic()
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="oamkit-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # FRR daemons of the WAN lab run as user frr and keep sockets below it
    os.environ["OAMKIT_STATE_DIR"] = str(work / "state")
    failures = 0

    _step(1, f"Start the built-in lab: {devices} emulated devices on 127.0.0.1")
    # One lab second is 0.1 s: timers run fast, a 120 s confirmed commit still allows 12 s.
    lab = Lab(devices, time_scale=0.1).start()
    try:
        inventory_dir = lab.write_inventory(work / "inventory")
        os.environ["OAMKIT_LAB_PASSWORD"] = lab.password
        inv = Inventory.load(inventory_dir)
        counts: dict[str, int] = {}
        for dev in lab.devices.values():
            counts[dev.platform] = counts.get(dev.platform, 0) + 1
        console.print(", ".join(f"{n} {p}" for p, n in counts.items()) +
                      f"; inventory in {inventory_dir} (SSH, host keys verified)")

        _step(2, "Render the vendor-neutral policy for each platform (IEEE units -> vendor units)")
        plans = plan_hosts(inv, inv.select())
        shown = set()
        for plan in plans:
            if plan.platform.name in shown:
                continue
            shown.add(plan.platform.name)
            lines = render_plan(plan).splitlines()
            console.print(f"[bold]{plan.host.name}[/] ({plan.platform.display}), "
                          f"policy {plan.interfaces[0].intent.policy}: {len(lines)} lines, e.g.")
            console.print("\n".join("   " + line for line in lines[:6]), highlight=False, markup=False)

        _step(3, "Diff: what a push would send (no configuration command is sent)")
        run = ops.diff(inv, workers=20, timeout=60)
        console.print(_table("Delta per host", run.results))

        _step(4, "Push with a canary of 2 hosts: backup, delta, commit, read back, verify, confirm")
        run = ops.push(inv, workers=20, timeout=60, canary=2)
        console.print(_table(f"Push {run.change_id}", run.results))
        failures += sum(r.outcome != engine.CHANGED for r in run.results)
        if run.stopped:
            console.print(f"[red]rollout stopped: {data(run.stopped)}")

        _step(5, "Push again: every host unchanged, nothing sent")
        run = ops.push(inv, workers=20, timeout=60)
        console.print(_table("Re-push", run.results))
        failures += sum(r.outcome != engine.UNCHANGED for r in run.results)

        _step(6, "A link starts taking CRC errors; the compliance check catches it")
        failures += _crc_check(lab, inv, work / "history.sqlite")
    finally:
        lab.stop()
        console.print("lab stopped")

    if dr:
        _step(7, "WAN failover DR test (network namespaces + FRR, eBGP with BFD)")
        failures += _dr_test(work)
        _step(8, "Degradation failover: errored frames -> OAM event -> link down -> failover, "
                 "predicted beside measured")
        failures += _degrade_test(work)

    elapsed = time.monotonic() - started
    console.rule()
    verdict = "[green]demo finished: all steps as expected" if not failures else \
        f"[red]demo finished with {failures} unexpected result(s)"
    if keep:
        console.print(f"{verdict}[/] in {elapsed:.0f} s; files in {work}")
    else:   # its inventory holds the lab's password file: nothing of it stays behind
        shutil.rmtree(work, ignore_errors=True)
        console.print(f"{verdict}[/] in {elapsed:.0f} s (temporary files removed; "
                      "--keep DIR keeps the inventory, history and reports)")
    raise typer.Exit(int(ExitCode.OK if not failures else ExitCode.FAILED))


def _crc_check(lab, inv, db: Path) -> int:
    """Inject CRC errors on one lab link, collect twice and check; 0 when the check flags it."""
    from oamkit.report import formats

    device = next(d for d in lab.devices.values() if d.platform == "cisco_ios")
    interface = next(iter(device.interfaces))
    ops.collect(inv, db=db)
    lab.inject_errors(device.name, interface, crc_per_second=2000)
    time.sleep(1.5)
    ops.collect(inv, db=db)
    report = ops.check(inv, db=db)
    formats.table(report, console, verbose=False)
    flagged = {p.host for p in report.problems()}
    caught = report.exit_code(nagios=False) != 0 and device.name in flagged
    console.print(("[green]check flagged " if caught else "[red]check missed ") +
                  f"{device.name} {interface}")
    return 0 if caught else 1


def _wan_lab_unavailable() -> bool:
    """The WAN-lab steps need root and FRR; without them they are skipped, and say so."""
    if os.geteuid() == 0 and (shutil.which("/usr/lib/frr/zebra") or shutil.which("zebra")):
        return False
    console.print("[yellow]skipped: needs root and FRR (apt-get install frr nftables)")
    return True


def _dr_test(work: Path) -> int:
    if _wan_lab_unavailable():
        return 0
    from oamkit.dr.plan import load_plan
    from oamkit.dr.report import outage_text, write_reports
    from oamkit.dr.runner import DrRunner
    from oamkit.lab.wan import WanLab

    plan_file = work / "dr-plan.yaml"
    lab = WanLab(prefix="odemo", sites=4)
    try:
        lab.up(replace=True)
        lab.write_plan(plan_file)
        runner = DrRunner(load_plan(plan_file), log=lambda line: console.print(f"[dim]{data(line)}",
                                                                               highlight=False))
        runner.plan_file = str(plan_file)
        result = runner.run()
        paths = write_reports(result, work / "dr-report")
        for site in result["sites"]:
            console.print(f"  {site['name']:<8} {site['target']:<15} {site['classification']:<14} "
                          f"failover {outage_text(site['failover'], result['interval_s'])} "
                          f"{site['verdict']}", highlight=False)
        console.print(f"[bold]{result['verdict']}[/]; DR report: "
                      f"{next((p for p in paths.values() if str(p).endswith('.html')), work / 'dr-report')}")
        return 0 if result["verdict"] == "PASS" else 1
    except OamkitError as exc:
        console.print(f"[red]DR test could not run:[/] {data(str(exc))}")
        return 1
    finally:
        lab.down()


def _degrade_test(work: Path) -> int:
    """An emulated IOS-XR edge bound to the WAN lab's CE uplinks, configured by `oamkit push`;
    40 errored frames/s on wan1 must take it down within the policy's predicted time."""
    if _wan_lab_unavailable():
        return 0
    from oamkit.dr.degrade import set_oam_hook
    from oamkit.dr.plan import load_plan
    from oamkit.dr.report import predicted_text, write_reports
    from oamkit.dr.runner import DrRunner, set_action_hook
    from oamkit.dr_actions import OamHook, make_action_hook
    from oamkit.inventory import Inventory
    from oamkit.lab.wan import WanLab
    from oamkit.lab.wan_oam import start_edge, write_degrade_plan

    plan_file = work / "degrade-plan.yaml"
    lab = WanLab(prefix="odgdemo", sites=2)
    try:
        lab.up(replace=True)
        edge = start_edge(lab, "cisco_xr", work / "wan-oam-inventory")
        write_degrade_plan(lab, edge, plan_file, errored_frames="40/s")   # evenly spaced: docs/drtest-wan.md §7
        inv = Inventory.load(work / "wan-oam-inventory")
        run = ops.push(inv, timeout=60)
        console.print(_table("Push the WAN edge's link monitors (policy wan-degrade)", run.results))
        if any(r.outcome != engine.CHANGED for r in run.results):
            return 1
        set_action_hook(make_action_hook(inv))
        set_oam_hook(OamHook(inv))
        try:
            runner = DrRunner(load_plan(plan_file), log=lambda line: console.print(f"[dim]{data(line)}", highlight=False))
            runner.plan_file = str(plan_file)
            result = runner.run()
        finally:
            set_oam_hook(None)
            set_action_hook(None)
        paths = write_reports(result, work / "degrade-report")
        for site in result["sites"]:
            g = site.get("degradation") or {}
            meas = "never" if g.get("on_secondary_after_s") is None else f"{g['on_secondary_after_s']:.2f} s"
            console.print(f"  {site['name']:<8} {g.get('loss_pct') or 0:5.1f}% loss while degraded; on the secondary "
                          f"after {meas}; predicted {predicted_text(g)} {site['verdict']}",
                          highlight=False)
        console.print(f"[bold]{result['verdict']}[/]; report: "
                      f"{next((p for p in paths.values() if str(p).endswith('.html')), work / 'degrade-report')}")
        return 0 if result["verdict"] == "PASS" else 1
    except OamkitError as exc:
        console.print(f"[red]degradation test could not run:[/] {data(str(exc))}")
        return 1
    finally:
        lab.down()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
