"""Compare a NETCONF payload with what the device holds, leaf by leaf, locally.

`oamkit diff` over NETCONF must send no configuration operation, so the delta is computed here
from a get-config reply, not by editing the candidate. Both sides are flattened to
(path, value) leaves where list entries carry their keys (`profile[profile=OAMKIT-X]`); only the
entries and paths oamkit owns (platform data `NetconfModel`) are compared.
"""
from __future__ import annotations

import copy
import re

from lxml import etree

from oamkit.platforms.base import NetconfModel

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
PROFILE_PREFIX = "OAMKIT-"


def _local(el) -> str:
    return etree.QName(el).localname


def _keys(el, model: NetconfModel) -> dict[str, str]:
    names = model.list_keys.get(_local(el), ())
    found = {}
    for child in el:
        if isinstance(child.tag, str) and _local(child) in names:
            found[_local(child)] = (child.text or "").strip()
    return found if len(found) == len(names) and names else {}


# A key value may hold any character (XR's profile names allow `,` and `=`; another operator's
# list entry may hold `]`): in a path the separators inside values are escaped with a backslash,
# and `_parse_path` reads them back exactly.
_ESCAPED = re.compile(r"([\\,=\[\]])")
_NAME = re.compile(r"[^/\[\]]+")


def _escape(value: str) -> str:
    return _ESCAPED.sub(r"\\\1", value)


def _segment(el, model: NetconfModel) -> str:
    keys = _keys(el, model)
    name = _local(el)
    return f"{name}[{','.join(f'{k}={_escape(v)}' for k, v in keys.items())}]" if keys else name


_SEGMENT = re.compile(r"([^/\[\]]+)(?:\[((?:[^\\\]]|\\.)*)\])?(?:/|$)")
_KEY = re.compile(r"((?:[^\\,=]|\\.)*)=((?:[^\\,]|\\.)*)(?:,|$)")
_UNESCAPE = re.compile(r"\\(.)")


def _parse_path(path: str) -> list[tuple[str, dict[str, str]]]:
    """`flatten`'s path read back: [(element name, {key: value})] per segment, values unescaped."""
    segments, i = [], 0
    while i < len(path):
        found = _SEGMENT.match(path, i)
        if found is None:
            raise ValueError(f"not a path of xmlcompare: {path!r} (at {i})")
        keys = {}
        if found.group(2) is not None:
            keys = {_UNESCAPE.sub(r"\1", k): _UNESCAPE.sub(r"\1", v)
                    for k, v in _KEY.findall(found.group(2))}
        segments.append((found.group(1), keys))
        i = found.end()
    return segments


def _on_owned_path(segments: list[tuple[str, dict[str, str]]], model: NetconfModel) -> bool:
    """Whether a path's element names (not its key values) lie on the owned path."""
    return re.search(model.owned_path, "/".join(name for name, _ in segments)) is not None


REMOVING = ("remove", "delete")


def _removed(el) -> bool:
    """An edit-config payload's element that takes its subtree away (nc:operation remove or
    delete): it is no leaf the device must hold afterwards, but its absence."""
    return el.get(f"{{{NC_NS}}}operation") in REMOVING


def flatten(root, model: NetconfModel) -> dict[str, str]:
    """{path: value} for every leaf under `root` (a <config>/<data> element), and `path/@flag`
    for each of the model's flags an element carries. In a payload, a subtree marked for removal
    has no leaves: what it names must be absent afterwards."""
    out: dict[str, str] = {}

    def walk(el, path: str, key_names: tuple[str, ...]):
        for flag in model.flags:
            if el.get(flag) is not None:
                out[f"{path}/@{flag}"] = el.get(flag)
        children = [c for c in el if isinstance(c.tag, str)]
        if not children:
            out[path] = (el.text or "").strip()
            return
        names = model.list_keys.get(_local(el), ()) if _keys(el, model) else ()
        for child in children:
            if _local(child) in names or _removed(child):
                continue
            walk(child, f"{path}/{_segment(child, model)}", names)

    for top in root:
        if isinstance(top.tag, str) and not _removed(top):
            walk(top, _segment(top, model), ())
    return out


def deactivated_above(root, model: NetconfModel) -> list[str]:
    """The paths of elements above the owned path that carry one of the model's flags (Junos
    `<oam inactive="inactive">`): what lies under them, oamkit's part included, has no effect
    on the device. `root` is a reply to the driver's filter, so every element in it is on the
    way to oamkit's part."""
    found = []

    def walk(el, path: str) -> None:
        here = f"{path}/{_segment(el, model)}" if path else _segment(el, model)
        if _on_owned_path(_parse_path(here), model):
            return
        if any(el.get(flag) is not None for flag in model.flags):
            found.append(here)
        for child in el:
            if isinstance(child.tag, str):
                walk(child, here)

    for top in root:
        if isinstance(top.tag, str):
            walk(top, "")
    return found


