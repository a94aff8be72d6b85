"""NETCONF personality of a lab device: the ``netconf`` SSH subsystem (RFC 6241 / 6242).

The lab's asyncssh server calls ``await serve(process, device, lab)`` for every channel that asks
for the ``netconf`` subsystem. One configuration is shared with the CLI: NETCONF reads and writes
``device.running`` / ``device.candidate`` through the translators in ``netconf_xlate``, and
commits, confirmed commits, rollback timers and discard go through the Device's own methods.

What a client sees:

- Framing: base:1.0, and base:1.1 chunked when both sides advertise it.
- Capabilities: base 1.0/1.1, ``:candidate``, ``:confirmed-commit`` 1.0/1.1, ``:validate``
  1.0/1.1, ``:rollback-on-error``; IOS (no candidate) gets ``:writable-running``
  instead of candidate/confirmed-commit. Plus ``<ns>?module=<name>&revision=<date>`` for the
  model's modules (see ``netconf_yang.STATIC_CAPABILITIES``).
- RPCs: get (running; config only), get-config (subtree filter), edit-config (merge, replace,
  create, delete, remove, none; default-operation; test-option; always atomic, like
  rollback-on-error), validate (datastore or inline config), lock/unlock (lock-denied with the
  holder's session-id, 0 for a non-NETCONF holder), commit (confirmed, confirm-timeout,
  persist, persist-id), cancel-commit, discard-changes, close-session, kill-session.
- A confirmed commit not confirmed by its session (and without persist) is rolled back when that
  session ends; locks held by a session are released when it ends, and a candidate it had
  locked is discarded.
- Models: ``cisco_xr`` (Cisco-IOS-XR-ifmgr-cfg / l2-eth-infra-cfg / ethernet-link-oam-cfg),
  ``junos`` (``<configuration>`` in no namespace, the base namespace or
  ``http://xml.juniper.net/xnm/1.1/xnm``; replies use the latter), ``ieee`` (ietf-interfaces +
  our IEEE 802.3.2 shape; input also accepted in the standard's namespace).

Per-device settings (attributes on the Device, or keys of ``device.faults.extra``; read live,
so ``Lab(faults={"xr-1": {"netconf_validate": "commit"}})`` works):

- ``netconf_model``: ``native`` (default: ``cisco_xr`` for XR, ``junos`` for Junos, else ``ieee``)
  or ``ieee`` (ietf-interfaces + the IEEE 802.3.2 link-oam shape kept as a neutral subtree).
- ``netconf_validate``: ``edit-config`` (default; reject bad values at edit-config, like
  netconfd) or ``commit`` (accept at edit-config, reject at validate/commit). XR rules beyond
  YANG (CLI ranges/steps, low>high, ``mode active`` in a profile) are always checked at
  validate/commit.
- ``netconf_base11``: advertise ``urn:ietf:params:netconf:base:1.1`` (default True).
- ``netconf_ieee_namespace``: ``own`` (default: replies use our shape's namespace
  ``urn:oamkit:yang:ieee-link-oam-shape``) or ``ieee`` (replies use the standard's
  ``urn:ieee:std:802.3:yang:ieee802-ethernet-link-oam``). Input is accepted in both.
Faults (``device.faults``): ``commit_error`` and ``drop_on_commit`` act on NETCONF commits too;
``hang`` suppresses the hello (new sessions) and every reply (open sessions); in ``extra``:
``netconf_delay`` (seconds before every reply),
``netconf_drop_on`` (an RPC name, a list of names, or ``"*"``: the SSH connection is dropped when
such an RPC arrives, before it is processed), ``netconf_drop_after`` (same, but the RPC is carried
out first and only the reply is lost, e.g. a commit that landed without the client knowing),
``netconf_commit_delay`` (seconds a commit takes). ``faults.exec_timeout`` closes idle sessions.
"""
from __future__ import annotations

import asyncio
import re
import logging
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from oamkit.lab.device import CommitError, ConfigTree, Device, lock_conflict  # noqa: F401 - re-exported
from oamkit.lab.netconf_junos import (JUNOS_RPCS, commit_results, has_child, load_results,
                                     set_lines_to_configs)
