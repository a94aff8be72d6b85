"""A real third-party NETCONF server for tests: Debian's `netconfd` (yuma123) behind its own
OpenSSH `sshd`, loaded with Cisco's IOS-XR link-OAM YANG closure (`yang_fetch`).

netconfd speaks NETCONF only through `netconf-subsystem`, which sshd starts for the `netconf`
subsystem and which passes the session to netconfd over a UNIX socket. Everything runs from one
private temporary folder on a free 127.0.0.1 port, with its own host key, login key and
configuration: the system's sshd and ~/.ssh are never used. The sshd runs as root (it must, to
log a user in) and logs `root` in by key only; its ForceCommand serves the NETCONF subsystem and
nothing else, so the login key cannot open a shell.

    with Netconfd(yang_dir).start() as server:
        server.write_inventory(folder, interfaces=[...])
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import yaml

NETCONFD = "/usr/sbin/netconfd"
SUBSYSTEM = "/usr/sbin/netconf-subsystem"
SSHD = "/usr/sbin/sshd"
YUMA_MODULES = "/usr/share/yuma/modules"
XR_MODULE = "Cisco-IOS-XR-ethernet-link-oam-cfg.yang"
START_SECONDS = 20.0   # netconfd compiles the Cisco modules at start: ~1 s here
EMPTY_CONFIG = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n')


class NetconfdMissing(RuntimeError):
    """netconfd, netconf-subsystem or sshd is not installed (`scripts/install.sh --test`)."""


def missing_programs() -> list[str]:
    return [p for p in (NETCONFD, SUBSYSTEM, SSHD, shutil.which("ssh-keygen") or "ssh-keygen")
            if not os.access(p, os.X_OK)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, ready, proc: subprocess.Popen, log: Path) -> None:
    until = time.monotonic() + START_SECONDS
    while not ready():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): {log.read_text()[-2000:]}")
        if time.monotonic() > until:
            raise RuntimeError(f"{what} not ready after {START_SECONDS} s: {log.read_text()[-2000:]}")
        time.sleep(0.05)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


EOM = b"]]>]]>"


class HelloJoiner:
    """A relay on the UNIX socket between netconf-subsystem and netconfd that hands netconfd the
    client's <hello> and the client's first RPC in one write, hence one read: what happens by
    itself when the client sends its first RPC before netconfd has read its hello (about 1 run
    in 4 in the issue). netconfd 2.13 then answers the hello and leaves the RPC unread until more
    bytes arrive. Everything else passes through unchanged."""

    def __init__(self, listen: Path, upstream: Path):
        self.listen, self.upstream = listen, upstream
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(listen))
        self.server.listen(8)
        self.server.settimeout(0.5)
        self.joined = 0             # sessions whose hello went out with the next bytes
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            up.connect(str(self.upstream))
            threading.Thread(target=self._pump, args=(up, client, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, up, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        held = b""
        joining = from_client   # client side: ncx-connect, then hello + what follows, together
        try:
            while data := src.recv(65536):
                if not joining:
                    dst.sendall(data)
                    continue
                held += data
                if held.count(EOM) >= 1 and b"<ncx-connect" in held and not held.startswith(b"*"):
                    head, _, held = held.partition(EOM)
                    dst.sendall(head + EOM)
                    held = b"*" + held          # marks: ncx-connect is through
                body = held[1:] if held.startswith(b"*") else b""
                if EOM in body and body.split(EOM, 1)[1].strip():
                    dst.sendall(body)
                    self.joined += 1
                    joining = False
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()
        self.server.close()


class Netconfd:
    def __init__(self, yang_dir: Path, extra_args: tuple[str, ...] = (), join_hello: bool = False,
                 host_key_types: tuple[str, ...] = ("ed25519",)):
        """`host_key_types`: sshd's host keys (ssh-keygen -t); the first is the one
        `known_hosts_line` records."""
        self.yang_dir = Path(yang_dir)
        self.host_key_types = host_key_types
        self.extra_args = extra_args
        self.joiner: HelloJoiner | None = None
        self.join_hello = join_hello
        self.port = 0
        # short: a UNIX socket path must fit in 108 bytes, pytest's tmp_path may not
        self.folder = Path(tempfile.mkdtemp(prefix="oamkit-netconfd-"))
        self.user_key = self.folder / "login_key"
        self.host_key = self.folder / "host_key"
        self._procs: list[subprocess.Popen] = []

    # ------------------------------------------------------------------ life cycle
    def start(self) -> "Netconfd":
        if missing_programs():
            raise NetconfdMissing("not installed: " + ", ".join(missing_programs()))
        if not (self.yang_dir / XR_MODULE).is_file():
            raise NetconfdMissing(f"Cisco YANG modules not in {self.yang_dir} (python -m oamkit.lab.yang_fetch)")
        try:
            self._start_netconfd()
            self._start_sshd()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_netconfd(self) -> None:
        self.port = _free_port()
        sock = self.folder / "ncx.sock"
        (self.folder / "startup.xml").write_text(EMPTY_CONFIG)
        log = self.folder / "netconfd.log"
        log.touch()
        # --port: netconfd refuses (access denied) sessions netconf-subsystem says came in on
        # another port. HOME: it keeps its transaction id file under $HOME/.yuma.
        cmd = [NETCONFD, f"--port={self.port}", f"--ncxserver-sockname={sock}",
               f"--modpath={self.yang_dir}:{YUMA_MODULES}", f"--module={self.yang_dir / XR_MODULE}",
               "--target=candidate", f"--startup={self.folder / 'startup.xml'}",
               "--access-control=off", f"--log={log}", "--log-level=info", *self.extra_args]
        self._procs.append(subprocess.Popen(
            cmd, cwd=self.folder, env={**os.environ, "HOME": str(self.folder)},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait("netconfd", sock.exists, self._procs[-1], log)
        if self.join_hello:
            self.joiner = HelloJoiner(self.folder / "joined.sock", sock)

    def _start_sshd(self) -> None:
        host_keys = [self.host_key] + [self.folder / f"host_key_{kind}" for kind in self.host_key_types[1:]]
        for key, kind in (*zip(host_keys, self.host_key_types), (self.user_key, "ed25519")):
            subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(key)],
                           check=True, timeout=30, capture_output=True)
        (self.folder / "authorized_keys").write_text(self.user_key.with_suffix(".pub").read_text())
        sock = self.joiner.listen if self.joiner else self.folder / "ncx.sock"
        subsystem = f"{SUBSYSTEM} --ncxserver-sockname={self.port}@{sock}"
        only_netconf = self.folder / "only_netconf.sh"
        # sshd sets SSH_ORIGINAL_COMMAND to the subsystem's command line for a subsystem request
        only_netconf.write_text(
            "#!/bin/sh\n"
            f'[ "$SSH_ORIGINAL_COMMAND" = "{subsystem}" ] && exec {subsystem}\n'
            'echo "this sshd serves the NETCONF subsystem only" >&2\nexit 1\n')
        only_netconf.chmod(0o700)
        config = self.folder / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", *(f"HostKey {key}" for key in host_keys),
            f"PidFile {self.folder / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.folder / 'authorized_keys'}", "StrictModes no",
            "PermitRootLogin prohibit-password", "AllowUsers root", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "DisableForwarding yes",
            "PermitTTY no", f'Subsystem netconf {subsystem}', f"ForceCommand {only_netconf}", ""]))
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)   # sshd's privilege separation folder
        log = self.folder / "sshd.log"
        log.touch()
        self._procs.append(subprocess.Popen(
            [SSHD, "-D", "-f", str(config), "-E", str(log)], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait("sshd", lambda: _listening(self.port), self._procs[-1], log)

    def stop(self) -> None:
        if self.joiner:
            self.joiner.stop()
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        self._procs.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "Netconfd":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def running(self) -> bool:
        return bool(self._procs) and all(p.poll() is None for p in self._procs)

    # ------------------------------------------------------------------ clients
    def known_hosts_line(self) -> str:
        kind, key = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {key}\n"

    def connect(self, timeout: float = 10.0, settle: bool = True):
        """A plain ncclient session (for tests to set up and inspect the server). Through the
        HelloJoiner its first RPC would wait for more bytes: with `settle`, a throwaway
        get-config goes first (its reply is never waited for), so the caller's RPCs are not."""
        from ncclient import manager

        m = manager.connect(host="127.0.0.1", port=self.port, username="root",
                            key_filename=str(self.user_key), hostkey_verify=False,
                            allow_agent=False, look_for_keys=False, timeout=timeout)
        if self.joiner and settle:
            m.async_mode = True
            m.get_config(source="running")
            m.async_mode = False
        return m

    def write_inventory(self, folder: Path, interfaces: list[str], policy: str = "lab-xr",
                        netconf: dict | None = None, policies: Path | None = None) -> Path:
        """An inventory folder with one host, `xr-real`, driven over NETCONF with the login key."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "known_hosts").write_text(self.known_hosts_line())
        key = folder / "login_key"
        shutil.copyfile(self.user_key, key)
        key.chmod(0o600)
        host = {"hostname": "127.0.0.1", "port": self.port, "platform": "cisco_xr",
                "username": "root",
                "data": {"transport": "netconf", "netconf": {"timeout": 30, **(netconf or {})},
                         "credentials": {"ssh_key_file": "login_key"},
                         "ssh": {"known_hosts": "known_hosts"},
                         "oam": {"policy": policy, "speed": "1G",
                                 "interfaces": {name: {} for name in interfaces}}}}
        (folder / "hosts.yaml").write_text(yaml.safe_dump({"xr-real": host}, sort_keys=False))
        if policies is not None:
            shutil.copytree(policies, folder / "policies", dirs_exist_ok=True)
        return folder
