"""Inventory: Nornir SimpleInventory folders, with oamkit's own keys validated by pydantic.

Why Nornir: it is the inventory format our users already keep (hosts.yaml, groups.yaml,
defaults.yaml with recursive groups), and its loader gives us the exact inheritance semantics
they know. Nornir resolves `data:` keys shallowly (the first layer that has a key wins); oamkit's
own keys (`oam`, `credentials`, `ssh`, `netconf`) are deep-merged defaults -> groups -> host
instead, so a host can override one interface without repeating the group's whole `oam` block.

Every problem names the file, host and key, and loading stops with exit code 2 before any
device is contacted.
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oamkit import inventory_sources, secrets, textcheck, units, yamlfile
from oamkit.errors import InputError, Problem
from oamkit.inventory_settings import (OAMKIT_KEYS, Credentials, HostSettings, InterfaceSettings,  # noqa: F401
                                      JumpHost, NetconfSettings, OamSettings, SshSettings,
                                      parse_jump_host)
from oamkit.keyfiles import key_file_problem
from oamkit.platforms import get_platform, platform_names
from oamkit.policy import (LinkOamIntent, PolicyBook,
                           problems_from_validation, resolve_intent)

MASK = "********"
# how an inventory is given, for every message about a folder that is not there
POINT_AT_INVENTORY = "point oamkit at an inventory with -i DIR or OAMKIT_INVENTORY=DIR"


@contextmanager
def gc_paused():
    """No cyclic garbage collection inside: loading or planning a large fleet allocates
    hundreds of thousands of dicts and models that all stay alive, and the collector kept
    re-scanning them (half the CPU time of loading 10,000 hosts). It runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Inventory:
    path: Path
    hosts: dict[str, HostSettings]
    policies: PolicyBook
    merged_data: dict[str, dict] = field(default_factory=dict)
    # intents resolved while loading (to validate them) are what plans use: resolved once
    _intents: dict[str, tuple[HostSettings, list[LinkOamIntent]]] = field(
        default_factory=dict, repr=False, compare=False)
    # secrets a command printed, by command: `pass` asks gpg once per run, not once per host
    _command_secrets: dict[tuple[str, ...], str | InputError] = field(
        default_factory=dict, repr=False, compare=False)
    # (policy, speed) -> the intent of an interface without overrides: resolved once per policy
    # and speed, not once per interface (intents are frozen; each gets its host and name)
    _shared: dict[tuple[str, int], LinkOamIntent] = field(default_factory=dict, repr=False,
                                                          compare=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path, extra_policy_dirs: tuple[Path, ...] = ()) -> Inventory:
        with gc_paused():
            return cls._load(path, extra_policy_dirs)

    @classmethod
    def _load(cls, path: str | Path, extra_policy_dirs: tuple[Path, ...]) -> Inventory:
        problems: list[Problem] = []
        raw: dict[str, dict] = {}
        if inventory_sources.is_nornir_config(path):   # a Nornir config naming an inventory plugin
            config = inventory_sources.config_path(path)
            raw = inventory_sources.read(config, OAMKIT_KEYS)
            source, folder = config, config.resolve().parent
            files = {name: config for name in ("hosts", "groups", "defaults")}
        else:
            source = folder = Path(path)
            files = {name: folder / f"{name}.yaml" for name in ("hosts", "groups", "defaults")}
            if not folder.is_dir():
                raise InputError([Problem(f"inventory folder not found; {POINT_AT_INVENTORY}",
                                          file=str(folder.absolute()))])
            if not files["hosts"].is_file():
                raise InputError([Problem("no hosts.yaml in the inventory folder", file=str(folder))])
            for name, file in files.items():
                raw[name] = _read_yaml(file, problems) if file.is_file() else {}
        policies: PolicyBook | None = None
        try:
            policies = PolicyBook.load(folder / "policies", *extra_policy_dirs)
        except InputError as exc:
            problems.extend(exc.problems)
        if problems:
            raise InputError(problems)

        problems.extend(_text_problems(raw, files))
        if problems:
            raise InputError(problems)
        problems.extend(_structure_problems(raw, files))
        if problems:
            raise InputError(problems)
        for host_name, entry in raw["hosts"].items():
            try:  # group loops would make Nornir recurse forever: refuse them first
                _group_chain(entry.get("groups") or [], raw["groups"])
            except InputError as exc:
                problems.extend(Problem(p.message, file=str(files["groups"]), host=host_name,
                                        field="groups") for p in exc.problems)
        if problems:
            raise InputError(problems)
        nornir_inventory = _nornir_inventory(raw)
        hosts: dict[str, HostSettings] = {}
        merged: dict[str, dict] = {}
        for host_name in raw["hosts"]:
            chain = [g.name for g in nornir_inventory.hosts[host_name].extended_groups()]
            try:
                host, data = _resolve_host(host_name, chain, raw, files)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            hosts[host_name] = host
            merged[host_name] = data
        inventory = cls(source, hosts, policies, merged)
        if not problems:
            for host in hosts.values():
                try:
                    inventory.intents(host)
                except InputError as exc:
                    problems.extend(exc.problems)
        if problems:
            raise InputError(problems)
        return inventory

    # ------------------------------------------------------------------ selection
    def select(self, filters: list[str] | None = None, limit: str | list[str] | None = None
               ) -> list[HostSettings]:
        """Hosts matching every `--filter KEY=VALUE` (or KEY!=VALUE) and the `--limit` list."""
        chosen = list(self.hosts.values())
        if limit:
            names = [n.strip() for n in (limit.split(",") if isinstance(limit, str) else limit)
                     if n.strip()]
            unknown = [n for n in names if n not in self.hosts]
            if unknown:
                raise InputError([Problem(f"--limit names unknown host(s): {', '.join(unknown)}",
                                          field="--limit")])
            wanted = set(names)   # a long --limit list: a set, not a scan per host
            chosen = [h for h in chosen if h.name in wanted]
        for expression in filters or []:
            key, op, value = _parse_filter(expression)
            chosen = [h for h in chosen
                      if _matches(self._lookup(h, key), value) == (op == "=")]
        return chosen

    def _lookup(self, host: HostSettings, key: str):
        if key in ("group", "groups"):
            return host.groups
        if key in ("name", "hostname", "platform", "port", "username", "transport"):
            return getattr(host, key)
        node: Any = self.merged_data.get(host.name, {})
        for part in key.removeprefix("data.").split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    # ------------------------------------------------------------------ intent
    def intents(self, host: HostSettings | str) -> list[LinkOamIntent]:
        """The resolved IEEE-unit intent of every OAM interface of `host` (its settings, or its
        name: InputError naming it when the inventory has no such host)."""
        if isinstance(host, str):
            if host not in self.hosts:
                raise InputError([Problem("unknown host", host=host)])
            host = self.hosts[host]
        cached = self._intents.get(host.name)
        if cached is not None and cached[0] is host:
            return list(cached[1])
        platform = get_platform(host.platform)
        problems: list[Problem] = []
        out: list[LinkOamIntent] = []
        seen: dict[str, str] = {}
        for written, iface in host.oam.interfaces.items():
            iface = iface or InterfaceSettings()
            name = platform.canonical_interface(written)
            unfit = platform.names.problem("interface", name)
            if unfit:   # the name becomes a device command: refuse what the device cannot hold
                problems.append(Problem(f"{unfit} on {platform.display}",
                                        file=str(self.hosts_file), host=host.name,
                                        field="oam.interfaces", value=written))
                continue
            if iface.description is not None:
                unfit = platform.names.problem("description", iface.description)
                if unfit:
                    shown = iface.description if len(iface.description) <= 60 \
                        else iface.description[:57] + "..."
                    problems.append(Problem(f"{unfit} on {platform.display}",
                                            host=host.name, interface=name,
                                            field=f"oam.interfaces.{name}.description", value=shown))
            if name in seen:
                problems.append(Problem(f"listed twice (as {seen[name]!r} and {written!r}) with "
                                        "possibly conflicting settings", host=host.name,
                                        interface=name, field="oam.interfaces"))
                continue
            seen[name] = written
            policy_name = iface.policy or host.oam.policy
            if not policy_name:
                problems.append(Problem("no policy: set oam.policy on the host/group or on the "
                                        "interface", host=host.name, interface=name,
                                        field="oam.policy"))
                continue
            speed_text = iface.speed or host.oam.speed
            speed = (units.parse_speed(speed_text) if speed_text is not None
                     else platform.speed_for_interface(name))
            if speed is None:
                problems.append(Problem("link speed unknown: set oam.speed or the interface's "
                                        "speed", host=host.name, interface=name, field="speed"))
                continue
            shared = None if iface.overrides else self._shared.get((policy_name, speed))
            if shared is not None:
                out.append(shared.model_copy(update={"host": host.name, "interface": name}))
                continue
            try:
                spec = self.policies.spec(policy_name, iface.overrides, host=host.name,
                                          interface=name, file=str(self.hosts_file)
                                          if iface.overrides else None)
                intent = resolve_intent(spec, host=host.name, interface=name,
                                        policy=policy_name, speed_bps=speed,
                                        overridden=bool(iface.overrides))
                out.append(intent)
                if not iface.overrides:   # only what resolved: each host reports its own errors
                    self._shared[(policy_name, speed)] = intent
            except InputError as exc:
                problems.extend(_locate(p, host.name, name) for p in exc.problems)
        if problems:
            raise InputError(problems)
        self._intents[host.name] = (host, out)
        return list(out)

    # ------------------------------------------------------------------ secrets
    def password(self, host: HostSettings) -> str | None:
        """The host's password from its environment variable, password file or password
        command (in that order); never logged."""
        return self._secret(host, "password") or os.environ.get("OAMKIT_PASSWORD") or None

    def enable_secret(self, host: HostSettings) -> str | None:
        """The IOS enable secret (`credentials.enable_secret_env/file/command`), or None."""
        return self._secret(host, "enable_secret")

    def _secret(self, host: HostSettings, kind: str) -> str | None:
        creds = host.credentials
        env, file, command = (getattr(creds, f"{kind}_{where}") for where in ("env", "file", "command"))
        if env and os.environ.get(env):
            return secrets.checked(os.environ[env], host=host.name, field=f"credentials.{kind}_env")
        if file:
            found = secrets.from_file(self.resolve_path(file), host=host.name,
                                      field=f"credentials.{kind}_file")
            if found:
                return secrets.checked(found, host=host.name, field=f"credentials.{kind}_file")
        if command:
            where = f"credentials.{kind}_command"
            argv = secrets.command_argv(command, host=host.name, field=where)
            key = tuple(argv)
            if key not in self._command_secrets:
                try:
                    self._command_secrets[key] = secrets.from_command(argv, host=host.name,
                                                                      field=where, cwd=self.folder)
                except InputError as exc:   # failed once: said for every host, not run again
                    self._command_secrets[key] = exc
            found = self._command_secrets[key]
            if isinstance(found, InputError):
                raise InputError([Problem(p.message, host=host.name, field=p.field, value=p.value)
                                  for p in found.problems])
            return secrets.checked(found, host=host.name, field=where)
        return None

    def credential_problems(self, hosts: list[HostSettings]) -> list[Problem]:
        """Hosts that could not log in: no password found and no SSH key. Checked before any
        device is contacted, so a missing variable is exit 2, not fifty failed logins (or a
        login with an empty password)."""
        problems = []
        for host in hosts:
            try:
                found = self.password(host)
                enable_wanted = any((host.credentials.enable_secret_env,
                                     host.credentials.enable_secret_file,
                                     host.credentials.enable_secret_command))
                if enable_wanted and not self.enable_secret(host):
                    problems.append(Problem(
                        "enable secret not found (credentials.enable_secret_env/_file/_command "
                        "name none that has it)", host=host.name, field="credentials"))
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            known = host.ssh.known_hosts
            if known and not host.ssh.accept_new_host_keys and \
                    not self.resolve_path(known).is_file():
                problems.append(Problem(
                    f"known_hosts file not found: {self.resolve_path(known)} (host keys are "
                    "verified against it; set ssh.accept_new_host_keys to start one)",
                    host=host.name, field="ssh.known_hosts", value=known))
            for setting, key, what, instead in (
                    (host.credentials.ssh_key_file, "credentials.ssh_key_file", "SSH key file",
                     "oamkit reads unencrypted key files only: name one, or log in with a password"),
                    (host.ssh.jump_key_file, "ssh.jump_key_file", "jump host key file",
                     "oamkit reads unencrypted key files only: name one, or load this key into an "
                     "ssh-agent (ssh-add; SSH_AUTH_SOCK) and remove ssh.jump_key_file")):
                problem = key_file_problem(self.resolve_path(setting), setting, host=host.name,
                                           field=key, what=what, passphrase_hint=instead)
                if problem is not None:
                    problems.append(problem)
            if found or host.credentials.ssh_key_file:
                continue
            tried = [f"environment variable {host.credentials.password_env}"
                     if host.credentials.password_env else None,
                     f"file {self.resolve_path(host.credentials.password_file)}"
                     if host.credentials.password_file else None,
                     "command " + (host.credentials.password_command if isinstance(
                         host.credentials.password_command, str) else
                         " ".join(host.credentials.password_command))
                     if host.credentials.password_command else None, "OAMKIT_PASSWORD"]
            problems.append(Problem(
                "no password and no SSH key: looked in " + ", ".join(t for t in tried if t),
                host=host.name, field="credentials"))
        return problems

    def require_credentials(self, hosts: list[HostSettings]) -> None:
        problems = self.credential_problems(hosts)
        if problems:
            raise InputError(problems)

    @property
    def folder(self) -> Path:
        """Where relative paths (known_hosts, password files, policies) are taken from: the
        inventory folder, or the folder of a Nornir config file."""
        return self.path.parent if self.path.is_file() else self.path

    @property
    def source(self) -> str:
        """What `Inventory.load` takes to load this inventory again (a worker process does)."""
        path = self.path.resolve()
        return f"{inventory_sources.PREFIX}{path}" if path.is_file() else str(path)

    @property
    def hosts_file(self) -> Path:
        return self.path if self.path.is_file() else self.path / "hosts.yaml"

    def resolve_path(self, value: str | None) -> Path | None:
        if not value:
            return None
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else self.folder / p