from oamkit.lab.netconf_xlate import Translator, translator_for, xr_semantic_problem
from oamkit.lab.netconf_xml import (NC, EditEngine, FrameReader, FramingError, RpcError,
                                    elements, frame, local, ns_of, parse_xml, subtree_filter)
from oamkit.lab.netconf_yang import (NS_IEEE_LINK_OAM, NS_IEEE_SHAPE, NS_JUNOS, YangModel, explain,
                                     get_model, path_namespaces)

log = logging.getLogger(__name__)

BASE10 = "urn:ietf:params:netconf:base:1.0"
BASE11 = "urn:ietf:params:netconf:base:1.1"
CAP = "urn:ietf:params:netconf:capability:"
CAP_CANDIDATE = CAP + "candidate:1.0"
CAP_CONFIRMED_10 = CAP + "confirmed-commit:1.0"
CAP_CONFIRMED_11 = CAP + "confirmed-commit:1.1"
CAP_VALIDATE_10 = CAP + "validate:1.0"
CAP_VALIDATE_11 = CAP + "validate:1.1"
CAP_ROLLBACK = CAP + "rollback-on-error:1.0"
CAP_WRITABLE_RUNNING = CAP + "writable-running:1.0"
DEFAULT_CONFIRM_TIMEOUT = 600


# --------------------------------------------------------------------------- settings
@dataclass
class NetconfSettings:
    model: str
    validate_at: str
    base11: bool
    delay: float
    drop_on: frozenset[str]
    drop_after: frozenset[str]
    commit_delay: float
    ieee_namespace: str = "own"


def _setting(device: Device, name: str, default: Any) -> Any:
    if getattr(device, name, None) is not None:
        return getattr(device, name)
    return device.faults.extra.get(name, default)


def settings_for(device: Device) -> NetconfSettings:
    model = str(_setting(device, "netconf_model", "native"))
    if model == "native":
        model = {"cisco_xr": "cisco_xr", "juniper_junos": "junos"}.get(device.platform, "ieee")
    validate_at = str(_setting(device, "netconf_validate", "edit-config"))
    if validate_at not in ("edit-config", "commit"):
        raise ValueError(f"{device.name}: netconf_validate must be edit-config or commit")
    def names(key: str) -> frozenset[str]:
        value = _setting(device, key, ())
        return frozenset([value] if isinstance(value, str) else value or ())

    return NetconfSettings(model, validate_at, bool(_setting(device, "netconf_base11", True)),
                           float(_setting(device, "netconf_delay", 0.0) or 0.0),
                           names("netconf_drop_on"), names("netconf_drop_after"),
                           float(_setting(device, "netconf_commit_delay", 0.0) or 0.0),
                           str(_setting(device, "netconf_ieee_namespace", "own")))


@dataclass
class DeviceNetconfState:
    """NETCONF bookkeeping kept on the Device (attribute ``netconf_state``)."""

    sessions: dict[int, "NetconfSession"] = field(default_factory=dict)
    confirm_owner: int | None = None      # session that issued the pending confirmed commit
    persist: str | None = None            # its persist token, if any


def state_of(device: Device) -> DeviceNetconfState:
    st = getattr(device, "netconf_state", None)
    if st is None:
        st = DeviceNetconfState()
        device.netconf_state = st  # type: ignore[attr-defined]
    if not device.confirm_pending:
        st.confirm_owner = st.persist = None
    return st


def capabilities(device: Device, settings: NetconfSettings | None = None) -> list[str]:
    s = settings or settings_for(device)
    caps = [BASE10] + ([BASE11] if s.base11 else [])
    if device.has_candidate:
        caps += [CAP_CANDIDATE, CAP_CONFIRMED_10, CAP_CONFIRMED_11]
    else:
        caps.append(CAP_WRITABLE_RUNNING)
    caps += [CAP_VALIDATE_10, CAP_VALIDATE_11, CAP_ROLLBACK]
    caps += get_model(s.model).capabilities
    return caps


