"""`--output` with a format that only prints (table, nagios) is refused as bad input before any
device is contacted, instead of being ignored (exit 0, nothing written)."""
from __future__ import annotations

from tests.checks.test_check_lab import env, oamkit  # noqa: F401


def test_output_with_table_or_nagios_is_bad_input(lab, lab_inventory, env, tmp_path):  # noqa: F811
    before = {n: len(d.transcript) for n, d in lab.devices.items()}
    target = tmp_path / "t.txt"
    table = oamkit(env, "check", "-i", str(lab_inventory), "--format", "table", "--output",
                   str(target))
    assert table.returncode == 2, table.stdout + table.stderr
    assert "--output" in table.stderr and "--format table" in table.stderr, table.stderr
    # Nagios: bad input is UNKNOWN (exit 3, one line on stdout), as for every other bad input
    nagios = oamkit(env, "check", "-i", str(lab_inventory), "--format", "nagios", "-o",
                    str(target))
    assert nagios.returncode == 3, nagios.stdout + nagios.stderr
    assert nagios.stdout.startswith("OAMKIT UNKNOWN - ") and "--output" in nagios.stdout
    assert "--format nagios" in nagios.stdout, nagios.stdout
    assert not target.exists()
    assert {n: len(d.transcript) for n, d in lab.devices.items()} == before   # nobody contacted
    # `-` is stdout, which is where these formats print anyway
    dash = oamkit(env, "check", "-i", str(lab_inventory), "--limit", "ios-1", "--format",
                  "nagios", "--output", "-")
    assert dash.stdout.startswith("OAMKIT ") and "UNKNOWN - invalid input" not in dash.stdout


def test_a_report_replaces_a_link_planted_at_its_output_path(lab, lab_inventory, env, tmp_path):  # noqa: F811
    # written through: the file the link pointed to was overwritten with the report
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    for fmt in ("json", "junit"):
        report = tmp_path / f"report.{fmt}"
        report.symlink_to(victim)
        done = oamkit(env, "check", "-i", str(lab_inventory), "--limit", "ios-1", "--format", fmt,
                      "--output", str(report))
        assert done.returncode in (0, 1), done.stdout + done.stderr
        assert victim.read_text() == "not yours\n", fmt
        assert not report.is_symlink() and "ios-1" in report.read_text(), fmt
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
