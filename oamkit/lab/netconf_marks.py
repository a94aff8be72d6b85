"""Junos' deactivated statements on the way to the lab's managed node, in NETCONF.

A statement above `link-fault-management` can be deactivated (`deactivate protocols oam`,
`<oam inactive="inactive">`). The device tree keeps its `inactive: ` mark, so the lab, reading
only active statements, runs no LFM under it; the XML carries the mark on that element, as
Junos returns it. An edit changes a mark only as Junos does: `inactive="inactive"` sets it, an
element the datastore held with its mark and the edit activated (`active="active"`) loses it,
and an edit that merely reaches through the element leaves it as it was.
"""
from __future__ import annotations

from lxml import etree

from oamkit.lab.config_tree import ConfigTree
from oamkit.lab.netconf_xml import elements, local

INACTIVE = "inactive: "   # a deactivated statement, as Junos prints it (`inactive: interface X {`)


def path_marks(tree: ConfigTree, path: list[str]) -> list[bool]:
    """Whether each statement along `path` is deactivated, as far as the path exists."""
    marks, node = [], tree
    for line in path:
        found = node.child(line) or node.child(INACTIVE + line)
        if found is None:
            break
        marks.append(found.line.startswith(INACTIVE))
        node = found
    return marks


def with_marks(tree: ConfigTree, path: list[str], marks: list[bool]) -> ConfigTree:
    """A copy of `tree` whose statements along `path` carry the `inactive: ` marks given."""
    new = node = tree.copy()
    for line, inactive in zip(path, marks):
        found = node.child(line) or node.child(INACTIVE + line)
        if found is None:
            break
        found.line = INACTIVE + line if inactive else line
        node = found
    return new


def _along(top: etree._Element, names: tuple[str, ...]) -> list[etree._Element | None]:
    out: list[etree._Element | None] = []
    el: etree._Element | None = top
    for name in names:
        el = next((c for c in elements(el) if local(c) == name), None) if el is not None else None
        out.append(el)
    return out


def mark_xml(elems: list[etree._Element], xml_root: tuple[str, ...], marks: list[bool]) -> None:
    """Put `inactive="inactive"` on the elements along `xml_root` (below its top) marked so."""
    for top in elems:
        for el, inactive in zip(_along(top, xml_root[1:]), marks):
            if el is not None and inactive:
                el.set("inactive", "inactive")


def marks_after(elems: list[etree._Element], xml_root: tuple[str, ...], before: list[bool],
                seeded: bool) -> list[bool]:
    """The marks along the path once the datastore `elems` is applied. `seeded`: the datastore
    was built from a view holding the path with its marks (so a mark gone was activated)."""
    top = next((t for t in elems if local(t) == xml_root[0]), None)
    found = _along(top, xml_root[1:]) if top is not None else [None] * (len(xml_root) - 1)
    marks = []
    for i, el in enumerate(found):
        had = before[i] if i < len(before) else False
        if el is not None and el.get("inactive") == "inactive":
            marks.append(True)
        else:
            marks.append(False if el is not None and seeded else had)
    return marks
