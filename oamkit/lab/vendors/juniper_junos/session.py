"""Junos session of the lab: ``user@host>`` / ``[edit]`` prompts, ``set``/``delete`` into the
shared candidate (one config-tree node per hierarchy group, emptied containers pruned like
Junos), ``show`` with ``| compare`` and ``| display set``, ``commit`` (check, confirmed N,
comment, and-quit), ``rollback N``, ``run``, ``show system commit``, and the CLI settings
(``set cli screen-length`` ...) Junos answers with a message.
"""
from __future__ import annotations

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.device import lock_conflict
from oamkit.lab.grammar import Grammar, Match, NoMatch, tokenize
from oamkit.lab.terminal import Disconnect, Session
from oamkit.lab.vendors.juniper_junos.grammar import JUNOS_LIST_KEYS, JUNOS_PRESENCE
from oamkit.lab.vendors.juniper_junos.grammar import grammar as junos_grammar
from oamkit.lab.vendors.juniper_junos.show import (INACTIVE, VERSION, junos_child,
                                                   junos_commit_list, junos_compare, junos_curly,
                                                   junos_find, junos_interfaces, junos_lfm,
                                                   junos_path, junos_set_lines)


class JunosSession(Session):
    platform = "juniper_junos"
    version_banner = VERSION

    def grammar(self) -> Grammar:
        return junos_grammar()
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

    exclusive = False   # in `configure exclusive`: holds the candidate lock, discards on exit

    async def builtin(self, cmd: str, line: str) -> str | None:
        if cmd in ("exit", "quit", "exit configuration-mode") or (cmd == "exit" and self.mode == "exec"):
            if self.mode == "exec":
                raise Disconnect()
            discarded = ""
            if self.dev.uncommitted() and self.exclusive:
                ans = await self.ask("The configuration has been changed but not committed\n"
                                     "warning: Auto rollback on exiting 'configure exclusive'\n"
                                     "Discard uncommitted changes? [yes,no] (yes) ")
                if ans not in ("", "yes", "y"):
                    return ""
                discarded = "warning: discarding uncommitted changes\nload complete\n"
            elif self.dev.uncommitted():
                ans = await self.ask("The configuration has been changed but not committed\n"
                                     "Exit with uncommitted changes? [yes,no] (yes) ")
                if ans not in ("", "yes", "y"):
                    return ""
            self.release_exclusive()
            self.mode = "exec"
            return discarded + "Exiting configuration mode"
        return None

    async def cmd_configure(self, m: Match) -> str:
        """`configure` edits the shared candidate as it is, others' uncommitted changes
        included (the banner says so); `configure exclusive` refuses a candidate someone
        changed and left uncommitted, locks it, and discards what is not committed when the
        session leaves configuration mode or ends (dropped or logged out)."""
        modified = self.dev.uncommitted()
        if "exclusive" in m.words:
            with self.dev.lock:
                holder = lock_conflict(self.dev, self.id)
                if holder:
                    return holder
                if modified:   # stays at the operational prompt
                    return "error: configuration database modified"
                self.dev.locks["candidate"] = self.id
            self.exclusive = True
            self.mode = "config"
            return "warning: uncommitted changes will be discarded on exit\nEntering configuration mode"
        self.mode = "config"
        return "Entering configuration mode\n" + (
            "The configuration has been changed but not committed\n" if modified else "")

    def release_exclusive(self) -> None:
        """Leave `configure exclusive`: its uncommitted changes are rolled back, the lock freed."""
        if not self.exclusive:
            return
        with self.dev.lock:
            if self.dev.locks.get("candidate") == self.id:
                if self.dev.uncommitted():
                    self.dev.discard_changes()
                self.dev.locks["candidate"] = None
        self.exclusive = False

    def ended(self) -> None:
        self.release_exclusive()   # a dropped exclusive session leaves nothing pending

    async def cmd_complete_on_space(self, m: Match) -> str:
        return "Disabling complete-on-space" if m.words[-1] == "off" else "Enabling complete-on-space"

    async def cmd_terminal_length(self, m: Match) -> str:
        await super().cmd_terminal_length(m)
        return f"Screen length set to {self.length}"

    async def cmd_terminal_width(self, m: Match) -> str:
        await super().cmd_terminal_width(m)
        return f"Screen width set to {self.width}"

    async def cmd_junos_set(self, m: Match) -> str | None:
        locked = lock_conflict(self.dev, self.id)   # an exclusive or NETCONF session holds it
        if locked:
            return locked
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
        self.change(lambda t: t.set(junos_path(t, nodes), replace_key=key))
        return None

    async def cmd_junos_delete(self, m: Match) -> str | None:
        locked = lock_conflict(self.dev, self.id)
        if locked:
            return locked
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
            path = junos_path(t, nodes)
            key = (sm.last_node_key() or nodes[-1]) if complete_group else nodes[-1]
            ok[0] = (complete_group and t.delete(path)) or t.delete_prefix(path[:-1], key) > 0 \
                or t.delete_prefix(path[:-1], INACTIVE + key) > 0
            _prune_empty_junos_parents(t, path[:-1])
        self.change(fn)
        return None if ok[0] else "warning: statement not found"

    async def cmd_junos_deactivate(self, m: Match) -> str | None:
        return self._mark_inactive(m, True)

    async def cmd_junos_activate(self, m: Match) -> str | None:
        return self._mark_inactive(m, False)

    def _mark_inactive(self, m: Match, inactive: bool) -> str | None:
        """`deactivate`/`activate` a statement: it stays in the configuration (shown, and
        `| display set` prints a `deactivate` line after the set lines) but, inactive, has
        no effect: the device's behaviour reads only active statements. A leaf is named with
        or without its value (`deactivate ... pdu-interval`)."""
        locked = lock_conflict(self.dev, self.id)
        if locked:
            return locked
        verb, rest = m.words[0], m.words[1]
        sm = self.g.match("set", rest, self.dev, partial=True)
        if isinstance(sm, NoMatch):
            sm.position += 1
            return self.caret_error(f"{verb} {rest}", sm)
        nodes = sm.nodes()
        found = [False]

        def fn(t: ConfigTree) -> None:
            path = junos_path(t, nodes)
            parent = t.get(path[:-1])
            node = junos_child(parent, nodes[-1]) if parent is not None else None
            if node is None and parent is not None:   # a leaf named without its value
                node = next((c for c in parent.children
                             if c.line.removeprefix(INACTIVE).startswith(nodes[-1] + " ")), None)
            if node is not None:
                bare = node.line.removeprefix(INACTIVE)
                node.line = INACTIVE + bare if inactive else bare
                found[0] = True
        self.change(fn)
        return None if found[0] else "warning: statement not found"

    async def cmd_junos_show(self, m: Match) -> str:
        arg = m.words[1] if len(m.words) > 1 else ""
        parts = [p.strip() for p in arg.split("|")]
        where, pipes = parts[0], parts[1:]
        if any(p.startswith("compare") for p in pipes):
            return junos_compare(self.dev.running, self.dev.candidate)
        return self.render_config(self.dev.candidate, where, pipes)

    def render_config(self, tree: ConfigTree, where: str, pipes: list[str]) -> str:
        words = where.split()
        prefix: tuple[str, ...] = ()
        if words:
            node, path = junos_find(tree, words)
            if node is None:
                return ""
            sub = ConfigTree()
            sub.children = node.children
            prefix = tuple(path)
            tree = sub
        if any(p.startswith("display set") for p in pipes):
            return junos_set_lines(tree, prefix)
        return junos_curly(tree)

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
            self.release_exclusive()
            self.mode = "exec"
            out += "\nExiting configuration mode"
        elif minutes:
            out += f"\n\n# commit confirmed will be rolled back in {minutes} minutes"
        return out

    async def cmd_rollback(self, m: Match) -> str:
        locked = lock_conflict(self.dev, self.id)
        if locked:
            return locked
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
        return self.header(junos_lfm(self.dev, args))

    async def cmd_show_interfaces(self, m: Match) -> str:
        args = m.words[2].split() if len(m.words) > 2 else []
        return self.header(junos_interfaces(self.dev, args))

    async def cmd_show_commit_list(self, m: Match) -> str:
        return junos_commit_list(self.dev, self.user)


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
