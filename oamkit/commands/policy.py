"""`oamkit policy explain`: what each key of a policy becomes on each platform. Sends nothing."""
from __future__ import annotations

from pathlib import Path

import typer

from oamkit import ops
from oamkit.commands._common import stdout_console, JsonOpt, print_json
from oamkit.errors import ExitCode
from oamkit.textout import DataTable

console = stdout_console()
policy_app = typer.Typer(help="Look at a policy as each platform will hold it.",
                         no_args_is_help=True)

_STATUS = {"configured": "", "fallback": "fallback", "skipped": "skipped (left out)",
           "default": "platform default", "error": "ERROR"}


@policy_app.command("explain")
def explain(
    policy: str = typer.Argument(..., metavar="POLICY",
                                 help="A policy file (one policy, or FILE:NAME), or a policy "
                                      "name in the inventory (-i)."),
    inventory: Path = typer.Option(
        None, "--inventory", "-i", metavar="DIR",
        help="Explain on every interface of this inventory that uses the policy (its platform, "
             "name, speed and form) instead of one representative interface per platform."),
    platform: list[str] = typer.Option(None, "--platform", "-p", metavar="P",
                                       help="Only this platform (repeatable)."),
    speed: str = typer.Option("1G", "--speed", help="Link speed of the representative "
                              "interface (windows counted in frames/symbols depend on it)."),
    as_json: bool = JsonOpt,
) -> None:
    """Print, per platform, what each key of POLICY becomes: the vendor commands, a fallback,
    "skipped" with the reason, or the error that would stop a render or push (exit 3 then)."""
    inv = ops.load_inventory(inventory) if inventory else None
    result = ops.explain_policy(policy, inv, platforms=platform, speed=speed,
                                per_interface=inventory is not None)
    if as_json:
        print_json(result.as_dict())
    else:
        for target in result.targets:
            where = f"{target.host} " if target.host else ""
            table = DataTable(title=f"policy {result.policy} on {target.display}: {where}"
                                f"{target.interface} at {target.speed} ({target.form} form)",
                          title_justify="left", show_lines=True)
            for column in ("key", "becomes", "notes"):
                table.add_column(column, overflow="fold")
            for outcome in target.keys:
                status = _STATUS[outcome.status]
                becomes = "\n".join(outcome.commands) or "-"
                # plain text (DataTable): vendor lines and reasons are data, not rich markup
                table.add_row(outcome.key, (f"[{status}]\n" if status else "") + becomes,
                              "\n".join(outcome.details))
            console.print(table)
            for warning in target.warnings:
                console.print(f"WARNING: {where}{target.interface}: {warning}", markup=False)
            for note in target.notes:
                console.print(f"note: {where}{target.interface}: {note}", markup=False)
    if not result.ok:   # explained fine, but the policy would stop a render/push somewhere
        raise typer.Exit(int(ExitCode.NEEDS_ATTENTION))


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
