"""Inventories that live elsewhere, read through Nornir's inventory plugins: a Nornir config file
(`InitNornir(config_file=...)`) naming e.g. `AnsibleInventory` (nornir_ansible: an Ansible YAML
or INI inventory) or `NetBoxInventory2` (nornir_netbox: NetBox's REST API).

The plugin's hosts, groups and defaults come back in the shape of a SimpleInventory folder
(hosts.yaml, groups.yaml, defaults.yaml as read), so `oamkit.inventory` validates them exactly as
it validates a folder: same keys, same checks, same error messages naming host and key.

Where the plugins put things: Ansible's `ansible_network_os` (`cisco.ios.ios`, `ios`, ...) is the
platform when none is set; NetBox keeps structured per-device data in config contexts, so
oamkit's keys (`oam`, `credentials`, `ssh`, ...) are taken from `config_context` too.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from oamkit.errors import InputError, Problem

PREFIX = "nornir:"
_CWD_LOCK = threading.Lock()


def is_nornir_config(path: str | Path) -> bool:
    """`nornir:CONFIG.yaml` (anything else is a SimpleInventory folder)."""
    return str(path).startswith(PREFIX)


def config_path(path: str | Path) -> Path:
    return Path(str(path).removeprefix(PREFIX))


def read(config: Path, oamkit_keys: tuple[str, ...]) -> dict[str, dict]:
    """{"hosts": .., "groups": .., "defaults": ..} as a SimpleInventory folder would hold them."""
    from nornir import InitNornir

    if not config.is_file():
        raise InputError([Problem("Nornir config file not found", file=str(config))])
    # Plugins open their files (Ansible hosts file, NetBox group/defaults files) relative to the
    # working directory; a config file's relative paths mean "beside the config file".
    with _CWD_LOCK:
        before = os.getcwd()
        os.chdir(config.resolve().parent)
        try:
            nornir = InitNornir(config_file=config.name, logging={"enabled": False},
                                runner={"plugin": "serial"})
        except Exception as exc:  # the plugin's own errors: missing file, HTTP error, bad YAML
            text = " ".join(str(exc).split())[:300]
            raise InputError([Problem(f"Nornir could not load the inventory: "
                                      f"{type(exc).__name__}: {text}", file=str(config))]) from None
        finally:
            os.chdir(before)
    inventory = nornir.inventory
    if not inventory.hosts:   # nornir_ansible, given a missing hosts file, only logs a warning
        plugin = nornir.config.inventory.plugin
        raise InputError([Problem(f"the inventory plugin {plugin} found no hosts (is the source "
                                  "it reads there?)", file=str(config))])
    return {"hosts": {name: _entry(host, oamkit_keys) for name, host in inventory.hosts.items()},
            "groups": {name: _entry(group, oamkit_keys) for name, group in inventory.groups.items()},
            "defaults": _entry(inventory.defaults, oamkit_keys, with_groups=False)}


def _entry(element, oamkit_keys: tuple[str, ...], with_groups: bool = True) -> dict[str, Any]:
    own = element.dict()
    entry = {key: own[key] for key in ("hostname", "port", "username", "password", "platform")
             if own.get(key) is not None}
    if with_groups and own.get("groups"):
        entry["groups"] = list(own["groups"])
    data = dict(own.get("data") or {})
    context = data.get("config_context")
    if isinstance(context, dict):
        for key in oamkit_keys:
            if key in context and key not in data:
                data[key] = context[key]
    network_os = data.get("ansible_network_os")
    if "platform" not in entry and isinstance(network_os, str):
        entry["platform"] = network_os.rsplit(".", 1)[-1]
    if data:
        entry["data"] = data
    options = {name: {k: v for k, v in option.items() if v not in (None, {})}
               for name, option in (own.get("connection_options") or {}).items()}
    if any(options.values()):
        entry["connection_options"] = options
    return entry
