"""What oamkit renders for Cisco IOS-XR over the CLI, pushed to the lab's XR over real SSH (and
NETCONF where the YANG form differs): the keywords a current XR takes, the actions it allows in
a profile only as an interface override, and the values its CLI documents."""
from __future__ import annotations

import json

import pytest
import yaml

from .test_change_engine import CONFIG_WORDS, commands_received, env, oamkit, pushed, running_text  # noqa: F401  (fixtures)


def xr_inventory(lab, tmp_path, policy: dict, transport: str = "ssh"):
    folder = lab.write_inventory(tmp_path / "inventory")
    (folder / "policies" / "xr-test.yaml").write_text(yaml.safe_dump(policy, sort_keys=False))
    groups = yaml.safe_load((folder / "groups.yaml").read_text())
    groups["cisco_xr"]["data"]["oam"]["policy"] = next(iter(policy))
    (folder / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    hosts["xr-1"]["data"]["transport"] = transport
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return folder


def shown_configuration(lab, environ, tmp_path) -> dict:
    """xr-1's `show ethernet oam configuration`, read over SSH and parsed by `oamkit parse`:
    the settings per interface as oamkit reads them back."""
    from netmiko import ConnectHandler

    conn = ConnectHandler(**lab.netmiko_params("xr-1", lab.known_hosts))
    try:
        text = conn.send_command("show ethernet oam configuration")
    finally:
        conn.disconnect()
    capture = tmp_path / "show_configuration.raw"
    capture.write_text(text)
    done = oamkit(environ, "parse", str(capture), "--platform", "cisco_xr",
                  "--command", "show ethernet oam configuration")
    assert done.returncode == 0, done.stdout + done.stderr
    return {r["interface"]: r for r in json.loads(done.stdout)["records"]}


# ---------------------------------------------------------------- A: action uni-directional link-fault
LINK_FAULT = {"xr-lf": {"extends": "lab-standard",
                        "remote_failure": {"link_fault": "error-disable-interface"}}}


@pytest.mark.parametrize("transport", ["ssh", "netconf"])
def test_link_fault_action_is_the_uni_directional_keyword_and_converges(lab, tmp_path, env, transport):  # noqa: F811
    # ASR 9000 CR 5.3.x: `action uni-directional link-fault` "replaces the action link-fault
    # command. Release 4.0.0"; the YANG leaf stays `link-fault` (NETCONF form)
    inventory = xr_inventory(lab, tmp_path, LINK_FAULT, transport)
    code, hosts = pushed(env, inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", json.dumps(hosts, indent=1)
    running = running_text(lab.device("xr-1"))
    assert "action uni-directional link-fault error-disable-interface" in running, running
    assert "action link-fault" not in running, running
    code, hosts = pushed(env, inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "unchanged", json.dumps(hosts, indent=1)
    shown = shown_configuration(lab, env, tmp_path)
    assert shown and all(r["remote_failure_actions"]["link_fault"] == "error-disable-interface"
                         for r in shown.values()), shown


def test_the_lab_xr_refuses_the_pre_4_0_link_fault_keyword(lab):
    from netmiko import ConnectHandler

    dev = lab.device("xr-1")
    conn = ConnectHandler(**lab.netmiko_params("xr-1", lab.known_hosts))
    try:
        out = conn.send_config_set(["ethernet oam profile P", "action link-fault error-disable-interface"],
                                   exit_config_mode=False)
        assert "% Invalid input detected at '^' marker." in out, out
        out = conn.send_config_set(["ethernet oam profile P",
                                    "action uni-directional link-fault error-disable-interface"],
                                   exit_config_mode=False)
        assert "Invalid" not in out, out
        conn.send_command_timing("abort")
    finally:
        conn.disconnect()
    assert "link-fault" not in running_text(dev)


# ---------------------------------------------------------------- B: `log` only as an interface override
LOGGED = {"xr-log": {"extends": "lab-standard",
                     "link_monitor": {"frame": {"window": "1s", "low": 1, "high": 10}},
                     "high_threshold_action": "log",
                     "remote_failure": {"link_fault": "log", "dying_gasp": "log",
                                        "critical_event": "error-disable-interface"}}}


def blocks(text: str) -> dict[str, list[str]]:
    """Top-level blocks of a running configuration: first line -> its indented lines."""
    out: dict[str, list[str]] = {}
    head = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            head = line
            out[head] = []
        elif head is not None:
            out[head].append(line)
    return out


def test_log_actions_are_rendered_as_interface_overrides_and_converge(lab, tmp_path, env):  # noqa: F811
    # ASR 9000 CR 5.3.x: `log` "is available only in interface Ethernet OAM configuration mode
    # to override the OAM profile"; the lab's XR refuses it in the profile as the device does
    inventory = xr_inventory(lab, tmp_path, LOGGED)
    code, hosts = pushed(env, inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", json.dumps(hosts, indent=1)
    config = blocks(running_text(lab.device("xr-1")))
    profile = config["ethernet oam profile OAMKIT-XR-LOG"]
    assert " action critical-event error-disable-interface" in profile, profile
    assert not [line for line in profile if line.endswith(" log")], profile
    for iface in ("GigabitEthernet0/0/0/0", "GigabitEthernet0/0/0/1"):
        assert config[f"interface {iface}"][1:] == [
            " ethernet oam", "  profile OAMKIT-XR-LOG", "  action high-threshold log",
            "  action uni-directional link-fault log", "  action dying-gasp log"], config
    code, hosts = pushed(env, inventory, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "unchanged", json.dumps(hosts, indent=1)
    shown = shown_configuration(lab, env, tmp_path)
    assert {r["high_threshold_action"] for r in shown.values()} == {"log"}, shown
    assert {tuple(sorted(r["remote_failure_actions"].items())) for r in shown.values()} == {
        (("critical_event", "error-disable-interface"), ("dying_gasp", "log"), ("link_fault", "log"))}, shown


def test_the_shipped_example_renders_log_under_the_interface(env):  # noqa: F811
    done = oamkit(env, "render", "-i", "inventories/example", "-l", "ams-xr-1", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    config = blocks(json.loads(done.stdout)["hosts"][0]["config"])
    assert config["ethernet oam profile OAMKIT-LAB-XR"] and \
        not [line for line in config["ethernet oam profile OAMKIT-LAB-XR"] if "log" in line], config
    assert "  action high-threshold log" in config["interface GigabitEthernet0/0/0/0"], config


def test_the_lab_xr_takes_log_only_under_the_interface(lab):
    from netmiko import ConnectHandler

    conn = ConnectHandler(**lab.netmiko_params("xr-1", lab.known_hosts))
    try:
        for line in ("action high-threshold log", "action dying-gasp log",
                     "action uni-directional link-fault log", "action critical-event log"):
            out = conn.send_config_set(["ethernet oam profile P", line], exit_config_mode=False)
            assert "% Invalid input detected at '^' marker." in out, (line, out)
            out = conn.send_config_set(["interface GigabitEthernet0/0/0/0", "ethernet oam", line],
                                       exit_config_mode=False)
            assert "Invalid" not in out, (line, out)
        conn.send_command_timing("abort")
    finally:
        conn.disconnect()


# ---------------------------------------------------------------- D: the CLI's documented ranges
HUGE_FRAME = {"xr-huge": {"extends": "lab-standard",
                          "link_monitor": {"frame": {"window": "1s", "low": 100000000,
                                                     "high": 4000000000}}}}


def test_frame_thresholds_above_the_documented_60_million_stop_before_anything_is_sent(lab, tmp_path, env):  # noqa: F811
    # NCS 5500 6.1.x, `frame threshold`: "The range is from 1 to 60000000."
    inventory = xr_inventory(lab, tmp_path, HUGE_FRAME)
    before = running_text(lab.device("xr-1"))
    done = oamkit(env, "push", "-i", str(inventory), "--limit", "xr-1", "--json")
    assert done.returncode == 2, done.stdout + done.stderr
    text = done.stdout + done.stderr
    for needle in ("xr-1", "link_monitor.frame.low", "100000000", "link_monitor.frame.high",
                   "4000000000", "1-60000000"):
        assert needle in text, (needle, text)
    assert not [c for c in commands_received(lab.device("xr-1")) if CONFIG_WORDS.match(c)]
    assert running_text(lab.device("xr-1")) == before
    # the documented top is taken
    inventory = xr_inventory(lab, tmp_path / "top", {"xr-top": {
        "extends": "lab-standard", "link_monitor": {"frame": {"window": "1s", "low": 1, "high": 60000000}}}})
    code, hosts = pushed(env, inventory, "--limit", "xr-1")
    assert code == 0 and "frame threshold low 1 high 60000000" in running_text(lab.device("xr-1")), hosts


# ---------------------------------------------------------------- C: link_monitoring: false
NO_MONITORING = {"xr-nolm": {"extends": "lab-standard", "link_monitoring": False}}


def test_link_monitoring_false_is_refused_over_the_cli_and_written_over_netconf(lab, tmp_path, env):  # noqa: F811
    # no Cisco document gives a CLI command for it (the lab's XR refuses `monitoring disable`);
    # Cisco-IOS-XR-ethernet-link-oam-cfg has the leaf link-monitoring/monitoring
    inventory = xr_inventory(lab, tmp_path, NO_MONITORING)
    before = running_text(lab.device("xr-1"))
    done = oamkit(env, "push", "-i", str(inventory), "--limit", "xr-1", "--json")
    assert done.returncode == 2, done.stdout + done.stderr
    text = " ".join((done.stdout + done.stderr).split())
    for needle in ("xr-1", "link_monitoring", "False", "CLI command"):
        assert needle in text, (needle, text)
    assert not [c for c in commands_received(lab.device("xr-1")) if CONFIG_WORDS.match(c)]
    assert running_text(lab.device("xr-1")) == before
    rendered = oamkit(env, "render", "-i", str(inventory), "--limit", "xr-1", "--format", "netconf", "--json")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert "<monitoring>false</monitoring>" in json.loads(rendered.stdout)["hosts"][0]["config"]
    skipped = xr_inventory(lab, tmp_path / "skip", {"xr-nolm-skip": {
        **NO_MONITORING["xr-nolm"], "on_unsupported": "skip"}})
    rendered = oamkit(env, "render", "-i", str(skipped), "--limit", "xr-1", "--json")
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    host = json.loads(rendered.stdout)["hosts"][0]
    assert "monitoring" not in host["config"] and any("link_monitoring" in n for n in host["notes"]), host
    over_netconf = xr_inventory(lab, tmp_path / "netconf", NO_MONITORING, "netconf")
    code, hosts = pushed(env, over_netconf, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", json.dumps(hosts, indent=1)
    code, hosts = pushed(env, over_netconf, "--limit", "xr-1")
    assert code == 0 and hosts["xr-1"]["outcome"] == "unchanged", json.dumps(hosts, indent=1)
