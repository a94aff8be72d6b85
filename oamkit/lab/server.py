"""The lab server: one asyncio loop serving N emulated devices on 127.0.0.1, one SSH port each.

In-process use (tests)::

    lab = Lab(devices=4, time_scale=0.01).start()      # port 0: the OS picks free ports
    lab.devices["ios-1"].faults.reject_commands.append(r"^show version")
    lab.netmiko_params("ios-1")                          # kwargs for netmiko.ConnectHandler
    lab.stop()

SSH subsystems: ``netconf`` is routed to ``oamkit.lab.netconf.serve(process, device, lab)``
(imported lazily); add others with ``register_subsystem``.
"""
from __future__ import annotations

import asyncio
import datetime
import importlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import asyncssh

from oamkit import units
from oamkit.errors import InputError, Problem
from oamkit.lab.cli import serve_cli
from oamkit.lab.device import PLATFORMS, Device, Faults, layout_for
from oamkit.lab import ssh_profiles
from oamkit.lab.events import MONITORS
from oamkit.lab.vendors import VALIDATORS

HOST = "127.0.0.1"  # network safety: the lab never listens anywhere else
PASSWORD_ENV = "OAMKIT_LAB_PASSWORD"
# Every session that crashed in a lab of this process (device: traceback). asyncssh closes the
# connection of a handler that raised and logs it at debug level only: a bug of the lab would
# pass for a device that dropped the session. Tests fail on any entry (tests/conftest.py).
CRASHES: list[str] = []
_log = logging.getLogger("oamkit.lab")
SHORT = {"cisco_ios": "ios", "cisco_xr": "xr", "juniper_junos": "junos", "huawei_vrp": "vrp"}


def fleet(devices: int, platforms: list[str] | tuple[str, ...] = PLATFORMS) -> list[tuple[str, str, int]]:
    """The devices of a lab started with a count: (name, platform, number of the device within
    its platform from 0), the platforms in turn: ios-1, xr-1, junos-1, vrp-1, ios-2, ..."""
    counters: dict[str, int] = {}
    out = []
    for i in range(devices):
        plat = platforms[i % len(platforms)]
        counters[plat] = counters.get(plat, 0) + 1
        out.append((f"{SHORT[plat]}-{counters[plat]}", plat, counters[plat] - 1))
    return out


NETMIKO_TYPES = {"cisco_ios": "cisco_ios", "cisco_xr": "cisco_xr", "juniper_junos": "juniper_junos",
                 "huawei_vrp": "huawei_vrpv8"}
GROUP_POLICY = {"cisco_ios": "lab-ios", "cisco_xr": "lab-xr", "juniper_junos": "lab-junos",
                "huawei_vrp": "lab-huawei"}


def set_ssh_driver(inventory: str | Path, driver: str) -> None:
    """Point every host of a written lab inventory at an SSH driver (`data.ssh.driver` in its
    defaults): tests and benchmarks run the same lab on netmiko and on asyncssh."""
    import yaml

    defaults_file = Path(inventory) / "defaults.yaml"
    defaults = yaml.safe_load(defaults_file.read_text())
    defaults.setdefault("data", {}).setdefault("ssh", {})["driver"] = driver
    defaults_file.write_text(yaml.safe_dump(defaults, sort_keys=False))