# --------------------------------------------------------------------------- XML helpers
def _tidy(el: etree._Element, parent: etree._Element | None,
          prefixes: dict[str, str] | None = None) -> etree._Element:
    """Copy with default-namespace declarations instead of generated ns0: prefixes. Named
    prefixes in scope of ``el`` (used inside values, e.g. identityrefs) stay declared; the top
    element also declares ``prefixes``."""
    q = etree.QName(el)
    in_scope = parent.nsmap if parent is not None else {}
    nsmap = {k: v for k, v in (el.nsmap or {}).items()
             if k is not None and not re.fullmatch(r"ns\d+", k) and in_scope.get(k) != v}
    if parent is None:
        nsmap.update(prefixes or {})
    if in_scope.get(None) != q.namespace:
        nsmap[None] = q.namespace
    new = etree.Element(el.tag, nsmap=nsmap or None) if parent is None else \
        etree.SubElement(parent, el.tag, nsmap=nsmap or None)
    new.text = el.text
    for k, v in el.attrib.items():
        new.set(k, v)
    for c in elements(el):
        _tidy(c, new)
    return new


def _rename_namespace(root: etree._Element, old: str, new: str) -> etree._Element:
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).namespace == old:
            el.tag = f"{{{new}}}{etree.QName(el).localname}"
    return _tidy(root, None)


def _serialize(elems: list[etree._Element]) -> str:
    return "".join(etree.tounicode(e) for e in elems)


def _child(el: etree._Element, name: str) -> etree._Element | None:
    for c in elements(el):
        if local(c) == name:
            return c
    return None


def _datastore_name(parent: etree._Element | None, what: str) -> str:
    if parent is None or not elements(parent):
        raise RpcError("missing-element", f"<{what}> is missing.", type="protocol",
                       info={"bad-element": what})
    return local(elements(parent)[0])


# --------------------------------------------------------------------------- the session
class SessionDropped(Exception):
    """The fault injector asked to drop the connection."""


