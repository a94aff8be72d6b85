"""The history file filling up in the middle of a run (no device involved: the History class
alone). A subprocess, so the file size limit that stands for the full disk is its own."""
from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import resource, sys, time
    from oamkit import history as H
    h = H.History(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))
    stored = 0
    try:
        with h.batched():
            for i in range(2000):
                h.store(H.Snapshot("r1", "cisco_ios", time.time() + i, ok=True, interfaces={
                    f"Gi{j}": H.InterfaceSample(f"Gi{j}", crc_errors=j, oam={"x": "y" * 200})
                    for j in range(20)}))
                stored += 1
    except Exception as exc:
        print(type(exc).__name__, exc)
    try:
        h.raise_if_lost()
    except Exception as exc:
        print("ends:", type(exc).__name__, getattr(exc, "exit_code", None))
    h.close()
    print("stored", stored)
""")


def test_a_disk_filling_mid_run_ends_the_run_on_an_error_naming_the_file(tmp_path):
    db = tmp_path / "history.sqlite"
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(db)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    first, ends, stored = run.stdout.splitlines()
    assert first.startswith(f"HistoryNotWritten {db}: the history database cannot be written: "), first
    assert first.endswith("this run's writes did not all reach it")
    assert ends == "ends: HistoryNotWritten 3"   # the run ends on it, exit 3, whatever came after
    assert 0 < int(stored.split()[1]) < 2000
