"""`--output` with a format that only prints (table, nagios) is refused as bad input before any
device is contacted, instead of being ignored (exit 0, nothing written); so is a path where no
report file can go (a link, a pipe, a device, a folder that takes no file)."""
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


def test_a_link_a_pipe_or_an_unwritable_place_at_the_output_path_is_refused_before_any_read(
        lab, lab_inventory, env, tmp_path):  # noqa: F811
    # A link was replaced by the report: `-o /dev/stdout` (a link to /proc/self/fd/1) replaced
    # the system's /dev/stdout with a file; a FIFO or device node became a regular file and its
    # reader got nothing; /proc or a read-only folder failed only after the devices were read,
    # with a traceback and exit 1, which a systemd unit with SuccessExitStatus=1 took for success.
    import os

    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    (tmp_path / "report.json").symlink_to(victim)
    (tmp_path / "stdout").symlink_to("/proc/self/fd/1")
    os.mkfifo(tmp_path / "fifo")
    before = {n: len(d.transcript) for n, d in lab.devices.items()}
    for fmt, target, reason in (("json", tmp_path / "report.json", "is a symbolic link"),
                                ("junit", tmp_path / "stdout", "is a symbolic link"),
                                ("prometheus", tmp_path / "fifo", "is a device, pipe or socket"),
                                ("json", "/proc/oamkit-report.json", "no file can be made in /proc")):
        done = oamkit(env, "check", "-i", str(lab_inventory), "--limit", "ios-1", "--format", fmt,
                      "--output", str(target))
        said = done.stdout + done.stderr   # --format json: the error as JSON on stdout
        assert done.returncode == 2, (fmt, target, said)
        assert f"the report cannot be written there: {reason}" in said and "--output" in said, said
        assert str(target) in said and "Traceback" not in said
    assert {n: len(d.transcript) for n, d in lab.devices.items()} == before   # nobody contacted
    assert victim.read_text() == "not yours\n" and (tmp_path / "report.json").is_symlink()
    assert (tmp_path / "stdout").is_symlink() and (tmp_path / "fifo").is_fifo()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_report_that_cannot_be_written_after_the_reads_is_exit_3_naming_it(tmp_path):
    """What the preflight cannot see coming (the folder made read-only meanwhile, a full
    disk): the error names the file, exit 3 (the result did not arrive), no traceback."""
    from oamkit.files import OutputNotWritten, write_replacing

    import pytest

    with pytest.raises(OutputNotWritten) as failed:
        write_replacing("/proc/oamkit-report.json", "{}\n")
    assert failed.value.exit_code == 3 and str(failed.value).startswith("/proc/oamkit-report.json: not written: ")
    (tmp_path / "fifo").parent.mkdir(exist_ok=True)
    import os

    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OutputNotWritten, match="pipe"):
        write_replacing(tmp_path / "fifo", "{}\n")
    assert (tmp_path / "fifo").is_fifo()