class NetconfSession:
    def __init__(self, process, device: Device, lab: Any = None) -> None:
        self.process = process
        self.device = device
        self.lab = lab
        self.session_id = device.new_session_id()
        self.reader = FrameReader()
        self.chunked = False
        self.closed = False
        self.settings = settings_for(device)
        self.model: YangModel = get_model(self.settings.model)
        self.translator: Translator = translator_for(self.settings.model)

    # -- I/O
    def _write(self, message: str) -> None:
        self.device.record(self.session_id, "netconf", "out", message)
        self.process.stdout.write(frame(message, self.chunked))

    def _hello(self) -> str:
        hello = etree.Element(f"{{{NC}}}hello", nsmap={None: NC})
        caps = etree.SubElement(hello, f"{{{NC}}}capabilities")
        for cap in capabilities(self.device, self.settings):
            etree.SubElement(caps, f"{{{NC}}}capability").text = cap
        etree.SubElement(hello, f"{{{NC}}}session-id").text = str(self.session_id)
        return '<?xml version="1.0" encoding="UTF-8"?>' + etree.tounicode(hello)

    async def run(self) -> None:
        dev = self.device
        st = state_of(dev)
        st.sessions[self.session_id] = self
        dev.active_sessions[self.session_id] = "netconf"
        try:
            if dev.faults.hang:
                await self._read_until_eof()
                return
            self._write(self._hello())
            got_hello = False
            while not self.closed:
                idle = dev.faults.exec_timeout
                try:
                    data = await asyncio.wait_for(self.process.stdin.read(65536), idle) if idle \
                        else await self.process.stdin.read(65536)
                except asyncio.TimeoutError:
                    dev.record(self.session_id, "netconf", "event", "idle timeout: session closed")
                    break
                if not data:
                    break
                try:
                    messages = self.reader.feed(data.encode() if isinstance(data, str) else data)
                except FramingError as exc:
                    log.info("%s: netconf session %s: %s", dev.name, self.session_id, exc)
                    break
                while messages:
                    raw = messages.pop(0)
                    if not got_hello:
                        if not self._client_hello(raw):
                            return
                        got_hello = True
                        if self.reader.chunked:
                            # What followed the hello in this read is chunked already: a
                            # client may send its first RPC as soon as it has our hello.
                            messages = self.reader.feed(b"")
                        continue
                    await self._handle(raw)
                    if self.closed:
                        break
        except SessionDropped:
            conn = self.process.get_extra_info("connection")
            if conn is not None:
                conn.abort()
        except (ConnectionError, BrokenPipeError):
            pass                          # the client went away; clean up below
        finally:                          # also on cancellation (lab stop), which propagates
            self._end()
            try:
                self.process.exit(0)
            except Exception:  # noqa: BLE001 - the channel may already be gone
                pass

    async def _read_until_eof(self) -> None:
        while await self.process.stdin.read(65536):
            pass

    def _client_hello(self, raw: bytes) -> bool:
        text = raw.decode("utf-8", "replace")
        self.device.record(self.session_id, "netconf", "in", text)
        try:
            hello = parse_xml(raw)
        except etree.XMLSyntaxError:
            return False
        if local(hello) != "hello" or _child(hello, "session-id") is not None:
            return False   # RFC 6241 8.1: a client hello with a session-id ends the session
        caps = {(c.text or "").strip() for c in hello.iter(f"{{{NC}}}capability")}
        if self.settings.base11 and BASE11 in caps:
            self.chunked = self.reader.chunked = True
        elif BASE10 not in caps:
            return False
        return True

    def _end(self) -> None:
        """Session termination: release locks, roll back an unconfirmed commit of ours."""
        if self.closed and self.session_id not in state_of(self.device).sessions:
            return
        self.closed = True
        dev = self.device
        st = state_of(dev)
        st.sessions.pop(self.session_id, None)
        dev.active_sessions.pop(self.session_id, None)
        with dev.lock:
            if dev.confirm_pending and st.confirm_owner == self.session_id and st.persist is None:
                dev.cancel_confirmed()
                st.confirm_owner = None
            if dev.locks.get("candidate") == self.session_id and dev.uncommitted():
                dev.discard_changes()
            for name, holder in dev.locks.items():
                if holder == self.session_id:
                    dev.locks[name] = None

    def kill(self) -> None:
        self._end()
        try:
            self.process.channel.close()
        except Exception:  # noqa: BLE001
            pass

    # -- rpc dispatch
    async def _handle(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace")
        self.device.record(self.session_id, "netconf", "in", text)
        settings = self.settings = settings_for(self.device)
        try:
            rpc = parse_xml(raw)
        except etree.XMLSyntaxError as exc:
            self._reply(None, [RpcError("malformed-message", f"Malformed XML: {exc}", type="rpc")])
            return
        if local(rpc) != "rpc" or ns_of(rpc) != NC:
            self._reply(None, [RpcError("unknown-element", f"Expected <rpc>, got <{local(rpc)}>.",
                                        type="protocol", info={"bad-element": local(rpc)})])
            return
        ops = elements(rpc)
        name = local(ops[0]) if ops else ""
        if self.device.faults.hang:
            return                       # a hung device reads requests and never answers
        if "*" in settings.drop_on or name in settings.drop_on:
            raise SessionDropped()
        if settings.delay:
            await asyncio.sleep(settings.delay)
        if rpc.get("message-id") is None:
            self._reply(rpc, [RpcError("missing-attribute", "message-id is missing.", type="rpc",
                                       info={"bad-attribute": "message-id", "bad-element": "rpc"})])
            return
        handler = getattr(self, "rpc_" + name.replace("-", "_"), None) if ops else None
        native = name in JUNOS_RPCS
        if native and (self.settings.model != "junos" or ns_of(ops[0]) not in (None, NC, NS_JUNOS)):
            handler = None
        if handler is None or (not native and ns_of(ops[0]) != NC):
            self._reply(rpc, [RpcError("operation-not-supported", f"RPC <{name}> is not supported.",
                                       type="protocol")])
            return
        try:
            body = handler(ops[0])
            if asyncio.iscoroutine(body):
                body = await body
        except RpcError as err:
            self._reply(rpc, [err])
            return
        except SessionDropped:
            raise
        except Exception as exc:  # noqa: BLE001 - a lab bug must not kill the session silently
            log.exception("%s: netconf %s failed", self.device.name, name)
            self._reply(rpc, [RpcError("operation-failed", f"internal error: {exc}")])
            return
        if "*" in settings.drop_after or name in settings.drop_after:
            raise SessionDropped()
        self._reply(rpc, body)

    def _reply(self, rpc: etree._Element | None, body) -> None:
        reply = etree.Element(f"{{{NC}}}rpc-reply", nsmap={None: NC})
        if rpc is not None:
            for k, v in rpc.attrib.items():
                reply.set(k, v)
        if body is None:
            etree.SubElement(reply, f"{{{NC}}}ok")
        elif isinstance(body, list):
            for item in body:
                reply.append(item.to_element() if isinstance(item, RpcError) else item)
        else:
            reply.append(body)
        self._write(etree.tounicode(reply))

    # -- datastores
    def _tree(self, name: str) -> ConfigTree:
        dev = self.device
        if name == "running":
            return dev.running
        if name == "candidate" and dev.has_candidate:
            return dev.candidate
        if name == "candidate":
            raise RpcError("operation-not-supported", "This device has no candidate datastore.",
                           type="protocol")
        raise RpcError("invalid-value", f"Unknown datastore {name!r}.", type="protocol",
                       info={"bad-element": name})

    def _store(self, name: str, tree: ConfigTree) -> None:
        dev = self.device
        if name == "candidate":
            dev.candidate = tree
        elif dev.has_candidate:
            raise RpcError("operation-not-supported",
                           "running is not writable here: edit the candidate and commit.",
                           type="protocol")
        else:
            def replace(running: ConfigTree) -> None:
                running.children[:] = tree.children
            dev.apply_running(replace)

    def _check_lock(self, name: str) -> None:
        holder = self.device.locks.get(name)
        if holder is not None and holder != self.session_id:
            raise RpcError("in-use", f"The {name} datastore is locked by another session.",
                           type="protocol", info={"session-id": str(self._public_id(holder))})

    def _public_id(self, holder: int) -> int:
        """RFC 6241: 0 when the lock is held by a non-NETCONF entity (a CLI session)."""
        return holder if self.device.active_sessions.get(holder) == "netconf" else 0

    def _view(self, tree: ConfigTree) -> list[etree._Element]:
        return self._tidy_all(self.translator.view(tree))

    def _tidy_all(self, elems: list[etree._Element]) -> list[etree._Element]:
        prefixes = self.translator.value_prefixes()
        return [_tidy(e, None, prefixes) for e in elems]

    def _yang_error(self, exc: Exception, stage: str) -> RpcError:
        problem = explain(exc)
        tag = problem.tag
        if stage != "edit-config" and tag == "invalid-value":
            tag = "operation-failed" if stage == "commit" else tag
        return RpcError(tag, problem.message, path=problem.path,
                        path_ns=path_namespaces(problem.path or "", self.model),
                        app_tag=problem.app_tag)

    def _validate_tree(self, tree: ConfigTree, stage: str) -> None:
        """YANG first, then (XR) what the device's own CLI would refuse in the same lines."""
        xml = _serialize(self._view(tree))
        try:
            self.model.validate(xml, full=True)
        except Exception as exc:  # libyang.LibyangError
            if type(exc).__name__ != "LibyangError":
                raise
            raise self._yang_error(exc, stage) from None
        if self.settings.model == "cisco_xr":
            problem = xr_semantic_problem(self.device, tree)
            if problem:
                raise RpcError("operation-failed", problem, app_tag="xr-semantic-check")

    def _data(self, tree: ConfigTree, filt: etree._Element | None) -> etree._Element:
        data = etree.Element(f"{{{NC}}}data", nsmap={None: NC})
        for e in self._view(tree):
            data.append(e)
        if filt is not None:
            ftype = filt.get("type", "subtree")
            if ftype != "subtree":
                raise RpcError("operation-not-supported", f"filter type {ftype!r} is not supported.",
                               type="protocol", info={"bad-attribute": "type", "bad-element": "filter"})
            self.translator.normalize(filt)
            data = subtree_filter(data, filt)
        if self.settings.model == "ieee" and self.settings.ieee_namespace == "ieee":
            data = _rename_namespace(data, NS_IEEE_SHAPE, NS_IEEE_LINK_OAM)
        return data

    # -- RPCs (each returns None for <ok/>, an element, or raises RpcError)
    def rpc_get(self, op: etree._Element):
        with self.device.lock:
            return self._data(self.device.running, _child(op, "filter"))

    def rpc_get_config(self, op: etree._Element):
        source = _datastore_name(_child(op, "source"), "source")
        with self.device.lock:
            return self._data(self._tree(source), _child(op, "filter"))

    def rpc_edit_config(self, op: etree._Element):
        target = _datastore_name(_child(op, "target"), "target")
        default_op = (_child(op, "default-operation").text or "merge").strip() \
            if _child(op, "default-operation") is not None else "merge"
        if default_op not in ("merge", "replace", "none"):
            raise RpcError("invalid-value", f"default-operation {default_op!r}.", type="protocol",
                           info={"bad-element": "default-operation"})
        test_el = _child(op, "test-option")
        test_option = (test_el.text or "").strip() if test_el is not None else "test-then-set"
        if test_option not in ("test-then-set", "set", "test-only"):
            raise RpcError("invalid-value", f"test-option {test_option!r}.", type="protocol",
                           info={"bad-element": "test-option"})
        config = _child(op, "config")
        if config is None:
            if _child(op, "url") is not None:
                raise RpcError("operation-not-supported", ":url is not supported.", type="protocol")
            raise RpcError("missing-element", "<config> is missing.", type="protocol",
                           info={"bad-element": "config"})
        self._edit(target, [config], default_op, test_option)
        return None

    def _edit(self, target: str, configs: list[etree._Element], default_op: str,
              test_option: str = "test-then-set") -> None:
        """Apply <config> elements in order to ``target``, all or nothing."""
        dev = self.device
        with dev.lock:
            tree = self._tree(target)
            self._check_lock(target)
            datastore = etree.Element("datastore")
            if default_op != "replace":
                datastore.extend(self.translator.view(tree))
            engine = EditEngine(self.model.node, strict=self.model.available)
            for config in configs:
                self.translator.normalize(config)
                for top in elements(config):
                    if not self.model.known_namespace(ns_of(top)):
                        raise RpcError("unknown-namespace", f"Unknown namespace {ns_of(top)!r}.",
                                       info={"bad-element": local(top),
                                             "bad-namespace": ns_of(top) or ""})
                engine.apply(datastore, config, "merge" if default_op == "replace" else default_op)
            result = self._tidy_all(elements(datastore))
            if self.settings.validate_at == "edit-config" or test_option == "test-only":
                try:
                    self.model.validate(_serialize(result), full=True)
                except Exception as exc:
                    if type(exc).__name__ != "LibyangError":
                        raise
                    raise self._yang_error(exc, "edit-config") from None
            if test_option == "test-only":
                return
            self._store(target, self.translator.apply(tree, result))

    def rpc_validate(self, op: etree._Element):
        source = _child(op, "source")
        inline = _child(source, "config") if source is not None else None
        if inline is not None:
            self.translator.normalize(inline)
            try:
                self.model.validate(_serialize(self._tidy_all(elements(inline))), full=True)
            except Exception as exc:
                if type(exc).__name__ != "LibyangError":
                    raise
                raise self._yang_error(exc, "validate") from None
            return None
        name = _datastore_name(source, "source")
        with self.device.lock:
            self._validate_tree(self._tree(name), "validate")
        return None

    def rpc_lock(self, op: etree._Element):
        target = _datastore_name(_child(op, "target"), "target")
        dev = self.device
        with dev.lock:
            self._tree(target)
            holder = dev.locks.get(target)
            if holder is not None:
                raise RpcError("lock-denied", f"Lock failed, lock is already held by session "
                               f"{self._public_id(holder)}.", type="protocol",
                               info={"session-id": str(self._public_id(holder))})
            if target == "candidate" and dev.uncommitted():
                raise RpcError("lock-denied", "The candidate has uncommitted changes.",
                               type="protocol", info={"session-id": "0"})
            dev.locks[target] = self.session_id
        return None

    def rpc_unlock(self, op: etree._Element):
        target = _datastore_name(_child(op, "target"), "target")
        dev = self.device
        with dev.lock:
            self._tree(target)
            if dev.locks.get(target) != self.session_id:
                raise RpcError("operation-failed", f"The {target} datastore is not locked by this "
                               "session.", type="protocol")
            dev.locks[target] = None
        return None

    def _persist_check(self, st: DeviceNetconfState, persist_id: str | None, what: str) -> None:
        if st.persist is not None:
            if persist_id != st.persist:
                raise RpcError("invalid-value", f"{what}: persist-id does not match the pending "
                               "confirmed commit.", type="protocol", info={"bad-element": "persist-id"})
        elif persist_id is not None:
            raise RpcError("invalid-value", f"{what}: no persistent confirmed commit is pending.",
                           type="protocol", info={"bad-element": "persist-id"})
        elif st.confirm_owner not in (None, self.session_id):
            raise RpcError("operation-failed", f"{what}: the confirmed commit belongs to session "
                           f"{st.confirm_owner}.")

    async def rpc_commit(self, op: etree._Element):
        dev = self.device
        if not dev.has_candidate:
            raise RpcError("operation-not-supported", "No candidate datastore.", type="protocol")
        confirmed = _child(op, "confirmed") is not None
        timeout_el = _child(op, "confirm-timeout")
        persist_el = _child(op, "persist")
        persist_id_el = _child(op, "persist-id")
        timeout = DEFAULT_CONFIRM_TIMEOUT
        if timeout_el is not None:
            try:
                timeout = int((timeout_el.text or "").strip())
                if timeout < 1:
                    raise ValueError
            except ValueError:
                raise RpcError("invalid-value", "confirm-timeout must be a positive integer.",
                               type="protocol", info={"bad-element": "confirm-timeout"}) from None
        persist_id = (persist_id_el.text or "").strip() if persist_id_el is not None else None
        st = state_of(dev)
        with dev.lock:
            self._check_lock("running")
            self._check_lock("candidate")
            if dev.confirm_pending:
                self._persist_check(st, persist_id, "commit")
        if dev.faults.drop_on_commit:
            raise SessionDropped()
        if self.settings.commit_delay:
            await asyncio.sleep(self.settings.commit_delay)
        with dev.lock:   # validate and commit the same candidate, with no await in between
            self._validate_tree(dev.candidate, "commit")
            try:
                dev.commit(session_id=self.session_id, channel="netconf",
                           confirmed_seconds=timeout if confirmed else None)
            except CommitError as exc:
                raise RpcError("operation-failed", str(exc)) from None
            if confirmed:
                st.confirm_owner = self.session_id
                st.persist = (persist_el.text or "").strip() if persist_el is not None else None
            else:
                st.confirm_owner = st.persist = None
        return None

    def rpc_cancel_commit(self, op: etree._Element):
        dev = self.device
        persist_id_el = _child(op, "persist-id")
        persist_id = (persist_id_el.text or "").strip() if persist_id_el is not None else None
        st = state_of(dev)
        with dev.lock:
            if not dev.confirm_pending:
                raise RpcError("operation-failed", "No confirmed commit is in progress.")
            self._persist_check(st, persist_id, "cancel-commit")
            dev.cancel_confirmed()
            st.confirm_owner = st.persist = None
        return None

    def rpc_discard_changes(self, op: etree._Element):
        dev = self.device
        if not dev.has_candidate:
            raise RpcError("operation-not-supported", "No candidate datastore.", type="protocol")
        with dev.lock:
            self._check_lock("candidate")
            dev.discard_changes()
        return None

    def rpc_close_session(self, op: etree._Element):
        self.closed = True
        return None

    def rpc_kill_session(self, op: etree._Element):
        sid_el = _child(op, "session-id")
        try:
            sid = int((sid_el.text or "").strip()) if sid_el is not None else -1
        except ValueError:
            sid = -1
        if sid == self.session_id:
            raise RpcError("invalid-value", "A session cannot kill itself; use close-session.",
                           type="protocol", info={"bad-element": "session-id"})
        victim = state_of(self.device).sessions.get(sid)
        if victim is None:
            raise RpcError("invalid-value", f"No NETCONF session {sid}.", type="protocol",
                           info={"bad-element": "session-id"})
        victim.kill()
        return None

    # -- Junos-native RPCs (only on the junos model)
    def rpc_load_configuration(self, op: etree._Element):
        action = op.get("action", "merge")
        fmt = op.get("format", "xml")
        if op.get("rollback") is not None:
            try:
                n = int(op.get("rollback"))
                with self.device.lock:
                    self._check_lock("candidate")
                    self.device.rollback(n)
            except (ValueError, IndexError):
                raise RpcError("invalid-value", f"rollback {op.get('rollback')!r} does not exist",
                               type="protocol", info={"bad-attribute": "rollback"}) from None
            return load_results()
        if action not in ("merge", "replace", "override", "update", "set"):
            raise RpcError("invalid-value", f"action {action!r}", type="protocol",
                           info={"bad-attribute": "action"})
        body = elements(op)[0] if elements(op) else None
        if body is None:
            raise RpcError("missing-element", "configuration is missing", type="protocol")
        if local(body) == "configuration-set" or action == "set":
            configs = set_lines_to_configs(body.text or "", self.model)
            self._edit("candidate", configs, "merge")
        elif local(body) == "configuration" and fmt == "xml":
            config = etree.Element(f"{{{NC}}}config")
            config.append(body)
            self._edit("candidate", [config], "replace" if action == "override" else "merge")
        else:
            raise RpcError("operation-not-supported",
                           f"<{local(body)}> format={fmt!r} is not supported by the lab "
                           "(use XML or set lines)", type="protocol")
        return load_results()

    async def rpc_commit_configuration(self, op: etree._Element):
        dev = self.device
        if has_child(op, "at-time"):
            raise RpcError("operation-not-supported", "commit at is not supported by the lab.",
                           type="protocol")
        if has_child(op, "check"):
            with dev.lock:
                self._validate_tree(dev.candidate, "validate")
            return commit_results(check=True)
        minutes = None
        if has_child(op, "confirmed"):
            text = (_child(op, "confirm-timeout").text or "").strip() \
                if _child(op, "confirm-timeout") is not None else "10"
            if not text.isdigit() or not 1 <= int(text) <= 65535:
                raise RpcError("invalid-value", "confirm-timeout must be 1..65535 minutes",
                               type="protocol", info={"bad-element": "confirm-timeout"})
            minutes = int(text)
        log_el = _child(op, "log")
        if dev.faults.drop_on_commit:
            raise SessionDropped()
        if self.settings.commit_delay:
            await asyncio.sleep(self.settings.commit_delay)
        st = state_of(dev)
        with dev.lock:
            self._check_lock("candidate")
            self._validate_tree(dev.candidate, "commit")
            try:
                dev.commit(session_id=self.session_id, channel="netconf",
                           confirmed_seconds=minutes * 60 if minutes else None,
                           comment=(log_el.text or "").strip() if log_el is not None else None)
            except CommitError as exc:
                raise RpcError("operation-failed", str(exc)) from None
            st.confirm_owner = st.persist = None      # Junos: any later commit confirms
        return commit_results(check=False)

    def rpc_get_configuration(self, op: etree._Element):
        database = op.get("database", "candidate")
        if op.get("format", "xml") != "xml":
            raise RpcError("operation-not-supported", "only format=\"xml\" is supported by the lab.",
                           type="protocol", info={"bad-attribute": "format"})
        filt = None
        if elements(op):
            filt = etree.Element(f"{{{NC}}}filter")
            filt.extend(elements(op))
        with self.device.lock:
            data = self._data(self._tree("running" if database == "committed" else "candidate"), filt)
        conf = data.find(f"{{{NS_JUNOS}}}configuration")
        return conf if conf is not None else etree.Element(f"{{{NS_JUNOS}}}configuration",
                                                           nsmap={None: NS_JUNOS})

    def rpc_open_configuration(self, op: etree._Element):
        return None                      # private/exclusive databases share the candidate here

    def rpc_close_configuration(self, op: etree._Element):
        return None

    def rpc_lock_configuration(self, op: etree._Element):
        return self.rpc_lock(etree.fromstring(f'<lock xmlns="{NC}"><target><candidate/></target></lock>'))

    def rpc_unlock_configuration(self, op: etree._Element):
        return self.rpc_unlock(etree.fromstring(f'<unlock xmlns="{NC}"><target><candidate/></target></unlock>'))


async def serve(process, device: Device, lab: Any = None) -> None:
    """Entry point for the lab server: run one NETCONF session on ``process``."""
    await NetconfSession(process, device, lab).run()


