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


def test_many_hosts_backups_written_together_take_one_sync(tmp_path, monkeypatch):
    real, calls = os.fdatasync, []
    monkeypatch.setattr(os, "fdatasync", lambda fd: (calls.append(fd), real(fd)))
    entries = [(f"r{i}", "cisco_ios", "cli", f"interface r{i}\n", "x" * 300) for i in range(25)]
    backups.record_many(tmp_path / "chg", entries)
    backups.close(tmp_path / "chg")
    assert len(calls) == 1
    assert sorted(backups.read(tmp_path / "chg")) == sorted(e[0] for e in entries)


def test_hosts_on_the_event_loop_back_up_in_batches_each_waiting_for_its_own(tmp_path):
    """`greenloop.Batched` as the change engine uses it for backups: host greenlets that
    arrive while a batch runs in a worker thread go in the next batch; each host resumes only
    once the batch holding its item is done; a batch's error is each of its hosts' error."""
    import asyncio

    from oamkit.transport import greenloop

    batches: list[list[int]] = []
    finished: set[int] = set()

    def run_many(items):
        time.sleep(0.05)   # a slow disk: the other hosts arrive meanwhile
        if 13 in items:
            raise OSError(28, "No space left on device")
        batches.append(list(items))
        finished.update(items)
        return [f"done {i}" for i in items]

    batched = greenloop.Batched(run_many)

    def host(i):
        if i % 2 == 0:
            greenloop.sleep(0.001 * i)   # hosts arrive over time, some together
        try:
            answer = batched(i)
        except OSError as exc:
            return i, f"error {exc.errno}"
        assert i in finished, "resumed before its batch was done"
        return i, answer

    async def fleet():
        return await asyncio.gather(*(greenloop.spawn(host, i) for i in range(40)))

    outcomes = dict(asyncio.run(fleet()))
    failed = {i for i, answer in outcomes.items() if answer == "error 28"}
    assert 13 in failed and failed.isdisjoint(finished)
    assert all(outcomes[i] == f"done {i}" for i in finished)
    assert finished | failed == set(range(40))
    assert 2 <= len(batches) + 1 <= 8, batches   # a few batches, not one hand-off per host
    assert batched(99) == "done 99"               # off the loop: a plain call
