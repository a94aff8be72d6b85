"""CLI personalities: one asyncssh shell session per SSH channel, echoing per character like a
real TTY (the server runs with ``line_editor=False``)."""
from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

import asyncssh

from oamkit.lab import show
from oamkit.lab.device import CommitError, ConfigTree, Device, diff_text, lock_conflict
from oamkit.lab.grammar import Match, NoMatch, tokenize
from oamkit.lab.vendors import grammar_for
from oamkit.lab.vendors.juniper_junos.grammar import JUNOS_LIST_KEYS, JUNOS_PRESENCE

if TYPE_CHECKING:
    from oamkit.lab.server import Lab

IF_PREFIXES = {"gi": "GigabitEthernet", "gigabitethernet": "GigabitEthernet", "ge": "ge",
               "gigabitethernet0": "GigabitEthernet"}


_PLAIN_RUN = re.compile(r"[^\r\n\x08\x7f\x00\x03\x1a]*")

class Disconnect(Exception):
    """End the session (cleanly or by dropping the connection)."""

    def __init__(self, abort: bool = False) -> None:
        self.abort = abort


class Session:
    platform = ""
    exec_mode = "exec"
    root_config = "config"
    more_prompt = " --More-- "

    def __init__(self, process: asyncssh.SSHServerProcess, device: Device, lab: "Lab | None") -> None:
        self.proc = process
        self.dev = device
        self.lab = lab
        self.g = grammar_for(device.platform)
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

    # ---------------------------------------------------------------- prompts and errors
    def prompt(self) -> str:
        raise NotImplementedError

    def caret_error(self, line: str, nm: NoMatch) -> str:
        raise NotImplementedError

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
        globals_first = not path and self.platform in ("cisco_ios", "huawei_vrp")

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
        full = len(m.words) == len(m.rule.variants[-1][0]) or len(m.words) == len(m.rule.variants[0][0])
        if m.rule.action == "enter":
            target = m.line          # a whole block (template/profile/interface): exactly that one
            if full:
                self.change(lambda t: t.delete(list(path) + [target]))
                return None
        else:
            target = (m.key_words() if full else None) or m.line
        self.change(lambda t: t.delete_prefix(list(path), target))
        return None

    # ---------------------------------------------------------------- main loop
    async def run(self) -> None:
        dev = self.dev
        dev.active_sessions[self.id] = "cli"
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
            dev.active_sessions.pop(self.id, None)
            dev.record(self.id, "cli", "event", "session closed", self.mode)
        try:
            self._flush_out()
            self.proc.exit(0)
        except (OSError, asyncssh.Error):
            pass

    def login_text(self) -> str:
        return ""

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
        if cmd and faults.rejects(cmd):
            out = self.reject_error(line)
        else:
            out = await self.execute(line)
        if out:
            out = out if out.endswith("\n") else out + "\n"
            await self.paged(out)
            dev.record(self.id, "cli", "out", out, self.mode)
        self.write(self.prompt())

    comment_chars = "!"

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
        return self.header(show.version(self.dev))

    async def cmd_noop(self, m: Match) -> str:
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


