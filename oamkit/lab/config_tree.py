"""The configuration tree the lab's devices keep: ordered config lines with their sub-mode
lines as children, plus the diffs the CLIs print (``show configuration``, ``show archive config
differences``...).

Kept apart from ``device`` because every layer reads it (device state, the CLI personalities,
show output, the NETCONF translators) while only a few need the runtime model. ``device``
re-exports ``ConfigTree`` and ``diff_text``: its docstring is the contract for both.
"""
from __future__ import annotations

from typing import Iterator


class ConfigTree:
    """An ordered tree of config lines. The root has ``line == ""``."""

    __slots__ = ("line", "children")

    def __init__(self, line: str = "", children: list["ConfigTree"] | None = None) -> None:
        self.line = line
        self.children: list[ConfigTree] = children if children is not None else []

    # -- basics
    def copy(self) -> "ConfigTree":
        return ConfigTree(self.line, [c.copy() for c in self.children])

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ConfigTree) and self.line == other.line
                and self.children == other.children)

    def __repr__(self) -> str:
        return f"ConfigTree({self.line!r}, {len(self.children)} children)"

    def __bool__(self) -> bool:  # an empty tree is still a tree; never falsy by accident
        return True

    def is_empty(self) -> bool:
        return not self.children

    def child(self, line: str) -> "ConfigTree | None":
        for c in self.children:
            if c.line == line:
                return c
        return None

    def find_prefix(self, key: str) -> list["ConfigTree"]:
        """Children whose line is ``key`` or starts with ``key + ' '``."""
        spaced = key + " "
        return [c for c in self.children if c.line == key or c.line.startswith(spaced)]

    # -- path operations
    def get(self, path: list[str]) -> "ConfigTree | None":
        node: ConfigTree | None = self
        for line in path:
            node = node.child(line) if node is not None else None
        return node

    def set(self, path: list[str], replace_key: str | None = None) -> "ConfigTree":
        """Create every missing node of ``path`` and return the last one. With ``replace_key``, a
        sibling of the last node matching the key (see ``find_prefix``) is replaced in place."""
        node = self
        for i, line in enumerate(path):
            existing = node.child(line)
            if existing is None and replace_key is not None and i == len(path) - 1:
                olds = node.find_prefix(replace_key)
                if olds:
                    idx = node.children.index(olds[0])
                    for o in olds:
                        node.children.remove(o)
                    existing = ConfigTree(line)
                    node.children.insert(idx, existing)
            if existing is None:
                existing = ConfigTree(line)
                node.children.append(existing)
            node = existing
        return node

    def delete(self, path: list[str]) -> bool:
        if not path:
            return False
        parent = self.get(path[:-1])
        if parent is None:
            return False
        node = parent.child(path[-1])
        if node is None:
            return False
        parent.children.remove(node)
        return True

    def delete_prefix(self, parent_path: list[str], key: str) -> int:
        """Delete children of ``parent_path`` matching ``key`` (exact or ``key + ' '`` prefix)."""
        parent = self.get(parent_path)
        if parent is None:
            return 0
        olds = parent.find_prefix(key)
        for o in olds:
            parent.children.remove(o)
        return len(olds)

    def paths(self, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
        """Every leaf path (a node without children), depth first, in order."""
        for c in self.children:
            p = (*prefix, c.line)
            if c.children:
                yield from c.paths(p)
            else:
                yield p

    def all_paths(self, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
        """Every node path (inner nodes included), depth first."""
        for c in self.children:
            p = (*prefix, c.line)
            yield p
            yield from c.all_paths(p)

    # -- text forms
    def to_text(self, indent: str = " ", separator: str | None = None) -> str:
        """Indented text, one line per node. ``separator`` (e.g. "!" or "#") is written after
        every top-level block that has children, the way IOS/Huawei show their config."""
        out: list[str] = []

        def walk(node: ConfigTree, depth: int) -> None:
            for c in node.children:
                out.append(indent * depth + c.line)
                walk(c, depth + 1)
                if depth == 0 and separator is not None and c.children:
                    out.append(separator)

        walk(self, 0)
        return "\n".join(out) + ("\n" if out else "")

    @classmethod
    def from_text(cls, text: str, comment_chars: str = "!#") -> "ConfigTree":
        """Parse indented text (any consistent indentation). Lines starting with a comment char,
        ``end``, ``return`` and ``Building configuration...`` are skipped."""
        root = cls()
        stack: list[tuple[int, ConfigTree]] = [(-1, root)]
        for raw in text.splitlines():
            if not raw.strip():
                continue
            stripped = raw.strip()
            if stripped[0] in comment_chars or stripped in ("end", "return") or \
                    stripped.startswith("Building configuration"):
                continue
            depth = len(raw) - len(raw.lstrip(" "))
            while stack and stack[-1][0] >= depth:
                stack.pop()
            node = ConfigTree(stripped)
            stack[-1][1].children.append(node)
            stack.append((depth, node))
        return root

    def diff(self, other: "ConfigTree") -> list[tuple[str, tuple[str, ...]]]:
        """What changes ``self`` into ``other``: ``[("-", path), ("+", path), ...]`` over every
        node path (removed subtrees are reported once, at their top)."""
        return _diff(self, other, ())


def _diff(old: ConfigTree, new: ConfigTree, prefix: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    out: list[tuple[str, tuple[str, ...]]] = []
    new_lines = {c.line for c in new.children}
    old_lines = {c.line for c in old.children}
    for c in old.children:
        if c.line not in new_lines:
            out.append(("-", (*prefix, c.line)))
    for c in new.children:
        p = (*prefix, c.line)
        if c.line not in old_lines:
            out.append(("+", p))
            out.extend(("+", (*p, *q)) for q in c.all_paths())
        else:
            out.extend(_diff(old.child(c.line), c, p))  # type: ignore[arg-type]
    return out


def diff_text(old: ConfigTree, new: ConfigTree, indent: str = " ") -> str:
    """A readable diff: changed lines with their parents as context, ``+``/``-`` markers."""
    lines: list[str] = []
    shown_context: set[tuple[str, ...]] = set()
    for sign, path in old.diff(new):
        for depth in range(len(path) - 1):
            ctx = path[: depth + 1]
            if ctx not in shown_context:
                shown_context.add(ctx)
                lines.append("  " + indent * depth + ctx[-1])
        lines.append(f"{sign} " + indent * (len(path) - 1) + path[-1])
        shown_context.add(path)
        if sign == "-":
            node = old.get(list(path))
            if node is not None:
                for sub in node.all_paths():
                    lines.append("- " + indent * (len(path) + len(sub) - 1) + sub[-1])
    return "\n".join(lines) + ("\n" if lines else "")
