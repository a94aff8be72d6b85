"""Device configuration as text: parse the OAM part of a running config and compute the delta.

The change engine never pushes a whole rendered file. It reads what the device has, keeps only
the sections oamkit manages (the policy's interfaces and its own OAMKIT-* profiles), and sends
the exact lines that differ, plus the platform's removal form (`no`, `undo`, `delete`) for what
must go. Re-running with nothing to change therefore sends nothing.

Which lines are "the same setting with another value" is platform data
(`Platform.config.value_keys`): a regex whose first group is the setting's key. Two lines with
the same key replace each other; a line whose key is not wanted any more is removed with the
negation of its key.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from oamkit.platforms.base import ConfigSyntax

_SEPARATORS = {"!", "#", "end", "return", "quit", "exit"}


@dataclass
class Node:
    line: str
    children: list["Node"] = field(default_factory=list)

    def child(self, line: str) -> "Node | None":
        return next((c for c in self.children if c.line == line), None)

    def lines(self, indent: str = "", step: str = " ") -> list[str]:
        out = []
        for c in self.children:
            out.append(indent + c.line)
            out.extend(c.lines(indent + step, step))
        return out


def as_text(managed: "Node | list[str]") -> str:
    """A tree (or `set` lines) as text, one line per entry: what a backup keeps, and what
    equal configurations are recognised by."""
    if isinstance(managed, list):
        return "\n".join(managed) + "\n"
    return "\n".join(managed.lines()) + "\n"


def parse_indented(text: str) -> Node:
    """Indented running config (IOS, IOS-XR, Huawei) -> tree. Banner/header/separator lines
    such as `Building configuration...`, `!`, `#`, timestamps are dropped."""
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line in _SEPARATORS:
            continue
        indented = raw.startswith(" ")
        if not indented and _NOISE.match(line):
            continue
        depth = len(raw) - len(raw.lstrip(" ")) if indented else 0
        while stack[-1][0] >= depth:
            stack.pop()
        node = Node(line)
        stack[-1][1].children.append(node)
        stack.append((depth, node))
    return root


_NOISE = re.compile(r"^(Building configuration|Current configuration|Last configuration change|"
                    r"!! |\w{3} \w{3} +\d+ \d\d:\d\d:\d\d|Load for |Time source is|"
                    r"version |<\S+>|\[\S+\]|\w+@\S+[>#])")


def parse_set(text: str) -> list[str]:
    """Junos `| display set` output -> its set and `deactivate` lines (a deactivated statement
    is printed as set lines, then `deactivate <statement>` after all of them), without prompts
    and headers."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith(("set ", DEACTIVATE))]


DEACTIVATE = "deactivate "   # a statement kept in the configuration without effect (Junos)


def managed_tree(tree: Node, syntax: ConfigSyntax, interfaces: set[str]) -> Node:
    """Only the sections oamkit owns: the policy's interfaces (and within them only OAM lines)
    and top-level blocks matching the platform's managed patterns (our profiles, global enables)."""
    out = Node("")
    for node in tree.children:
        if _managed_block(node.line, syntax, interfaces):
            _keep(out, node, syntax)
    return out


def managed_from_text(text: str, syntax: ConfigSyntax, interfaces: set[str]) -> Node:
    """`managed_tree(parse_indented(text), ...)` without building a tree of the whole
    configuration: only the blocks oamkit owns are parsed (a device's running config is
    mostly other teams' blocks, and every push reads it twice)."""
    out = Node("")
    blocks: list[list[str]] = []
    block: list[str] | None = None
    header_seen = False
    for raw in text.splitlines():
        if raw.startswith(" "):   # a block's body: parse_indented hangs it under the last header
            if block is not None:
                block.append(raw)
            elif not header_seen and raw.strip() and raw.strip() not in _SEPARATORS:
                # indented text before any header: parse_indented makes it top-level nodes
                return managed_tree(parse_indented(text), syntax, interfaces)
            continue
        line = raw.strip()
        if not line or line in _SEPARATORS or _NOISE.match(line):
            continue   # skipped by parse_indented too, without ending the block
        header_seen = True
        block = [raw] if _managed_block(line, syntax, interfaces) else None
        if block is not None:
            blocks.append(block)
    for lines in blocks:
        for node in parse_indented("\n".join(lines)).children:
            _keep(out, node, syntax)
    return out


def _managed_block(line: str, syntax: ConfigSyntax, interfaces: set[str]) -> bool:
    match = _pattern(syntax.interface_line).match(line)
    if match:
        return match.group(1) in interfaces
    return any(_pattern(p).match(line) for p in syntax.managed_top)


