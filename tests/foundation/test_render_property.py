"""Property: for any policy the schema accepts (every subset of its keys, with `extends` and
per-interface `overrides`), on every platform and in every form, render either succeeds or
stops with oamkit's own input error (exit 2) — never a crash. A policy without `mode` (the
README's `crc-watch`) once raised KeyError in the IOS renderer."""
from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oamkit.errors import InputError
from oamkit.inventory import Inventory
from oamkit.policy import EVENTS
from oamkit.render import plan_hosts, render_plan

INTERFACES = {"cisco_ios": ["GigabitEthernet0/1", "Gi0/2"],
              "cisco_xr": ["GigabitEthernet0/0/0/0", "Te0/0/0/1"],
              "juniper_junos": ["ge-0/0/0", "xe-0/0/1"],
              "huawei_vrp": ["GigabitEthernet0/1/0", "XGigabitEthernet0/0/1"],
              "ieee": ["eth0", "eth1"]}

durations = st.sampled_from(["100ms", "500ms", "1s", "1500ms", "2s", "5s", "10s", "60s", "90s"])
windows = st.one_of(durations, st.integers(min_value=1, max_value=5_000_000))
thresholds = st.integers(min_value=0, max_value=70_000)


def _subset(options: dict) -> st.SearchStrategy[dict]:
    """A dict holding any subset of `options`' keys, each with a value from its strategy."""
    return st.fixed_dictionaries({}, optional=options)


events = _subset({"window": windows, "low": thresholds,
                  "high": st.one_of(st.integers(min_value=1, max_value=70_000), st.just("none")),
                  "fallback": st.sampled_from(EVENTS),
                  "on_unsupported": st.sampled_from(["skip", "error"])})
policy_bodies = _subset({
    "mode": st.sampled_from(["active", "passive"]),
    "enabled": st.booleans(),
    "pdu_interval": st.sampled_from(["100ms", "1s", "2s"]),
    "pdu_max_rate": st.integers(min_value=1, max_value=20),
    "link_timeout": st.sampled_from(["2s", "3s", "5s", "10s", "30s"]),
    "link_monitoring": st.booleans(),
    "link_monitor": _subset({name: events for name in EVENTS}),
    "high_threshold_action": st.sampled_from(["error-disable-interface", "failover", "log"]),
    "remote_failure": _subset({f: st.sampled_from(["error-disable-interface", "log"])
                               for f in ("link_fault", "dying_gasp", "critical_event")}),
    "require_operational": st.booleans(),
    "link_fault_holdup": st.sampled_from(["0s", "1s", "20s", "50s", "60s", "1500ms"]),
    "allow_remote_loopback": st.booleans(),
    "on_unsupported": st.sampled_from(["skip", "error"]),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parent=policy_bodies, child=policy_bodies, override=policy_bodies,
       use_extends=st.booleans(), ios_form=st.sampled_from(["interface", "template"]))
def test_render_succeeds_or_stops_with_an_input_error(parent, child, override, use_extends,
                                                      ios_form):
    policies = {"parent": parent, "child": {**child, **({"extends": "parent"} if use_extends else {})}}
    for platform, (first, second) in INTERFACES.items():
        # one inventory per platform: a policy one platform refuses must not hide the others
        host = {"hostname": "127.0.0.1", "platform": platform,
                "data": {"oam": {"policy": "child", "speed": "1G",
                                 **({"form": ios_form} if platform == "cisco_ios" else {}),
                                 "interfaces": {first: {}, second: {"overrides": override}}}}}
        if platform == "ieee":
            host["data"]["transport"] = "netconf"
        _render_everything({"r1": host}, policies)


RENDERED: dict[str, int] = {}   # how many examples got as far as text (checked by hand with -s)


def _render_everything(hosts: dict, policies: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "policies").mkdir()
        (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts))
        (folder / "policies" / "p.yaml").write_text(yaml.safe_dump(policies))
        try:
            inventory = Inventory.load(folder)
            plans = plan_hosts(inventory, list(inventory.hosts.values()))
        except InputError:
            return
        for plan in plans:
            for fmt in ("cli", "netconf"):
                if fmt == "netconf" and "netconf" not in plan.platform.templates:
                    continue
                if fmt == "cli" and plan.host.transport == "netconf" and plan.platform.config is None:
                    continue
                try:
                    text = render_plan(plan, fmt)
                except InputError:
                    continue
                assert isinstance(text, str)
                if any(i.intent.enabled for i in plan.interfaces):   # OAM on: something to send
                    assert text.strip(), f"{plan.platform.name} {fmt}: nothing rendered"
                RENDERED[f"{plan.platform.name}/{fmt}"] = RENDERED.get(f"{plan.platform.name}/{fmt}", 0) + 1


def test_the_readme_policy_without_mode_renders_on_every_platform(tmp_path):
    """The README's own example: no mode, receive-CRC only (IOS) / errored frames elsewhere."""
    policies = {"crc-watch": {"description": "Alarm on bursts of CRC errors",
                              "link_monitor": {"receive_crc": {"window": "10s", "low": 3000}}},
                "frame-watch": {"link_monitor": {"frame": {"low": 10}}}}
    hosts = {"r-ios": {"hostname": "h", "platform": "cisco_ios",
                       "data": {"oam": {"policy": "crc-watch",
                                        "interfaces": {"GigabitEthernet0/1": {}}}}},
             "r-ios-t": {"hostname": "h", "platform": "cisco_ios",
                         "data": {"oam": {"policy": "crc-watch", "form": "template",
                                          "interfaces": {"GigabitEthernet0/1": {}}}}}}
    for platform, (first, _) in INTERFACES.items():
        if platform != "cisco_ios":
            hosts[f"r-{platform}"] = {"hostname": "h", "platform": platform,
                                      "data": {"oam": {"policy": "frame-watch", "speed": "1G",
                                                       "interfaces": {first: {}}},
                                               **({"transport": "netconf"} if platform == "ieee" else {})}}
    (tmp_path / "policies").mkdir()
    (tmp_path / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (tmp_path / "policies" / "p.yaml").write_text(yaml.safe_dump(policies))
    inventory = Inventory.load(tmp_path)
    plans = plan_hosts(inventory, list(inventory.hosts.values()))
    rendered = {plan.host.name: render_plan(plan, "cli" if plan.platform.config else "netconf")
                for plan in plans}
    assert all(text.strip() for text in rendered.values()), rendered
    assert "ethernet oam link-monitor receive-crc threshold low 3000" in rendered["r-ios"]
    assert "ethernet oam link-monitor receive-crc window 100" in rendered["r-ios"]
    assert "mode" not in rendered["r-ios"]
    assert "receive-crc" in rendered["r-ios-t"]