def _locate(problem: Problem, host: str, interface: str) -> Problem:
    if problem.host and problem.interface:
        return problem
    return Problem(problem.message, file=problem.file, host=problem.host or host,
                   interface=problem.interface or interface, field=problem.field,
                   value=problem.value, allowed=problem.allowed)


def _read_yaml(file: Path, problems: list[Problem]) -> dict:
    try:
        content = yamlfile.load(file)
    except InputError as exc:
        problems.extend(exc.problems)
        return {}
    if content is None:
        return {}
    if not isinstance(content, dict):
        problems.append(Problem("must be a mapping", file=str(file)))
        return {}
    return content


_ENTRY_KEYS = {"hostname", "port", "username", "password", "platform", "groups", "data",
               "connection_options"}


def _structure_problems(raw: dict[str, dict], files: dict[str, Path]) -> list[Problem]:
    problems = []
    for kind in ("hosts", "groups"):
        for name, entry in raw[kind].items():
            if entry is None:
                raw[kind][name] = {}
                continue
            if not isinstance(entry, dict):
                problems.append(Problem("must be a mapping", file=str(files[kind]),
                                        host=name if kind == "hosts" else None,
                                        field=None if kind == "hosts" else f"group {name}"))
                continue
            for key in entry:
                if key not in _ENTRY_KEYS:
                    problems.append(Problem("unknown key (Nornir keys: " + ", ".join(sorted(_ENTRY_KEYS))
                                            + ")", file=str(files[kind]),
                                            host=name if kind == "hosts" else None,
                                            field=key if kind == "hosts" else f"{name}.{key}"))
            for group in entry.get("groups") or []:
                if group not in raw["groups"]:
                    problems.append(Problem(f"unknown group {group!r}", file=str(files[kind]),
                                            host=name if kind == "hosts" else None,
                                            field="groups"))
    for key in raw["defaults"]:
        if key not in _ENTRY_KEYS - {"groups", "platform"} | {"platform"}:
            problems.append(Problem("unknown key", file=str(files["defaults"]), field=key))
    for kind in ("hosts", "groups", "defaults"):
        entries = raw[kind].items() if kind != "defaults" else [("defaults", raw[kind])]
        for name, entry in entries:
            for field_name in _secret_fields(entry):
                problems.append(Problem(
                    "passwords may not be kept in inventory files; use data.credentials."
                    "password_env, data.credentials.password_file (mode 0600, outside git), "
                    "data.credentials.password_command or SSH keys", file=str(files[kind]),
                    host=name if kind == "hosts" else None,
                    field=field_name if kind != "groups" else f"{name}.{field_name}", value=MASK))
    return problems


