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
``netconf_commit_delay`` (seconds a commit takes), ``netconf_rpc_errors`` ({RPC name: [{tag,
message, severity, path, bad-element}, ...]}: an RPC of that name is answered with these
rpc-errors; when all are warnings it is carried out and they replace its <ok/>, as a Junos commit
with warnings answers), ``netconf_command_empty`` (a Junos `<command>` is answered with no text at
all, an <ok/>). ``faults.exec_timeout`` closes idle sessions.

This module is the session loop (framing, hello, dispatch, teardown); the RPC handlers are in
``netconf_rpcs``, the settings, capabilities and per-device bookkeeping in ``netconf_state``.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import asyncssh
from lxml import etree

from oamkit.lab.device import Device, lock_conflict  # noqa: F401 - lock_conflict re-exported
from oamkit.lab.netconf_junos import JUNOS_RPCS, has_child
from oamkit.lab.netconf_rpcs import NetconfRpcs
from oamkit.lab.netconf_state import BASE10, BASE11, SessionDropped, capabilities, settings_for, state_of
from oamkit.lab.netconf_xlate import Translator, translator_for
from oamkit.lab.netconf_xml import (NC, FrameReader, FramingError, RpcError, elements, frame, local, ns_of,
                                    parse_xml)
from oamkit.lab.netconf_yang import NS_JUNOS, YangModel, get_model

log = logging.getLogger(__name__)


class NetconfSession(NetconfRpcs):
    """One NETCONF session: framing, hello, RPC dispatch to the ``rpc_*`` handlers of
    ``NetconfRpcs``, and what its end releases."""

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
        dev.session_since[self.session_id] = time.time()
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
        except (ConnectionError, BrokenPipeError, asyncssh.Error):
            pass                          # the client went away (ConnectionLost); clean up below
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
        if local(hello) != "hello" or has_child(hello, "session-id"):
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
        dev.session_since.pop(self.session_id, None)
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
        injected = _injected_errors(self.device, name)
        if any(e.severity != "warning" for e in injected):
            self._reply(rpc, injected)
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
        self._reply(rpc, injected if injected and body is None else body)

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


def _injected_errors(device: Device, name: str) -> list[RpcError]:
    """The fault ``netconf_rpc_errors`` for RPC `name` (see the module's docstring)."""
    wanted = (device.faults.extra.get("netconf_rpc_errors") or {}).get(name) or []
    return [RpcError(e.get("tag", "operation-failed"), e.get("message", ""),
                     severity=e.get("severity", "error"), path=e.get("path"),
                     info={"bad-element": e["bad-element"]} if e.get("bad-element") else {})
            for e in wanted]


async def serve(process, device: Device, lab: Any = None) -> None:
    """Entry point for the lab server: run one NETCONF session on ``process``."""
    await NetconfSession(process, device, lab).run()
