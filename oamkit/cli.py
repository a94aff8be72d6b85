"""The `oamkit` command line. Thin on purpose: each feature lives in `oamkit/commands/<name>.py`
and registers its commands here through a `register(app)` function, so adding a feature never
means editing this file."""
from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import typer
from rich.console import Console

from oamkit import __version__, commands
from oamkit.errors import ExitCode, InputError, OamkitError
from oamkit.jsonout import SCHEMA_VERSION

app = typer.Typer(
    name="oamkit",
    help="Ethernet link OAM (IEEE 802.3ah) for multi-vendor networks: render link-monitor "
    "policy, push it safely, check compliance, and prove WAN failover.",
    no_args_is_help=True,
    rich_markup_mode="markdown",  # docstrings wrap freely; single newlines are joined
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        print(f"oamkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """oamkit keeps Ethernet links and WAN failover honest."""


def _register_commands() -> None:
    for module in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{commands.__name__}.{module.name}")
        register = getattr(mod, "register", None)
        if register is not None:
            register(app)


_register_commands()


def report_error(exc: OamkitError, as_json: bool = False) -> int:
    """Print an error the way every command does and return its exit code."""
    code = int(exc.exit_code)
    if as_json:
        payload: dict = {"schema_version": SCHEMA_VERSION, "ok": False, "exit_code": code, "error": str(exc)}
        if isinstance(exc, InputError):
            payload["problems"] = [p.as_dict() for p in exc.problems]
        print(json.dumps(payload, indent=2, default=str))
    else:
        label = "invalid input" if isinstance(exc, InputError) else "error"
        err_console.print(f"[bold red]oamkit: {label}:[/] {exc}", highlight=False, soft_wrap=True)
        if isinstance(exc, InputError):
            err_console.print("Nothing was sent to any device.", style="dim")
    return code


# typer (0.2x) runs on its own copy of click, so `click.ClickException` is not what it raises:
# take the classes from the module typer's own BadParameter comes from (either copy).
_click_exceptions = sys.modules[typer.BadParameter.__module__]
UsageProblem = _click_exceptions.ClickException     # bad option, missing value, out of range


def _format_asked(name: str, argv: list[str]) -> bool:
    """`--format NAME` / `--format=NAME` on the command line: errors are then answered in that
    format, before (or without) the command parsing its options."""
    return f"--format={name}" in argv or any(a == "--format" and b == name
                                              for a, b in zip(argv, argv[1:]))


def nagios_unknown(reason: str) -> int:
    """Nagios plugin guidelines: a plugin that cannot check says UNKNOWN (exit 3) in one line
    on stdout, which is all Nagios/Icinga show; the details go to stderr as usual."""
    line = " ".join(str(reason).split()).replace("|", "/")
    print(f"OAMKIT UNKNOWN - {line}", flush=True)
    return int(ExitCode.NEEDS_ATTENTION)


def main() -> None:
    nagios = _format_asked("nagios", sys.argv)
    try:
        # In non-standalone mode click returns the code of typer.Exit instead of raising it.
        code = app(standalone_mode=False)
    except OamkitError as exc:
        as_json = "--json" in sys.argv or _format_asked("json", sys.argv)
        code = report_error(exc, as_json=as_json)
        if nagios:
            label = "invalid input" if isinstance(exc, InputError) else "error"
            code = nagios_unknown(f"{label}: {exc}")
        sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except UsageProblem as exc:
        exc.show()   # click's few lines: usage, "Try 'oamkit push -h'", the error: no traceback
        sys.exit(nagios_unknown(f"usage: {exc.format_message()}") if nagios
                 else ExitCode.BAD_INPUT)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("[red]Aborted.[/]")
        sys.exit(nagios_unknown("aborted") if nagios else 130)
    except Exception as exc:
        if not nagios:
            raise
        # a bug or a broken environment: the traceback for whoever debugs it, UNKNOWN for Nagios
        import traceback

        traceback.print_exc()
        sys.exit(nagios_unknown(f"internal error: {type(exc).__name__}: {exc}"))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
