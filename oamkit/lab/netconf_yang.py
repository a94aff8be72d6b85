"""YANG schemas of the lab's NETCONF personality: loading, a key/kind index, validation.

Three data models, one libyang context each (contexts are built once and cached):

- ``cisco_xr``: Cisco's ``Cisco-IOS-XR-ethernet-link-oam-cfg`` and its import closure, taken from
  the cache filled by ``oamkit.lab.yang_fetch`` (never committed, Cisco's licence).
- ``junos``: ``oamkit-junos-lfm`` (ours, in ``oamkit/lab/yang``).
- ``ieee``: ``ietf-interfaces`` + ``iana-if-type`` (IETF, shipped in ``oamkit/lab/yang/ietf``, or
  ``$OAMKIT_YANG_PATH``) + ``oamkit-ieee-link-oam`` (ours, the IEEE 802.3.2 shape).

When a model's modules cannot be found the model still works without validation (``available``
is False), using a built-in table of list keys, so the lab runs anywhere; tests that need the
real validation skip with the reason from ``unavailable_reason``.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

try:  # libyang is an optional extra ("oamkit[yang]")
    import libyang
    from _libyang import ffi, lib
except ImportError:  # pragma: no cover - exercised only where libyang is missing
    libyang = None  # type: ignore[assignment]
    ffi = lib = None  # type: ignore[assignment]

from oamkit.lab import yang_fetch

OWN_YANG_DIR = Path(__file__).resolve().parent / "yang"

NS_XR_IFMGR = "http://cisco.com/ns/yang/Cisco-IOS-XR-ifmgr-cfg"
NS_XR_ETH_INFRA = "http://cisco.com/ns/yang/Cisco-IOS-XR-l2-eth-infra-cfg"
NS_XR_ELO = "http://cisco.com/ns/yang/Cisco-IOS-XR-ethernet-link-oam-cfg"
NS_JUNOS = "http://xml.juniper.net/xnm/1.1/xnm"
NS_IETF_IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NS_IANAIFT = "urn:ietf:params:xml:ns:yang:iana-if-type"
NS_IEEE_SHAPE = "urn:oamkit:yang:ieee-link-oam-shape"
NS_IEEE_LINK_OAM = "urn:ieee:std:802.3:yang:ieee802-ethernet-link-oam"   # the standard's own

# modules whose namespace may appear in payloads, per model, with their load order
MODEL_MODULES = {
    "cisco_xr": ["Cisco-IOS-XR-ethernet-link-oam-cfg"],
    "junos": ["oamkit-junos-lfm"],
    "ieee": ["iana-if-type", "ietf-interfaces", "oamkit-ieee-link-oam"],
}

# advertised even when the modules cannot be loaded (the device still speaks the model)
STATIC_CAPABILITIES = {
    "cisco_xr": [f"{NS_XR_ELO}?module=Cisco-IOS-XR-ethernet-link-oam-cfg&revision=2015-11-09"],
    "junos": [f"{NS_JUNOS}?module=oamkit-junos-lfm&revision=2026-11-22"],
    "ieee": [f"{NS_IANAIFT}?module=iana-if-type&revision=2023-01-26",
             f"{NS_IETF_IF}?module=ietf-interfaces&revision=2018-02-20",
             f"{NS_IEEE_SHAPE}?module=oamkit-ieee-link-oam&revision=2026-11-22"],
}

# used when the schema is not loadable: (namespace-less) local-name path -> list keys
FALLBACK_KEYS = {
    "cisco_xr": {("interface-configurations", "interface-configuration"): ["active", "interface-name"],
                 ("ethernet-features", "ether-link-oam", "profiles", "profile"): ["profile"]},
    "junos": {("configuration", "protocols", "oam", "ethernet", "link-fault-management",
               "action-profile"): ["name"],
              ("configuration", "protocols", "oam", "ethernet", "link-fault-management",
               "interface"): ["name"]},
    "ieee": {("interfaces", "interface"): ["name"],
             ("interfaces", "interface", "link-oam", "discovery-info", "local",
              "functions-supported", "link-monitor", "event-type"): ["threshold-type"]},
}

_paths_configured = False


def _store_error_paths() -> None:
    """Make libyang keep the data path of each error, for rpc-error <error-path>."""
    global _paths_configured
    if not _paths_configured and lib is not None:
        lib.ly_log_options(lib.LY_LOSTORE)
        lib.ly_set_log_clb(ffi.NULL, True)
        _paths_configured = True


def ietf_dirs() -> list[Path]:
    """IETF module dirs: ``$OAMKIT_YANG_PATH`` (colon-separated) first, then the copies shipped
    in ``oamkit/lab/yang/ietf`` (BSD-licensed), so validation never depends on a folder
    outside the project."""
    dirs = [Path(p) for p in os.environ.get("OAMKIT_YANG_PATH", "").split(":") if p]
    dirs.append(Path(__file__).parent / "yang" / "ietf")
    return [d for d in dirs if d.is_dir()]


@dataclass
class SchemaNode:
    kind: str                         # container | list | leaf | leaf-list
    keys: list[str] = field(default_factory=list)   # list keys (local names, same namespace)
    empty: bool = False               # a leaf of type empty (a flag: no value)


@dataclass
class YangModel:
    """One model: its libyang context (or None), its node index and its capability URIs."""

    name: str
    ctx: object | None
    unavailable_reason: str | None
    # (("ns","name"), ...) path -> node; empty when ctx is None
    index: dict[tuple[tuple[str, str], ...], SchemaNode] = field(default_factory=dict)
    capabilities: list[str] = field(default_factory=list)
    namespaces: dict[str, str] = field(default_factory=dict)     # module name -> namespace
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def available(self) -> bool:
        return self.ctx is not None

    # -- schema lookups
    def node(self, path: tuple[tuple[str, str], ...]) -> SchemaNode | None:
        """Schema node of a data path, or None if unknown. Without a schema, guess from keys."""
        if self.ctx is not None:
            return self.index.get(path)
        local = tuple(n for _, n in path)
        keys = FALLBACK_KEYS.get(self.name, {}).get(local)
        return SchemaNode("list", keys) if keys else None

    def children_of(self, path: tuple[tuple[str, str], ...]) -> dict[str, SchemaNode]:
        """Local name -> schema node of the children of ``path`` (empty without a schema)."""
        depth = len(path)
        return {k[-1][1]: v for k, v in self.index.items() if len(k) == depth + 1 and k[:depth] == path}

    def known_namespace(self, ns: str | None) -> bool:
        return self.ctx is None or ns in self.namespaces.values()

    # -- validation
    def validate(self, xml: str, *, full: bool = True) -> None:
        """Parse ``xml`` (top-level config elements) against the schema. ``full`` runs the whole
        validation (leafrefs, musts, mandatory); otherwise only values and structure are checked.
        Raises ``libyang.LibyangError``; a no-op without a schema."""
        if self.ctx is None or not xml.strip():
            return
        with self.lock:
            node = self.ctx.parse_data_mem(xml, "xml", strict=True, no_state=True,  # type: ignore[attr-defined]
                                           parse_only=not full, validate_present=full)
            if node is not None:
                node.free()

    def canonical(self, xml: str) -> str:
        """libyang's own printing of ``xml`` (only values/structure checked), for stable output."""
        if self.ctx is None or not xml.strip():
            return xml
        with self.lock:
            node = self.ctx.parse_data_mem(xml, "xml", strict=True, no_state=True,  # type: ignore[attr-defined]
                                           parse_only=True)
            if node is None:
                return ""
            try:
                return node.print_mem("xml", with_siblings=True, pretty=False)
            finally:
                node.free()