# =========================================================================== Cisco IOS
class IosSession(Session):
    platform = "cisco_ios"

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        start_priv = True if self.lab is None else self.lab.ios_start_privileged
        self.mode = "exec" if start_priv else "user"

    def prompt(self) -> str:
        if self.mode == "user":
            return f"{self.host}>"
        if self.mode == "exec":
            return f"{self.host}#"
        return f"{self.host}({self.mode})#"

    def caret_error(self, line: str, nm: NoMatch) -> str:
        if nm.kind == "incomplete":
            return "% Incomplete command."
        return self.caret(line, nm.position) + "\n% Invalid input detected at '^' marker."

    def idle_message(self) -> str:
        return ""

    async def builtin(self, cmd: str, line: str) -> str | None:
        if cmd in ("end", "\x1a") and self.in_config():
            self.mode, self.path, self.stack = "exec", [], []
            return ""
        if cmd in ("exit", "quit", "logout"):
            if not self.in_config():
                raise Disconnect()
            if self.stack:
                self.mode, self.path = self.stack.pop()
            elif self.mode != "config":
                self.mode, self.path = "config", []
            else:
                self.mode, self.path = "exec", []
            return ""
        if self.in_config() and cmd.startswith("do "):
            return await self.dispatch("exec", cmd[3:].strip(), line, offset=1) or ""
        return None

    async def cmd_enable(self, m: Match) -> str:
        if self.mode == "user":
            secret = self.lab.enable_secret if self.lab else ""
            pw = await self.read_secret("Password: ")
            if pw != secret:
                return "% Access denied"
            self.mode = "exec"
        return ""

    async def read_secret(self, prompt: str) -> str:
        self.write(prompt)
        pw = await self.read_line(echo=False)
        self.write("\n")
        self.dev.record(self.id, "cli", "in", "********", self.mode)
        return pw

    async def cmd_disable(self, m: Match) -> str:
        self.mode = "user"
        return ""

    async def cmd_configure(self, m: Match) -> str:
        self.mode, self.path, self.stack = "config", [], []
        return "Enter configuration commands, one per line.  End with CNTL/Z."

    async def cmd_configure_revert(self, m: Match) -> str:
        minutes = m.ints()[-1]
        self.dev.arm_revert(minutes * 60)
        self.mode, self.path, self.stack = "config", [], []
        return ("Rollback Confirmed Change: Rollback will begin after "
                f"{minutes} minutes of inactivity unless confirmed with 'configure confirm'\n"
                "Enter configuration commands, one per line.  End with CNTL/Z.")

    async def cmd_configure_confirm(self, m: Match) -> str:
        self.dev.confirm()
        return ""

    async def cmd_write_memory(self, m: Match) -> str:
        return "Building configuration...\n[OK]"

    async def cmd_show_running(self, m: Match) -> str:
        ifname = m.words[3] if len(m.words) > 3 else None
        if ifname:
            node = self.dev.running.get([f"interface {ifname}"])
            sub = ConfigTree()
            sub.children = [node] if node else []
            body = sub.to_text()
            return self.header(f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n!\n{body}end\n")
        body = self.dev.running.to_text(separator="!")
        return self.header(f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n!\n{body}!\nend\n")

    async def cmd_show_oam_status(self, m: Match) -> str:
        return self.header(show.ios_status(self.dev, m.words[-1] if "interface" in m.words else None))

    async def cmd_show_oam_summary(self, m: Match) -> str:
        return self.header(show.ios_summary(self.dev))

    async def cmd_show_oam_statistics(self, m: Match) -> str:
        self.dev.tick()
        return self.header(show.ios_statistics(self.dev, m.words[-1] if "interface" in m.words else None))

    async def cmd_show_oam_discovery(self, m: Match) -> str:
        return self.header(show.ios_discovery(self.dev, m.words[-1] if "interface" in m.words else None))

    async def cmd_show_interfaces(self, m: Match) -> str:
        return self.header(show.interfaces(self.dev, m.words[2] if len(m.words) > 2 else None))

    async def cmd_show_archive_diff(self, m: Match) -> str:
        if not self.dev.commit_history:
            return "!No changes were found"
        return diff_text(self.dev.commit_history[-1].before, self.dev.running)


# =========================================================================== Cisco IOS-XR
class XrSession(Session):
    platform = "cisco_xr"

    def prompt(self) -> str:
        base = f"RP/0/RP0/CPU0:{self.host}"
        return f"{base}#" if self.mode == "exec" else f"{base}({self.mode})#"

    def caret_error(self, line: str, nm: NoMatch) -> str:
        if nm.kind == "incomplete":
            return "% Incomplete command."
        return self.caret(line, nm.position) + "\n% Invalid input detected at '^' marker."

    def header(self, text: str) -> str:
        return super().header(show.xr_timestamp() + "\n" + text)

    async def leave_config(self) -> str | None:
        """Exit to exec, asking about uncommitted changes like XR. None = stay in config."""
        if self.dev.uncommitted():
            ans = await self.ask("Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:")
            if ans in ("yes", "y"):
                err = await self.do_commit()
                if err:
                    return err
            elif ans in ("no", "n"):
                self.dev.discard_changes()
            else:
                return None
        self.mode, self.path, self.stack = "exec", [], []
        return ""

    async def builtin(self, cmd: str, line: str) -> str | None:
        if cmd == "end" and self.in_config():
            out = await self.leave_config()
            return out if out is not None else ""
        if cmd == "exit":
            if not self.in_config():
                raise Disconnect()
            if self.stack:
                self.mode, self.path = self.stack.pop()
                return ""
            if self.mode != "config":
                self.mode, self.path = "config", []
                return ""
            out = await self.leave_config()
            return out if out is not None else ""
        if self.in_config() and cmd.startswith("do "):
            return await self.dispatch("exec", cmd[3:].strip(), line, offset=1) or ""
        return None

    async def cmd_configure(self, m: Match) -> str:
        self.mode, self.path, self.stack = "config", [], []
        return ""

    async def cmd_commit(self, m: Match) -> str:
        words = m.words
        confirmed = int(words[words.index("confirmed") + 1]) if "confirmed" in words else None
        comment = " ".join(words[2:]) if len(words) > 2 and words[1] == "comment" else None
        if not self.dev.uncommitted() and confirmed is None:
            if self.dev.confirm():
                return ""
            return "% No configuration changes to commit."
        pending = diff_text(self.dev.running, self.dev.candidate)
        err = await self.do_commit(confirmed, comment)
        if err:
            self.last_failed = (pending, err)
            return err
        return ""

    last_failed: tuple[str, str] | None = None

    async def cmd_show_config_failed(self, m: Match) -> str:
        if self.last_failed is None:
            return ""
        pending, err = self.last_failed
        lines = [l[2:] for l in pending.splitlines() if l.startswith("+ ")]
        reason = err.splitlines()[0].lstrip("% ")
        return ("!! SEMANTIC ERRORS: This configuration was rejected by \n"
                "!! the system due to semantic errors. The individual \n"
                "!! errors with each failed configuration command can be \n"
                "!! found below.\n\n" + "\n".join(lines) + f"\n!!% {reason}\nend")

    async def cmd_abort(self, m: Match) -> str:
        self.dev.discard_changes()
        self.mode, self.path, self.stack = "exec", [], []
        return ""

    async def cmd_show_candidate_changes(self, m: Match) -> str:
        return "Building configuration...\n!! IOS XR Configuration 7.3.2\n" + \
            diff_text(self.dev.running, self.dev.candidate) + "end\n"

    async def cmd_show_running(self, m: Match) -> str:
        arg = m.words[2] if len(m.words) > 2 and m.words[2] else ""
        tree = self.dev.running
        if arg:
            sub = ConfigTree()
            sub.children = [c for c in tree.children if c.line == arg or c.line.startswith(arg + " ")]
            if not sub.children:
                return self.header("% No such configuration item(s)\n")
            return self.header(sub.to_text(separator="!"))
        return self.header("Building configuration...\n!! IOS XR Configuration 7.3.2\n"
                           f"!! Last configuration change at {time.ctime()} by {self.user}\n!\n"
                           + tree.to_text(separator="!") + "end\n")

    async def cmd_show_commit_changes(self, m: Match) -> str:
        hist = self.dev.commit_history
        if not hist:
            return "% No such configuration commit(s)"
        n = int(m.words[-1]) if "last" in m.words else 1
        if n > len(hist):
            return "% No such configuration commit(s)"
        before = hist[-n].before
        after = hist[-1].after
        return self.header("Building configuration...\n!! IOS XR Configuration 7.3.2\n"
                           + diff_text(before, after) + "end\n")

    async def cmd_show_commit_list(self, m: Match) -> str:
        out = ["SNo. Label/ID              User      Line                Client      Time Stamp",
               "~~~~ ~~~~~~~~              ~~~~      ~~~~                ~~~~~~      ~~~~~~~~~~"]
        for i, rec in enumerate(reversed(self.dev.commit_history), 1):
            out.append(f"{i:<4} {1000000000 + rec.id:<22} {self.user:<9} vty0:node0_RP0_CPU0 {rec.channel.upper():<11} "
                       f"{time.ctime(rec.time)}")
        return self.header("\n".join(out) + "\n")

    async def cmd_rollback_last(self, m: Match) -> str:
        n = m.ints()[-1]
        if n > len(self.dev.commit_history):
            return "% No such configuration commit(s)"
        try:
            self.dev.rollback_running(n, session_id=self.id)
        except CommitError as exc:
            return str(exc)
        return ("Loading Rollback Changes.\nLoaded Rollback Changes in 1 sec \nCommitting.\n"
                "1 items committed in 1 sec (0)items/sec\nUpdating.\nUpdated Commit database in 1 sec \n"
                "Configuration successfully rolled back 1 commits.")

    async def cmd_show_oam_status(self, m: Match) -> str:
        return self.header(show.xr_interfaces(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_oam_statistics(self, m: Match) -> str:
        self.dev.tick()
        return self.header(show.xr_statistics(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_event_log(self, m: Match) -> str:
        return self.header(show.xr_event_log(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_oam_summary(self, m: Match) -> str:
        return self.header(show.xr_summary(self.dev))

    async def cmd_show_oam_discovery(self, m: Match) -> str:
        return self.header(show.xr_discovery(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_interfaces(self, m: Match) -> str:
        return self.header(show.interfaces(self.dev, m.words[2] if len(m.words) > 2 else None))


# =========================================================================== Juniper Junos
class JunosSession(Session):
    platform = "juniper_junos"
    comment_chars = "#"
    more_prompt = "---(more)---"

    def prompt(self) -> str:
        if self.mode == "exec":
            return f"{self.user}@{self.host}> "
        return f"\n[edit]\n{self.user}@{self.host}# "

    def login_text(self) -> str:
        return "--- JUNOS 21.4R3.15 Kernel 64-bit  JNPR-12.1-20220616.e3fd9d7_buil\n"

    def caret_error(self, line: str, nm: NoMatch) -> str:
        if nm.kind == "incomplete":
            return self.caret(line, nm.position) + "\nsyntax error, expecting <data>."
        if nm.kind == "value" and nm.tok is not None and nm.tok.kind in ("int", "choice"):
            tok = nm.tok if nm.tok.kind == "int" else next((o for o in nm.tok.options if o.kind == "int"), None)
            if tok is not None and nm.word.isdigit():
                return (self.caret(line, nm.position) +
                        f"\nerror: value {nm.word} is not within range ({tok.describe_range()})")
        if nm.kind == "value" and nm.tok is not None and nm.tok.kind == "ifname":
            return self.caret(line, nm.position) + f"\nerror: invalid interface name: {nm.word}"
        return self.caret(line, nm.position) + "\nsyntax error."

    def reject_error(self, line: str) -> str:
        return self.caret(line, 0) + "\nsyntax error."

    async def builtin(self, cmd: str, line: str) -> str | None:
        if cmd in ("exit", "quit", "exit configuration-mode") or (cmd == "exit" and self.mode == "exec"):
            if self.mode == "exec":
                raise Disconnect()
            if self.dev.uncommitted():
                ans = await self.ask("The configuration has been changed but not committed\n"
                                     "Exit with uncommitted changes? [yes,no] (yes) ")
                if ans not in ("", "yes", "y"):
                    return ""
            self.mode = "exec"
            return "Exiting configuration mode"
        return None

    async def cmd_configure(self, m: Match) -> str:
        self.mode = "config"
        warn = ""
        if self.dev.uncommitted():
            warn = "The configuration has been changed but not committed\n"
        return "Entering configuration mode\n" + warn

    async def cmd_complete_on_space(self, m: Match) -> str:
        return "Disabling complete-on-space" if m.words[-1] == "off" else "Enabling complete-on-space"

    async def cmd_terminal_length(self, m: Match) -> str:
        await super().cmd_terminal_length(m)
        return f"Screen length set to {self.length}"

    async def cmd_terminal_width(self, m: Match) -> str:
        await super().cmd_terminal_width(m)
        return f"Screen width set to {self.width}"

    async def cmd_junos_set(self, m: Match) -> str | None:
        rest = m.words[1]
        sm = self.g.match("set", rest, self.dev)
        if isinstance(sm, NoMatch):
            sm.position += 1
            return self.caret_error("set " + rest, sm)
        problem = self.g.problem(self, sm, [])
        if problem:
            return problem
        nodes = sm.nodes()
        key = sm.last_node_key()
        if nodes[-1].startswith("description "):
            key = "description"
        if key in JUNOS_LIST_KEYS:   # `interface ge-0/0/1` adds an entry beside ge-0/0/0
            key = None
        self.change(lambda t: t.set(nodes, replace_key=key))
        return None

    async def cmd_junos_delete(self, m: Match) -> str | None:
        rest = m.words[1]
        sm = self.g.match("set", rest, self.dev, partial=True)
        if isinstance(sm, NoMatch):
            sm.position += 1
            return self.caret_error("delete " + rest, sm)
        nodes = sm.nodes()
        groups = sm.rule.variants[0][1]
        last = sm.groups[-1]
        complete_group = sum(1 for g in groups if g == last) == sum(1 for g in sm.groups if g == last)
        ok = [False]

        def fn(t: ConfigTree) -> None:
            if complete_group:
                ok[0] = t.delete(nodes) or t.delete_prefix(nodes[:-1], (sm.last_node_key() or nodes[-1])) > 0
            else:
                ok[0] = t.delete_prefix(nodes[:-1], nodes[-1]) > 0
            _prune_empty_junos_parents(t, nodes[:-1])
        self.change(fn)
        return None if ok[0] else "warning: statement not found"

    async def cmd_junos_show(self, m: Match) -> str:
        arg = m.words[1] if len(m.words) > 1 else ""
        parts = [p.strip() for p in arg.split("|")]
        where, pipes = parts[0], parts[1:]
        if any(p.startswith("compare") for p in pipes):
            return show.junos_compare(self.dev.running, self.dev.candidate)
        return self.render_config(self.dev.candidate, where, pipes)

    def render_config(self, tree: ConfigTree, where: str, pipes: list[str]) -> str:
        words = where.split()
        prefix: tuple[str, ...] = ()
        if words:
            node, path = show.junos_find(tree, words)
            if node is None:
                return ""
            sub = ConfigTree()
            sub.children = node.children
            prefix = tuple(path)
            tree = sub
        if any(p.startswith("display set") for p in pipes):
            return show.junos_set_lines(tree, prefix)
        return show.junos_curly(tree)

    async def cmd_commit(self, m: Match) -> str:
        arg = m.words[1] if len(m.words) > 1 else ""
        words = tokenize(arg)
        ws = [w for w, _ in words]
        if ws[:1] == ["check"]:
            if self.dev.validator:
                problem = self.dev.validator(self.dev, self.dev.candidate)
                if problem:
                    return problem
            return "configuration check succeeds"
        minutes = None
        comment = None
        i = 0
        while i < len(ws):
            w = ws[i]
            if w == "confirmed":
                minutes = 10
                if i + 1 < len(ws) and ws[i + 1].isdigit():
                    minutes = int(ws[i + 1])
                    if not 1 <= minutes <= 65535:
                        return self.caret(m.line, i + 2) + \
                            f"\nerror: value {minutes} is not within range (1..65535)"
                    i += 1
            elif w == "comment" and i + 1 < len(ws):
                comment = ws[i + 1].strip('"')
                i += 1
            elif w == "and-quit":
                pass
            else:
                return self.caret(m.line, i + 1) + "\nsyntax error."
            i += 1
        err = await self.do_commit(minutes * 60 if minutes else None, comment)
        if err:
            return err if err.startswith("error") or "\n" in err else f"error: {err}"
        out = ""
        if minutes:
            out = f"commit confirmed will be automatically rolled back in {minutes} minutes unless confirmed\n"
        out += "commit complete"
        if "and-quit" in ws:
            self.mode = "exec"
            out += "\nExiting configuration mode"
        elif minutes:
            out += f"\n\n# commit confirmed will be rolled back in {minutes} minutes"
        return out

    async def cmd_rollback(self, m: Match) -> str:
        n = m.ints()[-1] if m.ints() else 0
        try:
            self.dev.rollback(n)
        except IndexError:
            return "error: rollback failed: rollback file not found"
        return "load complete"

    async def cmd_run(self, m: Match) -> str | None:
        return await self.dispatch("exec", m.words[1], "run " + m.words[1], offset=1)

    async def cmd_show_configuration(self, m: Match) -> str:
        arg = m.words[2] if len(m.words) > 2 else ""
        parts = [p.strip() for p in arg.split("|")]
        return self.header(self.render_config(self.dev.running, parts[0], parts[1:]))

    async def cmd_show_oam_status(self, m: Match) -> str:
        self.dev.tick()
        args = m.words[4].split() if len(m.words) > 4 else []
        return self.header(show.junos_lfm(self.dev, args))

    async def cmd_show_interfaces(self, m: Match) -> str:
        args = m.words[2].split() if len(m.words) > 2 else []
        return self.header(show.junos_interfaces(self.dev, args))

    async def cmd_show_commit_list(self, m: Match) -> str:
        out = []
        for i, rec in enumerate(reversed(self.dev.commit_history)):
            out.append(f"{i}   {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(rec.time))} by {self.user} via "
                       f"{rec.channel}" + (f"\n    {rec.comment}" if rec.comment else ""))
        return "\n".join(out)


# =========================================================================== Huawei VRP8
class HuaweiSession(Session):
    platform = "huawei_vrp"
    comment_chars = "#"
    exec_mode = "user"
    root_config = "system"
    more_prompt = "  ---- More ----"

    def prompt(self) -> str:
        if self.mode == "user":
            return f"<{self.host}>"
        mark = "*" if self.dev.uncommitted() else "~"
        if self.mode == "interface":
            return f"[{mark}{self.host}-{self.path[0].split(' ', 1)[1]}]"
        return f"[{mark}{self.host}]"

    def caret_error(self, line: str, nm: NoMatch) -> str:
        if nm.kind == "incomplete":
            return self.caret(line, nm.position) + "\nError: Incomplete command found at '^' position."
        if nm.kind == "value":
            return self.caret(line, nm.position) + "\nError: Wrong parameter found at '^' position."
        return self.caret(line, nm.position) + "\nError: Unrecognized command found at '^' position."

    def negations(self) -> tuple[str, ...]:
        return ("undo",)

    async def leave_config(self) -> str | None:
        if self.dev.uncommitted():
            ans = await self.ask("Warning: Uncommitted configurations found. Are you sure to commit them "
                                 "before exiting? [Y(yes)/N(no)/C(cancel)]:")
            if ans in ("y", "yes"):
                err = await self.do_commit()
                if err:
                    return err
            elif ans in ("n", "no"):
                self.dev.discard_changes()
            else:
                return None
        self.mode, self.path, self.stack = "user", [], []
        return ""

    async def builtin(self, cmd: str, line: str) -> str | None:
        if cmd == "return" and self.in_config():
            out = await self.leave_config()
            return out if out is not None else ""
        if cmd == "quit":
            if not self.in_config():
                raise Disconnect()
            if self.mode != "system":
                self.mode, self.path, self.stack = "system", [], []
                return ""
            out = await self.leave_config()
            return out if out is not None else ""
        return None

    async def cmd_configure(self, m: Match) -> str:
        self.mode, self.path, self.stack = "system", [], []
        return "Enter system view, return user view with return command."

    async def cmd_terminal_length(self, m: Match) -> str:
        self.length = m.ints()[0]
        return "Info: The configuration takes effect on the current user terminal interface only."

    async def cmd_commit(self, m: Match) -> str:
        comment = m.words[2] if len(m.words) > 2 else None
        if not self.dev.uncommitted():
            return ""
        err = await self.do_commit(None, comment)
        return err or ""

    async def cmd_abort(self, m: Match) -> str:
        self.dev.discard_changes()
        self.mode, self.path, self.stack = "user", [], []
        return ""

    async def cmd_write_memory(self, m: Match) -> str:
        ans = await self.ask("Warning: The current configuration will be written to the device. Continue? [Y/N]:")
        if ans.startswith("y"):
            return "Now saving the current configuration to the slot 1 .\nInfo: Save the configuration successfully."
        return ""

    async def cmd_show_running(self, m: Match) -> str:
        ifname = m.words[3] if len(m.words) > 3 else None
        return self.header(show.hw_config(self.dev.running, ifname))

    async def cmd_show_candidate(self, m: Match) -> str:
        return show.hw_config(self.dev.candidate, None)

    async def cmd_show_candidate_changes(self, m: Match) -> str:
        return diff_text(self.dev.running, self.dev.candidate)

    async def cmd_show_oam_status(self, m: Match) -> str:
        return self.header(show.hw_efm(self.dev, m.words[3] if len(m.words) > 3 else None))

    async def cmd_show_oam_summary(self, m: Match) -> str:
        ifname = m.words[4] if len(m.words) > 4 else None
        return self.header(show.hw_session(self.dev, ifname))

    async def cmd_show_event_log(self, m: Match) -> str:
        ifname = m.words[-1] if "interface" in m.words else None
        return self.header(show.hw_link_event(self.dev, ifname))

    async def cmd_show_interfaces(self, m: Match) -> str:
        return self.header(show.hw_interfaces(self.dev, m.words[2] if len(m.words) > 2 else None))


SESSIONS = {"cisco_ios": IosSession, "cisco_xr": XrSession, "juniper_junos": JunosSession,
            "huawei_vrp": HuaweiSession}


async def serve_cli(process: asyncssh.SSHServerProcess, device: Device, lab: "Lab | None") -> None:
    await SESSIONS[device.platform](process, device, lab).run()


def _prune_empty_junos_parents(tree: ConfigTree, path: list[str]) -> None:
    """Junos drops a container that a delete left empty (`protocols oam ethernet`), but keeps
    presence containers (`link-fault-management`: LFM stays on) and named entries
    (`interface ge-0/0/0`), which `show | display set` then prints bare."""
    while path:
        node = tree.get(path)
        last = path[-1]
        if node is None or node.children or " " in last or last in JUNOS_PRESENCE:
            return
        tree.delete(path)
        path = path[:-1]
