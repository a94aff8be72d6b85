"""Cisco IOS-XR session of the lab: the ``RP/0/RP0/CPU0:host#`` prompts, the timestamp above
every show, the candidate with ``commit`` (confirmed, comment, label), ``abort``, ``show
configuration failed`` after a rejected commit, the commit list and ``rollback configuration
last N``, and the questions XR asks when leaving config mode with uncommitted changes.
"""
from __future__ import annotations

import time

from oamkit.lab.config_tree import ConfigTree, diff_text
from oamkit.lab.device import CommitError
from oamkit.lab.grammar import Grammar, Match
from oamkit.lab.terminal import Disconnect
from oamkit.lab.vendors.cisco_ios.session import CiscoSession
from oamkit.lab.vendors.cisco_xr.grammar import grammar as xr_grammar
from oamkit.lab.vendors.cisco_xr.show import (VERSION, xr_configuration, xr_discovery, xr_event_log, xr_interfaces,
                                              xr_show_interfaces, xr_statistics, xr_summary,
                                              xr_timestamp)


class XrSession(CiscoSession):
    platform = "cisco_xr"
    authorization_refusal = "% This command is not authorized"   # task group or TACACS+ denied it
    version_banner = VERSION
    uncommitted_question = "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:"

    def grammar(self) -> Grammar:
        return xr_grammar()

    def prompt(self) -> str:
        base = f"RP/0/RP0/CPU0:{self.host}"
        return f"{base}#" if self.mode == "exec" else f"{base}({self.mode})#"

    def header(self, text: str) -> str:
        return super().header(xr_timestamp() + "\n" + text)

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
        return await self.exec_from_config(cmd, line)

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
        return self.header(xr_interfaces(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_oam_configuration(self, m: Match) -> str:
        return self.header(xr_configuration(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_oam_statistics(self, m: Match) -> str:
        self.dev.tick()
        return self.header(xr_statistics(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_event_log(self, m: Match) -> str:
        return self.header(xr_event_log(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_oam_summary(self, m: Match) -> str:
        return self.header(xr_summary(self.dev))

    async def cmd_show_oam_discovery(self, m: Match) -> str:
        return self.header(xr_discovery(self.dev, m.words[-1] if "interface" in m.words[3:] else None))

    async def cmd_show_interfaces(self, m: Match) -> str:
        return self.header(xr_show_interfaces(self.dev, m.words[2] if len(m.words) > 2 else None))
