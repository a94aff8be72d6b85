"""docs/scheduling.md works as written: install.sh's link puts `oamkit` where the doc's cron line
and units name it, the doc's units are the files in contrib/systemd/ and pass
`systemd-analyze verify`, and the doc's cron line, run with cron's environment, checks the lab."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "scheduling.md"
UNITS = REPO / "contrib" / "systemd"
VENV_OAMKIT = REPO / ".venv" / "bin" / "oamkit"
# cron (Debian's cron, and Vixie cron in general) runs jobs with exactly this much environment
CRON_PATH = "/usr/bin:/bin"


def doc_block(after: str, lang: str) -> str:
    """The fenced block of `lang` that follows the text `after` in the doc."""
    text = DOC.read_text()
    start = text.index(after)
    match = re.compile(rf"```{lang}\n(.*?)```", re.S).search(text, start)
    assert match, f"no ```{lang} block after {after!r} in {DOC}"
    return match.group(1)


def install_link(bin_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(REPO / "scripts" / "install.sh"), "--link-only"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "OAMKIT_BIN_DIR": str(bin_dir)})


@pytest.fixture
def linked_bin(tmp_path) -> Path:
    if not VENV_OAMKIT.exists():
        pytest.skip(f"{VENV_OAMKIT} missing: these tests need scripts/install.sh's .venv")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    result = install_link(bin_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return bin_dir


def test_install_links_oamkit_into_the_bin_dir_idempotently(linked_bin, tmp_path):
    link = linked_bin / "oamkit"
    assert link.is_symlink() and os.readlink(link) == str(VENV_OAMKIT.parent.resolve() / "oamkit")
    version = subprocess.run([str(link), "--version"], capture_output=True, text=True,
                             timeout=60, env={"PATH": CRON_PATH})
    assert version.returncode == 0 and "0." in version.stdout, version.stdout + version.stderr
    again = install_link(linked_bin)
    assert again.returncode == 0 and "->" not in again.stdout, again.stdout   # nothing to redo
    assert os.readlink(link) == str(VENV_OAMKIT.parent.resolve() / "oamkit")
    # a stale link (an older checkout) is moved; a real file of that name is never replaced
    link.unlink()
    link.symlink_to(tmp_path / "old-checkout" / "oamkit")
    assert install_link(linked_bin).returncode == 0
    assert os.readlink(link) == str(VENV_OAMKIT.parent.resolve() / "oamkit")
    link.unlink()
    link.write_text("#!/bin/sh\necho someone else's oamkit\n")
    refused = install_link(linked_bin)
    assert refused.returncode == 1 and "not a symlink" in refused.stderr
    assert "someone else" in link.read_text()


def test_install_without_a_bin_dir_says_oamkit_is_not_on_path(tmp_path):
    if not VENV_OAMKIT.exists():
        pytest.skip(f"{VENV_OAMKIT} missing")
    result = install_link(tmp_path / "no-such-dir")
    assert result.returncode == 0 and "not on PATH" in result.stdout, result.stdout
    assert not (tmp_path / "no-such-dir").exists()


def test_doc_units_are_the_contrib_files():
    for unit in ("oamkit-check.service", "oamkit-check.timer"):
        assert doc_block(f"`/etc/systemd/system/{unit}`:", "ini") == (UNITS / unit).read_text(), \
            f"docs/scheduling.md and contrib/systemd/{unit} differ"


def test_timer_persistent_has_a_calendar_to_catch_up_on():
    timer = (UNITS / "oamkit-check.timer").read_text()
    keys = dict(line.split("=", 1) for line in timer.splitlines()
                if "=" in line and not line.startswith("#"))
    if keys.get("Persistent") == "true":   # systemd.timer(5): only OnCalendar= is persistent
        assert "OnCalendar" in keys and "OnUnitActiveSec" not in keys and "OnBootSec" not in keys
    shown = subprocess.run(["systemd-analyze", "calendar", "--iterations=2", keys["OnCalendar"]],
                           capture_output=True, text=True, timeout=30)
    assert shown.returncode == 0, shown.stderr
    times = re.findall(r"\d\d:(\d\d):00", shown.stdout)
    assert len(times) >= 2 and (int(times[1]) - int(times[0])) % 60 == 5, shown.stdout


def test_units_pass_systemd_analyze_verify(linked_bin, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (Debian package systemd)")
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS.iterdir():  # the real ExecStart, pointed at the link install.sh made here
        (units / unit.name).write_text(unit.read_text().replace(
            "/usr/local/bin/oamkit", str(linked_bin / "oamkit")))
    assert str(linked_bin) in (units / "oamkit-check.service").read_text()
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", "oamkit-check.service",
                             "oamkit-check.timer"], cwd=units, capture_output=True, text=True,
                            timeout=60)
    # verify prints its findings (bad keys, missing executables) and exits non-zero for errors
    assert result.returncode == 0 and "oamkit-check" not in result.stdout + result.stderr, \
        result.stdout + result.stderr


@pytest.mark.lab
def test_cron_line_runs_a_real_check_with_crons_environment(lab, lab_inventory, linked_bin,
                                                             tmp_path):
    line = doc_block("## cron", "cron").strip()
    assert "\n" not in line and "%" not in line   # one crontab line; cron turns % into newlines
    command = line.split(None, 5)[5]               # after minute hour day month weekday
    moved = {"/var/lib/node_exporter/textfile": tmp_path / "textfile",
             "/var/lib/oamkit": tmp_path / "var-lib-oamkit",
             "/var/log/oamkit": tmp_path / "var-log-oamkit",
             "/srv/oamkit/inventory": lab_inventory,
             "/srv/oamkit/rules.yaml": REPO / "examples" / "checks" / "rules.yaml",
             "/usr/local/bin/oamkit": linked_bin / "oamkit"}
    for path, there in moved.items():
        command = command.replace(path, str(there))
    assert not re.search(r"(^|[ =>])/(srv|var|usr/local|etc)/", command), command
    for made in ("textfile", "var-lib-oamkit", "var-log-oamkit"):   # the doc's set-up does these
        (tmp_path / made).mkdir()
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(["env", "-i", f"PATH={CRON_PATH}", "SHELL=/bin/sh", f"HOME={home}",
                             "LOGNAME=oamkit", "/bin/sh", "-c", command],
                            capture_output=True, text=True, timeout=240)
    log = (tmp_path / "var-log-oamkit" / "check.log").read_text()
    # nothing pushed yet: the lab's devices lack the policy's OAM config, so problems (exit 1)
    assert result.returncode == 1, f"rc={result.returncode} {result.stdout} {result.stderr} {log}"
    assert "Traceback" not in log and lab.password not in log
    prom = (tmp_path / "textfile" / "oamkit.prom").read_text()
    for host in ("ios-1", "xr-1", "junos-1", "vrp-1"):
        # raw device counters are exported only for hosts that were really read over SSH
        assert re.search(rf'oamkit_interface_crc_errors_total\{{host="{host}"', prom), prom[:2000]
    assert "oamkit_check_last_run_timestamp_seconds" in prom
    assert (tmp_path / "var-lib-oamkit" / "history.sqlite").is_file()