def _keep(out: Node, node: Node, syntax: ConfigSyntax) -> None:
    """Add a managed top-level block to `out`: of an interface, only the lines oamkit owns."""
    if _pattern(syntax.interface_line).match(node.line):
        owned = _pattern(syntax.managed_interface_lines)
        out.children.append(Node(node.line, [c for c in node.children if owned.match(c.line)]))
    else:
        out.children.append(node)


@functools.lru_cache(maxsize=256)
def _pattern(regex: str) -> re.Pattern:
    return re.compile(regex)


def desired_tree(rendered: str, syntax: ConfigSyntax) -> Node:
    """The tree a rendered configuration asks for. Shared between hosts whose rendered text is
    equal (most of a fleet): trees are never changed after parsing, here or by their users."""
    return _desired_tree(rendered, syntax.negate, syntax.default_on)


@functools.lru_cache(maxsize=1024)
def _desired_tree(rendered: str, negate: str, default_on: tuple[str, ...]) -> Node:
    tree = parse_indented(rendered)
    _drop_negations(tree, negate, {f"{negate} {line}" for line in default_on})
    return tree


def _drop_negations(node: Node, negate: str, stored: set[str]) -> None:
    """Without the rendered removals (`no ...`), but with the negations the device keeps as
    configuration (`stored`: of lines on by default)."""
    node.children = [c for c in node.children
                     if not c.line.startswith(negate + " ") or c.line in stored]
    for c in node.children:
        _drop_negations(c, negate, stored)


def _key(line: str, syntax: ConfigSyntax) -> str | None:
    return _key_of(line, syntax.value_keys)


@functools.lru_cache(maxsize=16384)
def _key_of(line: str, value_keys: tuple[str, ...]) -> str | None:
    # a fleet's configs repeat the same lines: each is matched against the patterns once
    for pattern in value_keys:
        match = re.match(pattern, line)
        if match:
            return match.group(1)
    return None


def _negation(line: str, syntax: ConfigSyntax) -> str:
    positive = _turned_off(line, syntax)
    if positive is not None:   # the default back: the line itself, not `no no ...`
        return positive
    if any(_pattern(p).match(line) for p in syntax.negate_whole):
        return f"{syntax.negate} {line}"
    return f"{syntax.negate} {_key(line, syntax) or line}"


def _turned_off(line: str, syntax: ConfigSyntax) -> str | None:
    """The default-on line (`ConfigSyntax.default_on`) that `line` turns off, if it does."""
    if line.startswith(syntax.negate + " ") and line[len(syntax.negate) + 1:] in syntax.default_on:
        return line[len(syntax.negate) + 1:]
    return None


def delta_indented(current: Node, desired: Node, syntax: ConfigSyntax) -> list[str]:
    """Commands (with mode-entry lines and exits) that turn `current` into `desired`.
    Desired blocks go first, in their order (profiles before the interfaces that use them);
    blocks that must disappear are removed last, once nothing refers to them."""
    commands: list[str] = []
    for node in desired.children:
        have = current.child(node.line)
        is_block = node.children or (have is not None and have.children) or \
            re.match(syntax.interface_line, node.line)
        if not is_block:
            if have is None:
                commands.append(node.line)
            continue
        body = _block_delta(have.children if have else [], node.children, syntax)
        if body or have is None:
            commands.append(node.line)
            commands.extend(body)
            commands.append(syntax.exit_command)
    for node in current.children:
        if desired.child(node.line) is None and not re.match(syntax.interface_line, node.line):
            commands.append(_negation(node.line, syntax))
        elif desired.child(node.line) is None:
            steps = [([_negation(c.line, syntax)], c.line) for c in node.children]
            steps = _while_absent({c.line: c for c in node.children}, set(), steps, syntax)
            body = [line for lines, _ in steps for line in lines]
            if body:
                commands.extend([node.line, *body, syntax.exit_command])
    return commands


def split_by_interface(managed, syntax: ConfigSyntax) -> dict:
    """The managed configuration (tree or set lines) in parts: one per interface, and under
    None what the interfaces share (profiles, templates, global enables)."""
    parts: dict = {}
    if isinstance(managed, Node):
        for node in managed.children:
            match = re.match(syntax.interface_line, node.line)
            parts.setdefault(match.group(1) if match else None, Node("")).children.append(node)
        return parts
    for line in managed:
        match = re.search(syntax.interface_line, line)
        parts.setdefault(match.group(1) if match else None, []).append(line)
    return parts