_SECRET_KEYS = {"password", "secret", "enable_secret", "passphrase", "key_passphrase"}


def _secret_fields(entry) -> list[str]:
    """Where an inventory entry holds a secret: `password:`, and Nornir's per-connection
    `connection_options: {NAME: {password: .., extras: {secret: ..}}}`."""
    if not isinstance(entry, dict):
        return []
    found = ["password"] if entry.get("password") else []
    options = entry.get("connection_options")
    for conn, option in (options.items() if isinstance(options, dict) else []):
        if not isinstance(option, dict):
            continue
        if option.get("password"):
            found.append(f"connection_options.{conn}.password")
        extras = option.get("extras")
        for key in (extras if isinstance(extras, dict) else {}):
            if str(key).lower() in _SECRET_KEYS and extras[key]:
                found.append(f"connection_options.{conn}.extras.{key}")
    return found


def _text_problems(raw: dict[str, dict], files: dict[str, Path]) -> list[Problem]:
    """Every string of the inventory may reach a device or a path: no control characters
    anywhere, and host names that are plain file names (render output, backups, locks)."""
    problems = []
    for name, entry in raw["hosts"].items():
        unfit = textcheck.file_name_problem(name) if isinstance(name, str) else "must be text"
        if unfit:
            problems.append(Problem(f"host name {unfit}", file=str(files["hosts"]),
                                    field="host name", value=textcheck.shown(str(name))))
            continue
        problems.extend(textcheck.text_problems(entry, str(files["hosts"]), host=name))
    problems.extend(textcheck.text_problems(raw["groups"], str(files["groups"])))
    problems.extend(textcheck.text_problems(raw["defaults"], str(files["defaults"])))
    return problems


