"""Render: per-host plans (intent -> vendor values) and the Jinja templates that print them.

`plan_hosts()` validates everything first and raises one `InputError` listing every problem in
the selection, so a bad policy never reaches a device. Rendering then only formats data:
templates get vendor values that are already converted and range-checked.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import pickle
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.sandbox

from oamkit.errors import InputError, Problem
from oamkit.inventory import HostSettings, Inventory
from oamkit.platforms import Platform, get_platform
from oamkit.policy import LinkOamIntent

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
IEEE_LINK_OAM_NS = "urn:ieee:std:802.3:yang:ieee802-ethernet-link-oam"
# Settings that live in a shared profile (XR profile, IOS template, Junos action-profile)
# rather than on the interface.
_PROFILE_KEYS = ("mode", "pdu_interval", "link_timeout", "link_monitoring", "events",
                 "high_threshold_action", "remote_failure", "allow_remote_loopback",
                 "remote_loopback")


@dataclass
class InterfacePlan:
    intent: LinkOamIntent
    vendor: dict


@dataclass
class HostPlan:
    host: HostSettings
    platform: Platform
    interfaces: list[InterfacePlan] = field(default_factory=list)
    profiles: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # interfaces oamkit manages on the device with no intent now: a rollback restores those a
    # past change backed up, though the inventory no longer names them
    also_managed: tuple[str, ...] = ()

    @property
    def managed_interfaces(self) -> set[str]:
        """The interfaces whose OAM configuration oamkit reads, compares and changes."""
        return {i.intent.interface for i in self.interfaces} | set(self.also_managed)

    @property
    def form(self) -> str:
        templates = self.platform.templates
        return "cli-template" if self.host.oam.form == "template" and "cli-template" in templates else "cli"

    @property
    def profile_names(self) -> list[str]:
        """Profiles the device will hold (XR profile, IOS template, Junos action-profile)."""
        if self.form not in self.platform.profile_forms:
            return []
        return [name for name, settings in self.profiles.items()
                if not self.platform.profile_needs_high_threshold or _high_thresholds(settings)]


def plan_host(inventory: Inventory, host: HostSettings, fmt: str | None = None) -> tuple[HostPlan, list[Problem]]:
    """`fmt`: the format it will be rendered in (cli | netconf); None: the host's transport's."""
    platform = get_platform(host.platform)
    plan = HostPlan(host, platform)
    problems: list[Problem] = []
    try:
        intents = inventory.intents(host)
    except InputError as exc:
        return plan, exc.problems
    form = "netconf" if (fmt or ("netconf" if host.transport == "netconf" else "cli")) == "netconf" \
        else plan.form
    for intent in intents:
        vendor, found, notes = platform.translate(intent, form)
        problems.extend(found)
        # once per host: a skipped key is the same news on each of its interfaces
        plan.notes.extend(n for n in notes if n not in plan.notes)
        plan.interfaces.append(InterfacePlan(intent, vendor))
    if not problems:
        _assign_profiles(plan)
        if platform.profile_forms:
            for name in plan.profiles:   # derived from policy names; they reach the device
                unfit = platform.names.problem("profile", name)
                if unfit:
                    policies = sorted({i.intent.policy for i in plan.interfaces
                                       if i.vendor.get("profile") == name})
                    problems.append(Problem(
                        f"policy name {', '.join(policies)!s} makes the profile name {name!r}, "
                        f"which is {unfit} on {platform.display}; rename the policy",
                        host=host.name, field="policy", value=", ".join(policies)))
    return plan, problems


def plan_hosts(inventory: Inventory, hosts: list[HostSettings], fmt: str | None = None) -> list[HostPlan]:
    plans, problems = [], []
    for host in hosts:
        plan, found = plan_host(inventory, host, fmt)
        plans.append(plan)
        problems.extend(found)
    if problems:
        raise InputError(problems)
    return plans


def plan_of(host: HostSettings, platform: Platform, interfaces: list[InterfacePlan]) -> HostPlan:
    """A plan from interfaces translated elsewhere (`policy explain`), profiles assigned."""
    plan = HostPlan(host, platform, interfaces)
    _assign_profiles(plan)
    return plan


def _assign_profiles(plan: HostPlan) -> None:
    """Group interfaces with identical profile settings under one profile name:
    OAMKIT-<POLICY>, plus a settings hash when one policy yields different settings here
    (interface overrides, or speed-dependent conversions)."""
    by_policy: dict[str, dict[str, dict]] = {}
    for itf in plan.interfaces:
        if not itf.vendor["enabled"]:
            continue
        settings = {k: itf.vendor[k] for k in _PROFILE_KEYS}
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:6]
        by_policy.setdefault(itf.intent.policy, {})[digest] = settings
        itf.vendor["_digest"] = digest
    for itf in plan.interfaces:
        if not itf.vendor["enabled"]:
            itf.vendor["profile"] = None
            continue
        variants = by_policy[itf.intent.policy]
        base = "OAMKIT-" + itf.intent.policy.upper()
        name = base if len(variants) == 1 and not itf.intent.overridden else f"{base}-{itf.vendor['_digest']}"
        itf.vendor["profile"] = name
        plan.profiles[name] = variants[itf.vendor.pop("_digest")]


def _high_thresholds(settings: dict) -> dict:
    """Events of a profile whose high threshold is set (not absent, not 'none')."""
    return {name: ev for name, ev in settings["events"].items()
            if ev["high"] is not None and ev["high"] != "none"}


def environment(template_dirs: list[Path] | None = None) -> jinja2.Environment:
    """User folders first, then ours: a team's template library overrides file by file."""
    search = [str(p) for p in (template_dirs or [])] + [str(BUILTIN_TEMPLATES)]
    # Sandboxed: a team's template folder is data we render, not code we run.
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(search), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False)
    env.filters["high_thresholds"] = _high_thresholds
    return env


