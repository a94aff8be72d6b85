"""Cisco IOS session of the lab: prompts (``>`` user, ``#`` privileged, ``(config-if)#``),
``enable`` with its secret, ``end``/``exit`` navigation, ``configure terminal revert timer``
and ``configure confirm`` (the archive revert timer), and the IOS show commands.
``CiscoSession`` holds what the IOS-XR session shares with it.
"""
from __future__ import annotations

from oamkit.lab.config_tree import ConfigTree, diff_text
from oamkit.lab.grammar import Grammar, Match, NoMatch
from oamkit.lab.terminal import Disconnect, Session
from oamkit.lab.vendors.cisco_ios.grammar import grammar as ios_grammar
from oamkit.lab.vendors.cisco_ios.show import (VERSION, ios_discovery, ios_show_interfaces, ios_statistics,
                                               ios_status, ios_summary)


class CiscoSession(Session):
    """What IOS and IOS-XR sessions share: their caret errors and ``do`` (an exec command run
    from a config mode)."""

    def caret_error(self, line: str, nm: NoMatch) -> str:
        if nm.kind == "incomplete":
            return "% Incomplete command."
        return self.caret(line, nm.position) + "\n% Invalid input detected at '^' marker."

    async def exec_from_config(self, cmd: str, line: str) -> str | None:
        """``do <exec command>`` in a config mode; None when ``cmd`` is not one."""
        if self.in_config() and cmd.startswith("do "):
            return await self.dispatch("exec", cmd[3:].strip(), line, offset=1) or ""
        return None


class IosSession(CiscoSession):
    platform = "cisco_ios"
    authorization_refusal = "Command authorization failed."   # TACACS+ denied the command
    version_banner = VERSION
    globals_before_blocks = True

    def grammar(self) -> Grammar:
        return ios_grammar()

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
        return await self.exec_from_config(cmd, line)

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
        # Rollback Confirmed Change keeps its copy in the configuration archive: without
        # `archive` / `path` IOS refuses and stays in EXEC mode (the text NAPALM's IOS driver
        # looks for in `configure replace`: "%Please turn config archive on"; the
        # `configure terminal revert timer` it sends fails then as netmiko sees no config prompt)
        archive = self.dev.running.get(["archive"])
        if archive is None or not archive.find_prefix("path"):
            return "%Please turn config archive on"
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
        return self.header(ios_status(self.dev, m.words[-1] if "interface" in m.words else None))

    async def cmd_show_oam_summary(self, m: Match) -> str:
        return self.header(ios_summary(self.dev))

    async def cmd_show_oam_statistics(self, m: Match) -> str:
        self.dev.tick()
        return self.header(ios_statistics(self.dev, m.words[-1] if "interface" in m.words else None))

    async def cmd_show_oam_discovery(self, m: Match) -> str:
        return self.header(ios_discovery(self.dev, m.words[-1] if "interface" in m.words else None))

    async def cmd_show_interfaces(self, m: Match) -> str:
        return self.header(ios_show_interfaces(self.dev, m.words[2] if len(m.words) > 2 else None))

    async def cmd_show_archive_diff(self, m: Match) -> str:
        if not self.dev.commit_history:
            return "!No changes were found"
        return diff_text(self.dev.commit_history[-1].before, self.dev.running)