def _entry_key(path: str | list, model: NetconfModel, kind: str) -> list[str]:
    """The names of the `kind` ("intent" | "profile") list entries on `path` (or its segments)."""
    keys = []
    for name, values in (_parse_path(path) if isinstance(path, str) else path):
        if values and model.managed_lists.get(name) == kind:
            keys.append(values.get("interface-name") or values.get("name") or values.get("profile") or "")
    return keys


def owned(leaves: dict[str, str], model: NetconfModel, interfaces: set[str]) -> dict[str, str]:
    """The leaves oamkit manages: under our interfaces or our OAMKIT-* profiles, on the owned path."""
    kept = {}
    for path, value in leaves.items():
        segments = _parse_path(path)
        if not _on_owned_path(segments, model):
            continue
        intents = _entry_key(segments, model, "intent")
        profiles = _entry_key(segments, model, "profile")
        if any(i not in interfaces for i in intents):
            continue
        if any(not p.startswith(PROFILE_PREFIX) for p in profiles):
            continue
        if not intents and not profiles:
            continue
        kept[path] = value
    return kept


def delta(current: dict[str, str], desired: dict[str, str]) -> list[str]:
    """Human-readable changes: `+ path = value` to set, `- path` to remove."""
    lines = [f"+ {p} = {v}" if v else f"+ {p}" for p, v in desired.items() if current.get(p) != v]
    lines += [f"- {p}" for p in current if p not in desired]
    return lines


def stale_profiles(current_root, desired: dict[str, str], model: NetconfModel) -> list[str]:
    """`<config>` snippets deleting OAMKIT-* profiles the device has and the intent no longer uses."""
    wanted = {k for p in desired for k in _entry_key(p, model, "profile")}
    snippets = []
    for el in current_root.iter():
        if not isinstance(el.tag, str) or model.managed_lists.get(_local(el)) != "profile":
            continue
        key = next(iter(_keys(el, model).values()), None)
        if not key or not key.startswith(PROFILE_PREFIX) or key in wanted:
            continue
        snippets.append(_delete_snippet(el, model))
    return snippets


def _delete_snippet(entry, model: NetconfModel) -> str:
    return etree.tostring(_snippet(entry, model, "delete", with_content=False)).decode()


def _snippet(element, model: NetconfModel, operation: str, with_content: bool):
    """A `<config>` holding `element` with `operation` on it, inside its ancestors (each list
    entry with its keys, so the device finds the same place). Without content, the element
    keeps only its own keys (enough to name it for a delete or remove)."""
    node = copy.deepcopy(element) if with_content else _bare(element, model)
    node.set(f"{{{NC_NS}}}operation", operation)
    parent = element.getparent()
    while parent is not None and _local(parent) not in ("data", "config"):
        wrapper = _bare(parent, model)
        wrapper.append(node)
        node, parent = wrapper, parent.getparent()
    config = etree.Element(f"{{{NC_NS}}}config", nsmap={None: NC_NS, "nc": NC_NS})
    config.append(node)
    return config


def _bare(element, model: NetconfModel):
    """A copy of `element` with only its list keys (none for a container)."""
    bare = etree.Element(element.tag, nsmap=element.nsmap)
    for child in element:
        if isinstance(child.tag, str) and _local(child) in model.list_keys.get(_local(element), ()):
            bare.append(copy.deepcopy(child))
    return bare


def _merge(into, other, model: NetconfModel) -> None:
    """Fold `other`'s children into `into`, sharing containers and list entries (same keys)."""
    for child in other:
        if child.get(f"{{{NC_NS}}}operation") is None:
            same = next((c for c in into if c.tag == child.tag and c.get(f"{{{NC_NS}}}operation") is None
                         and _keys(c, model) == _keys(child, model)), None)
            if same is not None:
                _merge(same, child, model)
                continue
        into.append(child)


def owned_units(root, model: NetconfModel, interfaces: set[str]) -> dict[str, object]:
    """The smallest subtrees that hold only oamkit's leaves, by path: an OAMKIT-* profile entry;
    under one of our interfaces' entries, the first element on the owned path (or the entry
    itself when it already sits on the owned path, as Junos' link-fault-management interface)."""
    units: dict[str, object] = {}

    def walk(el, path: str, in_intent: bool):
        segment = _segment(el, model)
        here = f"{path}/{segment}" if path else segment
        keys = _keys(el, model)
        kind = model.managed_lists.get(_local(el)) if keys else None
        if kind == "profile":
            if next(iter(keys.values()), "").startswith(PROFILE_PREFIX):
                units[here] = el
            return
        if kind == "intent":
            name = keys.get("interface-name") or keys.get("name") or ""
            if name not in interfaces:
                return
            in_intent = True
        if in_intent and _on_owned_path(_parse_path(here), model):
            units[here] = el
            return
        for child in el:
            if isinstance(child.tag, str) and _local(child) not in (
                    model.list_keys.get(_local(el), ()) if kind else ()):
                walk(child, here, in_intent)

    for top in root:
        if isinstance(top.tag, str):
            walk(top, "", False)
    return units


