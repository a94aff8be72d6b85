"""Pure NETCONF pieces of the lab server: framing (RFC 6242), rpc-error, subtree filtering
(RFC 6241 §6) and the edit-config operations (merge/replace/create/delete/remove/none) on lxml
trees. No I/O here, so all of it is unit-tested without a server.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Callable

from lxml import etree

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
EOM = b"]]>]]>"
MAX_CHUNK = 4294967295
MAX_MESSAGE = 16 * 1024 * 1024   # refuse bigger messages: the lab is not a memory test

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True,
                          huge_tree=False)


def parse_xml(text: str | bytes) -> etree._Element:
    if isinstance(text, str):
        text = text.encode()
    return etree.fromstring(text, _PARSER)


def local(elem: etree._Element) -> str:
    return etree.QName(elem).localname


def ns_of(elem: etree._Element) -> str | None:
    return etree.QName(elem).namespace


def elements(parent: etree._Element) -> list[etree._Element]:
    """Element children only (no comments / processing instructions)."""
    return [c for c in parent if isinstance(c.tag, str)]


# --------------------------------------------------------------------------- framing
class FramingError(Exception):
    pass


class FrameReader:
    """Splits the byte stream into messages. Starts in base:1.0 (end-of-message ``]]>]]>``);
    ``chunked = True`` switches to base:1.1 chunked framing."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.chunked = False
        self._parts: list[bytes] = []

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out: list[bytes] = []
        while True:
            msg = self._next_chunked() if self.chunked else self._next_eom()
            if msg is None:
                break
            out.append(msg)
        if len(self.buf) > MAX_MESSAGE or sum(map(len, self._parts)) > MAX_MESSAGE:
            raise FramingError("message too large")
        return out

    def _next_eom(self) -> bytes | None:
        idx = self.buf.find(EOM)
        if idx < 0:
            return None
        msg = bytes(self.buf[:idx])
        del self.buf[: idx + len(EOM)]
        return msg

    def _next_chunked(self) -> bytes | None:
        while True:
            if len(self.buf) < 4:
                return None
            if self.buf.startswith(b"\n##\n"):
                del self.buf[:4]
                msg = b"".join(self._parts)
                self._parts = []
                return msg
            match = re.match(rb"\n#([1-9][0-9]{0,9})\n", bytes(self.buf[:13]))
            if match is None:
                if len(self.buf) >= 13 or not re.fullmatch(rb"\n(#[0-9]{0,10})?", bytes(self.buf)):
                    raise FramingError(f"bad chunk header {bytes(self.buf[:13])!r}")
                return None
            size = int(match.group(1))
            if size > MAX_CHUNK:
                raise FramingError("chunk size out of range")
            start = match.end()
            if len(self.buf) < start + size:
                return None
            self._parts.append(bytes(self.buf[start:start + size]))
            del self.buf[: start + size]


def frame(message: str, chunked: bool) -> str:
    """One message in base:1.0 or base:1.1 framing (chunk size counts UTF-8 octets)."""
    if not chunked:
        return message + EOM.decode()
    return f"\n#{len(message.encode())}\n{message}\n##\n"


# --------------------------------------------------------------------------- rpc-error
@dataclass
class RpcError(Exception):
    """One <rpc-error>. ``info`` holds error-info children (e.g. session-id, bad-element)."""

    tag: str
    message: str = ""
    type: str = "application"
    severity: str = "error"
    path: str | None = None
    path_ns: dict[str, str] = field(default_factory=dict)
    app_tag: str | None = None
    info: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.tag}: {self.message}"

    def to_element(self) -> etree._Element:
        err = etree.Element(f"{{{NC}}}rpc-error", nsmap={None: NC})
        etree.SubElement(err, f"{{{NC}}}error-type").text = self.type
        etree.SubElement(err, f"{{{NC}}}error-tag").text = self.tag
        etree.SubElement(err, f"{{{NC}}}error-severity").text = self.severity
        if self.app_tag:
            etree.SubElement(err, f"{{{NC}}}error-app-tag").text = self.app_tag
        if self.path:
            p = etree.SubElement(err, f"{{{NC}}}error-path", nsmap=self.path_ns or None)
            p.text = self.path
        if self.message:
            m = etree.SubElement(err, f"{{{NC}}}error-message")
            m.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
            m.text = self.message
        if self.info:
            info = etree.SubElement(err, f"{{{NC}}}error-info")
            for key, value in self.info.items():
                etree.SubElement(info, f"{{{NC}}}{key}").text = value
        return err


