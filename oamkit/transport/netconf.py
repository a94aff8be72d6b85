"""NETCONF transport on ncclient: candidate + confirmed commit, with locks and deadlines.

The SSH session under NETCONF is set up by `PromptSSHSession.connect`, not ncclient's: ncclient
makes a plain paramiko Transport and has no way to pass algorithms, so its sessions took CBC
ciphers and MD5 MACs that the CLI drivers refuse by default. Here the transport is
`paramiko_keys.OamkitTransport` with the host's `ssh.legacy_algorithms` (AES-GCM first, as on
the CLI), every step has the host's timeout and the subsystem request its deadline (ncclient's
handshake had no timeout; paramiko's subsystem request has none: `watchdog`), and the device's
host key is checked by oamkit's `hostkeys.HostKeyPolicy` before the password is sent: a changed
key is refused, a new one recorded where the inventory accepts new keys (trust on first use).
The types of the keys recorded for the host are offered first, as OpenSSH does, so a device
with several keys shows the one on record.

Speed: ncclient hands each RPC to its session thread through a queue that the thread only
looks at between waits of up to 0.1 s on the channel (its TICK): about 100 ms per RPC whatever
the device, ~1 s for a push's ten RPCs. `PromptSSHSession` writes each RPC from the calling
thread instead; replies still arrive through ncclient's session thread and listeners.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from lxml import etree
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport import SSHSession as NcclientSSHSession
from ncclient.transport import TransportError as NcclientTransportError
from ncclient.transport.errors import SSHError
from ncclient.transport.session import END_DELIM, MSG_DELIM, NetconfBase, SessionListener

from oamkit.inventory import HostSettings, Inventory
from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused, host_key_policy, known_name
from oamkit.transport import algorithms, paramiko_keys, sessionlog, watchdog
from oamkit.transport.base import DeviceRejected, TransportError, open_socket, scrub, stopped_reading
from oamkit.transport.jump import Tunnel, closed_during, open_tunnel

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
# Yuma's netconfd (yuma123 2.13, Debian bookworm) handles one message per read of its socket:
# when the client's <hello> and first RPC reach it in one read, it answers the hello and leaves
# the RPC unread until more bytes arrive (RFC 6242 lets a client send its first RPC right after
# its hello). Whether they arrive together is timing (about 1 session in 4 in issue #17; every
# time through `lab.netconfd.HelloJoiner`), and then nothing more comes: the RPC waited for the
# whole deadline. So on such a server, a first reply missing after NUDGE_AFTER seconds gets one
# harmless RPC sent after it (a get-config that selects nothing), whose bytes make netconfd read
# again and answer both. Servers recognised by their modules in the hello.
YUMA_SERVERS = ("http://yuma123.org/ns/", "http://netconfcentral.org/ns/yuma")
NUDGE_AFTER = 1.0
NUDGE_FILTER = '<filter type="subtree"><oamkit-nudge xmlns="urn:oamkit:nudge"/></filter>'


_LAST_WORD = 1.0   # s a <close-session> may still wait once the deadline has passed
# where Junos puts a `<command format="text">` answer: `<output>`, and for `show configuration`
# `<configuration-information><configuration-output>` (PyEZ's cli() and the Terraform Junos
# provider read it there)
_TEXT_REPLIES = ("output", "configuration-output")


class RpcRejected(DeviceRejected):
    """The device answered an RPC with <rpc-error>s (those of severity error; warnings alone
    are no failure). `tags`: their error-tags; `session_id`: the error-info's session-id (who
    holds a lock, RFC 6241 7.5), when the device named one."""

    def __init__(self, host: str, what: str, errors: list):
        self.tags = [(e.tag or "").strip() for e in errors]
        infos = [_error_info(e) for e in errors]
        self.session_id = next((i["session-id"] for i in infos if i.get("session-id")), None)
        super().__init__(host, what, "; ".join(_describe(e, i) for e, i in zip(errors, infos)))


def _error_info(error) -> dict[str, str]:
    """<error-info>'s children by local name (bad-element, session-id, ...)."""
    if not error.info:
        return {}
    try:
        root = etree.fromstring(error.info.encode() if isinstance(error.info, str) else error.info)
    except etree.XMLSyntaxError:
        return {}
    return {etree.QName(c).localname: (c.text or "").strip() for c in root
            if isinstance(c.tag, str)}


