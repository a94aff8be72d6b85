"""The lab's CLI: ``serve_cli`` answers one SSH shell channel with the session of the device's
platform. The terminal behaviour every platform shares is in ``oamkit.lab.terminal``; each
platform's prompts, grammar, show output and own handlers are in ``oamkit.lab.vendors``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import asyncssh

from oamkit.lab.device import Device
from oamkit.lab.vendors import PERSONALITIES, grammar_for  # noqa: F401 - grammar_for re-exported

if TYPE_CHECKING:
    from oamkit.lab.server import Lab

SESSIONS = {name: p.session for name, p in PERSONALITIES.items()}


async def serve_cli(process: asyncssh.SSHServerProcess, device: Device, lab: "Lab | None") -> None:
    await SESSIONS[device.platform](process, device, lab).run()
