"""Help as an engineer reads it: a flag (`--json`, `--detach`) takes no value, so help must not
show one. typer 0.2x prints `--json <bool>`, which reads as `--json true`: a usage error."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from oamkit.cli import app


def _command_paths() -> list[tuple[str, ...]]:
    import typer.main

    group = typer.main.get_command(app)
    ctx = group.make_context("oamkit", ["--help"], resilient_parsing=True)
    paths: list[tuple[str, ...]] = [()]

    def walk(command, path):
        for name in command.list_commands(ctx) if hasattr(command, "list_commands") else []:
            sub = command.get_command(ctx, name)
            paths.append((*path, name))
            walk(sub, (*path, name))

    walk(group, ())
    return paths


PATHS = _command_paths()


def test_every_command_is_looked_at():
    assert ("push",) in PATHS and ("lab", "up") in PATHS and len(PATHS) > 20


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "oamkit")
def test_help_shows_no_value_for_a_flag(path):
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output, result.output


def test_options_that_take_a_value_still_show_it():
    result = CliRunner().invoke(app, ["push", "--help"], env={"COLUMNS": "120"})
    assert "<int range>" in result.output and "HOST,..." in result.output, result.output


def test_a_command_looked_up_without_a_context_still_loads():
    # click lets get_command take no context (tests and tools list commands that way): the
    # flag fix reached for the help option, which needs one, and raised AttributeError
    import typer.main

    group = typer.main.get_command(app)
    command = group.get_command(None, "push")
    assert command is not None and any(p.name == "as_json" or "--json" in p.opts for p in command.params)
