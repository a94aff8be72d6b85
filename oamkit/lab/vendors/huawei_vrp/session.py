"""Huawei VRP8 session of the lab: ``<host>`` / ``[~host-GigabitEthernet0/1/0]`` prompts (``*``
while the candidate holds uncommitted changes), ``system-view``, ``undo``, ``commit``,
``abort``, ``return``/``quit`` with VRP's question about uncommitted changes, ``save`` and the
``display`` commands.
"""
from __future__ import annotations

from oamkit.lab.config_tree import diff_text
from oamkit.lab.grammar import Grammar, Match, NoMatch
from oamkit.lab.terminal import Disconnect, Session
from oamkit.lab.vendors.huawei_vrp.grammar import grammar as vrp_grammar
from oamkit.lab.vendors.huawei_vrp.layouts import VRP_LAYOUTS, timestamp
from oamkit.lab.vendors.huawei_vrp.show import (VERSION, hw_config, hw_efm, hw_interfaces,
                                                hw_link_event, hw_session)


class HuaweiSession(Session):
    platform = "huawei_vrp"
    version_banner = VERSION
    globals_before_blocks = True
    uncommitted_question = ("Warning: Uncommitted configurations found. Are you sure to commit them "
                            "before exiting? [Y(yes)/N(no)/C(cancel)]:")
    comment_chars = "#"
    exec_mode = "user"
    root_config = "system"
    more_prompt = "  ---- More ----"

    def header(self, text: str) -> str:
        if VRP_LAYOUTS[self.dev.layout].timestamp_first:
            text = timestamp() + "\n" + text
        return super().header(text)

    def prompt(self) -> str:
        if self.mode == "user":
            return f"<{self.host}>"
        mark = "*" if self.dev.uncommitted() else "~"
        if self.mode == "interface":
            return f"[{mark}{self.host}-{self.path[0].split(' ', 1)[1]}]"
        return f"[{mark}{self.host}]"

    def grammar(self) -> Grammar:
        return vrp_grammar()

    def caret_error(self, line: str, nm: NoMatch) -> str:
        if nm.kind == "incomplete":
            return self.caret(line, nm.position) + "\nError: Incomplete command found at '^' position."
        if nm.kind == "value":
            return self.caret(line, nm.position) + "\nError: Wrong parameter found at '^' position."
        return self.caret(line, nm.position) + "\nError: Unrecognized command found at '^' position."

    def negations(self) -> tuple[str, ...]:
        return ("undo",)

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
        return self.header(hw_config(self.dev.running, ifname))

    async def cmd_show_candidate(self, m: Match) -> str:
        return hw_config(self.dev.candidate, None)

    async def cmd_show_candidate_changes(self, m: Match) -> str:
        return diff_text(self.dev.running, self.dev.candidate)

    async def cmd_show_oam_status(self, m: Match) -> str:
        return self.header(hw_efm(self.dev, m.words[3] if len(m.words) > 3 else None))

    async def cmd_show_oam_summary(self, m: Match) -> str:
        ifname = m.words[4] if len(m.words) > 4 else None
        return self.header(hw_session(self.dev, ifname))

    async def cmd_show_event_log(self, m: Match) -> str:
        ifname = m.words[-1] if "interface" in m.words else None
        return self.header(hw_link_event(self.dev, ifname))

    async def cmd_show_interfaces(self, m: Match) -> str:
        return self.header(hw_interfaces(self.dev, m.words[2] if len(m.words) > 2 else None))