def _describe(error, info: dict[str, str]) -> str:
    """One rpc-error as a human reads it: tag, message, and where (error-path, bad-element)."""
    text = (error.tag or "error").strip()
    message = (error.message or "").strip()
    if message:
        text += f": {message}"
    where = [f"at {error.path.strip()}" if (error.path or "").strip() else "",
             *(f"{k} {v}" for k, v in info.items() if k in ("bad-element", "session-id") and v)]
    where = [w for w in where if w]
    return f"{text} ({', '.join(where)})" if where else text


def warnings_of(reply) -> list[str]:
    """The rpc-errors of severity warning in a reply that succeeded: notes, not failures."""
    if reply is None or reply.ok:
        return []
    return [_describe(e, _error_info(e)) for e in reply.errors
            if (e.severity or "").strip() == "warning"]


class LoginCutOff(Exception):
    """The host's deadline ended the session's opening; the text says at which step."""


class PromptSSHSession(NcclientSSHSession):
    """ncclient's SSH session, but `send` frames and writes the message at once from the
    caller's thread, where ncclient queues it for a session thread that notices the queue only
    every 0.1 s. paramiko lets one thread write a channel while another reads it; the lock
    keeps two writers' frames apart.

    Host keys come from `policy` for `names` (see the module's docstring), not ~/.ssh.
    With a session log (`sessionlog`), every message written and received goes into it as
    raw XML, the hellos included."""

    def __init__(self, device_handler, policy: HostKeyPolicy, names: list[str],
                 log: sessionlog.SessionLog | None = None):
        super().__init__(device_handler)
        self._write_lock = threading.Lock()
        self._policy, self._names = policy, names
        self.log = log
        if log is not None:
            self.add_listener(_LogReplies(log))

    def connect(self, host: str, sock, username: str, password: str | None, key_filename: str | None,
                timeout: float, deadline: float, legacy_algorithms: bool) -> None:
        """ncclient's `connect` for what oamkit does: the socket (or the jump host's channel)
        is open; the host key is the policy's to check; no ssh_config, agent or ~/.ssh keys;
        the NETCONF subsystem of the default device handler. ncclient's own steps for the rest
        (`_auth`, `_post_connect`: the hellos)."""
        self._host = host   # what ncclient's log lines name the session by
        # paramiko gives each step its own timeout, and waits for the answer to the subsystem
        # request with none: steps that each begin in time would together outlast the
        # deadline, which cuts the connection wherever the opening is then
        waiting_for = ["no SSH login"]
        if watchdog.cut_off(deadline, sock, lambda: self._open(sock, username, password, key_filename,
                                                               timeout, legacy_algorithms, waiting_for)):
            raise LoginCutOff(f"{waiting_for[0]} before the deadline")
        self.parser = self._device_handler.get_xml_parser(self)

    def _open(self, sock, username: str, password: str | None, key_filename: str | None,
              timeout: float, legacy_algorithms: bool, waiting_for: list[str]) -> None:
        import paramiko

        transport = self._transport = paramiko_keys.OamkitTransport(
            sock, recorded=self._policy.recorded(self._names)[1],
            disabled_algorithms=algorithms.paramiko_disabled(legacy_algorithms))
        transport.set_log_channel("ncclient.transport.ssh")
        # each step waits the host's timeout at most (paramiko's own: 15 s to 1 h)
        transport.banner_timeout = transport.handshake_timeout = transport.auth_timeout = timeout
        try:
            transport.start_client(timeout=timeout)
        except paramiko.SSHException as exc:
            raise SSHError(f"Negotiation failed: {exc}") from exc
        paramiko_keys.check(self._policy, self._names, transport.get_remote_server_key())
        self._auth(username, password, [key_filename] if key_filename else [], False, False)
        self._connected = True
        self._closing.clear()
        waiting_for[0] = "logged in, but the device did not answer the netconf subsystem request"
        self._channel = transport.open_session(timeout=timeout)
        self._channel_id = self._channel.get_id()
        self._channel.set_name(f"netconf-subsystem-{self._channel_id}")
        self._channel.invoke_subsystem("netconf")
        self._channel_name = self._channel.get_name()
        # `send` waits at most this long for the device to take what is written (paramiko's
        # channel default is for ever: a device that stops reading its window would hold the
        # worker); ncclient reads only what is ready, so its reader does not see this timeout
        self._channel.settimeout(timeout)
        waiting_for[0] = "logged in, but the device sent no NETCONF hello"
        self._post_connect(timeout)

    def send(self, message: str) -> None:
        if not self.connected:
            raise NcclientTransportError("Not connected to NETCONF server")
        data = message.encode()
        if self._base == NetconfBase.BASE_11:   # RFC 6242 chunked framing after a 1.1 hello
            data = b"\n#%d\n%s%s" % (len(data), data, END_DELIM)
        else:
            data += MSG_DELIM
        with self._write_lock:
            if self.log is not None:
                self.log.sent(message)
            try:
                self._channel.sendall(data)
            except socket.timeout:
                raise NcclientTransportError(
                    stopped_reading(self._channel.gettimeout(), "of the message")) from None


