"""The architecture holds: the import-linter contracts of pyproject.toml (no import cycles,
function-level imports included; cli -> commands -> playbook -> ops -> fleet -> engine ->
vendor data; product code never imports the lab, the lab never imports the product's engine)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def lint_imports(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_every_contract_is_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 kept, 0 broken" in result.stdout, result.stdout[-2000:]


def test_a_cycle_through_a_function_level_import_breaks_the_contract(tmp_path):
    """The contract would catch a new cycle hidden in a function (as the old change engine's
    `checks -> executors -> change -> checks` was): check it on a copy of the package."""
    copy = tmp_path / "src"
    shutil.copytree(REPO / "oamkit", copy / "oamkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    units = copy / "oamkit" / "units.py"
    units.write_text(units.read_text() + "\n\ndef _late():\n    from oamkit import inventory  # noqa\n")
    result = subprocess.run([shutil.which("lint-imports", path=str(Path(sys.executable).parent))
                             or "lint-imports"], cwd=copy, capture_output=True, text=True,
                            timeout=120, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "oamkit.units is not allowed to import oamkit.inventory" in result.stdout, result.stdout[-3000:]
