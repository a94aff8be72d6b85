"""Before/after diffs a human reviews (like Ansible's `--diff`), beside the commands a change
sends: what oamkit's part of the device holds now and what it will hold, per section.

CLI (indented or `set` configuration): one section per interface (and one, `section: null`,
for what the interfaces share: profiles, templates), each with the managed lines before and
after and a unified diff of them whose context is the whole stanza. The device may list lines
in another order than the template renders them: the lines both sides share are put in the
device's order first, so a reorder alone never shows as a change.

NETCONF: one entry per leaf that differs, with its path, old value and new value (None where
the leaf is absent on that side).
"""
from __future__ import annotations

import difflib
import threading

from oamkit import configtext


# ---------------------------------------------------------------------------- CLI
def cli_sections(syntax, current, wanted, current_text: str | None = None) -> list[dict]:
    """[{section, before, after, unified}] for every part of the managed configuration that
    differs between `current` and `wanted` (a `configtext.Node` tree or `set` lines).
    `current_text`: `configtext.as_text(current)` when the caller has it already (a read
    snapshot's backup text).

    A fleet's hosts mostly hold the same managed configuration and want the same one: equal
    texts get one computation (each host its own dicts; the line lists inside are shared and
    only ever read)."""
    if current_text is None:
        current_text = configtext.as_text(current)
    key = (syntax, current_text, configtext.as_text(wanted))
    sections = _computed.get(key)
    if sections is None:
        sections = _cli_sections(syntax, current, wanted)
        with _computing:   # hosts on worker threads too
            if len(_computed) >= _COMPUTED_SIZE:
                _computed.pop(next(iter(_computed)))
            _computed[key] = sections
    return [dict(section) for section in sections]


_COMPUTED_SIZE = 256
_computed: dict[tuple, list[dict]] = {}
_computing = threading.Lock()


def _cli_sections(syntax, current, wanted) -> list[dict]:
    have = configtext.split_by_interface(current, syntax)
    want = configtext.split_by_interface(wanted, syntax)
    out = []
    for key in [*want, *(k for k in have if k not in want)]:
        old, new = have.get(key), want.get(key)
        if isinstance(current, list) or isinstance(wanted, list):   # `set` lines
            before = list(old or [])
            after = _align(before, list(new or []))
        else:
            old_node = old or configtext.Node("")
            before = old_node.lines()
            after = _align_tree(old_node, new or configtext.Node("")).lines()
        if before == after:
            continue
        out.append({"section": key, "before": before, "after": after,
                    "unified": unified(before, after)})
    return out


def unified(before: list[str], after: list[str]) -> list[str]:
    """`difflib.unified_diff` with the whole section as context (a stanza is a few lines)."""
    context = max(len(before), len(after))
    return list(difflib.unified_diff(before, after, "running", "intent", lineterm="", n=context))


def _align(before: list[str], after: list[str]) -> list[str]:
    """`after`, with the lines it shares with `before` in `before`'s order; every other line
    follows the shared line it followed in `after` (or leads, if none preceded it)."""
    shared = set(before) & set(after)
    following: dict[str | None, list[str]] = {None: []}
    anchor = None
    for line in after:
        if line in shared:
            anchor = line
            following.setdefault(line, [])
        else:
            following.setdefault(anchor, []).append(line)
    out = list(following[None])
    for line in dict.fromkeys(before):
        if line in shared:
            out += [line, *following.get(line, [])]
    return out


def _align_tree(before, after):
    """`_align` for configuration trees, level by level."""
    old = {c.line: c for c in before.children}
    new = {c.line: c for c in after.children}
    order = _align([c.line for c in before.children], [c.line for c in after.children])
    return configtext.Node(after.line, [
        _align_tree(old[line], new[line]) if line in old else new[line] for line in order])


# ---------------------------------------------------------------------------- NETCONF
def netconf_leaves(current: dict[str, str], wanted: dict[str, str]) -> list[dict]:
    """[{path, before, after}] for every owned leaf whose value changes, appears or goes."""
    changed = [{"path": p, "before": current.get(p), "after": v}
               for p, v in wanted.items() if current.get(p) != v]
    return changed + [{"path": p, "before": v, "after": None}
                      for p, v in current.items() if p not in wanted]


def leaf_line(entry: dict) -> str:
    """One NETCONF leaf change as a reviewer reads it."""
    path, old, new = entry["path"], entry["before"], entry["after"]
    if old is None:
        return f"+ {path} = {new}"
    if new is None:
        return f"- {path} = {old}"
    return f"~ {path}: {old!r} -> {new!r}"