# --------------------------------------------------------------------------- subtree filter
def _same_name(f: etree._Element, d: etree._Element) -> bool:
    fq, dq = etree.QName(f), etree.QName(d)
    # a filter element without a namespace (or in the base namespace inherited from <rpc>, a
    # common client shortcut) matches that name in any namespace
    return fq.localname == dq.localname and fq.namespace in (None, NC, dq.namespace)


def _is_content_match(f: etree._Element) -> bool:
    return not elements(f) and bool((f.text or "").strip())


def _select(data_parent: etree._Element, filt: etree._Element) -> list[etree._Element] | None:
    """Filtered copies of ``data_parent``'s children, or None when a content match fails."""
    fchildren = elements(filt)
    dchildren = elements(data_parent)
    if not fchildren:
        return [copy.deepcopy(d) for d in dchildren]
    content = [f for f in fchildren if _is_content_match(f)]
    for f in content:
        want = (f.text or "").strip()
        if not any(_same_name(f, d) and (d.text or "").strip() == want for d in dchildren):
            return None
    if len(content) == len(fchildren):
        return [copy.deepcopy(d) for d in dchildren]
    out: list[etree._Element] = []
    for d in dchildren:
        for f in fchildren:
            if not _same_name(f, d):
                continue
            if f in content:
                if (d.text or "").strip() == (f.text or "").strip():
                    out.append(copy.deepcopy(d))
                    break
            elif not elements(f):          # selection node
                out.append(copy.deepcopy(d))
                break
            else:                          # containment node
                sub = _select(d, f)
                if sub:   # the element's own attributes (Junos `inactive`) come with it
                    shell = etree.Element(d.tag, attrib=dict(d.attrib), nsmap=d.nsmap)
                    shell.extend(sub)
                    out.append(shell)
                    break
    return out


def subtree_filter(data: etree._Element, filt: etree._Element | None) -> etree._Element:
    """Apply a <filter type="subtree"> to a <data> element (its children are the top nodes)."""
    if filt is None:
        return data
    result = etree.Element(data.tag, nsmap=data.nsmap)
    if not elements(filt):
        return result                      # an empty filter selects nothing
    result.extend(_select(data, filt) or [])
    return result


# --------------------------------------------------------------------------- edit-config
OPERATIONS = ("merge", "replace", "create", "delete", "remove", "none")
SchemaLookup = Callable[[tuple[tuple[str, str], ...]], "object | None"]


def _qpath(prefix: tuple, elem: etree._Element) -> tuple:
    q = etree.QName(elem)
    return (*prefix, (q.namespace or "", q.localname))


def _operation(elem: etree._Element, inherited: str) -> str:
    op = elem.get(f"{{{NC}}}operation")
    if op is None:   # Junos' own attributes on <load-configuration>-style payloads
        if elem.get("delete") == "delete":
            op = "delete"
        elif elem.get("replace") == "replace":
            op = "replace"
    if op is None:
        return inherited
    if op not in OPERATIONS:
        raise RpcError("bad-attribute", f"unknown operation {op!r}", type="protocol",
                       info={"bad-attribute": "operation", "bad-element": local(elem)})
    return op


def _clean(elem: etree._Element) -> etree._Element:
    """A deep copy without NETCONF operation attributes."""
    new = copy.deepcopy(elem)
    for e in new.iter():
        if not isinstance(e.tag, str):
            continue
        for attr in (f"{{{NC}}}operation", "delete", "replace", "active"):
            if attr in e.attrib:
                del e.attrib[attr]
    # no cleanup_namespaces(): prefixes used only in values (identityrefs) must stay declared
    return new


def _activation(target: etree._Element, edit: etree._Element) -> None:
    """Junos' `inactive="inactive"` deactivates a statement, `active="active"` activates it
    again; a merge without either leaves the statement as it was (inactive stays inactive)."""
    if edit.get("inactive") == "inactive":
        target.set("inactive", "inactive")
    elif edit.get("active") == "active":
        target.attrib.pop("inactive", None)