def _group_chain(names: list[str], groups: dict[str, dict], seen: tuple[str, ...] = ()) -> list[str]:
    """Nornir's order: each group, then its parents depth first, then the next group."""
    chain: list[str] = []
    for name in names:
        if name in seen:
            raise InputError([Problem(f"group loop: {' -> '.join([*seen, name])}",
                                      field="groups")])
        if name not in chain:
            chain.append(name)
        for parent in _group_chain((groups.get(name) or {}).get("groups") or [], groups,
                                   (*seen, name)):
            if parent not in chain:
                chain.append(parent)
    return chain


def _nornir_inventory(raw: dict[str, dict]):
    """Nornir's own inventory objects, so group inheritance (`extended_groups()`) is exactly what
    Nornir users know. Built from the files as already read: SimpleInventory would parse them
    again with pure-Python ruamel.yaml (~0.3 s for 200 hosts)."""
    from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, ParentGroups
    from nornir.core.inventory import Inventory as NornirInventory

    defaults = Defaults()
    groups = Groups({name: Group(name=name, defaults=defaults) for name in raw["groups"]})
    for name, group in groups.items():
        group.groups = ParentGroups([groups[parent] for parent in (raw["groups"][name] or {}).get("groups") or []])
    hosts = Hosts({name: Host(name=name, defaults=defaults, groups=ParentGroups(
        [groups[g] for g in (entry or {}).get("groups") or []])) for name, entry in raw["hosts"].items()})
    return NornirInventory(hosts=hosts, groups=groups, defaults=defaults)


