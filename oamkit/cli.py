"""The `oamkit` command line. Thin on purpose: each feature lives in `oamkit/commands/<name>.py`
and registers its commands here through a `register(app)` function, so adding a feature never
means editing this file."""
from __future__ import annotations

import atexit
import gc
import importlib
import json
import pkgutil
import sys

import typer
import typer.main
from typer.core import TyperGroup

from oamkit import __version__, commands
from oamkit.errors import ExitCode, InputError, OamkitError, Problem

RICH_MARKUP_MODE = "markdown"   # docstrings wrap freely; single newlines are joined


class LazyCommands(TyperGroup):
    """The top-level group, loading a command's module when that command is asked for:
    `oamkit check` imports `commands/check.py` and what it needs, not the lab, the probe
    engine or the change engine. Help and completion list every command, so they load all."""

    def _load(self, modules) -> None:
        fresh = typer.Typer(rich_markup_mode=RICH_MARKUP_MODE)
        for name in modules:
            register = getattr(importlib.import_module(f"{commands.__name__}.{name}"), "register", None)
            if register is not None:
                register(fresh)
        if not (fresh.registered_commands or fresh.registered_groups):
            return
        for name, command in typer.main.get_group(fresh).commands.items():
            if name not in self.commands:
                self.add_command(command, name)

    def _load_all(self) -> None:
        if not getattr(self, "_all_loaded", False):
            self._load(sorted(m.name for m in pkgutil.iter_modules(commands.__path__)
                              if not m.name.startswith("_")))
            self._all_loaded = True

    def list_commands(self, ctx) -> list[str]:
        self._load_all()
        return super().list_commands(ctx)

    def get_command(self, ctx, cmd_name: str):
        if cmd_name not in self.commands:
            modules = commands.COMMANDS.get(cmd_name)
            self._load(modules) if modules else self._load_all()
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            flags_take_no_value(command, ctx)
        return command

    def get_params(self, ctx):
        params = super().get_params(ctx)
        _no_metavar_on_flags(params)
        return params


def flags_take_no_value(command, ctx) -> None:
    """typer 0.2x prints a flag in help as `--json <bool>`, as if it took a value (and
    `--json true` is then a usage error, "unexpected extra argument"): a flag shows none. For
    a group, its commands too (`oamkit lab up --help`). Without a context (`get_command(None,
    name)`, as click allows) the help option is not made yet: the command's own flags only."""
    _no_metavar_on_flags(command.get_params(ctx) if ctx is not None else command.params)
    for sub in getattr(command, "commands", {}).values():
        flags_take_no_value(sub, ctx)


def _no_metavar_on_flags(params) -> None:
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


app = typer.Typer(
    cls=LazyCommands,
    name="oamkit",
    help="Ethernet link OAM (IEEE 802.3ah) for multi-vendor networks: render link-monitor "
    "policy, push it safely, check compliance, and prove WAN failover.",
    no_args_is_help=True,
    rich_markup_mode=RICH_MARKUP_MODE,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _err_console():
    from rich.console import Console   # rich is heavy: only when there is an error to print

    return Console(stderr=True)


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


def report_error(exc: OamkitError, as_json: bool = False) -> int:
    """Print an error the way every command does and return its exit code."""
    code = int(exc.exit_code)
    if as_json:
        print(json.dumps(_error_document(code, str(exc), exc.problems if isinstance(exc, InputError)
                                         else None), indent=2, default=str))
    else:
        from rich.markup import escape   # the message quotes values: data, not markup

        label = "invalid input" if isinstance(exc, InputError) else "error"
        err_console = _err_console()
        err_console.print(f"[bold red]oamkit: {label}:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
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


def _error_document(code: int, error: str, problems: list[Problem] | None = None) -> dict:
    """What `--json` prints for an error (docs/schema/error.schema.json)."""
    from oamkit.jsonout import SCHEMA_VERSION

    payload: dict = {"schema_version": SCHEMA_VERSION, "ok": False, "exit_code": code, "error": error}
    if problems is not None:
        payload["problems"] = [p.as_dict() for p in problems]
    return payload


def nagios_unknown(reason: str) -> int:
    """Nagios plugin guidelines: a plugin that cannot check says UNKNOWN (exit 3) in one line
    on stdout, which is all Nagios/Icinga show; the details go to stderr as usual."""
    line = " ".join(str(reason).split()).replace("|", "/")
    print(f"OAMKIT UNKNOWN - {line}", flush=True)
    return int(ExitCode.NEEDS_ATTENTION)


def main() -> None:
    # At exit, after every other atexit handler: freeze the heap, so the interpreter's final
    # collections do not walk it only to free memory the OS takes back anyway (~0.15 s after
    # a 200-host push: 10% of `oamkit push`; every scheduled check pays its share).
    atexit.register(gc.freeze)
    nagios = _format_asked("nagios", sys.argv)
    try:
        # In non-standalone mode click returns the code of typer.Exit instead of raising it.
        code = app(standalone_mode=False)
    except OamkitError as exc:
        # under --format nagios stdout is the one UNKNOWN line, whatever else was asked
        as_json = not nagios and ("--json" in sys.argv or _format_asked("json", sys.argv))
        code = report_error(exc, as_json=as_json)
        if nagios:
            label = "invalid input" if isinstance(exc, InputError) else "error"
            code = nagios_unknown(f"{label}: {exc}")
        sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except UsageProblem as exc:
        exc.show()   # click's few lines: usage, "Try 'oamkit push -h'", the error: no traceback
        if nagios:
            sys.exit(nagios_unknown(f"usage: {exc.format_message()}"))
        if "--json" in sys.argv or _format_asked("json", sys.argv):
            # a script that asked for JSON reads stdout: the error document, as for any bad input
            opts = getattr(getattr(exc, "param", None), "opts", None)
            problem = Problem(exc.format_message(), field=opts[0] if opts else None)
            print(json.dumps(_error_document(int(ExitCode.BAD_INPUT), f"usage: {problem}", [problem]),
                             indent=2, default=str))
        sys.exit(ExitCode.BAD_INPUT)
    except (typer.Abort, KeyboardInterrupt):
        _err_console().print("[red]Aborted.[/]")
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
