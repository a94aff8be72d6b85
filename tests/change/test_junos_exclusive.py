"""Junos CLI pushes in `configure exclusive` (outside reviewer): on the shared candidate
(`configure`), another user's uncommitted edit rode in oamkit's commit, and oamkit's own lines
left uncommitted by a dropped session stayed pending for the next commit to turn on, half a
change, while oamkit had said "rolled back". The lab's Junos plays both as the device does:
`configure exclusive` refuses a modified candidate (`error: configuration database modified`)
and rolls back what a session leaves uncommitted when it ends."""
from __future__ import annotations

import asyncio

import asyncssh

from tests.change.test_change_engine import env, oamkit, pushed, running_text  # noqa: F401

HOST = "junos-1"


def typed(lab, lines: list[str]) -> str:
    """Another user at the device's CLI: type `lines`, then drop the session (no commit, no exit)."""
    async def session() -> str:
        async with asyncssh.connect("127.0.0.1", port=lab.ports[HOST], username=lab.username,
                                    password=lab.password, known_hosts=None) as conn:
            async with conn.create_process(term_type="vt100") as proc:
                out = ""
                for line in lines + [""]:
                    proc.stdin.write(line + "\n")
                    while not out.rstrip().endswith((">", "#")):
                        out += await asyncio.wait_for(proc.stdout.read(65536), 10)
                    out += "\n"
                    await asyncio.sleep(0.05)
                return out
    return asyncio.run(session())


def test_another_users_uncommitted_edit_is_never_committed_by_a_push(lab, lab_inventory, env):
    device = lab.device(HOST)
    before = running_text(device)
    typed(lab, ["configure", "set system host-name UNREVIEWED"])
    assert device.uncommitted()
    code, hosts = pushed(env, lab_inventory, "--limit", HOST)
    assert code == 1, hosts
    assert hosts[HOST]["outcome"] in ("failed-rolled-back", "error"), hosts[HOST]
    assert "configuration database modified" in (hosts[HOST]["error"] or ""), hosts[HOST]
    assert running_text(device) == before            # nothing of theirs, nothing of ours
    assert "UNREVIEWED" in device.candidate.to_text()   # theirs is still theirs to commit or discard


def test_a_dropped_push_leaves_nothing_pending_for_the_next_commit(lab, lab_inventory, env):
    device = lab.device(HOST)
    before = running_text(device)
    lab.set_faults(HOST, drop_after_commands=10)     # mid-change, lines sent, nothing committed
    code, hosts = pushed(env, lab_inventory, "--limit", HOST)
    lab.set_faults(HOST, drop_after_commands=None)
    assert code == 1 and hosts[HOST]["outcome"] == "failed-rolled-back", hosts[HOST]
    assert not device.uncommitted(), "the dropped exclusive session's lines are still pending"
    # an operator's unrelated commit afterwards turns nothing of the change on
    assert "link-fault-management" not in before
    typed(lab, ["configure", "set interfaces ge-0/0/3 description uplink-b1", "commit"])
    assert "uplink-b1" in running_text(device)
    assert "link-fault-management" not in running_text(device)
