"""SSH CLI transport, tuned for speed and safety, on one of two drivers (`ssh.driver`):
netmiko (the default; `NetmikoChannel` below) or asyncssh (`asyncssh_driver.AsyncsshChannel`).
The driver only opens the channel and logs in; SshSession does every read and write.

Speed: after login every read is ours and ends at the prompt it expects, so nothing falls
back to timing-based reads (research: 25 ms vs 2.2 s per command), and commands that need
no answer in between are written together (one round trip). netmiko's reads block on paramiko's channel buffer (`Channel.recv` with a timeout), never on
`select()` of the channel: that creates a pipe whose descriptors paramiko's reader thread can
still write to after the channel closed them, i.e. into whatever socket reused the number (one
connection in ~1,500 failed its key exchange with 50 hosts at once).

Safety: host keys are checked by `hostkeys.HostKeyPolicy` (known_hosts, trust on first use
where the inventory accepts new keys) before the password is sent; the password is only handed to netmiko, and any text we keep or raise is scrubbed
of it.
"""
from __future__ import annotations

import codecs
import re
import socket
import time
from dataclasses import dataclass, field

from oamkit.inventory import HostSettings, Inventory
from oamkit.platforms import Platform, get_platform
from oamkit.transport import algorithms, sessionlog, watchdog
from oamkit.transport.base import (TERMINAL_UNOPENED, ConfigurationLocked, DeviceRejected,
                                   TransportError, load, open_socket, scrub, stopped_reading)
from oamkit.transport.hostkeys import HostKeyPolicy, HostKeyRefused, host_key_policy, known_name
from oamkit.transport.jump import closed_during, open_tunnel

__all__ = ["ConfigurationLocked", "DeviceRejected", "SshSession", "TransportError", "open_socket", "scrub"]


