"""The lab's vendor-neutral terminal layer: one asyncssh shell session per SSH channel, echoing
per character like a real TTY (the server runs with ``line_editor=False``).

``Session`` holds what every personality shares: reading and echoing input (backspace, Ctrl-C,
Ctrl-Z, pasted configs), paging with the platform's more-prompt, the session loop, the faults
(hang, drop after N commands, command delay, rejected commands, exec-timeout, drop on commit),
config modes and sub-mode stacks, applying and removing config lines through the grammar, and
dispatching a matched command to the personality's ``cmd_<handler>`` method.

A personality (``oamkit.lab.vendors.<platform>.session``) subclasses ``Session`` with its
prompts, caret errors, mode navigation (``builtin``), grammar and vendor-only handlers. This
module imports no vendor: ``oamkit.lab.cli`` joins the two.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import asyncssh

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.device import CommitError, Device, lock_conflict
from oamkit.lab.grammar import Grammar, Match, NoMatch, tokenize
from oamkit.lab.show_common import version_text

if TYPE_CHECKING:
    from oamkit.lab.server import Lab


# characters read_line may take in one piece: everything but line ends and the control keys
_PLAIN_RUN = re.compile(r"[^\r\n\x08\x7f\x00\x03\x1a]*")


class Disconnect(Exception):
    """End the session (cleanly or by dropping the connection)."""

    def __init__(self, abort: bool = False) -> None:
        self.abort = abort


class Session:
    """The vendor-neutral part of a CLI session; a personality subclasses it (see the module
    docstring) and may override the class attributes below."""

    platform = ""
    exec_mode = "exec"
    root_config = "config"
    more_prompt = " --More-- "
    comment_chars = "!"
    version_banner = ""             # `show version` template (see show_common.version_text)
    # a global line entered later still shows above the interface blocks (IOS and VRP do this)
    globals_before_blocks = False
    uncommitted_question = ""       # what leave_config asks when the candidate has changes

    def __init__(self, process: asyncssh.SSHServerProcess, device: Device, lab: "Lab | None") -> None:
        self.proc = process
        self.dev = device
        self.lab = lab
        self.g = self.grammar()
        self.id = device.new_session_id()
        self.mode = self.exec_mode
        self.path: list[str] = []
        self.stack: list[tuple[str, list[str]]] = []
        self.length = 24
        self.width = 80
        self.count = 0
        self.inbuf = ""
        self.last_char = ""
        self.host = device.name
        self.user = process.get_extra_info("username") or device.username
        self._read_task: asyncio.Future | None = None
        self._echo = ""   # echo of characters taken from the current input chunk, not yet sent
        self._loop = asyncio.get_running_loop()
        self._pending: list[str] = []   # output of this loop iteration, sent as one packet

    # ---------------------------------------------------------------- I/O
    def _send(self, text: str) -> None:
        """Queue output; everything written before the session next waits (echo, the
        command's output, the prompt) leaves together at the end of this event-loop turn, as
        one SSH packet instead of one per write. Timing is unchanged: nothing waits longer
        than the current turn."""
        if not self._pending:
            self._loop.call_soon(self._flush_out)
        self._pending.append(text)

    def _flush_out(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            try:
                self.proc.stdout.write(text)
            except (OSError, asyncssh.Error):
                pass   # the client went away; the next read notices

    def _flush_echo(self) -> None:
        if self._echo:
            self._send(self._echo)
            self._echo = ""

    def write(self, text: str) -> None:
        self._flush_echo()
        if text:
            self._send(text.replace("\r\n", "\n").replace("\n", "\r\n"))

    async def read_char(self) -> str:
        idle_since = time.monotonic()
        if not self.inbuf:
            # Like a terminal: what was typed so far is echoed before waiting for more. Echo of
            # input that arrived together goes out together, in order, one SSH packet instead
            # of one per character (a pasted config would otherwise cost a packet per byte).
            self._flush_echo()
        while not self.inbuf:
            # exec-timeout may be switched on at run time: wait in slices and re-check it
            timeout = self.dev.faults.exec_timeout
            if timeout:
                wait = idle_since + timeout - time.monotonic()
                if wait <= 0:
                    self.write("\n\n" + self.idle_message() + "\n")
                    self.dev.record(self.id, "cli", "event", "exec-timeout: session closed", self.mode)
                    raise Disconnect()
                wait = min(wait, 1.0)
            else:
                wait = 1.0
            # one pending read survives the slices: cancelling reads could drop input
            if self._read_task is None:
                self._read_task = asyncio.ensure_future(self.proc.stdin.read(4096))
            done, _ = await asyncio.wait({self._read_task}, timeout=wait)
            if not done:
                continue
            task, self._read_task = self._read_task, None
            try:
                data = task.result()
            except (asyncssh.BreakReceived, asyncssh.SignalReceived, asyncssh.TerminalSizeChanged):
                continue
            if not data:
                raise Disconnect()
            self.inbuf += data
        ch, self.inbuf = self.inbuf[0], self.inbuf[1:]
        return ch

    async def read_line(self, echo: bool = True) -> str:
        buf = ""
        while True:
            # Plain characters already received are taken in one piece (a pasted config would
            # otherwise cost a coroutine step per byte); control characters go one at a time.
            if self.inbuf and not (self.inbuf[0] == "\n" and self.last_char == "\r"):
                plain = _PLAIN_RUN.match(self.inbuf).end()
                if plain:
                    run, self.inbuf = self.inbuf[:plain], self.inbuf[plain:]
                    buf += run
                    self.last_char = run[-1]
                    if echo:
                        self._echo += run
                    continue
            ch = await self.read_char()
            if ch == "\n" and self.last_char == "\r":
                self.last_char = ch
                continue
            self.last_char = ch
            if ch in "\r\n":
                self._flush_echo()
                return buf
            if ch in "\x08\x7f":
                if buf:
                    buf = buf[:-1]
                    if echo:
                        self.write("\b \b")
                continue
            if ch == "\x00":  # NUL (netmiko's is_alive() probe): a real TTY line discards it
                continue
            if ch == "\x03":  # Ctrl-C abandons the line
                return ""
            if ch == "\x1a":  # Ctrl-Z = end
                return "end"
            buf += ch
            if echo:
                self._echo += ch

    async def ask(self, question: str) -> str:
        self.write(question)
        answer = await self.read_line()
        self.write("\n")
        self.dev.record(self.id, "cli", "in", answer, self.mode)
        return answer.strip().lower()

    async def paged(self, text: str) -> None:
        if not text:
            return
        lines = text.rstrip("\n").split("\n")
        if self.length <= 0 or len(lines) < self.length:
            self.write(text)
            return
        page = self.length - 1
        i = 0
        while i < len(lines):
            chunk = lines[i:i + page]
            i += page
            self.write("\n".join(chunk) + "\n")
            if i >= len(lines):
                break
            self.write(self.more_prompt)
            ch = await self.read_char()
            self.write("\r" + " " * len(self.more_prompt) + "\r")
            if ch in "qQ\x03":
                break
            if ch in "\r\n":
                page = 1

    def idle_message(self) -> str:
        return ""

    # ---------------------------------------------------------------- the personality's part
    def grammar(self) -> Grammar:
        """The platform's command grammar (``oamkit.lab.vendors.<platform>.grammar``)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- prompts and errors
    def prompt(self) -> str:
        raise NotImplementedError

    def caret_error(self, line: str, nm: NoMatch) -> str:
        raise NotImplementedError

    # what the platform prints when AAA command authorization denies a command (None: its
    # error for a command it does not know)
    authorization_refusal: str | None = None

    def authorization_error(self, line: str) -> str:
        return self.authorization_refusal or self.reject_error(line)

    def reject_error(self, line: str) -> str:
        return self.caret_error(line, NoMatch(0, "keyword", None, line.split()[0] if line.split() else ""))

    def caret(self, line: str, position: int, extra: int = 0) -> str:
        toks = tokenize(line)
        offset = toks[position][1] if position < len(toks) else len(line.rstrip()) + 1
        return " " * (len(self.prompt().split("\n")[-1]) + offset + extra) + "^"

    # ---------------------------------------------------------------- config helpers
    def tree(self) -> ConfigTree:
        return self.dev.candidate if self.dev.has_candidate else self.dev.running

    def in_config(self) -> bool:
        return self.mode not in (self.exec_mode, "user")

    def change(self, fn) -> None:
        with self.dev.lock:
            if self.dev.has_candidate:
                fn(self.dev.candidate)
            else:
                self.dev.apply_running(fn)

    def apply_config_match(self, m: Match) -> str | None:
        """Run semantic checks and apply a config line (set or enter). Returns error text."""
        rule = m.rule
        problem = self.g.problem(self, m, self.path)
        if problem:
            return problem
        if rule.action == "enter":
            if self.root_config in rule.modes:
                base: list[str] = []
                self.stack = [(self.root_config, [])]
            else:
                base = list(self.path)
                self.stack.append((self.mode, list(self.path)))
            line = m.line
            self.change(lambda t: t.set(base + [line]))
            self.path = base + [line]
            self.mode = rule.enter or self.mode
            return None
        base = list(self.path)
        key = m.key_words()
        line = m.line
        path = list(base)
        if rule.default_on:   # back to the default: the stored negation goes, nothing shows
            self.change(lambda t: t.delete(path + [f"{self.negations()[0]} {line}"]))
            return None
        globals_first = not path and self.globals_before_blocks

        def apply(t: ConfigTree) -> None:
            existed = globals_first and (t.child(line) is not None
                                         or (key is not None and bool(t.find_prefix(key))))
            node = t.set(path + [line], replace_key=key)
            if globals_first and not existed:
                # like the real devices, global lines show before the interface blocks
                t.children.remove(node)
                first_block = next((i for i, c in enumerate(t.children) if c.children), len(t.children))
                t.children.insert(first_block, node)
        self.change(apply)
        return None

    def remove_config(self, rest: str, original: str, offset: int) -> str | None:
        """``no``/``undo`` + a (prefix of a) config line of the current mode."""
        m = self.g.match(self.mode, rest, self.dev, partial=True)
        path = self.path
        if isinstance(m, NoMatch) and self.mode != self.root_config:
            m2 = self.g.match(self.root_config, rest, self.dev, partial=True)
            if isinstance(m2, Match):
                m, path = m2, []
        if isinstance(m, NoMatch):
            m.position += offset
            return self.caret_error(original, m)
        if m.rule.action == "cmd":
            return self.caret_error(original, NoMatch(offset, "keyword", None, ""))
        problem = self.g.problem(self, m, path, removing=True)
        if problem:
            return problem
        full = len(m.words) == len(m.rule.variants[-1][0]) or len(m.words) == len(m.rule.variants[0][0])
        if m.rule.action == "enter":
            target = m.line          # a whole block (template/profile/interface): exactly that one
            if full:
                self.change(lambda t: t.delete(list(path) + [target]))
                return None
        else:
            target = (m.key_words() if full else None) or m.line
        if m.rule.default_on and full:   # turned off: the configuration shows the negation
            negation = f"{self.negations()[0]} {m.line}"
            self.change(lambda t: t.set(list(path) + [negation]))
            return None
        # what a feature's removal takes with it includes the defaults it had turned off
        # (IOS `no ethernet oam` also drops `no ethernet oam link-monitor supported`)
        stored = f"{self.negations()[0]} {target}"
        self.change(lambda t: (t.delete_prefix(list(path), target), t.delete_prefix(list(path), stored)))
        return None

    # ---------------------------------------------------------------- main loop
    async def run(self) -> None:
        dev = self.dev
        dev.active_sessions[self.id] = "cli"
        dev.session_since[self.id] = time.time()
        dev.record(self.id, "cli", "event", f"session open user={self.user}", self.mode)
        try:
            if dev.faults.hang:
                while True:
                    await self.read_char()
            self.write(self.login_text())
            self.write(self.prompt())
            while True:
                line = await self.read_line()
                await self.handle(line)
        except Disconnect as d:
            if d.abort:
                self._flush_out()
                self.proc.channel.get_connection().abort()
                return
        except (asyncssh.Error, ConnectionError, BrokenPipeError):
            return
        finally:
            if self._read_task is not None:
                self._read_task.cancel()
            self.ended()
            dev.active_sessions.pop(self.id, None)
            dev.session_since.pop(self.id, None)
            dev.record(self.id, "cli", "event", "session closed", self.mode)
        try:
            self._flush_out()
            self.proc.exit(0)
        except (OSError, asyncssh.Error):
            pass

    def login_text(self) -> str:
        return ""

    def ended(self) -> None:
        """The session is over, logged out or dropped: what the platform does then."""

    async def handle(self, line: str) -> None:
        dev, faults = self.dev, self.dev.faults
        cmd = line.strip()
        dev.record(self.id, "cli", "in", line, self.mode)
        if cmd:
            self.count += 1
        if faults.hang:
            while True:
                await self.read_char()
        if faults.drop_after_commands is not None and self.count > faults.drop_after_commands:
            dev.record(self.id, "cli", "event", "fault: session dropped", self.mode)
            faults.refuse_auth = faults.refuse_auth or faults.refuse_auth_after_drop
            raise Disconnect(abort=True)
        if faults.command_delay and cmd:
            await asyncio.sleep(faults.command_delay)
        self.write("\n")
        if cmd and (not self.in_config() or dev.injecting_errors()):
            # counters and link-event monitors catch up before any output; a config line has
            # none, and with no errors growing the next exec command catches up the same way
            dev.tick()
        if cmd and faults.denies(cmd):
            out = self.authorization_error(line)
        elif cmd and faults.rejects(cmd):
            out = self.reject_error(line)
        else:
            out = await self.execute(line)
        if out:
            out = out if out.endswith("\n") else out + "\n"
            await self.paged(out)
            dev.record(self.id, "cli", "out", out, self.mode)
        self.write(self.prompt())

    async def execute(self, line: str) -> str | None:
        cmd = line.strip()
        if not cmd or cmd[0] in self.comment_chars:   # comment lines, as pasted configs carry them
            return None
        special = await self.builtin(cmd, line)
        if special is not None:
            return special or None
        return await self.dispatch(self.mode, cmd, line)

    async def builtin(self, cmd: str, line: str) -> str | None:
        """Mode navigation and platform specials. Return None when not handled."""
        return None

    async def dispatch(self, mode: str, cmd: str, line: str, offset: int = 0) -> str | None:
        retry_in_parents = mode == self.mode and self.in_config() and mode != self.root_config
        # the caret of a failure is worked out only if no parent mode takes the line either
        m = self.g.match(mode, cmd, self.dev, explain=not retry_in_parents)
        if isinstance(m, NoMatch) and retry_in_parents:
            # like the real parsers: a line unknown in a sub-mode is tried in the parent modes
            levels = list(self.stack)
            if not levels or levels[0][0] != self.root_config:
                levels.insert(0, (self.root_config, []))
            for depth in range(len(levels) - 1, -1, -1):
                parent_mode, parent_path = levels[depth]
                m2 = self.g.match(parent_mode, cmd, self.dev, explain=False)
                if isinstance(m2, Match) and m2.rule.action != "cmd":
                    self.mode, self.path, self.stack = parent_mode, list(parent_path), levels[:depth]
                    m = m2
                    break
            else:
                m = self.g.match(mode, cmd, self.dev)   # no mode takes it: explain it here
        if isinstance(m, NoMatch):
            if self.in_config() and cmd.split()[0] in self.negations():
                rest = cmd.split(None, 1)[1] if len(cmd.split()) > 1 else ""
                if not rest:
                    return self.caret_error(line, NoMatch(1, "incomplete"))
                return self.remove_config(rest, line, 1)
            m.position += offset
            return self.caret_error(line, m)
        if m.rule.action == "cmd":
            handler = getattr(self, f"cmd_{m.rule.handler}")
            return await handler(m)
        return self.apply_config_match(m)

    def negations(self) -> tuple[str, ...]:
        return ("no",)

    def header(self, text: str) -> str:
        lines = self.dev.faults.header_lines
        return ("\n".join(lines) + "\n" + text) if lines else text

    # ---------------------------------------------------------------- shared handlers
    async def cmd_terminal_length(self, m: Match) -> str:
        self.length = m.ints()[-1] if m.ints() else 0
        return ""

    async def cmd_terminal_width(self, m: Match) -> str:
        self.width = m.ints()[-1]
        return ""

    async def cmd_show_version(self, m: Match) -> str:
        return self.header(version_text(self.dev, self.version_banner))

    async def cmd_noop(self, m: Match) -> str:
        return ""

    async def leave_config(self) -> str | None:
        """Back to the exec mode from a candidate-based config mode (XR ``end``, VRP
        ``return``): with uncommitted changes ask ``uncommitted_question`` first; yes commits
        (a failed commit stays, its error is the output), no discards, anything else cancels.
        None = stay in config."""
        if self.dev.uncommitted():
            ans = await self.ask(self.uncommitted_question)
            if ans in ("yes", "y"):
                err = await self.do_commit()
                if err:
                    return err
            elif ans in ("no", "n"):
                self.dev.discard_changes()
            else:
                return None
        self.mode, self.path, self.stack = self.exec_mode, [], []
        return ""

    async def do_commit(self, confirmed_seconds: float | None = None, comment: str | None = None) -> str | None:
        """Commit the candidate; returns the error text or None."""
        if self.dev.faults.drop_on_commit:
            self.dev.record(self.id, "cli", "event", "fault: session dropped during commit", self.mode)
            raise Disconnect(abort=True)

        locked = lock_conflict(self.dev, self.id)
        if locked:
            return locked
        try:
            self.dev.commit(session_id=self.id, confirmed_seconds=confirmed_seconds, comment=comment)
        except CommitError as exc:
            return str(exc)
        return None


@dataclass(frozen=True)
class Personality:
    """One platform as the lab plays it: the session class that answers its CLI, its command
    grammar (shared with NETCONF checks) and the check its commits run over a whole candidate
    (None where lines are judged only as they are entered)."""

    platform: str
    session: type[Session]
    grammar: Callable[[], Grammar]
    validator: Callable[[Device, ConfigTree], str | None] | None = None