def _block_delta(have: list[Node], want: list[Node], syntax: ConfigSyntax) -> list[str]:
    have_by_line = {n.line: n for n in have}
    want_lines = {n.line for n in want}
    want_keys = {_key(n.line, syntax) for n in want} - {None}
    gone = [n.line for n in have
            if n.line not in want_lines and (_key(n.line, syntax) not in want_keys)]
    covering = [line for line in gone if line in syntax.removal_covers]
    # a covered line goes with its cover, and so does a default it turned off
    gone = [line for line in gone
            if not any((_turned_off(line, syntax) or line).startswith(c + " ") for c in covering)]
    # (lines sent, the configuration line they set or remove; None for a sub-block)
    removals: list[tuple[list[str], str | None]] = [([_negation(line, syntax)], line)
                                                    for line in gone]
    additions: list[tuple[list[str], str | None]] = []
    for n in want:
        old = have_by_line.get(n.line)
        if not n.children:
            if old is None:
                additions.append(([n.line], n.line))
            continue
        body = _block_delta(old.children if old else [], n.children, syntax)
        if body or old is None:
            additions.append(([n.line, *body, syntax.exit_command], None))
    steps = removals + _order_bounds(have_by_line, additions, syntax)
    steps = _while_absent(have_by_line, want_lines, steps, syntax)
    return [line for lines, _ in steps for line in lines]


def _bound(line: str | None, syntax: ConfigSyntax) -> tuple[str, str, str] | None:
    """(pair, "low"|"high", value) of a line `ConfigSyntax.ordered_bounds` names."""
    for pattern in syntax.ordered_bounds if line is not None else ():
        match = _pattern(pattern).match(line)
        if match:
            return match.group("pair"), match.group("bound"), match.group("value")
    return None


def _below(low: str, high: str | None, syntax: ConfigSyntax) -> bool:
    """Whether the device takes `low` under `high` (None: no high line, no upper bound)."""
    if high is None or high == syntax.unbounded:
        return True
    if low.isdigit() and high.isdigit():
        return int(low) < int(high)
    return True   # nothing to compare: the order the template gives


def _order_bounds(have: dict[str, Node], steps: list, syntax: ConfigSyntax) -> list:
    """`steps` with each pair of bounds the delta changes both of in the order the device
    takes line by line: the low one first if it is below the high one the block holds now
    (lowering), the high one first otherwise (raising: the new high is above the new low,
    which is at least the current high, itself above the current low)."""
    if not syntax.ordered_bounds:
        return steps
    current_high: dict[str, str] = {}
    for line in have:
        found = _bound(line, syntax)
        if found and found[1] == "high":
            current_high[found[0]] = found[2]
    at: dict[str, dict[str, int]] = {}
    for i, (_, line) in enumerate(steps):
        found = _bound(line, syntax)
        if found:
            at.setdefault(found[0], {})[found[1]] = i
    steps = list(steps)
    for pair, where in at.items():
        if len(where) < 2:
            continue
        new_low = _bound(steps[where["low"]][1], syntax)[2]
        first = "low" if _below(new_low, current_high.get(pair), syntax) else "high"
        if where[first] > min(where.values()):
            steps[where["low"]], steps[where["high"]] = steps[where["high"]], steps[where["low"]]
    return steps


def _while_absent(have: dict[str, Node], want_lines: set[str], steps: list,
                  syntax: ConfigSyntax) -> list:
    """Changes (set or removed) of lines the device takes only while another line of the block
    is absent (`ConfigSyntax.while_absent`). Where that line is there and stays: its negation,
    the changes together, the line again, at the first change (steps in between that need the
    line follow it). Where it goes: its removal before the first change."""
    for rule in syntax.while_absent:
        if rule.absent not in have:
            continue   # not there: nothing to lift (being enabled now: the template sets it last)
        hits = [i for i, (_, line) in enumerate(steps)
                if line is not None and line != rule.absent and _pattern(rule.lines).match(line)]
        if not hits:
            continue
        first = hits[0]
        if rule.absent in want_lines:
            rest = [step for i, step in enumerate(steps) if i > first and i not in hits]
            steps = [*steps[:first], ([_negation(rule.absent, syntax)], None),
                     *(steps[i] for i in hits), ([rule.absent], None), *rest]
            continue
        going = [i for i, (_, line) in enumerate(steps) if line == rule.absent]
        if going and going[0] > first:
            removal = steps[going[0]]
            steps = [*steps[:first], removal, *(s for i, s in enumerate(steps)
                                                 if i >= first and i != going[0])]
    return steps