class _LogReplies(SessionListener):
    """Every message ncclient receives, as the device sent it, into the session log."""

    def __init__(self, log: sessionlog.SessionLog):
        self.log = log

    def callback(self, root, raw) -> None:
        self.log.received(raw if raw.endswith("\n") else raw + "\n")

    def errback(self, ex) -> None:
        self.log.note(f"transport error: {type(ex).__name__}: {ex}")


def _connect(rpc_timeout: float, policy: HostKeyPolicy, names: list[str],
             log: sessionlog.SessionLog | None = None, **connect_args) -> manager.Manager:
    """`manager.connect_ssh` with `PromptSSHSession` and the default device handler."""
    handler = manager.make_device_handler(None)
    session = PromptSSHSession(handler, policy, names, log)
    try:
        session.connect(**connect_args)
    except Exception:
        if session.transport:
            session.close()
        raise
    return manager.Manager(session, handler, timeout=rpc_timeout)


def _algorithms_reason(exc: BaseException, host: HostSettings, port: int, timeout: float,
                       deadline: float) -> str | None:
    """When the SSH handshake found nothing in common with the device: what it offers (asked
    again when the device only closed the connection: ncclient's transport is plain paramiko)."""
    from oamkit.transport.paramiko_keys import probe_mismatch
    from oamkit.transport.ssh import algorithm_mismatch, handshake_dropped

    if host.ssh.jump is not None or not handshake_dropped(exc):
        return None
    legacy, left = host.ssh.legacy_algorithms, deadline - time.monotonic()   # asked within it
    mismatch = algorithm_mismatch(exc) or left > 0 and probe_mismatch(
        host.hostname, port, min(5.0, timeout, left), algorithms.paramiko_disabled(legacy))
    return algorithms.no_common(*mismatch, "netconf", legacy) if mismatch else None


class NetconfShow:
    """A NETCONF session read as `check`, `collect` and `facts` read an `SshSession`:
    `show(command)` is the command's CLI text, run over `<command format="text">` (platforms
    whose `NetconfModel.command_rpc` says the device takes it: Junos). A command the device
    refuses comes back as `error: ...` lines, the way its CLI prints a refusal, so the readers
    treat it alike (reported as refused, never parsed as output); a session that fails or
    times out raises TransportError, as over SSH."""

    def __init__(self, session: "NetconfSession"):
        self.session = session
        self.host = session.host

    @classmethod
    def open(cls, inventory: Inventory, host: HostSettings, deadline: float) -> "NetconfShow":
        return cls(NetconfSession.open(inventory, host, deadline))

    def show(self, command: str) -> str:
        try:
            text = self.session.command_text(command)
        except RpcRejected as exc:
            return "\n".join(f"error: {part}" for part in exc.output.split("; "))
        if text is None:   # not "no output": nothing to tell an empty answer from a lost one
            return (f"error: the device's reply to {command!r} held no text (neither <output> nor "
                    "<configuration-output>)")
        return text

    def close(self) -> None:
        self.session.close()


