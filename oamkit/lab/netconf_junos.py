"""Junos-native NETCONF RPCs of the lab (what ncclient's ``junos`` device handler and PyEZ-style
clients send): ``load-configuration`` (xml merge/replace/override/update, ``set``/``delete``
lines, ``rollback``), ``commit-configuration`` (check, confirmed with minutes, log),
``get-configuration`` and ``open-/close-configuration``. They work on the same candidate as
edit-config and the Junos CLI.
"""
from __future__ import annotations

import shlex

from lxml import etree

from oamkit.lab.netconf_xml import NC, RpcError, elements, local
from oamkit.lab.netconf_yang import NS_JUNOS, YangModel

JUNOS_RPCS = ("load-configuration", "commit-configuration", "get-configuration",
              "open-configuration", "close-configuration", "lock-configuration",
              "unlock-configuration", "command")


def _q(name: str) -> str:
    return f"{{{NS_JUNOS}}}{name}"


def set_lines_to_configs(text: str, model: YangModel) -> list[etree._Element]:
    """``set ...`` / ``delete ...`` lines -> one <config> per line, to apply in order (Junos
    loads them one after the other). The schema says which words are containers, list keys,
    flags and values. Raises RpcError with Junos' wording."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            raise RpcError("invalid-value", f"syntax error: {line}", type="protocol") from None
        verb, words = words[0], words[1:]
        if verb not in ("set", "delete") or not words:
            raise RpcError("invalid-value", f"syntax error, expecting <command>: {line}",
                           type="protocol")
        config = etree.Element(f"{{{NC}}}config", nsmap={"nc": NC})
        parent = etree.SubElement(config, _q("configuration"), nsmap={None: NS_JUNOS})
        _one_line(parent, words, verb, model, line)
        out.append(config)
    return out


def _one_line(parent: etree._Element, words: list[str], verb: str, model: YangModel,
              line: str) -> None:
    def error(text: str, word: str) -> RpcError:
        return RpcError("invalid-value", f"{text}: {word}\n{line}", type="protocol",
                        info={"bad-element": word})

    path: tuple[tuple[str, str], ...] = ((NS_JUNOS, "configuration"),)
    i = 0
    while i < len(words):
        word = words[i]
        node = model.children_of(path).get(word)
        if node is None:
            raise error("syntax error", word)
        path = (*path, (NS_JUNOS, word))
        el = etree.SubElement(parent, _q(word))
        if node.kind == "list":
            if i + 1 >= len(words):
                raise error("missing argument", word)
            etree.SubElement(el, _q(node.keys[0])).text = words[i + 1]
            i += 2
        elif node.kind in ("leaf", "leaf-list"):
            if not node.empty:
                if i + 1 < len(words):
                    if verb == "set":
                        el.text = words[i + 1]
                    i += 1
                elif verb == "set":
                    raise error("missing argument", word)
            i += 1
            if i < len(words):
                raise error("syntax error", words[i])
            if verb == "delete":
                el.set(f"{{{NC}}}operation", "remove")
            return
        else:
            i += 1
        parent = el
    if verb == "delete":
        parent.set(f"{{{NC}}}operation", "remove")


def commit_results(check: bool) -> etree._Element:
    res = etree.Element(_q("commit-results"), nsmap={None: NS_JUNOS})
    re0 = etree.SubElement(res, _q("routing-engine"))
    etree.SubElement(re0, _q("name")).text = "re0"
    etree.SubElement(re0, _q("commit-check-success" if check else "commit-success"))
    return res


def load_results() -> etree._Element:
    res = etree.Element(_q("load-configuration-results"), nsmap={None: NS_JUNOS})
    etree.SubElement(res, _q("ok"))
    return res


def attr(op: etree._Element, name: str, default: str) -> str:
    return op.get(name, default)


def child_text(op: etree._Element, name: str) -> str | None:
    for c in elements(op):
        if local(c) == name:
            return (c.text or "").strip()
    return None


def has_child(op: etree._Element, name: str) -> bool:
    return any(local(c) == name for c in elements(op))
