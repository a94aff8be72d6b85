"""Issue #17: an unchanged re-push sometimes waited the whole deadline for a get-config reply.
Cause: netconfd 2.13 handles one message per read of its socket, so a first RPC that reaches it
in the same read as the client's <hello> stays unread until more bytes arrive (netconfd's bug;
oamkit's framing is fine: the same RPC sent a moment later is answered). `joined_server` makes
that happen on every session; oamkit's transport nudges such a server (transport.netconf)."""
from __future__ import annotations

import json
import subprocess
import sys

from .conftest import inventory

def test_netconfd_leaves_a_first_rpc_read_with_the_hello_unanswered(joined_server):
    """The server's side of it, with plain ncclient: no reply to the first RPC until the
    client sends something more; then both replies come."""
    joined = joined_server.joiner.joined
    with joined_server.connect(settle=False) as m:
        m.async_mode = True
        first = m.get_config(source="running")
        assert not first.event.wait(3), "netconfd answered: the workaround may be unneeded now"
        second = m.get_config(source="running")
        assert second.event.wait(10) and first.event.wait(10)
        assert first.reply.ok and second.reply.ok
    assert joined_server.joiner.joined == joined + 1


def test_oamkit_gets_its_first_reply_when_the_hello_and_rpc_are_read_together(joined_server, tmp_path, env):
    """Push, then re-push unchanged, each on sessions whose first RPC netconfd read with the
    hello: both end with their outcome, not at the (short, here) deadline."""
    inv = inventory(joined_server, tmp_path)
    joined = joined_server.joiner.joined
    for want in ("changed", "unchanged"):
        result = subprocess.run([sys.executable, "-m", "oamkit.cli", "push", "-i", str(inv),
                                 "--json", "--timeout", "20", "--confirm-timeout", "60"],
                                capture_output=True, text=True, env=env, timeout=120)
        host, = json.loads(result.stdout)["hosts"]
        assert (result.returncode, host["outcome"]) == (0, want), host
    assert joined_server.joiner.joined >= joined + 2   # a push opens a session or more
