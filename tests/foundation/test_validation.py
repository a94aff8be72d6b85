"""Bad inventories and policies: each stops with its exact error, exit code 2, nothing rendered."""
from __future__ import annotations

import pytest

from .conftest import run_cli

IOS = {"r1": {"hostname": "127.0.0.1", "platform": "cisco_ios",
              "data": {"oam": {"policy": "p", "interfaces": {"GigabitEthernet0/1": {}}}}}}


def host(platform="cisco_ios", interfaces=None, policy="p", **extra):
    data = {"oam": {"policy": policy, "interfaces": interfaces or {"GigabitEthernet0/1": {}}}}
    data.update(extra.pop("data", {}))
    return {"r1": {"hostname": "127.0.0.1", "platform": platform, "data": data, **extra}}


def policy(**link_monitor):
    return {"p.yaml": {"p": {"link_monitor": link_monitor}}}


CASES = [
    ("unknown platform", dict(hosts=host(platform="cisco_nxos")),
     "hosts.yaml: host r1: platform: unknown platform (got 'cisco_nxos'); allowed: cisco_ios, cisco_xr, huawei_vrp, ieee, juniper_junos"),
    ("bad YAML", dict(hosts="r1:\n  hostname: [127.0.0.1\n"),
     "hosts.yaml: not valid YAML at line 3"),
    ("bad policy YAML", dict(hosts=IOS, policies={"p.yaml": "p:\n  link_monitor: {frame: {low: 1}\n"}),
     "p.yaml: not valid YAML"),
    ("missing platform", dict(hosts={"r1": {"hostname": "127.0.0.1"}}),
     "hosts.yaml: host r1: platform: no platform (set it on the host, a group or defaults)"),
    ("unknown group", dict(hosts={"r1": {"hostname": "h", "platform": "cisco_ios", "groups": ["nope"]}}),
     "hosts.yaml: host r1: groups: unknown group 'nope'"),
    ("wrong type", dict(hosts=host(port="ssh")),
     "host r1: port: Input should be a valid integer (got 'ssh')"),
    ("unknown oam key", dict(hosts=host(data={"oam": {"polcy": "p"}})),
     "host r1: oam.polcy: unknown key"),
    ("password in clear", dict(hosts=host(password="s3cret")),
     "hosts.yaml: host r1: password: passwords may not be kept in inventory files"),
    ("unknown policy", dict(hosts=host(policy="gold")),
     "host r1: interface GigabitEthernet0/1: policy: unknown policy 'gold' (known: p)"),
    ("policy typo", dict(hosts=IOS, policies=policy(frame={"window": "1s", "lo": 1})),
     "p.yaml: policy p: link_monitor.frame.lo: unknown key"),
    ("window without unit", dict(hosts=IOS, policies=policy(frame={"window": 10})),
     "host r1: interface GigabitEthernet0/1: link_monitor.frame.window: give a unit with the duration 10"),
    ("IOS frame window out of range", dict(hosts=IOS, policies=policy(frame={"window": "100s"})),
     "host r1: interface GigabitEthernet0/1: link_monitor.frame.window: out of range (got '100s'); allowed: 10-600 (x 100 ms) = 1s to 1m on Cisco IOS/IOS-XE"),
    ("IOS receive-crc low too high", dict(hosts=IOS, policies=policy(receive_crc={"low": 70000})),
     "link_monitor.receive_crc.low: out of range (got 70000); allowed: 0-65535 on Cisco IOS/IOS-XE"),
    ("window on Junos", dict(hosts=host("juniper_junos", {"ge-0/0/0": {}}), policies=policy(frame={"window": "1s", "low": 1})),
     "host r1: interface ge-0/0/0: link_monitor.frame.window: not supported on Juniper Junos: Junos fixes every event's window; only thresholds are configurable (vendor notes §4.2, §4.5) (got '1s'); allowed: leave link_monitor.frame.window out of policies for Juniper Junos hosts, or set on_unsupported: skip"),
    ("receive-crc outside IOS", dict(hosts=host("cisco_xr", {"Gi0/0/0/0": {}}), policies=policy(receive_crc={"low": 3000})),
     "host r1: interface GigabitEthernet0/0/0/0: link_monitor.receive_crc: not supported on Cisco IOS-XR: IOS-XR has no CRC monitor"),
    # It used to say "allowed: none on Huawei VRP", which read as if `none` were a value.
    ("high-threshold action on Huawei", dict(hosts=host("huawei_vrp", {"GigabitEthernet0/1/0": {}}),
                                              policies={"p.yaml": {"p": {"high_threshold_action": "log"}}}),
     "high_threshold_action: not supported on Huawei VRP: VRP has one threshold per event and so no high-threshold action"),
    ("hold-up out of range", dict(hosts=host("huawei_vrp", {"GigabitEthernet0/1/0": {}}),
                                  policies={"p.yaml": {"p": {"link_fault_holdup": "60s"}}}),
     "host r1: interface GigabitEthernet0/1/0: link_fault_holdup: out of range (got 60); allowed: 0-50 s on Huawei VRP"),
    ("hold-up not whole seconds", dict(hosts=host("huawei_vrp", {"GigabitEthernet0/1/0": {}}),
                                       policies={"p.yaml": {"p": {"link_fault_holdup": "1500ms"}}}),
     "link_fault_holdup: not a whole number of seconds (got '1500ms')"),
    ("hold-up on IOS", dict(hosts=IOS, policies={"p.yaml": {"p": {"link_fault_holdup": "20s"}}}),
     "link_fault_holdup: not supported on Cisco IOS/IOS-XE: IOS has no hold-up timer"),
    ("hold-up not a duration", dict(hosts=IOS, policies={"p.yaml": {"p": {"link_fault_holdup": "soon"}}}),
     "p.yaml: policy p: link_fault_holdup:"),
    ("remote loopback not yes/no", dict(hosts=IOS, policies={"p.yaml": {"p": {"allow_remote_loopback": "sometimes"}}}),
     "p.yaml: policy p: allow_remote_loopback: Input should be a valid boolean, unable to interpret input (got 'sometimes')"),
    ("unknown on_unsupported", dict(hosts=IOS, policies={"p.yaml": {"p": {"on_unsupported": "ignore"}}}),
     "p.yaml: policy p: on_unsupported: Input should be 'skip' or 'error' (got 'ignore')"),
    ("fallback to an unknown event", dict(hosts=IOS, policies=policy(receive_crc={"low": 1, "fallback": "crc"})),
     "p.yaml: policy p: link_monitor.receive_crc.fallback: Input should be"),
    ("fallback to itself", dict(hosts=IOS, policies=policy(receive_crc={"low": 1, "fallback": "receive_crc"})),
     "host r1: interface GigabitEthernet0/1: link_monitor.receive_crc.fallback: an event cannot fall back to itself"),
    ("fallback to an event also set", dict(hosts=IOS, policies=policy(frame={"low": 1}, receive_crc={"low": 1, "fallback": "frame"})),
     "link_monitor.receive_crc.fallback: link_monitor.frame is set too"),
    ("fallback window out of the fallback's range", dict(hosts=host("cisco_xr", {"Gi0/0/0/0": {}}),
                                                         policies=policy(receive_crc={"window": "100s", "low": 1, "fallback": "frame"})),
     "link_monitor.receive_crc (fallback frame).window: out of range (got '100s'); allowed: 1000-60000 (ms)"),
    ("XR high without low", dict(hosts=host("cisco_xr", {"Gi0/0/0/0": {}}), policies=policy(frame={"high": 10})),
     "link_monitor.frame.high: a high threshold needs a low threshold in the same policy (got 10); allowed: threshold low X high Y on Cisco IOS-XR"),
    ("Huawei non-multiple of a second", dict(hosts=host("huawei_vrp", {"GigabitEthernet0/1/0": {}}), policies=policy(frame={"window": "1500ms"})),
     "link_monitor.frame.window: Huawei VRP counts this window in s; 1500ms is not a whole number of them (nearest: 1s or 2s)"),
    ("XR frame-seconds not whole seconds", dict(hosts=host("cisco_xr", {"Gi0/0/0/0": {}}), policies=policy(frame_seconds={"window": "10500ms"})),
     "link_monitor.frame_seconds.window: out of range (got '10500ms'); allowed: 10000-900000 in steps of 1000 (ms)"),
    ("XR symbol-period count under a second of the link", dict(hosts=host("cisco_xr", {"Gi0/0/0/0": {}}), policies=policy(symbol_period={"window": "500ms"})),
     "link_monitor.symbol_period.window: out of range (got '500ms'); allowed: 1s to 1m at 1G = 1250000000 to 75000000000 symbols on Cisco IOS-XR"),
    ("IEEE frame-period count over a minute of the link", dict(hosts=host("ieee", {"eth0": {"speed": "1G"}}, data={"transport": "netconf"}), policies=policy(frame_period={"window": "2m"})),
     "link_monitor.frame_period.window: out of range (got '2m'); allowed: 1s to 1m at 1G = 1488095 to 89285714 frames on IEEE 802.3.2 YANG (NETCONF)"),
    ("interface listed twice", dict(hosts=host(interfaces={"Gi0/1": {}, "GigabitEthernet0/1": {"policy": "p"}})),
     "host r1: interface GigabitEthernet0/1: oam.interfaces: listed twice (as 'Gi0/1' and 'GigabitEthernet0/1')"),
    ("override makes low above high", dict(hosts=host(interfaces={"Gi0/1": {"overrides": {"link_monitor": {"frame": {"low": 50}}}}}),
                                            policies=policy(frame={"low": 1, "high": 10})),
     "host r1: interface GigabitEthernet0/1: link_monitor.frame: low threshold must be lower than the high threshold (got 'low 50, high 10')"),
    ("override with unknown key", dict(hosts=host(interfaces={"Gi0/1": {"overrides": {"link_monitr": {}}}})),
     "hosts.yaml: host r1: interface GigabitEthernet0/1: overrides.link_monitr: unknown key"),
]