_models: dict[str, YangModel] = {}
_models_lock = threading.Lock()


def _walk(model: YangModel, snode, prefix: tuple[tuple[str, str], ...]) -> None:
    for child in snode.children():
        keyword = child.keyword()
        if keyword in ("choice", "case"):
            _walk(model, child, prefix)
            continue
        ns = model.namespaces.get(child.module().name()) or _module_ns(child.module())
        path = (*prefix, (ns, child.name()))
        if keyword == "list":
            model.index[path] = SchemaNode("list", [k.name() for k in child.keys()])
            _walk(model, child, path)
        elif keyword == "container":
            model.index[path] = SchemaNode("container")
            _walk(model, child, path)
        elif keyword in ("leaf", "leaf-list"):
            model.index[path] = SchemaNode(keyword, empty=child.type().basename() == "empty")


def _module_ns(module) -> str:
    from libyang.util import c2str
    return c2str(module.cdata.ns)


def _module_revision(module) -> str | None:
    for rev in module.revisions():
        return rev.date()
    return None


def _search_path(name: str) -> tuple[list[Path], str | None]:
    dirs = [*ietf_dirs(), OWN_YANG_DIR]
    if name == "cisco_xr":
        xr = yang_fetch.cached_xr_dir()
        if xr is None:
            return dirs, (f"Cisco XR YANG modules not in {yang_fetch.default_cache_dir()}; "
                          "run scripts/fetch-yang.sh (pip download ydk-models-cisco-ios-xr==6.6.3)")
        dirs.append(xr)
    if name in ("cisco_xr", "ieee") and not ietf_dirs():
        return dirs, ("IETF modules not found: the package's oamkit/lab/yang/ietf is missing "
                      "(reinstall oamkit) and OAMKIT_YANG_PATH names none")
    return dirs, None