def restore_edits(backup_root, current_root, model: NetconfModel, interfaces: set[str]) -> list[str]:
    """The `<config>` that makes oamkit's part of running equal to a backup's again, in one
    edit (the device sees the whole restore at once, as a push's payload): each owned subtree
    the backup holds and running does not hold the same way is replaced by the backup's copy;
    each one only running holds is removed. Nothing outside them is touched."""
    before = owned_units(backup_root, model, interfaces)
    now = owned_units(current_root, model, interfaces)
    parts = [_snippet(el, model, "replace", with_content=True) for path, el in before.items()
             if path not in now or _flat(el, model) != _flat(now[path], model)]
    created = {path: el for path, el in now.items() if path not in before}
    parts += [_snippet(el, model, "remove", with_content=False)
              for el in _created_tops(created, backup_root, model).values()]
    if not parts:
        return []
    config = parts[0]
    for part in parts[1:]:
        _merge(config, part, model)
    return [etree.tostring(config).decode()]


def _paths(root, model: NetconfModel) -> dict[str, object]:
    """Every element under `root` by its path (list entries with their keys, as `flatten`)."""
    found: dict[str, object] = {}

    def walk(el, path: str):
        for child in el:
            if isinstance(child.tag, str):
                here = f"{path}/{_segment(child, model)}" if path else _segment(child, model)
                found.setdefault(here, child)
                walk(child, here)

    walk(root, "")
    return found


def _created_tops(created: dict[str, object], backup_root, model: NetconfModel) -> dict[str, object]:
    """What to remove so that running holds again exactly what the backup held: for each owned
    unit the backup lacks, its highest ancestor the backup lacks too (a list entry or container
    the push created, which removing the unit alone would leave behind, key-only or empty), as
    long as that ancestor holds nothing but units being removed; otherwise the unit itself.
    The backup is a whole get-config of these top-level containers, so an element it lacks did
    not exist before the push."""
    existed = set(_paths(backup_root, model))
    tops: dict[str, object] = {}
    for path, unit in created.items():
        top_path, top = path, unit
        parent = unit.getparent()
        while parent is not None and parent.getparent() is not None:   # not the <data> root
            parent_path = _path_of(parent, model)
            if parent_path in existed or not _only_units(parent, created, model):
                break
            top_path, top = parent_path, parent
            parent = parent.getparent()
        tops[top_path] = top
    return {p: el for p, el in tops.items()
            if not any(p.startswith(other + "/") for other in tops)}


def _path_of(element, model: NetconfModel) -> str:
    """`element`'s path from below the <data>/<config> root, as `flatten` writes it."""
    segments = []
    while element is not None and element.getparent() is not None:
        segments.append(_segment(element, model))
        element = element.getparent()
    return "/".join(reversed(segments))


def _only_units(element, units: dict[str, object], model: NetconfModel) -> bool:
    """Every leaf under `element` lies inside one of `units` (paths)."""
    parent = element.getparent()
    above = _path_of(parent, model) if parent is not None else ""
    for leaf in _flat(element, model):
        full = f"{above}/{leaf}" if above else leaf
        if not any(full == u or full.startswith(u + "/") for u in units):
            return False
    return True


def _flat(element, model: NetconfModel) -> dict[str, str]:
    holder = etree.Element("data")
    holder.append(copy.deepcopy(element))
    return flatten(holder, model)


INTERFACE_KEYS = ("interface-name", "name")   # the key of an intent list entry naming the interface


def filter_for(payload_root, model: NetconfModel | None = None, interfaces=()) -> str:
    """A subtree filter for the part of the configuration oamkit compares, not the whole
    datastore (a PE router's configuration runs to megabytes, read three times a push): the
    payload's containers down to its lists, every entry of the profile lists (an OAMKIT-*
    profile no intent names any more is stale), and of the interface lists the entries of
    `interfaces` (the managed ones, also those only a backup names), selected by their keys.
    Without a model: the payload's top-level containers."""
    filt = etree.Element(f"{{{NC_NS}}}filter", type="subtree")
    for top in payload_root:
        if not isinstance(top.tag, str):
            continue
        node = etree.SubElement(filt, top.tag, nsmap={None: etree.QName(top).namespace})
        if model is not None:
            _filter_children(top, node, model, sorted(interfaces))
    return etree.tostring(filt).decode()


def _filter_children(el, node, model: NetconfModel, interfaces: list[str]) -> None:
    done: set[str] = set()
    for child in el:
        if not isinstance(child.tag, str) or child.tag in done:
            continue
        kind = model.managed_lists.get(_local(child)) if _keys(child, model) else None
        if kind == "intent":
            done.add(child.tag)
            for name in interfaces:   # each entry, its keys as content match: the whole entry
                entry = etree.SubElement(node, child.tag)
                for key in model.list_keys[_local(child)]:
                    template = next(c for c in child if isinstance(c.tag, str) and _local(c) == key)
                    etree.SubElement(entry, template.tag).text = \
                        name if key in INTERFACE_KEYS else (template.text or "").strip()
        elif kind == "profile" or not any(isinstance(c.tag, str) for c in child):
            done.add(child.tag)
            etree.SubElement(node, child.tag)   # a selection node: all of it
        else:
            _filter_children(child, etree.SubElement(node, child.tag), model, interfaces)