@dataclass
class NetconfSession:
    host: HostSettings
    mgr: object
    secret: str | None
    deadline: float
    tunnel: Tunnel | None = None   # the jump host's connection, closed with the session
    nudge_first: bool = False   # see YUMA_SERVERS
    # rpc-errors of severity warning in replies that succeeded (Junos: a commit with warnings
    # and <commit-success/>): notes for a human, not failures
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, inventory: Inventory, host: HostSettings, deadline: float) -> "NetconfSession":
        port = host.netconf.port or host.port or 830
        secret = inventory.password(host)
        sessionlog.add_secret(secret)   # before any library can log a line holding it (--debug)
        policy = host_key_policy(inventory.resolve_path(host.ssh.known_hosts), host.ssh.accept_new_host_keys)
        # OpenSSH's name for the host first (where a new key goes); the bare host name too (a
        # key scanned on port 22 is usually the NETCONF port's, and ncclient looked it up so)
        names = [known_name(host.hostname, port), host.hostname]
        timeout = min(host.netconf.timeout, max(1.0, deadline - time.monotonic()))
        key_file = inventory.resolve_path(host.credentials.ssh_key_file)
        tunnel = None
        if host.ssh.jump is not None:   # the bastion's channel to the device is the socket
            # the bastion is an SSH host: its steps wait ssh.timeout at most
            tunnel = open_tunnel(host, policy, inventory.resolve_path(host.ssh.jump_key_file),
                                 port, min(timeout, host.ssh.timeout), deadline)
            sock = tunnel.channel
        else:
            sock = open_socket(host.name, host.hostname, port, timeout)
        log = sessionlog.open_log(host.name, "netconf", f"{host.username}@{host.hostname}:{port}",
                                  secrets=(secret,))
        try:
            mgr = _connect(timeout, policy, names, log, host=host.hostname, sock=sock,
                           username=host.username, password=secret,
                           key_filename=str(key_file) if key_file else None,
                           timeout=timeout, deadline=deadline,
                           legacy_algorithms=host.ssh.legacy_algorithms)
        except Exception as exc:
            sock.close()
            if tunnel is not None:
                tunnel.close()
            if isinstance(exc, HostKeyRefused):
                if log is not None:
                    log.close("host key refused")
                raise TransportError(f"{host.name}: cannot connect to {host.hostname}:{port}: "
                                     f"{scrub(str(exc), secret)}") from None
            if log is not None:
                log.close(f"login failed: {type(exc).__name__}")
            reason = str(exc) if isinstance(exc, LoginCutOff) else \
                _algorithms_reason(exc, host, port, timeout, deadline) or \
                f"{type(exc).__name__}: {scrub(str(exc), secret)}"
            raise TransportError(f"{host.name}: NETCONF to {host.hostname}:{port} failed: {reason}") from None
        session = cls(host, mgr, secret, deadline, tunnel)
        session.nudge_first = any(c.startswith(YUMA_SERVERS) for c in session.capabilities)
        return session

    def _call(self, what: str, fn, *args, **kwargs):
        """One RPC, in ncclient's async mode so that we, not ncclient's blocking wait, watch
        the deadline and notice at once when the device drops the session."""
        if self.deadline - time.monotonic() <= 0:
            raise TransportError(f"{self.host.name}: deadline reached before {what}")
        self.mgr.async_mode = True
        try:
            rpc = fn(*args, **kwargs)
            nudge_at = time.monotonic() + NUDGE_AFTER if self.nudge_first else None
            self.nudge_first = False
            while not rpc.event.is_set():
                if nudge_at is not None and time.monotonic() > nudge_at:
                    self.mgr.get_config(source="running", filter=NUDGE_FILTER)   # reply unused
                    nudge_at = None
                if not self.mgr.connected:
                    raise TransportError(closed_during(self.host, what, self._jump_lost(),
                                                       "the NETCONF session"))
                if time.monotonic() > self.deadline:
                    raise TransportError(f"{self.host.name}: no reply to {what} before the deadline")
                rpc.event.wait(0.005)
            if rpc.error is not None:
                raise TransportError(f"{self.host.name}: {what} failed: {rpc.error}")
            reply = rpc.reply
            if reply is not None and not reply.ok:
                errors = [e for e in reply.errors if (e.severity or "error").strip() != "warning"]
                if errors:
                    raise RpcRejected(self.host.name, what, errors)
                self.warnings += [f"the device warned at {what}: {w}" for w in warnings_of(reply)]
            return reply
        except (TransportError, DeviceRejected):
            raise
        except RPCError as exc:
            raise RpcRejected(self.host.name, what, getattr(exc, "errors", None) or [exc]) from None
        except Exception as exc:
            if self._jump_lost():   # ncclient's "Not connected to NETCONF server": why, said
                raise TransportError(closed_during(self.host, what, True)) from None
            raise TransportError(f"{self.host.name}: {what} failed: {type(exc).__name__}: "
                                 f"{scrub(str(exc), self.secret)}") from None

    def _jump_lost(self) -> bool:
        return self.tunnel is not None and self.tunnel.lost()

    @property
    def capabilities(self) -> set[str]:
        return {c.split("?")[0] for c in self.mgr.server_capabilities}

    def supports(self, name: str) -> bool:
        return any(c.startswith(f"urn:ietf:params:netconf:capability:{name}") for c in self.capabilities)

    def get_config(self, source: str, filter_xml: str) -> etree._Element:
        reply = self._call("get-config", self.mgr.get_config, source=source, filter=filter_xml)
        return etree.fromstring(reply.data_xml.encode())

    def lock(self, target: str = "candidate"):
        return self._call(f"lock {target}", self.mgr.lock, target=target)

    def unlock(self, target: str = "candidate"):
        return self._call(f"unlock {target}", self.mgr.unlock, target=target)

    def edit_config(self, config_xml: str, target: str = "candidate"):
        return self._call("edit-config", self.mgr.edit_config, target=target, config=config_xml,
                          error_option="rollback-on-error")

    def validate(self):
        return self._call("validate", self.mgr.validate, source="candidate")

    def commit(self, confirm_timeout: int | None = None):
        if confirm_timeout:
            return self._call("commit confirmed", self.mgr.commit, confirmed=True,
                              timeout=str(confirm_timeout))
        return self._call("commit", self.mgr.commit)

    def command_text(self, command: str) -> str | None:
        """An operational command's text output (Junos `<command format="text">`): its
        `<output>`, or for `show configuration` the `<configuration-output>` (in
        `<configuration-information>`) Junos answers that with instead; None when the reply
        holds neither."""
        request = etree.Element("command", format="text")
        request.text = command
        reply = self._call(command, self.mgr.dispatch, request)
        root = etree.fromstring(reply.xml.encode())
        parts = [e for e in root.iter() if isinstance(e.tag, str)
                 and etree.QName(e).localname in _TEXT_REPLIES]
        return "\n".join(e.text or "" for e in parts) if parts else None

    def cancel_commit(self):
        return self._call("cancel-commit", self.mgr.cancel_commit)

    def discard(self):
        return self._call("discard-changes", self.mgr.discard_changes)

    def close(self) -> None:
        try:
            self.mgr.async_mode = False
            # its reply is awaited until the deadline, and at most a moment past it: with the
            # RPC timeout (the host's whole `netconf.timeout`) a device stalled in a commit held
            # the host's thread, and the process at exit, that long past the deadline
            self.mgr.timeout = max(_LAST_WORD, min(self.mgr.timeout or _LAST_WORD,
                                                   self.deadline - time.monotonic()))
            self.mgr.close_session()
        except Exception:
            pass
        log = getattr(self.mgr._session, "log", None)
        if log is not None:
            log.close()
        if self.tunnel is not None:
            self.tunnel.close()