@dataclass
class SshSession:
    host: HostSettings
    platform: Platform
    conn: object
    secret: str | None
    deadline: float

    @classmethod
    def open(cls, inventory: Inventory, host: HostSettings, deadline: float) -> "SshSession":
        platform = get_platform(host.platform)
        secret = inventory.password(host)
        sessionlog.add_secret(secret)   # before any library can log a line holding it (--debug)
        sessionlog.check_path(host.name)
        remaining = max(1.0, deadline - time.monotonic())
        step_timeout = min(host.ssh.timeout, remaining)   # connect, banner, auth: each of them
        port = host.port or 22
        policy = host_key_policy(inventory.resolve_path(host.ssh.known_hosts), host.ssh.accept_new_host_keys)
        key_file = inventory.resolve_path(host.credentials.ssh_key_file)
        if host.ssh.driver == "asyncssh":
            from oamkit.transport import greenloop
            load("oamkit.transport.asyncssh_driver")   # one first import at a time (base.load)
            from oamkit.transport.asyncssh_driver import AsyncsshChannel

            # on the loop, asyncio connects (a blocking connect would stall every host there);
            # through a jump host, asyncssh opens the channel to the device itself
            direct = not greenloop.on_loop() and host.ssh.jump is None
            sock = open_socket(host.name, host.hostname, port, step_timeout) if direct else None
            channel = AsyncsshChannel.open(sock, host, port, secret, step_timeout, deadline, policy,
                                           key_file=key_file,
                                           jump_key_file=inventory.resolve_path(host.ssh.jump_key_file))
        else:
            tunnel = None
            if host.ssh.jump is not None:   # the bastion's channel to the device is the socket
                tunnel = open_tunnel(host, policy, inventory.resolve_path(host.ssh.jump_key_file),
                                     port, step_timeout, deadline)
                sock = tunnel.channel
            else:
                sock = open_socket(host.name, host.hostname, port, step_timeout)
            params = dict(
                sock=sock, device_type=platform.netmiko_device_type, host=host.hostname, port=port,
                username=host.username, password=secret or "",
                conn_timeout=step_timeout, auth_timeout=step_timeout, banner_timeout=step_timeout,
                read_timeout_override=remaining,  # bounds every netmiko read by the host's deadline
                # host keys: checked by our policy against the indexed known_hosts
                ssh_strict=True, system_host_keys=False, alt_host_keys=False,
                use_keys=bool(key_file), key_file=str(key_file) if key_file else None,
                allow_agent=False, fast_cli=True,
                disabled_algorithms=algorithms.paramiko_disabled(host.ssh.legacy_algorithms),
            )
            try:
                channel = _netmiko_login(params, host, policy, secret, deadline)
            except BaseException:
                sock.close()   # paramiko never took it over, or has given up on it
                if tunnel is not None:
                    tunnel.close()
                raise
            channel.tunnel = tunnel
        session = cls(host, platform, channel, secret, deadline)
        session.log = sessionlog.open_log(host.name, "ssh", f"{host.username}@{host.hostname}:{port} "
                                          f"({host.ssh.driver})", secrets=(secret,))
        session._prepare()
        enable_secret = inventory.enable_secret(host) if platform.config.enable_command else None
        if enable_secret:
            sessionlog.add_secret(enable_secret)   # the session log shows what _enable writes
            try:
                session._enable(enable_secret)
            except BaseException:
                channel.close()
                raise
        return session

    def _enable(self, enable_secret: str) -> None:
        """User EXEC (`Router>`) to privileged EXEC: `enable`, then the secret at `Password:`.
        Done here, on SshSession's own reads, for both drivers alike (netmiko's enable() would
        wait for output to go quiet). The secret is written once and kept nowhere; a device that
        refuses it (IOS: `% Access denied`, or `Password:` again) ends the session."""
        command = self.platform.config.enable_command
        asked = self._send(command, r"(?:[Pp]assword:\s*$)|(?:[>#]\s*$)")
        last = _last_line(asked)
        if re.search(r"#\s*$", last):
            return   # already privileged (the account's privilege level, or no enable secret)
        if not re.search(r"[Pp]assword:\s*$", last):
            raise TransportError(f"{self.host.name}: {command!r} was refused: "
                                 f"{scrub(scrub(last, self.secret), enable_secret)!r}")
        self._write(enable_secret + self.conn.RETURN, "the enable secret")
        answer = self._send_raw(r"(?:[Pp]assword:\s*$)|(?:[>#]\s*$)", "the enable secret",
                                anchor="")
        last = _last_line(answer)
        if not re.search(r"#\s*$", last) or "% Access denied" in answer:
            raise TransportError(f"{self.host.name}: enable refused: the device did not accept "
                                 "the enable secret (credentials.enable_secret_env/_file/_command)")

    def _refuse_user_exec(self, output: str) -> None:
        """The device answered our command and went quiet at a user EXEC prompt (`Router>`)
        while we wait for another: no enable secret in the inventory for a device that needs
        one. Said at once rather than at the deadline."""
        last = _last_line(output)
        if re.fullmatch(r"[\w.:/-]+>\s*", last):
            raise TransportError(f"{self.host.name}: the device is in user EXEC ({last.strip()!r}) "
                                 "and oamkit has no enable secret for it: set "
                                 "data.credentials.enable_secret_env, _file or _command")

    def _prepare(self) -> None:
        """Queue the session set-up (paging off, width) to go out with the first command.
        The first prompt is not waited for: a terminal buffers what is typed ahead of it, and
        every read ends at the prompt that follows its own command's echo, so a banner or that
        first prompt never ends one early. That saves a round trip per session (~1.5 ms of CPU
        on the lab; one WAN RTT on real gear). Like netmiko, a refused width is not fatal."""
        syntax = self.platform.config
        self._unsent = "".join(c + self.conn.RETURN for c in (syntax.paging_off, syntax.width_command) if c)

    def _write(self, text: str, what: str = "a write") -> None:
        """Send text as typed. A device that stops reading (its SSH window stays full) ends
        the write at the host's deadline; a logout after the deadline still gets a moment.
        A write into a session that is gone says so as a read would (`what` names the step):
        the device closed it, or the connection to its jump host was lost."""
        self._read_ahead = None   # what a later write makes the device do is not in it
        text, self._unsent = self._unsent + text, ""
        if self.log is not None:
            self.log.sent(text)
        timeout = max(_LAST_WRITE, self.deadline - time.monotonic())
        try:
            self.conn.write(text, timeout)
        except socket.timeout:
            raise TransportError(f"{self.host.name}: {stopped_reading(timeout)}, sending {what}") from None
        except TransportError as exc:   # the driver's own words ("the session is closed")
            said = str(exc) if str(exc).startswith(f"{self.host.name}: ") else f"{self.host.name}: {exc}"
            raise TransportError(f"{said}, sending {what}") from None
        except Exception as exc:
            if self.conn.jump_lost() or not self.conn.is_active():
                raise TransportError(closed_during(self.host, what, self.conn.jump_lost())) from None
            raise TransportError(f"{self.host.name}: writing to the device failed: {type(exc).__name__}: "
                                 f"{scrub(str(exc), self.secret)}, sending {what}") from None

    def show(self, command: str) -> str:
        """Run an exec-mode command and return its output without the echo and the prompt.
        Reads until the exec prompt (paging is off since login), ~10 ms instead of netmiko's
        ~80 ms send_command."""
        self.leave_config()  # show commands are exec-mode commands on every platform we drive
        if self._read_ahead is not None and self._read_ahead[0] == command:
            output = self._read_ahead[1]
            self._read_ahead = None
        else:
            output = self._send(command, self.platform.config.exec_prompt)
        lines = output.split("\n")
        if lines and lines[0].strip().endswith(command.strip()):
            lines = lines[1:]
        if lines and re.search(self.platform.config.exec_prompt, lines[-1]):
            lines = lines[:-1]
        return "\n".join(lines)

    in_config: bool = False
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))
    revert_armed: bool = False
    committed: bool = False   # this session committed (confirmed or not) during the change
    # what will undo the change on the device if nobody confirms it ("its revert timer (2 min)")
    self_revert: str | None = None
    # (command, raw output) of a show that rode in the last write; any later write drops it
    _read_ahead: tuple[str, str] | None = None
    _unsent: str = ""   # session set-up lines (paging off, width) that go with the next write
    log: sessionlog.SessionLog | None = None   # --session-log: this session's lines, masked

    def _send(self, command: str, expect: str) -> str:
        """Write one command and read until `expect` matches the end of the output. Our own
        loop rather than send_command: it notices at once when the device closes the session
        (netmiko would wait for its read timeout) and honours the host's deadline."""
        self._write(command + self.conn.RETURN, repr(command))
        return self._send_raw(expect, command, anchor=command.strip()[-20:])

    def _read(self, what: str, output: str) -> str:
        """The text the device sends next (waiting for it), '' when nothing came within a
        short wait. Raises when the session closed or the host's deadline passed; `what` and
        the output so far name the step in that error."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TransportError(f"{self.host.name}: deadline reached waiting for the prompt "
                                 f"after {what}; last output: {scrub(output[-200:], self.secret)!r}")
        try:
            data = self.conn.recv(min(_READ_WAIT, remaining))
        except Exception as exc:
            raise TransportError(f"{self.host.name}: {what} failed: {type(exc).__name__}: "
                                 f"{scrub(str(exc), self.secret)}") from None
        if data is None:
            if not self.conn.is_active():
                raise TransportError(closed_during(self.host, what, self.conn.jump_lost()))
            return ""
        if not data:
            raise TransportError(closed_during(self.host, what, self.conn.jump_lost()))
        text = self._decoder.decode(data).replace("\r\n", "\n").replace("\r", "")
        if self.log is not None:
            self.log.received(text)
        return self.conn.strip_ansi(text)

    def _send_raw(self, expect: str, command: str, anchor: str) -> str:
        """Read until `expect` matches the last line, looking only past `anchor` (the echo of
        the command just sent), so a stray prompt still in the channel cannot end the read."""
        pattern = re.compile(expect)
        output = ""
        while True:
            chunk = self._read(repr(command), output)
            output += chunk
            start = output.find(anchor) if anchor else 0
            if not chunk and anchor and start >= 0 and self.platform.config.enable_command:
                self._refuse_user_exec(output[start + len(anchor):])
            if start >= 0:
                tail = output[start + len(anchor):]
                if "\n" in tail and pattern.search(_last_line(tail)):
                    return output[output.rfind("\n", 0, start) + 1:] if anchor else output

    def enter_config(self, command: str | None = None) -> str:
        """Enter configuration mode (with `command`, e.g. a revert-timer variant); raise
        DeviceRejected when the device refuses it, ConfigurationLocked (one) when it refuses
        because another session holds the configuration (`ConfigSyntax.config_locked`)."""
        output = ""
        if not self.in_config:
            syntax = self.platform.config
            output = self._send(command or syntax.config_enter,
                                f"(?:{syntax.config_prompt})|(?:{syntax.exec_prompt})")
            if syntax.config_locked and re.search(syntax.config_locked, output, re.M):
                entered = command or syntax.config_enter
                raise ConfigurationLocked(self.host.name, entered, _refusal(output, entered, syntax))
            if re.search(syntax.error_pattern, output, re.M):
                raise DeviceRejected(self.host.name, command or syntax.config_enter,
                                     _error_lines(output, syntax.error_pattern))
            self.in_config = True
        return output

    def exec_command(self, command: str) -> str:
        """An exec-mode command whose output must not be an error (IOS `configure confirm`)."""
        self.leave_config()
        syntax = self.platform.config
        output = self._send(command, syntax.exec_prompt)
        if re.search(syntax.error_pattern, output, re.M):
            raise DeviceRejected(self.host.name, command, _error_lines(output, syntax.error_pattern))
        return output

    def configure(self, lines: list[str], *, stay_in_config: bool, batch: int = 64,
                  read_after: str | None = None) -> str:
        """Send config lines pipelined: a batch is written at once (as a paste would) and the
        reply is split at each config prompt, so every line is still checked and the first one
        the device rejects raises DeviceRejected with its own text. One round trip per batch
        instead of one per line; on a busy 2-core lab that is several times faster.

        On platforms that apply each line at once (nothing to commit or abandon), leaving
        configuration mode rides in the last batch, and so does `read_after` (a show command,
        e.g. the read-back of running): a later `show(read_after)` answers from that output."""
        syntax = self.platform.config
        self.enter_config()
        # Pipelined, the next echo follows the prompt on the same line: match it unanchored.
        prompt = _unanchored(syntax.config_prompt)
        exit_in_batch = not stay_in_config and self.platform.commit_model == "immediate"
        transcript = []
        for start in range(0, len(lines), batch):
            chunk = lines[start:start + batch]
            last = start + batch >= len(lines)
            then_show = read_after if exit_in_batch and last else None
            output = self._send_batch(chunk, prompt, then_exit=exit_in_batch and last,
                                      then_show=then_show)
            if then_show:
                at = output.rfind("\n", 0, output.rfind(then_show)) + 1
                output, self._read_ahead = output[:at], (then_show, output[at:])
            transcript.append(output)
            replies = prompt.split(output)
            for at, (line, reply) in enumerate(zip(chunk, replies), start):
                if re.search(syntax.error_pattern, reply, re.M):
                    # the mode the device is left in: the last prompt it printed says it (a
                    # rejected line can move the rest of the batch to another mode)
                    self.in_config = not re.search(syntax.exec_prompt, _last_line(output))
                    self._read_ahead = None   # what comes next is a restore: it reads afresh
                    raise DeviceRejected(self.host.name, line, _error_lines(reply, syntax.error_pattern),
                                         _interface_block(lines, at, syntax))
        if exit_in_batch:
            self.in_config = False
        if not stay_in_config:
            self.leave_config()
        return "\n".join(transcript)

    def _send_batch(self, chunk: list[str], prompt: re.Pattern, then_exit: bool = False,
                    then_show: str | None = None) -> str:
        """Write the lines at once; read until one prompt per line has come back after the
        echo of the first line (earlier stray prompts do not count). `then_exit`: also leave
        configuration mode and read until the exec prompt; `then_show`: and run that command,
        reading until the exec prompt that follows its echo."""
        syntax = self.platform.config
        sent = chunk + ([syntax.config_exit] if then_exit else []) + ([then_show] if then_show else [])
        self._write("".join(line + self.conn.RETURN for line in sent), "configuration")
        anchor = chunk[0].strip()[:20]
        exec_prompt = re.compile(syntax.exec_prompt)
        any_prompt = re.compile(f"(?:{prompt.pattern})|(?:{_unanchored(syntax.exec_prompt).pattern})")
        output = ""
        while True:
            output += self._read("configuration", output)
            start = output.find(anchor)
            if start < 0:
                continue
            if len(prompt.findall(output[start:])) < len(chunk):
                # A rejected line can move the rest of the batch to another mode (IOS: after a
                # refused `interface X` its block's closing `exit` leaves configuration mode, and
                # no configuration prompt follows): once the device has said no and answered
                # every line sent, in whatever mode, the batch is over.
                if re.search(syntax.error_pattern, output[start:], re.M) \
                        and len(any_prompt.findall(output[start:])) >= len(sent) \
                        and exec_prompt.search(_last_line(output)):
                    return output[start:]
                continue
            if then_show:
                echo = output.rfind(then_show)
                if echo < 0 or "\n" not in output[echo:]:
                    continue
            if not then_exit or exec_prompt.search(_last_line(output)):
                return output[start:]

    def command_in_config(self, command: str, leaves_config: bool = False) -> str:
        """Run a command in configuration mode (commit, discard) and check its output.
        `leaves_config`: the command may drop back to exec mode (IOS-XR `abort`)."""
        syntax = self.platform.config
        self.enter_config()
        expect = f"(?:{syntax.config_prompt})|(?:{syntax.exec_prompt})" if leaves_config else syntax.config_prompt
        output = self._send(command, expect)
        if leaves_config and re.search(syntax.exec_prompt, output.rstrip().splitlines()[-1] if output.strip() else ""):
            self.in_config = re.search(syntax.config_prompt, output.rstrip().splitlines()[-1]) is not None
        if re.search(syntax.error_pattern, output, re.M):
            raise DeviceRejected(self.host.name, command, _error_lines(output, syntax.error_pattern))
        return output

    def leave_config(self) -> None:
        """Back to exec mode. Callers commit or discard first; if the device still asks about
        uncommitted changes, they are abandoned rather than committed by accident."""
        if self.in_config:
            syntax = self.platform.config
            output = self._send(syntax.config_exit, f"(?:{syntax.exec_prompt})|(?:{syntax.exit_question})")
            if re.search(syntax.exit_question, output.rstrip()):
                self._send(syntax.exit_abandon_answer, syntax.exec_prompt)
            self.in_config = False

    def close(self) -> None:
        """Log out and close at once. Not netmiko's disconnect(): on some platforms its
        logout waits for output to go quiet (2.2 s a session on Huawei)."""
        try:
            self.leave_config()
            self._write(self.platform.config.logout + self.conn.RETURN)
        except Exception:
            pass
        self.conn.close()
        if self.log is not None:
            self.log.close()


def _netmiko_login(params: dict, host: HostSettings, policy: HostKeyPolicy,
                   secret: str | None, deadline: float) -> "NetmikoChannel":
    # Here, not at the top: a run on the asyncssh driver (and every `oamkit` start-up that
    # reaches this module) does not pay netmiko's import (~50 ms, its every vendor class).
    load("netmiko")   # one first import at a time (see base.load)
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

    from oamkit.transport.paramiko_keys import ParamikoPolicy, factory_for

    cut_off = False
    try:
        # netmiko opens the SSH channel; session preparation is SshSession's: netmiko's reads
        # until output goes quiet cost ~0.2 s per host.
        conn = ConnectHandler(**params, auto_connect=False)
        conn.key_policy = ParamikoPolicy(policy)
        conn._modify_connection_params()
        # netmiko passes no transport_factory to paramiko's connect(): its parameters plus ours
        connect_params = conn._connect_params_dict
        factory = factory_for(policy, known_name(host.hostname, params["port"]))   # as paramiko names it
        conn._connect_params_dict = lambda: {**connect_params(), "transport_factory": factory}
        # paramiko waits for the answers to the pty and shell requests without a timeout
        cut_off = watchdog.cut_off(deadline, params["sock"], conn.establish_connection)
    except NetmikoAuthenticationException:
        raise TransportError(f"{host.name}: authentication failed for user {host.username!r}") from None
    except Exception as exc:  # paramiko host-key, algorithm and socket errors
        mismatch = algorithm_mismatch(exc)
        if mismatch is None and handshake_dropped(exc):
            # a device that closes or resets the connection when no algorithm matches says
            # nothing; what it offers is asked again, and said when nothing is in common
            mismatch = _probe_mismatch(host, params, deadline)
        if mismatch is not None:
            reason = algorithms.no_common(*mismatch, "netmiko", host.ssh.legacy_algorithms)
            raise TransportError(f"{host.name}: SSH to {host.hostname}:{params['port']} failed: "
                                 f"{scrub(reason, secret)}") from None
        if isinstance(exc, NetmikoTimeoutException):
            raise TransportError(f"{host.name}: cannot connect to {host.hostname}:{params['port']}: "
                                 f"{scrub(_connect_failure(exc), secret)}") from None
        raise TransportError(f"{host.name}: SSH to {host.hostname}:{params['port']} failed: "
                             f"{type(exc).__name__}: {scrub(str(exc), secret)}") from None
    if cut_off:   # the watchdog ended it: say so, ask the device nothing more
        transport = conn.remote_conn_pre.get_transport() if conn.remote_conn_pre else None
        # the transport is down by now: its login state is the auth handler's
        logged_in = transport is not None and transport.auth_handler is not None and \
            transport.auth_handler.is_authenticated()
        raise TransportError(f"{host.name}: SSH to {host.hostname}:{params['port']} failed: "
                             + (TERMINAL_UNOPENED if logged_in else "no SSH login before the deadline"))
    return NetmikoChannel(conn)


class NetmikoChannel:
    """The CLI channel contract SshSession reads and writes through, on netmiko: it opened the
    channel and logged in; reads block on paramiko's channel buffer. The other driver is
    `asyncssh_driver.AsyncsshChannel`.

      write(text, timeout)  send text as typed; socket.timeout when the device took none of
                            it for `timeout` s (its SSH window stayed full)
      recv(timeout)         bytes that arrived; None when nothing came within timeout; b"" closed
      is_active()           the session is still up
      jump_lost()           the connection to the host's jump host is gone (False without one)
      strip_ansi(text)      text without the escape codes this device type sends
      close()               close at once (no waiting for output to go quiet)
    """

    def __init__(self, conn):
        self.netmiko = conn
        self.RETURN = conn.RETURN
        self.tunnel = None   # jump.Tunnel when the device is reached through a jump host

    def jump_lost(self) -> bool:
        return self.tunnel is not None and self.tunnel.lost()

    def write(self, text: str, timeout: float) -> None:
        # paramiko waits for window space up to the channel's timeout; netmiko set that to its
        # own 100 s, longer than most hosts' deadline
        channel = self.netmiko.remote_conn
        previous = channel.gettimeout()
        channel.settimeout(timeout)
        try:
            self.netmiko.write_channel(text)
        finally:
            channel.settimeout(previous)

    def recv(self, timeout: float) -> bytes | None:
        channel = self.netmiko.remote_conn
        previous = channel.gettimeout()
        channel.settimeout(timeout)
        try:
            data = channel.recv(_READ_SIZE)
        except socket.timeout:
            return None
        finally:
            channel.settimeout(previous)   # writes keep netmiko's blocking timeout
        while data and channel.recv_ready():
            data += channel.recv(_READ_SIZE)
        return data

    def is_active(self) -> bool:
        # Not netmiko's is_alive(): it writes a NUL byte into the session.
        transport = self.netmiko.remote_conn.get_transport()
        return transport is not None and transport.is_active()

    def strip_ansi(self, text: str) -> str:
        return self.netmiko.strip_ansi_escape_codes(text) if self.netmiko.ansi_escape_codes else text

    @property
    def socket(self) -> socket.socket:
        return self.netmiko.remote_conn.get_transport().sock

    def close(self) -> None:
        # The transport first: its reader thread stops before the channel goes away.
        for closer in (getattr(self.netmiko, "remote_conn_pre", None),
                       getattr(self.netmiko, "remote_conn", None)):
            try:
                if closer is not None:
                    closer.close()
            except Exception:
                pass
        if self.tunnel is not None:   # the bastion's connection goes with the session
            self.tunnel.close()


_READ_SIZE = 65536
_READ_WAIT = 0.5   # how long one read blocks; only bounds how late a deadline is noticed
_LAST_WRITE = 1.0   # s a write may still wait for window space once the deadline has passed (logout)


def _last_line(output: str) -> str:
    """The last line of what the device printed (where its prompt is)."""
    return output.rstrip("\n").rsplit("\n", 1)[-1]


def _unanchored(prompt: str) -> re.Pattern:
    """A prompt pattern without its end-of-output anchor, to count prompts in pipelined output
    (where the next command's echo follows the prompt on the same line)."""
    return re.compile(re.sub(r"(\\s\*)?\$$", "", prompt))


def _raised_from(exc: BaseException | None, depth: int = 5):
    """The error and those it was raised from (netmiko and ncclient wrap paramiko's)."""
    while exc is not None and depth > 0:
        yield exc
        exc, depth = exc.__cause__ or exc.__context__, depth - 1


def algorithm_mismatch(exc: BaseException) -> tuple[str, list[str]] | None:
    """(kind, what the device offered) when paramiko found no algorithm in common: the error,
    or the one netmiko's wrapper was raised from, carries the device's lists (OamkitTransport)."""
    for error in _raised_from(exc):
        offered = getattr(error, "offered", None)
        if offered is not None:
            for words, kind in algorithms.PARAMIKO_KIND.items():
                if f"no acceptable {words}" in str(error):
                    return kind, algorithms.offered_names(offered.get(kind, []))
    return None


def handshake_dropped(exc: BaseException | None) -> bool:
    """The SSH handshake ended without a reason (EOF, reset, paramiko's banner or session
    errors), not at authentication, a refused host key or an unanswered TCP connect."""
    import paramiko   # loaded already: the paramiko paths are the only callers

    for error in _raised_from(exc):
        if isinstance(error, (HostKeyRefused, paramiko.AuthenticationException)):
            return False
        if isinstance(error, (EOFError, ConnectionResetError, paramiko.SSHException)):
            return True
    return False


def _probe_mismatch(host: HostSettings, params: dict, deadline: float) -> tuple[str, list[str]] | None:
    from oamkit.transport.paramiko_keys import probe_mismatch

    left = deadline - time.monotonic()
    if host.ssh.jump is not None or left <= 0:   # not reachable directly; no time left to ask
        return None
    return probe_mismatch(host.hostname, params["port"], min(5.0, params["conn_timeout"], left),
                          params.get("disabled_algorithms") or {})


def _connect_failure(exc: Exception) -> str:
    """The reason netmiko's wrapper hides: its message starts with an empty line and the
    paramiko exception (e.g. a refused host key) is only its context."""
    import paramiko   # loaded already: netmiko's path is the only caller

    cause = exc.__context__
    if isinstance(cause, paramiko.SSHException):
        return str(cause) if isinstance(cause, HostKeyRefused) else f"{type(cause).__name__}: {cause}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _refusal(text: str, command: str, syntax) -> str:
    """The device's whole refusal of `command`, without the echo and the prompts: besides the
    error line, its lines say who holds the configuration (Junos: user, terminal, pid, since,
    idle, where they edit), after the error or, as `Users currently editing`, before it."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].endswith(command.strip()):
        lines = lines[1:]
    return "\n".join(line for line in lines if not re.search(syntax.exec_prompt, line)
                     and not re.search(syntax.config_prompt, line))


def _error_lines(text: str, pattern: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.search(pattern, line):
            return "\n".join(lines[max(0, i - 2):i + 1]).strip()
    return text.strip()[-300:]


def _interface_block(lines: list[str], at: int, syntax) -> str | None:
    """The `interface X` block that `lines[at]` was sent in (the same line goes to every
    interface of a policy), or None when the line names its interface itself or sits in a
    shared block (a profile, a template) or at the top."""
    if re.search(syntax.interface_line, lines[at]):
        return None
    for line in reversed(lines[:at]):
        if line == syntax.exit_command:
            return None
        if re.search(syntax.interface_line, line):
            return line
    return None


def _failing_command(text: str, lines: list[str]) -> str:
    for line in reversed(lines):
        if line in text:
            return line
    return lines[-1] if lines else ""
