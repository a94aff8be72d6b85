"""The backup journal: durable per record, syncs shared by concurrent hosts, readable after a
crash, and the per-host files of changes made before it."""
from __future__ import annotations

import os
import threading
import time

import pytest

from oamkit import backups


def _end_of_record(path, host: str) -> int:
    data = path.read_bytes()
    start = data.index(f'"host": "{host}"'.encode())
    return data.index(b"\n", start) + 1


def test_every_append_returns_durable_and_concurrent_hosts_share_syncs(tmp_path, monkeypatch):
    real = os.fdatasync
    covered: list[int] = []   # file sizes each sync started from: what it made durable
    lock = threading.Lock()

    def slow_disk_sync(fd):
        size = os.fstat(fd).st_size
        time.sleep(0.05)   # a disk that takes its time: the other hosts write meanwhile
        real(fd)
        with lock:
            covered.append(size)

    monkeypatch.setattr(os, "fdatasync", slow_disk_sync)
    hosts = [f"r{i}" for i in range(40)]
    durable_at_return: dict[str, int] = {}
    start = threading.Barrier(len(hosts))

    def host_backs_up(name):
        start.wait()
        backups.record(tmp_path / "chg", name, "cisco_ios", "cli", f"interface {name}\n", "x" * 500)
        with lock:
            durable_at_return[name] = max(covered)

    threads = [threading.Thread(target=host_backs_up, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    backups.close(tmp_path / "chg")
    journal = tmp_path / "chg" / backups.JOURNAL
    for name in hosts:
        assert durable_at_return[name] >= _end_of_record(journal, name), name
    assert len(covered) <= 3, f"{len(covered)} syncs for {len(hosts)} hosts arriving together"
    assert sorted(backups.read(tmp_path / "chg")) == sorted(hosts)


def test_a_failed_sync_is_the_callers_error_and_the_next_append_syncs_again(tmp_path, monkeypatch):
    real, calls = os.fdatasync, []

    def failing_once(fd):
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fdatasync", failing_once)
    with pytest.raises(OSError):
        backups.record(tmp_path, "r1", "cisco_ios", "cli", "a\n", "a")
    backups.record(tmp_path, "r2", "cisco_ios", "cli", "b\n", "b")
    backups.close(tmp_path)
    assert len(calls) == 2


def test_a_torn_last_line_is_skipped_and_a_hosts_first_record_wins(tmp_path):
    backups.record(tmp_path, "r1", "cisco_ios", "cli", "before\n", "full before")
    backups.record(tmp_path, "r1", "cisco_ios", "cli", "later\n", "full later")
    backups.close(tmp_path)
    with open(tmp_path / backups.JOURNAL, "a") as journal:
        journal.write('{"host": "r2", "platform": "cisco_ios", "form": "cli", "tak')   # power cut
    found = backups.read(tmp_path)
    assert list(found) == ["r1"]
    assert found["r1"].managed == "before\n" and found["r1"].running == "full before"


def test_changes_made_before_the_journal_are_still_read(tmp_path):
    legacy = tmp_path / "backups"
    legacy.mkdir()
    (legacy / "ios-1.cfg").write_text("interface Gi0/1\n ethernet oam\n")
    (legacy / "ios-1.running.txt").write_text("hostname ios-1\n")
    (legacy / "xr-1.cfg").write_text("<data/>")
    found = backups.read(tmp_path)
    assert found["ios-1"].managed.startswith("interface Gi0/1") and found["ios-1"].form == "cli"
    assert found["ios-1"].running == "hostname ios-1\n"
    assert found["xr-1"].form == "netconf"


def test_a_long_lived_process_keeps_only_a_few_journals_open(tmp_path):
    def open_journal_fds() -> int:
        return sum(os.readlink(f"/proc/self/fd/{fd}").endswith(backups.JOURNAL)
                   for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}"))

    for number in range(3 * backups.OPEN_JOURNALS):   # changes nobody closes
        backups.record(tmp_path / f"change-{number}", "r1", "cisco_ios", "cli", "a\n", "a")
    assert open_journal_fds() <= backups.OPEN_JOURNALS
    backups.record(tmp_path / "change-0", "r2", "cisco_ios", "cli", "b\n", "b")   # reopened
    assert sorted(backups.read(tmp_path / "change-0")) == ["r1", "r2"]
    for number in range(3 * backups.OPEN_JOURNALS):
        backups.close(tmp_path / f"change-{number}")
    assert open_journal_fds() == 0