def _resolve_host(name: str, chain: list[str], raw: dict[str, dict], files: dict[str, Path]
                  ) -> tuple[HostSettings, dict]:
    host = raw["hosts"][name] or {}
    groups = raw["groups"]
    layers = [("defaults", raw["defaults"])] + [(f"group {g}", groups[g] or {}) for g in reversed(chain)] \
        + [("host", host)]

    def first(key):
        for _, layer in reversed(layers):
            if layer.get(key) is not None:
                return layer[key]
        return None

    data: dict = {}
    for label, layer in layers:
        layer_data = layer.get("data") or {}
        if not isinstance(layer_data, dict):
            raise InputError([Problem("data must be a mapping", file=str(_file_of(label, files)),
                                      host=name)])
        for key, value in layer_data.items():
            if key in OAMKIT_KEYS and isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = _merge_yaml(data[key], value)
            else:
                data[key] = value
    platform = first("platform")
    problems = []
    if platform is None:
        problems.append(Problem("no platform (set it on the host, a group or defaults)",
                                file=str(files["hosts"]), host=name, field="platform"))
    else:
        try:
            platform = get_platform(platform).name
        except KeyError:
            problems.append(Problem("unknown platform", file=str(_origin("platform", layers, files)),
                                    host=name, field="platform", value=platform,
                                    allowed=", ".join(platform_names())))
    address = first("hostname")
    if address is not None and textcheck.address_problem(address):
        # not the host's name instead (an empty hostname did that, and looked it up in DNS)
        problems.append(Problem(textcheck.address_problem(address), file=str(_origin("hostname", layers, files)),
                                host=name, field="hostname", value=address))
    if problems:
        raise InputError(problems)
    candidate = {
        "name": name, "hostname": name if address is None else address, "port": first("port"),
        "platform": platform, "username": first("username"), "groups": chain,
        **{k: data[k] for k in OAMKIT_KEYS if k in data},
        "data": data,
    }
    if "maintenance" in data:
        candidate["maintenance_file"] = str(_origin_data("maintenance", layers, files))
    try:
        settings = HostSettings.model_validate(candidate)
    except ValidationError as exc:
        found = problems_from_validation(exc, host=name)
        raise InputError([Problem(p.message, file=str(_origin_data(p.field, layers, files)),
                                  host=name, field=p.field, value=p.value) for p in found]) from None
    if settings.transport not in get_platform(platform).transports:
        raise InputError([Problem(f"{get_platform(platform).display} is driven over "
                                  f"{'/'.join(get_platform(platform).transports)} only",
                                  file=str(_origin_data('transport', layers, files)), host=name,
                                  field="transport", value=settings.transport)])
    return settings, data