class _DropClosedSocketNoise(logging.Filter):
    """asyncio warns once per write after a client vanished mid-output; real devices shrug."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "socket.send() raised exception" not in record.getMessage()


logging.getLogger("asyncio").addFilter(_DropClosedSocketNoise())

SUBSYSTEMS: dict[str, str] = {"netconf": "oamkit.lab.netconf:serve"}


def register_subsystem(name: str, target: str) -> None:
    """Route SSH subsystem ``name`` to ``"module:function"`` (called as fn(process, device, lab))."""
    SUBSYSTEMS[name] = target


class _DeviceServer(asyncssh.SSHServer):
    def __init__(self, lab: "Lab", device: Device) -> None:
        self.lab = lab
        self.device = device
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    def begin_auth(self, username: str) -> bool:
        banner = self.device.faults.banner
        if banner and self.conn is not None:
            self.conn.send_auth_banner(banner.rstrip("\n") + "\n")
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        ok = (not self.device.faults.refuse_auth and username == self.lab.username
              # bytes: compare_digest refuses str with non-ASCII letters (TypeError: a device
              # takes `pä55` as any password)
              and secrets.compare_digest(password.encode(), self.lab.password.encode()))
        self.device.record(0, "cli", "event", f"auth {'ok' if ok else 'failed'} user={username}")
        return ok


class Lab:
    """N emulated devices in one asyncio loop. ``start()`` runs the loop in a background thread;
    ``serve_forever()`` runs it in the foreground (``oamkit lab up``)."""

    def __init__(self, devices: int | list[tuple[str, str]] | list[tuple[str, str, str]] = 4, *,
                 platforms: list[str] | tuple[str, ...] = PLATFORMS, base_port: int = 0,
                 password: str | None = None, username: str = "admin", time_scale: float = 1.0,
                 faults: dict[str, dict] | None = None, ios_start_privileged: bool | None = None,
                 enable_secret: str | None = None) -> None:
        for p in platforms:
            if p not in PLATFORMS:
                raise ValueError(f"unknown platform {p!r}; choose from {', '.join(PLATFORMS)}")
        self.username = username
        self.password = password or os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(12)
        self.enable_secret = enable_secret or self.password
        self.time_scale = time_scale
        # as on a router with `enable secret` and no privilege 15 for the account: an IOS
        # session given an enable secret starts in user EXEC (`ios-1>`) and must `enable`
        self.ios_start_privileged = (enable_secret is None if ios_start_privileged is None
                                     else ios_start_privileged)
        self.base_port = base_port
        if isinstance(devices, int):
            # a fleet (`oamkit lab up`): a platform's devices print its real layouts in turn
            # (device.LAYOUTS), the first of each platform the default one
            specs: list[tuple] = [(name, plat, layout_for(plat, number))
                                  for name, plat, number in fleet(devices, platforms)]
        else:
            # named devices: (name, platform) prints the default layout, (name, platform, layout) that one
            specs = list(devices)
        faults = faults or {}
        self.devices: dict[str, Device] = {}
        for name, plat, *layout in specs:
            dev = Device(name, plat, faults=Faults.from_dict(faults.get(name)), time_scale=time_scale,
                         secrets=(self.password, self.enable_secret), username=username,
                         layout=layout[0] if layout else None)
            dev.validator = VALIDATORS.get(plat)
            dev.monitors.extend(MONITORS)
            self.devices[name] = dev
        self.ports: dict[str, int] = {}
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self._profile_keys: dict[str, asyncssh.SSHKey] = {"ssh-ed25519": self.host_key}
        self.device_keys: dict[str, asyncssh.SSHKey] = {}   # device -> its host key
        # device -> (interfaces with injected errors, with a peer state) its last fault spec set
        self._spec_set: dict[str, tuple[set[str], set[str]]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._servers: list[asyncssh.SSHAcceptor] = []
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None
        self.started_at: float | None = None

    # ------------------------------------------------------------------ serving
    def _process_factory(self, device: Device):
        async def handle(process: asyncssh.SSHServerProcess) -> None:
            try:
                subsystem = process.subsystem
                if subsystem:
                    await self._serve_subsystem(subsystem, process, device)
                    return
                await serve_cli(process, device, self)
            except (asyncssh.Error, ConnectionError):
                raise   # the client went away (ConnectionLost, a reset): no bug of the lab
            except Exception as exc:
                report = f"{device.name}: {''.join(traceback.format_exc())}"
                CRASHES.append(report)
                device.record(0, "netconf" if process.subsystem else "cli", "event",
                              f"lab crashed: {type(exc).__name__}: {exc}")
                _log.error("lab session crashed on %s", report)
                raise   # asyncssh closes the connection, as a device's crashed process would
        return handle

    async def _serve_subsystem(self, name: str, process: asyncssh.SSHServerProcess, device: Device) -> None:
        target = SUBSYSTEMS.get(name)
        fn = None
        if target:
            module, _, func = target.partition(":")
            try:
                fn = getattr(importlib.import_module(module), func)
            except (ImportError, AttributeError) as exc:
                process.stderr.write(f"oamkit lab: subsystem {name!r} is not available ({exc})\n")
        else:
            process.stderr.write(f"oamkit lab: unknown subsystem {name!r}\n")
        if fn is None:
            device.record(0, "netconf" if name == "netconf" else "cli", "event", f"subsystem {name} unavailable")
            process.exit(1)
            return
        await fn(process, device, self)

    async def start_async(self) -> "Lab":
        self.loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        for i, (name, dev) in enumerate(self.devices.items()):
            dev.loop = self.loop
            port = self.base_port + i if self.base_port else 0
            try:
                server = await self._listen(dev, port)
            except OSError as exc:
                # asyncio's message names an address tuple deep in a traceback: say which port
                # and which option, and let go of the ports already taken
                await self.stop_async()
                raise InputError([Problem(f"cannot listen on 127.0.0.1 port {port} for {name}: "
                                          f"{os.strerror(exc.errno) if exc.errno else exc}", field="--base-port",
                                          value=str(self.base_port))]) from None
            self._servers.append(server)
            self.ports[name] = server.sockets[0].getsockname()[1]
        self.started_at = time.time()
        return self

    async def _listen(self, dev, port: int):
        return await asyncssh.create_server(
                lambda d=dev: _DeviceServer(self, d), HOST, port,
                process_factory=self._process_factory(dev),
                encoding="utf-8", line_editor=False, keepalive_interval=0,
                login_timeout=30, reuse_address=True,
                gss_host=None,   # no Kerberos here; the default looks up this host's FQDN per connection
                **self._ssh_options(dev))

    def _ssh_options(self, dev) -> dict:
        """Host key and algorithms: asyncssh's defaults, or the device's SSH profile (what a
        real device offers, `ssh_profiles`)."""
        profile = ssh_profiles.resolve(dev.faults.ssh_algorithms)
        if profile is None:
            self.device_keys[dev.name] = self.host_key
            return dict(server_host_keys=[self.host_key])
        kinds = profile.get("host_key", "ssh-ed25519")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        for kind in kinds:
            if kind not in self._profile_keys:   # one key per type for the whole lab
                self._profile_keys[kind] = asyncssh.generate_private_key(kind)
        # the first is the key on record (known_hosts); a device with several keys (one made
        # by a later release) shows whichever the client asks for first
        self.device_keys[dev.name] = self._profile_keys[kinds[0]]
        pairs = asyncssh.load_keypairs([self._profile_keys[kind] for kind in kinds])
        if "host_key_algs" in profile:   # e.g. an RSA key signed with ssh-rsa (SHA-1) only
            pairs[0].host_key_algorithms = tuple(a.encode() for a in profile["host_key_algs"])
        options = {name: profile[name] for name in ("kex_algs", "encryption_algs", "mac_algs",
                                                    "server_version") if name in profile}
        return dict(server_host_keys=pairs, **options)

    async def stop_async(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 2)
            except (asyncio.TimeoutError, Exception):
                pass
        self._servers.clear()
        if self._stopped is not None:
            self._stopped.set()

    async def serve_forever(self) -> None:
        if not self._servers:
            await self.start_async()
        assert self._stopped is not None
        await self._stopped.wait()

    def start(self, timeout: float = 10.0) -> "Lab":
        """Run the lab in a daemon thread; returns once every port listens."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self.loop = loop
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # surfaced to the caller below
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_until_complete(self._stopped.wait())  # type: ignore[union-attr]
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="oamkit-lab", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("lab did not start in time")
        if errors:
            raise errors[0]
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self.loop is None or self._thread is None:
            return
        if self.loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self.stop_async(), self.loop)
            try:
                fut.result(timeout)
            except Exception:
                pass
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> "Lab":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, fn, *args, **kwargs) -> Any:
        """Run ``fn`` on the lab loop (thread-safe state changes from tests) and return its result."""
        if self.loop is None or not self.loop.is_running():
            return fn(*args, **kwargs)
        fut: "asyncio.Future" = asyncio.run_coroutine_threadsafe(_as_coro(fn, *args, **kwargs), self.loop)
        return fut.result(10)

    # ------------------------------------------------------------------ helpers for clients
    def device(self, name: str) -> Device:
        return self.devices[name]

    def by_platform(self, platform: str) -> list[Device]:
        return [d for d in self.devices.values() if d.platform == platform]

    def known_hosts_lines(self) -> list[str]:
        lines = []
        for name, port in self.ports.items():
            key = self.device_keys.get(name, self.host_key)
            algo, b64 = key.export_public_key("openssh").decode().split()[:2]
            lines.append(f"[{HOST}]:{port} {algo} {b64}")
        return lines

    def write_known_hosts(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text("\n".join(self.known_hosts_lines()) + "\n")
        return path

    def netmiko_params(self, name: str, known_hosts: str | Path | None = None, **extra: Any) -> dict:
        """Keyword arguments for ``netmiko.ConnectHandler`` with host-key checking on."""
        dev = self.devices[name]
        params: dict[str, Any] = dict(device_type=NETMIKO_TYPES[dev.platform], host=HOST,
                                      port=self.ports[name], username=self.username,
                                      password=self.password, conn_timeout=10, auth_timeout=10,
                                      banner_timeout=10, read_timeout_override=None)
        params.pop("read_timeout_override")
        if known_hosts is not None:
            params.update(ssh_strict=True, system_host_keys=False, alt_host_keys=True,
                          alt_key_file=str(known_hosts))
        else:
            params.update(ssh_strict=False, system_host_keys=False)
        params.update(extra)
        return params

    # ------------------------------------------------------------------ faults at run time
    def inject_errors(self, name: str, interface: str, **kw: Any) -> None:
        self.call(self.devices[name].inject_errors, interface, **kw)

    def clear_counters(self, name: str, interface: str | None = None) -> None:
        self.call(self.devices[name].clear_counters, interface)

    def set_peer_state(self, name: str, interface: str, state: str, **kw: Any) -> None:
        self.call(self.devices[name].set_peer_state, interface, state, **kw)

    def set_faults(self, name: str, **changes: Any) -> Faults:
        faults = self.devices[name].faults
        for k, v in changes.items():
            if not hasattr(faults, k):
                raise AttributeError(f"unknown fault {k!r}")
            setattr(faults, k, v)
        return faults

    def apply_fault_spec(self, spec: dict) -> None:
        """Apply ``{device: {fault: value, ...}}`` (the ``--faults`` file / ``oamkit lab fault``).
        Besides the ``Faults`` fields, a device entry may hold ``inject_errors: {iface:
        crc_per_second}`` and ``peer_state: {iface: state}``. Fields not named are reset."""
        for name, entry in (spec or {}).items():
            if name not in self.devices:
                raise KeyError(f"unknown device {name!r}")
            entry = dict(entry or {})
            errors = entry.pop("inject_errors", {}) or {}
            peers = entry.pop("peer_state", {}) or {}
            dev = self.devices[name]
            fresh = Faults.from_dict(entry)
            for f in Faults.__dataclass_fields__:
                setattr(dev.faults, f, getattr(fresh, f))
            # what an earlier spec started and this one no longer names stops too (`lab fault
            # --clear` left injected errors growing and peers down)
            had_errors, had_peers = self._spec_set.get(name, (set(), set()))
            for iface in had_errors - set(errors):
                dev.inject_errors(iface)
            for iface in had_peers - set(peers):
                dev.set_peer_state(iface, "operational")
            for iface, rate in errors.items():
                dev.inject_errors(iface, crc_per_second=float(rate))
            for iface, state in peers.items():
                dev.set_peer_state(iface, state)
            self._spec_set[name] = (set(errors), set(peers))

    async def watch_fault_file(self, path: Path, interval: float = 0.25) -> None:
        """Re-apply ``path`` whenever it changes (how a detached lab takes faults at run time)."""
        seen = None
        while True:
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                mtime = None
            if mtime is not None and mtime != seen:
                seen = mtime
                try:
                    self.apply_fault_spec(json.loads(path.read_text()))
                except (ValueError, KeyError, TypeError) as exc:
                    logging.getLogger("oamkit.lab").warning("ignoring %s: %s", path, exc)
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ inventory
    def write_inventory(self, folder: str | Path, *, policies_from: str | Path | None = None,
                        ssh_driver: str | None = None) -> Path:
        """Write the inventory of CONVENTIONS.md (hosts/groups/defaults/known_hosts/.lab-password)."""
        import yaml

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        hosts: dict[str, Any] = {}
        for name, dev in self.devices.items():
            oam_ifs = list(dev.interfaces)[:2]
            # ports of another speed than the defaults' 1G (a 100G `et-` layout) say theirs
            speeds = {i: dev.interfaces[i].speed_bps for i in oam_ifs}
            hosts[name] = {"hostname": HOST, "port": self.ports[name], "platform": dev.platform,
                           "groups": ["lab", dev.platform],
                           "data": {"transport": "ssh", "oam": {"interfaces": {
                               i: ({"speed": units.format_speed(bps)} if bps != 1_000_000_000 else {})
                               for i, bps in speeds.items()}}}}
        groups: dict[str, Any] = {"lab": {"data": {"lab": True}}}
        for plat in PLATFORMS:
            groups[plat] = {"platform": plat, "data": {"oam": {"policy": GROUP_POLICY[plat]}}}
        if not self.ios_start_privileged:
            _write_secret(folder / ".lab-enable-secret", self.enable_secret)
            groups["cisco_ios"]["data"]["credentials"] = {"enable_secret_file": ".lab-enable-secret"}
        defaults = {"username": self.username,
                    "data": {"credentials": {"password_env": PASSWORD_ENV, "password_file": ".lab-password"},
                             "ssh": {"known_hosts": "known_hosts", **({"driver": ssh_driver} if ssh_driver else {})},
                             "oam": {"policy": "lab-standard", "speed": "1G"}}}
        (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
        (folder / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
        (folder / "defaults.yaml").write_text(yaml.safe_dump(defaults, sort_keys=False))
        self.write_known_hosts(folder / "known_hosts")
        _write_secret(folder / ".lab-password", self.password)
        src = Path(policies_from) if policies_from else \
            Path(__file__).resolve().parents[2] / "inventories" / "example" / "policies"
        if src.is_dir():
            shutil.copytree(src, folder / "policies", dirs_exist_ok=True)
        else:
            (folder / "policies").mkdir(exist_ok=True)
        return folder

    def describe(self) -> dict:
        started_iso = None if self.started_at is None else datetime.datetime.fromtimestamp(
            self.started_at).astimezone().isoformat(timespec="milliseconds")
        return {"host": HOST, "pid": os.getpid(), "started_at": self.started_at,
                "started_at_iso": started_iso,   # ISO 8601 twin of the epoch float
                "time_scale": self.time_scale,
                "devices": [{"name": n, "platform": d.platform, "layout": d.layout, "port": self.ports.get(n)}
                            for n, d in self.devices.items()]}


async def _as_coro(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def load_state(state_dir: str | Path) -> dict | None:
    path = Path(state_dir) / "lab.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _write_secret(file: Path, secret: str) -> None:
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)   # no planted link
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    os.chmod(file, 0o600)