@pytest.mark.parametrize("case,kwargs,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_stops_with_exit_2_and_renders_nothing(make_inventory, tmp_path, case, kwargs, expected):
    folder = make_inventory(**kwargs)
    out = tmp_path / "out"
    result = run_cli("render", "-i", str(folder), "--out", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in " ".join(result.stderr.split()), result.stderr
    assert "Nothing was sent to any device." in result.stderr
    assert not out.exists()


def test_json_errors_are_structured(make_inventory):
    folder = make_inventory(hosts=IOS, policies=policy(frame={"window": "100s"}))
    result = run_cli("render", "-i", str(folder), "--json")
    assert result.returncode == 2
    import json
    payload = json.loads(result.stdout)
    assert payload["ok"] is False and payload["exit_code"] == 2
    assert payload["problems"][0] == {"message": "out of range", "host": "r1",
                                      "interface": "GigabitEthernet0/1",
                                      "field": "link_monitor.frame.window", "value": "100s",
                                      "allowed": "10-600 (x 100 ms) = 1s to 1m on Cisco IOS/IOS-XE"}


def test_every_problem_is_reported_at_once(make_inventory):
    folder = make_inventory(hosts=IOS, policies=policy(frame={"window": "100s"}, receive_crc={"low": 70000}))
    result = run_cli("render", "-i", str(folder))
    assert result.returncode == 2
    assert "2 problems" in result.stderr


def test_good_inventory_renders(make_inventory):
    folder = make_inventory(hosts=IOS)
    result = run_cli("render", "-i", str(folder), "--show")
    assert result.returncode == 0, result.stderr
    assert "ethernet oam link-monitor frame window 10" in result.stdout


def test_group_inheritance_deep_merges_oam_and_host_wins(make_inventory):
    folder = make_inventory(
        hosts={"r1": {"hostname": "h", "groups": ["ams"], "data": {"oam": {"interfaces": {"Gi0/2": {}}}}}},
        groups={"ams": {"groups": ["ios"], "data": {"site": "ams"}},
                "ios": {"platform": "cisco_ios", "data": {"oam": {"policy": "p", "interfaces": {"Gi0/1": {}}}}}},
        defaults={"data": {"oam": {"speed": "1G"}}})
    result = run_cli("inventory", "show", "r1", "-i", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    import json
    view = json.loads(result.stdout)
    assert view["platform"] == "cisco_ios" and view["groups"] == ["ams", "ios"]
    assert [i["interface"] for i in view["intent"]] == ["GigabitEthernet0/1", "GigabitEthernet0/2"]
    assert view["password"] is None


def test_inventory_show_masks_the_password(make_inventory):
    folder = make_inventory(hosts=host(data={"credentials": {"password_env": "R1_PW"}}))
    result = run_cli("inventory", "show", "r1", "-i", str(folder), "--json", env={"R1_PW": "hunter2-secret"})
    assert result.returncode == 0
    assert "hunter2-secret" not in result.stdout + result.stderr
    assert '"password": "********"' in result.stdout


def test_shared_policies_resolve_once_yet_overrides_stay_per_interface(make_inventory):
    """Policies are validated once per inventory and intents once per host; an interface's
    overrides still apply to it alone, and a caller may not change what the next one gets."""
    from oamkit.inventory import Inventory

    folder = make_inventory(hosts={
        "r1": {"hostname": "h1", "platform": "cisco_ios", "data": {"oam": {"policy": "p", "interfaces": {
            "Gi0/1": {}, "Gi0/2": {"overrides": {"link_monitor": {"frame": {"low": 7}}}}}}}},
        "r2": {"hostname": "h2", "platform": "cisco_ios", "data": {"oam": {"policy": "p", "interfaces": {
            "Gi0/1": {}}}}}})
    inventory = Inventory.load(folder)
    r1, r2 = inventory.hosts["r1"], inventory.hosts["r2"]
    lows = {(i.host, i.interface): i.events["frame"].low for h in (r1, r2) for i in inventory.intents(h)}
    assert lows == {("r1", "GigabitEthernet0/1"): 1, ("r1", "GigabitEthernet0/2"): 7,
                    ("r2", "GigabitEthernet0/1"): 1}
    first = inventory.intents(r1)
    first.clear()
    assert [i.interface for i in inventory.intents(r1)] == ["GigabitEthernet0/1", "GigabitEthernet0/2"]


def test_loading_and_rendering_leave_garbage_collection_as_they_found_it(tmp_path):
    """Inventory.load and ops.render pause the cyclic collector (large fleets); they must
    turn it back on, after bad input too, and leave it off for a caller who turned it off."""
    import gc

    from oamkit import ops
    from oamkit.errors import InputError
    from oamkit.inventory import Inventory

    from .conftest import EXAMPLE

    assert gc.isenabled()
    try:
        Inventory.load(EXAMPLE)
        assert gc.isenabled()
        ops.render(EXAMPLE)
        assert gc.isenabled()
        (tmp_path / "hosts.yaml").write_text("r1: {platform: nosuch}\n")
        with pytest.raises(InputError):
            Inventory.load(tmp_path)
        assert gc.isenabled()
        gc.disable()
        Inventory.load(EXAMPLE)
        assert not gc.isenabled()
    finally:
        gc.enable()