def delta_notes(commands: list[str], syntax: ConfigSyntax) -> list[str]:
    """What a human must know about `commands` beyond the lines themselves: a line the
    device must lose for a moment (`WhileAbsent.note`), per block: its negation, a change of
    the lines it guards (set or removed), the line again."""
    notes: list[str] = []
    block = None
    lifted: dict[str, bool] = {}   # line lifted in this block -> a guarded line changed since
    prefix = syntax.negate + " "
    for line in commands:
        match = _pattern(syntax.interface_line).match(line)
        if match:
            block, lifted = match.group(1), {}
            continue
        bare = line[len(prefix):] if line.startswith(prefix) else line
        for rule in syntax.while_absent:
            if not rule.note:
                continue
            if line == _negation(rule.absent, syntax):
                lifted[rule.absent] = False
            elif rule.absent in lifted and bare != rule.absent and _pattern(rule.lines).match(bare):
                lifted[rule.absent] = True
            elif line == rule.absent and lifted.pop(rule.absent, False):
                note = rule.note.format(block=block)
                if note not in notes:
                    notes.append(note)
    return notes


def _set_entry(line: str, syntax: ConfigSyntax) -> str | None:
    """The list entry a set line belongs to (`set ... interface ge-0/0/0`), if oamkit owns it."""
    for pattern in (syntax.interface_line, *syntax.managed_top):
        match = re.search(pattern, line)
        if match:
            return line[:match.end()]
    return None


def delta_set(current: list[str], desired: list[str], syntax: ConfigSyntax) -> list[str]:
    """Junos: `set` what is missing, `delete` what is not wanted (by key for value leaves).
    An entry nothing wants any more is deleted whole: deleting its leaves one by one would
    leave the bare entry (`set ... interface ge-0/0/0`) behind, as Junos does."""
    have = set(current)
    want_keys = {_key(line, syntax) for line in desired} - {None}
    wanted_entries = {_set_entry(line, syntax) for line in desired} - {None}
    removals, activations = [], []
    for line in current:
        if line in desired:
            continue
        if line.startswith(DEACTIVATE):
            # a statement someone deactivated has no effect on the device: what is wanted
            # in it is activated (a statement nothing wants goes with its entry's delete)
            statement = line.removeprefix(DEACTIVATE)
            key = _key("set " + statement, syntax)
            if any(d == "set " + statement or d.startswith(f"set {statement} ") for d in desired):
                activations.append("activate " + statement)
            elif key is not None and key in want_keys:   # a leaf wanted with another value:
                removals.append("delete " + key.removeprefix("set "))   # set again, active
            continue
        if line.removeprefix("set ") in syntax.presence_containers:
            if not any(d.startswith(line + " ") for d in desired):   # entries refill it otherwise
                removals.append("delete " + line.removeprefix("set "))
            continue
        entry = _set_entry(line, syntax)
        if entry is not None and entry not in wanted_entries:
            command = "delete " + entry.removeprefix("set ")
            if command not in removals:
                removals.append(command)
            continue
        key = _key(line, syntax)
        if key is not None and key in want_keys:
            continue  # replaced by a `set` of the same leaf
        removals.append("delete " + (key or line).removeprefix("set "))
    return removals + [line for line in desired if line not in have] + activations


def _above_ownership(syntax: ConfigSyntax) -> set[str]:
    """The statements that hold oamkit's part without being oamkit's: the hierarchy above each
    presence container (Junos `protocols`, `protocols oam`, `protocols oam ethernet`)."""
    return {" ".join(words[:i]) for container in syntax.presence_containers
            for words in [container.split()] for i in range(1, len(words))}


def deactivated_above(lines: list[str], syntax: ConfigSyntax) -> list[str]:
    """The statements above oamkit's part that someone deactivated (`deactivate protocols
    oam`): everything under them, oamkit's part included, has no effect on the device. Not
    oamkit's to activate: other teams' configuration lives under them too."""
    above = _above_ownership(syntax)
    return [line.removeprefix(DEACTIVATE) for line in lines
            if line.startswith(DEACTIVATE) and line.removeprefix(DEACTIVATE) in above]


def managed_set_lines(lines: list[str], syntax: ConfigSyntax, interfaces: set[str]) -> list[str]:
    bare = {f"set {container}" for container in syntax.presence_containers}
    out = []
    for line in lines:
        if line in bare or line.removeprefix(DEACTIVATE) in syntax.presence_containers:
            # an empty presence container (left by removing our entries), or deactivated; a
            # statement above it deactivated is not oamkit's part (`deactivated_above`): kept
            # out of deltas, backups and reviews alike
            out.append(line)
            continue
        match = re.search(syntax.interface_line, line)
        if match:
            if match.group(1) in interfaces:
                out.append(line)
        elif any(re.search(p, line) for p in syntax.managed_top):
            out.append(line)
    return out