def _copy_yaml(value):
    """A copy of YAML data (dicts, lists, immutable scalars): what copy.deepcopy gives, without
    its memo, several times faster (10,000 hosts merge their layers here)."""
    if isinstance(value, dict):
        return {k: _copy_yaml(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_yaml(v) for v in value]
    return value


def _merge_yaml(base: dict, override: dict) -> dict:
    """policy.deep_merge for YAML data: `override` merged into a copy of `base`."""
    merged = _copy_yaml(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_yaml(merged[key], value)
        else:
            merged[key] = _copy_yaml(value)
    return merged


def _file_of(label: str, files: dict[str, Path]) -> Path:
    if label == "host":
        return files["hosts"]
    if label.startswith("group"):
        return files["groups"]
    return files["defaults"]


def _origin(key: str, layers, files) -> Path:
    for label, layer in reversed(layers):
        if layer.get(key) is not None:
            return _file_of(label, files)
    return files["hosts"]


def _origin_data(dotted: str | None, layers, files) -> Path:
    """The most specific file whose data defines `dotted` (a.b.c), for error messages."""
    parts = (dotted or "").split(".")
    for label, layer in reversed(layers):
        node: Any = layer.get("data") or {}
        for part in parts:
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                node = None
                break
        if node is not None:
            return _file_of(label, files)
    return files["hosts"]


def _parse_filter(expression: str) -> tuple[str, str, str]:
    for op in ("!=", "="):
        if op in expression:
            key, value = expression.split(op, 1)
            if key.strip():
                return key.strip(), op, value.strip()
    raise InputError([Problem("a filter is KEY=VALUE or KEY!=VALUE (KEY may be a dotted path "
                              "into data, or 'group')", field="--filter", value=expression)])


def _matches(found, wanted: str) -> bool:
    if isinstance(found, (list, tuple, set)):
        return any(str(item) == wanted for item in found)
    if isinstance(found, bool):
        return str(found).lower() == wanted.lower()
    return found is not None and str(found) == wanted