def template_for(plan: HostPlan, fmt: str) -> str:
    """The template that renders `plan` in format `cli` or `netconf`."""
    platform = plan.platform
    if fmt == "netconf":
        key = "netconf"
    else:
        key = plan.form
    if key not in platform.templates:
        raise InputError([Problem(f"{platform.display} has no {fmt} form",
                                  host=plan.host.name, field="--format", value=fmt,
                                  allowed=", ".join(sorted({k.split('-')[0] for k in platform.templates})))])
    return platform.templates[key]


_compiling = threading.Lock()


@functools.cache
def _default_environment() -> jinja2.Environment:
    env = environment()
    env.auto_reload = False   # one run, fixed templates: no stat() of the file per host
    return env


def render_plan(plan: HostPlan, fmt: str = "cli", env: jinja2.Environment | None = None) -> str:
    # One shared environment: Jinja compiles each template once instead of once per host.
    env = env or _default_environment()
    name = template_for(plan, fmt)
    vendors = [i.vendor for i in plan.interfaces]
    try:
        with _compiling:   # fifty hosts starting at once would each compile the same template
            template = env.get_template(name)
            cache = _cache_for(env, name)
        key = _render_key(plan.platform.name, vendors, plan.profiles) if cache is not None else None
        if key is not None and key in cache:
            return cache[key]
        text = template.render(host=plan.host, platform=plan.platform, interfaces=vendors,
                               profiles=plan.profiles, ieee_namespace=IEEE_LINK_OAM_NS)
    except jinja2.TemplateError as exc:
        raise InputError([Problem(f"template {name} failed: {exc}", host=plan.host.name)]) from None
    text = "\n".join(line.rstrip() for line in text.splitlines() if line.strip()) + "\n"
    if key is not None and len(cache) < _CACHE_SIZE:
        cache[key] = text
    return text


# ------------------------------------------------------------------ the rendered-text cache
# A fleet is mostly the same few interface intents on the same platforms: hosts whose template
# inputs are equal get the same text, rendered once (a third of a push's own CPU per host was
# Jinja). Only for templates that never read `host` (ours don't; a team's may), and only for
# inputs made of plain values, keyed by value *and type* (True, 1 and 1.0 render differently).
_CACHE_SIZE = 4096
_caches: "weakref.WeakKeyDictionary[jinja2.Environment, dict]" = weakref.WeakKeyDictionary()


class _NotPlain(Exception):
    pass


class _PlainPickler(pickle.Pickler):
    """Pickles plain values only: anything else raises _NotPlain. The C pickler serialises
    None, bools, ints, floats, strs, bytes, lists, tuples, dicts and sets itself and asks
    `reducer_override` about every other object (subclasses included). Equal bytes mean equal
    values of equal types (True, 1 and 1.0 pickle apart); equal values may pickle apart (two
    sets in another order), which only costs a rendering. A tenth of the time a walk in
    Python took."""

    def reducer_override(self, obj):
        raise _NotPlain


def _cache_for(env: jinja2.Environment, name: str) -> dict | None:
    """The cache of template `name` in `env`, None when its output may depend on the host."""
    per_env = _caches.setdefault(env, {})
    if name not in per_env:
        per_env[name] = {} if _host_free(env, name, set()) else None
    return per_env[name]


def _host_free(env: jinja2.Environment, name: str, seen: set[str]) -> bool:
    """Neither the template nor any template it includes or imports reads `host`."""
    if name in seen:
        return True
    seen.add(name)
    source = env.loader.get_source(env, name)[0]
    tree = env.parse(source)
    if "host" in jinja2.meta.find_undeclared_variables(tree):
        return False
    for other in jinja2.meta.find_referenced_templates(tree):
        if other is None or not _host_free(env, other, seen):   # None: a name computed at run time
            return False
    return True


def _render_key(platform: str, vendors: list[dict], profiles: dict) -> bytes | None:
    out = io.BytesIO()
    pickler = _PlainPickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    # no memo: a value shared by two keys must not make their bytes differ from a copy's
    pickler.fast = True
    try:
        pickler.dump((platform, vendors, profiles))
    except (_NotPlain, ValueError, RecursionError):   # ValueError: a container holding itself
        return None
    return out.getvalue()
