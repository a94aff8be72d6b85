"""`oamkit lab wan up|down|status|cut|restore|scenario`: the WAN failover lab.

`wan_app` is mounted under the `lab` group: register() finds the group another module
registered (modules register in name order, so `lab` comes before `lab_wan`) or creates it."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from oamkit.errors import input_error
from oamkit.lab.device import PLATFORMS
from oamkit.lab.wan import CUT_MODES, CUT_WHERE, DEFAULT_PREFIX, SCENARIOS, WanLab

wan_app = typer.Typer(help="WAN failover lab: namespaces + FRR (eBGP, BFD), scenarios from real incidents.",
                      no_args_is_help=True)


@wan_app.command("up")
def up(
    scenario: str = typer.Option("healthy", "--scenario", help=" | ".join(SCENARIOS)),
    sites: int = typer.Option(12, "--sites", min=1, max=250, help="Number of remote sites (1-250)."),
    prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix", help="Namespace name prefix of this lab."),
    plan_out: Path = typer.Option(None, "--plan-out", help="Write a DR test plan for this topology."),
    cut_mode: str = typer.Option("drop", "--cut-mode", help="Plan trigger: drop (silent loss) | down (link down)."),
    bfd_ms: int = typer.Option(100, "--bfd-ms", min=0, max=10000, help="BFD interval (0: no BFD, BGP hold timer only)."),
    replace: bool = typer.Option(False, "--replace", help="Tear down a running lab with this prefix first."),
    oam: bool = typer.Option(False, "--oam", help="Bind an emulated OAM device to the CE's WAN interfaces; "
                             "the plan (--plan-out) then degrades wan1 instead of cutting it."),
    oam_platform: str = typer.Option("cisco_xr", "--oam-platform", help=" | ".join(PLATFORMS)),
    inventory_out: Path = typer.Option(None, "--inventory-out", help="With --oam: write the oamkit inventory "
                                       "of the OAM device here."),
    errored_frames: str = typer.Option("10%", "--errored-frames", help="With --oam: the plan's degradation "
                                       "(a fraction '2%' or a rate '50/s')."),
) -> None:
    """Build the lab and wait for routing to converge."""
    if oam and oam_platform not in PLATFORMS:
        raise input_error("unknown platform", field="--oam-platform", value=oam_platform,
                          allowed=", ".join(PLATFORMS))
    if oam and inventory_out is None:
        raise input_error("--oam needs --inventory-out DIR (the OAM device's inventory)", field="--inventory-out")
    lab = WanLab(prefix=prefix, sites=sites, scenario=scenario, bfd_ms=bfd_ms)
    info = lab.up(replace=replace)
    if oam:
        from oamkit.lab.wan_oam import start_edge, write_degrade_plan

        try:
            edge = start_edge(lab, oam_platform, inventory_out)
        except BaseException:
            lab.down()
            raise
        info["oam"] = edge
        if plan_out:
            write_degrade_plan(lab, edge, plan_out, errored_frames=errored_frames)
            info["plan"] = str(plan_out)
    elif plan_out:
        lab.write_plan(plan_out, mode=cut_mode)
        info["plan"] = str(plan_out)
    print(json.dumps(info))


@wan_app.command("down")
def down(prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix")) -> None:
    """Remove everything the lab created (also leftovers of a crashed run)."""
    print(json.dumps(WanLab(prefix=prefix).down()))


@wan_app.command("status")
def status(prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix")) -> None:
    """Namespaces, daemons and routing of a running lab."""
    lab = WanLab.load(prefix)
    st = lab.status()
    print(json.dumps(st, indent=2))
    if not all(st["namespaces"].values()) or not all(st["daemons"].values()):
        raise SystemExit(3)


@wan_app.command("cut")
def cut(prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix"),
        mode: str = typer.Option("drop", "--mode", help=" | ".join(CUT_MODES)),
        where: str = typer.Option("access", "--where", help=" | ".join(CUT_WHERE))) -> None:
    """Cut the primary WAN: link down, or silent drop (nft netdev ingress+egress, one transaction)."""
    t0, t1 = WanLab.load(prefix).cut(mode, where)
    print(json.dumps({"cut_started": t0, "cut_ended": t1}))


@wan_app.command("restore")
def restore(prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix")) -> None:
    """Undo any cut (idempotent)."""
    WanLab.load(prefix).restore()


@wan_app.command("scenario")
def scenario(name: str = typer.Argument(..., help=" | ".join(SCENARIOS)),
             prefix: str = typer.Option(DEFAULT_PREFIX, "--prefix")) -> None:
    """Switch a running lab to another scenario without rebuilding it."""
    WanLab.load(prefix).set_scenario(name)


def register(app: typer.Typer) -> None:
    for group in app.registered_groups:
        if group.name == "lab" and group.typer_instance is not None:
            group.typer_instance.add_typer(wan_app, name="wan")
            return
    lab_app = typer.Typer(help="Emulated labs.", no_args_is_help=True)
    lab_app.add_typer(wan_app, name="wan")
    app.add_typer(lab_app, name="lab")