class EditEngine:
    """Applies one <config> to a datastore copy. ``schema(path)`` returns an object with
    ``kind`` (container|list|leaf|leaf-list) and ``keys`` or None when the node is unknown.
    ``strict`` makes unknown nodes an error (``unknown-element``)."""

    def __init__(self, schema: SchemaLookup, strict: bool = True) -> None:
        self.schema = schema
        self.strict = strict

    def apply(self, datastore: etree._Element, config: etree._Element, default_op: str) -> None:
        for edit in elements(config):
            self._check_unique(edit, ())
        for edit in elements(config):
            self._apply(datastore, edit, default_op, ())

    def _check_unique(self, edit: etree._Element, prefix: tuple) -> None:
        """RFC 7950 7.6.5, 7.8.2: a leaf appears once, a list entry (its keys) once, under one
        parent; a device refuses the payload rather than keep one of them."""
        path = _qpath(prefix, edit)
        seen: set = set()
        for child in elements(edit):
            kind, keys = self._kind(_qpath(path, child), child)
            if kind == "leaf":
                ident: tuple = (child.tag,)
            elif kind == "list":
                ident = (child.tag, *((child.findtext(f"{{{ns_of(child)}}}{k}" if ns_of(child) else k)
                                       or "").strip() for k in keys))
            else:
                ident = (child.tag, None) if kind == "container" else (child.tag, (child.text or "").strip())
            if ident in seen:
                what = "/".join(n for _, n in _qpath(path, child))
                raise RpcError("bad-element", f"Duplicate instance of {local(child)!r}: {what}.",
                               info={"bad-element": local(child)}, path="/" + what)
            seen.add(ident)
            self._check_unique(child, path)

    def _kind(self, path: tuple, edit: etree._Element):
        node = self.schema(path)
        if node is None:
            if self.strict:
                raise RpcError("unknown-element", f"Unknown element {local(edit)!r}.",
                               info={"bad-element": local(edit)},
                               path="/" + "/".join(n for _, n in path))
            return ("leaf" if not elements(edit) else "container"), []
        return node.kind, list(getattr(node, "keys", []) or [])

    def _find(self, parent: etree._Element, edit: etree._Element, kind: str, keys: list[str]):
        for cand in elements(parent):
            if cand.tag != edit.tag:
                continue
            if kind == "list":
                ok = True
                for key in keys:
                    ek = edit.find(f"{{{ns_of(edit)}}}{key}" if ns_of(edit) else key)
                    ck = cand.find(f"{{{ns_of(cand)}}}{key}" if ns_of(cand) else key)
                    if ek is None:
                        raise RpcError("missing-element", f"List key {key!r} missing.",
                                       type="protocol", info={"bad-element": key})
                    if ck is None or (ck.text or "").strip() != (ek.text or "").strip():
                        ok = False
                        break
                if ok:
                    return cand
            elif kind == "leaf-list":
                if (cand.text or "").strip() == (edit.text or "").strip():
                    return cand
            else:
                return cand
        return None

    def _apply(self, parent: etree._Element, edit: etree._Element, inherited: str,
               prefix: tuple) -> None:
        op = _operation(edit, inherited)
        path = _qpath(prefix, edit)
        kind, keys = self._kind(path, edit)
        existing = self._find(parent, edit, kind, keys)
        what = "/".join(n for _, n in path)
        if op == "create" and existing is not None:
            raise RpcError("data-exists", f"Data already exists: {what}.", path="/" + what)
        if op == "delete" and existing is None:
            raise RpcError("data-missing", f"Data does not exist: {what}.", path="/" + what)
        if op in ("delete", "remove"):
            if existing is not None:
                parent.remove(existing)
            return
        if op in ("replace", "create"):
            new = _clean(edit)
            if existing is not None:
                parent.replace(existing, new)
            else:
                parent.append(new)
            self._check_known(new, prefix)
            return
        # merge / none
        if kind in ("leaf", "leaf-list"):
            if op == "merge":
                if existing is None:
                    parent.append(_clean(edit))
                else:
                    existing.text = edit.text
                    _activation(existing, edit)
            return
        created = existing is None
        target = existing
        if created:
            target = etree.SubElement(parent, edit.tag, nsmap=edit.nsmap)
            for key in keys:
                ek = edit.find(f"{{{ns_of(edit)}}}{key}" if ns_of(edit) else key)
                if ek is not None:
                    target.append(_clean(ek))
        if op == "merge":
            _activation(target, edit)
        for child in elements(edit):
            if kind == "list" and local(child) in keys and ns_of(child) == ns_of(edit):
                continue
            self._apply(target, child, op, path)
        if created and op == "none" and len(elements(target)) == len(keys):
            parent.remove(target)

    def _check_known(self, elem: etree._Element, prefix: tuple) -> None:
        if not self.strict:
            return
        path = _qpath(prefix, elem)
        self._kind(path, elem)
        for child in elements(elem):
            self._check_known(child, path)

