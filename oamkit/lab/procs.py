"""Process checks shared by the device lab's command and the WAN lab."""
from __future__ import annotations

import os
from pathlib import Path


def pid_exists(pid: int) -> bool:
    """The pid is taken (signal 0; EPERM means it is, by someone else's process), zombies
    included: what a caller that must see the process reaped waits on."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    if not pid_exists(pid):
        return False
    if not Path("/proc/self").exists():
        return True   # no /proc to ask: signal 0 said it exists
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False  # gone between the two checks
