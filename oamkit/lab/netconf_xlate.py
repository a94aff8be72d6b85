"""Translators between the device's CLI configuration (``ConfigTree``) and NETCONF XML.

NETCONF and the CLI share one configuration: every NETCONF read builds the XML *view* of the
link-OAM part of a ConfigTree, and every NETCONF write turns XML back into ConfigTree lines in
that part only (everything else in the tree is kept as it is).

- ``cisco_xr``: Cisco-IOS-XR-ifmgr-cfg / l2-eth-infra-cfg / ethernet-link-oam-cfg <->
  ``ethernet oam profile NAME`` blocks and ``interface X`` / ``ethernet oam`` sub-blocks, in the
  syntax of docs/rendered-syntax.md. CLI lines the translator does not know are kept in place.
- ``junos``: Junos XML ``configuration/protocols/oam/ethernet/link-fault-management`` <-> the
  Junos tree (hierarchy = elements, lists keyed by ``<name>``), mechanically.
- ``ieee``: ietf-interfaces + the IEEE 802.3.2 link-oam shape <-> a neutral subtree kept under
  the top-level line ``ieee802-link-oam`` (mechanically, same rules as Junos).
"""
from __future__ import annotations

from typing import Callable

from lxml import etree

from oamkit.lab.device import ConfigTree
from oamkit.lab.grammar import NoMatch
from oamkit.lab.netconf_marks import INACTIVE, mark_xml, marks_after, path_marks, with_marks
from oamkit.lab.netconf_xml import NC, elements, local
from oamkit.lab.netconf_yang import (NS_IANAIFT, NS_IEEE_LINK_OAM, NS_IEEE_SHAPE, NS_IETF_IF, NS_JUNOS,
                                     NS_XR_ELO, NS_XR_ETH_INFRA, NS_XR_IFMGR)
from oamkit.lab.vendors.cisco_xr.grammar import grammar as xr_grammar

Keys = Callable[[tuple[str, ...]], list[str]]


