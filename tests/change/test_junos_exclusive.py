"""Junos CLI pushes in `configure exclusive` (outside reviewer): on the shared candidate
(`configure`), another user's uncommitted edit rode in oamkit's commit, and oamkit's own lines
left uncommitted by a dropped session stayed pending for the next commit to turn on, half a
change, while oamkit had said "rolled back". The lab's Junos plays both as the device does:
`configure exclusive` refuses a modified candidate (`error: configuration database modified`)
and rolls back what a session leaves uncommitted when it ends."""
from __future__ import annotations

import asyncio
import contextlib
import time

import asyncssh
import paramiko

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


@contextlib.contextmanager
def editing_exclusively(lab, lines: list[str]):
    """Another operator at the device's CLI in `configure exclusive`, having typed `lines`
    (uncommitted), who stays there until the block ends: a second SSH client of its own."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=lab.ports[HOST], username=lab.username, password=lab.password,
                   look_for_keys=False, allow_agent=False, timeout=10)
    try:
        shell = client.invoke_shell(term="vt100")
        shell.settimeout(10)
        out = ""
        for line in ["configure exclusive", *lines]:
            shell.send(line + "\n")
            until = time.monotonic() + 10
            while not out.rstrip().endswith("#") and time.monotonic() < until:
                out += shell.recv(65536).decode(errors="replace")
            assert out.rstrip().endswith("#"), out
            out += "\n"
        assert "Entering configuration mode" in out, out
        yield out
    finally:
        client.close()


def locked_push(env, lab_inventory, device):
    """Push to HOST; what the device received from oamkit's own session while refused."""
    theirs, since = set(device.active_sessions), time.time()
    code, hosts = pushed(env, lab_inventory, "--limit", HOST)
    ours = [e.text.strip() for e in list(device.transcript)
            if e.time >= since and e.channel == "cli" and e.direction == "in"
            and e.session_id not in theirs]
    return code, hosts[HOST], ours


def test_another_users_uncommitted_edit_is_never_committed_by_a_push(lab, lab_inventory, env):
    device = lab.device(HOST)
    before = running_text(device)
    typed(lab, ["configure", "set system host-name UNREVIEWED"])
    assert device.uncommitted()
    code, host, sent = locked_push(env, lab_inventory, device)
    # refused as a NETCONF <lock> on a modified candidate is: `locked`, exit 1, nothing undone
    assert code == 1 and host["outcome"] == "locked", host
    assert "configuration database modified" in (host["error"] or ""), host
    assert HOST in host["error"], host
    assert "rollback 0" not in sent, sent                # no discard of a database never held
    assert running_text(device) == before            # nothing of theirs, nothing of ours
    assert "UNREVIEWED" in device.candidate.to_text()   # theirs is still theirs to commit or discard


def test_a_push_while_another_operator_holds_configure_exclusive_is_locked(lab, lab_inventory, env):
    device = lab.device(HOST)
    before = running_text(device)
    with editing_exclusively(lab, ["set system host-name THEIRS"]):
        code, host, sent = locked_push(env, lab_inventory, device)
        assert "THEIRS" in device.candidate.to_text()   # their edit is untouched, still theirs
    assert code == 1, host
    assert host["outcome"] == "locked", host
    # the message names the host and who holds it, as the device said it
    assert host["error"].startswith(f"{HOST}: "), host
    assert "configuration database locked by" in host["error"], host
    assert f"{lab.username} terminal" in host["error"] and "(pid " in host["error"], host
    assert not host["backup"] and not host["removed"], host
    # refused at `configure exclusive`: no line, no commit, no `rollback 0` after it
    assert sent[sent.index("configure exclusive") + 1:] == ["exit"], sent
    assert running_text(device) == before
    until = time.monotonic() + 10     # their session's end reaches the device a moment later
    while device.uncommitted() and time.monotonic() < until:
        time.sleep(0.05)
    assert not device.uncommitted()   # theirs went with their session, as on the device


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
