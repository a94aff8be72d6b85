"""The campaign's vocabulary: a `Case` (one bad input, as data) and the `Workspace` a case damages.

A case is run by `test_campaign.py` as a real `oamkit` process in a fresh workspace holding a
copy of the shared lab's inventory (hosts that would really be contacted). In `argv` and
`expect`, `{inv}` is that inventory folder, `{ws}` the workspace and `{state}` the state dir.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

Setup = Callable[["Workspace"], None]


@dataclass(frozen=True)
class Case:
    id: str                          # readable: COMMAND-WHAT-HOW, e.g. push-interface-newline
    argv: tuple[str, ...]            # after `oamkit`
    expect: tuple[str, ...]          # every fragment must be in stderr (white space folded)
    setup: tuple[Setup, ...] = ()    # how the input is damaged, in order
    absent: tuple[str, ...] = ()     # must appear nowhere in stdout/stderr (secrets)
    stdin: str | None = None
    xfail: str | None = None         # a known oamkit bug too large to fix here: the reason

    @property
    def command(self) -> str:
        return self.id.split("-", 1)[0]


def case(id: str, argv: str | list[str], *expect: str, setup: Setup | list[Setup] = (),
         absent: tuple[str, ...] = (), stdin: str | None = None, xfail: str | None = None) -> Case:
    """`argv` as a string is split on spaces (use a list for arguments holding spaces)."""
    args = tuple(argv.split()) if isinstance(argv, str) else tuple(argv)
    steps = tuple(setup) if isinstance(setup, (list, tuple)) else (setup,)
    return Case(id, args, tuple(expect), steps, tuple(absent), stdin, xfail)


@dataclass
class Workspace:
    root: Path
    inv: Path
    state: Path
    notes: dict = field(default_factory=dict)

    def fill(self, text: str) -> str:
        return (text.replace("{inv}", str(self.inv)).replace("{ws}", str(self.root))
                .replace("{state}", str(self.state)))

    def path(self, relative: str) -> Path:
        return self.root / self.fill(relative) if not relative.startswith("{") \
            else Path(self.fill(relative))

    def write(self, relative: str, content: Any, mode: int | None = None) -> Path:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content if isinstance(content, str)
                              else yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
        if mode is not None:
            target.chmod(mode)
        return target

    def load(self, relative: str) -> Any:
        return yaml.safe_load(self.path(relative).read_text())


# ------------------------------------------------------------------ damage, as data
def put(file: str, dotted: str | list, value: Any) -> Setup:
    """Set one key of a YAML file (`dotted` path, or a list of keys), creating maps on the way."""
    keys = dotted.split(".") if isinstance(dotted, str) else list(dotted)

    def apply(ws: Workspace) -> None:
        data = ws.load(file) or {}
        node = data
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = value
        ws.write(file, data)
    return apply


def drop(file: str, dotted: str) -> Setup:
    keys = dotted.split(".")

    def apply(ws: Workspace) -> None:
        data = ws.load(file)
        node = data
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]
        ws.write(file, data)
    return apply


def edit(file: str, change: Callable[[Any], Any]) -> Setup:
    """`change(data)` edits the YAML document in place (or returns a replacement)."""
    def apply(ws: Workspace) -> None:
        data = ws.load(file)
        result = change(data)
        ws.write(file, data if result is None else result)
    return apply


def write(relative: str, content: Any, mode: int | None = None) -> Setup:
    return lambda ws: ws.write(relative, content, mode)


def remove(relative: str) -> Setup:
    return lambda ws: ws.path(relative).unlink()


def chmod(relative: str, mode: int) -> Setup:
    return lambda ws: ws.path(relative).chmod(mode)


def keygen(relative: str, passphrase: str = "", mode: int = 0o600) -> Setup:
    """An ed25519 private key made by ssh-keygen (protected by `passphrase` if any)."""
    def apply(ws: Workspace) -> None:
        target = ws.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "", "-f", str(target)],
                       check=True, timeout=30)
        target.chmod(mode)
    return apply


def interface(host: str, name: str, settings: dict | None = None) -> Setup:
    """Add an OAM interface to a host of the lab inventory."""
    return put("inventory/hosts.yaml", [host, "data", "oam", "interfaces", name], settings or {})


def policy(body: Any, file: str = "zz-bad.yaml") -> Setup:
    """Add a policy file (text or mapping) to the inventory."""
    return write(f"inventory/policies/{file}", body)


def use_policy(name: str, host: str = "ios-1") -> Setup:
    return put("inventory/hosts.yaml", [host, "data", "oam", "policy"], name)


HOSTS = "inventory/hosts.yaml"
GROUPS = "inventory/groups.yaml"
DEFAULTS = "inventory/defaults.yaml"