def _sub(parent: etree._Element, ns: str, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        el.text = text
    return el


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    for c in elements(el):
        if local(c) == name:
            return c
    return None


def _text(el: etree._Element | None, name: str) -> str | None:
    c = _child(el, name)
    return None if c is None else (c.text or "").strip()


class Translator:
    model = ""

    def view(self, tree: ConfigTree) -> list[etree._Element]:
        raise NotImplementedError

    def apply(self, tree: ConfigTree, elems: list[etree._Element]) -> ConfigTree:
        raise NotImplementedError

    def normalize(self, config: etree._Element) -> None:
        """Adjust an incoming <config>/<filter> in place before it is used (namespaces)."""

    def value_prefixes(self) -> dict[str, str]:
        """Prefixes that stored values use (identityrefs); declared on every top element."""
        return {}

    def interfaces_named(self, elems: list[etree._Element]) -> list[tuple[str, str]]:
        """(interface, path) for each entry of `elems` the device checks against its own
        interfaces, as its CLI does; none unless the model says which."""
        return []


# --------------------------------------------------------------------------- Cisco IOS-XR
XR_ACTIONS_TO_CLI = {"error-disable": "error-disable-interface"}
XR_ACTIONS_FROM_CLI = {v: k for k, v in XR_ACTIONS_TO_CLI.items()}
XR_EVENTS = ("high-threshold", "dying-gasp", "critical-event", "link-fault", "discovery-timeout",
             "capabilities-conflict", "wiring-conflict", "session-up", "session-down",
             "remote-loopback")
# The YANG action leaf `link-fault` is the CLI's `action uni-directional link-fault` (ASR 9000
# CR 5.3.x: "This command replaces the action link-fault command. Release 4.0.0").
XR_ACTION_EVENT_TO_CLI = {"link-fault": "uni-directional link-fault"}
XR_ACTION_EVENT_FROM_CLI = {v: k for k, v in XR_ACTION_EVENT_TO_CLI.items()}
MULTIPLIERS = ("thousand", "million", "billion")


def _parse_threshold(words: list[str]) -> dict[str, str] | None:
    """``[units] [low N [mult]] [high N [mult]]`` -> leaves of a threshold container."""
    out: dict[str, str] = {}
    i = 0
    if i < len(words) and words[i] in ("symbols", "frames", "ppm"):
        out["units"] = words[i]
        i += 1
    while i < len(words):
        which = words[i]
        if which not in ("low", "high") or i + 1 >= len(words):
            return None
        out[f"threshold-{which}"] = words[i + 1]
        i += 2
        if i < len(words) and words[i] in MULTIPLIERS:
            out[f"multiplier-{which}"] = words[i]
            i += 1
    return out or None


def _parse_window(words: list[str]) -> dict[str, str] | None:
    """``[units] N [mult]`` -> leaves of a window container."""
    out: dict[str, str] = {}
    if words and words[0] in ("symbols", "frames", "milliseconds"):
        out["units"] = words.pop(0)
    if not words:
        return None
    out["window"] = words.pop(0)
    if words and words[0] in MULTIPLIERS:
        out["multiplier"] = words.pop(0)
    return out if not words else None


def _xr_lm_to_xml(lm: ConfigTree, parent: etree._Element) -> list[ConfigTree]:
    unknown: list[ConfigTree] = []
    containers: dict[str, etree._Element] = {}

    def box(name: str) -> etree._Element:
        if name not in containers:
            containers[name] = _sub(parent, NS_XR_ELO, name)
        return containers[name]

    for c in lm.children:
        w = c.line.split()
        if len(w) >= 3 and w[0] in ("symbol-period", "frame-period") and w[1] == "window":
            leaves = _parse_window(w[2:])
            if leaves is None:
                unknown.append(c)
                continue
            win = _sub(box(w[0]), NS_XR_ELO, "window")
            for k in ("window", "units", "multiplier"):
                if k in leaves:
                    _sub(win, NS_XR_ELO, k, leaves[k])
        elif len(w) >= 3 and w[0] in ("symbol-period", "frame-period", "frame", "frame-seconds") \
                and w[1] == "threshold":
            leaves = _parse_threshold(w[2:])
            if leaves is None:
                unknown.append(c)
                continue
            th = _sub(box(w[0]), NS_XR_ELO, "threshold")
            for k in ("threshold-low", "threshold-high", "units", "multiplier-low", "multiplier-high"):
                if k in leaves:
                    _sub(th, NS_XR_ELO, k, leaves[k])
        elif len(w) in (3, 4) and w[0] in ("frame", "frame-seconds") and w[1] == "window":
            value = w[-1] if len(w) == 3 or w[2] == "milliseconds" else None
            if value is None:
                unknown.append(c)
                continue
            _sub(box(w[0]), NS_XR_ELO, "window", value)
        elif w == ["monitoring", "disable"]:
            _sub(parent, NS_XR_ELO, "monitoring", "false")
        else:
            unknown.append(c)
    # YANG wants the threshold/window containers in any order, but keep a stable one
    return unknown


def _xr_action_leaf(words: list[str]) -> str | None:
    """The YANG action leaf of an ``action EVENT VALUE`` line, None for an event the model lacks
    (the pre-4.0 ``action link-fault`` is not a CLI keyword of this model)."""
    event = " ".join(words[1:-1])
    if event in XR_ACTION_EVENT_TO_CLI:
        return None
    leaf = XR_ACTION_EVENT_FROM_CLI.get(event, event)
    return leaf if leaf in XR_EVENTS else None


def _xr_body_to_xml(node: ConfigTree, parent: etree._Element, interface: bool) -> list[ConfigTree]:
    """Profile or interface ``ethernet oam`` lines -> children of ``parent``; returns unknown lines."""
    unknown: list[ConfigTree] = []
    action = require = None
    for c in node.children:
        w = c.line.split()
        if interface and len(w) == 2 and w[0] == "profile":
            _sub(parent, NS_XR_ELO, "profile-name", w[1])
        elif len(w) == 2 and w[0] == "mode":
            _sub(parent, NS_XR_ELO, "mode", w[1])
        elif len(w) == 2 and w[0] == "hello-interval":
            _sub(parent, NS_XR_ELO, "hello-interval", w[1])
        elif len(w) == 3 and w[:2] == ["connection", "timeout"]:
            _sub(parent, NS_XR_ELO, "timeout", w[2])
        elif w == ["mib-retrieval"]:
            _sub(parent, NS_XR_ELO, "mib-retrieval", "true")
        elif w == ["uni-directional", "link-fault", "detection"]:
            _sub(parent, NS_XR_ELO, "udlf", "true")
        elif w == ["remote-loopback"]:
            _sub(parent, NS_XR_ELO, "remote-loopback", "true")
        elif len(w) in (2, 3) and w[0] == "require-remote":
            if require is None:
                require = _sub(parent, NS_XR_ELO, "require-remote")
            if len(w) == 3 and w[1] == "mode":
                _sub(require, NS_XR_ELO, "mode", w[2])
            elif len(w) == 2 and w[1] in ("mib-retrieval", "remote-loopback", "link-monitoring"):
                _sub(require, NS_XR_ELO, w[1], "true")
            else:
                unknown.append(c)
        elif len(w) >= 3 and w[0] == "action" and _xr_action_leaf(w) is not None:
            if action is None:
                action = _sub(parent, NS_XR_ELO, "action")
            _sub(action, NS_XR_ELO, _xr_action_leaf(w), XR_ACTIONS_FROM_CLI.get(w[-1], w[-1]))
        elif w == ["link-monitor"]:
            lm = _sub(parent, NS_XR_ELO, "link-monitoring")
            lm_unknown = _xr_lm_to_xml(c, lm)
            if lm_unknown:
                unknown.append(ConfigTree(c.line, lm_unknown))
        else:
            unknown.append(c)
    return unknown


def _window_line(event: str, win: etree._Element) -> str:
    parts = [event, "window"]
    units = _text(win, "units")
    if units:
        parts.append(units)
    parts.append(_text(win, "window") or "")
    mult = _text(win, "multiplier")
    if mult and mult != "none":
        parts.append(mult)
    return " ".join(parts)


def _threshold_line(event: str, th: etree._Element) -> str:
    parts = [event, "threshold"]
    units = _text(th, "units")
    if units:
        parts.append(units)
    for which in ("low", "high"):
        value = _text(th, f"threshold-{which}")
        if value is not None:
            parts += [which, value]
            mult = _text(th, f"multiplier-{which}")
            if mult and mult != "none":
                parts.append(mult)
    return " ".join(parts)


def _xr_xml_to_body(el: etree._Element | None, interface: bool) -> list[ConfigTree]:
    """Children of a profile entry / interface ether-link-oam -> CLI lines, in rendered order."""
    out: list[ConfigTree] = []
    if el is None:
        return out
    if interface and _text(el, "profile-name"):
        out.append(ConfigTree(f"profile {_text(el, 'profile-name')}"))
    for leaf, fmt in (("mode", "mode {}"), ("hello-interval", "hello-interval {}"),
                      ("timeout", "connection timeout {}")):
        if _text(el, leaf):
            out.append(ConfigTree(fmt.format(_text(el, leaf))))
    for leaf, line in (("mib-retrieval", "mib-retrieval"),
                       ("udlf", "uni-directional link-fault detection"),
                       ("remote-loopback", "remote-loopback")):
        if _text(el, leaf) == "true":
            out.append(ConfigTree(line))
    req = _child(el, "require-remote")
    if req is not None:
        if _text(req, "mode"):
            out.append(ConfigTree(f"require-remote mode {_text(req, 'mode')}"))
        for leaf in ("mib-retrieval", "remote-loopback", "link-monitoring"):
            if _text(req, leaf) == "true":
                out.append(ConfigTree(f"require-remote {leaf}"))
    lm = _child(el, "link-monitoring")
    if lm is not None:
        lines: list[ConfigTree] = []
        for event in ("symbol-period", "frame", "frame-period", "frame-seconds"):
            box = _child(lm, event)
            if box is None:
                continue
            win = _child(box, "window")
            if win is not None:
                if elements(win):
                    lines.append(ConfigTree(_window_line(event, win)))
                elif (win.text or "").strip():
                    lines.append(ConfigTree(f"{event} window {win.text.strip()}"))
            th = _child(box, "threshold")
            if th is not None and elements(th):
                lines.append(ConfigTree(_threshold_line(event, th)))
        if _text(lm, "monitoring") == "false":
            lines.append(ConfigTree("monitoring disable"))
        out.append(ConfigTree("link-monitor", lines))
    act = _child(el, "action")
    if act is not None:
        for a in elements(act):
            value = (a.text or "").strip()
            event = XR_ACTION_EVENT_TO_CLI.get(local(a), local(a))
            out.append(ConfigTree(f"action {event} {XR_ACTIONS_TO_CLI.get(value, value)}"))
    return out


def _with_unknown(lines: list[ConfigTree], unknown: list[ConfigTree]) -> list[ConfigTree]:
    """Generated lines plus the CLI lines the translator could not read, kept in their block."""
    out = list(lines)
    for u in unknown:
        same = next((n for n in out if n.line == u.line and u.children), None)
        if same is not None:
            same.children = same.children + [c.copy() for c in u.children]
        else:
            out.append(u.copy())
    return out


def _interface_key(line: str) -> tuple[str, str] | None:
    w = line.split()
    if len(w) == 2 and w[0] == "interface":
        return ("act", w[1])
    if len(w) == 3 and w[:2] == ["interface", "preconfigure"]:
        return ("pre", w[2])
    return None


class XrTranslator(Translator):
    model = "cisco_xr"
    PROFILE = "ethernet oam profile "

    def _profile_xml(self, node: ConfigTree) -> tuple[etree._Element, list[ConfigTree]]:
        entry = etree.Element(f"{{{NS_XR_ELO}}}profile")
        _sub(entry, NS_XR_ELO, "profile", node.line[len(self.PROFILE):].strip())
        unknown = _xr_body_to_xml(node, entry, interface=False)
        return entry, unknown

    def _iface_xml(self, key: tuple[str, str], eoam: ConfigTree):
        entry = etree.Element(f"{{{NS_XR_IFMGR}}}interface-configuration")
        _sub(entry, NS_XR_IFMGR, "active", key[0])
        _sub(entry, NS_XR_IFMGR, "interface-name", key[1])
        feats = _sub(entry, NS_XR_ETH_INFRA, "ethernet-features")
        _sub(feats, NS_XR_ELO, "ether-link-oam-enable")
        elo = etree.Element(f"{{{NS_XR_ELO}}}ether-link-oam")
        unknown = _xr_body_to_xml(eoam, elo, interface=True)
        if len(elo):
            feats.append(elo)
        return entry, unknown

    def view(self, tree: ConfigTree) -> list[etree._Element]:
        out = []
        ifaces = etree.Element(f"{{{NS_XR_IFMGR}}}interface-configurations", nsmap={None: NS_XR_IFMGR})
        for node in tree.children:
            key = _interface_key(node.line)
            eoam = node.child("ethernet oam") if key else None
            if eoam is not None:
                ifaces.append(self._iface_xml(key, eoam)[0])  # type: ignore[arg-type]
        if len(ifaces):
            out.append(ifaces)
        profiles = [n for n in tree.children if n.line.startswith(self.PROFILE)]
        if profiles:
            feats = etree.Element(f"{{{NS_XR_ETH_INFRA}}}ethernet-features", nsmap={None: NS_XR_ETH_INFRA})
            elo = etree.SubElement(feats, f"{{{NS_XR_ELO}}}ether-link-oam", nsmap={None: NS_XR_ELO})
            box = _sub(elo, NS_XR_ELO, "profiles")
            for node in profiles:
                box.append(self._profile_xml(node)[0])
            out.append(feats)
        return out

    def apply(self, tree: ConfigTree, elems: list[etree._Element]) -> ConfigTree:
        new = tree.copy()
        want_profiles: dict[str, etree._Element] = {}
        want_ifaces: dict[tuple[str, str], etree._Element] = {}
        for top in elems:
            if local(top) == "ethernet-features":
                profiles = _child(_child(top, "ether-link-oam"), "profiles")
                for p in elements(profiles) if profiles is not None else []:
                    want_profiles[_text(p, "profile") or ""] = p
            elif local(top) == "interface-configurations":
                for ic in elements(top):
                    want_ifaces[(_text(ic, "active") or "act", _text(ic, "interface-name") or "")] = ic
        # profiles
        last_profile_idx = -1
        for node in list(new.children):
            if not node.line.startswith(self.PROFILE):
                continue
            name = node.line[len(self.PROFILE):].strip()
            if name not in want_profiles:
                new.children.remove(node)
                continue
            _, unknown = self._profile_xml(node)
            lines = _xr_xml_to_body(want_profiles.pop(name), interface=False)
            known_old = _xr_xml_to_body(self._profile_xml(node)[0], interface=False)
            if known_old != lines:
                node.children = _with_unknown(lines, unknown)
            last_profile_idx = new.children.index(node)
        for name, el in want_profiles.items():
            node = ConfigTree(self.PROFILE + name, _xr_xml_to_body(el, interface=False))
            if last_profile_idx < 0:
                first_if = next((i for i, n in enumerate(new.children) if _interface_key(n.line)), None)
                last_profile_idx = (first_if if first_if is not None else len(new.children)) - 1
            last_profile_idx += 1
            new.children.insert(last_profile_idx, node)
        # interfaces
        for node in new.children:
            key = _interface_key(node.line)
            if key is None:
                continue
            eoam = node.child("ethernet oam")
            want = want_ifaces.pop(key, None)
            feats = _child(want, "ethernet-features")
            enabled = feats is not None and (_child(feats, "ether-link-oam-enable") is not None
                                             or _child(feats, "ether-link-oam") is not None)
            if not enabled:
                if eoam is not None:
                    node.children.remove(eoam)
                continue
            lines = _xr_xml_to_body(_child(feats, "ether-link-oam"), interface=True)
            if eoam is None:
                node.children.append(ConfigTree("ethernet oam", lines))
                continue
            old_el, unknown = self._iface_xml(key, eoam)
            old_lines = _xr_xml_to_body(_child(_child(old_el, "ethernet-features"), "ether-link-oam"),
                                        interface=True)
            if old_lines != lines:
                eoam.children = _with_unknown(lines, unknown)
        for key, want in want_ifaces.items():
            line = f"interface {key[1]}" if key[0] == "act" else f"interface preconfigure {key[1]}"
            node = ConfigTree(line)
            feats = _child(want, "ethernet-features")
            if feats is not None and (_child(feats, "ether-link-oam-enable") is not None
                                      or _child(feats, "ether-link-oam") is not None):
                node.children.append(ConfigTree("ethernet oam",
                                                _xr_xml_to_body(_child(feats, "ether-link-oam"), True)))
            new.children.append(node)
        return new


# --------------------------------------------------------------------------- mechanical trees
def _quote(value: str) -> str:
    return f'"{value}"' if (" " in value or not value) else value


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value




def node_to_xml(node: ConfigTree, path: tuple[str, ...], keys: Keys,
                ns_for: Callable[[tuple[str, ...]], str]) -> etree._Element:
    line = node.line.removeprefix(INACTIVE)
    word, _, rest = line.partition(" ")
    here = (*path, word)
    el = etree.Element(f"{{{ns_for(here)}}}{word}")
    if line != node.line:
        el.set("inactive", "inactive")
    key = keys(here)
    if key:
        _sub(el, ns_for((*here, key[0])), key[0], _unquote(rest))
        for c in node.children:
            el.append(node_to_xml(c, here, keys, ns_for))
    elif node.children:
        for c in node.children:
            el.append(node_to_xml(c, here, keys, ns_for))
    elif rest:
        el.text = _unquote(rest)
    return el


def xml_to_node(el: etree._Element, path: tuple[str, ...], keys: Keys,
                value: Callable[[etree._Element], str] | None = None) -> ConfigTree:
    word = local(el)
    here = (*path, word)
    key = keys(here)
    mark = INACTIVE if el.get("inactive") == "inactive" else ""
    if key:
        key_el = _child(el, key[0])
        node = ConfigTree(f"{mark}{word} {_quote((key_el.text or '').strip() if key_el is not None else '')}")
        node.children = [xml_to_node(c, here, keys, value) for c in elements(el) if c is not key_el]
        return node
    if elements(el):
        return ConfigTree(mark + word, [xml_to_node(c, here, keys, value) for c in elements(el)])
    text = value(el) if value else (el.text or "").strip()
    return ConfigTree(mark + (f"{word} {_quote(text)}" if text else word))


class MechanicalTranslator(Translator):
    """A subtree of the ConfigTree <-> an XML subtree, one node per element."""

    anchor: list[str] = []           # ConfigTree path of the managed node
    xml_root: tuple[str, ...] = ()   # local names from the XML top down to the managed element
    keys_table: dict[tuple[str, ...], list[str]] = {}

    def keys(self, path: tuple[str, ...]) -> list[str]:
        return self.keys_table.get(path, [])

    def ns_for(self, path: tuple[str, ...]) -> str:
        raise NotImplementedError

    def value(self, el: etree._Element) -> str:
        return (el.text or "").strip()

    def view(self, tree: ConfigTree) -> list[etree._Element]:
        node = tree.get(self.anchor)
        if node is None:
            return []
        managed = self._managed_children(node)
        if not managed:
            return []
        top = etree.Element(f"{{{self.ns_for(self.xml_root[:1])}}}{self.xml_root[0]}",
                            nsmap=self.nsmap())
        parent = top
        for i in range(1, len(self.xml_root)):
            parent = _sub(parent, self.ns_for(self.xml_root[: i + 1]), self.xml_root[i])
        for c in managed:
            parent.append(node_to_xml(c, self.xml_root, self.keys, self.ns_for))
        return [top]

    def nsmap(self) -> dict:
        return {None: self.ns_for(self.xml_root[:1])}

    def _managed_children(self, node: ConfigTree) -> list[ConfigTree]:
        return node.children

    def apply(self, tree: ConfigTree, elems: list[etree._Element]) -> ConfigTree:
        new = tree.copy()
        wanted: list[ConfigTree] = []
        for top in elems:
            if local(top) != self.xml_root[0]:
                continue
            el: etree._Element | None = top
            for name in self.xml_root[1:]:
                el = _child(el, name)
            if el is not None:
                wanted += [xml_to_node(c, self.xml_root, self.keys, self.value) for c in elements(el)]
        node = new.get(self.anchor)
        if node is not None and node.children == wanted:
            return new
        if not wanted:
            if node is not None:
                new.delete(self.anchor)
                for depth in range(len(self.anchor) - 1, 0, -1):
                    parent = new.get(self.anchor[:depth])
                    if parent is not None and not parent.children:
                        new.delete(self.anchor[:depth])
            return new
        node = new.set(self.anchor)
        node.children = wanted
        return new


class JunosTranslator(MechanicalTranslator):
    model = "junos"
    anchor = ["protocols", "oam", "ethernet", "link-fault-management"]
    xml_root = ("configuration", "protocols", "oam", "ethernet", "link-fault-management")
    keys_table = {(*xml_root, "action-profile"): ["name"], (*xml_root, "interface"): ["name"]}

    def ns_for(self, path: tuple[str, ...]) -> str:
        return NS_JUNOS

    # statements above the managed node keep their `inactive` marks (lab.netconf_marks)
    def view(self, tree: ConfigTree) -> list[etree._Element]:
        marks = path_marks(tree, self.anchor)
        elems = super().view(with_marks(tree, self.anchor, [False] * len(marks)) if any(marks) else tree)
        mark_xml(elems, self.xml_root, marks)
        return elems

    def apply(self, tree: ConfigTree, elems: list[etree._Element]) -> ConfigTree:
        before = path_marks(tree, self.anchor)
        plain = with_marks(tree, self.anchor, [False] * len(before))
        seeded = bool(super().view(plain))
        marks = marks_after(elems, self.xml_root, before, seeded)
        return with_marks(super().apply(plain, elems), self.anchor, marks)

    def interfaces_named(self, elems: list[etree._Element]) -> list[tuple[str, str]]:
        where = "/" + "/".join((*self.xml_root, "interface"))
        steps = "/".join(f"{{{NS_JUNOS}}}{n}" for n in (*self.xml_root[1:], "interface"))
        return [(_text(itf, "name") or "", where) for top in elems
                if local(top) == self.xml_root[0] for itf in top.iterfind(steps)]

    def normalize(self, config: etree._Element) -> None:
        """Junos clients send <configuration> without a namespace, or in the NETCONF base
        namespace inherited from <rpc>/<config>; Junos takes both as its own."""
        for el in config.iter():
            if isinstance(el.tag, str) and el is not config and \
                    etree.QName(el).namespace in (None, NC):
                el.tag = f"{{{NS_JUNOS}}}{etree.QName(el).localname}"


class IeeeTranslator(MechanicalTranslator):
    model = "ieee"
    anchor = ["ieee802-link-oam"]
    xml_root = ("interfaces",)
    keys_table = {("interfaces", "interface"): ["name"],
                  ("interfaces", "interface", "link-oam", "discovery-info", "local",
                   "functions-supported", "link-monitor", "event-type"): ["threshold-type"]}

    def ns_for(self, path: tuple[str, ...]) -> str:
        return NS_IEEE_SHAPE if "link-oam" in path else NS_IETF_IF

    def nsmap(self) -> dict:
        return {None: NS_IETF_IF, "ianaift": NS_IANAIFT}

    def value_prefixes(self) -> dict[str, str]:
        return {"ianaift": NS_IANAIFT}

    def normalize(self, config: etree._Element) -> None:
        """Identity values get our ``ianaift:`` prefix while the client's declaration is in scope,
        and the standard's namespace is taken as an alias of our shape's (payloads rendered for
        real IEEE 802.3.2 devices work unchanged)."""
        for el in config.iter():
            if not isinstance(el.tag, str):
                continue
            if etree.QName(el).namespace == NS_IEEE_LINK_OAM:
                el.tag = f"{{{NS_IEEE_SHAPE}}}{etree.QName(el).localname}"
            if not len(el) and el.text:
                el.text = self.value(el)

    def value(self, el: etree._Element) -> str:
        """Identity values keep the module prefix we declare, whatever prefix the client used."""
        text = (el.text or "").strip()
        prefix, sep, name = text.partition(":")
        if sep and el.nsmap.get(prefix) == NS_IANAIFT:
            return f"ianaift:{name}"
        return text


def translator_for(model: str) -> Translator:
    return {"cisco_xr": XrTranslator, "junos": JunosTranslator, "ieee": IeeeTranslator}[model]()


# --------------------------------------------------------------------------- XR device semantics
class _CheckContext:
    """What the CLI grammar's semantic checks read from a session."""

    def __init__(self, device, tree: ConfigTree) -> None:
        self.dev = device
        self._tree = tree
        self.path: list[str] = []

    def tree(self) -> ConfigTree:
        return self._tree


def xr_semantic_problem(device, tree: ConfigTree) -> str | None:
    """What XR itself refuses at commit beyond the YANG types, judged by the lab's own XR CLI
    grammar so both channels agree: values out of the CLI's range or step (e.g.
    ``frame-seconds window`` not a multiple of 1000), failed CLI checks (low above high),
    ``mode active`` in a profile and a high threshold without a low one. Statements the lab
    CLI does not model are not judged. Returns the problem text or None."""
    grammar = xr_grammar()
    ctx = _CheckContext(device, tree)

    def judge(node: ConfigTree, mode: str, where: list[str]) -> str | None:
        for c in node.children:
            here = [*where, c.line]
            words = c.line.split()
            if mode == "config-eoam" and words[:1] == ["mode"] and words[1:] != ["passive"]:
                return f"{' / '.join(here)}: only passive mode can be set in a profile"
            if len(words) >= 3 and words[1] == "threshold" and "high" in words and "low" not in words:
                return (f"{' / '.join(here)}: the high threshold is configurable only together "
                        "with the low threshold")
            m = grammar.match(mode, c.line, device)
            if isinstance(m, NoMatch):
                if m.kind == "value" and m.tok is not None:
                    step = f" in steps of {m.tok.step}" if m.tok.step > 1 else ""
                    return (f"{' / '.join(here)}: {m.word!r} is out of range "
                            f"{m.tok.lo}-{m.tok.hi}{step}")
                continue
            problem = grammar.problem(ctx, m, where)
            if problem:
                return f"{' / '.join(here)}: {problem.lstrip('% ')}"
            if c.children and m.rule.action == "enter" and m.rule.enter:
                problem = judge(c, m.rule.enter, here)
                if problem:
                    return problem
        return None

    for top in tree.children:
        if top.line.startswith(XrTranslator.PROFILE):
            problem = judge(top, "config-eoam", [top.line])
        elif _interface_key(top.line) and top.child("ethernet oam") is not None:
            problem = judge(top.child("ethernet oam"), "config-if-eoam", [top.line, "ethernet oam"])
        else:
            problem = None
        if problem:
            return problem
    return None