def get_model(name: str) -> YangModel:
    """The cached model ``cisco_xr`` | ``junos`` | ``ieee``."""
    with _models_lock:
        if name in _models:
            return _models[name]
        model = _build(name)
        _models[name] = model
        return model


def _build(name: str) -> YangModel:
    if libyang is None:
        return YangModel(name, None, "python package libyang (==2.8.0) is not installed",
                         capabilities=list(STATIC_CAPABILITIES[name]))
    dirs, reason = _search_path(name)
    if reason:
        return YangModel(name, None, reason, capabilities=list(STATIC_CAPABILITIES[name]))
    _store_error_paths()
    try:
        ctx = libyang.Context(":".join(str(d) for d in dirs))
        mods = [ctx.load_module(m) for m in MODEL_MODULES[name]]
    except libyang.LibyangError as exc:
        return YangModel(name, None, f"YANG modules of {name} do not load: {exc}",
                         capabilities=list(STATIC_CAPABILITIES[name]))
    model = YangModel(name, ctx, None)
    for mod in ctx:
        if not mod.implemented():
            continue
        ns = _module_ns(mod)
        model.namespaces[mod.name()] = ns
    for mod in mods:
        rev = _module_revision(mod)
        uri = f"{_module_ns(mod)}?module={mod.name()}" + (f"&revision={rev}" if rev else "")
        model.capabilities.append(uri)
    for mod in ctx:
        if mod.implemented():
            _walk(model, mod, ())
    return model


# --------------------------------------------------------------------------- libyang errors
_DATA_LOCATION = re.compile(r'Data location "([^"]+)"')
_SCHEMA_LOCATION = re.compile(r'Schema location "([^"]+)"')


@dataclass
class YangProblem:
    tag: str            # invalid-value | unknown-element | operation-failed | missing-element ...
    message: str
    path: str | None    # libyang data path with module-name prefixes, e.g. /mod:a/b
    app_tag: str | None = None


def explain(exc: Exception) -> YangProblem:
    """Turn a libyang error into rpc-error fields."""
    text = str(exc)
    for lead in ("failed to parse data tree: ", "failed to validate: "):
        if text.startswith(lead):
            text = text[len(lead):]
    path_match = _DATA_LOCATION.search(text) or _SCHEMA_LOCATION.search(text)
    path = path_match.group(1) if path_match else None
    message = text.split(": Data location")[0].split(": Schema location")[0].strip().rstrip(".") + "."
    low = message.lower()
    if "mandatory" in low:
        tag, app = "data-missing", "missing-element"
    elif "must" in low or "leafref" in low or "required instance" in low or "when condition" in low:
        tag, app = "operation-failed", None
    elif "not found" in low and "node" in low:
        tag, app = "unknown-element", None
    elif "duplicate" in low:
        tag, app = "operation-failed", "data-not-unique"
    else:
        tag, app = "invalid-value", None
    if "leafref" in low or "required instance" in low:
        app = "instance-required"
    return YangProblem(tag, message, path, app)


def path_namespaces(path: str, model: YangModel) -> dict[str, str]:
    """Prefix -> namespace for the module-name prefixes used in a libyang data path."""
    out = {}
    for prefix in set(re.findall(r"/([A-Za-z_][\w.-]*):", path)):
        ns = model.namespaces.get(prefix)
        if ns:
            out[prefix] = ns
    return out


def ensure_cisco_xr(fetch: bool = True) -> YangModel:
    """The ``cisco_xr`` model, downloading Cisco's modules into the cache first when they are
    missing (unless ``fetch`` is False or ``$OAMKIT_NO_YANG_FETCH`` is set). When the download
    is impossible the model stays unavailable and ``unavailable_reason`` says why."""
    model = get_model("cisco_xr")
    if model.available or not fetch or os.environ.get("OAMKIT_NO_YANG_FETCH"):
        return model
    try:
        yang_fetch.fetch_cisco_xr()
    except yang_fetch.YangFetchError as exc:
        model.unavailable_reason = f"{model.unavailable_reason}; download failed: {exc}"
        return model
    with _models_lock:
        _models.pop("cisco_xr", None)
    return get_model("cisco_xr")
